/**
 * What the scenario runner needs from a Cypher engine: fresh graphs, queries
 * with parameters whose results come back as TCK values, and the graph's
 * observable state for side effects.
 */
import type { Table } from './compare.ts';
import type { TckValue } from './values.ts';

export interface EngineError {
  /** The engine's own error code (rvf's RvfError code, grafeo's GQLSTATUS), or "error" when it has none. */
  code: string;
  message: string;
  /** The query was stopped by the runner's time limit, not refused by the engine. */
  timeout?: boolean;
}

export type QueryOutcome = ({ ok: true } & Table) | { ok: false; error: EngineError };

/**
 * The graph as the TCK's side-effect metrics observe it (tck/README.adoc,
 * "Observability of side effects"): node and relationship ids, the distinct
 * labels in use, and properties as (entity, key, value) triples.
 */
export interface GraphState {
  nodes: Set<string>;
  relationships: Set<string>;
  labels: Set<string>;
  properties: Set<string>;
}

export interface EngineSession {
  run(query: string, params: Record<string, TckValue>): Promise<QueryOutcome>;
  state(): Promise<GraphState>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: string;
  /** A session on a new, empty graph. */
  open(): Promise<EngineSession>;
  /** Stops what the engine keeps between sessions (query processes). */
  shutdown(): Promise<void>;
}

/** One key for a property triple, the value in a form equal for equal values. */
export function propertyKey(entity: string, key: string, value: unknown): string {
  return `${entity}\u0000${key}\u0000${canonicalJson(value)}`;
}

function canonicalJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** A TCK parameter value as the JS value an engine binds: integers outside the safe range as bigint. */
export function toJsParam(v: TckValue): unknown {
  switch (v.kind) {
    case 'null':
      return null;
    case 'bool':
    case 'string':
    case 'float':
    case 'number':
      return v.value;
    case 'int':
      return v.value <= BigInt(Number.MAX_SAFE_INTEGER) && v.value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
    case 'list':
      return v.items.map(toJsParam);
    case 'map':
      return Object.fromEntries(Object.entries(v.entries).map(([k, x]) => [k, toJsParam(x)]));
    case 'node':
    case 'rel':
    case 'path':
      throw new Error(`a ${v.kind} cannot be passed as a parameter`);
  }
}

/** Plain JS data (JSON-like, bigint allowed) as a TCK value; objects become maps. */
export function plainToTck(v: unknown, objectAs: (o: Record<string, unknown>) => TckValue | undefined = () => undefined): TckValue {
  if (v === null || v === undefined) return { kind: 'null' };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'bigint') return { kind: 'int', value: v };
  if (typeof v === 'number') return { kind: 'number', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) return { kind: 'list', items: v.map((x: unknown) => plainToTck(x, objectAs)) };
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const special = objectAs(o);
    if (special) return special;
    return { kind: 'map', entries: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plainToTck(x, objectAs)])) };
  }
  return { kind: 'string', value: String(v) };
}

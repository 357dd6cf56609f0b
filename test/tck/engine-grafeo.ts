/**
 * @grafeo-db/js as a TCK engine, for comparison. It is not a dependency of
 * this project: install it elsewhere and give its package folder
 * (--engine-path, or TCK_GRAFEO_PATH). Each session is a new in-memory
 * database; queries go through its Cypher API, executeCypher(query, params).
 *
 * Its rows hold a node as {_id, _labels, ...properties}, a relationship as
 * {_id, _type, _source, _target, ...properties} and a path as
 * {nodes: [...], edges: [...]}.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { plainToTck, propertyKey, toJsParam, type Engine, type EngineSession, type GraphState, type QueryOutcome } from './engine.ts';
import type { TckNode, TckPath, TckRel, TckValue } from './values.ts';

/** The part of @grafeo-db/js this runner uses. */
interface GrafeoResult {
  readonly columns: string[];
  rows(): unknown[][];
}
interface GrafeoDatabase {
  executeCypher(query: string, params?: Record<string, unknown>): Promise<GrafeoResult>;
  close(): void;
}
interface GrafeoModule {
  GrafeoDB: { create(): GrafeoDatabase };
}

export function grafeoEngine(packageDir: string, timeLimitMs: number): Engine {
  const mod = createRequire(join(resolve(packageDir), 'package.json'))(resolve(packageDir)) as GrafeoModule;
  return {
    name: 'grafeo',
    async open() {
      return new GrafeoSession(mod.GrafeoDB.create(), timeLimitMs);
    },
    async shutdown() {},
  };
}

class GrafeoSession implements EngineSession {
  constructor(
    readonly db: GrafeoDatabase,
    readonly timeLimitMs: number,
  ) {}

  async run(query: string, params: Record<string, TckValue>): Promise<QueryOutcome> {
    const js = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toJsParam(v)]));
    let timer: NodeJS.Timeout | undefined;
    try {
      // A native query cannot be stopped from JS; past the limit it is abandoned and the scenario fails.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError()), this.timeLimitMs);
      });
      const res = await Promise.race([this.db.executeCypher(query, js), timeout]);
      return { ok: true, columns: [...res.columns], rows: res.rows().map((r) => r.map(fromGrafeo)) };
    } catch (err) {
      if (err instanceof TimeoutError) return { ok: false, error: { code: 'timeout', message: `no answer within ${this.timeLimitMs} ms`, timeout: true } };
      const e = err as Error & { gqlStatus?: string };
      return { ok: false, error: { code: e.gqlStatus ?? 'error', message: String(e.message).split('\n')[0] ?? '' } };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The TCK's defining queries for side effects: every node, every relationship. */
  async state(): Promise<GraphState> {
    const s: GraphState = { nodes: new Set(), relationships: new Set(), labels: new Set(), properties: new Set() };
    for (const row of (await this.db.executeCypher('MATCH (n) RETURN n')).rows()) {
      const n = row[0] as Record<string, unknown>;
      const entity = `n${String(n._id)}`;
      s.nodes.add(entity);
      for (const l of n._labels as string[]) s.labels.add(l);
      for (const [k, v] of Object.entries(n)) if (!NODE_KEYS.includes(k)) s.properties.add(propertyKey(entity, k, v));
    }
    for (const row of (await this.db.executeCypher('MATCH ()-[r]->() RETURN r')).rows()) {
      const r = row[0] as Record<string, unknown>;
      const entity = `r${String(r._id)}`;
      s.relationships.add(entity);
      for (const [k, v] of Object.entries(r)) if (!REL_KEYS.includes(k)) s.properties.add(propertyKey(entity, k, v));
    }
    return s;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

class TimeoutError extends Error {}

const NODE_KEYS = ['_id', '_labels'];
const REL_KEYS = ['_id', '_type', '_source', '_target'];

function isNode(o: Record<string, unknown>): boolean {
  return '_id' in o && Array.isArray(o._labels);
}

function isRel(o: Record<string, unknown>): boolean {
  return '_id' in o && typeof o._type === 'string' && '_source' in o && '_target' in o;
}

function propsOf(o: Record<string, unknown>, skip: string[]): Record<string, TckValue> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !skip.includes(k)).map(([k, v]) => [k, fromGrafeo(v)]));
}

function toNode(o: Record<string, unknown>): TckNode {
  return { kind: 'node', labels: (o._labels as unknown[]).map(String), properties: propsOf(o, NODE_KEYS) };
}

function toRel(o: Record<string, unknown>): TckRel {
  return { kind: 'rel', type: String(o._type), properties: propsOf(o, REL_KEYS) };
}

/** A path's direction of each hop comes from whether the edge starts at the node before it. */
function toPath(nodes: Record<string, unknown>[], edges: Record<string, unknown>[]): TckPath | undefined {
  const first = nodes[0];
  if (!first || nodes.length !== edges.length + 1) return undefined;
  return {
    kind: 'path',
    start: toNode(first),
    steps: edges.map((e, i) => ({ rel: toRel(e), forward: e._source === (nodes[i] as Record<string, unknown>)._id, node: toNode(nodes[i + 1] as Record<string, unknown>) })),
  };
}

function fromGrafeo(v: unknown): TckValue {
  if (v instanceof Date) return { kind: 'string', value: v.toISOString() };
  return plainToTck(v, (o) => {
    if (isRel(o)) return toRel(o);
    if (isNode(o)) return toNode(o);
    const keys = Object.keys(o);
    if (keys.length === 2 && Array.isArray(o.nodes) && Array.isArray(o.edges)) {
      return toPath(o.nodes as Record<string, unknown>[], o.edges as Record<string, unknown>[]);
    }
    return undefined;
  });
}

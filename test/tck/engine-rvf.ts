/**
 * rvf as a TCK engine: each session is a new store in a temp folder, and
 * every query goes through runQuery, as the MCP tool's does, with --write.
 *
 * Result values are JSON (rvlite-bridge/cypher/values.ts): a node is
 * {id, labels, properties}, a relationship {id, type, start, end,
 * properties}. JSON has no type tag, so an object with exactly those keys
 * is read as a node or relationship, and one with exactly the keys nodes and
 * relationships (lists of those, one more node than relationships) as a
 * path; a step points forward when its relationship starts at the node
 * before it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryRunner } from '../../rvlite-bridge/query-runner.ts';
import { runQuery } from '../../rvlite-bridge/run-query.ts';
import { isRvfError, RvfDatabase } from '../../store/index.ts';
import { plainToTck, propertyKey, toJsParam, type Engine, type EngineSession, type GraphState, type QueryOutcome } from './engine.ts';
import type { TckNode, TckPath, TckRel, TckValue } from './values.ts';

export function rvfEngine(timeLimitMs: number): Engine {
  return {
    name: 'rvf',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'rvf-tck-'));
      const db = await RvfDatabase.create(join(dir, 'tck.rvf'), { dimensions: 2 });
      return new RvfSession(db, dir, timeLimitMs);
    },
    async shutdown() {
      await queryRunner().stop();
    },
  };
}

class RvfSession implements EngineSession {
  constructor(
    readonly db: RvfDatabase,
    readonly dir: string,
    readonly timeLimitMs: number,
  ) {}

  async run(query: string, params: Record<string, TckValue>): Promise<QueryOutcome> {
    const js = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toJsParam(v)]));
    try {
      const res = await runQuery(this.db, 'cypher', query, js, { write: true, timeLimitMs: this.timeLimitMs });
      return { ok: true, columns: res.columns, rows: res.rows.map((r) => r.map(fromRvfJson)) };
    } catch (err) {
      if (!isRvfError(err)) throw err;
      return { ok: false, error: { code: err.code, message: err.message, ...(/time limit/.test(err.message) ? { timeout: true } : {}) } };
    }
  }

  /** The graph tables of the cache, read with SQL in one statement. */
  async state(): Promise<GraphState> {
    const res = await runQuery(
      this.db,
      'sql',
      `SELECT 'n' AS k, id, props FROM graph_nodes
       UNION ALL SELECT 'r', id, props FROM graph_rels
       UNION ALL SELECT DISTINCT 'l', label, NULL FROM graph_labels`,
      undefined,
      { write: false, timeLimitMs: this.timeLimitMs },
    );
    if (res.truncated) throw new Error('the graph is too large to read its side effects');
    const s: GraphState = { nodes: new Set(), relationships: new Set(), labels: new Set(), properties: new Set() };
    for (const [k, id, props] of res.rows) {
      if (k === 'l') {
        s.labels.add(String(id));
        continue;
      }
      const entity = `${String(k)}${String(id)}`;
      (k === 'n' ? s.nodes : s.relationships).add(entity);
      const p = JSON.parse(String(props)) as Record<string, unknown>;
      for (const [key, value] of Object.entries(p)) s.properties.add(propertyKey(entity, key, value));
    }
    return s;
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

function hasExactly(o: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => k in o);
}

function isProps(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An rvf result value (parsed JSON) as a TCK value. */
export function fromRvfJson(v: unknown): TckValue {
  return plainToTck(v, (o) => {
    if (hasExactly(o, ['id', 'labels', 'properties']) && Array.isArray(o.labels) && isProps(o.properties)) {
      return { kind: 'node', labels: o.labels.map(String), properties: propsOf(o.properties) };
    }
    if (hasExactly(o, ['id', 'type', 'start', 'end', 'properties']) && typeof o.type === 'string' && isProps(o.properties)) {
      return { kind: 'rel', type: o.type, properties: propsOf(o.properties) };
    }
    if (hasExactly(o, ['nodes', 'relationships']) && Array.isArray(o.nodes) && Array.isArray(o.relationships) && o.nodes.length === o.relationships.length + 1) {
      return pathOf(o.nodes as unknown[], o.relationships as unknown[]);
    }
    return undefined;
  });
}

/** A returned path {nodes, relationships} as a TCK path, or undefined when its elements are not nodes and relationships. */
function pathOf(nodes: unknown[], rels: unknown[]): TckPath | undefined {
  const ns = nodes.map(fromRvfJson);
  const rs = rels.map(fromRvfJson);
  if (!ns.every((n): n is TckNode => n.kind === 'node') || !rs.every((r): r is TckRel => r.kind === 'rel')) return undefined;
  const steps = rs.map((rel, i) => {
    const raw = rels[i] as Record<string, unknown>;
    const before = nodes[i] as Record<string, unknown>;
    return { rel, forward: raw.start === before.id, node: ns[i + 1] as TckNode };
  });
  return { kind: 'path', start: ns[0] as TckNode, steps };
}

function propsOf(p: Record<string, unknown>): Record<string, TckValue> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, fromRvfJson(v)]));
}

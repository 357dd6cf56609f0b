import type pg from 'pg';
import type { Effects, SqlValue, TableEffects } from '../effects.ts';
import { ReplicationError } from './postgres-target.ts';
import type { VectorRow } from './store-log.ts';

/**
 * The row changes of one commit, written inside the caller's transaction on
 * schema rvf (pg-schema.ts). A batch is one statement, not one per row:
 * vectors as multi-row VALUES with binary vector parameters, keys and graph
 * rows as one array parameter per column, unnested in SQL.
 */

/** Rows written or deleted, by table, for the --json report. */
export interface RowCounts {
  vectors: number;
  vectorsDeleted: number;
  graphNodes: number;
  graphLabels: number;
  graphRels: number;
  quads: number;
}

export function noRows(): RowCounts {
  return { vectors: 0, vectorsDeleted: 0, graphNodes: 0, graphLabels: 0, graphRels: 0, quads: 0 };
}

export function totalRows(c: RowCounts): number {
  return c.vectors + c.vectorsDeleted + c.graphNodes + c.graphLabels + c.graphRels + c.quads;
}

const MAX_BIGINT = (1n << 63n) - 1n;
/** Rows per statement: 4 parameters each, well under Postgres's 65,535. */
const VECTOR_ROWS_PER_STATEMENT = 1000;
const KEYS_PER_STATEMENT = 10_000;

/**
 * Postgres has no unsigned 64-bit integer. Ids above 2^63-1 are refused, not
 * mapped: a mapped id (e.g. two's complement) would answer queries with ids the
 * store never gave out.
 */
function bigintId(id: bigint, label: string): string {
  if (id > MAX_BIGINT) {
    throw new ReplicationError(
      `${label} holds vector id ${id}, above PostgreSQL's largest bigint (${MAX_BIGINT}); ids from 2^63 up cannot be replicated, and nothing of the commit holding it was shipped.`,
    );
  }
  return id.toString();
}

export async function upsertVectors(client: pg.Client, store: string, rows: readonly VectorRow[], label: string): Promise<number> {
  for (let start = 0; start < rows.length; start += VECTOR_ROWS_PER_STATEMENT) {
    const part = rows.slice(start, start + VECTOR_ROWS_PER_STATEMENT);
    const params: unknown[] = [store];
    const values = part.map((r) => {
      const at = params.length;
      params.push(bigintId(r.id, label), binaryVector(r.vector), r.json, r.epoch);
      return `($1, $${at + 1}::bigint, $${at + 2}::vector, $${at + 3}::jsonb, $${at + 4}::bigint)`;
    });
    await client.query(
      `INSERT INTO rvf.vectors (store, id, embedding, metadata, epoch) VALUES ${values.join(', ')}
       ON CONFLICT (store, id) DO UPDATE SET embedding = excluded.embedding, metadata = excluded.metadata, epoch = excluded.epoch`,
      params,
    );
  }
  return rows.length;
}

/**
 * pgvector's binary form (vector_recv: dim int16, unused int16, dim float4,
 * all big-endian). `pg` sends a Buffer parameter in binary format, so the
 * float32 values arrive as they are, with no decimal text to print and parse
 * (which cost most of the time with text).
 */
function binaryVector(v: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(4 + v.length * 4);
  out.writeInt16BE(v.length, 0);
  out.writeInt16BE(0, 2);
  for (let i = 0; i < v.length; i++) out.writeFloatBE(v[i] as number, 4 + i * 4);
  return out;
}

export async function deleteVectors(client: pg.Client, store: string, ids: readonly bigint[]): Promise<number> {
  let n = 0;
  // An id above bigint's range was never shipped, so there is nothing to delete.
  const keys = ids.filter((id) => id <= MAX_BIGINT).map(String);
  for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
    const r = await client.query('DELETE FROM rvf.vectors WHERE store = $1 AND id = ANY($2::bigint[])', [store, keys.slice(start, start + KEYS_PER_STATEMENT)]);
    n += r.rowCount ?? 0;
  }
  return n;
}

/** Removes every row of `store` from every rvf table but rvf.stores (a whole resync). */
export async function clearStore(client: pg.Client, store: string): Promise<void> {
  for (const table of ['vectors', 'graph_nodes', 'graph_labels', 'graph_rels', 'rdf_quads']) {
    await client.query(`DELETE FROM rvf.${table} WHERE store = $1`, [store]);
  }
}

/**
 * How each replicated cache table (store/cache-schema.ts) lands in Postgres:
 * its key column, and the columns written from an effects row. `graph_ids`
 * and `rvf_migrations` are the store's own bookkeeping and user tables are
 * not replicated (README, "What is not replicated").
 */
const TABLES: Record<string, { pg: string; key: 'id' | 'rowid'; columns: string[]; insert: string; counter: keyof RowCounts }> = {
  graph_nodes: {
    pg: 'graph_nodes',
    key: 'id',
    columns: ['props'],
    // vector_id as the cache's generated column has it: the props' vector_id when it is an integer.
    insert: `INSERT INTO rvf.graph_nodes (store, id, props, vector_id)
      SELECT $1, u.k, u.props::jsonb,
        CASE WHEN v.x ~ '^-?[0-9]{1,19}$' AND v.x::numeric BETWEEN -9223372036854775808 AND 9223372036854775807 THEN v.x::numeric::bigint END
      FROM unnest($2::bigint[], $3::text[]) AS u(k, props), LATERAL (SELECT u.props::jsonb ->> 'vector_id' AS x) AS v`,
    counter: 'graphNodes',
  },
  graph_labels: {
    pg: 'graph_labels',
    key: 'rowid',
    columns: ['node_id', 'label'],
    insert: `INSERT INTO rvf.graph_labels (store, rowid, node_id, label)
      SELECT $1, u.k, u.node_id, u.label FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS u(k, node_id, label)`,
    counter: 'graphLabels',
  },
  graph_rels: {
    pg: 'graph_rels',
    key: 'id',
    columns: ['type', 'src', 'dst', 'props'],
    insert: `INSERT INTO rvf.graph_rels (store, id, type, src, dst, props)
      SELECT $1, u.k, u.type, u.src, u.dst, u.props::jsonb FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[]) AS u(k, type, src, dst, props)`,
    counter: 'graphRels',
  },
  rdf_quads: {
    pg: 'rdf_quads',
    key: 'rowid',
    columns: ['s', 'p', 'o', 'g'],
    insert: `INSERT INTO rvf.rdf_quads (store, rowid, s, p, o, g)
      SELECT $1, u.k, u.s, u.p, u.o, u.g FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(k, s, p, o, g)`,
    counter: 'quads',
  },
};

function asText(v: SqlValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

/**
 * Applies effects records in order, as the cache does (effects-apply.ts):
 * per record, the rows it deletes or rewrites go first, then the rows as they
 * are after it. Then the labels of every node touched are set from
 * graph_labels. Returns rows written or deleted.
 */
export async function applyEffectRecords(client: pg.Client, store: string, records: Iterable<Effects>, counts: RowCounts): Promise<void> {
  const touchedNodes = new Set<string>();
  for (const e of records) {
    const tables = e.tables.filter((t) => TABLES[t.table] !== undefined);
    for (const t of tables) await deleteRows(client, store, t, touchedNodes);
    for (const t of tables) {
      const spec = TABLES[t.table] as (typeof TABLES)[string];
      if (t.upserts.length === 0) continue;
      const at = spec.columns.map((c) => t.columns.indexOf(c));
      if (at.some((i) => i < 0)) throw new ReplicationError(`an effects record of ${t.table} lacks a column (${spec.columns.join(', ')}) this replicator needs.`);
      for (let start = 0; start < t.upserts.length; start += KEYS_PER_STATEMENT) {
        const rows = t.upserts.slice(start, start + KEYS_PER_STATEMENT);
        const keys = rows.map((r) => asText(r[0]) as string);
        const columns = at.map((i) => rows.map((r) => asText(r[i + 1])));
        await client.query(spec.insert, [store, keys, ...columns]);
        if (t.table === 'graph_nodes') for (const k of keys) touchedNodes.add(k);
        if (t.table === 'graph_labels') for (const n of columns[0] as (string | null)[]) if (n !== null) touchedNodes.add(n);
      }
      counts[spec.counter] += t.upserts.length;
    }
    for (const t of tables) counts[(TABLES[t.table] as (typeof TABLES)[string]).counter] += t.deletes.length;
  }
  const nodes = [...touchedNodes];
  for (let start = 0; start < nodes.length; start += KEYS_PER_STATEMENT) {
    await client.query(
      `UPDATE rvf.graph_nodes n SET labels = coalesce((SELECT array_agg(l.label ORDER BY l.label) FROM rvf.graph_labels l WHERE l.store = n.store AND l.node_id = n.id), '{}')
       WHERE n.store = $1 AND n.id = ANY($2::bigint[])`,
      [store, nodes.slice(start, start + KEYS_PER_STATEMENT)],
    );
  }
}

/** Deletes the rows an effects table deletes or rewrites (a rewritten row is inserted again afterwards). */
async function deleteRows(client: pg.Client, store: string, t: TableEffects, touchedNodes: Set<string>): Promise<void> {
  const spec = TABLES[t.table] as (typeof TABLES)[string];
  const keys = [...t.deletes.map(String), ...t.upserts.map((r) => asText(r[0]) as string)];
  const returning = t.table === 'graph_labels' ? ' RETURNING node_id' : '';
  for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
    const r = await client.query<{ node_id?: string }>(
      `DELETE FROM rvf.${spec.pg} WHERE store = $1 AND ${spec.key} = ANY($2::bigint[])${returning}`,
      [store, keys.slice(start, start + KEYS_PER_STATEMENT)],
    );
    if (returning) for (const row of r.rows) if (row.node_id !== undefined) touchedNodes.add(String(row.node_id));
  }
}

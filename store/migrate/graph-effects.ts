import type { Effects, SqlValue, TableEffects } from '../effects.ts';
import type { DestState, MigrationSummary, RowRange } from './dest-state.ts';
import { mapId } from './ids.ts';
import type { Source } from './source-types.ts';

/**
 * The graph and triples of a source as effects records for writeEffects.
 *
 * Rule for a source migrated again (its path is the key in rvf_migrations):
 * the rows its earlier run wrote (the rowid ranges in its record) are deleted
 * and the new ones written above every existing rowid, so the graph and the
 * triples are replaced, never doubled. Node ids are new integers; the source
 * id stays in props._source_id (edges likewise).
 *
 * The record goes in the first effects record as "partial", listing the old
 * ranges too, and the last one marks it "done": a run killed in between
 * leaves a record that the next run finishes (deleting every listed range),
 * not orphaned rows.
 */

const CHUNK_BYTES = 8 * 1024 * 1024;

export interface GraphPlan {
  effects: Effects[];
  nodes: number;
  relationships: number;
  quads: number;
  skipped: string[];
}

export function planGraphEffects(
  source: Source,
  dest: DestState,
  summary: Omit<MigrationSummary, 'state' | 'ranges' | 'nodes' | 'relationships' | 'quads'>,
): GraphPlan {
  const skipped: string[] = [];
  const previous = dest.migrations.find((m) => m.source === source.path);
  const oldRanges: RowRange[] = previous?.summary.ranges ?? [];

  // Node ids above everything in the store, in source order.
  let nextNode = dest.maxRowid.graph_nodes + 1n;
  let nextLabel = dest.maxRowid.graph_labels + 1n;
  let nextRel = dest.maxRowid.graph_rels + 1n;
  let nextQuad = dest.maxRowid.rdf_quads + 1n;
  const nodeIds = new Map<string, bigint>();
  const nodeRows: SqlValue[][] = [];
  const labelRows: SqlValue[][] = [];
  for (const n of source.nodes) {
    if (nodeIds.has(n.sourceId)) {
      skipped.push(`graph node ${JSON.stringify(n.sourceId)} appears twice; the first was kept`);
      continue;
    }
    const id = nextNode++;
    nodeIds.set(n.sourceId, id);
    nodeRows.push([id, nodeProps(n.sourceId, n.props)]);
    for (const label of n.labels) labelRows.push([nextLabel++, id, label]);
  }
  const relRows: SqlValue[][] = [];
  let dangling = 0;
  for (const r of source.rels) {
    const src = nodeIds.get(r.from);
    const dst = nodeIds.get(r.to);
    if (src === undefined || dst === undefined) {
      dangling++;
      continue;
    }
    const props = r.sourceId === '' ? r.props : { ...r.props, _source_id: r.sourceId };
    relRows.push([nextRel++, r.type, src, dst, JSON.stringify(props)]);
  }
  if (dangling > 0) skipped.push(`${dangling} graph edge(s) whose from or to node does not exist`);
  const quadRows: SqlValue[][] = source.quads.map((q) => [nextQuad++, q.s, q.p, q.o, q.g]);

  const ranges: RowRange[] = [];
  const range = (table: string, first: bigint, next: bigint): void => {
    if (next > first) ranges.push([table, first.toString(), (next - 1n).toString()]);
  };
  range('graph_nodes', dest.maxRowid.graph_nodes + 1n, nextNode);
  range('graph_labels', dest.maxRowid.graph_labels + 1n, nextLabel);
  range('graph_rels', dest.maxRowid.graph_rels + 1n, nextRel);
  range('rdf_quads', dest.maxRowid.rdf_quads + 1n, nextQuad);

  const counts = { nodes: nodeRows.length, relationships: relRows.length, quads: quadRows.length };
  const record = (state: MigrationSummary['state'], owned: RowRange[]): TableEffects => ({
    table: 'rvf_migrations',
    columns: ['source', 'fingerprint', 'summary'],
    // rvf_migrations is keyed by source: rowid 0 lets INSERT OR REPLACE pick by the key.
    upserts: [[null, source.path, source.fingerprint, JSON.stringify({ ...summary, ...counts, state, ranges: owned })]],
    deletes: [],
  });

  // Chunks of at most about CHUNK_BYTES: deletes of the old rows first, then the new rows.
  const chunks: Effects[] = [];
  let current: TableEffects[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (current.length > 0) chunks.push({ ddl: [], tables: current });
    current = [];
    bytes = 0;
  };
  const tableIn = (table: string, columns: string[]): TableEffects => {
    let t = current.find((x) => x.table === table);
    if (!t) {
      t = { table, columns, upserts: [], deletes: [] };
      current.push(t);
    }
    return t;
  };
  const COLUMNS: Record<string, string[]> = {
    graph_nodes: ['props'],
    graph_labels: ['node_id', 'label'],
    graph_rels: ['type', 'src', 'dst', 'props'],
    rdf_quads: ['s', 'p', 'o', 'g'],
  };
  for (const [table, lo, hi] of oldRanges) {
    for (let id = BigInt(lo); id <= BigInt(hi); id++) {
      tableIn(table, COLUMNS[table] ?? []).deletes.push(id);
      bytes += 24;
      if (bytes >= CHUNK_BYTES) flush();
    }
  }
  const put = (table: string, rows: SqlValue[][]): void => {
    for (const row of rows) {
      tableIn(table, COLUMNS[table] ?? []).upserts.push(row);
      bytes += 16 + row.reduce<number>((n, v) => n + (typeof v === 'string' ? v.length + 8 : 12), 0);
      if (bytes >= CHUNK_BYTES) flush();
    }
  };
  put('graph_nodes', nodeRows);
  put('graph_labels', labelRows);
  put('graph_rels', relRows);
  put('rdf_quads', quadRows);
  flush();

  const effects = chunks;
  if (effects.length === 0) effects.push({ ddl: [], tables: [record('done', ranges)] });
  else if (effects.length === 1) (effects[0] as Effects).tables.push(record('done', ranges));
  else {
    (effects[0] as Effects).tables.push(record('partial', [...oldRanges, ...ranges]));
    (effects.at(-1) as Effects).tables.push(record('done', ranges));
  }
  return { effects, ...counts, skipped };
}

/**
 * A node's props as JSON text, with its source id in `_source_id`. A
 * `vector_id` (or rvlite's `vectorId`) property names a vector: it is mapped
 * the way vector ids are, so it joins with the migrated vector, and written
 * as a bare integer (JSON.stringify would round one above 2^53); the
 * original stays in `_source_vector_id` when the mapping changed it.
 */
export function nodeProps(sourceId: string, props: Record<string, unknown>): string {
  const { vector_id: snake, vectorId: camel, ...rest } = props;
  const raw = snake ?? camel;
  const out: Record<string, unknown> = { ...rest, _source_id: sourceId };
  if (camel !== undefined && snake !== undefined) out['vectorId'] = camel;
  if (raw === undefined || raw === null) return JSON.stringify(out);
  let mapped: bigint;
  try {
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error('not an id');
    mapped = mapId(raw, 'vector_id').id;
  } catch {
    return JSON.stringify({ ...out, vector_id: raw });
  }
  if (String(raw) !== mapped.toString()) out['_source_vector_id'] = raw;
  const text = JSON.stringify(out);
  return `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"vector_id":${mapped.toString()}}`;
}

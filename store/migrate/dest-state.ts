import Database from 'better-sqlite3';
import type { RvfDatabase } from '../database.ts';

/**
 * What migrate needs to know of a destination store, read from its cache at
 * the handle's commit: earlier migrations (rvf_migrations, rebuilt from the
 * log like every effects table, so it survives a lost cache) and the highest
 * ids of the graph and triple tables, above which new rows are placed.
 */

/** A range of rowids [lo, hi] a migration wrote in one table. */
export type RowRange = [table: string, lo: string, hi: string];

export interface MigrationRecord {
  source: string;
  fingerprint: string;
  summary: MigrationSummary;
}

export interface MigrationSummary {
  kind: string;
  /** "partial" until the last effects record of the run is committed. */
  state: 'partial' | 'done';
  vectors: number;
  idsMapped: number;
  nodes: number;
  relationships: number;
  quads: number;
  /** Rows this source owns (graph, labels, triples); a re-migration deletes them first. */
  ranges: RowRange[];
}

export interface DestState {
  migrations: MigrationRecord[];
  /** Highest rowid per table (0 when empty); for nodes and relationships, the highest ever handed out. */
  maxRowid: Record<'graph_nodes' | 'graph_labels' | 'graph_rels' | 'rdf_quads', bigint>;
}

export function readDestState(db: RvfDatabase): Promise<DestState> {
  return withCache(db, (c) => {
    const rows = c.prepare('SELECT source, fingerprint, summary FROM rvf_migrations').all() as { source: string; fingerprint: string; summary: string }[];
    const max = (table: string): bigint => (c.prepare(`SELECT max(rowid) AS m FROM ${table}`).get() as { m: bigint | null }).m ?? 0n;
    // node and relationship ids are never handed out again, even those of deleted rows (store/cache-schema.ts)
    const high = c.prepare('SELECT node, rel FROM graph_ids').get() as { node: bigint; rel: bigint } | undefined;
    const above = (a: bigint, b: bigint | undefined): bigint => (b !== undefined && b > a ? b : a);
    return {
      migrations: rows.map((r) => ({ source: r.source, fingerprint: r.fingerprint, summary: JSON.parse(r.summary) as MigrationSummary })),
      maxRowid: { graph_nodes: above(max('graph_nodes'), high?.node), graph_labels: max('graph_labels'), graph_rels: above(max('graph_rels'), high?.rel), rdf_quads: max('rdf_quads') },
    };
  });
}

/** Runs `fn` on a read-only connection to the cache at the handle's commit. */
export function withCache<T>(db: RvfDatabase, fn: (c: Database.Database) => T): Promise<T> {
  return db.readSnapshot(async (s) => {
    const c = new Database(s.cachePath, { readonly: true, fileMustExist: true });
    try {
      c.defaultSafeIntegers(true);
      return fn(c);
    } finally {
      c.close();
    }
  });
}

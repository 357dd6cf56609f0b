import type pg from 'pg';

/**
 * Schema `rvf` in the target database, created if missing. Every table is
 * keyed by `store` first, so Citus can distribute them all by it
 * (`SELECT create_distributed_table('rvf.vectors', 'store')`) and one store's
 * rows stay on one shard.
 *
 * - `embedding vector` has no fixed dimension, so stores of different
 *   dimensions share the table; a per-store HNSW index casts to the store's
 *   dimension (README, "Replication to PostgreSQL").
 * - `rdf_quads.rowid` and `graph_labels` exist because the log records
 *   graph and triple changes by SQLite rowid (store/effects.ts): a delete names
 *   a rowid, so Postgres must know which row had it. `graph_nodes.labels` is
 *   kept equal to the node's rows in `graph_labels`, sorted.
 * - `rvf.stores` is the replication guard: the epoch and commit hash of the
 *   store's history that Postgres holds, moved in the same transaction as the
 *   rows of that commit.
 */
export const RVF_SCHEMA_SQL = `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE SCHEMA IF NOT EXISTS rvf;
CREATE TABLE IF NOT EXISTS rvf.stores (
  store text PRIMARY KEY,
  file_id text NOT NULL,
  dimensions int NOT NULL,
  metric text NOT NULL,
  epoch bigint NOT NULL,
  commit_hash text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS rvf.vectors (
  store text NOT NULL,
  id bigint NOT NULL,
  embedding vector NOT NULL,
  metadata jsonb,
  epoch bigint NOT NULL,
  PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS rvf.graph_nodes (
  store text NOT NULL,
  id bigint NOT NULL,
  labels text[] NOT NULL DEFAULT '{}',
  props jsonb NOT NULL,
  vector_id bigint,
  PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS rvf.graph_labels (
  store text NOT NULL,
  rowid bigint NOT NULL,
  node_id bigint NOT NULL,
  label text NOT NULL,
  PRIMARY KEY (store, rowid)
);
CREATE INDEX IF NOT EXISTS graph_labels_node ON rvf.graph_labels (store, node_id);
CREATE TABLE IF NOT EXISTS rvf.graph_rels (
  store text NOT NULL,
  id bigint NOT NULL,
  type text NOT NULL,
  src bigint NOT NULL,
  dst bigint NOT NULL,
  props jsonb NOT NULL,
  PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS rvf.rdf_quads (
  store text NOT NULL,
  rowid bigint NOT NULL,
  s text NOT NULL,
  p text NOT NULL,
  o text NOT NULL,
  g text NOT NULL,
  PRIMARY KEY (store, rowid)
);
`;

/** Creates schema rvf when missing (every statement is IF NOT EXISTS, so a rerun changes nothing). */
export async function ensureSchema(client: pg.Client): Promise<void> {
  // Skipped when the tables are all there: CREATE EXTENSION needs a privilege a replicating role may lack once set up.
  const found = await client.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'rvf' AND tablename = ANY($1)",
    [['stores', 'vectors', 'graph_nodes', 'graph_labels', 'graph_rels', 'rdf_quads']],
  );
  if (Number(found.rows[0]?.n) === 6) return;
  await client.query(RVF_SCHEMA_SQL);
}

/**
 * The tables of a store's SQLite cache. All of them are rebuilt from the
 * .rvf file: `vectors` from VEC/META/JOURNAL segments, everything else from the
 * effects records of rvlite writes (store/effects.ts).
 *
 * - `vectors`: one row per live vector; `id` is the RVF u64 id itself.
 * - `graph_nodes`, `graph_labels`, `graph_rels`: the property graph Cypher
 *   runs over. A node's `vector_id` is its `vector_id` property, generated so
 *   it can be indexed and joined with `rvf_knn(...)` ids. The `name` property
 *   is indexed too, as the expression Cypher compiles `n.name` / `{name: x}`
 *   to (compile-expr.ts keyPath): entities are found by name, so batch
 *   upserts (MERGE by name) and relation batches (MATCH two nodes by name per
 *   row) look each row up instead of reading every node (schema 5).
 * - `rdf_quads`: RDF terms in N-Triples syntax (`<iri>`, `"lit"@en`,
 *   `"1"^^<xsd:int>`, `_:b0`); `g` is '' for the default graph.
 * - `rvf_migrations`: what `rvf migrate` brought in, by source and content
 *   fingerprint, so a rerun after a lost cache still knows (replayed from the
 *   log like the rest).
 * - `rdf_version`: a counter bumped by every change to `rdf_quads`, so a SPARQL
 *   engine loaded from the quads knows when it is out of date.
 * - `graph_ids`: the highest node and relationship ids ever deleted, one
 *   row, raised by triggers on delete. Cypher gives a new node or
 *   relationship the next id above both it and the highest live id, so an id
 *   is never handed out again after a delete (an agent that kept one would
 *   otherwise reach a stranger). Raising it on delete rather than on insert
 *   keeps bulk loads free of a trigger per row (a 600k-row graph load took
 *   twice as long with one). It is an effects table: a write that raised it
 *   records its row, and compaction snapshots it, because the rows alone
 *   cannot tell the highest id once that node is deleted (SQLite's own
 *   AUTOINCREMENT counter lives in sqlite_sequence, which the log does not
 *   carry). Logs written by schema 5 recorded the highest id inserted there;
 *   replayed, that is a higher mark than needed and still correct.
 *
 * Internal tables, which user SQL can read but never write, are the ones
 * named in INTERNAL_TABLES.
 */

export const CACHE_SCHEMA_VERSION = 6;

export const CACHE_SCHEMA = `
CREATE TABLE IF NOT EXISTS cache_state (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  epoch INTEGER NOT NULL,
  commit_hash TEXT NOT NULL,
  file_id TEXT NOT NULL,
  schema_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (
  id INTEGER PRIMARY KEY,
  metadata TEXT,
  epoch INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS graph_nodes (
  id INTEGER PRIMARY KEY,
  props TEXT NOT NULL DEFAULT '{}',
  vector_id INTEGER GENERATED ALWAYS AS (json_extract(props, '$.vector_id')) VIRTUAL
);
CREATE INDEX IF NOT EXISTS graph_nodes_vector_id ON graph_nodes (vector_id) WHERE vector_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS graph_nodes_name ON graph_nodes (json_extract(props, '$."name"'));
CREATE TABLE IF NOT EXISTS graph_labels (
  node_id INTEGER NOT NULL,
  label TEXT NOT NULL,
  UNIQUE (label, node_id)
);
CREATE INDEX IF NOT EXISTS graph_labels_node ON graph_labels (node_id);
CREATE TABLE IF NOT EXISTS graph_rels (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  src INTEGER NOT NULL,
  dst INTEGER NOT NULL,
  props TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS graph_rels_src ON graph_rels (src, type);
CREATE INDEX IF NOT EXISTS graph_rels_dst ON graph_rels (dst, type);
CREATE TABLE IF NOT EXISTS graph_ids (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  node INTEGER NOT NULL,
  rel INTEGER NOT NULL
);
DROP TRIGGER IF EXISTS graph_nodes_high_id;
DROP TRIGGER IF EXISTS graph_rels_high_id;
CREATE TRIGGER IF NOT EXISTS graph_nodes_deleted_id AFTER DELETE ON graph_nodes BEGIN
  INSERT INTO graph_ids (one, node, rel) SELECT 1, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM graph_ids);
  UPDATE graph_ids SET node = OLD.id WHERE node < OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS graph_rels_deleted_id AFTER DELETE ON graph_rels BEGIN
  INSERT INTO graph_ids (one, node, rel) SELECT 1, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM graph_ids);
  UPDATE graph_ids SET rel = OLD.id WHERE rel < OLD.id;
END;
CREATE TABLE IF NOT EXISTS rdf_quads (
  s TEXT NOT NULL,
  p TEXT NOT NULL,
  o TEXT NOT NULL,
  g TEXT NOT NULL DEFAULT '',
  UNIQUE (s, p, o, g)
);
CREATE INDEX IF NOT EXISTS rdf_quads_p ON rdf_quads (p);
CREATE TABLE IF NOT EXISTS rvf_migrations (
  source TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rdf_version (one INTEGER PRIMARY KEY CHECK (one = 1), v INTEGER NOT NULL);
INSERT OR IGNORE INTO rdf_version (one, v) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS rdf_quads_ins AFTER INSERT ON rdf_quads BEGIN UPDATE rdf_version SET v = v + 1; END;
CREATE TRIGGER IF NOT EXISTS rdf_quads_del AFTER DELETE ON rdf_quads BEGIN UPDATE rdf_version SET v = v + 1; END;
CREATE TRIGGER IF NOT EXISTS rdf_quads_upd AFTER UPDATE ON rdf_quads BEGIN UPDATE rdf_version SET v = v + 1; END;
`;

/** Tables only the store writes: user SQL may read them. */
export const INTERNAL_TABLES: readonly string[] = [
  'cache_state',
  'store_info',
  'vectors',
  'graph_nodes',
  'graph_labels',
  'graph_rels',
  'graph_ids',
  'rdf_quads',
  'rdf_version',
  'rvf_migrations',
];

/** Internal tables whose rows are recorded as effects of rvlite writes (the rest are derived or the store's own). */
export const EFFECT_TABLES: readonly string[] = ['graph_nodes', 'graph_labels', 'graph_rels', 'graph_ids', 'rdf_quads', 'rvf_migrations'];

/** Names user SQL may not create: the internal tables, and prefixes kept for the store. */
export function isReservedName(name: string): boolean {
  const n = name.toLowerCase();
  return INTERNAL_TABLES.includes(n) || n.startsWith('sqlite_') || n.startsWith('rvf_') || n.startsWith('graph_') || n.startsWith('rdf_');
}

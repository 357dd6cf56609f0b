import { unsupported, type CypherError } from './errors.ts';

/**
 * The graph catalog procedures agents call first to learn a graph they did
 * not build (`CALL db.labels()`, as Neo4j names them): each is one SQL query
 * over the graph tables, a relation whose one column is the procedure's one
 * output, in name order.
 */
export interface CatalogProcedure {
  /** the output column, as YIELD names it */
  output: string;
  /** rows of one column, named `output`, without duplicates */
  sql: string;
}

const CATALOG: ReadonlyMap<string, CatalogProcedure> = new Map([
  ['db.labels', { output: 'label', sql: 'SELECT DISTINCT label AS label FROM graph_labels ORDER BY label' }],
  ['db.relationshiptypes', { output: 'relationshipType', sql: 'SELECT DISTINCT type AS relationshipType FROM graph_rels ORDER BY type' }],
  [
    'db.propertykeys',
    {
      output: 'propertyKey',
      sql: 'SELECT j.key AS propertyKey FROM graph_nodes n, json_each(n.props) j UNION SELECT j.key FROM graph_rels r, json_each(r.props) j ORDER BY 1',
    },
  ],
]);

/** The catalog procedure `name` (any case), or undefined. */
export function catalogProcedure(name: string): CatalogProcedure | undefined {
  return CATALOG.get(name.toLowerCase());
}

/**
 * The refusal for a procedure this store does not have, naming what to write
 * instead for the ones agents reach for out of habit from Neo4j.
 */
export function unknownProcedure(name: string): CypherError {
  const lower = name.toLowerCase();
  const others = 'the procedures are rvf.knn($vector, k[, filter]) YIELD id, distance, db.labels(), db.relationshipTypes() and db.propertyKeys()';
  if (lower.startsWith('db.index.vector.')) {
    return unsupported(`the procedure ${name}`, 'search vectors with CALL rvf.knn($vector, k) YIELD id, distance and join nodes on their vector_id property');
  }
  if (lower.startsWith('db.index.fulltext.')) {
    return unsupported(`the procedure ${name}`, "there are no full-text indexes; match text with WHERE toLower(n.name) CONTAINS toLower($text), or search by meaning with rvf.knn");
  }
  if (lower.startsWith('apoc.')) return unsupported(`the APOC procedure ${name}`, `write it in plain Cypher; ${others}`);
  return unsupported(`the procedure ${name}`, others);
}

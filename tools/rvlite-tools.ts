import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type QueryLanguage, type QueryParams, runQuery } from '../rvlite-bridge/run-query.ts';
import { LIMITS } from '../schemas/limits.ts';
import { inputs, outputs } from '../schemas/tools.ts';
import type { Extra, ToolContext } from './context.ts';
import { registerTool } from './register-tool.ts';
import { run } from './result.ts';

/**
 * SQL, Cypher and SPARQL over a store. They are listed in both modes: without
 * --write they only read (the engines refuse writes); with it they also
 * write, through the store's log.
 */
export function registerRvliteTools(server: McpServer, ctx: ToolContext): void {
  const { registry } = ctx;
  const write = registry.write;
  const limits =
    `Results are capped at ${LIMITS.maxQueryRows} rows and ${LIMITS.maxQueryResultBytes / 1024 / 1024} MiB (then truncated is true), ` +
    `and a query is stopped after ${LIMITS.queryTimeLimitMs / 1000} s.`;
  const annotations = write
    ? { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false }
    : { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  // SPARQL's input has no params; the one handler takes them where the schema has them.
  // The asker is the session (HTTP) or the one stdio client: query processes are shared fairly among askers.
  const answer =
    (lang: QueryLanguage) =>
    ({ store, query, params }: { store: string; query: string; params?: QueryParams }, extra: Extra) =>
      run(ctx, async () => ({
        store,
        ...(await runQuery(await registry.get(store), lang, query, params, { write, asker: extra.sessionId ?? 'stdio', signal: extra.signal })),
      }));
  const register = (name: string, lang: QueryLanguage, title: string, description: string): void => {
    registerTool(server, name, { title, description: `${description} ${limits}`, inputSchema: inputs[lang], outputSchema: outputs.rows, annotations }, answer(lang));
  };

  register(
    'rvlite_sql',
    'sql',
    'SQL over a store',
    'Runs one SQL statement (SQLite dialect) over the store. Table `vectors(id, metadata, epoch)` holds every vector id with its metadata JSON (use json_extract); ' +
      'the graph is in graph_nodes(id, props, vector_id), graph_labels(node_id, label), graph_rels(id, type, src, dst, props) and the triples in rdf_quads(s, p, o, g). ' +
      "Vector search joins in SQL: `SELECT v.id, k.distance, json_extract(v.metadata, '$.topic') FROM rvf_knn(?, 10) k JOIN vectors v ON v.id = k.id` with the query vector as the first param; rvf_knn(vector_json, k [, filter_json [, exact]]) gives (id, distance), from the store's approximate index when it has one (exact = 1 scans every vector), rvf_distance(id, vector_json) one distance. " +
      (write
        ? 'Writes: one INSERT, UPDATE, DELETE, REPLACE, CREATE, DROP or ALTER statement on your own tables per call, committed to the store file; the store tables are read-only to SQL (change vectors with rvf_* tools).'
        : 'This server is read-only: SELECT, WITH and VALUES only.'),
  );
  register(
    'rvlite_cypher',
    'cypher',
    'Cypher over the store graph',
    'Runs one Cypher query over the store\'s property graph (nodes with labels and properties, typed relationships). ' +
      'MATCH/OPTIONAL MATCH/WHERE/WITH/UNWIND/RETURN with aggregates, $params, and variable-length paths of at most ' + LIMITS.maxPathLength + ' hops: ' +
      '`-[:KNOWS*]->` or `*2..` (no upper bound) walks up to ' + LIMITS.maxPathLength + ' hops within the query time limit (' + LIMITS.queryTimeLimitMs / 1000 + ' s), and a longer bound such as `*1..' + (LIMITS.maxPathLength + 1) + '` is refused. ' +
      'Named paths `p = (a)-[:R*1..3]->(b)` with nodes(p), relationships(p), length(p) (a path is returned as {nodes, relationships}), shortestPath/allShortestPaths, pattern comprehensions `[(a)-->(b) WHERE ... | b.name]`, UNION / UNION ALL, EXISTS { } / COUNT { } / COLLECT { MATCH ... RETURN v }, and CALL { WITH x ... RETURN ... } (or CALL (x) { ... }) run once per row. ' +
      'Vector search: `CALL rvf.knn($vector, 10) YIELD id, distance MATCH (d:Doc {vector_id: id}) RETURN d.title, distance` joins nodes whose vector_id property is a vector id. ' +
      'To learn an unknown graph: `CALL db.labels()`, `CALL db.relationshipTypes()`, `CALL db.propertyKeys()`; elementId(n) is the id as text; vector.similarity.cosine(a, b) / .euclidean(a, b) score lists held as properties. No schema commands are needed (CREATE INDEX/CONSTRAINT and SHOW are refused), and labels and types are written literally (no `:$(expr)`). ' +
      (write ? 'Writes: CREATE, MERGE, SET, REMOVE, DELETE, DETACH DELETE, FOREACH, committed to the store file.' : 'This server is read-only: write clauses (FOREACH too) are refused.'),
  );
  register(
    'rvlite_sparql',
    'sparql',
    'SPARQL over the store triples',
    'Runs one SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE; property paths, OPTIONAL, FILTER, aggregates, named graphs) over the store\'s RDF quads; `sparql` holds the SPARQL JSON results. ' +
      (write ? 'SPARQL 1.1 Update (INSERT DATA, DELETE/INSERT WHERE, CLEAR, DROP) commits to the store file; LOAD and SERVICE are refused.' : 'This server is read-only: updates are refused.'),
  );
}

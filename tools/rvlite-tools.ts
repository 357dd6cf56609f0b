import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { runSql } from '../rvlite-bridge/sql.ts';
import { LIMITS } from '../schemas/limits.ts';
import { inputs, outputs } from '../schemas/tools.ts';
import type { ToolContext } from './context.ts';
import { run } from './result.ts';

/** The query languages over a store. SQL reads for now; Cypher and SPARQL follow. */
export function registerRvliteTools(server: McpServer, ctx: ToolContext): void {
  const { registry, log } = ctx;

  server.registerTool(
    'rvlite_sql',
    {
      title: 'SQL over a store',
      description:
        'Runs one SQL read (SELECT, WITH or VALUES; SQLite dialect) over the store. Table `vectors(id, metadata, epoch)` holds every vector id with its metadata JSON (use json_extract). ' +
        "Vector search joins in SQL: `SELECT v.id, k.distance, json_extract(v.metadata, '$.topic') FROM rvf_knn(?, 10) k JOIN vectors v ON v.id = k.id` with the query vector as the first param; rvf_knn(vector_json, k [, filter_json]) gives (id, distance), rvf_distance(id, vector_json) one distance. " +
        `Results are capped at ${LIMITS.maxQueryRows} rows and ${LIMITS.maxQueryResultBytes / 1024 / 1024} MiB (then truncated is true), and a query is stopped after ${LIMITS.queryTimeLimitMs / 1000} s. SQL writes are not available yet.`,
      inputSchema: inputs.sql,
      outputSchema: outputs.rows,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ store, query, params }) => run(log, async () => ({ store, ...(await runSql(await registry.get(store), query, params, { write: registry.write })) })),
  );
}

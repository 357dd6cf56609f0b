import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { inputs, outputs } from '../schemas/tools.ts';
import { progressOf, type ToolContext } from './context.ts';
import { registerTool } from './register-tool.ts';
import { run } from './result.ts';
import { ingestEntries, queryVector } from './vector-entries.ts';
import { RvfError } from '../store/errors.ts';
import { LIMITS } from '../schemas/limits.ts';
import { isEmptyFilter } from '../store/filter.ts';

/** Vectors in and out: ingest, query, delete, delete by filter. */

export function registerVectorTools(server: McpServer, ctx: ToolContext): void {
  const { registry } = ctx;

  registerTool(
    server,
    'rvf_query',
    {
      title: 'Nearest-neighbour search',
      description:
        'Returns the k vectors nearest to the query vector, nearest first, with their distances and metadata. A store with an approximate index (status `index.kind` "hnsw", built by default from ' + LIMITS.indexThreshold + ' vectors) answers from it by default (recall about 0.99+, every distance exact, new rows found at once); `exact: true` scans every vector instead. Give the vector as `vector` (a JSON array: simple) or `vector_b64` (base64 of little-endian float32: compact and fast). With `filter`, returns the top k among vectors whose metadata matches (only matching vectors, ever). Smaller distance is nearer for every metric. Ids come back as JSON numbers, or as decimal strings when above 2^53-1.',
      inputSchema: inputs.query,
      outputSchema: outputs.query,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (input) =>
      run(ctx, async () => ({ store: input.store, results: await (await registry.get(input.store)).query(queryVector(input), input.k, { exact: input.exact, ...(input.filter === undefined ? {} : { filter: input.filter }) }) })),
  );

  if (!registry.write) return;

  registerTool(
    server,
    'rvf_ingest',
    {
      title: 'Add or replace vectors',
      description:
        'Adds vectors with optional JSON metadata in one atomic, durable commit (all or none). An id that exists is replaced, vector and metadata. Two forms: `entries` [{id, vector or vector_b64, metadata}] (JSON arrays are the simple path), or `ids` + `vectors_b64` (+ `metadata`, one per id): every vector back to back as base64 of little-endian float32, the fast path for large batches (OpenAI embeddings with encoding_format "base64" pass straight through). Ids are integers, or decimal strings above 2^53-1.',
      inputSchema: inputs.ingest,
      outputSchema: outputs.ingest,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (input, extra) =>
      run(ctx, async () => {
        const { store } = input;
        const progress = progressOf(extra);
        const db = await registry.get(store);
        const entries = ingestEntries(input, input.entries === undefined ? (await db.status()).dimensions : 0);
        progress(0, entries.length);
        const result = await db.ingestBatch(entries, { signal: extra.signal });
        progress(entries.length, entries.length);
        return { store, ...result };
      }),
  );

  registerTool(
    server,
    'rvf_delete',
    {
      title: 'Delete vectors by id',
      description: 'Deletes vectors by id in one commit; ids that do not exist are skipped and counted out of `deleted`.',
      inputSchema: inputs.delete,
      outputSchema: outputs.delete,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ store, ids }) => run(ctx, async () => ({ store, ...(await (await registry.get(store)).delete(ids)) })),
  );

  registerTool(
    server,
    'rvf_delete_filter',
    {
      title: 'Delete vectors by metadata',
      description: 'Deletes every vector whose metadata matches `filter`, in one commit. An empty filter is refused: it would match everything.',
      inputSchema: inputs.deleteFilter,
      outputSchema: outputs.delete,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ store, filter }) =>
      run(ctx, async () => {
        // Refused here rather than by deleteByFilter, whose message names the library's delete(), not this server's rvf_delete.
        if (isEmptyFilter(filter)) {
          throw new RvfError('EINVAL', 'filter has no condition, so it would delete every vector; give at least one condition, or delete by id with rvf_delete.');
        }
        return { store, ...(await (await registry.get(store)).deleteByFilter(filter)) };
      }),
  );
}

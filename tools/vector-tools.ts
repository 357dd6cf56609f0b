import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { inputs, outputs } from '../schemas/tools.ts';
import { progressOf, type ToolContext } from './context.ts';
import { registerTool } from './register-tool.ts';
import { run } from './result.ts';
import { RvfError } from '../store/errors.ts';
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
        'Returns the k vectors nearest to `vector` (exact search), nearest first, with their distances and metadata. With `filter`, returns the exact top k among vectors whose metadata matches. Smaller distance is nearer for every metric. Ids come back as JSON numbers, or as decimal strings when above 2^53-1.',
      inputSchema: inputs.query,
      outputSchema: outputs.query,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ store, vector, k, filter }) =>
      run(ctx, async () => ({ store, results: await (await registry.get(store)).query(vector, k, filter === undefined ? {} : { filter }) })),
  );

  if (!registry.write) return;

  registerTool(
    server,
    'rvf_ingest',
    {
      title: 'Add or replace vectors',
      description:
        'Adds vectors with optional JSON metadata in one atomic, durable commit (all entries or none). An id that exists is replaced, vector and metadata. Ids are integers, or decimal strings above 2^53-1.',
      inputSchema: inputs.ingest,
      outputSchema: outputs.ingest,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ store, entries }, extra) =>
      run(ctx, async () => {
        const progress = progressOf(extra);
        progress(0, entries.length);
        const db = await registry.get(store);
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

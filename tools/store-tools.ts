import { basename } from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RvfDatabase } from '../store/database.ts';
import { inputs, outputs } from '../schemas/tools.ts';
import type { ToolContext } from './context.ts';
import { registerTool } from './register-tool.ts';
import { run } from './result.ts';

/** Store lifecycle and inspection: create, open, close, list, status, segments. */

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/** A store's status as tools show it: files named relative to the root, never by absolute path. */
export async function statusOf(store: string, db: RvfDatabase, replication?: ToolContext['replication']): Promise<Record<string, unknown>> {
  const { path, lineage, ...status } = await db.status();
  const refused = db.writeRefusal;
  const shown = { store, file: basename(path), ...status, ...(refused ? { writesRefused: refused.message } : {}), lineage: lineage && { ...lineage, parentPath: basename(lineage.parentPath) } };
  return replication ? { ...shown, replication: replication.status(store, status.epoch) } : shown;
}

export function registerStoreTools(server: McpServer, ctx: ToolContext): void {
  const { registry } = ctx;

  if (registry.write) {
    registerTool(
      server,
      'rvf_create_store',
      {
        title: 'Create a vector store',
        description:
          'Creates a new store under the root, named like "notes", for vectors of a fixed length. Pick the metric your embedding model was trained for: cosine (the default) for most text embeddings, dotproduct for models that say so, l2 for raw geometric data. With `index` "auto" (the default) the store keeps an approximate index once it is large; "none" keeps every query an exact scan. The store stays open for this server.',
        inputSchema: inputs.createStore,
        outputSchema: outputs.status,
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      ({ store, dimensions, metric, index }) =>
        run(ctx, async () => statusOf(store, await registry.create(store, { dimensions, metric, index }))),
    );
  }

  registerTool(
    server,
    'rvf_open_store',
    {
      title: 'Open a store',
      description: `Opens a store so later calls are fast (stores also open on first use) and returns its status.${registry.write ? ' This server writes, so opening takes the store\'s writer lease until rvf_close_store or exit.' : ''}`,
      inputSchema: inputs.store,
      outputSchema: outputs.status,
      annotations: READ,
    },
    ({ store }) => run(ctx, async () => statusOf(store, await registry.get(store))),
  );

  registerTool(
    server,
    'rvf_close_store',
    {
      title: 'Close a store',
      description: 'Closes a store, freeing its memory and, on a writing server, its writer lease so another process can write.',
      inputSchema: inputs.store,
      outputSchema: outputs.close,
      annotations: READ,
    },
    ({ store }) => run(ctx, async () => ({ store, closed: await registry.close(store) })),
  );

  registerTool(
    server,
    'rvf_list_stores',
    {
      title: 'List stores',
      description: 'Lists every store under the root, open or not, with its dimension, metric, vector count and epoch.',
      inputSchema: inputs.none,
      outputSchema: outputs.list,
      annotations: READ,
    },
    () => run(ctx, async () => ({ root: registry.root, stores: await registry.list() })),
  );

  registerTool(
    server,
    'rvf_status',
    {
      title: 'Store status',
      description: 'Vector count, dimension, metric, epoch (it rises by one per commit), file size, segments, dead space, lineage, and the approximate index (how many vectors it covers, how many are pending) of one store.',
      inputSchema: inputs.store,
      outputSchema: outputs.status,
      annotations: READ,
    },
    ({ store }) => run(ctx, async () => statusOf(store, await registry.get(store), ctx.replication)),
  );

  registerTool(
    server,
    'rvf_segments',
    {
      title: 'Store segments',
      description: 'The committed segments of a store file (type, offset, length, epoch): what is on disk, for inspection.',
      inputSchema: inputs.store,
      outputSchema: outputs.segments,
      annotations: READ,
    },
    ({ store }) => run(ctx, async () => ({ store, segments: await (await registry.get(store)).segments() })),
  );
}

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { basename } from 'node:path';
import { inputs, outputs } from '../schemas/tools.ts';
import { storeLabel } from '../store/registry.ts';
import { progressOf, type ToolContext } from './context.ts';
import { registerTool } from './register-tool.ts';
import { run } from './result.ts';

/** Whole-file work: derive a child, compact, export. Each reports progress and honours cancellation. */

export function registerMaintenanceTools(server: McpServer, ctx: ToolContext): void {
  const { registry } = ctx;
  if (!registry.write) return;

  registerTool(
    server,
    'rvf_derive',
    {
      title: 'Derive a child store',
      description:
        "Writes a new store `child` holding this store's live vectors and metadata, recording its lineage (parent, parent epoch, SHA-256 of the parent). Use it to branch a memory before experimenting.",
      inputSchema: inputs.derive,
      outputSchema: outputs.derive,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ store, child }, extra) =>
      run(ctx, async () => {
        const db = await registry.get(store);
        const childPath = registry.pathForNew(child, 'child');
        const r = await db.derive(childPath, { onProgress: progressOf(extra), signal: extra.signal, displayName: storeLabel(child) });
        return { store, child, totalVectors: r.totalVectors, epoch: r.epoch, lineage: { ...r.lineage, parentPath: basename(r.lineage.parentPath) } };
      }),
  );

  registerTool(
    server,
    'rvf_compact',
    {
      title: 'Compact a store',
      description: 'Rewrites the store file without deleted and replaced rows (crash-safe: a new file replaces the old one atomically). Answers do not change.',
      inputSchema: inputs.store,
      outputSchema: outputs.compact,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ store }, extra) =>
      run(ctx, async () => ({ store, ...(await (await registry.get(store)).compact({ onProgress: progressOf(extra), signal: extra.signal })) })),
  );

  registerTool(
    server,
    'rvf_rebuild',
    {
      title: 'Rebuild a store cache and index',
      description:
        'Rebuilds the store\'s SQLite cache from its .rvf file alone: vectors, metadata, SQL tables, graph and triples (the file records every committed change), then its approximate index (reporting progress). ' +
        'For a cache or index that is missing, damaged or suspect; both also rebuild by themselves on open when needed. Answers do not change.',
      inputSchema: inputs.store,
      outputSchema: outputs.rebuild,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ store }, extra) =>
      run(ctx, async () => {
        const db = await registry.get(store);
        const progress = progressOf(extra);
        const cache = await db.rebuildCache();
        // The index's progress counts vectors in the graph; a first report says the rebuild is under way.
        progress(0, cache.vectors);
        const index = await db.rebuildIndex({ onProgress: progress, signal: extra.signal });
        return { store, ...cache, index };
      }),
  );

  registerTool(
    server,
    'rvf_export',
    {
      title: 'Export a store',
      description: 'Writes a standalone, compacted copy of the store under the root as `target` (a store name); it refuses to overwrite an existing store.',
      inputSchema: inputs.export,
      outputSchema: outputs.export,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ store, target }, extra) =>
      run(ctx, async () => {
        const db = await registry.get(store);
        const r = await db.export(registry.pathForNew(target, 'copy'), { onProgress: progressOf(extra), signal: extra.signal, displayName: storeLabel(target) });
        return { store, target, totalVectors: r.totalVectors, fileSizeBytes: r.fileSizeBytes };
      }),
  );
}

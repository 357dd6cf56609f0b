import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { EmbedderConfig } from '../schemas/embedder.ts';
import { memoryInputs, memoryOutputs } from '../schemas/memory.ts';
import { createEmbedder } from '../store/embedders/create.ts';
import type { Embedder } from '../store/embedders/embedder.ts';
import { isRvfError, RvfError } from '../store/errors.ts';
import type { RvfDatabase } from '../store/database.ts';
import type { StoreRegistry } from '../store/registry.ts';
import { checkEntries, memoryStoreOptions, recall, remember, type MemoryEntry } from '../store/text-memory.ts';
import type { ToolContext } from './context.ts';
import { registerTool } from './register-tool.ts';
import { run } from './result.ts';

/** Text memory: remember notes as text and recall the nearest ones, with the server's embedder. */

/**
 * One embedder per configuration, made on first use: HTTP builds a server per
 * session from one context, and a remote embedder should be probed once, not
 * per session. A failed probe is forgotten, so the next call tries again
 * (the embeddings server may have been started since).
 */
const embedders = new WeakMap<EmbedderConfig, Promise<Embedder>>();

function embedderFor(config: EmbedderConfig): Promise<Embedder> {
  let making = embedders.get(config);
  if (!making) {
    making = createEmbedder(config);
    embedders.set(config, making);
    making.catch(() => embedders.delete(config));
  }
  return making;
}

export function registerMemoryTools(server: McpServer, ctx: ToolContext): void {
  const { registry } = ctx;

  registerTool(
    server,
    'rvf_recall',
    {
      title: 'Recall notes by text',
      description:
        'Returns the k remembered notes nearest to `text` (default 5), nearest first, with their text, your metadata and the cosine distance. The server\'s embedder must be the one the store was made with. With `filter`, searches only notes whose metadata matches.' +
        (ctx.embedder.kind === 'lexical'
          ? ' This server embeds with lexical-v1: it matches shared words and word fragments, not meaning, so search with the words the note would use.'
          : ''),
      inputSchema: memoryInputs.recall,
      outputSchema: memoryOutputs.recall,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: ctx.embedder.kind === 'openai' },
    },
    ({ store, text, k, filter }) =>
      run(ctx, async () => {
        const db = await registry.get(store);
        const embedder = await embedderFor(ctx.embedder);
        return { store, embedder: embedder.identity, results: await recall(db, embedder, text, k, filter) };
      }),
  );

  if (!registry.write) return;

  registerTool(
    server,
    'rvf_remember',
    {
      title: 'Remember notes as text',
      description:
        'Stores `text` (or each of `entries`) with optional JSON metadata, embedded by this server, in one atomic commit. Creates the store on first use for the server\'s embedder. Remembering the same text again replaces its entry and metadata instead of adding a copy. A text is at most 32 KiB; the key "text" in metadata is reserved.',
      inputSchema: memoryInputs.remember,
      outputSchema: memoryOutputs.remember,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: ctx.embedder.kind === 'openai' },
    },
    ({ store, text, metadata, entries }) =>
      run(ctx, async () => {
        const items = entriesOf(text, metadata, entries);
        checkEntries(items); // before a first use creates the store: bad input leaves no empty store behind
        const embedder = await embedderFor(ctx.embedder);
        const { db, created } = await memoryStore(registry, store, embedder);
        const result = await remember(db, embedder, items);
        return { store, ...result, created, embedder: embedder.identity };
      }),
  );
}

function entriesOf(text: string | undefined, metadata: Record<string, unknown> | undefined, entries: MemoryEntry[] | undefined): MemoryEntry[] {
  if (entries !== undefined && (text !== undefined || metadata !== undefined)) {
    throw new RvfError('EINVAL', 'pass either text (with metadata) or entries, not both.');
  }
  if (entries !== undefined) return entries;
  if (text === undefined) throw new RvfError('EINVAL', 'pass the text to remember (or entries: [{text, metadata?}]).');
  return [metadata === undefined ? { text } : { text, metadata }];
}

/** The store, made for `embedder` when it does not exist yet; a concurrent first use that made it wins. */
async function memoryStore(registry: StoreRegistry, store: string, embedder: Embedder): Promise<{ db: RvfDatabase; created: boolean }> {
  try {
    return { db: await registry.get(store), created: false };
  } catch (err) {
    if (!isRvfError(err) || err.code !== 'ENOENT') throw err;
  }
  try {
    return { db: await registry.create(store, memoryStoreOptions(embedder)), created: true };
  } catch (err) {
    if (isRvfError(err) && err.code === 'EEXIST') return { db: await registry.get(store), created: false };
    throw err;
  }
}

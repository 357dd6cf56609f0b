import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { embedderConfigFrom } from '../../schemas/embedder.ts';
import { createEmbedder, type Embedder } from '../../store/embedders/index.ts';
import { createMemoryStore, recall, remember } from '../../store/text-memory.ts';
import { parseJsonOption, parsePositiveInt, withStore } from './open-store.ts';
import { CliError, printer, table } from './output.ts';

/**
 * remember and recall: text memory. The embedder is the built-in lexical one
 * unless --embedder-url/--embedder-model (or RVF_EMBEDDER_URL/MODEL) name an
 * OpenAI-compatible endpoint; a store records which one made it.
 */
export function registerMemoryCommands(program: Command, json: () => boolean): void {
  const embedderOptions = (c: Command): Command =>
    c
      .option('--embedder-url <url>', 'OpenAI-compatible embeddings endpoint, e.g. http://127.0.0.1:11434/v1 (default: built-in lexical-v1)')
      .option('--embedder-model <model>', 'model name for --embedder-url');

  const embedderOf = async (o: { embedderUrl?: string; embedderModel?: string }): Promise<Embedder> => {
    const config = embedderConfigFrom({ url: o.embedderUrl, model: o.embedderModel }, process.env);
    if (!config.success) throw new CliError(`${config.error.issues[0]?.message ?? 'invalid embedder options'}.`);
    return createEmbedder(config.data);
  };

  embedderOptions(
    program
      .command('remember <path> <text>')
      .description('remember a text (made into a vector by the embedder); creates the store on first use')
      .option('--metadata <json>', 'metadata to keep with the text, e.g. \'{"source": "meeting"}\''),
  ).action(async (path: string, text: string, o: { metadata?: string; embedderUrl?: string; embedderModel?: string }) => {
    const metadata = parseJsonOption(o.metadata, '--metadata');
    if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
      throw new CliError('--metadata must be a JSON object.');
    }
    const embedder = await embedderOf(o);
    const entry = { text, ...(metadata ? { metadata: metadata as Record<string, unknown> } : {}) };
    const abs = resolve(path);
    const r = existsSync(abs)
      ? await withStore(path, 'write', (db) => remember(db, embedder, [entry]))
      : await (async () => {
          const db = await createMemoryStore(abs, embedder);
          try {
            return await remember(db, embedder, [entry]);
          } finally {
            await db.close();
          }
        })();
    printer(json()).result(r, () => `remembered as id ${String(r.ids[0])}${r.replaced ? ' (replacing the same text)' : ''}, epoch ${r.epoch}`);
  });

  embedderOptions(
    program
      .command('recall <path> <text>')
      .description('the remembered texts nearest to a text')
      .option('--k <k>', 'how many', '5')
      .option('--filter <json>', 'metadata filter, e.g. \'{"source": "meeting"}\''),
  ).action(async (path: string, text: string, o: { k: string; filter?: string; embedderUrl?: string; embedderModel?: string }) => {
    const k = parsePositiveInt(o.k, '--k');
    const filter = parseJsonOption(o.filter, '--filter');
    const embedder = await embedderOf(o);
    await withStore(path, 'read', async (db) => {
      const hits = await recall(db, embedder, text, k, filter);
      printer(json()).result(hits, () => table(['id', 'distance', 'text', 'metadata'], hits.map((h) => [h.id, h.distance, h.text, h.metadata])));
    });
  });
}

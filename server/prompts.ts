import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Prompts that help an agent use the store well. */
export function registerPrompts(server: McpServer): void {
  const say = (text: string) => ({ messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }] });

  server.registerPrompt(
    'choose-metric',
    {
      title: 'Choose a distance metric',
      description: 'How to pick cosine, dotproduct or l2 for a new store, given the embedding model.',
      argsSchema: { model: z.string().optional().describe('The embedding model, e.g. all-MiniLM-L6-v2') },
    },
    ({ model }) =>
      say(
        `I am about to call rvf_create_store for embeddings${model ? ` from ${model}` : ''}. Help me choose the metric:\n` +
          '- cosine (the default): for text and image embeddings compared by angle, which is most of them; it ignores vector length.\n' +
          '- dotproduct: only when the model card says to use inner product (some retrieval models are trained for it); longer vectors rank higher.\n' +
          '- l2 (squared euclidean): for geometric data where absolute position matters; for unit-length vectors it ranks like cosine.\n' +
          'The dimension must equal the model output length (384 for all-MiniLM-L6-v2, 768 for most base models, 1536 for text-embedding-3-small). ' +
          'The metric cannot change later; to switch, create a new store and ingest again.',
      ),
  );

  server.registerPrompt(
    'search-then-filter',
    {
      title: 'Search, then narrow with metadata',
      description: 'How to combine nearest-neighbour search with metadata filters on one store.',
      argsSchema: { store: z.string().describe('Store name'), question: z.string().describe('What you are looking for') },
    },
    ({ store, question }) =>
      say(
        `Find what answers "${question}" in store ${store}:\n` +
          `1. Call rvf_status for ${store} to learn its dimension and metric, then embed the question with the same model the store was filled with.\n` +
          '2. Call rvf_query with the vector and k = 10 and no filter; read the metadata of the results to learn which fields exist.\n' +
          '3. If results are off-topic, call rvf_query again with a filter on those fields, e.g. {"topic": "rust"} or {"year": {"$gte": 2023}}; the filtered search is exact: it returns the true top k among matching vectors.\n' +
          '4. Smaller distance is nearer. Quote the ids you rely on so the user can check them.',
      ),
  );

  server.registerPrompt(
    'remember',
    {
      title: 'Write memories that can be found again',
      description: 'How to ingest memories with ids and metadata that keep them findable and updatable.',
      argsSchema: { store: z.string().describe('Store name') },
    },
    ({ store }) =>
      say(
        `When you save memories to ${store} with rvf_ingest:\n` +
          '- Give every memory a stable integer id (e.g. a hash or counter you keep); ingesting the same id again replaces it, which is how you update a memory.\n' +
          '- Put what you will filter on in metadata as flat fields: {"kind": "decision", "project": "x", "ts": 1732700000}. Keep the text itself short or a reference.\n' +
          '- Send many entries per call (up to thousands): one call is one atomic, durable commit.\n' +
          '- To forget, use rvf_delete with ids, or rvf_delete_filter with a filter such as {"project": "x"}.',
      ),
  );
}

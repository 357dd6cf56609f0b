import type { EmbedderConfig } from '../../schemas/embedder.ts';
import type { Embedder } from './embedder.ts';
import { LexicalEmbedder } from './lexical.ts';
import { createOpenAiEmbedder } from './openai.ts';

/** The embedder a config names; an OpenAI-compatible one is probed once for its dimension. */
export async function createEmbedder(config: EmbedderConfig): Promise<Embedder> {
  switch (config.kind) {
    case 'lexical':
      return new LexicalEmbedder();
    case 'openai':
      return createOpenAiEmbedder({ url: config.url, model: config.model, apiKey: config.apiKey });
  }
}

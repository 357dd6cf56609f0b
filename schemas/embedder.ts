import { z } from 'zod';

/**
 * Which embedder turns text into vectors for text memory (rvf_remember,
 * rvf_recall, `rvf remember|recall`): the built-in lexical one, or an
 * OpenAI-compatible embeddings endpoint such as a local Ollama.
 */
export const EmbedderConfig = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lexical') }),
  z.object({
    kind: z.literal('openai'),
    url: z.url({ error: '--embedder-url must be an http(s) URL such as http://127.0.0.1:11434/v1' }),
    model: z.string().min(1, { error: '--embedder-model is needed with --embedder-url' }),
    apiKey: z.string().optional(),
  }),
]);
export type EmbedderConfig = z.infer<typeof EmbedderConfig>;

/** From flags and the environment (RVF_EMBEDDER_URL, RVF_EMBEDDER_MODEL, RVF_EMBEDDER_API_KEY); flags win. */
export function embedderConfigFrom(flags: { url?: string; model?: string }, env: NodeJS.ProcessEnv): z.ZodSafeParseResult<EmbedderConfig> {
  const url = flags.url ?? env['RVF_EMBEDDER_URL'];
  const model = flags.model ?? env['RVF_EMBEDDER_MODEL'];
  if (url === undefined && model === undefined) return EmbedderConfig.safeParse({ kind: 'lexical' });
  return EmbedderConfig.safeParse({ kind: 'openai', url, model, apiKey: env['RVF_EMBEDDER_API_KEY'] });
}

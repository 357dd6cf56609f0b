import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { StoreName } from './store-name.ts';
import { Filter, IdOutput, Metadata } from './tools.ts';

/**
 * Input and output schemas of the text-memory tools (rvf_remember,
 * rvf_recall). Text length is checked by store/text-memory.ts in UTF-8 bytes,
 * so an over-long text gets ELIMIT with its size rather than a zod message.
 */

/** Texts in one rvf_remember call: a remote embedder sees them in requests of 64, and a tool call should not run for minutes. */
export const MAX_REMEMBER_TEXTS = 1_000;

const Text = z.string({ error: 'text must be a string' }).min(1, { error: 'text must not be empty' });

const MemoryMetadata = Metadata.describe('Your own JSON metadata kept with the text (any keys but "text"), for filters and context');

const MemoryEntry = z.object({ text: Text.describe('A note to remember'), metadata: MemoryMetadata.optional() });

const K = z
  .number({ error: `k must be an integer from 1 to ${LIMITS.maxK}` })
  .int({ error: `k must be an integer from 1 to ${LIMITS.maxK}` })
  .min(1, { error: `k must be an integer from 1 to ${LIMITS.maxK}` })
  .max(LIMITS.maxK, { error: `k is at most ${LIMITS.maxK} (the limit); ask for fewer results` });

export const memoryInputs = {
  remember: {
    store: StoreName,
    text: Text.optional().describe('The note to remember; or pass `entries` for several at once'),
    metadata: MemoryMetadata.optional(),
    entries: z
      .array(MemoryEntry, { error: 'entries must be an array of {text, metadata?}' })
      .min(1, { error: 'entries must hold at least one entry' })
      .max(MAX_REMEMBER_TEXTS, { error: `one call remembers at most ${MAX_REMEMBER_TEXTS} texts; split them` })
      .optional()
      .describe('Several notes in one atomic commit, instead of `text` and `metadata`'),
  },
  recall: {
    store: StoreName,
    text: Text.describe('What to look for'),
    k: K.default(5).describe(`How many notes to return (1 to ${LIMITS.maxK}, default 5)`),
    filter: Filter.optional(),
  },
};

const EmbedderOutput = z.object({ name: z.string(), dimensions: z.number() }).describe('The embedder that turned the text into vectors');

export const memoryOutputs = {
  remember: {
    store: z.string(),
    ids: z.array(IdOutput).describe('One id per text, in order: derived from the text, so the same text again replaces its entry'),
    replaced: z.number().describe('How many texts were already remembered and were replaced'),
    epoch: z.number(),
    created: z.boolean().describe('true when this call created the store'),
    embedder: EmbedderOutput,
  },
  recall: {
    store: z.string(),
    embedder: EmbedderOutput,
    results: z.array(
      z.object({
        id: IdOutput,
        distance: z.number().describe('Cosine distance (1 - cosine similarity): 0 is the same text, smaller is nearer'),
        text: z.string(),
        metadata: Metadata.nullable(),
      }),
    ),
  },
};

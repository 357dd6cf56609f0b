import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { StoreName } from './store-name.ts';
import { optional, withDefault } from './optional.ts';
import { Filter, FILTER_HELP, IdOutput, K, Metadata, StoredMetadata } from './tools.ts';

/**
 * Input and output schemas of the text-memory tools (rvf_remember,
 * rvf_recall). Text length is checked by store/text-memory.ts in UTF-8 bytes,
 * so an over-long text gets ELIMIT with its size rather than a zod message.
 */

/** Texts in one rvf_remember call: a remote embedder sees them in requests of 64, and a tool call should not run for minutes. */
export const MAX_REMEMBER_TEXTS = 1_000;

// Not .min(1): minLength is outside what strict function calling takes, so the descriptions state it.
const Text = z.string({ error: 'text must be a string' }).refine((s) => s.length > 0, { error: 'text must not be empty' });

const TEXT_RULE = 'not empty, at most 32 KiB of UTF-8';
const METADATA_HELP = 'Your own JSON object kept with the text (any keys but "text"), for filters and context; null for none';

const MemoryEntry = z.strictObject({
  text: Text.describe(`A note to remember, ${TEXT_RULE}`),
  metadata: optional(Metadata).describe(METADATA_HELP),
});

export const memoryInputs = {
  remember: z.strictObject({
    store: StoreName,
    text: optional(Text).describe(`The note to remember, ${TEXT_RULE}. Give either text (with metadata) or entries, not both; null when entries is given`),
    metadata: optional(Metadata).describe(`${METADATA_HELP}. Goes with text; null when entries is given`),
    entries: optional(
      z
        .array(MemoryEntry, { error: 'entries must be an array of {text, metadata}' })
        .min(1, { error: 'entries must hold at least one entry' })
        .max(MAX_REMEMBER_TEXTS, { error: `one call remembers at most ${MAX_REMEMBER_TEXTS} texts; split them` }),
    ).describe(
      `Several notes in one atomic commit (1 to ${MAX_REMEMBER_TEXTS}), instead of text and metadata; null when text is given`,
    ),
  }),
  recall: z.strictObject({
    store: StoreName,
    text: Text.describe(`What to look for, ${TEXT_RULE}`),
    k: withDefault(K, 5).describe(`How many notes to return, an integer from 1 to ${LIMITS.maxK}; null means 5`),
    filter: optional(Filter).describe(`${FILTER_HELP}; null for none`),
  }),
};

const EmbedderOutput = z.object({ name: z.string(), dimensions: z.number() }).describe('The embedder that turned the text into vectors');

export const memoryOutputs = {
  remember: z.object({
    store: z.string(),
    ids: z.array(IdOutput).describe('One id per text, in order: derived from the text, so the same text again replaces its entry'),
    replaced: z.number().describe('How many texts were already remembered and were replaced'),
    epoch: z.number(),
    created: z.boolean().describe('true when this call created the store'),
    embedder: EmbedderOutput,
  }),
  recall: z.object({
    store: z.string(),
    embedder: EmbedderOutput,
    results: z.array(
      z.object({
        id: IdOutput,
        distance: z.number().describe('Cosine distance (1 - cosine similarity): 0 is the same text, smaller is nearer'),
        text: z.string(),
        metadata: StoredMetadata.nullable(),
      }),
    ),
  }),
};

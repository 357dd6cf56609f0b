import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { idToJson, RvfDatabase } from './database.ts';
import { RvfError } from './errors.ts';
import type { Embedder } from './embedders/embedder.ts';
import type { CreateOptions, Id, IdInput, Metadata, OpenOptions } from './types.ts';
import { LIMITS } from '../schemas/limits.ts';
import { encodeMetadata } from '../wasm/validate.ts';

/**
 * Text memory: remember texts and recall the nearest ones to a text, on a
 * store that records which embedder made its vectors.
 *
 * - The text is kept in the metadata under the reserved key `text`; a caller's
 *   own metadata keeps its keys beside it, and a caller key named `text` is
 *   refused rather than silently overwritten.
 * - Without an explicit id, the id is the first 63 bits of SHA-256 of the exact
 *   text (UTF-8), so remembering the same text again REPLACES the entry (its
 *   metadata too) instead of adding a duplicate. Texts that differ in any
 *   character, case or whitespace are different texts with different ids.
 * - Every remember and recall first checks that the store was made with this
 *   embedder (name and dimension): vectors of two models are not comparable.
 * - Nothing is written unless every text was embedded and checked: one
 *   remember is one atomic commit.
 */

/** The metadata key that holds the remembered text. */
export const TEXT_KEY = 'text';

/** One text is at most this many UTF-8 bytes; the whole metadata must also fit LIMITS.maxMetadataBytes. */
export const MAX_TEXT_BYTES = 32 * 1024;

export interface MemoryEntry {
  text: string;
  metadata?: Metadata | null;
  id?: IdInput;
}

export interface RememberResult {
  ids: Id[];
  /** How many of the entries replaced an entry that already existed (e.g. the same text again). */
  replaced: number;
  epoch: number;
}

export interface Recollection {
  id: Id;
  distance: number;
  text: string;
  /** The caller's own metadata (without the text), or null when there was none. */
  metadata: Metadata | null;
}

/** Options that make a store for `embedder`: its dimension, cosine, and its identity recorded in the file. */
export function memoryStoreOptions(embedder: Embedder): CreateOptions {
  return { dimensions: embedder.identity.dimensions, metric: 'cosine', embedder: embedder.identity };
}

/** Creates a text-memory store at `path` for `embedder`; the caller holds its writer lease until close(). */
export function createMemoryStore(path: string, embedder: Embedder, open: OpenOptions = {}): Promise<RvfDatabase> {
  return RvfDatabase.create(path, memoryStoreOptions(embedder), open);
}

/** The default id of a text: the first 63 bits of SHA-256 of its UTF-8 bytes, as the store returns ids. */
export function textId(text: string): Id {
  return idToJson(createHash('sha256').update(text, 'utf8').digest().readBigUInt64BE(0) >> 1n);
}

export async function remember(db: RvfDatabase, embedder: Embedder, entries: MemoryEntry[]): Promise<RememberResult> {
  const prepared = checkEntries(entries);
  await assertSameEmbedder(db, embedder);
  const vectors = await embedFor(embedder, prepared.map((p) => p.text));
  const result = await db.ingestBatch(prepared.map((p, i) => ({ id: p.id, vector: vectors[i] as Float32Array, metadata: p.metadata })));
  // The store has checked every id by now, so they convert safely to the form it returns.
  return { ids: prepared.map((p) => idToJson(BigInt(p.id))), replaced: result.replaced, epoch: result.epoch };
}

export async function recall(db: RvfDatabase, embedder: Embedder, text: string, k: number, filter?: unknown): Promise<Recollection[]> {
  checkText(text, 'text');
  await assertSameEmbedder(db, embedder);
  const [vector] = await embedFor(embedder, [text]);
  const results = await db.query(vector as Float32Array, k, filter === undefined ? {} : { filter });
  return results.map(({ id, distance, metadata }) => {
    const { [TEXT_KEY]: stored, ...own } = metadata ?? {};
    return { id, distance, text: typeof stored === 'string' ? stored : '', metadata: Object.keys(own).length > 0 ? own : null };
  });
}

/** Refuses a store made without an embedder, or with another one, in one sentence that says what to do. */
export async function assertSameEmbedder(db: RvfDatabase, embedder: Embedder): Promise<void> {
  const status = await db.status();
  const mine = embedder.identity;
  const name = basename(status.path).replace(/\.rvf$/, '');
  const uses = `this server uses ${mine.name} (${mine.dimensions}-d)`;
  if (status.embedder === null) {
    throw new RvfError('EINVAL', `store ${name} holds plain vectors (${status.dimensions}-d), not text memory; ${uses}; remember into a new store, or use rvf_query with your own vectors.`);
  }
  const theirs = status.embedder;
  if (theirs.name !== mine.name || theirs.dimensions !== mine.dimensions) {
    throw new RvfError(
      'EINVAL',
      `store ${name} was made with embedder ${theirs.name} (${theirs.dimensions}-d); ${uses}; recall with the same embedder or make a new store.`,
    );
  }
}

/**
 * Checks entries as remember would (texts, sizes, the reserved key) without
 * touching a store, so a caller about to create one can refuse bad input first.
 */
export function checkEntries(entries: MemoryEntry[]): PreparedEntry[] {
  if (!Array.isArray(entries) || entries.length === 0) throw new RvfError('EINVAL', 'remember needs at least one {text, metadata?} entry.');
  if (entries.length > LIMITS.maxBatchEntries) {
    throw new RvfError('ELIMIT', `one remember holds at most ${LIMITS.maxBatchEntries} texts, got ${entries.length}; split it.`);
  }
  return entries.map((e, i) => {
    const prepared = prepare(e, entries.length === 1 ? 'text' : `entries[${i}]`);
    // The ingest's own metadata check (size, a "__proto__" key), with its words, so a
    // refusal comes before a first use creates the store.
    encodeMetadata(prepared.metadata, `entries[${i}]`);
    return prepared;
  });
}

export interface PreparedEntry {
  id: Id | IdInput;
  text: string;
  metadata: Metadata;
}

function prepare(entry: MemoryEntry, where: string): PreparedEntry {
  if (entry === null || typeof entry !== 'object') throw new RvfError('EINVAL', `${where} must be an object {text, metadata?}.`);
  checkText(entry.text, `${where}.text`);
  const own = entry.metadata ?? {};
  if (typeof own !== 'object' || Array.isArray(own)) throw new RvfError('EINVAL', `${where}.metadata must be a JSON object.`);
  if (Object.hasOwn(own, TEXT_KEY)) {
    throw new RvfError('EINVAL', `${where}.metadata has a key "${TEXT_KEY}", which text memory keeps for the text itself; rename it.`);
  }
  return { id: entry.id ?? textId(entry.text), text: entry.text, metadata: { ...own, [TEXT_KEY]: entry.text } };
}

function checkText(text: unknown, where: string): asserts text is string {
  if (typeof text !== 'string' || text.trim() === '') throw new RvfError('EINVAL', `${where} must be a non-empty string.`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TEXT_BYTES) {
    throw new RvfError('ELIMIT', `${where} is ${bytes} bytes, over the ${MAX_TEXT_BYTES}-byte limit for one text; split it into smaller notes.`);
  }
}

/** Embeds and checks the count and dimension, whatever the embedder, before anything reaches the store. */
async function embedFor(embedder: Embedder, texts: string[]): Promise<Float32Array[]> {
  const vectors = await embedder.embed(texts);
  const dims = embedder.identity.dimensions;
  if (vectors.length !== texts.length || vectors.some((v) => v.length !== dims)) {
    throw new RvfError('EIO', `embedder ${embedder.identity.name} returned ${vectors.length} vectors for ${texts.length} texts, or vectors not ${dims}-d; nothing was written.`);
  }
  return vectors;
}

import { RvfError } from '../errors.ts';
import type { EmbedderIdentity } from '../types.ts';
import type { Embedder } from './embedder.ts';
import { hash32 } from './hash.ts';

/**
 * lexical-v1: the built-in embedder. Local, deterministic, no network, no model.
 *
 * WHAT IT IS: a hashed bag of surface features. The text is Unicode-normalised
 * (NFKC) and lowercased; its features are the words (runs of letters, marks
 * and digits), adjacent word pairs, and character 3-, 4- and 5-grams of the
 * words joined by single spaces. Each feature is hashed into one of 384 slots
 * with a sign taken from another bit of the hash (so collisions cancel out on
 * average instead of piling up), weighted 1 + ln(count) (sublinear: a word
 * repeated ten times is not ten times as important), each feature kind scaled
 * to unit length and given its share, and the sum normalised to unit length.
 * Cosine similarity then measures shared words and shared word fragments.
 *
 * WHAT IT IS NOT: it has no idea what words mean. No synonyms ("car" is not
 * near "automobile"), no paraphrase, no translation, no world knowledge; two
 * texts about the same thing in different words are far apart. It is good for
 * recalling near-duplicates and notes that share keywords, names, identifiers
 * or word stems (the character n-grams match "migrate" with "migration"),
 * which is much of what an agent looks up in its own notes. For meaning, run
 * an OpenAI-compatible embeddings server (e.g. `ollama serve`) and pass
 * --embedder-url / --embedder-model.
 *
 * The vector is a pure function of the text and these constants: it is the
 * same in every process, on every platform and in every Node version. Changing
 * anything here changes the vectors and must get a new name (lexical-v2),
 * because stores record the name and refuse a different embedder.
 */

export const LEXICAL_V1: EmbedderIdentity = { name: 'lexical-v1', dimensions: 384 };

/**
 * Shares of the three feature kinds. Chosen on test/fixtures/memory-labelled.json
 * (recall@5 0.90 to 0.93 for any nearby choice; word pairs weighed equal to words
 * scored 0.86): pairs reward the same phrase, but a little goes a long way.
 */
const WORD_WEIGHT = 1.0;
const PAIR_WEIGHT = 0.25;
const CHAR_WEIGHT = 1.25;

/** Seeds that keep the feature kinds apart in hash space. */
const WORD_SEED = 1;
const PAIR_SEED = 2;
const CHAR_SEED = 3;

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

export class LexicalEmbedder implements Embedder {
  readonly identity: EmbedderIdentity = LEXICAL_V1;

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text, i) => lexicalVector(text, `texts[${i}]`));
  }
}

/** The lexical-v1 vector of one text. Empty or whitespace-only text is EINVAL: it has no features. */
export function lexicalVector(text: string, where = 'text'): Float32Array {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new RvfError('EINVAL', `${where} is empty; remember or recall needs some text.`);
  }
  const normal = text.normalize('NFKC').toLowerCase();
  const words = normal.match(WORD) ?? [];
  const out = new Float64Array(LEXICAL_V1.dimensions);

  addFeatures(out, words, WORD_SEED, WORD_WEIGHT);
  const pairs: string[] = [];
  for (let i = 1; i < words.length; i++) pairs.push(`${words[i - 1]} ${words[i]}`);
  addFeatures(out, pairs, PAIR_SEED, PAIR_WEIGHT);
  // Text with no words at all (only punctuation or symbols) still has characters to compare.
  const joined = words.length > 0 ? words.join(' ') : normal.trim().replace(/\s+/g, ' ');
  addFeatures(out, charGrams(` ${joined} `), CHAR_SEED, CHAR_WEIGHT);

  return unitFloat32(out, normal);
}

/** Character 3-, 4- and 5-grams by code point, so a surrogate pair is never split. */
function charGrams(padded: string): string[] {
  const points = Array.from(padded);
  const grams: string[] = [];
  for (let n = 3; n <= 5; n++) {
    for (let i = 0; i + n <= points.length; i++) grams.push(points.slice(i, i + n).join(''));
  }
  return grams;
}

/** Adds one feature kind: sublinear counts, scaled to length `weight`, signed-hashed into `out`. */
function addFeatures(out: Float64Array, features: string[], seed: number, weight: number): void {
  if (features.length === 0) return;
  const counts = new Map<string, number>();
  for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  let sumSquares = 0;
  const weights: number[] = [];
  for (const c of counts.values()) {
    const w = 1 + Math.log(c);
    weights.push(w);
    sumSquares += w * w;
  }
  const scale = weight / Math.sqrt(sumSquares);
  let i = 0;
  for (const feature of counts.keys()) {
    const h = hash32(feature, seed);
    const slot = h % out.length;
    const sign = h & 0x80000000 ? -1 : 1;
    out[slot] = (out[slot] as number) + sign * (weights[i++] as number) * scale;
  }
}

function unitFloat32(v: Float64Array, normal: string): Float32Array {
  let sumSquares = 0;
  for (const x of v) sumSquares += x * x;
  const out = new Float32Array(v.length);
  if (sumSquares === 0) {
    // Signed features can cancel exactly in a tiny text; one slot from the whole text keeps the vector usable for cosine.
    out[hash32(normal, 0) % v.length] = 1;
    return out;
  }
  const norm = Math.sqrt(sumSquares);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / norm;
  return out;
}

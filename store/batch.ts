import { RvfError } from './errors.ts';
import { idKey, type IdKey, idOfKey } from './id-key.ts';
import type { FileIdentity, Manifest, ManifestEntry } from './payloads.ts';
import { manifestPayloadBytes, vecPayloadBytes } from './payloads.ts';
import type { RowIndex } from './row-index.ts';
import { SegmentType } from './segment.ts';
import type { Entry, IdInput } from './types.ts';
import { encodeMetadata, parseId, writeVector } from '../wasm/validate.ts';
import { LIMITS } from '../schemas/limits.ts';

/**
 * What an ingest and a delete check and pack before their commit, the same in
 * the Node store (database.ts) and the in-memory one a page uses
 * (bytes-store.ts): browser-safe, so both share it.
 */

export interface PackedBatch {
  /** Distinct ids, in the order of their last entry. */
  ids: BigUint64Array;
  /** The same ids as map keys (store/id-key.ts), in the same order. */
  keys: IdKey[];
  vectors: Float32Array;
  json: (string | null)[];
  /** Whether the batch writes `id`. */
  has(id: bigint): boolean;
}

/** Checks `entries` and packs them; `floats(n)` gives the vector buffer (the Node store reuses one). */
export function packBatch(entries: readonly Entry[], dimensions: number, floats: (length: number) => Float32Array): PackedBatch {
  if (!Array.isArray(entries)) throw new RvfError('EINVAL', 'entries must be an array of {id, vector, metadata?}.');
  if (entries.length > LIMITS.maxBatchEntries) {
    throw new RvfError('ELIMIT', `a batch holds at most ${LIMITS.maxBatchEntries} entries, got ${entries.length}; split it.`);
  }
  // Id -> index of its last entry (an id given twice keeps its last).
  const last = new Map<IdKey, number>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e === null || typeof e !== 'object') throw new RvfError('EINVAL', `entries[${i}] must be an object {id, vector, metadata?}.`);
    last.set(entryKey(e.id, i), i);
  }
  const n = last.size;
  if (vecPayloadBytes(dimensions, n) > LIMITS.maxSegmentPayloadBytes) {
    throw new RvfError('ELIMIT', `the batch is over the ${LIMITS.maxSegmentPayloadBytes}-byte segment limit; split it.`);
  }
  const ids = new BigUint64Array(n);
  const vectors = floats(n * dimensions);
  const json: (string | null)[] = new Array<string | null>(n);
  const keys: IdKey[] = new Array<IdKey>(n);
  let j = 0;
  for (const [key, i] of last) {
    const e = entries[i] as Entry;
    keys[j] = key;
    ids[j] = idOfKey(key);
    writeVector(e.vector, dimensions, vectors, j * dimensions, `entries[${i}]`);
    json[j] = encodeMetadata(e.metadata, `entries[${i}]`);
    j++;
  }
  return { ids, keys, vectors, json, has: (id) => last.has(idKey(id)) };
}

/** An entry's id as a map key; a safe non-negative integer, the common case, skips the BigInt. */
function entryKey(id: IdInput, i: number): IdKey {
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  return idKey(parseId(id, `entries[${i}].id`));
}

/** The ids of `batch` that are live in `index`: the rows the batch replaces. */
export function replacedIds(batch: PackedBatch, index: RowIndex): bigint[] {
  const out: bigint[] = [];
  for (let j = 0; j < batch.keys.length; j++) if (index.hasKey(batch.keys[j] as IdKey)) out.push(batch.ids[j] as bigint);
  return out;
}

/** The ids of a delete, checked and parsed. */
export function parseDeleteIds(ids: readonly IdInput[]): bigint[] {
  if (!Array.isArray(ids)) throw new RvfError('EINVAL', 'ids must be an array of ids.');
  if (ids.length > LIMITS.maxDeleteIds) {
    throw new RvfError('ELIMIT', `a delete takes at most ${LIMITS.maxDeleteIds} ids, got ${ids.length}; split it.`);
  }
  return ids.map((id, i) => parseId(id, `ids[${i}]`));
}

/** The native reader looks for the newest manifest in the last 64 KiB only; ours stay under 60 KiB. */
const MAX_MANIFEST_PAYLOAD = 60 * 1024;

/** Whether a manifest listing `vecSegments` VEC segments and `deleted` ids fits the native reader's window. */
export function manifestFits(vecSegments: number, deleted: number): boolean {
  return manifestPayloadBytes(vecSegments, deleted, true) <= MAX_MANIFEST_PAYLOAD;
}

/** The manifest of the next commit: the live VEC segments (plus the commit's new one) and the deletion list. */
export function nextManifest(
  index: RowIndex,
  identity: FileIdentity,
  newVec: ManifestEntry | undefined,
  after: { deleted: bigint[]; live: number },
): Omit<Manifest, 'epoch'> {
  const entries: ManifestEntry[] = index.vecSegments.map((s) => ({ segId: s.segId, offset: s.offset, payloadLength: s.payloadLength, type: SegmentType.VEC }));
  if (newVec) entries.push(newVec);
  return { dimensions: index.dimensions, totalVectors: after.live, profile: 0, entries, deleted: after.deleted, identity };
}

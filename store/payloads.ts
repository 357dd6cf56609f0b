import { RvfError } from './errors.ts';
import type { EmbedderIdentity, IndexSetting, Lineage, Metric } from './types.ts';

/**
 * Payload codecs. VEC, JOURNAL and MANIFEST use the layouts the native reader
 * accepts (../shared/docs/rvf-facts.md §2); META and the store-info PROFILE
 * segment are ours and start with a magic so another writer's segments of the
 * same type are recognised and left alone.
 */

// ---------------------------------------------------------------- VEC

/** `dim u16 | count u32 | count x (id u64, dim x f32)` */
export const VEC_HEADER_BYTES = 6;

export function vecRowBytes(dimensions: number): number {
  return 8 + dimensions * 4;
}

export function vecPayloadBytes(dimensions: number, count: number): number {
  return VEC_HEADER_BYTES + count * vecRowBytes(dimensions);
}

/** Encodes into `scratch` when it is large enough (the caller must be done with the result before reusing it). */
export function encodeVec(dimensions: number, ids: BigUint64Array, vectors: Float32Array, scratch?: Buffer): Buffer {
  const count = ids.length;
  const rowBytes = vecRowBytes(dimensions);
  const size = vecPayloadBytes(dimensions, count);
  const out = scratch && scratch.length >= size ? scratch.subarray(0, size) : Buffer.allocUnsafe(size);
  out.writeUInt16LE(dimensions, 0);
  out.writeUInt32LE(count, 2);
  const floats = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  let at = VEC_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    out.writeBigUInt64LE(ids[i] as bigint, at);
    out.set(floats.subarray(i * dimensions * 4, (i + 1) * dimensions * 4), at + 8);
    at += rowBytes;
  }
  return out;
}

export interface VecShape {
  dimensions: number;
  count: number;
}

export function decodeVecShape(head: Buffer, payloadLength: number): VecShape | string {
  if (payloadLength < VEC_HEADER_BYTES) return 'VEC payload shorter than its header';
  const dimensions = head.readUInt16LE(0);
  const count = head.readUInt32LE(2);
  if (dimensions === 0) return 'VEC dimension is 0';
  if (vecPayloadBytes(dimensions, count) !== payloadLength) {
    return `VEC payload of ${payloadLength} bytes does not hold ${count} rows of dimension ${dimensions}`;
  }
  return { dimensions, count };
}

// ---------------------------------------------------------------- META

const META_MAGIC = 0x4a4d5652; // "RVMJ": rvf-mcp-server JSON metadata

/** `magic u32 | count u32 | count x (id u64, len u32, len bytes of JSON)`; len 0 is null. */
export function encodeMeta(ids: BigUint64Array, json: (string | null)[]): Buffer {
  const parts = json.map((j) => (j === null ? null : Buffer.from(j, 'utf8')));
  let size = 8;
  for (const p of parts) size += 12 + (p?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(META_MAGIC, 0);
  out.writeUInt32LE(ids.length, 4);
  let at = 8;
  for (let i = 0; i < ids.length; i++) {
    const p = parts[i];
    out.writeBigUInt64LE(ids[i] as bigint, at);
    out.writeUInt32LE(p?.length ?? 0, at + 8);
    at += 12;
    if (p) {
      p.copy(out, at);
      at += p.length;
    }
  }
  return out;
}

/** Decodes our META payload; undefined for another writer's META segment. */
export function decodeMeta(payload: Buffer): { id: bigint; json: string | null }[] | undefined {
  if (payload.length < 8 || payload.readUInt32LE(0) !== META_MAGIC) return undefined;
  const count = payload.readUInt32LE(4);
  const out: { id: bigint; json: string | null }[] = [];
  let at = 8;
  for (let i = 0; i < count; i++) {
    if (at + 12 > payload.length) throw new Error('META entry runs past the payload');
    const id = payload.readBigUInt64LE(at);
    const len = payload.readUInt32LE(at + 8);
    at += 12;
    if (at + len > payload.length) throw new Error('META entry runs past the payload');
    out.push({ id, json: len === 0 ? null : payload.toString('utf8', at, at + len) });
    at += len;
  }
  if (at !== payload.length) throw new Error('META payload has trailing bytes');
  return out;
}

// ---------------------------------------------------------------- JOURNAL

/** `n u32 | epoch u32 | prev u64 | n x (kind u8 = 1, pad u8, len u16 = 8, id u64)` */
export function encodeJournal(epoch: number, ids: BigUint64Array): Buffer {
  const out = Buffer.alloc(16 + ids.length * 12);
  out.writeUInt32LE(ids.length, 0);
  out.writeUInt32LE(epoch, 4);
  let at = 16;
  for (const id of ids) {
    out[at] = 1;
    out.writeUInt16LE(8, at + 2);
    out.writeBigUInt64LE(id, at + 4);
    at += 12;
  }
  return out;
}

/** Ids deleted by a JOURNAL payload (entries of other kinds are skipped). */
export function decodeJournal(payload: Buffer): bigint[] {
  if (payload.length < 16) throw new Error('JOURNAL payload shorter than its header');
  const n = payload.readUInt32LE(0);
  const ids: bigint[] = [];
  let at = 16;
  for (let i = 0; i < n; i++) {
    if (at + 4 > payload.length) throw new Error('JOURNAL entry runs past the payload');
    const kind = payload[at] as number;
    const len = payload.readUInt16LE(at + 2);
    if (at + 4 + len > payload.length) throw new Error('JOURNAL entry runs past the payload');
    if (kind === 1 && len === 8) ids.push(payload.readBigUInt64LE(at + 4));
    at += 4 + len;
  }
  return ids;
}

// ---------------------------------------------------------------- MANIFEST

export interface ManifestEntry {
  segId: bigint;
  offset: number;
  payloadLength: number;
  type: number;
}

/** The file identity trailer the native writer appends ("IDIF"): lineage in native terms. */
export interface FileIdentity {
  fileId: Buffer; // 16 bytes
  parentId: Buffer; // 16 bytes, zero for a root
  parentHash: Buffer; // 32 bytes
  depth: number;
}

export interface Manifest {
  epoch: number;
  dimensions: number;
  totalVectors: number;
  profile: number;
  entries: ManifestEntry[];
  deleted: bigint[];
  identity: FileIdentity | undefined;
}

const MANIFEST_FIXED = 22;
const MANIFEST_ENTRY = 25;
const IDIF_MAGIC = Buffer.from('IDIF', 'latin1');
const IDIF_BYTES = 4 + 16 + 16 + 32 + 4;

export function manifestPayloadBytes(entries: number, deleted: number, withIdentity: boolean): number {
  return MANIFEST_FIXED + entries * MANIFEST_ENTRY + 4 + deleted * 8 + (withIdentity ? IDIF_BYTES : 0);
}

export function encodeManifest(m: Manifest): Buffer {
  const out = Buffer.alloc(manifestPayloadBytes(m.entries.length, m.deleted.length, m.identity !== undefined));
  out.writeUInt32LE(m.epoch, 0);
  out.writeUInt16LE(m.dimensions, 4);
  out.writeBigUInt64LE(BigInt(m.totalVectors), 6);
  out.writeUInt32LE(m.entries.length, 14);
  out[18] = m.profile;
  let at = MANIFEST_FIXED;
  for (const e of m.entries) {
    out.writeBigUInt64LE(e.segId, at);
    out.writeBigUInt64LE(BigInt(e.offset), at + 8);
    out.writeBigUInt64LE(BigInt(e.payloadLength), at + 16);
    out[at + 24] = e.type;
    at += MANIFEST_ENTRY;
  }
  out.writeUInt32LE(m.deleted.length, at);
  at += 4;
  for (const id of m.deleted) {
    out.writeBigUInt64LE(id, at);
    at += 8;
  }
  if (m.identity) {
    const id = m.identity;
    IDIF_MAGIC.copy(out, at);
    id.fileId.copy(out, at + 4);
    id.parentId.copy(out, at + 20);
    id.parentHash.copy(out, at + 36);
    out.writeUInt32LE(id.depth, at + 68);
  }
  return out;
}

export function decodeManifest(p: Buffer): Manifest {
  if (p.length < MANIFEST_FIXED + 4) throw new Error('MANIFEST payload too short');
  const count = p.readUInt32LE(14);
  let at = MANIFEST_FIXED;
  if (at + count * MANIFEST_ENTRY + 4 > p.length) throw new Error('MANIFEST directory runs past the payload');
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({
      segId: p.readBigUInt64LE(at),
      offset: Number(p.readBigUInt64LE(at + 8)),
      payloadLength: Number(p.readBigUInt64LE(at + 16)),
      type: p[at + 24] as number,
    });
    at += MANIFEST_ENTRY;
  }
  const delCount = p.readUInt32LE(at);
  at += 4;
  if (at + delCount * 8 > p.length) throw new Error('MANIFEST deletion list runs past the payload');
  const deleted: bigint[] = [];
  for (let i = 0; i < delCount; i++) {
    deleted.push(p.readBigUInt64LE(at));
    at += 8;
  }
  let identity: FileIdentity | undefined;
  if (at + IDIF_BYTES <= p.length && p.subarray(at, at + 4).equals(IDIF_MAGIC)) {
    identity = {
      fileId: Buffer.from(p.subarray(at + 4, at + 20)),
      parentId: Buffer.from(p.subarray(at + 20, at + 36)),
      parentHash: Buffer.from(p.subarray(at + 36, at + 68)),
      depth: p.readUInt32LE(at + 68),
    };
  }
  return {
    epoch: p.readUInt32LE(0),
    dimensions: p.readUInt16LE(4),
    totalVectors: Number(p.readBigUInt64LE(6)),
    profile: p[18] as number,
    entries,
    deleted,
    identity,
  };
}

// ---------------------------------------------------------------- store info (PROFILE)

const STORE_INFO_MAGIC = Buffer.from('RVFMCPS1', 'latin1');

/** What the native format does not record: the metric, our view of lineage, and the embedder of a text-memory store. */
export interface StoreInfo {
  dimensions: number;
  metric: Metric;
  lineage: Lineage | null;
  embedder?: EmbedderIdentity | null;
  /** Absent in stores made before the index existed: they are 'auto'. */
  index?: IndexSetting;
}

export function encodeStoreInfo(info: StoreInfo): Buffer {
  return Buffer.concat([STORE_INFO_MAGIC, Buffer.from(JSON.stringify(info), 'utf8')]);
}

/** Our store info, or undefined for another writer's PROFILE segment. */
export function decodeStoreInfo(p: Buffer): StoreInfo | undefined {
  if (p.length < STORE_INFO_MAGIC.length || !p.subarray(0, STORE_INFO_MAGIC.length).equals(STORE_INFO_MAGIC)) {
    return undefined;
  }
  const parsed: unknown = JSON.parse(p.toString('utf8', STORE_INFO_MAGIC.length));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('store info is not an object');
  const o = parsed as Record<string, unknown>;
  const metric = o['metric'];
  if (typeof o['dimensions'] !== 'number' || (metric !== 'cosine' && metric !== 'l2' && metric !== 'dotproduct')) {
    throw new Error('store info lacks dimensions or metric');
  }
  const embedder = o['embedder'] as EmbedderIdentity | null | undefined;
  if (embedder !== undefined && embedder !== null && (typeof embedder.name !== 'string' || typeof embedder.dimensions !== 'number')) {
    throw new Error('store info has a malformed embedder');
  }
  const index = o['index'];
  if (index !== undefined && index !== 'auto' && index !== 'none') throw new Error('store info has an unknown index setting');
  return { dimensions: o['dimensions'], metric, lineage: (o['lineage'] as Lineage | null) ?? null, embedder: embedder ?? null, ...(index ? { index } : {}) };
}

export function corrupt(label: string, offset: number, why: string): RvfError {
  return new RvfError(
    'ECORRUPT',
    `${label} is damaged at byte ${offset} (${why}); restore it from a backup or export what still opens.`,
  );
}

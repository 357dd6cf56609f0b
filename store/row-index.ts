import type { ByteSource } from './byte-source.ts';
import { idKey, type IdKey, idOfKey } from './id-key.ts';
import { corrupt, VEC_HEADER_BYTES, vecRowBytes } from './payloads.ts';
import type { Scan } from './scan.ts';
import { HEADER_BYTES, SegmentType } from './segment.ts';
import { allFinite } from '../wasm/validate.ts';

/** Where loadInto puts rows: the scan store (wasm/scan-store.ts), or the raw engine in tests and the bench. */
export interface VectorSink {
  ingestWith(count: number, fill: (vectors: Float32Array, ids: BigUint64Array) => void): void;
}

export interface VecSegmentRef {
  segId: bigint;
  offset: number;
  payloadLength: number;
  /** Row ids in file order. */
  ids: BigUint64Array;
}

/**
 * Where every live vector's row sits in the file. The engine cannot hand
 * vectors back, so compaction, derive and export read rows from the file
 * through this index instead of keeping a JS copy of every vector.
 *
 * Liveness follows the native reader exactly: the VEC segments the newest
 * manifest lists, read in order with a later row replacing an earlier one of
 * the same id, minus the manifest's deletion list.
 */
export class RowIndex {
  /** id -> file offset of its row (the id field), keyed by idKey: numbers for ids below 2^53. */
  readonly #rows = new Map<IdKey, number>();
  /** The manifest's deletion list: ids with rows in listed segments that are not live. */
  readonly #deleted = new Set<IdKey>();
  /** VEC segments the manifest lists, in file order. */
  readonly vecSegments: VecSegmentRef[] = [];
  /** Rows across the listed VEC segments, dead ones included. */
  rowsInSegments = 0;
  readonly rowBytes: number;

  constructor(readonly dimensions: number) {
    this.rowBytes = vecRowBytes(dimensions);
  }

  get live(): number {
    return this.#rows.size;
  }

  /** Whether `id` is live. */
  has(id: bigint): boolean {
    return this.#rows.has(idKey(id));
  }

  /** has(), for a key the caller already holds (store/id-key.ts). */
  hasKey(key: IdKey): boolean {
    return this.#rows.has(key);
  }

  /** The live ids, in no particular order. */
  *liveIds(): Generator<bigint> {
    for (const key of this.#rows.keys()) yield idOfKey(key);
  }

  /** How many ids the deletion list holds. */
  get deletedCount(): number {
    return this.#deleted.size;
  }

  /** The deletion list. */
  deletedIds(): bigint[] {
    return Array.from(this.#deleted, idOfKey);
  }

  deadSpaceRatio(): number {
    return this.rowsInSegments === 0 ? 0 : 1 - this.#rows.size / this.rowsInSegments;
  }

  static fromScan(scan: Scan): RowIndex {
    const index = new RowIndex(scan.dimensions);
    index.applyTail(scan);
    return index;
  }

  /**
   * Applies commits read after this index was built: the VEC segments the
   * newest manifest lists that are new, then its deletion list. Returns what
   * the engine must do to follow: the ids whose old rows it must drop, and the
   * new segments whose live rows it must load.
   */
  applyTail(scan: Scan): { dropped: bigint[]; added: VecSegmentRef[] } {
    const known = new Set(this.vecSegments.map((s) => s.offset));
    const byOffset = new Map<number, BigUint64Array>();
    for (const c of scan.commits) for (const s of c.segments) if (s.vecIds) byOffset.set(s.offset, s.vecIds);
    const added: VecSegmentRef[] = [];
    for (const e of scan.manifest.entries.filter((x) => x.type === SegmentType.VEC && !known.has(x.offset)).sort((a, b) => a.offset - b.offset)) {
      const ids = byOffset.get(e.offset);
      if (ids) added.push({ segId: e.segId, offset: e.offset, payloadLength: e.payloadLength, ids });
    }
    const dropped = new Set<bigint>();
    for (const seg of added) {
      for (const id of seg.ids) if (this.has(id)) dropped.add(id);
      this.addSegment(seg);
    }
    for (const id of scan.manifest.deleted) {
      if (this.has(id)) {
        dropped.add(id);
        this.markDeleted(id);
      } else {
        this.#deleted.add(idKey(id));
      }
    }
    return { dropped: [...dropped], added };
  }

  /** Records a VEC segment appended to the log; its rows replace older rows of the same ids. */
  addSegment(seg: VecSegmentRef): void {
    this.vecSegments.push(seg);
    this.rowsInSegments += seg.ids.length;
    const first = seg.offset + HEADER_BYTES + VEC_HEADER_BYTES;
    const checkDeleted = this.#deleted.size > 0;
    for (let i = 0; i < seg.ids.length; i++) {
      const key = idKey(seg.ids[i] as bigint);
      this.#rows.set(key, first + i * this.rowBytes);
      if (checkDeleted) this.#deleted.delete(key);
    }
  }

  markDeleted(id: bigint): void {
    const key = idKey(id);
    this.#rows.delete(key);
    this.#deleted.add(key);
  }

  /**
   * The live rows of the file in file order, a bounded number at a time:
   * `rows` holds `ids.length` rows in VEC layout (id u64, floats). The buffer
   * is reused: use it before asking for the next chunk.
   */
  *liveChunks(source: ByteSource, segments: readonly VecSegmentRef[] = this.vecSegments): Generator<{ ids: BigUint64Array; rows: Buffer; fileOffset: number }> {
    const rowBytes = this.rowBytes;
    const rowsPerRead = Math.max(1, Math.floor((4 * 1024 * 1024) / rowBytes));
    const buffer = Buffer.allocUnsafe(rowsPerRead * rowBytes);
    const packed = Buffer.allocUnsafe(rowsPerRead * rowBytes);
    for (const seg of segments) {
      const first = seg.offset + HEADER_BYTES + VEC_HEADER_BYTES;
      for (let start = 0; start < seg.ids.length; start += rowsPerRead) {
        const n = Math.min(rowsPerRead, seg.ids.length - start);
        const keep: number[] = [];
        for (let i = start; i < start + n; i++) {
          if (this.#rows.get(idKey(seg.ids[i] as bigint)) === first + i * rowBytes) keep.push(i - start);
        }
        if (keep.length === 0) continue;
        const data = source.read(n * rowBytes, first + start * rowBytes, buffer);
        const ids = new BigUint64Array(keep.length);
        let out: Buffer = data;
        if (keep.length !== n) {
          out = packed;
          keep.forEach((k, j) => data.copy(packed, j * rowBytes, k * rowBytes, (k + 1) * rowBytes));
        }
        keep.forEach((k, j) => (ids[j] = seg.ids[start + k] as bigint));
        yield { ids, rows: out.subarray(0, keep.length * rowBytes), fileOffset: first + start * rowBytes };
      }
    }
  }

  /** The stored vector of a live id, read from the file; undefined when the id is not live. */
  vectorOf(source: ByteSource, id: bigint): Float32Array | undefined {
    const at = this.#rows.get(idKey(id));
    if (at === undefined) return undefined;
    const bytes = source.read(this.dimensions * 4, at + 8);
    const out = new Float32Array(this.dimensions);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }

  /** Streams the live rows of `segments` (all by default) from the file into `engine`; no second copy of the vectors is held. */
  loadInto(engine: VectorSink, source: ByteSource, label: string, segments: readonly VecSegmentRef[] = this.vecSegments): void {
    const dim = this.dimensions;
    const rowBytes = this.rowBytes;
    for (const { ids, rows, fileOffset } of this.liveChunks(source, segments)) {
      engine.ingestWith(ids.length, (vectors, outIds) => {
        const bytes = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
        outIds.set(ids);
        for (let j = 0; j < ids.length; j++) {
          bytes.set(rows.subarray(j * rowBytes + 8, (j + 1) * rowBytes), j * dim * 4);
        }
        if (!allFinite(vectors)) throw corrupt(label, fileOffset, 'a stored vector holds NaN or Infinity');
      });
    }
  }
}

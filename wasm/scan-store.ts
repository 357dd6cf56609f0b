import { RvfError, isRvfError } from '../store/errors.ts';
import { idKey, idKeys, type IdKey } from '../store/id-key.ts';
import type { Metric } from '../store/types.ts';
import { engineMemoryFull } from './engine.ts';
import { exactDistance, kernelErrorBound, METRIC_CODE } from './exact-distance.ts';
import type { Kernel } from './kernel.ts';
import { candidates } from './top-k.ts';

/**
 * The vectors of one open store, held once, in chunks of the engine's heap
 * (allocated and freed through its allocator), and searched exactly by the
 * SIMD kernel: the store's only copy of its vectors in memory.
 *
 * Rows are dense: slot i < count is live, a delete moves the last row into the
 * freed slot, so a scan reads live rows only and never needs a deleted flag.
 * An id ingested again replaces its row in place: a replaced row can never be
 * found. Results are the exact top k by the float64 distance
 * (wasm/exact-distance.ts), ties broken by the smaller id.
 */

/** Told of every change to the rows, in order (the store's approximate index follows them, reading the rows when it needs them). */
export interface RowObserver {
  upserted(ids: BigUint64Array): void;
  deleted(ids: BigUint64Array): void;
}

export interface ScanHits {
  ids: BigUint64Array;
  distances: Float64Array;
}

/** Chunks of about 4 MiB: few kernel calls per scan, little memory held past the last row. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Room to start a chunk on a 64-byte line (a 1536-byte row then spans 24 cache
 * lines, not 25) and for sum_bytes, which reads in steps of 64 bytes.
 */
const CHUNK_SLACK = 64 + 64;

export class ScanStore {
  readonly dimensions: number;
  readonly metric: Metric;
  readonly #kernel: Kernel;
  /** f32x4 lanes per row: the vector padded with zeros to a multiple of 4. */
  readonly #n4: number;
  readonly #stride: number;
  readonly #rowsPerChunk: number;
  readonly #chunks: { ptr: number; base: number }[] = [];
  #ids = new BigUint64Array(0);
  /** Keyed by idKey: a number for nearly every id, which hashes without reading a BigInt. */
  readonly #slotOf = new Map<IdKey, number>();
  #count = 0;
  /** The largest squared norm ever stored (deletes leave it: it only bounds an error). */
  #maxNorm2 = 0;
  #staging = new Float32Array(0);
  #closed = false;
  #observer: RowObserver | undefined;

  constructor(kernel: Kernel, dimensions: number, metric: Metric) {
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new RvfError('EINVAL', `dimension must be a positive integer, got ${dimensions}.`);
    this.#kernel = kernel;
    this.dimensions = dimensions;
    this.metric = metric;
    this.#n4 = Math.ceil(dimensions / 4);
    this.#stride = this.#n4 * 16;
    this.#rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / this.#stride));
  }

  get live(): number {
    return this.#count;
  }

  /** Starts (or, with undefined, stops) telling `observer` of every change. */
  observe(observer: RowObserver | undefined): void {
    this.#observer = observer;
  }

  /** The live ids, in slot order, as of now. */
  liveIds(): BigUint64Array {
    return this.#ids.slice(0, this.#count);
  }

  /**
   * Copies of the rows of those `ids` that are live, in the order given: into
   * the start of `into` when it is given and long enough (a caller that sends
   * rows on and again reuses warm memory), else into new memory.
   */
  readRows(ids: BigUint64Array, into?: Float32Array): { ids: BigUint64Array; vectors: Float32Array } {
    this.#assertOpen();
    const dim = this.dimensions;
    const found: bigint[] = [];
    const slots: number[] = [];
    idKeys(ids).forEach((key, i) => {
      const slot = this.#slotOf.get(key);
      if (slot === undefined) return;
      found.push(ids[i] as bigint);
      slots.push(slot);
    });
    const vectors = into && into.length >= found.length * dim ? into.subarray(0, found.length * dim) : new Float32Array(found.length * dim);
    const mem = this.#floats();
    slots.forEach((slot, i) => {
      const at = this.#address(slot) >>> 2;
      vectors.set(mem.subarray(at, at + dim), i * dim);
    });
    return { ids: BigUint64Array.from(found), vectors };
  }

  /** A new, empty store of the same shape (compaction reloads into one). */
  recreate(): ScanStore {
    return new ScanStore(this.#kernel, this.dimensions, this.metric);
  }

  /**
   * Ingests `count` rows that `fill` writes into a staging buffer (reused from
   * call to call; at most one batch), then copies them into place. A `fill`
   * that throws leaves the store unchanged.
   */
  ingestWith(count: number, fill: (vectors: Float32Array, ids: BigUint64Array) => void): void {
    this.#assertOpen();
    if (count === 0) return;
    const length = count * this.dimensions;
    if (this.#staging.length < length) this.#staging = new Float32Array(length);
    const vectors = this.#staging.subarray(0, length);
    const ids = new BigUint64Array(count);
    fill(vectors, ids);
    this.ingest(vectors, ids);
  }

  /**
   * Makes room for the rows of `ids` that are not here yet, changing no row: a
   * commit calls it before it writes anything, so a store whose vectors fill
   * the engine's memory refuses the batch (ELIMIT) and stays usable.
   */
  reserveRows(ids: BigUint64Array): void {
    this.#assertOpen();
    const rows = this.#rowsWith(idKeys(ids));
    try {
      this.#ensureCapacity(rows);
      // A store whose rows filled the heap could not be searched: a scan needs working space too.
      this.#kernel.engine.withAlloc(this.#scratchBytes(rows), () => undefined);
    } catch (err) {
      if (!isRvfError(err) || err.code !== 'ELIMIT') throw err;
      // The chunks taken for the refused rows go back: the rows already here need that space to be searched.
      this.#releaseChunksBeyond(this.#count, 0);
      throw engineMemoryFull(`${rows - this.#count} more vectors and the space to search ${rows}`);
    }
  }

  /** Adds rows; an id already present gets its row replaced. */
  ingest(vectors: Float32Array, ids: BigUint64Array): void {
    this.#assertOpen();
    const dim = this.dimensions;
    if (vectors.length !== ids.length * dim) {
      throw new RvfError('EINVAL', `ingest got ${vectors.length} floats for ${ids.length} ids of dimension ${dim}.`);
    }
    const keys = idKeys(ids);
    this.#ensureCapacity(this.#rowsWith(keys));
    const k = this.#kernel.exports;
    const mem = this.#floats();
    for (let i = 0; i < ids.length; i++) {
      const key = keys[i] as IdKey;
      let slot = this.#slotOf.get(key);
      if (slot === undefined) {
        slot = this.#count++;
        this.#slotOf.set(key, slot);
        this.#ids[slot] = ids[i] as bigint;
      }
      const at = this.#address(slot);
      mem.set(vectors.subarray(i * dim, (i + 1) * dim), at >>> 2);
      // Chunk memory comes from an allocator and holds old bytes: the padding must be zero.
      mem.fill(0, (at >>> 2) + dim, (at >>> 2) + this.#n4 * 4);
      this.#maxNorm2 = Math.max(this.#maxNorm2, k.max_norm2(at, 1, this.#n4));
    }
    this.#observer?.upserted(ids);
  }

  /** Removes every row with one of `ids`; returns how many there were. */
  delete(ids: BigUint64Array): number {
    this.#assertOpen();
    let removed = 0;
    const bytes = new Uint8Array(this.#kernel.engine.wasm.memory.buffer);
    for (const key of idKeys(ids)) {
      const slot = this.#slotOf.get(key);
      if (slot === undefined) continue;
      const last = --this.#count;
      if (slot !== last) {
        const from = this.#address(last);
        bytes.copyWithin(this.#address(slot), from, from + this.#stride);
        const moved = this.#ids[last] as bigint;
        this.#ids[slot] = moved;
        this.#slotOf.set(idKey(moved), slot);
      }
      this.#slotOf.delete(key);
      removed++;
    }
    this.#releaseSpareChunks();
    if (removed > 0) this.#observer?.deleted(ids);
    return removed;
  }

  has(id: bigint): boolean {
    return this.#slotOf.has(idKey(id));
  }

  /**
   * The exact k nearest rows, nearest first; with `among`, only rows whose id
   * is in it (ids not in the store are ignored), so a filter gets exactly its
   * own top k.
   */
  query(vector: Float32Array, k: number, among?: Iterable<bigint>): ScanHits {
    this.#assertOpen();
    if (vector.length !== this.dimensions) {
      throw new RvfError('EDIM', `query vector has ${vector.length} dimensions, the store has ${this.dimensions}.`);
    }
    let slots: Int32Array | undefined;
    if (among !== undefined) {
      slots = this.#slotsOf(among);
    }
    const rows = slots ? slots.length : this.#count;
    if (rows === 0 || k < 1) return { ids: new BigUint64Array(0), distances: new Float64Array(0) };
    const engine = this.#kernel.engine;
    const qBytes = this.#stride;
    // One scratch block: the padded query, the distances, and for a subset the row addresses.
    return engine.withAlloc(this.#scratchBytes(rows), (raw) => {
      const qPtr = alignUp(raw, 16);
      const outPtr = qPtr + qBytes;
      let mem = this.#floats();
      mem.fill(0, qPtr >>> 2, (qPtr + qBytes) >>> 2);
      mem.set(vector, qPtr >>> 2);
      let qq = 0;
      for (const x of vector) qq += x * x;
      const qnorm = Math.sqrt(qq);
      const metric = METRIC_CODE[this.metric];
      const k32 = this.#kernel.exports;
      if (slots) {
        const ptrsPtr = outPtr + rows * 4;
        const ptrs = new Uint32Array(engine.wasm.memory.buffer, ptrsPtr, rows);
        for (let i = 0; i < rows; i++) ptrs[i] = this.#address(slots[i] as number);
        k32.scan_list(metric, qPtr, Math.fround(qnorm), ptrsPtr, rows, this.#n4, outPtr);
      } else {
        for (let c = 0, done = 0; done < rows; c++) {
          const n = Math.min(this.#rowsPerChunk, rows - done);
          k32.scan_range(metric, qPtr, Math.fround(qnorm), (this.#chunks[c] as { base: number }).base, n, this.#n4, outPtr + done * 4);
          done += n;
        }
      }
      mem = this.#floats();
      const d32 = new Float32Array(engine.wasm.memory.buffer, outPtr, rows);
      const want = Math.min(k, rows);
      // The positions go where a filtered scan's row addresses were (read by then): rows x 4 bytes.
      const positionsPtr = outPtr + rows * 4;
      const notAbove = (limit: number): Uint32Array =>
        new Uint32Array(engine.wasm.memory.buffer, positionsPtr, k32.not_above(outPtr, rows, limit, positionsPtr));
      const picked = candidates(d32, want, kernelErrorBound(this.metric, this.dimensions, qnorm, this.#maxNorm2), notAbove).map((i) => {
        const slot = slots ? (slots[i] as number) : i;
        return { id: this.#ids[slot] as bigint, distance: exactDistance(this.metric, vector, mem, this.#address(slot) >>> 2, this.dimensions) };
      });
      picked.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const top = picked.slice(0, want);
      return { ids: BigUint64Array.from(top, (p) => p.id), distances: Float64Array.from(top, (p) => p.distance) };
    });
  }

  /** The float64 distance from `vector` to the row of `id` (as query reports it), undefined when the id is not here. */
  distanceTo(id: bigint, vector: Float32Array): number | undefined {
    this.#assertOpen();
    const slot = this.#slotOf.get(idKey(id));
    if (slot === undefined) return undefined;
    return exactDistance(this.metric, vector, this.#floats(), this.#address(slot) >>> 2, this.dimensions);
  }

  /**
   * The bandwidth floor, for the bench: a SIMD sum over every byte a full scan
   * reads, in the same chunks. Returns the sum so the work cannot be skipped.
   */
  sumRows(): number {
    this.#assertOpen();
    let sum = 0;
    for (let c = 0, done = 0; done < this.#count; c++) {
      const n = Math.min(this.#rowsPerChunk, this.#count - done);
      sum += this.#kernel.exports.sum_bytes((this.#chunks[c] as { base: number }).base, Math.ceil((n * this.#stride) / 64) * 64);
      done += n;
    }
    return sum;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const chunk of this.#chunks) this.#kernel.engine.free(chunk.ptr, this.#chunkBytes());
    this.#chunks.length = 0;
    this.#slotOf.clear();
    this.#ids = new BigUint64Array(0);
    this.#staging = new Float32Array(0);
    this.#count = 0;
  }

  /** The slots of the ids in `among` that are here, each once. */
  #slotsOf(among: Iterable<bigint>): Int32Array {
    const keys = among instanceof BigUint64Array ? idKeys(among) : Array.from(among, idKey);
    const picked: number[] = [];
    // A few ids (an index's candidates) are deduplicated by a set: a flag per row would zero a buffer the size of the store for each.
    const few = keys.length * 64 < this.#count;
    const seenFew = new Set<number>();
    const seen = few ? undefined : new Uint8Array(this.#count);
    for (const key of keys) {
      const slot = this.#slotOf.get(key);
      if (slot === undefined) continue;
      if (seen ? seen[slot] === 1 : seenFew.has(slot)) continue;
      if (seen) seen[slot] = 1;
      else seenFew.add(slot);
      picked.push(slot);
    }
    return Int32Array.from(picked);
  }

  #address(slot: number): number {
    const chunk = this.#chunks[Math.floor(slot / this.#rowsPerChunk)] as { base: number };
    return chunk.base + (slot % this.#rowsPerChunk) * this.#stride;
  }

  /** How many rows the store holds once the ids of `keys` are in (ids already here are replaced, not added). */
  #rowsWith(keys: readonly IdKey[]): number {
    let here = 0;
    for (const key of keys) if (this.#slotOf.has(key)) here++;
    return this.#count + keys.length - here;
  }

  /** A query's scratch block over `rows` rows: the padded query, a distance per row, and a row address per row (filtered). */
  #scratchBytes(rows: number): number {
    return this.#stride + 16 + rows * 8;
  }

  #chunkBytes(): number {
    return this.#rowsPerChunk * this.#stride + CHUNK_SLACK;
  }

  /** A fresh view of the engine's memory: any allocation may have grown it and detached the old one. */
  #floats(): Float32Array {
    return new Float32Array(this.#kernel.engine.wasm.memory.buffer);
  }

  #ensureCapacity(rows: number): void {
    while (this.#chunks.length * this.#rowsPerChunk < rows) {
      const ptr = this.#kernel.engine.alloc(this.#chunkBytes());
      this.#chunks.push({ ptr, base: alignUp(ptr, 64) });
    }
    if (this.#ids.length < rows) {
      const grown = new BigUint64Array(Math.max(rows, Math.ceil(this.#ids.length * 1.5)));
      grown.set(this.#ids.subarray(0, this.#count));
      this.#ids = grown;
    }
  }

  /** Keeps at most one empty chunk after the last row, so a shrinking store gives its memory back to the heap. */
  #releaseSpareChunks(): void {
    this.#releaseChunksBeyond(this.#count, 1);
  }

  /** Frees the chunks past those `rows` rows need and `spare` empty ones. */
  #releaseChunksBeyond(rows: number, spare: number): void {
    const needed = Math.ceil(rows / this.#rowsPerChunk);
    while (this.#chunks.length > needed + spare) {
      const chunk = this.#chunks.pop() as { ptr: number };
      this.#kernel.engine.free(chunk.ptr, this.#chunkBytes());
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new RvfError('ECLOSED', 'the vector store is closed; open the store again.');
  }
}

/**
 * `address` rounded up to a multiple of `to` (a power of two). Addresses in the
 * engine's memory reach 4 GiB, past what JavaScript's bitwise operators hold
 * as signed 32-bit integers: `(p + 63) & ~63` turned every address above
 * 2 GiB negative, so a store stopped at about 1.39M vectors of 384 with
 * "offset is out of bounds". Shifts of addresses use `>>>` for the same reason.
 */
function alignUp(address: number, to: number): number {
  return Math.ceil(address / to) * to;
}

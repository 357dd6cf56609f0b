import init, { type RvfWasmExports } from '@ruvector/rvf-wasm';
import { RvfError } from '../store/errors.ts';
import type { Metric } from '../store/types.ts';

/**
 * The one @ruvector/rvf-wasm instance of this process, and a typed API over its
 * store handles. Rules the raw module leaves to its caller:
 * - memory views are re-created after every call that may allocate, because
 *   growth detaches every typed array over `memory.buffer`;
 * - every allocation is freed, on error paths too;
 * - the heap is reserved ahead in large steps: past ~64 MiB each growth step
 *   triggers a GC, and per-batch growth made ingest 10x slower in measurements;
 * - the metric is always passed to queries (a negative value means "the store's").
 */

const METRIC_CODE: Record<Metric, number> = { l2: 0, dotproduct: 1, cosine: 2 };
/** Bytes the engine keeps per vector beside its floats (entry record, allocator header). */
const PER_VECTOR_OVERHEAD = 48;
/** Query results are 12-byte records: id u64 at +0, distance f32 at +8, unaligned. */
const RESULT_BYTES = 12;

/**
 * What the engine is instantiated from: the .wasm bytes or a compiled
 * WebAssembly.Module (named through the module's own signature, as Node's
 * type library has no WebAssembly namespace without the DOM lib).
 */
export type WasmInput = NonNullable<Parameters<typeof init>[0]>;
/** Supplies the engine's .wasm; each platform brings its own (no node:* import here). */
export type WasmLoader = () => WasmInput | Promise<WasmInput>;

/** The ELIMIT of a full engine heap: `what` did not fit (wasm32 caps one process's engine memory at 4 GiB). */
export function engineMemoryFull(what: string, inUseBytes?: number): RvfError {
  const inUse = inUseBytes === undefined ? '' : `, ${Math.round(inUseBytes / 1048576)} MiB in use`;
  return new RvfError(
    'ELIMIT',
    `the engine's memory (WebAssembly, at most 4 GiB per process${inUse}) has no room for ${what}; nothing was changed. Delete vectors and compact, close other stores, or split the data across stores served by separate processes.`,
  );
}

/** Node's loader, imported only when used so this file stays free of node:fs and runs in a browser. */
const nodeLoader: WasmLoader = async () => (await import('./load-node.ts')).readWasmBytes();

let loading: Promise<Engine> | undefined;

/**
 * The shared engine, loaded on first use. Node callers pass nothing (the bytes
 * come from @ruvector/rvf-wasm on disk); a browser passes a loader that fetches
 * the .wasm. Later calls get the first engine whatever they pass: the module
 * keeps one instance per realm anyway.
 */
export function loadEngine(loader: WasmLoader = nodeLoader): Promise<Engine> {
  loading ??= (async () => new Engine(await init(await loader())))().catch((err: unknown) => {
    // A failed load (a fetch that failed, say) must not stick: the next call retries.
    loading = undefined;
    throw err;
  });
  return loading;
}

export interface QueryHits {
  ids: BigUint64Array;
  distances: Float32Array;
}

export class Engine {
  readonly #wasm: RvfWasmExports;
  /** Bytes the open stores are expected to occupy; drives heap reservation. */
  #expectedBytes = 0;

  constructor(wasm: RvfWasmExports) {
    this.#wasm = wasm;
  }

  get heapBytes(): number {
    return this.#wasm.memory.buffer.byteLength;
  }

  createStore(dimensions: number, metric: Metric): EngineStore {
    const handle = this.#wasm.rvf_store_create(dimensions, METRIC_CODE[metric]);
    if (handle < 1) throw new RvfError('EINVAL', `the engine refused dimension ${dimensions}.`);
    return new EngineStore(this, handle, dimensions, metric);
  }

  /** Makes sure `extraBytes` more can be allocated without growing memory step by step. */
  reserveFor(extraBytes: number): void {
    this.#expectedBytes += extraBytes;
    const want = this.#expectedBytes + 16 * 1024 * 1024;
    const have = this.heapBytes;
    if (want <= have) return;
    // Grow by at least a quarter of the heap so a stream of batches grows it a
    // handful of times, not once per batch; near wasm32's 4 GiB, where a
    // quarter no longer fits, by what is needed.
    const need = want - have;
    let step = Math.max(need, Math.floor(have / 4));
    let ptr = this.#wasm.rvf_alloc(step) >>> 0;
    if (ptr === 0 && step > need) {
      step = need;
      ptr = this.#wasm.rvf_alloc(step) >>> 0;
    }
    if (ptr === 0) {
      this.#expectedBytes -= extraBytes;
      throw engineMemoryFull(`${Math.ceil(need / 1048576)} MiB more`, have);
    }
    this.#wasm.rvf_free(ptr, step);
  }

  release(bytes: number): void {
    this.#expectedBytes = Math.max(0, this.#expectedBytes - bytes);
  }

  /**
   * A lasting allocation in the engine's heap (the scan store's row chunks),
   * reserved ahead by the same policy as ingest; give it back with free().
   */
  alloc(bytes: number): number {
    this.reserveFor(bytes);
    const ptr = this.#wasm.rvf_alloc(bytes) >>> 0;
    if (ptr === 0) {
      this.release(bytes);
      throw engineMemoryFull(`${Math.ceil(bytes / 1048576)} MiB more vectors`);
    }
    return ptr;
  }

  free(ptr: number, bytes: number): void {
    this.#wasm.rvf_free(ptr, bytes);
    this.release(bytes);
  }

  /** Runs `fn` with a scratch allocation that is freed whatever happens. */
  withAlloc<T>(bytes: number, fn: (ptr: number) => T): T {
    const size = Math.max(bytes, 8);
    const ptr = this.#wasm.rvf_alloc(size) >>> 0;
    if (ptr === 0) {
      throw engineMemoryFull(`${Math.ceil(size / 1048576)} MiB of working space`);
    }
    try {
      return fn(ptr);
    } finally {
      this.#wasm.rvf_free(ptr, size);
    }
  }

  get wasm(): RvfWasmExports {
    return this.#wasm;
  }

  static perVectorBytes(dimensions: number): number {
    return dimensions * 4 + PER_VECTOR_OVERHEAD;
  }
}

/**
 * One engine store handle. Callers validate vectors before they get here
 * (wasm/validate.ts); this class checks only shapes it can check cheaply.
 */
export class EngineStore {
  readonly #engine: Engine;
  #handle: number;
  readonly dimensions: number;
  readonly metric: Metric;
  readonly #metricCode: number;
  /** Rows the engine holds, deleted ones included (it never frees them). */
  #rows = 0;

  constructor(engine: Engine, handle: number, dimensions: number, metric: Metric) {
    this.#engine = engine;
    this.#handle = handle;
    this.dimensions = dimensions;
    this.metric = metric;
    this.#metricCode = METRIC_CODE[metric];
  }

  /** A new, empty store of the same shape (compaction reloads into one). */
  recreate(): EngineStore {
    return this.#engine.createStore(this.dimensions, this.metric);
  }

  /**
   * Ingests `count` rows that `fill` writes straight into engine memory, so a
   * caller streaming from a file needs no intermediate copy. `fill` gets fresh
   * views and must not keep them.
   */
  ingestWith(count: number, fill: (vectors: Float32Array, ids: BigUint64Array) => void): void {
    if (count === 0) return;
    const wasm = this.#engine.wasm;
    const vecBytes = count * this.dimensions * 4;
    this.#engine.reserveFor(count * Engine.perVectorBytes(this.dimensions) + vecBytes + count * 8);
    this.#engine.withAlloc(vecBytes, (vecPtr) =>
      this.#engine.withAlloc(count * 8, (idPtr) => {
        fill(
          new Float32Array(wasm.memory.buffer, vecPtr, count * this.dimensions),
          new BigUint64Array(wasm.memory.buffer, idPtr, count),
        );
        const accepted = wasm.rvf_store_ingest(this.#live(), vecPtr, idPtr, count);
        if (accepted !== count) {
          throw new RvfError('EIO', `the engine accepted ${accepted} of ${count} vectors.`);
        }
      }),
    );
    // The staging buffers were freed; only the rows stay.
    this.#engine.release(vecBytes + count * 8);
    this.#rows += count;
  }

  ingest(vectors: Float32Array, ids: BigUint64Array): void {
    if (vectors.length !== ids.length * this.dimensions) {
      throw new RvfError('EINVAL', `ingest got ${vectors.length} floats for ${ids.length} ids of dimension ${this.dimensions}.`);
    }
    this.ingestWith(ids.length, (v, i) => {
      v.set(vectors);
      i.set(ids);
    });
  }

  /** Exact k nearest among live rows, nearest first. */
  query(vector: Float32Array, k: number): QueryHits {
    if (vector.length !== this.dimensions) {
      throw new RvfError('EDIM', `query vector has ${vector.length} dimensions, the store has ${this.dimensions}.`);
    }
    const wasm = this.#engine.wasm;
    return this.#engine.withAlloc(this.dimensions * 4, (qPtr) =>
      this.#engine.withAlloc(k * RESULT_BYTES, (outPtr) => {
        new Float32Array(wasm.memory.buffer, qPtr, this.dimensions).set(vector);
        const n = wasm.rvf_store_query(this.#live(), qPtr, k, this.#metricCode, outPtr);
        if (n < 0) throw new RvfError('EIO', `the engine query failed with code ${n}.`);
        // The query allocates internally: take a view only now.
        const view = new DataView(wasm.memory.buffer, outPtr, n * RESULT_BYTES);
        const ids = new BigUint64Array(n);
        const distances = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          ids[i] = view.getBigUint64(i * RESULT_BYTES, true);
          distances[i] = view.getFloat32(i * RESULT_BYTES + 8, true);
        }
        return { ids, distances };
      }),
    );
  }

  /** Soft-deletes every row with one of `ids`; returns how many rows were flagged. */
  delete(ids: BigUint64Array): number {
    if (ids.length === 0) return 0;
    const wasm = this.#engine.wasm;
    return this.#engine.withAlloc(ids.length * 8, (ptr) => {
      new BigUint64Array(wasm.memory.buffer, ptr, ids.length).set(ids);
      return wasm.rvf_store_delete(this.#live(), ptr, ids.length);
    });
  }

  status(): { live: number; dimensions: number; total: number; deleted: number } {
    const wasm = this.#engine.wasm;
    return this.#engine.withAlloc(20, (ptr) => {
      wasm.rvf_store_status(this.#live(), ptr);
      const s = new Uint32Array(wasm.memory.buffer, ptr, 5);
      return { live: s[0] as number, dimensions: s[1] as number, total: s[3] as number, deleted: s[4] as number };
    });
  }

  close(): void {
    if (this.#handle === 0) return;
    this.#engine.wasm.rvf_store_close(this.#handle);
    this.#handle = 0;
    this.#engine.release(this.#rows * Engine.perVectorBytes(this.dimensions));
    this.#rows = 0;
  }

  #live(): number {
    if (this.#handle === 0) throw new RvfError('ECLOSED', 'the engine store is closed; open the store again.');
    return this.#handle;
  }
}

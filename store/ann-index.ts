import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AnswerSlot } from './ann-answer-slot.ts';
import { CommitCount } from './ann-pacing.ts';
import { WorkerFeed, type FeedSource, type Outgoing } from './ann-feed.ts';
import { CLOSE_BUDGET_ROWS, type FromWorker, type SidecarExpectation, type ToWorker, type WorkerSetup } from './ann-protocol.ts';
import { idKey, type IdKey, idKeys, idOfKey } from './id-key.ts';
import type { IndexStatus, Metric } from './types.ts';

/**
 * A store's approximate index, seen from its handle: a cache of the vectors
 * in an HNSW graph that lives in a worker thread (store/ann-worker.ts), fed
 * with every change the scan store sees, in order.
 *
 * It never decides a result on its own. A search returns candidate ids; the
 * store ranks them by its own exact distance, drops every id changed since the
 * graph last caught up (the "tail", tracked here as `dirty`), and scans those
 * rows exactly. So a row ingested a moment ago is found at once, and a deleted
 * or replaced one is never returned from a stale graph.
 */

const WORKER_URL = new URL(`./ann-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * The worker, as shipped (compiled .js) or from source: Node 20 does not pass
 * a --import loader (tsx) on to worker threads, so a .ts worker registers it
 * itself before it imports the worker module.
 */
function startWorker(workerData: WorkerSetup): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** The exits of the index workers still running, closed stores' included (a closed store's worker ends by itself). */
const liveWorkers = new Set<Promise<void>>();

/**
 * Waits up to `capMs` for every index worker to end. A process that exits
 * with one still inside the index library can abort instead of exiting
 * (ann-worker.ts end()), so the server calls this before process.exit.
 */
export async function indexWorkersEnded(capMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, capMs);
    timer.unref();
  });
  await Promise.race([Promise.all([...liveWorkers]), cap]);
  clearTimeout(timer);
}

/** Rows per message while a build feeds the worker: a few MB, so memory does not hold a second copy of the store. */
const BUILD_CHUNK_BYTES = 4 * 1024 * 1024;
/** The most keys a search asks for (store/ann-query.ts caps it at this). */
export const MAX_SEARCH_KEYS = 2048;
/**
 * How long a search watches the answer slot before it waits for the message:
 * an answer takes about 0.3 ms at 100k rows, so most arrive within it, and
 * the event loop is held no longer than this.
 */
const ANSWER_WATCH_MS = 1;
/** How long close() waits for the worker to write its sidecar. */
const CLOSE_WAIT_MS = 60_000;
/** A sidecar is rewritten once this many rows changed since the last, and no sooner than SAVE_EVERY_MS. */
const SAVE_AFTER_CHANGES = 10_000;
const SAVE_EVERY_MS = 60_000;

/** What the index reads of the store: its live rows as they are now. */
export interface RowSource extends FeedSource {
  liveIds(): BigUint64Array;
  isLive(id: bigint): boolean;
}

export interface CommitPoint {
  fileId: string;
  epoch: number;
  commitHash: string;
}


export interface AnnIndexOptions {
  dimensions: number;
  metric: Metric;
  sidecarPath: string;
  writable: boolean;
  warn: (message: string) => void;
}

type State = 'loading' | 'building' | 'ready' | 'failed';

/** A step that changed rows: their ids, and their keys once #dirty holds them. */
interface Change {
  seq: number;
  ids: BigUint64Array;
  keys?: IdKey[];
}

export class AnnIndex {
  readonly #opts: AnnIndexOptions;
  readonly #source: RowSource;
  readonly #worker: Worker;
  #state: State = 'building';
  #seq = 0;
  #applied = 0;
  /**
   * Ids changed (or deleted) after what the worker has applied, with the step
   * that changed them last. Brought up to date only when read (#dirtyNow):
   * a bulk ingest with no query in between would otherwise pay a map entry
   * per row, in a map as large as the worker is behind (0.3 ms a batch of
   * 1000 at 1M rows, on the commit's thread); a query that reads it scans
   * those rows anyway, which costs far more than their entries.
   */
  readonly #dirty = new Map<IdKey, number>();
  /** The changes the worker has not applied yet, oldest first; the first `#absorbed` of them are in #dirty (with their keys). */
  readonly #changes: Change[] = [];
  #absorbed = 0;
  #point: CommitPoint;
  /** A build in progress: the ids it still has to send, and the step it waits on. */
  #build: { ids: BigUint64Array; next: number; waiting: number } | undefined;
  /**
   * The step whose application makes the graph usable: the load, or a build's
   * last rows; Infinity while a build still has rows to send. The first
   * settled mark once it is known completes the index.
   */
  #usableAt = Infinity;
  #complete = false;
  /** A finished build asks for a sidecar at the first settled mark. */
  #saveWanted = false;
  #changedSinceSave = 0;
  /** The last mark that asked the worker for a sidecar: until it is applied, that save is under way or to come. */
  #saveAskedAt = 0;
  #lastSave = Date.now();
  #searchId = 0;
  readonly #answerSlot = new AnswerSlot(MAX_SEARCH_KEYS);
  readonly #commitCount = new CommitCount();
  readonly #searches = new Map<number, (keys: BigUint64Array | undefined) => void>();
  #readyWaiters: { resolve: () => void; onProgress?: (done: number, total: number) => void }[] = [];
  #closed: Promise<void> | undefined;
  #onClosed: (() => void) | undefined;
  readonly #feed: WorkerFeed;

  private constructor(opts: AnnIndexOptions, source: RowSource, point: CommitPoint) {
    this.#opts = opts;
    this.#source = source;
    this.#point = point;
    const setup: WorkerSetup = {
      dimensions: opts.dimensions,
      metric: opts.metric,
      sidecarPath: opts.sidecarPath,
      writable: opts.writable,
      saveDelayMs: Number(process.env['RVF_TEST_INDEX_SAVE_DELAY_MS'] ?? 0) || 0,
      searchDelayMs: Number(process.env['RVF_TEST_INDEX_SEARCH_DELAY_MS'] ?? 0) || 0,
      stepDelayMs: Number(process.env['RVF_TEST_INDEX_STEP_DELAY_MS'] ?? 0) || 0,
      answerSlot: this.#answerSlot.buffer,
      commitCount: this.#commitCount.buffer,
    };
    this.#worker = startWorker(setup);
    const worker = this.#worker;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    liveWorkers.add(exited);
    void exited.then(() => liveWorkers.delete(exited));
    this.#feed = new WorkerFeed(opts.dimensions, source, (step, transfer) => this.#post({ type: 'step', step }, transfer));
    this.#worker.unref();
    this.#worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    this.#worker.on('error', (err) => this.#fail(`the index worker failed (${err.message})`));
    this.#worker.on('exit', () => {
      if (!this.#closed) this.#fail('the index worker stopped');
      this.#onClosed?.();
    });
  }

  /**
   * Starts from the sidecar when it describes one of this file's commits:
   * `changedSince` lists the ids the file changed after that commit, re-sent
   * as they are now. Anything wrong with the sidecar and it builds instead.
   */
  static fromSidecar(opts: AnnIndexOptions, source: RowSource, point: CommitPoint, expect: SidecarExpectation, changedSince: Iterable<bigint>): AnnIndex {
    const ann = new AnnIndex(opts, source, point);
    ann.#state = 'loading';
    ann.#queue({ seq: ++ann.#seq, kind: 'load', expect });
    ann.#usableAt = ann.#seq;
    ann.#resend(changedSince);
    ann.mark(point);
    return ann;
  }

  /** Builds from every live row, in the background. */
  static build(opts: AnnIndexOptions, source: RowSource, point: CommitPoint): AnnIndex {
    const ann = new AnnIndex(opts, source, point);
    ann.#startBuild();
    return ann;
  }

  get ready(): boolean {
    return this.#state === 'ready';
  }

  /** Ids the graph may hold an old version of; a search's caller treats them as tail. */
  get dirtyCount(): number {
    return this.#dirtyNow().size;
  }

  dirtyIds(): Generator<bigint> {
    return (function* (dirty) {
      for (const key of dirty.keys()) yield idOfKey(key);
    })(this.#dirtyNow());
  }

  // ------------------------------------------------------------ changes (the scan store's observer)

  /** The rows of `ids` changed; they are read from the source when sent (ann-feed.ts), not taken from the commit. */
  upserted(ids: BigUint64Array): void {
    if (this.#closed || ids.length === 0) return;
    const copy = ids.slice();
    this.#touch(copy);
    this.#queue({ seq: this.#seq, kind: 'rows', ids: copy });
  }

  deleted(ids: BigUint64Array): void {
    if (this.#closed || ids.length === 0) return;
    const copy = ids.slice();
    this.#touch(copy);
    this.#queue({ seq: this.#seq, kind: 'delete', ids: copy });
  }

  /** The store is at this commit, settled: a point the sidecar may describe. */
  mark(point: CommitPoint, options: { save?: boolean } = {}): void {
    if (this.#closed || this.#state === 'failed') return;
    this.#point = point;
    if (this.#usableAt !== Infinity && !this.#complete && this.#source.settled()) this.#complete = true;
    const due = this.#changedSinceSave >= SAVE_AFTER_CHANGES && Date.now() - this.#lastSave >= SAVE_EVERY_MS;
    const save = this.#opts.writable && this.#complete && (options.save === true || this.#saveWanted || due);
    if (save) {
      this.#changedSinceSave = 0;
      this.#saveWanted = false;
      this.#lastSave = Date.now();
    }
    const seq = ++this.#seq;
    this.#queue({ seq, kind: 'mark', ...point, complete: this.#complete, save });
    if (save) this.#saveAskedAt = seq;
  }

  /** A commit ended, made durable or undone: rows held back while it was staged (RowSource.settled) may go. */
  commitEnded(): void {
    if (this.#closed) return;
    this.#commitCount.committed();
    this.#feed.pump();
  }

  /** Throws the graph away and builds it again from every live row. */
  rebuild(): void {
    if (this.#closed) return;
    this.#startBuild();
  }

  /**
   * Candidate ids for `vector`, handed to `rank` together with a test for ids
   * the graph may hold stale; undefined when the index cannot answer (not
   * ready, or failed), and the caller scans instead. `rank` runs as the
   * answer arrives, before any later progress report can clear a dirty id the
   * search did not see applied.
   */
  search<T>(vector: Float32Array, k: number, rank: (keys: BigUint64Array, dirty: (id: bigint) => boolean) => T, waitMs: number): Promise<T | undefined> {
    if (this.#state !== 'ready' || this.#closed) return Promise.resolve(undefined);
    const id = ++this.#searchId;
    return new Promise((resolve) => {
      // The worker runs at nice 19: on a machine whose cores are busy with other work it may not get to a
      // search for a long time (p50 37 ms, max 1.3 s at 100k, measured). After `waitMs` the caller scans
      // instead, and the late answer is dropped.
      const timer = setTimeout(() => {
        if (!this.#searches.delete(id)) return;
        this.#unrefWhenIdle();
        resolve(undefined);
      }, waitMs);
      this.#searches.set(id, (keys) => {
        clearTimeout(timer);
        resolve(keys === undefined ? undefined : rank(keys, (x) => this.#dirtyNow().has(idKey(x))));
      });
      this.#worker.ref();
      this.#post({ type: 'search', id, vector: vector.slice(), k });
      const keys = this.#answerSlot.take(id, Math.min(waitMs, ANSWER_WATCH_MS));
      if (keys !== undefined) this.#answered(id, keys);
    });
  }

  status(live: number): IndexStatus {
    if (this.#state !== 'ready') return { kind: 'hnsw', indexed: 0, pending: live };
    let pending = 0;
    for (const key of this.#dirtyNow().keys()) if (this.#source.isLive(idOfKey(key))) pending++;
    return { kind: 'hnsw', indexed: live - pending, pending };
  }

  /** Resolves once every live row is in the graph (pending 0); reports build progress meanwhile. */
  settled(onProgress?: (done: number, total: number) => void): Promise<void> {
    if (this.#state === 'failed' || (this.#state === 'ready' && this.#changes.length === 0)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#readyWaiters.push({ resolve, ...(onProgress ? { onProgress } : {}) });
      this.#worker.ref();
    });
  }

  /**
   * Stops the worker. A writer's worker first writes the sidecar when the
   * graph is complete and one is owed (after a build or a compaction) or worth
   * it: SAVE_AFTER_CHANGES rows changed since the sidecar's commit (those
   * re-sent at open count). Fewer are left for the next open to re-send: a
   * save after every change made each close wait for it (0.3 s at 100k idle,
   * 20 s with both cores busy, the worker being at nice 19). With no save to
   * write or under way, the worker is ended without waiting for it: asking it
   * to stop, or waiting for it to exit, made close wait for a worker kept
   * from the cores by a busy machine (2.6-3 s).
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    const worth = this.#saveWanted || this.#changedSinceSave >= SAVE_AFTER_CHANGES;
    const save = this.#opts.writable && this.#complete && this.#state !== 'failed' && worth;
    const saving = this.#opts.writable && this.#state !== 'failed' && this.#saveAskedAt > this.#applied;
    if (save || saving) this.#closed = this.#askToClose(save);
    else {
      // not awaited: a worker kept from the cores takes seconds even to stop, and nothing depends on it;
      // asked, not terminated (ann-worker.ts end() says why), and held until it ends, so that a process
      // exiting on its own (the CLI) does not tear it down inside the index library
      this.#post({ type: 'stop' });
      this.#worker.ref();
      this.#closed = Promise.resolve();
    }
    this.#build = undefined;
    this.#releaseCallers();
    return this.#closed;
  }

  /**
   * Lets the worker reach a mark worth saving, write the sidecar, and stop;
   * stops waiting after CLOSE_WAIT_MS and leaves it to end by itself (the
   * sidecar is written whole or not at all, store/ann-sidecar.ts).
   */
  #askToClose(save: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      this.#onClosed = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#worker.ref();
      this.#feed.pump(CLOSE_BUDGET_ROWS);
      this.#post({ type: 'close', save });
    });
  }

  // ------------------------------------------------------------ internals

  #startBuild(): void {
    this.#state = 'building';
    this.#usableAt = Infinity;
    this.#complete = false;
    this.#queue({ seq: ++this.#seq, kind: 'reset' });
    this.#build = { ids: this.#source.liveIds(), next: 0, waiting: 0 };
    this.#sendChunk();
  }

  #sendChunk(): void {
    const build = this.#build;
    if (!build) return;
    const rows = Math.max(1, Math.floor(BUILD_CHUNK_BYTES / (this.#opts.dimensions * 4)));
    if (build.next >= build.ids.length) {
      this.#build = undefined;
      this.#usableAt = build.waiting;
      this.#saveWanted = true;
      if (this.#source.settled()) this.mark(this.#point);
      this.#advance(this.#applied);
      return;
    }
    // A row sent is as it is then; a later change to it follows in the stream.
    this.#queue({ seq: ++this.#seq, kind: 'rows', ids: build.ids.subarray(build.next, build.next + rows) });
    build.next += rows;
    build.waiting = this.#seq;
  }

  #resend(ids: Iterable<bigint>): void {
    const list = BigUint64Array.from(ids);
    if (list.length === 0) return;
    const gone = list.filter((id) => !this.#source.isLive(id));
    if (gone.length > 0) this.deleted(gone);
    this.upserted(list.filter((id) => this.#source.isLive(id)));
  }

  /** Records ids as changed by the step about to be sent (which takes the next seq). */
  #touch(ids: BigUint64Array): void {
    this.#changes.push({ seq: ++this.#seq, ids });
    this.#changedSinceSave += ids.length;
  }

  /** #dirty with every change not yet applied in it, later changes over earlier ones. */
  #dirtyNow(): Map<IdKey, number> {
    for (; this.#absorbed < this.#changes.length; this.#absorbed++) {
      const change = this.#changes[this.#absorbed] as Change;
      change.keys = idKeys(change.ids);
      for (const key of change.keys) this.#dirty.set(key, change.seq);
    }
    return this.#dirty;
  }

  #queue(step: Outgoing): void {
    if (this.#state !== 'failed') this.#feed.queue(step); // once failed, nothing reads it
  }

  #post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(msg, transfer);
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'hits':
        // Nothing waits for it when the search took its answer from the slot, or gave up waiting.
        this.#answered(msg.id, msg.keys);
        return;
      case 'refused':
        this.#opts.warn(`rebuilding the index: its sidecar was not used, because ${msg.reason}`);
        // Building before the refused load counts as applied, so the graph is never taken as usable in between.
        this.#startBuild();
        this.#advance(msg.seq);
        return;
      case 'loaded':
        this.#advance(msg.seq);
        return;
      case 'applied':
        this.#advance(msg.seq, msg.spare);
        return;
      case 'warning':
        this.#opts.warn(msg.message);
        return;
      case 'closed':
        // the worker ends by itself once it has said so (ann-worker.ts end())
        this.#onClosed?.();
        return;
      case 'saved':
        return;
    }
  }

  /** The worker applied every step up to `seq`: those changes are in the graph. */
  #advance(seq: number, spare?: ArrayBuffer): void {
    this.#applied = Math.max(this.#applied, seq);
    this.#feed.applied(this.#applied, spare);
    while (this.#changes.length > 0 && (this.#changes[0] as { seq: number }).seq <= this.#applied) {
      const change = this.#changes.shift() as Change;
      if (change.keys === undefined) continue; // never absorbed: nothing of it is in #dirty
      this.#absorbed--;
      for (const key of change.keys) if (this.#dirty.get(key) === change.seq) this.#dirty.delete(key);
    }
    const build = this.#build;
    if (build && this.#applied >= build.waiting) {
      // Progress counts rows in the graph, reported as each chunk is in.
      const total = build.ids.length;
      for (const w of this.#readyWaiters) w.onProgress?.(Math.min(build.next, total), total);
      this.#sendChunk();
      return;
    }
    // Every row of the load or build is in: from here the tail is exactly the dirty ids.
    if ((this.#state === 'loading' || this.#state === 'building') && this.#applied >= this.#usableAt) this.#state = 'ready';
    this.#wakeWaiters(false);
  }

  #answered(id: number, keys: BigUint64Array): void {
    const done = this.#searches.get(id);
    this.#searches.delete(id);
    this.#unrefWhenIdle();
    done?.(keys);
  }

  /** The worker keeps the process alive only while a search or a waiter needs its answer. */
  #unrefWhenIdle(): void {
    // a closed index's worker stays held until it has ended (close())
    if (this.#searches.size === 0 && this.#readyWaiters.length === 0 && !this.#closed) this.#worker.unref();
  }

  #wakeWaiters(all: boolean): void {
    if (!all && !(this.#state === 'ready' && this.#changes.length === 0)) return;
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of waiters) w.resolve();
    if (this.#searches.size === 0 && !this.#closed) this.#worker.unref();
  }

  #fail(message: string): void {
    if (this.#state === 'failed') return;
    this.#state = 'failed';
    this.#feed.clear();
    this.#opts.warn(`${message}; queries scan exactly until the store is opened again`);
    this.#releaseCallers();
  }

  /** Searches and waiters get their answer now: scan instead, stop waiting. */
  #releaseCallers(): void {
    for (const [, done] of this.#searches) done(undefined);
    this.#searches.clear();
    this.#wakeWaiters(true);
  }
}

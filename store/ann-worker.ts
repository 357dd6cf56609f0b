import { closeSync, existsSync, openSync, readlinkSync, rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { CLOSE_BUDGET_ROWS, type FromWorker, type Step, type ToWorker, type WorkerSetup } from './ann-protocol.ts';
import { AnswerSlot } from './ann-answer-slot.ts';
import { CommitCount, WorkPacer } from './ann-pacing.ts';
import { blobIntact, mismatch, publishSidecar, readMeta } from './ann-sidecar.ts';
import { tempPathFor } from './snapshot.ts';

/**
 * The index worker: holds a store's HNSW graph (usearch) off the main thread,
 * applies the store's changes to it in order, and answers searches between
 * slices of that work, so a search never waits for a whole batch to be added.
 *
 * Why usearch: measured against hnswlib-node, hnswlib-wasm, @ruvector/core
 * and an exact scan (BENCHMARKS.md, "Choosing the approximate index"), it was
 * the one with recall 1.0 at its defaults before and after deletes, real
 * removal, parallel builds, and a prebuilt binary for Node 20.
 */

// Loaded with require: importing this CommonJS addon through tsx's hooks in a worker thread hangs (tests run from source).
const { Index, MetricKind, ScalarKind } = createRequire(import.meta.url)('usearch') as typeof import('usearch');
type UsearchIndex = InstanceType<typeof Index>;

const setup = workerData as WorkerSetup;
const port = parentPort as NonNullable<typeof parentPort>;
const answerSlot = new AnswerSlot(setup.answerSlot);
const pacer = new WorkPacer(new CommitCount(setup.commitCount));

/**
 * usearch's defaults, except a smaller build beam (half the build time for
 * recall 0.9999 at 100k) and half-precision vectors in the graph: candidates
 * are re-ranked by the store's exact distance anyway, and f16 took the store
 * from 2.48x to 1.98x the raw vector bytes at the same recall (BENCHMARKS.md).
 */
const CONNECTIVITY = 16;
const EXPANSION_ADD = 64;
const EXPANSION_SEARCH = 64;
/** A slice of adds aims at this long, so a search waits at most about this much. */
const SLICE_MS = 15;

const METRIC_KIND = { cosine: MetricKind.Cos, l2: MetricKind.L2sq, dotproduct: MetricKind.IP } as const;

function newIndex(): UsearchIndex {
  return new Index({
    dimensions: setup.dimensions,
    metric: METRIC_KIND[setup.metric],
    quantization: ScalarKind.F16,
    connectivity: CONNECTIVITY,
    expansion_add: EXPANSION_ADD,
    expansion_search: EXPANSION_SEARCH,
    multi: false,
  });
}

// The graph is built with this thread's spare time: on Linux a thread's nice
// value is its own and is inherited by the threads usearch starts, so the
// store's commits keep the cores they need (durable ingest beside a build:
// 0.85x at nice 10, 0.94x at nice 19). Searches run on this thread too, so a
// search competing with a busy main thread waits its turn.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, 19);
} catch {
  // Not Linux: the build runs at normal priority.
}

let index = newIndex();
const steps: Step[] = [];
/** Rows of the step at the head of the queue already added (upserts go in slices). */
let headDone = 0;
let applied = 0;
let rowsPerSlice = 16;
let running = false;
let finished = false;
/** The last mark applied, when nothing after it has been applied yet: the only state a sidecar may hold. */
let atMark: Extract<Step, { kind: 'mark' }> | undefined;
let closing: { save: boolean } | undefined;
/** asked to stop without saving: ends after the step at hand (end()) */
let stopping = false;

function post(msg: FromWorker): void {
  port.postMessage(msg);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'search') {
    const answer = (): void => {
      const hits = index.size() === 0 ? new BigUint64Array(0) : index.search(msg.vector, msg.k, 1).keys;
      answerSlot.put(msg.id, hits);
      post({ type: 'hits', id: msg.id, keys: hits, applied });
    };
    if (setup.searchDelayMs > 0) setTimeout(answer, setup.searchDelayMs);
    else answer();
    return;
  }
  if (msg.type === 'stop') {
    stopping = true;
    if (!running) end();
    return;
  }
  if (msg.type === 'close') closing = { save: msg.save };
  else steps.push(msg.step);
  schedule();
});

/**
 * Ends this thread by letting its event loop run dry (the port was its last
 * handle), never by Worker.terminate(): a thread terminated while usearch is
 * inside add() or remove() aborts the whole process (usearch is built with C++
 * exceptions, and the N-API call that fails under termination throws one that
 * nothing catches: "terminate called after throwing an instance of
 * 'Napi::Error'").
 */
function end(): void {
  finished = true;
  steps.length = 0;
  port.close();
}

/** One slice or step at a time, never two at once (a sidecar write awaits). */
function schedule(restMs = 0): void {
  if (running || finished) return;
  running = true;
  const run = (): void => {
    if (stopping) {
      running = false;
      return end();
    }
    const started = performance.now();
    void work().finally(() => {
      running = false;
      if (stopping || finished) return end();
      // while the store commits, rest between slices (store/ann-pacing.ts); a close never waits
      if (closing || steps.length > 0) schedule(closing ? 0 : pacer.restAfter(performance.now() - started));
    });
  };
  if (restMs > 0) setTimeout(run, restMs);
  else setImmediate(run);
}

async function work(): Promise<void> {
  if (closing) {
    finished = true;
    return finish(closing.save);
  }
  const step = steps[0];
  if (!step) return;
  if (setup.stepDelayMs > 0) {
    const until = performance.now() + setup.stepDelayMs;
    while (performance.now() < until); // busy on purpose: nothing else runs on this thread meanwhile
  }
  if (step.kind === 'upsert') {
    if (!upsertSlice(step)) return;
  } else {
    await apply(step);
  }
  steps.shift();
  headDone = 0;
  applied = step.seq;
  atMark = step.kind === 'mark' ? step : undefined;
  if (step.kind === 'upsert') {
    const spare = step.vectors.buffer as ArrayBuffer;
    port.postMessage({ type: 'applied', seq: step.seq, size: index.size(), spare } satisfies FromWorker, [spare]);
  } else if (step.kind !== 'load') post({ type: 'applied', seq: step.seq, size: index.size() });
}

/** Adds the next slice of an upsert; true once the whole step is in. */
function upsertSlice(step: Extract<Step, { kind: 'upsert' }>): boolean {
  const total = step.ids.length;
  if (total === 0) return true; // every row was deleted before it was sent
  const end = Math.min(total, headDone + rowsPerSlice);
  const keys = step.ids.subarray(headDone, end);
  const started = performance.now();
  // usearch refuses a key it holds: a replaced row goes out first.
  index.remove(keys);
  index.add(keys, step.vectors.subarray(headDone * setup.dimensions, end * setup.dimensions), 0);
  const perRow = (performance.now() - started) / Math.max(1, end - headDone);
  rowsPerSlice = Math.max(1, Math.min(4096, Math.round(SLICE_MS / Math.max(perRow, 1e-3))));
  headDone = end;
  return end === total;
}

async function apply(step: Step): Promise<void> {
  switch (step.kind) {
    case 'delete':
      index.remove(step.ids);
      return;
    case 'reset':
      index = newIndex();
      return;
    case 'load':
      return load(step);
    case 'mark':
      if (step.save && step.complete) await save(step);
      return;
    default:
      return;
  }
}

/**
 * Loads the sidecar only after checking it whole, through one open descriptor
 * (the library reads it by /proc/self/fd), so a writer renaming a newer one in
 * meanwhile cannot swap what was checked for what is read.
 */
async function load(step: Extract<Step, { kind: 'load' }>): Promise<void> {
  const refuse = (reason: string): void => {
    index = newIndex();
    post({ type: 'refused', seq: step.seq, reason });
  };
  let fd: number;
  try {
    fd = openSync(setup.sidecarPath, 'r');
  } catch {
    return refuse('there is none');
  }
  try {
    const meta = readMeta(fd);
    if (typeof meta === 'string') return refuse(meta);
    const wrong = mismatch(meta, step.expect);
    if (wrong) return refuse(wrong);
    if (!blobIntact(fd, meta)) return refuse('its checksum does not match (it is damaged)');
    const loaded = newIndex();
    loaded.load(existsSync('/proc/self/fd') ? `/proc/self/fd/${fd}` : setup.sidecarPath);
    if (loaded.size() !== meta.count) return refuse('it holds another number of vectors than its trailer says');
    index = loaded;
    post({ type: 'loaded', seq: step.seq, size: index.size() });
  } catch (err) {
    refuse(`it could not be read (${(err as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

async function save(mark: Extract<Step, { kind: 'mark' }>): Promise<void> {
  if (!setup.writable) return;
  const tmp = tempPathFor(setup.sidecarPath);
  try {
    index.save(tmp);
    await publishSidecar(tmp, setup.sidecarPath, {
      library: 'usearch',
      fileId: mark.fileId,
      dimensions: setup.dimensions,
      metric: setup.metric,
      epoch: mark.epoch,
      commitHash: mark.commitHash,
      count: index.size(),
    }, setup.saveDelayMs);
    post({ type: 'saved', epoch: mark.epoch });
  } catch (err) {
    rmSync(tmp, { force: true });
    post({ type: 'warning', message: `could not write the index sidecar (${(err as Error).message}); the next open rebuilds it` });
  }
}

/**
 * At close: reach the furthest complete mark that is little work away, save
 * there when asked, and say so. The sidecar must describe the graph exactly,
 * so nothing after that mark is applied first.
 */
async function finish(asked: boolean): Promise<void> {
  // A save asked for by a mark still in the queue (after a build or a compaction) is owed too.
  if (asked || steps.some((s) => s.kind === 'mark' && s.save)) {
    let rows = -headDone;
    let target = -1;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as Step;
      if (step.kind === 'upsert') rows += step.ids.length;
      if (rows > CLOSE_BUDGET_ROWS) break;
      if (step.kind === 'mark' && step.complete) target = i;
    }
    if (target !== -1) {
      for (let i = 0; i < target; i++) {
        const step = steps[i] as Step;
        if (step.kind === 'upsert') while (!upsertSlice(step));
        else await apply(step);
        headDone = 0;
      }
      await save(steps[target] as Extract<Step, { kind: 'mark' }>);
    } else if (atMark?.complete) {
      await save(atMark);
    }
  }
  post({ type: 'closed' });
}

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { RvfDatabase } from '../store/index.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { loadEngine } from '../wasm/engine.ts';
import { loadKernel } from '../wasm/kernel.ts';
import { ScanStore } from '../wasm/scan-store.ts';
import { BATCH, DIMENSIONS, percentile, queries, rssMiB, vectorsFor } from './data.ts';

/**
 * One measurement per process, so memory and open time are not polluted by
 * the other systems. Prints one JSON line. Usage: worker.ts <task> <path> <n>
 */

interface NativeDb {
  ingestBatch(vectors: Float32Array, ids: number[]): unknown;
  query(vector: Float32Array, k: number): { id: number; distance: number }[];
  close(): void;
}
interface NativeModule {
  RvfDatabase: { create(path: string, o: { dimension: number; metric: string }): NativeDb; openReadonly(path: string): NativeDb };
}
/** Loaded only by the tasks that use it, so its addon does not count in our process's memory. */
const nativeDb = (): NativeModule['RvfDatabase'] => (createRequire(import.meta.url)('@ruvector/rvf-node') as NativeModule).RvfDatabase;

const [task, path, nArg] = process.argv.slice(2);
const n = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const print = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');

async function oursIngest(): Promise<void> {
  // The exact-scan rows: no index, so no background build shares the machine (bench/ann-worker.ts measures the index).
  const db = await RvfDatabase.create(path as string, { dimensions: DIMENSIONS, metric: 'l2', index: 'none' });
  let spent = 0;
  for (let start = 0; start < n; start += BATCH) {
    const flat = vectorsFor(start, BATCH);
    const entries = Array.from({ length: BATCH }, (_, i) => ({ id: start + i, vector: flat.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS) }));
    const t = performance.now();
    await db.ingestBatch(entries);
    spent += performance.now() - t;
  }
  await db.close();
  print({ vectorsPerSecond: n / (spent / 1000) });
}

function nativeIngest(): void {
  const db = nativeDb().create(path as string, { dimension: DIMENSIONS, metric: 'l2' });
  let spent = 0;
  for (let start = 0; start < n; start += BATCH) {
    const flat = vectorsFor(start, BATCH);
    const ids = Array.from({ length: BATCH }, (_, i) => start + i);
    const t = performance.now();
    db.ingestBatch(flat, ids);
    spent += performance.now() - t;
  }
  db.close();
  print({ vectorsPerSecond: n / (spent / 1000) });
}

async function rawIngest(): Promise<void> {
  const engine = await loadEngine();
  const store = engine.createStore(DIMENSIONS, 'l2');
  let spent = 0;
  for (let start = 0; start < n; start += BATCH) {
    const flat = vectorsFor(start, BATCH);
    const ids = BigUint64Array.from({ length: BATCH }, (_, i) => BigInt(start + i));
    const t = performance.now();
    store.ingest(flat, ids);
    spent += performance.now() - t;
  }
  print({ vectorsPerSecond: n / (spent / 1000) });
}

// Both open tasks load their engine before the baseline reading, so "for the
// store" counts what opening the store adds, not the code that serves it.
async function oursOpen(): Promise<void> {
  await loadEngine();
  gc();
  const before = rssMiB();
  const t = performance.now();
  const db = await RvfDatabase.openReadonly(path as string);
  const openMs = performance.now() - t;
  await db.query(queries(1)[0] as Float32Array, 10);
  gc();
  print({ openMs, rssMiB: rssMiB(), baselineRssMiB: before });
  await db.close();
}

function nativeOpen(): void {
  const native = nativeDb();
  gc();
  const before = rssMiB();
  const t = performance.now();
  const db = native.openReadonly(path as string);
  const openMs = performance.now() - t;
  db.query(queries(1)[0] as Float32Array, 10);
  gc();
  print({ openMs, rssMiB: rssMiB(), baselineRssMiB: before });
  db.close();
}

/**
 * Query latency of the three side by side, alternating query by query: timing
 * them in back-to-back phases gave ratios from 0.78 to 1.32 between two
 * identical engines on these VMs. A fourth column in the same rotation is the
 * bandwidth floor: a SIMD sum over the same rows laid out as the store's scan
 * kernel holds them (wasm/scan-store.ts), the least work that reads every
 * byte an exact scan must read.
 */
async function queryCompare(): Promise<void> {
  const ours = await RvfDatabase.openReadonly(path as string);
  const engine = await loadEngine();
  const raw = engine.createStore(DIMENSIONS, 'l2');
  const floor = new ScanStore(await loadKernel(), DIMENSIONS, 'l2');
  for (let start = 0; start < n; start += BATCH) {
    const ids = BigUint64Array.from({ length: BATCH }, (_, i) => BigInt(start + i));
    raw.ingest(vectorsFor(start, BATCH), ids);
    floor.ingest(vectorsFor(start, BATCH), ids);
  }
  const nat = nativeDb().openReadonly(path as string);
  const qs = queries(100);
  const times = { ours: [] as number[], raw: [] as number[], native: [] as number[], floor: [] as number[] };
  let mismatches = 0;
  let sink = 0;
  for (const q of [...qs.slice(0, 5), ...qs]) {
    let t = performance.now();
    const a = await ours.query(q, 10);
    times.ours.push(performance.now() - t);
    t = performance.now();
    const b = raw.query(q, 10);
    times.raw.push(performance.now() - t);
    t = performance.now();
    nat.query(q, 10);
    times.native.push(performance.now() - t);
    t = performance.now();
    sink += floor.sumRows();
    times.floor.push(performance.now() - t);
    if (a.map((r) => String(r.id)).join() !== Array.from(b.ids, String).join()) mismatches++;
  }
  const stats = (xs: number[]) => {
    const s = xs.slice(5).sort((x, y) => x - y);
    return { p50: percentile(s, 50), p95: percentile(s, 95) };
  };
  const bytes = n * DIMENSIONS * 4;
  const floorStats = stats(times.floor);
  print({ ours: stats(times.ours), raw: stats(times.raw), native: stats(times.native), floor: { ...floorStats, gbPerSecond: bytes / (floorStats.p50 / 1000) / 1e9, sink }, mismatches });
  nat.close();
  floor.close();
  await ours.close();
}

/**
 * SQL joined with rvf_knn against the same search done directly, alternating
 * query by query: what the child process, the pipe RPC and the join add.
 */
async function sqlKnn(): Promise<void> {
  const db = await RvfDatabase.openReadonly(path as string);
  const sql = 'SELECT v.id, k.distance, v.epoch FROM rvf_knn(?, 10) AS k JOIN vectors AS v ON v.id = k.id ORDER BY k.distance';
  const qs = queries(100);
  const times = { sql: [] as number[], direct: [] as number[] };
  let mismatches = 0;
  for (const q of [...qs.slice(0, 5), ...qs]) {
    const vector = Array.from(q);
    let t = performance.now();
    const viaSql = await runQuery(db, 'sql', sql, [vector], { write: false });
    times.sql.push(performance.now() - t);
    t = performance.now();
    const direct = await db.query(q, 10);
    times.direct.push(performance.now() - t);
    if (viaSql.rows.map((r) => String(r[0])).join() !== direct.map((r) => String(r.id)).join()) mismatches++;
  }
  const stats = (xs: number[]) => {
    const s = xs.slice(5).sort((x, y) => x - y);
    return { p50: percentile(s, 50), p95: percentile(s, 95) };
  };
  print({ sql: stats(times.sql), direct: stats(times.direct), mismatches });
  await db.close();
}

/**
 * Concurrent writers on one store, as an HTTP server with several agents
 * writing memory sees them: <writers> callers each ingest batches of <batch>
 * vectors at once, until n in all; the store commits the batches that waited
 * together as one (group commit). One writer with batches eight times as
 * large is the most grouping could give. Usage:
 * worker.ts writers-ingest <path> <n> <writers> <batch>
 */
async function writersIngest(): Promise<void> {
  const writers = Number(process.argv[5] ?? 8);
  const batch = Number(process.argv[6] ?? 10);
  const db = await RvfDatabase.create(path as string, { dimensions: DIMENSIONS, metric: 'l2', index: 'none' });
  const flat = vectorsFor(0, n);
  let next = 0;
  let batches = 0;
  const writer = async (): Promise<void> => {
    while (next < n) {
      const start = next;
      const count = Math.min(batch, n - start);
      next += count;
      await db.ingestBatch(Array.from({ length: count }, (_, i) => ({ id: start + i, vector: flat.subarray((start + i) * DIMENSIONS, (start + i + 1) * DIMENSIONS) })));
      batches++;
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: writers }, writer));
  const seconds = (performance.now() - t) / 1000;
  const commits = (await db.status()).epoch;
  await db.close();
  print({ writers, batch, vectorsPerSecond: n / seconds, batchesPerSecond: batches / seconds, commits });
}

/** The native SDK with the same batches, one after another (its ingest is synchronous: callers cannot overlap). Usage: worker.ts native-writers-ingest <path> <n> <batch> */
function nativeWritersIngest(): void {
  const batch = Number(process.argv[5] ?? 10);
  const db = nativeDb().create(path as string, { dimension: DIMENSIONS, metric: 'l2' });
  const flat = vectorsFor(0, n);
  const t = performance.now();
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    db.ingestBatch(flat.subarray(start * DIMENSIONS, (start + count) * DIMENSIONS), Array.from({ length: count }, (_, i) => start + i));
  }
  const seconds = (performance.now() - t) / 1000;
  db.close();
  print({ batch, vectorsPerSecond: n / seconds });
}

const tasks: Record<string, () => Promise<void> | void> = {
  'sql-knn': sqlKnn,
  'ours-ingest': oursIngest,
  'native-ingest': nativeIngest,
  'raw-ingest': rawIngest,
  'ours-open': oursOpen,
  'native-open': nativeOpen,
  'query-compare': queryCompare,
  'writers-ingest': writersIngest,
  'native-writers-ingest': nativeWritersIngest,
};
const run = tasks[task as string];
if (!run) throw new Error(`unknown task ${task}`);
await run();

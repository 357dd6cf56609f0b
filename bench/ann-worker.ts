import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RvfDatabase } from '../store/index.ts';
import { loadEngine } from '../wasm/engine.ts';
import { BATCH, clusteredFor, clusteredQueries, DIMENSIONS, percentile, rssMiB } from './data.ts';

/**
 * The approximate index (issue 14's targets), one measurement per process, on
 * clustered data, cosine. Prints one JSON line. Usage:
 *   ann-worker.ts ingest <path> <n> <auto|none>   durable ingest, batches of 1000
 *   ann-worker.ts build <path> <n>                background build, then queries indexed vs exact, recall, 10% deletes
 *   ann-worker.ts open <path> <n>                 read-only open until pending is 0, and memory
 */

const [task, path, nArg, setting] = process.argv.slice(2) as [string, string, string, string | undefined];
const n = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const print = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95) };
};

async function ingest(): Promise<void> {
  const db = await RvfDatabase.create(path, { dimensions: DIMENSIONS, metric: 'cosine', index: setting === 'none' ? 'none' : 'auto' });
  let spent = 0;
  for (let start = 0; start < n; start += BATCH) {
    const flat = clusteredFor(start, BATCH);
    const entries = Array.from({ length: BATCH }, (_, i) => ({ id: start + i, vector: flat.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS), metadata: { n: start + i } }));
    const t = performance.now();
    await db.ingestBatch(entries);
    spent += performance.now() - t;
  }
  const pending = (await db.status()).index.pending;
  await db.close();
  print({ vectorsPerSecond: n / (spent / 1000), pendingAtEnd: pending });
}

/** Recall@10 of the indexed query against the exact one, and both latencies, alternating query by query. */
async function compare(db: RvfDatabase, qs: Float32Array[]): Promise<{ recall: number; indexed: { p50: number; p95: number }; exact: { p50: number; p95: number } }> {
  const times = { indexed: [] as number[], exact: [] as number[] };
  let found = 0;
  for (const [i, q] of qs.entries()) {
    let t = performance.now();
    const got = await db.query(q, 10);
    const indexedMs = performance.now() - t;
    t = performance.now();
    const exact = await db.query(q, 10, { exact: true });
    const exactMs = performance.now() - t;
    if (i >= 10) {
      times.indexed.push(indexedMs);
      times.exact.push(exactMs);
    }
    const want = new Set(exact.map((r) => r.id));
    found += got.filter((r) => want.has(r.id)).length;
  }
  return { recall: found / (qs.length * 10), indexed: stats(times.indexed), exact: stats(times.exact) };
}

async function build(): Promise<void> {
  rmSync(`${path}.ann`, { force: true });
  const t = performance.now();
  const db = await RvfDatabase.open(path);
  await db.waitForIndex();
  const buildMs = performance.now() - t;
  const qs = clusteredQueries(510);
  const before = await compare(db, qs);
  const doomed = Array.from({ length: n / 10 }, (_, i) => i * 10 + 7);
  for (let i = 0; i < doomed.length; i += 10_000) await db.delete(doomed.slice(i, i + 10_000));
  await db.waitForIndex();
  const after = await compare(db, qs.slice(0, 210));
  const t2 = performance.now();
  await db.close(); // writes the sidecar the open task reads
  print({ buildMs, before, after, closeMs: performance.now() - t2 });
}

async function open(): Promise<void> {
  await loadEngine();
  gc();
  const baseline = rssMiB();
  const t = performance.now();
  const db = await RvfDatabase.openReadonly(path);
  await db.waitForIndex();
  const readyMs = performance.now() - t;
  const status = await db.status();
  await db.query(clusteredQueries(1)[0] as Float32Array, 10);
  gc();
  print({ readyMs, pending: status.index.pending, indexed: status.index.indexed, rssMiB: rssMiB(), baselineRssMiB: baseline, live: status.totalVectors });
  await db.close();
}

const tasks: Record<string, () => Promise<void>> = { ingest, build, open };
const run = tasks[task];
if (!run) throw new Error(`unknown task ${task}`);
await run();

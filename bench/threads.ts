import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { DIMENSIONS, percentile, queries, vectorsFor } from './data.ts';

/**
 * Would worker threads pay for the exact scan? Measures the scan kernel over
 * n x 384 rows in one shared memory: one thread over all rows, against two
 * worker threads over halves (the main thread waiting), alternated query by
 * query; then again with a third thread spinning, the way a second
 * core is busy on a shared 2-core machine. Not part of `npm run bench` (it
 * needs wabt, to compile the kernel for a shared memory).
 * Run: npm run build && node dist/bench/threads.js [n] (worker threads do not
 * inherit tsx's loader, so it runs compiled).
 */

interface Scan {
  scan_range(metric: number, q: number, qnorm: number, rows: number, count: number, n4: number, out: number): void;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: unknown };
}
const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const N4 = DIMENSIONS / 4;
const ROWS_AT = 65536;

/** The kernel with its memory import made shared (threads need that; the shipped kernel imports the engine's unshared memory). */
async function compileShared(): Promise<Uint8Array> {
  // The source sits beside wasm/ in a checkout: one level up from bench/, two from dist/bench/.
  const at = ['../wasm/scan-kernel.wat', '../../wasm/scan-kernel.wat'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p));
  if (!at) throw new Error('bench/threads needs wasm/scan-kernel.wat from a checkout');
  const wat = readFileSync(at, 'utf8').replace('(memory 0)', '(memory 1 65536 shared)');
  type Wabt = { parseWat(f: string, t: string, o: object): { toBinary(o: object): { buffer: Uint8Array } } };
  const wabt = await (createRequire(import.meta.url)('wabt') as () => Promise<Wabt>)();
  return wabt.parseWat('scan-kernel.wat', wat, { simd: true, threads: true }).toBinary({}).buffer;
}

interface Shared {
  memory: { buffer: SharedArrayBuffer };
  bytes: Uint8Array;
  control: SharedArrayBuffer;
  n: number;
}

function instantiate(s: Shared): Scan {
  return new api.Instance(new api.Module(s.bytes), { env: { memory: s.memory } }).exports as Scan;
}

if (!isMainThread) {
  const s = workerData as Shared & { first: number; count: number; spin: boolean };
  const control = new Int32Array(s.control);
  if (s.spin) {
    // Keeps a core busy until told to stop.
    while (Atomics.load(control, 2) === 0) for (let i = 0; i < 1e6; i++);
  } else {
    const kernel = instantiate(s);
    const stride = N4 * 16;
    let seen = 0;
    for (;;) {
      Atomics.wait(control, 0, seen);
      seen = Atomics.load(control, 0);
      if (seen < 0) break;
      kernel.scan_range(0, 0, 0, ROWS_AT + s.first * stride, s.count, N4, ROWS_AT + s.n * stride + s.first * 4);
      Atomics.add(control, 1, 1);
      Atomics.notify(control, 1);
    }
  }
  parentPort?.close();
} else {
  const n = Number(process.argv[2] ?? 100_000);
  const stride = N4 * 16;
  const pages = Math.ceil((ROWS_AT + n * stride + n * 4) / 65536) + 1;
  const memory = new api.Memory({ initial: pages, maximum: pages, shared: true });
  const floats = new Float32Array(memory.buffer);
  for (let start = 0; start < n; start += 1000) floats.set(vectorsFor(start, Math.min(1000, n - start)), (ROWS_AT >> 2) + start * DIMENSIONS);
  const shared: Shared = { memory, bytes: await compileShared(), control: new SharedArrayBuffer(16), n };
  const kernel = instantiate(shared);
  const control = new Int32Array(shared.control);
  const half = Math.floor(n / 2);
  const script = fileURLToPath(import.meta.url);
  const execArgv = process.execArgv;
  const workers = [
    new Worker(script, { workerData: { ...shared, first: 0, count: half, spin: false }, execArgv }),
    new Worker(script, { workerData: { ...shared, first: half, count: n - half, spin: false }, execArgv }),
  ];
  await new Promise((r) => setTimeout(r, 500));
  const out = ROWS_AT + n * stride;
  const qs = queries(60);
  const wake = (workersWanted: number): void => {
    Atomics.store(control, 1, 0);
    Atomics.add(control, 0, 1);
    Atomics.notify(control, 0, workersWanted);
  };
  const waitFor = (count: number): void => {
    // Bounded: a worker that failed to start would otherwise leave this thread waiting forever.
    for (let tries = 0; tries < 10_000; tries++) {
      const done = Atomics.load(control, 1);
      if (done >= count) return;
      Atomics.wait(control, 1, done, 1);
    }
    throw new Error('the worker threads did not answer within 10 s');
  };
  const round = (label: string): Record<string, number> => {
    const times: Record<string, number[]> = { one: [], two: [] };
    for (const q of qs) {
      floats.set(q, 0);
      let t = performance.now();
      kernel.scan_range(0, 0, 0, ROWS_AT, n, N4, out);
      (times.one as number[]).push(performance.now() - t);
      t = performance.now();
      wake(2);
      waitFor(2);
      (times.two as number[]).push(performance.now() - t);
    }
    const p50 = (xs: number[]): number => percentile(xs.slice(5).sort((a, b) => a - b), 50);
    const r = { oneThreadMs: p50(times.one as number[]), twoWorkersMs: p50(times.two as number[]) };
    console.log(JSON.stringify({ n, label, ...r, speedup: r.oneThreadMs / r.twoWorkersMs, load: loadavg().map((x) => Number(x.toFixed(2))) }));
    return r;
  };
  round('machine as it is');
  const spinner = new Worker(script, { workerData: { ...shared, first: 0, count: 0, spin: true }, execArgv });
  await new Promise((r) => setTimeout(r, 300));
  round('plus one thread spinning');
  Atomics.store(control, 2, 1);
  Atomics.store(control, 0, -1);
  Atomics.notify(control, 0);
  await Promise.all([...workers, spinner].map((w) => new Promise((r) => w.once('exit', r))));
}

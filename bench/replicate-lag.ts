/**
 * Replication lag under a steady ingest load, as a `--write --replicate-to`
 * server runs it: a writer commits 1000 x 384 every `interval` ms for
 * `seconds`, while a ReplicationFollower (store/replicate/follower.ts) ships
 * the store to PGlite + pgvector in another process. Samples the lag (commits
 * the store has that Postgres has not) every 100 ms, and the time for the
 * backlog to drain after the load stops.
 * `node --import tsx bench/replicate-lag.ts [interval-ms] [seconds]`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { StoreRegistry } from '../store/registry.ts';
import { ReplicationFollower } from '../store/replicate/follower.ts';
import { parseTarget } from '../store/replicate/postgres-target.ts';
import { BATCH, DIMENSIONS, percentile, vectorsFor } from './data.ts';

const INTERVAL_MS = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 30);
const root = mkdtempSync(join(tmpdir(), 'rvf-bench-lag-'));
// The PGlite server beside this file: compiled (npm run bench) or the source under tsx.
const serverScript = new URL(`./pglite-server${extname(new URL(import.meta.url).pathname)}`, import.meta.url).pathname;
const child = spawn(process.execPath, [...(serverScript.endsWith('.ts') ? ['--import', 'tsx'] : []), serverScript], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /port (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', () => reject(new Error('the PGlite process exited')));
});

const registry = new StoreRegistry({ root, write: true });
const follower = new ReplicationFollower({ target: parseTarget(`postgres://postgres@127.0.0.1:${port}/postgres`), stores: registry, log: { info: () => undefined, warn: (m) => console.error(m) } });
try {
  const db = await registry.create('load', { dimensions: DIMENSIONS });
  follower.start();
  const lags: number[] = [];
  let commits = 0;
  const end = Date.now() + SECONDS * 1000;
  const sampler = setInterval(() => {
    void db.status().then((s) => lags.push(follower.status('load', s.epoch).lag ?? s.epoch));
  }, 100);
  for (let next = Date.now(); Date.now() < end; next += INTERVAL_MS) {
    const flat = vectorsFor(commits * BATCH, BATCH);
    await db.ingestBatch(Array.from({ length: BATCH }, (_, i) => ({ id: commits * BATCH + i, vector: flat.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS) })));
    commits += 1;
    const wait = next + INTERVAL_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  clearInterval(sampler);
  const stopped = Date.now();
  const epoch = (await db.status()).epoch;
  while ((follower.status('load', epoch).epoch ?? -1) < epoch) await new Promise((r) => setTimeout(r, 20));
  const drained = Date.now() - stopped;
  const sorted = [...lags].sort((a, b) => a - b);
  const rate = (commits * BATCH) / SECONDS;
  console.log(
    `${commits} commits of ${BATCH} x ${DIMENSIONS} in ${SECONDS} s (${Math.round(rate)} vectors/s offered): lag in commits p50 ${percentile(sorted, 50)}, p95 ${percentile(sorted, 95)}, max ${sorted.at(-1)}; backlog drained ${drained} ms after the load stopped`,
  );
} finally {
  await follower.stop();
  await registry.closeAll();
  child.kill();
  rmSync(root, { recursive: true, force: true });
}

/**
 * Replication throughput: a 100k x 384 store (cosine, 100 commits of 1000)
 * shipped into PGlite + pgvector over pglite-socket, as `rvf replicate` does:
 * first its 100 commits one transaction each (Postgres took the store while
 * it was empty), then the whole store in one transaction under a second name
 * (a first replication), then a rerun with nothing new. `node --import tsx bench/replicate.ts [count]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { RvfDatabase } from '../store/index.ts';
import { replicateStore } from '../store/replicate/replicate.ts';
import { BATCH, DIMENSIONS, vectorsFor } from './data.ts';

const COUNT = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'rvf-bench-replicate-'));
const pg = await PGlite.create({ extensions: { vector } });
const server = new PGLiteSocketServer({ db: pg, port: 0, host: '127.0.0.1' });
await server.start();
const url = `postgres://postgres@${server.getServerConn()}/postgres`;

try {
  const path = join(dir, 'bench.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIMENSIONS });
  await replicateStore(path, url, { store: 'commits' }); // Postgres takes the empty store; the ingests below ship commit by commit
  for (let start = 0; start < COUNT; start += BATCH) {
    const n = Math.min(BATCH, COUNT - start);
    const flat = vectorsFor(start, n);
    await db.ingestBatch(Array.from({ length: n }, (_, i) => ({ id: start + i, vector: flat.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS), metadata: { i: start + i } })));
  }
  await db.close();

  let t = performance.now();
  const byCommit = await replicateStore(path, url, { store: 'commits' });
  const byCommitS = (performance.now() - t) / 1000;
  console.log(`commit by commit: ${byCommit.rows.vectors} vectors in ${byCommit.commits} transactions, ${byCommitS.toFixed(1)} s = ${Math.round(byCommit.rows.vectors / byCommitS)} vectors/s`);

  t = performance.now();
  const whole = await replicateStore(path, url, { store: 'whole' });
  const wholeS = (performance.now() - t) / 1000;
  console.log(`whole store: ${whole.rows.vectors} vectors in 1 transaction, ${wholeS.toFixed(1)} s = ${Math.round(whole.rows.vectors / wholeS)} vectors/s`);

  t = performance.now();
  const again = await replicateStore(path, url, { store: 'whole' });
  console.log(`rerun with nothing new: ${again.commits} commits in ${((performance.now() - t) / 1000).toFixed(2)} s`);
  const size = await pg.query<{ s: string }>("SELECT pg_size_pretty(pg_total_relation_size('rvf.vectors')) AS s");
  console.log(`rvf.vectors: ${size.rows[0]?.s}`);
} finally {
  await server.stop();
  await pg.close();
  rmSync(dir, { recursive: true, force: true });
}

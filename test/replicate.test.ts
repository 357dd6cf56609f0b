/**
 * Replication into a real PostgreSQL + pgvector (PGlite over pglite-socket,
 * test/helpers/pglite-server.ts), through the `pg` driver:
 * - for cosine, l2 and dot product stores sharing rvf.vectors, pgvector's
 *   top 10 (`<=>`, `<->`, `<#>`) is the store's query() top 10, same ids in
 *   the same order, distances agreeing;
 * - a rerun changes no row (xmin of every row unchanged);
 * - upserts and deletes ship commit by commit, compaction resyncs whole, and
 *   afterwards Postgres holds exactly the store's vectors and metadata;
 * - Cypher and SPARQL writes land in graph_nodes, graph_rels and rdf_quads,
 *   and so do their deletes;
 * - rows changed behind the replicator's back are found and resynced;
 * - the `rvf replicate` command: --json counts, a rerun ships nothing, a
 *   SIGKILL mid-replication then a rerun leaves no duplicate and no gap, bad
 *   URLs, a refused connection and refused credentials give one line, exit 1,
 *   no stack and no password.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { ReplicationError } from '../store/replicate/postgres-target.ts';
import { replicateStore } from '../store/replicate/replicate.ts';
import type { Metric } from '../store/types.ts';
import { PACKAGE_ROOT } from './helpers/mcp.ts';
import { startPostgres, TEST_PASSWORD, type TestPostgres } from './helpers/pglite-server.ts';
import { randomVectors } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const dir = tempDir('rvf-replicate-');
let pg: TestPostgres;

before(async () => {
  pg = await startPostgres();
});

after(async () => {
  await queryRunner().close();
  await pg?.close();
});

const OPERATOR: Record<Metric, string> = { cosine: '<=>', l2: '<->', dotproduct: '<#>' };

/** pgvector's distance in our terms: `<->` is the L2 distance, ours its square; `<#>` and ours are both the negated dot product. */
function ours(metric: Metric, pgDistance: number): number {
  return metric === 'l2' ? pgDistance * pgDistance : pgDistance;
}

async function pgTop10(store: string, metric: Metric, q: Float32Array): Promise<{ id: string; d: number }[]> {
  const rows = await pg.query<{ id: string; d: number }>(
    `SELECT id::text AS id, embedding ${OPERATOR[metric]} $2::vector AS d FROM rvf.vectors WHERE store = $1 ORDER BY embedding ${OPERATOR[metric]} $2::vector, id LIMIT 10`,
    [store, `[${q.join(',')}]`],
  );
  return rows.map((r) => ({ id: r.id, d: ours(metric, Number(r.d)) }));
}

async function assertSameTop10(db: RvfDatabase, store: string, metric: Metric, dimensions: number, seed: number): Promise<void> {
  for (const q of randomVectors(5, dimensions, seed)) {
    const local = await db.query(q, 10);
    const remote = await pgTop10(store, metric, q);
    assert.deepEqual(remote.map((r) => r.id), local.map((r) => String(r.id)), `${metric}: pgvector's top 10 is the store's`);
    remote.forEach((r, i) => {
      const want = (local[i] as { distance: number }).distance;
      assert.ok(Math.abs(r.d - want) <= 1e-4 * Math.max(1, Math.abs(want)), `${metric}: distance ${r.d} vs ${want}`);
    });
  }
}

/** Everything Postgres holds of a store's vectors, by id: the float32 values and the metadata. */
async function pgVectors(store: string): Promise<Map<string, { vector: number[]; metadata: unknown }>> {
  const rows = await pg.query<{ id: string; v: number[]; metadata: unknown }>(
    'SELECT id::text AS id, embedding::real[] AS v, metadata FROM rvf.vectors WHERE store = $1',
    [store],
  );
  return new Map(rows.map((r) => [r.id, { vector: r.v, metadata: r.metadata }]));
}

async function assertSameVectors(db: RvfDatabase, store: string): Promise<void> {
  const remote = await pgVectors(store);
  let local = 0;
  await db.forEachEntry((batch) => {
    for (const e of batch) {
      local += 1;
      const r = remote.get(String(e.id));
      assert.ok(r, `id ${e.id} is in Postgres`);
      // real[] prints the shortest text that names each float32, so fround gives back its exact value.
      assert.deepEqual(r.vector.map(Math.fround), Array.from(e.vector), `id ${e.id}: the same float32 values`);
      assert.deepEqual(r.metadata, e.metadata, `id ${e.id}: the same metadata`);
    }
  });
  assert.equal(remote.size, local, 'Postgres holds exactly the live vectors');
}

/** xmin of every row of a store: a rerun that writes nothing leaves them all as they were. */
async function rowVersions(store: string): Promise<string> {
  const parts = [];
  for (const table of ['stores', 'vectors', 'graph_nodes', 'graph_labels', 'graph_rels', 'rdf_quads']) {
    const rows = await pg.query<{ x: string }>(`SELECT xmin::text || ':' || ctid::text AS x FROM rvf.${table} WHERE store = $1 ORDER BY 1`, [store]);
    parts.push(`${table}=${rows.map((r) => r.x).join(',')}`);
  }
  return parts.join(' ');
}

async function heldEpoch(store: string): Promise<number | undefined> {
  const rows = await pg.query<{ epoch: string }>('SELECT epoch FROM rvf.stores WHERE store = $1', [store]);
  return rows[0] ? Number(rows[0].epoch) : undefined;
}

function entries(count: number, dimensions: number, seed: number, firstId = 1) {
  return randomVectors(count, dimensions, seed).map((vector, i) => ({ id: firstId + i, vector, metadata: { n: firstId + i, tag: i % 3 === 0 ? 'a' : 'b' } }));
}

describe('vectors', () => {
  const stores: { name: string; metric: Metric; dimensions: number; db?: RvfDatabase }[] = [
    { name: 'cos', metric: 'cosine', dimensions: 24 },
    { name: 'euclid', metric: 'l2', dimensions: 16 },
    { name: 'dot', metric: 'dotproduct', dimensions: 32 },
  ];

  before(async () => {
    for (const [k, s] of stores.entries()) {
      s.db = await RvfDatabase.create(join(dir, `${s.name}.rvf`), { dimensions: s.dimensions, metric: s.metric });
      await s.db.ingestBatch(entries(400, s.dimensions, 10 + k));
      await s.db.ingestBatch(entries(200, s.dimensions, 20 + k, 401));
    }
  });

  after(async () => {
    for (const s of stores) await s.db?.close();
  });

  test('the first replication ships the whole store, and pgvector ranks as the store does for each metric', async () => {
    for (const [k, s] of stores.entries()) {
      const db = s.db as RvfDatabase;
      const result = await replicateStore(db.path, pg.url);
      assert.equal(result.store, s.name);
      assert.equal(result.fromEpoch, null);
      assert.equal(result.epoch, (await db.status()).epoch);
      assert.equal(result.rows.vectors, 600);
      assert.match(result.resynced ?? '', /had none of this store/);
      assert.ok(!result.target.includes(TEST_PASSWORD), 'the reported target has no password');
      await assertSameTop10(db, s.name, s.metric, s.dimensions, 100 + k);
      await assertSameVectors(db, s.name);
    }
    const info = await pg.query<{ store: string; dimensions: number; metric: string }>('SELECT store, dimensions, metric FROM rvf.stores ORDER BY store');
    assert.deepEqual(info, [
      { store: 'cos', dimensions: 24, metric: 'cosine' },
      { store: 'dot', dimensions: 32, metric: 'dotproduct' },
      { store: 'euclid', dimensions: 16, metric: 'l2' },
    ]);
  });

  test('a rerun with nothing new ships nothing and changes no row', async () => {
    const db = stores[0]?.db as RvfDatabase;
    const before = await rowVersions('cos');
    const result = await replicateStore(db.path, pg.url);
    assert.equal(result.commits, 0);
    assert.equal(result.rows.total, 0);
    assert.equal(result.resynced, null);
    assert.equal(await rowVersions('cos'), before);
  });

  test('upserts and deletes ship commit by commit, each moving the epoch', async () => {
    for (const [k, s] of stores.entries()) {
      const db = s.db as RvfDatabase;
      const from = (await db.status()).epoch;
      await db.ingestBatch(entries(50, s.dimensions, 30 + k, 1000)); // new ids
      await db.ingestBatch(entries(40, s.dimensions, 40 + k, 101).map((e) => ({ ...e, metadata: { replaced: true } }))); // upserts
      await db.ingestBatch([{ id: 7, vector: randomVectors(1, s.dimensions, 50 + k)[0] as Float32Array }]); // metadata becomes null
      await db.delete([1, 2, 3, 500, 1001]);
      await db.deleteByFilter({ tag: 'a' });
      const epochs: number[] = [];
      const result = await replicateStore(db.path, pg.url, { onCommit: (e) => epochs.push(e) });
      assert.equal(result.fromEpoch, from);
      assert.equal(result.resynced, null);
      assert.equal(result.commits, 5);
      assert.deepEqual(epochs, [from + 1, from + 2, from + 3, from + 4, from + 5]);
      assert.equal(result.rows.vectors, 91);
      assert.ok(result.rows.vectorsDeleted > 5);
      await assertSameVectors(db, s.name);
      await assertSameTop10(db, s.name, s.metric, s.dimensions, 200 + k);
    }
  });

  test('a compacted store is resynced whole, in one transaction, and matches again', async () => {
    const s = stores[1] as (typeof stores)[number];
    const db = s.db as RvfDatabase;
    await db.compact();
    await db.ingestBatch(entries(5, s.dimensions, 60, 5000));
    const result = await replicateStore(db.path, pg.url);
    assert.match(result.resynced ?? '', /compacted or replaced past epoch/);
    assert.equal(result.commits, 1);
    await assertSameVectors(db, s.name);
    await assertSameTop10(db, s.name, s.metric, s.dimensions, 300);
    const again = await replicateStore(db.path, pg.url);
    assert.equal(again.commits, 0);
  });

  test('a store whose file was replaced (new file id) is resynced whole', async () => {
    const s = stores[2] as (typeof stores)[number];
    const db = s.db as RvfDatabase;
    // The same name for another store: its rows replace the old ones, none are left behind.
    const other = await RvfDatabase.create(join(dir, 'other', `${s.name}.rvf`), { dimensions: 8, metric: 'l2' });
    await other.ingestBatch(entries(30, 8, 70));
    const result = await replicateStore(other.path, pg.url);
    assert.match(result.resynced ?? '', /file changed/);
    await assertSameVectors(other, s.name);
    await other.close();
    const back = await replicateStore(db.path, pg.url);
    assert.match(back.resynced ?? '', /file changed/);
    await assertSameVectors(db, s.name);
  });

  test('two replicators at once ship each commit once', async () => {
    const s = stores[0] as (typeof stores)[number];
    const db = s.db as RvfDatabase;
    const from = (await heldEpoch('cos')) as number;
    for (let i = 0; i < 6; i++) await db.ingestBatch(entries(20, s.dimensions, 400 + i, 3000 + i * 20));
    const [a, b] = await Promise.all([replicateStore(db.path, pg.url), replicateStore(db.path, pg.url)]);
    assert.equal(a.resynced, null);
    assert.equal(b.resynced, null);
    assert.equal(a.commits + b.commits, 6, `each commit shipped once (${a.commits} + ${b.commits})`);
    assert.equal(await heldEpoch('cos'), from + 6);
    await assertSameVectors(db, 'cos');
  });

  test('a history Postgres does not share, or rows changed behind the replicator, are resynced whole', async () => {
    const db = stores[0]?.db as RvfDatabase;
    await pg.query("UPDATE rvf.stores SET commit_hash = 'another history' WHERE store = 'cos'");
    const diverged = await replicateStore(db.path, pg.url);
    assert.match(diverged.resynced ?? '', /history diverged from Postgres's at epoch \d+/);
    await assertSameVectors(db, 'cos');
    // Someone deleted rows behind the replicator's back: the count check sees it.
    await pg.query("DELETE FROM rvf.vectors WHERE store = 'cos' AND id IN (10, 11)");
    const result = await replicateStore(db.path, pg.url);
    assert.match(result.resynced ?? '', /Postgres held \d+ vectors of cos/);
    await assertSameVectors(db, 'cos');
  });
});

describe('graph and triples', () => {
  let db: RvfDatabase;

  before(async () => {
    db = await RvfDatabase.create(join(dir, 'graph.rvf'), { dimensions: 4 });
    await db.ingestBatch(entries(10, 4, 80));
  });

  after(async () => {
    await db.close();
  });

  test('Cypher and SPARQL writes land in graph_nodes, graph_rels and rdf_quads, and so do their deletes', async () => {
    await replicateStore(db.path, pg.url);
    await runQuery(db, 'cypher', "CREATE (a:Person:Author {name: 'Ada', vector_id: 3})-[:WROTE {year: 1843}]->(b:Note {name: 'notes'}), (:Person {name: 'Bob'})", {}, { write: true });
    await runQuery(db, 'sparql', 'INSERT DATA { <http://ex.org/ada> <http://ex.org/name> "Ada"@en . GRAPH <http://ex.org/g> { <http://ex.org/ada> <http://ex.org/age> 36 } }', {}, { write: true });
    const shipped = await replicateStore(db.path, pg.url);
    assert.equal(shipped.commits, 2);
    assert.equal(shipped.resynced, null);

    const nodes = await pg.query<{ labels: string[]; props: Record<string, unknown>; vector_id: string | null }>(
      "SELECT labels, props, vector_id::text AS vector_id FROM rvf.graph_nodes WHERE store = 'graph' ORDER BY props->>'name'",
    );
    assert.deepEqual(nodes, [
      { labels: ['Author', 'Person'], props: { name: 'Ada', vector_id: 3 }, vector_id: '3' },
      { labels: ['Person'], props: { name: 'Bob' }, vector_id: null },
      { labels: ['Note'], props: { name: 'notes' }, vector_id: null },
    ]);
    const rels = await pg.query<{ type: string; src: string; dst: string; props: unknown }>(
      "SELECT r.type, s.props->>'name' AS src, d.props->>'name' AS dst, r.props FROM rvf.graph_rels r JOIN rvf.graph_nodes s ON s.store = r.store AND s.id = r.src JOIN rvf.graph_nodes d ON d.store = r.store AND d.id = r.dst WHERE r.store = 'graph'",
    );
    assert.deepEqual(rels, [{ type: 'WROTE', src: 'Ada', dst: 'notes', props: { year: 1843 } }]);
    // The same ids as the store's own graph.
    const local = await runQuery(db, 'cypher', "MATCH (a {name: 'Ada'})-[r]->(b) RETURN id(a), id(r), id(b)", {}, { write: false });
    const remote = await pg.query<{ a: string; r: string; b: string }>("SELECT src::text AS a, id::text AS r, dst::text AS b FROM rvf.graph_rels WHERE store = 'graph'");
    assert.deepEqual(local.rows[0]?.map(String), [remote[0]?.a, remote[0]?.r, remote[0]?.b]);
    const quads = await pg.query<{ s: string; p: string; o: string; g: string }>("SELECT s, p, o, g FROM rvf.rdf_quads WHERE store = 'graph' ORDER BY p");
    assert.equal(quads.length, 2);
    assert.deepEqual(quads.map((q) => [q.s, q.p, q.g]), [
      ['<http://ex.org/ada>', '<http://ex.org/age>', '<http://ex.org/g>'],
      ['<http://ex.org/ada>', '<http://ex.org/name>', ''],
    ]);
    assert.equal(quads[1]?.o, '"Ada"@en');

    await runQuery(db, 'cypher', "MATCH (b {name: 'Bob'}) DETACH DELETE b", {}, { write: true });
    await runQuery(db, 'cypher', "MATCH (a {name: 'Ada'}) REMOVE a:Author SET a:Mathematician, a.born = 1815", {}, { write: true });
    await runQuery(db, 'cypher', "MATCH ()-[r:WROTE]->() DELETE r", {}, { write: true });
    await runQuery(db, 'sparql', 'DELETE DATA { <http://ex.org/ada> <http://ex.org/name> "Ada"@en }', {}, { write: true });
    const again = await replicateStore(db.path, pg.url);
    assert.equal(again.commits, 4);
    const after = await pg.query<{ labels: string[]; props: Record<string, unknown> }>("SELECT labels, props FROM rvf.graph_nodes WHERE store = 'graph' ORDER BY props->>'name'");
    assert.deepEqual(after, [
      { labels: ['Mathematician', 'Person'], props: { name: 'Ada', vector_id: 3, born: 1815 } },
      { labels: ['Note'], props: { name: 'notes' } },
    ]);
    assert.equal((await pg.query("SELECT 1 FROM rvf.graph_rels WHERE store = 'graph'")).length, 0);
    assert.deepEqual((await pg.query<{ p: string }>("SELECT p FROM rvf.rdf_quads WHERE store = 'graph'")).map((r) => r.p), ['<http://ex.org/age>']);

    // A whole resync from the log gives the same graph as the commit-by-commit path.
    const byCommit = await rowContents('graph');
    await db.compact();
    const resynced = await replicateStore(db.path, pg.url);
    assert.match(resynced.resynced ?? '', /compacted/);
    assert.deepEqual(await rowContents('graph'), byCommit);
  });

  test('a value jsonb cannot hold stops replication at its commit with one sentence; compacting it away resyncs', async () => {
    await replicateStore(db.path, pg.url);
    const before = await heldEpoch('graph');
    await db.ingestBatch([{ id: 99, vector: [1, 2, 3, 4], metadata: { note: 'a\u0000b' } }]);
    await assert.rejects(replicateStore(db.path, pg.url), (err: Error) => {
      assert.ok(err instanceof ReplicationError);
      assert.match(err.message, /cannot store a metadata or property value of the store: .*jsonb holds no \\u0000\); nothing of that commit was shipped\.$/);
      return true;
    });
    assert.equal(await heldEpoch('graph'), before, 'nothing of the commit was shipped');
    await db.delete([99]);
    await db.compact();
    const result = await replicateStore(db.path, pg.url);
    assert.match(result.resynced ?? '', /compacted/);
    await assertSameVectors(db, 'graph');
  });
});

/** graph, label and quad rows of a store without their row versions, for comparing two ways of shipping them. */
async function rowContents(store: string): Promise<unknown> {
  return {
    nodes: await pg.query('SELECT id::text, labels, props, vector_id::text FROM rvf.graph_nodes WHERE store = $1 ORDER BY id', [store]),
    labels: await pg.query('SELECT node_id::text, label FROM rvf.graph_labels WHERE store = $1 ORDER BY node_id, label', [store]),
    rels: await pg.query('SELECT id::text, type, src::text, dst::text, props FROM rvf.graph_rels WHERE store = $1 ORDER BY id', [store]),
    quads: await pg.query('SELECT s, p, o, g FROM rvf.rdf_quads WHERE store = $1 ORDER BY s, p, o, g', [store]),
  };
}

// ---------------------------------------------------------------- the command line

const CLI = join(PACKAGE_ROOT, 'server/rvf-cli.ts');
/** tsx resolved from here: the command runs in the temp folder, where a bare `--import tsx` finds nothing. */
const TSX = import.meta.resolve('tsx');
const run = promisify(execFile);

async function rvf(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', TSX, CLI, ...args], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** One line on stderr matching `message`, exit code 1, no stack trace and no password. */
function assertOneLine(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0] as string, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.ok(!r.stderr.includes(TEST_PASSWORD) && !r.stdout.includes(TEST_PASSWORD), 'no password is printed');
}

describe('rvf replicate', () => {
  test('--json reports the commits and rows shipped; a rerun ships nothing', async () => {
    const db = await RvfDatabase.create(join(dir, 'cli.rvf'), { dimensions: 8 });
    await db.ingestBatch(entries(100, 8, 90));
    await db.close();
    const first = await rvf('--json', 'replicate', 'cli.rvf', '--to', pg.url);
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { store: string; target: string; commits: number; rows: { vectors: number; total: number }; epoch: number };
    assert.equal(report.store, 'cli');
    assert.equal(report.commits, 1);
    assert.equal(report.rows.vectors, 100);
    assert.equal(report.target, `postgres://postgres@127.0.0.1:${pg.port}/postgres`);
    assert.ok(!first.stdout.includes(TEST_PASSWORD));
    const again = await rvf('--json', 'replicate', 'cli.rvf', '--to', pg.url);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).rows.total, 0);
    assert.equal(JSON.parse(again.stdout).commits, 0);
    const human = await rvf('replicate', 'cli.rvf', '--to', pg.url);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /commits\s+0/);
    assert.ok(!human.stdout.includes(TEST_PASSWORD));
    // --as names the store in Postgres, so hosts of a fleet with the same file names do not collide.
    const named = await rvf('--json', 'replicate', 'cli.rvf', '--to', pg.url, '--as', 'host1-cli');
    assert.equal(named.code, 0, named.stderr);
    assert.equal(JSON.parse(named.stdout).store, 'host1-cli');
    assert.equal(await heldEpoch('host1-cli'), await heldEpoch('cli'));
    assertOneLine(await rvf('replicate', 'cli.rvf', '--to', pg.url, '--as', '../x'), /^rvf: --as "\.\.\/x" is not a store name/);
  });

  test('SIGKILL mid-replication, then a rerun: no duplicate, no gap', async () => {
    const path = join(dir, 'killed.rvf');
    const db = await RvfDatabase.create(path, { dimensions: 64 });
    for (let i = 0; i < 60; i++) await db.ingestBatch(entries(200, 64, 1000 + i, 1 + i * 200));
    await db.delete(Array.from({ length: 100 }, (_, i) => 1 + i * 7));
    // A first run ships the store whole; the kill comes in the commit-by-commit run after more commits.
    const first = await rvf('replicate', 'killed.rvf', '--to', pg.url);
    assert.equal(first.code, 0, first.stderr);
    const base = (await heldEpoch('killed')) as number;
    for (let i = 60; i < 260; i++) await db.ingestBatch(entries(100, 64, 2000 + i, 1 + i * 200 - 50));
    const target = (await db.status()).epoch;
    const child = spawn(process.execPath, ['--import', TSX, CLI, 'replicate', 'killed.rvf', '--to', pg.url], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Wait until Postgres has some of the new commits, not all, then kill.
    const poll = await pg.connect();
    let held = base;
    const started = Date.now();
    while (held < base + 3 && Date.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 2));
      held = Number((await poll.query<{ epoch: string }>("SELECT epoch FROM rvf.stores WHERE store = 'killed'")).rows[0]?.epoch);
    }
    child.kill('SIGKILL');
    await poll.end();
    await exited;
    const atKill = (await heldEpoch('killed')) as number;
    assert.ok(atKill > base && atKill < target, `killed mid-way (Postgres at ${atKill}, from ${base} to ${target})`);
    const rerun = await rvf('--json', 'replicate', 'killed.rvf', '--to', pg.url);
    assert.equal(rerun.code, 0, rerun.stderr);
    const report = JSON.parse(rerun.stdout) as { fromEpoch: number; commits: number; resynced: string | null };
    assert.equal(report.resynced, null, 'the rerun went on commit by commit');
    assert.equal(report.fromEpoch + report.commits, target, 'it shipped exactly the commits Postgres lacked');
    await assertSameVectors(db, 'killed');
    await db.close();
  });

  test('bad URLs, a refused connection and refused credentials: one line, exit 1, no password', async () => {
    const db = await RvfDatabase.create(join(dir, 'err.rvf'), { dimensions: 2 });
    await db.close();
    assertOneLine(await rvf('replicate', 'err.rvf', '--to', `not a url ${TEST_PASSWORD}`), /^rvf: the target is not a valid URL; give a postgres:\/\/ URL/);
    assertOneLine(await rvf('replicate', 'err.rvf', '--to', `http://u:${TEST_PASSWORD}@127.0.0.1/db`), /must be a postgres:\/\/ or postgresql:\/\/ URL, not a http/);
    const closed = await freePort();
    assertOneLine(
      await rvf('replicate', 'err.rvf', '--to', `postgres://u:${TEST_PASSWORD}@127.0.0.1:${closed}/db`),
      new RegExp(`^rvf: cannot reach Postgres at postgres://u@127\\.0\\.0\\.1:${closed}/db: the connection was refused`),
    );
    assertOneLine(await rvf('replicate', 'missing.rvf', '--to', pg.url), /^rvf: no store at .*missing\.rvf; check the path\.$/);
    // PGlite has no authentication, so refused credentials come from a stand-in server speaking the
    // Postgres wire protocol: it asks for a password and answers it as Postgres does a wrong one.
    const refusing = await passwordRefusingServer();
    try {
      const port = (refusing.address() as { port: number }).port;
      assertOneLine(
        await rvf('replicate', 'err.rvf', '--to', `postgres://alice:${TEST_PASSWORD}@127.0.0.1:${port}/db`),
        new RegExp(`^rvf: Postgres at postgres://alice@127\\.0\\.0\\.1:${port}/db refused the credentials: password authentication failed for user "alice"\\.$`),
      );
    } finally {
      refusing.close();
    }
    assert.equal(await heldEpoch('err'), undefined, 'nothing was shipped');
    // The library says the same, as a ReplicationError.
    await assert.rejects(replicateStore(join(dir, 'err.rvf'), `postgres://u:${TEST_PASSWORD}@127.0.0.1:${closed}/db`), (err: Error) => {
      assert.ok(err instanceof ReplicationError);
      assert.ok(!err.message.includes(TEST_PASSWORD));
      return true;
    });
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Answers a startup message with AuthenticationCleartextPassword, and the password with FATAL 28P01, as Postgres does. */
async function passwordRefusingServer(): Promise<Server> {
  const server = createServer((socket) => {
    let stage = 0;
    socket.on('data', () => {
      if (stage++ === 0) {
        const auth = Buffer.alloc(9);
        auth.write('R', 0);
        auth.writeInt32BE(8, 1);
        auth.writeInt32BE(3, 5);
        socket.write(auth);
        return;
      }
      const fields = Buffer.concat(
        [['S', 'FATAL'], ['V', 'FATAL'], ['C', '28P01'], ['M', 'password authentication failed for user "alice"']].map(([k, v]) => Buffer.from(`${k}${v}\0`)),
      );
      const body = Buffer.concat([fields, Buffer.from([0])]);
      const head = Buffer.alloc(5);
      head.write('E', 0);
      head.writeInt32BE(body.length + 4, 1);
      socket.end(Buffer.concat([head, body]));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}


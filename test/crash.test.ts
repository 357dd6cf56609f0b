import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { RvfDatabase } from '../store/index.ts';
import type { QueryResult } from '../store/types.ts';
import { type CrashPlan, ingestMetaFor, ingestVersionOf, vectorFor } from './fixtures/crash-common.ts';
import { finished, spawnFixture, waitForLine } from './helpers/child.ts';
import { tempDir } from './helpers/temp.ts';
import { rng } from './helpers/random.ts';
import { squaredL2 } from './helpers/assertions.ts';

/**
 * Crash tests: real child processes writing a store are SIGKILLed at random or
 * chosen moments; the test process then opens the store and checks it against
 * what the child acknowledged on stdout, recomputing every expected vector and
 * metadata object from its id (test/fixtures/crash-common.ts).
 */

type Outcome = Awaited<ReturnType<typeof finished>>;

// ------------------------------------------------------------ small helpers

/** Calls `fn` with every complete stdout line of `child`, as it arrives. */
function onLines(child: ChildProcess, fn: (line: string) => void): void {
  let buffered = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) fn(line);
  });
}

function linesOf(stdout: string, prefix: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`${prefix} `) || l === prefix)
    .map((l) => l.split(' ').slice(1));
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function assertKilled(out: Outcome, what: string): void {
  assert.equal(out.signal, 'SIGKILL', `${what}: the child was expected to die of SIGKILL, got code ${out.code}\nstdout:\n${out.stdout.slice(-2000)}\nstderr:\n${out.stderr.slice(-4000)}`);
}


function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `${what}: distance ${actual}, expected ${expected}`);
}

interface Expected {
  vector: Float32Array;
  metadata: unknown;
}

/**
 * A filtered query that must return exactly `expected` (id -> vector and
 * metadata): same ids, distances equal to a float64 brute force, nearest
 * first, metadata intact.
 */
async function checkExactly(db: RvfDatabase, q: Float32Array, filter: unknown, expected: Map<number, Expected>, what: string): Promise<void> {
  assert.ok(expected.size > 0 && expected.size <= 10_000, `${what}: bad check size ${expected.size}`);
  const results = await db.query(q, expected.size, { filter });
  assert.equal(results.length, expected.size, `${what}: ${results.length} results for ${expected.size} expected vectors`);
  let previous = -Infinity;
  const seen = new Set<number>();
  for (const r of results) {
    assert.equal(typeof r.id, 'number', `${what}: id ${r.id}`);
    const id = r.id as number;
    const want = expected.get(id);
    assert.ok(want, `${what}: unexpected id ${id} in the results`);
    assert.ok(!seen.has(id), `${what}: id ${id} returned twice`);
    seen.add(id);
    assertClose(r.distance, squaredL2(q, want.vector), `${what}: id ${id}`);
    assert.ok(r.distance >= previous - 1e-6, `${what}: results not nearest first at id ${id}`);
    previous = r.distance;
    assert.deepEqual(r.metadata, want.metadata, `${what}: metadata of id ${id}`);
  }
}

/** The nearest neighbour of `vector` is `id` at distance ~0 (the engine holds exactly that vector). */
async function assertFindsExact(db: RvfDatabase, id: number, vector: Float32Array, metadata: unknown, what: string): Promise<void> {
  const [hit] = await db.query(vector, 1);
  assert.ok(hit, `${what}: no result for id ${id}`);
  assert.equal(hit.id, id, `${what}: exact vector of id ${id} found id ${hit.id} at distance ${hit.distance}`);
  assert.ok(hit.distance <= 1e-6, `${what}: id ${id} at distance ${hit.distance}`);
  if (metadata !== undefined) assert.deepEqual(hit.metadata, metadata, `${what}: metadata of id ${id}`);
}

/** No live vector equals `vector` under `id` (the id is gone, or holds another vector). */
async function assertNotExact(db: RvfDatabase, id: number, vector: Float32Array, what: string): Promise<void> {
  const hits: QueryResult[] = await db.query(vector, 2);
  for (const hit of hits) {
    assert.ok(!(hit.id === id && hit.distance <= 1e-6), `${what}: id ${id} still holds this vector`);
  }
}

function cacheState(path: string): { epoch: number; rows: Map<number, { metadata: string | null; epoch: number }> } {
  const sqlite = new Database(`${path}.sqlite`, { readonly: true, fileMustExist: true });
  try {
    const state = sqlite.prepare('SELECT epoch FROM cache_state WHERE one = 1').get() as { epoch: number } | undefined;
    assert.ok(state, `${path}.sqlite has no cache_state row`);
    const rows = new Map<number, { metadata: string | null; epoch: number }>();
    for (const r of sqlite.prepare('SELECT id, metadata, epoch FROM vectors').all() as { id: number; metadata: string | null; epoch: number }[]) {
      rows.set(r.id, { metadata: r.metadata, epoch: r.epoch });
    }
    return { epoch: state.epoch, rows };
  } finally {
    sqlite.close();
  }
}

function tempFilesOf(path: string): string[] {
  const prefix = `.${basename(path)}.`;
  return readdirSync(join(path, '..')).filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
}

/** How a child dies: by its own crash point, at the n-th acknowledgement, after a delay, or not at all. */
type Death =
  | { by: 'itself' }
  | { by: 'ack'; prefix: string; n: number }
  | { by: 'delay'; ms: number; afterReady: boolean }
  | { by: 'none' };

/** Lets `current` run until it dies as `death` says; returns how it ended. */
async function runUntil(current: { child: ChildProcess; done: Promise<Outcome> }, death: Death, what: string): Promise<Outcome> {
  const child = current.child;
  try {
    if (death.by === 'itself') {
      const watchdog = setTimeout(() => kill(child), 15_000); // in case it does not
      await current.done;
      clearTimeout(watchdog);
    } else if (death.by === 'ack') {
      let seen = 0;
      onLines(child, (line) => {
        if (line.startsWith(death.prefix) && ++seen === death.n) kill(child);
      });
      await waitForLine(child, 'ready');
    } else if (death.by === 'delay') {
      if (death.afterReady) await waitForLine(child, 'ready');
      if (death.ms > 0) await sleep(death.ms);
      kill(child);
    }
  } catch (err) {
    kill(child);
    const out = await current.done;
    throw new Error(`${what}: ${(err as Error).message}\nstderr:\n${out.stderr.slice(-4000)}`);
  }
  return current.done;
}

interface Booted {
  child: ChildProcess;
  done: Promise<Outcome>;
  booted: Promise<string>;
}

/**
 * Starts a fixture that boots (modules, WASM engine) and then waits for
 * SIGUSR2 before touching the store (waitForGo in crash-common.ts): the next
 * child boots while the test still kills and checks the current one.
 */
function preboot(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Booted {
  const child = spawnFixture(name, args, { ...env, CRASH_WAIT: '1' });
  const done = finished(child);
  const booted = waitForLine(child, 'booted');
  booted.catch(() => undefined);
  return { child, done, booted };
}

async function go(b: Booted): Promise<void> {
  try {
    await b.booted;
  } catch (err) {
    kill(b.child);
    const out = await b.done;
    throw new Error(`the fixture did not boot: ${(err as Error).message}\nstderr:\n${out.stderr.slice(-4000)}`);
  }
  b.child.kill('SIGUSR2');
}

/** A few pre-booted children of one fixture; take() starts the oldest and boots a replacement. */
class Spares {
  #queue: Booted[] = [];

  constructor(
    readonly name: string,
    readonly args: string[],
    readonly depth: number,
    readonly env: NodeJS.ProcessEnv = {},
  ) {
    this.#fill();
  }

  #fill(): void {
    while (this.#queue.length < this.depth) this.#queue.push(preboot(this.name, this.args, this.env));
  }

  async take(): Promise<Booted> {
    const b = this.#queue.shift() as Booted;
    this.#fill();
    await go(b);
    return b;
  }

  async dispose(): Promise<void> {
    const left = this.#queue;
    this.#queue = [];
    for (const b of left) kill(b.child);
    await Promise.all(left.map((b) => b.done));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------ 1. power loss during ingest

const INGEST_DIM = 16;
const BATCH = 200;
const INGEST_KILLS = 54; // 50 at random moments, 4 at exact points (INGEST_EXACT)
const CHECK_CHUNK_BATCHES = 10_000 / BATCH;

/** What id holds in a store of `batches` whole batches: its version's vector and metadata. */
function ingestExpected(id: number, batches: number): Expected {
  const version = ingestVersionOf(id, BATCH, batches);
  return { vector: vectorFor(id, INGEST_DIM, version), metadata: ingestMetaFor(id, Math.floor(id / BATCH), version) };
}

/**
 * Every id of batches [from, to) present with its exact vector and metadata, in a
 * store of `batches` whole batches (checked through filtered queries).
 */
async function checkBatches(db: RvfDatabase, from: number, to: number, batches: number, q: Float32Array, what: string): Promise<void> {
  for (let lo = from; lo < to; lo += CHECK_CHUNK_BATCHES) {
    const hi = Math.min(to, lo + CHECK_CHUNK_BATCHES);
    const expected = new Map<number, Expected>();
    for (let id = lo * BATCH; id < hi * BATCH; id++) expected.set(id, ingestExpected(id, batches));
    await checkExactly(db, q, { batch: { $gte: lo, $lt: hi } }, expected, `${what}, batches ${lo}..${hi - 1}`);
  }
}

/** Lives whose child kills itself at an exact point of a commit (commitCrasher), after `after` acknowledged commits. */
const INGEST_EXACT: Record<number, CrashPlan> = {
  9: { after: 1, crashAt: 'half-data' },
  19: { after: 2, crashAt: 'data' },
  29: { after: 0, crashAt: 'half-manifest' },
  39: { after: 1, crashAt: 'manifest' },
};

test('SIGKILL during ingest: acknowledged batches survive, no partial batch is ever visible', async (t) => {
  const dir = tempDir('rvf-crash-ingest-');
  const path = join(dir, 'ingest.rvf');
  const planFile = join(dir, 'crash-plan.json');
  const random = rng(0xc0ffee);
  const q = vectorFor(999_999_999, INGEST_DIM);
  /** What the last check saw. */
  let verified = { epoch: -1, batches: 0 };
  let randomTornTails = 0;
  let unacknowledgedCommits = 0;
  let openKills = 0;
  let leaseRefusals = 0;
  const timing = { boot: 0, run: 0, check: 0 };

  const spares = new Spares('crash-ingest.ts', [path, String(BATCH), String(INGEST_DIM)], 2, { CRASH_PLAN: planFile });
  try {
    for (let life = 0; life < INGEST_KILLS; life++) {
      const exact = INGEST_EXACT[life];
      const what = `kill ${life}${exact ? ` (${exact.crashAt})` : ''}`;
      if (exact) writeFileSync(planFile, JSON.stringify(exact));
      const t0 = performance.now();
      const current = await spares.take();
      const t1 = performance.now();
      timing.boot += t1 - t0;
      // Life 0 dies while creating the store (or right after).
      const plan = exact ? -1 : life === 0 ? 0 : random();
      let death: Death;
      if (exact) {
        death = { by: 'itself' };
      } else if (plan < 0.12) {
        // While the child creates or opens the store (truncating a torn tail, replaying the cache) or just after.
        openKills++;
        death = { by: 'delay', ms: random() * 40, afterReady: false };
      } else if (plan < 0.45) {
        // The moment the n-th commit is acknowledged: lands inside the next commit.
        death = { by: 'ack', prefix: 'committed ', n: 1 + Math.floor(random() * 4) };
      } else {
        death = { by: 'delay', ms: random() < 0.3 ? 0 : random() * 25, afterReady: true };
      }
      const out = await runUntil(current, death, what);
      rmSync(planFile, { force: true });
      const t2 = performance.now();
      timing.run += t2 - t1;
      assertKilled(out, what);
      if (exact) assert.deepEqual(linesOf(out.stdout, 'dying'), [[exact.crashAt]], `${what}: the child must die at its crash point`);
      // The lease may only be refused for an empty or torn lock record (a writer killed while
      // creating its lock, which lease.ts treats as live for 2 s); a dead holder's whole record never.
      for (const [size] of linesOf(out.stdout, 'elock')) {
        assert.ok(Number(size) < 104, `${what}: the writer lease was refused although the lock file holds a whole record (${size} bytes) of a dead process`);
        leaseRefusals++;
      }

      // What the child said before it died.
      const ready = linesOf(out.stdout, 'ready')[0];
      let startBatches = verified.batches;
      if (ready) {
        const [epoch, count] = ready.map(Number) as [number, number];
        assert.ok(epoch >= verified.epoch, `${what}: writer opened at epoch ${epoch}, below the ${verified.epoch} seen before`);
        assert.equal(count, verified.batches * BATCH, `${what}: writer opened with ${count} vectors, the last check saw ${verified.batches * BATCH}`);
        startBatches = count / BATCH;
      }
      const ack = { epoch: verified.epoch, batches: verified.batches };
      let expectLast = startBatches * BATCH - 1;
      for (const [epochText, lastText] of linesOf(out.stdout, 'committed')) {
        const epoch = Number(epochText);
        const lastId = Number(lastText);
        expectLast += BATCH;
        assert.equal(lastId, expectLast, `${what}: the child acknowledged an unexpected batch`);
        assert.ok(epoch > ack.epoch, `${what}: acknowledged epochs must grow`);
        ack.epoch = epoch;
        ack.batches = (lastId + 1) / BATCH;
      }
      if (exact) assert.equal(ack.batches - startBatches, exact.after, `${what}: acknowledged commits before the crash`);

      if (!existsSync(path)) {
        assert.equal(ack.batches, 0, `${what}: batches were acknowledged but the store does not exist`);
        continue;
      }

      const sizeOnDisk = statSync(path).size;
      const db = await RvfDatabase.openReadonly(path, { onWarning: () => undefined });
      try {
        const status = await db.status();
        assert.ok(status.epoch >= ack.epoch, `${what}: epoch ${status.epoch} is below the acknowledged ${ack.epoch}`);
        // One commit may be durable but unacknowledged (killed between the manifest and the print);
        // an ingest that first had to compact makes two.
        assert.ok(status.epoch <= Math.max(ack.epoch, 0) + 2, `${what}: epoch ${status.epoch} is beyond anything the child wrote (acknowledged ${ack.epoch})`);
        assert.equal(status.totalVectors % BATCH, 0, `${what}: ${status.totalVectors} vectors is not a whole number of batches`);
        const batches = status.totalVectors / BATCH;
        assert.ok(batches >= ack.batches, `${what}: ${batches} batches visible, ${ack.batches} acknowledged`);
        assert.ok(batches <= ack.batches + 1, `${what}: ${batches} batches visible, only ${ack.batches} acknowledged (+1 in flight)`);
        const torn = sizeOnDisk > status.fileSizeBytes;
        if (exact?.crashAt === 'manifest') {
          assert.equal(status.epoch, ack.epoch + 1, `${what}: the commit whose manifest was synced is durable`);
          assert.equal(batches, ack.batches + 1, `${what}: the unacknowledged but committed batch is visible`);
          assert.ok(!torn, `${what}: no tail after a whole commit`);
        } else if (exact) {
          assert.equal(status.epoch, ack.epoch, `${what}: a commit without a whole manifest is not visible`);
          assert.equal(batches, ack.batches, `${what}: the torn batch is not visible`);
          assert.ok(torn, `${what}: the torn commit's bytes should be on disk after the last commit (size ${sizeOnDisk}, committed ${status.fileSizeBytes})`);
        } else {
          if (status.epoch > ack.epoch && ack.epoch >= 0) unacknowledgedCommits++;
          if (torn) randomTornTails++;
        }

        // Everything written since the last check, and three older batches, in full.
        // Everything written since the last check (the batch before it, whose first ids
        // the newer batches replace, too), and three older batches, in full.
        await checkBatches(db, Math.max(0, verified.batches - 1), batches, batches, q, what);
        for (let s = 0; s < 3 && batches > 0; s++) {
          const b = Math.floor(random() * batches);
          await checkBatches(db, b, b + 1, batches, q, `${what}, sample`);
        }
        // The engine itself (no cache involved): exact vectors of random ids, of the last one,
        // and of the last batch's first id, which the next (uncommitted) batch would replace.
        const probes = batches > 0 ? [batches * BATCH - 1, (batches - 1) * BATCH, ...Array.from({ length: 10 }, () => Math.floor(random() * batches * BATCH))] : [];
        for (const id of probes) {
          const want = ingestExpected(id, batches);
          await assertFindsExact(db, id, want.vector, want.metadata, what);
        }
        // Nothing of the next batch, which may have been half written: neither its new ids
        // nor its replacements of this batch's first ids.
        for (const id of [batches * BATCH, batches * BATCH + BATCH / 2, batches * BATCH + BATCH - 1]) {
          await assertNotExact(db, id, vectorFor(id, INGEST_DIM), `${what}, next batch`);
        }
        if (batches > 0) await assertNotExact(db, (batches - 1) * BATCH, vectorFor((batches - 1) * BATCH, INGEST_DIM, 1), `${what}, next batch's replacement`);
        verified = { epoch: status.epoch, batches };
      } finally {
        await db.close();
      }
      timing.check += performance.now() - t2;
    }
  } finally {
    await spares.dispose();
  }

  // A last writer open: cuts any torn tail, leaves no temp file, brings the cache to the file's epoch.
  const db = await RvfDatabase.open(path, { onWarning: () => undefined });
  try {
    const status = await db.status();
    assert.equal(status.epoch, verified.epoch);
    assert.equal(status.totalVectors, verified.batches * BATCH);
    assert.equal(statSync(path).size, status.fileSizeBytes, 'the writer open leaves no tail after the last commit');
    assert.deepEqual(tempFilesOf(path), []);
    await checkBatches(db, 0, verified.batches, verified.batches, q, 'final, every batch');
    const cache = cacheState(path);
    assert.equal(cache.epoch, status.epoch, 'cache epoch after the writer open');
    assert.equal(cache.rows.size, status.totalVectors, 'cache rows after the writer open');
  } finally {
    await db.close();
  }
  t.diagnostic(
    `${INGEST_KILLS} kills (${Object.keys(INGEST_EXACT).length} at exact points, ${openKills} around the open), ${verified.batches} batches at the end; ` +
      `random kills left ${randomTornTails} torn tails and ${unacknowledgedCommits} durable but unacknowledged commits; ` +
      `${leaseRefusals} lease refusals (empty lock left by a kill)`,
  );
  t.diagnostic(`waiting for boots ${Math.round(timing.boot)} ms, children running ${Math.round(timing.run)} ms, checks ${Math.round(timing.check)} ms`);
  assert.ok(verified.batches > 0, 'the children never committed anything');
});

// ------------------------------------------------------------ 2. crash between the file commit and the cache update

const CACHE_DIM = 8;

function cacheBaseMeta(id: number): { id: number; grp: string; version: number } {
  return { id, grp: id % 3 === 0 ? 'doomed' : 'keep', version: 0 };
}

async function buildCacheBase(path: string): Promise<number> {
  const db = await RvfDatabase.create(path, { dimensions: CACHE_DIM, metric: 'l2' });
  const result = await db.ingestBatch(Array.from({ length: 300 }, (_, id) => ({ id, vector: vectorFor(id, CACHE_DIM), metadata: cacheBaseMeta(id) })));
  await db.close();
  return result.epoch;
}

/** Runs the crash-cache fixture on a fresh store; returns the epochs around the crash. */
async function crashInCacheUpdate(path: string, op: string): Promise<{ before: number; file: number }> {
  const before = await buildCacheBase(path);
  const child = spawnFixture('crash-cache.ts', [path, op, String(CACHE_DIM)]);
  const out = await finished(child);
  assertKilled(out, op);
  assert.deepEqual(linesOf(out.stdout, 'ready'), [[String(before)]], `${op}: ready line`);
  assert.equal(linesOf(out.stdout, 'apply').length, 1, `${op}: the kill must come from inside the cache update`);
  assert.equal(linesOf(out.stdout, 'survived').length, 0);

  const reader = await RvfDatabase.openReadonly(path, { onWarning: () => undefined });
  const file = (await reader.status()).epoch;
  await reader.close();
  assert.equal(file, before + 1, `${op}: the commit must have reached the file`);
  const cache = cacheState(path);
  assert.equal(cache.epoch, file - 1, `${op}: the cache must be one epoch behind the file`);
  return { before, file };
}

test('SIGKILL between the file commit and the cache update: the next open replays the cache', async (t) => {
  const dir = tempDir('rvf-crash-cache-');

  await t.test('ingest', async () => {
    const path = join(dir, 'ingest.rvf');
    const { file } = await crashInCacheUpdate(path, 'ingest');
    const added = Array.from({ length: 50 }, (_, i) => 1000 + i);
    const replacedIds = Array.from({ length: 10 }, (_, i) => i);
    const newMeta = (id: number, version: number) => ({ id, grp: 'new', version });

    // The cache on disk still holds the old state.
    const stale = cacheState(path);
    for (const id of added) assert.ok(!stale.rows.has(id), `cache row for ${id} before replay`);
    for (const id of replacedIds) assert.deepEqual(JSON.parse(stale.rows.get(id)?.metadata ?? 'null'), cacheBaseMeta(id));

    // A reader sees the committed batch, with its metadata, without touching the cache.
    const reader = await RvfDatabase.openReadonly(path, { onWarning: () => undefined });
    try {
      assert.equal((await reader.status()).totalVectors, 350);
      for (const id of added) await assertFindsExact(reader, id, vectorFor(id, CACHE_DIM), newMeta(id, 0), 'reader');
      for (const id of replacedIds) {
        await assertFindsExact(reader, id, vectorFor(id, CACHE_DIM, 1), newMeta(id, 1), 'reader, replaced');
        await assertNotExact(reader, id, vectorFor(id, CACHE_DIM), 'reader, old version');
      }
      const expected = new Map<number, Expected>();
      for (const id of added) expected.set(id, { vector: vectorFor(id, CACHE_DIM), metadata: newMeta(id, 0) });
      for (const id of replacedIds) expected.set(id, { vector: vectorFor(id, CACHE_DIM, 1), metadata: newMeta(id, 1) });
      await checkExactly(reader, vectorFor(5555, CACHE_DIM), { grp: 'new' }, expected, 'reader, filter');
    } finally {
      await reader.close();
    }
    assert.equal(cacheState(path).epoch, file - 1, 'a reader must not write the cache');

    // The writer replays the missed commit into the cache.
    const writer = await RvfDatabase.open(path, { onWarning: () => undefined });
    try {
      const status = await writer.status();
      assert.equal(status.epoch, file);
      const cache = cacheState(path);
      assert.equal(cache.epoch, file, 'cache epoch after replay');
      assert.equal(cache.rows.size, 350, 'cache rows after replay');
      for (const id of added) {
        const row = cache.rows.get(id);
        assert.ok(row, `no cache row for ${id} after replay`);
        assert.deepEqual(JSON.parse(row.metadata ?? 'null'), newMeta(id, 0));
        assert.equal(row.epoch, file);
      }
      for (const id of replacedIds) assert.deepEqual(JSON.parse(cache.rows.get(id)?.metadata ?? 'null'), newMeta(id, 1));
      for (const id of [10, 11, 299]) assert.deepEqual(JSON.parse(cache.rows.get(id)?.metadata ?? 'null'), cacheBaseMeta(id));
      const hits = await writer.query(vectorFor(1000, CACHE_DIM), 100, { filter: { grp: 'new' } });
      assert.equal(hits.length, 60);
      assert.equal(hits[0]?.id, 1000);
    } finally {
      await writer.close();
    }
  });

  await t.test('ingest killed while its manifest syncs, with its cache rows staged in an open transaction', async () => {
    const path = join(dir, 'ingest-staged.rvf');
    const before = await buildCacheBase(path);
    const child = spawnFixture('crash-cache.ts', [path, 'ingest-staged', String(CACHE_DIM)]);
    const out = await finished(child);
    assertKilled(out, 'ingest-staged');
    assert.equal(linesOf(out.stdout, 'apply').length, 1, 'the kill must come right after the staging');
    assert.equal(cacheState(path).epoch, before, 'the staged cache transaction must not be committed');

    const added = Array.from({ length: 50 }, (_, i) => 1000 + i);
    const replacedIds = Array.from({ length: 10 }, (_, i) => i);
    const newMeta = (id: number, version: number) => ({ id, grp: 'new', version });
    const check = async (db: RvfDatabase, who: string): Promise<void> => {
      const status = await db.status();
      assert.equal(status.epoch, before + 1, `${who}: the manifest was written before the kill, so the commit stands`);
      assert.equal(status.totalVectors, 350, `${who}: live count`);
      for (const id of added.filter((_, i) => i % 7 === 0)) await assertFindsExact(db, id, vectorFor(id, CACHE_DIM), newMeta(id, 0), `${who}, added`);
      for (const id of replacedIds.filter((_, i) => i % 3 === 0)) await assertFindsExact(db, id, vectorFor(id, CACHE_DIM, 1), newMeta(id, 1), `${who}, replaced`);
    };
    const reader = await RvfDatabase.openReadonly(path, { onWarning: () => undefined });
    try {
      await check(reader, 'reader');
    } finally {
      await reader.close();
    }
    assert.equal(cacheState(path).epoch, before, 'a reader must not write the cache');
    const warnings: string[] = [];
    const writer = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
    try {
      await check(writer, 'writer');
      // Expected: the lease taken over from the killed child; never a cache rolled back or rebuilt.
      assert.deepEqual(warnings.filter((w) => /the cache|rebuil|rolled/.test(w)), [], 'the cache was never ahead of the file: it is replayed, not rolled back');
      const cache = cacheState(path);
      assert.equal(cache.epoch, before + 1, 'the writer replayed the commit into the cache');
      assert.equal(cache.rows.size, 350);
    } finally {
      await writer.close();
    }
  });

  for (const op of ['delete', 'deleteByFilter'] as const) {
    await t.test(op, async () => {
      const path = join(dir, `${op}.rvf`);
      const { file } = await crashInCacheUpdate(path, op);
      const doomed = op === 'delete' ? Array.from({ length: 50 }, (_, i) => 100 + i) : Array.from({ length: 100 }, (_, i) => 3 * i);
      const survivors = Array.from({ length: 300 }, (_, id) => id).filter((id) => !doomed.includes(id));

      const stale = cacheState(path);
      for (const id of doomed) assert.ok(stale.rows.has(id), `the stale cache should still hold ${id}`);

      const check = async (db: RvfDatabase, who: string): Promise<void> => {
        assert.equal((await db.status()).totalVectors, survivors.length, `${who}: live count`);
        for (const id of doomed.filter((_, i) => i % 5 === 0)) await assertNotExact(db, id, vectorFor(id, CACHE_DIM), `${who}, deleted`);
        const expected = new Map<number, Expected>(survivors.map((id) => [id, { vector: vectorFor(id, CACHE_DIM), metadata: cacheBaseMeta(id) }]));
        await checkExactly(db, vectorFor(7777, CACHE_DIM), { id: { $gte: 0 } }, expected, `${who}, every survivor`);
        const doomedLeft = await db.query(vectorFor(0, CACHE_DIM), 300, { filter: { grp: 'doomed' } });
        const expectDoomedLeft = survivors.filter((id) => id % 3 === 0);
        assert.deepEqual(doomedLeft.map((r) => r.id).sort((a, b) => Number(a) - Number(b)), expectDoomedLeft, `${who}: 'doomed' rows left`);
      };

      const reader = await RvfDatabase.openReadonly(path, { onWarning: () => undefined });
      try {
        await check(reader, 'reader');
      } finally {
        await reader.close();
      }
      assert.equal(cacheState(path).epoch, file - 1, 'a reader must not write the cache');

      const writer = await RvfDatabase.open(path, { onWarning: () => undefined });
      try {
        const cache = cacheState(path);
        assert.equal(cache.epoch, file, 'cache epoch after replay');
        assert.equal(cache.rows.size, survivors.length, 'cache rows after replay');
        for (const id of doomed) assert.ok(!cache.rows.has(id), `cache row ${id} survived the replayed delete`);
        await check(writer, 'writer');
      } finally {
        await writer.close();
      }
    });
  }
});

// ------------------------------------------------------------ 3. compaction killed midway

const COMPACT_DIM = 64;
const COMPACT_N = 20_000;
const REPLACED = 2_000;

interface CompactModel {
  live: Map<number, Expected>;
  deleted: number[];
  epoch: number;
}

function compactMeta(id: number, version: number): { id: number; half: number; version: number } {
  return { id, half: id % 2, version };
}

/** 20k x 64, ids 0..1999 replaced by a second version, 30% of the ids deleted (so compaction has work). */
async function buildCompactBase(path: string): Promise<CompactModel> {
  // Exact answers are what this test checks: no approximate index.
  const db = await RvfDatabase.create(path, { dimensions: COMPACT_DIM, metric: 'l2', index: 'none' });
  for (let first = 0; first < COMPACT_N; first += 2000) {
    await db.ingestBatch(Array.from({ length: 2000 }, (_, i) => ({ id: first + i, vector: vectorFor(first + i, COMPACT_DIM), metadata: compactMeta(first + i, 0) })));
  }
  await db.ingestBatch(Array.from({ length: REPLACED }, (_, id) => ({ id, vector: vectorFor(id, COMPACT_DIM, 1), metadata: compactMeta(id, 1) })));
  const deleted = Array.from({ length: COMPACT_N }, (_, id) => id).filter((id) => [1, 4, 7].includes(id % 10));
  await db.delete(deleted.slice(0, 3000));
  const last = await db.delete(deleted.slice(3000));
  const status = await db.status();
  await db.close();
  assert.ok(status.deadSpaceRatio > 0.3, `the base store should hold dead rows, ratio ${status.deadSpaceRatio}`);
  const gone = new Set(deleted);
  const live = new Map<number, Expected>();
  for (let id = 0; id < COMPACT_N; id++) {
    if (gone.has(id)) continue;
    const version = id < REPLACED ? 1 : 0;
    live.set(id, { vector: vectorFor(id, COMPACT_DIM, version), metadata: compactMeta(id, version) });
  }
  assert.equal(status.totalVectors, live.size);
  return { live, deleted, epoch: last.epoch };
}

async function checkCompactStore(db: RvfDatabase, model: CompactModel, what: string): Promise<void> {
  const status = await db.status();
  assert.equal(status.totalVectors, model.live.size, `${what}: live count`);
  const q = vectorFor(123_456_789, COMPACT_DIM);
  // Every live vector, exact distances and metadata, half by half (k is at most 10,000).
  for (const half of [0, 1]) {
    const expected = new Map([...model.live].filter(([id]) => id % 2 === half));
    await checkExactly(db, q, { half }, expected, `${what}, half ${half}`);
  }
  // Without a filter (the engine alone): the nearest 10,000 are all live, at their exact distances.
  const all = await db.query(q, 10_000);
  assert.equal(all.length, 10_000);
  const brute = [...model.live.values()].map((e) => squaredL2(q, e.vector)).sort((a, b) => a - b);
  for (const r of all) {
    const want = model.live.get(r.id as number);
    assert.ok(want, `${what}: id ${r.id} is not live but was returned`);
    assertClose(r.distance, squaredL2(q, want.vector), `${what}: unfiltered id ${r.id}`);
  }
  assertClose(all.at(-1)?.distance ?? NaN, brute[9_999] as number, `${what}: 10,000th nearest`);
  const pick = rng(model.epoch);
  for (let i = 0; i < 40; i++) {
    const id = model.deleted[Math.floor(pick() * model.deleted.length)] as number;
    await assertNotExact(db, id, vectorFor(id, COMPACT_DIM, id < REPLACED ? 1 : 0), `${what}, deleted`);
  }
  for (let i = 0; i < 20; i++) {
    const id = 10 * Math.floor(pick() * (REPLACED / 10)); // ids ending in 0 are never deleted
    await assertNotExact(db, id, vectorFor(id, COMPACT_DIM, 0), `${what}, replaced version`);
    await assertFindsExact(db, id, vectorFor(id, COMPACT_DIM, 1), compactMeta(id, 1), `${what}, replacement`);
  }
}

function copyStore(from: string, to: string): void {
  for (const suffix of ['', '.sqlite', '.sqlite-wal', '.sqlite-shm']) {
    if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix);
  }
}

test('SIGKILL during compaction: no live vector lost, deleted ones stay deleted, temp files cleaned', async (t) => {
  const dir = tempDir('rvf-crash-compact-');
  const basePath = join(dir, 'base', 'store.rvf');
  mkdirSync(join(dir, 'base'));
  const model = await buildCompactBase(basePath);
  const E = model.epoch;

  interface CompactCase {
    name: string;
    /** CRASH_AT for the fixture: the child kills itself at that point. */
    crashAt?: string;
    /** The test kills the child this share of the uninterrupted duration after `compacting`. */
    fraction?: number;
  }
  const cases: CompactCase[] = [
    { name: 'uninterrupted' },
    { name: 'mid-write', crashAt: 'mid-write' },
    { name: 'before-rename', crashAt: 'before-rename' },
    { name: 'after-rename', crashAt: 'after-rename' },
    { name: 'before-cache', crashAt: 'before-cache' },
    ...[0, 0.2, 0.45, 0.7, 0.95].map((fraction) => ({ name: `kill at ${fraction} of the duration`, fraction })),
  ];
  // Each case gets a fresh copy of the base store; its child boots while the previous case runs.
  const prepared = cases.map((c, i) => {
    const caseDir = join(dir, `case-${i}`);
    mkdirSync(caseDir);
    const path = join(caseDir, 'store.rvf');
    copyStore(basePath, path);
    return { ...c, path };
  });
  const boot = (i: number): Booted | undefined => {
    const c = prepared[i];
    return c && preboot('crash-compact.ts', [c.path], c.crashAt ? { CRASH_AT: c.crashAt } : {});
  };

  let ms = 0;
  const random = rng(0xdec0de);
  const results = new Map<string, { epoch: number; hadTemp: boolean; delay?: number }>();
  let upcoming = boot(0);
  try {
    for (let i = 0; i < prepared.length; i++) {
      const c = prepared[i] as (typeof prepared)[number];
      const current = upcoming as Booted;
      await go(current);
      upcoming = boot(i + 1);
      const { name, path } = c;
      const child = current.child;
      let delay: number | undefined;
      if (c.fraction !== undefined) {
        delay = c.fraction === 0 ? 0 : ms * (c.fraction + (random() - 0.5) * 0.1);
        try {
          await waitForLine(child, 'compacting');
          if (delay > 0) await sleep(delay);
          kill(child);
        } catch (err) {
          kill(child);
          const out = await current.done;
          throw new Error(`${name}: ${(err as Error).message}\nstderr:\n${out.stderr.slice(-4000)}`);
        }
      }
      const out = await current.done;
      const compacted = linesOf(out.stdout, 'compacted')[0];
      if (c.crashAt) {
        assertKilled(out, name);
        assert.deepEqual(linesOf(out.stdout, 'dying'), [[c.crashAt]], `${name}: the child must die at its crash point`);
      } else if (c.fraction === undefined) {
        assert.equal(out.code, 0, `${name}: ${out.stderr}`);
        assert.ok(compacted, `${name}: no compacted line`);
        ms = Number(compacted[1]);
        assert.ok(ms > 0, 'the uninterrupted compaction reported no duration');
      } else if (!compacted) {
        assertKilled(out, name);
      }
      const hadTemp = tempFilesOf(path).length > 0;

      const reader = await RvfDatabase.openReadonly(path, { onWarning: () => undefined });
      let epoch: number;
      try {
        const status = await reader.status();
        epoch = status.epoch;
        assert.ok(epoch === E || epoch === E + 1, `${name}: epoch ${epoch}, expected ${E} (old file) or ${E + 1} (compacted)`);
        if (epoch === E + 1) assert.equal(status.deadSpaceRatio, 0, `${name}: a compacted file holds no dead rows`);
        await checkCompactStore(reader, model, `${name}, reader`);
      } finally {
        await reader.close();
      }

      const writer = await RvfDatabase.open(path, { onWarning: () => undefined });
      try {
        assert.deepEqual(tempFilesOf(path), [], `${name}: temp files left after a writer open`);
        assert.equal((await writer.status()).epoch, epoch);
        const cache = cacheState(path);
        assert.equal(cache.epoch, epoch, `${name}: cache epoch after the writer open`);
        assert.equal(cache.rows.size, model.live.size, `${name}: cache rows after the writer open`);
        for (const id of [0, 2, 3, 19_998]) {
          assert.deepEqual(JSON.parse(cache.rows.get(id)?.metadata ?? 'null'), model.live.get(id)?.metadata, `${name}: cache row ${id}`);
        }
        for (const id of model.deleted.slice(0, 50)) assert.ok(!cache.rows.has(id), `${name}: cache row for deleted id ${id}`);
        // The store is writable again and a compaction now completes.
        const result = await writer.compact();
        assert.equal(result.epoch, epoch + 1);
        assert.equal((await writer.status()).totalVectors, model.live.size);
      } finally {
        await writer.close();
      }
      results.set(name, { epoch, hadTemp, ...(delay === undefined ? {} : { delay }) });
    }
  } finally {
    if (upcoming) {
      kill(upcoming.child);
      await upcoming.done;
    }
  }

  const at = (name: string) => results.get(name) as { epoch: number; hadTemp: boolean; delay?: number };
  assert.equal(at('uninterrupted').epoch, E + 1);
  assert.equal(at('mid-write').epoch, E, 'killed while writing the temp file: the old file stays');
  assert.ok(at('mid-write').hadTemp, 'killed while writing: the temp file is left behind (and removed by the next writer)');
  assert.equal(at('before-rename').epoch, E, 'killed before the rename: the old file stays');
  assert.ok(at('before-rename').hadTemp, 'killed before the rename: the finished temp file is left behind');
  assert.equal(at('after-rename').epoch, E + 1, 'killed after the rename: the compacted file is the store');
  assert.equal(at('before-cache').epoch, E + 1, 'killed before the cache update: the compacted file is the store');
  const outcomes = [...results.values()]
    .filter((r) => r.delay !== undefined)
    .map((r) => `${(r.delay as number).toFixed(1)}ms->epoch ${r.epoch}${r.hadTemp ? ' (temp left)' : ''}`);
  t.diagnostic(`compaction took ${ms} ms uninterrupted; random kills: ${outcomes.join(', ')}`);
});

// ------------------------------------------------------------ 4. SIGKILL during delete commits

test('SIGKILL during delete commits: a delete is applied whole or not at all', async (t) => {
  const dir = tempDir('rvf-crash-delete-');
  const path = join(dir, 'delete.rvf');
  const planFile = join(dir, 'crash-plan.json');
  const DIM = 16;
  const N = 3000;
  const GROUPS = 60;
  const PER_GROUP = N / GROUPS;
  const meta = (id: number) => ({ id, group: id % GROUPS });
  {
    const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
    for (let first = 0; first < N; first += 500) {
      await db.ingestBatch(Array.from({ length: 500 }, (_, i) => ({ id: first + i, vector: vectorFor(first + i, DIM), metadata: meta(first + i) })));
    }
    await db.close();
  }
  // Exact points inside a delete commit (JOURNAL + MANIFEST); `after` 0 or 1 makes
  // the dying commit a delete(ids) or a deleteByFilter, depending on the group's parity.
  const exactPlans: CrashPlan[] = (['half-data', 'data', 'half-manifest', 'manifest'] as const).flatMap((crashAt) => [
    { after: 0, crashAt },
    { after: 1, crashAt },
  ]);
  const RANDOM_KILLS = 10;
  const random = rng(0xde1e7e);
  const q = vectorFor(424_242, DIM);
  let verified = { epoch: 0, groups: 0 };
  let randomTornTails = 0;
  let kills = 0;

  const spares = new Spares('crash-delete.ts', [path, String(GROUPS), String(N)], 2, { CRASH_PLAN: planFile });
  try {
    for (let life = 0; verified.groups < GROUPS && life < 40; life++) {
      // Alternate exact and random kills, then let a child finish the job.
      const exact = life % 2 === 1 ? exactPlans[(life - 1) / 2] : undefined;
      const randomKill = !exact && life / 2 < RANDOM_KILLS;
      const what = `life ${life}${exact ? ` (${exact.crashAt} after ${exact.after})` : ''}`;
      if (exact) writeFileSync(planFile, JSON.stringify(exact));
      const current = await spares.take();
      let death: Death = { by: 'none' };
      if (exact) {
        death = { by: 'itself' };
      } else if (randomKill && random() < 0.5) {
        // The moment the n-th delete is acknowledged: lands inside the next one.
        death = { by: 'ack', prefix: 'deleted ', n: 1 + Math.floor(random() * 3) };
      } else if (randomKill) {
        death = { by: 'delay', ms: random() < 0.3 ? 0 : random() * 8, afterReady: true };
      }
      const out = await runUntil(current, death, what);
      rmSync(planFile, { force: true });
      if (exact) {
        assertKilled(out, what);
        assert.deepEqual(linesOf(out.stdout, 'dying'), [[exact.crashAt]], `${what}: the child must die at its crash point`);
      }
      if (out.signal === 'SIGKILL') kills++;
      else assert.equal(out.code, 0, `${what}: ${out.stderr}`);
      const ready = linesOf(out.stdout, 'ready')[0];
      if (ready) {
        assert.ok(Number(ready[0]) >= verified.epoch, `${what}: writer opened below the epoch seen before`);
        assert.equal(Number(ready[1]), N - verified.groups * PER_GROUP, `${what}: writer opened with another count than the last check saw`);
        assert.equal(Number(ready[2]), verified.groups, `${what}: the child resumes at another group than the last check saw`);
      }

      const ack = { ...verified };
      for (const [epochText, groupText, nText] of linesOf(out.stdout, 'deleted')) {
        assert.equal(Number(groupText), ack.groups, `${what}: groups are deleted in order`);
        assert.equal(Number(nText), PER_GROUP, `${what}: group ${groupText} deleted ${nText} ids`);
        ack.epoch = Number(epochText);
        ack.groups++;
      }
      if (exact) assert.equal(ack.groups - verified.groups, exact.after, `${what}: acknowledged deletes before the crash`);

      const sizeOnDisk = statSync(path).size;
      const db = await RvfDatabase.openReadonly(path, { onWarning: () => undefined });
      try {
        const status = await db.status();
        const torn = sizeOnDisk > status.fileSizeBytes;
        assert.ok(status.epoch >= ack.epoch, `${what}: epoch ${status.epoch} below the acknowledged ${ack.epoch}`);
        // Which ids does the engine hold? All live ones, at their exact distances.
        const live = status.totalVectors === 0 ? [] : await db.query(q, status.totalVectors);
        assert.equal(live.length, status.totalVectors);
        const perGroup = new Array<number>(GROUPS).fill(0);
        for (const r of live) {
          const id = r.id as number;
          assertClose(r.distance, squaredL2(q, vectorFor(id, DIM)), `${what}: id ${id}`);
          perGroup[id % GROUPS] = (perGroup[id % GROUPS] ?? 0) + 1;
        }
        perGroup.forEach((n, g) => assert.ok(n === 0 || n === PER_GROUP, `${what}: group ${g} has ${n} of ${PER_GROUP} ids left: a partially applied delete`));
        const gone = perGroup.findIndex((n) => n !== 0);
        const deletedGroups = gone === -1 ? GROUPS : gone;
        perGroup.forEach((n, g) => assert.equal(n === 0, g < deletedGroups, `${what}: group ${g} deleted out of order`));
        assert.ok(deletedGroups >= ack.groups, `${what}: ${deletedGroups} groups deleted, ${ack.groups} acknowledged`);
        assert.ok(deletedGroups <= ack.groups + 1, `${what}: ${deletedGroups} groups deleted, only ${ack.groups} acknowledged (+1 in flight)`);
        assert.equal(status.totalVectors, N - deletedGroups * PER_GROUP);
        if (exact?.crashAt === 'manifest') {
          assert.equal(deletedGroups, ack.groups + 1, `${what}: the delete whose manifest was synced is durable`);
          assert.equal(status.epoch, ack.epoch + 1);
          assert.ok(!torn, `${what}: no tail after a whole commit`);
        } else if (exact) {
          assert.equal(deletedGroups, ack.groups, `${what}: a delete without a whole manifest is not visible`);
          assert.equal(status.epoch, ack.epoch);
          assert.ok(torn, `${what}: the torn delete's bytes should be on disk after the last commit`);
        } else if (torn) {
          randomTornTails++;
        }
        // The metadata side (cache or its rebuild) agrees with the engine around the boundary.
        for (const g of [deletedGroups - 1, deletedGroups].filter((g) => g >= 0 && g < GROUPS)) {
          const hits = await db.query(q, PER_GROUP, { filter: { group: g } });
          assert.equal(hits.length, g < deletedGroups ? 0 : PER_GROUP, `${what}: filtered view of group ${g}`);
          for (const h of hits) assert.deepEqual(h.metadata, meta(h.id as number));
        }
        verified = { epoch: status.epoch, groups: deletedGroups };
      } finally {
        await db.close();
      }
    }
  } finally {
    await spares.dispose();
  }
  assert.equal(verified.groups, GROUPS, 'every group ends deleted');
  const db = await RvfDatabase.open(path, { onWarning: () => undefined });
  try {
    const status = await db.status();
    assert.equal(status.totalVectors, 0);
    assert.equal(statSync(path).size, status.fileSizeBytes, 'the writer open cut the torn tail');
    assert.equal(cacheState(path).rows.size, 0);
    assert.deepEqual(tempFilesOf(path), []);
  } finally {
    await db.close();
  }
  t.diagnostic(`${kills} kills during deletes (${exactPlans.length} at exact points), random kills left ${randomTornTails} torn tails`);
  assert.ok(kills >= exactPlans.length + RANDOM_KILLS / 2, `only ${kills} children were killed mid-work`);
});

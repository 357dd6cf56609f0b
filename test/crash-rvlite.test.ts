/**
 * Crash tests for SQL writes through the .rvf log: a real child process
 * (test/fixtures/rvlite-writer.ts) runs SQL writes on a writer handle, through
 * the real query child, and is SIGKILLed inside a commit (commitCrasher) or at
 * random moments. The test then opens the store and checks it against what the
 * child acknowledged on stdout (`ack <n> <epoch> <rows>`, the RETURNING rows
 * of each write, with their random() values).
 *
 * - 'manifest' (effects durable in the .rvf, the cache transaction in the
 *   query child never committed): every acknowledged write is there with its
 *   exact values, and the unacknowledged last write too; the cache file was at
 *   the old epoch and is replayed to the file's;
 * - 'data', 'half-data', 'half-manifest': every acknowledged write, not the last;
 * - random SIGKILLs during a loop of writes, over several runs on one store:
 *   every acknowledged write present, nothing half-applied;
 * - each time, deleting the cache and reopening gives the same contents.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { kindOf } from './fixtures/rvlite-writer.ts';
import { finished, spawnFixture, waitForLine } from './helpers/child.ts';
import { rng } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = tempDir('rvf-crash-rvlite-');
after(() => queryRunner().close());

/** A row of items as compared here: [id, k, r (decimal string), v, note]. */
type Row = [number, number, string, number, string];
type Model = Map<number, Row>;

function norm(raw: unknown[]): Row {
  return [Number(raw[0]), Number(raw[1]), String(raw[2]), Number(raw[3]), String(raw[4])];
}

interface Ack {
  n: number;
  epoch: number | undefined;
  rows: unknown[][];
}

function acksOf(stdout: string): Ack[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('ack '))
    .map((l) => {
      const m = /^ack (\d+) (\d+|none) (.*)$/.exec(l);
      assert.ok(m, `bad ack line: ${l}`);
      return { n: Number(m[1]), epoch: m[2] === 'none' ? undefined : Number(m[2]), rows: JSON.parse(m[3] as string) as unknown[][] };
    });
}

/** Applies an acknowledged write to the model, checking its returned rows against what write n must do. */
function applyAck(model: Model, ack: Ack): void {
  const n = ack.n;
  const kind = kindOf(n);
  if (kind === 'insert') {
    assert.equal(ack.rows.length, 3, `write ${n} inserted 3 rows`);
    for (const raw of ack.rows) {
      const row = norm(raw);
      assert.deepEqual([row[1], row[3], row[4]], [n, n * 1.5, `n${n}`], `write ${n}: inserted row`);
      assert.ok(!model.has(row[0]), `write ${n}: id ${row[0]} reused`);
      model.set(row[0], row);
    }
  } else if (kind === 'update') {
    const target = [...model.values()].filter((row) => row[1] === n - 1);
    assert.deepEqual(ack.rows.map((raw) => norm(raw)[0]).sort((a, b) => a - b), target.map((row) => row[0]).sort((a, b) => a - b), `write ${n}: updated ids`);
    for (const raw of ack.rows) {
      const row = norm(raw);
      const old = model.get(row[0]) as Row;
      assert.deepEqual(row, [old[0], old[1], old[2], old[3] + 1, `${old[4]}+`], `write ${n}: updated row`);
      model.set(row[0], row);
    }
  } else {
    const target = [...model.values()].filter((row) => row[1] === n - 3).map((row) => row[0]);
    assert.deepEqual(ack.rows.map((raw) => Number(raw[0])).sort((a, b) => a - b), target.sort((a, b) => a - b), `write ${n}: deleted ids`);
    for (const id of target) model.delete(id);
  }
  assert.equal(ack.epoch === undefined, ack.rows.length === 0, `write ${n}: an epoch exactly when something changed`);
}

function sorted(m: Model): Row[] {
  return [...m.values()].sort((a, b) => a[0] - b[0]);
}

async function itemsOf(db: RvfDatabase): Promise<Model> {
  const res = await runQuery(db, 'sql', 'SELECT id, k, r, v, note FROM items ORDER BY id', undefined, { write: false });
  return new Map(res.rows.map((raw) => norm(raw)).map((row) => [row[0], row]));
}

function cacheEpoch(path: string): number {
  const c = new Database(`${path}.sqlite`, { readonly: true, fileMustExist: true });
  try {
    return (c.prepare('SELECT epoch FROM cache_state WHERE one = 1').get() as { epoch: number }).epoch;
  } finally {
    c.close();
  }
}

/**
 * `actual` is `model` with write n either not applied or applied whole.
 * Returns whether it was applied (the model is updated to it).
 */
function wholeOrNothing(model: Model, actual: Model, n: number): boolean {
  const same = JSON.stringify(sorted(actual)) === JSON.stringify(sorted(model));
  if (same) return false;
  const kind = kindOf(n);
  const expected = new Map(model);
  if (kind === 'insert') {
    const added = sorted(actual).filter((row) => !model.has(row[0]));
    assert.equal(added.length, 3, `write ${n} (insert) half applied: ${JSON.stringify(added)}`);
    for (const row of added) {
      assert.deepEqual([row[1], row[3], row[4]], [n, n * 1.5, `n${n}`], `write ${n}: inserted row`);
      expected.set(row[0], row);
    }
  } else if (kind === 'update') {
    for (const row of model.values()) if (row[1] === n - 1) expected.set(row[0], [row[0], row[1], row[2], row[3] + 1, `${row[4]}+`]);
  } else {
    for (const row of model.values()) if (row[1] === n - 3) expected.delete(row[0]);
  }
  assert.deepEqual(sorted(actual), sorted(expected), `after a kill during write ${n} (${kind}), the store holds neither the state before it nor after it`);
  model.clear();
  for (const [id, row] of actual) model.set(id, row);
  return true;
}

/** Opens the store as writer (replaying what the cache missed), then read-only with no cache; both must hold `check`'s contents. */
async function reopenTwice(path: string, fn: (items: Model, epoch: number, db: RvfDatabase) => Promise<void>): Promise<void> {
  const db = await RvfDatabase.open(path, { onWarning: () => undefined });
  const epoch = (await db.status()).epoch;
  const items = await itemsOf(db);
  await fn(items, epoch, db);
  assert.equal(cacheEpoch(path), epoch, 'the cache file is at the file\'s epoch after open');
  await db.close();
  for (const suffix of ['.sqlite', '.sqlite-wal', '.sqlite-shm']) rmSync(`${path}${suffix}`, { force: true });
  const ro = await RvfDatabase.openReadonly(path);
  assert.equal((await ro.status()).epoch, epoch, 'cache deleted: same epoch');
  assert.deepEqual(sorted(await itemsOf(ro)), sorted(items), 'cache deleted: same rows');
  await ro.close();
}

for (const mode of ['manifest', 'data', 'half-data', 'half-manifest'] as const) {
  test(`killed inside an SQL write's commit at '${mode}': acknowledged writes exact; the last one ${mode === 'manifest' ? 'present (it reached the log)' : 'absent'}`, async () => {
    const path = join(ROOT, `${mode}.rvf`);
    const child = spawnFixture('rvlite-writer.ts', [path, '1', mode, '9']);
    const out = await finished(child);
    assert.equal(out.signal, 'SIGKILL', `the fixture must die of SIGKILL; code ${out.code}\n${out.stdout}\n${out.stderr.slice(-3000)}`);
    assert.match(out.stdout, new RegExp(`^dying ${mode}$`, 'm'), 'it died inside the commit');
    const acks = acksOf(out.stdout);
    assert.equal(acks.length, 9);
    const tried = Number(/^try (\d+)$/m.exec(out.stdout)?.[1]);
    assert.equal(kindOf(tried), 'insert');
    const model: Model = new Map();
    for (const ack of acks) applyAck(model, ack);
    const lastEpoch = Math.max(...acks.map((a) => a.epoch ?? 0));
    // The cache file as the kill left it: the query child never committed the last write.
    assert.equal(cacheEpoch(path), lastEpoch, 'the cache on disk is at the last acknowledged epoch');

    await reopenTwice(path, async (items, epoch) => {
      if (mode === 'manifest') {
        assert.equal(epoch, lastEpoch + 1, 'the last write is committed in the log');
        const added = sorted(items).filter((row) => !model.has(row[0]));
        assert.equal(added.length, 3, 'the unacknowledged write is there, whole');
        for (const row of added) assert.deepEqual([row[1], row[3], row[4]], [tried, tried * 1.5, `n${tried}`]);
        assert.deepEqual(sorted(items).filter((row) => model.has(row[0])), sorted(model), 'every acknowledged row, exact');
      } else {
        assert.equal(epoch, lastEpoch, 'nothing of the last write is committed');
        assert.deepEqual(sorted(items), sorted(model), 'exactly the acknowledged writes');
      }
    });

    // The store goes on: the next writer continues where the log ends.
    const next = spawnFixture('rvlite-writer.ts', [path, String(tried + 1), 'loop']);
    const done = finished(next);
    await waitForLine(next, 'ack ');
    next.kill('SIGKILL');
    await done;
  });
}

test('SIGKILL at random moments during a loop of SQL writes, 6 runs on one store: every acknowledged write present and exact, nothing half-applied, same after deleting the cache', async (t) => {
  const path = join(ROOT, 'loop.rvf');
  const next = rng(4242);
  const model: Model = new Map();
  let start = 1;
  let totalAcks = 0;
  let inFlightLanded = 0;
  for (let run = 0; run < 6; run++) {
    const child = spawnFixture('rvlite-writer.ts', [path, String(start), 'loop']);
    const out = finished(child);
    await waitForLine(child, 'ready ');
    await new Promise((r) => setTimeout(r, 100 + Math.floor(next() * 900)));
    child.kill('SIGKILL');
    const result = await out;
    assert.equal(result.signal, 'SIGKILL', `run ${run}: ${result.stderr.slice(-2000)}`);
    const acks = acksOf(result.stdout);
    acks.forEach((ack, i) => assert.equal(ack.n, start + i, `run ${run}: writes are acknowledged in order`));
    for (const ack of acks) applyAck(model, ack);
    totalAcks += acks.length;
    const inFlight = start + acks.length;
    await reopenTwice(path, async (items) => {
      const applied = wholeOrNothing(model, items, inFlight);
      start = applied ? inFlight + 1 : inFlight;
      if (applied) inFlightLanded++;
      const perK = new Map<number, number>();
      for (const row of items.values()) perK.set(row[1], (perK.get(row[1]) ?? 0) + 1);
      for (const [k, count] of perK) assert.equal(count, 3, `run ${run}: write ${k} left ${count} rows, not 3`);
    });
  }
  t.diagnostic(`${totalAcks} acknowledged writes; ${inFlightLanded} unacknowledged in-flight writes found whole in the log`);
  assert.ok(totalAcks >= 10, `the runs acknowledged ${totalAcks} writes; the test meant more`);
});

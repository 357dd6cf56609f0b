/**
 * An ingest stages its rows in the engine and in an open cache transaction
 * while its data segments' fdatasync runs (store/database.ts, ingestBatch).
 * When a commit's fdatasync fails (the data's, or the manifest's), the file is
 * cut back and everything staged is undone: the failed batch is nowhere, the
 * rows it would have replaced are back with their vectors and metadata, the
 * cache is at the last durable epoch, and the handle keeps working. Then the
 * store is reopened, and its file and cache hold exactly the committed batches.
 *
 * The failure is injected with store/commit-sync.ts's failingSyncForTests:
 * a real fdatasync cannot be made to fail on purpose here.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { RvfDatabase } from '../store/index.ts';
import { failingSyncForTests } from '../store/commit-sync.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 8;

function vectorOf(id: number, version: number): Float32Array {
  return Float32Array.from({ length: DIM }, (_, i) => Math.sin(id * 7.1 + i * 1.3 + version * 100));
}

function batch(ids: number[], version: number) {
  return ids.map((id) => ({ id, vector: vectorOf(id, version), metadata: { id, version } }));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** What the store must hold: id -> version of its vector and metadata. */
type Model = Map<number, number>;

async function assertHolds(db: RvfDatabase, model: Model, what: string): Promise<void> {
  assert.equal((await db.status()).totalVectors, model.size, `${what}: live count`);
  for (const [id, version] of model) {
    const [hit] = await db.query(vectorOf(id, version), 1);
    assert.equal(hit?.id, id, `${what}: id ${id} is found by its vector of version ${version}`);
    assert.equal(hit?.distance, 0, `${what}: id ${id}'s vector is exact`);
    assert.deepEqual(hit?.metadata, { id, version }, `${what}: id ${id}'s metadata`);
  }
  const all = await db.query(vectorOf(0, 0), 1000, { filter: { id: { $gte: 0 } } });
  assert.deepEqual(all.map((h) => h.id).sort((a, b) => Number(a) - Number(b)), [...model.keys()].sort((a, b) => a - b), `${what}: the cache's ids`);
}

function cacheEpoch(path: string): number {
  const sqlite = new Database(`${path}.sqlite`, { readonly: true, fileMustExist: true });
  try {
    return (sqlite.prepare('SELECT epoch FROM cache_state WHERE one = 1').get() as { epoch: number }).epoch;
  } finally {
    sqlite.close();
  }
}

test('a failed fdatasync rolls the ingest back in the file, the engine and the cache', async (t) => {
  const path = join(tempDir('rvf-sync-fail-'), 'store.rvf');
  const model: Model = new Map();
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  try {
    await db.ingestBatch(batch(range(0, 20), 0));
    for (const id of range(0, 20)) model.set(id, 0);

    // after = 0: the data segments' sync fails (it runs while the batch is staged);
    // after = 1: the data syncs, the manifest's sync fails.
    for (const [after, which] of [[0, 'data'], [1, 'manifest']] as const) {
      await t.test(`the ${which} sync fails`, async () => {
        const before = { status: await db.status(), size: statSync(path).size, cache: cacheEpoch(path) };
        failingSyncForTests.after = after;
        // ids 10..19 would be replaced (version 1), 20..29 added
        await assert.rejects(db.ingestBatch(batch(range(10, 30), 1)), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'EIO');
          assert.match(err.message, /nothing was committed/);
          return true;
        });
        assert.equal(failingSyncForTests.after, undefined, 'the injected failure was used');
        const status = await db.status();
        assert.equal(status.epoch, before.status.epoch, 'no epoch was spent');
        assert.equal(statSync(path).size, before.size, 'the file was cut back');
        assert.equal(cacheEpoch(path), before.cache, 'the cache never took the failed epoch');
        await assertHolds(db, model, `after the failed ${which} sync`);

        // The handle still works, and the same batch goes in.
        const ok = await db.ingestBatch(batch(range(10, 30), after + 2));
        assert.equal(ok.replaced, range(10, 30).filter((id) => model.has(id)).length);
        for (const id of range(10, 30)) model.set(id, after + 2);
        await assertHolds(db, model, `after a good ingest that follows the failed ${which} sync`);
      });
    }
  } finally {
    failingSyncForTests.after = undefined;
    await db.close();
  }

  const warnings: string[] = [];
  const reopened = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
  try {
    assert.deepEqual(warnings, [], 'the file ends at its last commit and the cache is at it');
    assert.equal(cacheEpoch(path), (await reopened.status()).epoch);
    await assertHolds(reopened, model, 'reopened');
  } finally {
    await reopened.close();
  }
});

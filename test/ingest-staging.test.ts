/**
 * An ingest puts its rows into the engine while its data syncs and into an
 * open cache transaction while its manifest syncs (store/database.ts). A
 * query-language read running beside it (readSnapshot, as SQL's rvf_knn does)
 * must never see those rows before the commit is durable: it answers ESTALE
 * (and is retried on a new view), and after the commit it sees them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { RvfDatabase, isRvfError } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 8;
const vectorOf = (id: number): number[] => Array.from({ length: DIM }, (_, i) => Math.cos(id * 3.7 + i));

test('rvf_knn beside an ingest whose syncs are running answers ESTALE, never the staged rows', async () => {
  const db = await RvfDatabase.create(join(tempDir('rvf-staging-'), 'store.rvf'), { dimensions: DIM, metric: 'l2' });
  try {
    await db.ingestBatch(Array.from({ length: 50 }, (_, id) => ({ id, vector: vectorOf(id) })));
    let seen = 0;
    for (let round = 0; round < 20; round++) {
      const id = 1000 + round;
      await db.readSnapshot(async (snapshot) => {
        const ingest = db.ingestBatch([{ id, vector: vectorOf(id) }]);
        // One turn of the event loop: the ingest has written its data and staged
        // its rows, and waits on the thread pool for its fdatasyncs.
        await nextTurn();
        try {
          const hits = await snapshot.knn(JSON.stringify(vectorOf(id)), 1, null);
          assert.notEqual(hits[0]?.[0], String(id), `round ${round}: a staged row was visible before its commit`);
        } catch (err) {
          assert.ok(isRvfError(err) && err.code === 'ESTALE', `round ${round}: expected ESTALE, got ${String(err)}`);
          seen++;
        }
        await ingest;
      });
      const [hit] = await db.query(vectorOf(id), 1);
      assert.equal(hit?.id, id, `round ${round}: the row is visible once committed`);
    }
    assert.ok(seen > 0, 'no read ever ran while an ingest was syncing');
  } finally {
    await db.close();
  }
});

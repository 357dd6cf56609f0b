/**
 * The store at the edges of the engine's memory: WebAssembly (wasm32) gives a
 * process at most 4 GiB for every store it opens. Blocks held in the engine's
 * heap and never touched stand in for other rows (they cost address space,
 * not resident memory), so the store's own rows sit above 2 GiB, then near
 * the 4 GiB ceiling, without writing gigabytes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import test from 'node:test';
import { RvfDatabase, isRvfError, type QueryResult } from '../store/index.ts';
import { loadKernel } from '../wasm/kernel.ts';
import { squaredL2 } from './helpers/assertions.ts';
import { randomVectors } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const DIM = 64;

/** The exact top k by float64 l2 over `rows` (id = index), ties by id. */
function bruteForce(rows: Float32Array[], q: Float32Array, k: number): { id: number; distance: number }[] {
  return rows
    .map((r, id) => ({ id, distance: squaredL2(r, q) }))
    .sort((a, b) => a.distance - b.distance || a.id - b.id)
    .slice(0, k);
}

function assertSameAnswers(got: QueryResult[], want: { id: number; distance: number }[]): void {
  assert.deepEqual(
    got.map((r) => Number(r.id)),
    want.map((r) => r.id),
  );
  got.forEach((r, i) => assert.ok(Math.abs(r.distance - (want[i] as { distance: number }).distance) < 1e-6, `distance of ${r.id}`));
}

test('engine memory: rows above 2 GiB are stored and searched exactly; a store that fills the 4 GiB refuses the batch with ELIMIT, commits nothing, and keeps answering', async () => {
  const { engine } = await loadKernel();
  const held: [number, number][] = [];
  // One allocation of wasm32's allocator stays under 2 GiB (isize::MAX): hold the space in pieces.
  const hold = (bytes: number): void => {
    for (let left = bytes; left > 0; ) {
      const piece = Math.min(left, 512 * MiB);
      held.push([engine.alloc(piece), piece]);
      left -= piece;
    }
  };
  const dir = tempDir('rvf-engine-memory-');
  const path = join(dir, 'edge.rvf');
  try {
    // Everything below 2.25 GiB is taken: the store's row chunks land above 2 GiB.
    hold(Math.ceil(2.25 * GiB - engine.heapBytes));
    assert.ok(engine.heapBytes > 2 * GiB);

    const rows = randomVectors(3000, DIM, 11);
    const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2', index: 'none' });
    await db.ingestBatch(rows.map((vector, id) => ({ id, vector })));
    for (const q of randomVectors(5, DIM, 12)) assertSameAnswers(await db.query(q, 10), bruteForce(rows, q, 10));

    // Fill the heap up to the 4 GiB ceiling, then give back about 48 MiB.
    for (;;) {
      try {
        held.push([engine.alloc(16 * MiB), 16 * MiB]);
      } catch {
        break;
      }
    }
    assert.ok(engine.heapBytes > 4 * GiB - 64 * MiB, `the heap reached ${engine.heapBytes} bytes`);
    for (let i = 0; i < 3; i++) {
      const [ptr, bytes] = held.pop() as [number, number];
      engine.free(ptr, bytes);
    }
    let next = rows.length;
    let refused: unknown;
    for (let batch = 0; batch < 100 && refused === undefined; batch++) {
      const more = randomVectors(10_000, DIM, 100 + batch);
      try {
        await db.ingestBatch(more.map((vector, i) => ({ id: next + i, vector })));
        rows.push(...more);
        next += more.length;
      } catch (err) {
        refused = err;
      }
    }
    assert.ok(isRvfError(refused) && refused.code === 'ELIMIT', `refused with ${String(refused)}`);
    assert.match((refused as Error).message, /at most 4 GiB per process.*nothing was changed/);
    assert.ok(rows.length > 3000, 'some batches fitted before the ceiling');

    // Nothing of the refused batch is in memory or in the file, and the handle still works.
    const status = await db.status();
    assert.equal(status.totalVectors, rows.length);
    for (const q of randomVectors(3, DIM, 13)) assertSameAnswers(await db.query(q, 10), bruteForce(rows, q, 10));
    await db.delete([0, 1, 2]);
    assert.equal((await db.status()).totalVectors, rows.length - 3);
    await db.close();

    const reopened = await RvfDatabase.openReadonly(path);
    assert.equal((await reopened.status()).totalVectors, rows.length - 3);
    const q = randomVectors(1, DIM, 14)[0] as Float32Array;
    assertSameAnswers(await reopened.query(q, 10), bruteForce(rows, q, 13).filter((r) => r.id > 2).slice(0, 10));
    await reopened.close();
  } finally {
    for (const [ptr, bytes] of held) engine.free(ptr, bytes);
  }
});

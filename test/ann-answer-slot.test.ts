import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { AnswerSlot } from '../store/ann-answer-slot.ts';

/**
 * The answer slot (store/ann-answer-slot.ts) between two real threads: the
 * index worker's side writes from a worker thread, as it does in the store.
 */

/** A thread that puts `keys` as the answer to search `id` after `delayMs`, with AnswerSlot's own put. */
function answerFrom(slot: AnswerSlot, id: number, keys: bigint[], delayMs: number): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const module = new URL('../store/ann-answer-slot.ts', import.meta.url).href;
  const code = `
    const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(tsx)})
      .then(({ register }) => { register(); return import(${JSON.stringify(module)}); })
      .then(({ AnswerSlot }) => {
        const slot = new AnswerSlot(workerData.buffer);
        setTimeout(() => slot.put(workerData.id, workerData.keys), workerData.delayMs);
      });`;
  return new Worker(code, { eval: true, workerData: { buffer: slot.buffer, id, keys: BigUint64Array.from(keys), delayMs } });
}

const exited = (w: Worker): Promise<void> => new Promise((resolve) => w.once('exit', () => resolve()));

test('take returns the keys another thread put for the same search, and nothing for another search', async () => {
  const slot = new AnswerSlot(16);
  const w = answerFrom(slot, 7, [5n, 3n, 2n ** 63n + 1n], 20);
  assert.equal(slot.take(6, 100), undefined, "search 6 is never answered");
  assert.deepEqual(Array.from(slot.take(7, 5000) ?? []), [5n, 3n, 2n ** 63n + 1n]);
  await exited(w);
});

test('take gives up after its time and returns undefined; the answer is there once written', async () => {
  const slot = new AnswerSlot(16);
  const w = answerFrom(slot, 3, [9n, 8n], 300);
  const started = performance.now();
  assert.equal(slot.take(3, 20), undefined);
  assert.ok(performance.now() - started < 250, 'take held the thread past its time');
  await exited(w);
  assert.deepEqual(Array.from(slot.take(3, 0) ?? []), [9n, 8n]);
  assert.equal(slot.take(4, 0), undefined, 'an answer for search 3 is not the answer for 4');
});

test('an answer over the capacity is left to the message, and ids that wrap past int32 still match', () => {
  const slot = new AnswerSlot(2);
  slot.put(1, BigUint64Array.from([1n, 2n, 3n]));
  assert.equal(slot.take(1, 0), undefined);
  slot.put(2 ** 31 + 5, BigUint64Array.from([4n]));
  assert.deepEqual(Array.from(slot.take(2 ** 31 + 5, 0) ?? []), [4n]);
});

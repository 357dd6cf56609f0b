/**
 * A search's answer left in memory the store's thread and the index worker
 * share, beside the message that also carries it.
 *
 * Why: an answer by message wakes the store's thread through its event loop,
 * and on a machine whose idle cores sleep (a VM here) that wake-up cost about
 * as much as the search itself: 0.16-0.18 ms of a 1.1 ms indexed query at
 * 100k. The store's thread instead watches this slot for a short while right
 * after it asks (it has nothing else to do then), and takes the answer the
 * moment it is written; past that while it waits for the message as before.
 *
 * One writer, one reader. The worker answers searches in the order they were
 * asked, and the store's thread reads a slot only while it holds the newest
 * search id (it cannot ask another until it returns), so a slot is never
 * written while it is read. The keys are written before the id, with an
 * atomic store: a reader that sees its id sees its keys.
 */

const ID = 0;
const COUNT = 1;

export class AnswerSlot {
  readonly buffer: SharedArrayBuffer;
  readonly #control: Int32Array;
  readonly #keys: BigUint64Array;

  /** `capacity` keys at most; a larger answer travels only by message. */
  constructor(bufferOrCapacity: SharedArrayBuffer | number) {
    this.buffer = typeof bufferOrCapacity === 'number' ? new SharedArrayBuffer(8 + 8 * bufferOrCapacity) : bufferOrCapacity;
    this.#control = new Int32Array(this.buffer, 0, 2);
    this.#keys = new BigUint64Array(this.buffer, 8);
  }

  /** The worker's side: leaves the answer to search `id` (ids are compared as int32: they may wrap). */
  put(id: number, keys: BigUint64Array): void {
    if (keys.length > this.#keys.length) return;
    this.#keys.set(keys);
    Atomics.store(this.#control, COUNT, keys.length);
    Atomics.store(this.#control, ID, id | 0);
  }

  /** The store's side: the answer to search `id` if it is written within `ms`, else undefined. */
  take(id: number, ms: number): BigUint64Array | undefined {
    const until = performance.now() + ms;
    while (Atomics.load(this.#control, ID) !== (id | 0)) {
      if (performance.now() > until) return undefined;
    }
    return this.#keys.slice(0, Atomics.load(this.#control, COUNT));
  }
}

/**
 * Keeps the index worker's background work from slowing the store's commits.
 *
 * The worker already runs at nice 19 (store/ann-worker.ts), which settles who
 * gets a core, not what the two threads do to each other once both run: a
 * build beside a durable ingest doubled the ingest's memory-bound parts (the
 * copy into the scan store, the write into the page cache) on a 2-vCPU VM, and
 * took a 1M ingest down to 0.63x of the same ingest without an index. So while
 * commits are coming, the worker rests between its slices of work, three times
 * as long as each slice took: it then holds the machine a quarter of the time.
 * Searches are answered during a rest (it is a timer, the worker's event loop
 * stays free), and once commits stop for ACTIVE_MS the worker works flat out.
 *
 * The store's thread counts its commits in shared memory; the worker notices
 * the count move. No clock is shared between the two threads.
 */

/** A commit within this long means the store is ingesting. */
export const ACTIVE_MS = 200;
/** While it is, each slice of work is followed by a rest this many times its length. */
export const REST_FACTOR = 3;
/** A rest is never longer than this, so a long step (a sidecar load) is not followed by a long pause. */
const MAX_REST_MS = 100;

export class CommitCount {
  readonly buffer: SharedArrayBuffer;
  readonly #count: Int32Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(4);
    this.#count = new Int32Array(this.buffer, 0, 1);
  }

  /** The store's side: a commit ended (made durable or undone). */
  committed(): void {
    Atomics.add(this.#count, 0, 1);
  }

  read(): number {
    return Atomics.load(this.#count, 0);
  }
}

/** The worker's side: how long to rest after a slice of work. */
export class WorkPacer {
  readonly #commits: CommitCount;
  readonly #now: () => number;
  #seen: number;
  #movedAt = -Infinity;

  constructor(commits: CommitCount, now: () => number = () => performance.now()) {
    this.#commits = commits;
    this.#now = now;
    this.#seen = commits.read();
  }

  /** The rest after `workMs` of work: REST_FACTOR times it while commits are coming, else 0. */
  restAfter(workMs: number): number {
    const now = this.#now();
    const count = this.#commits.read();
    if (count !== this.#seen) {
      this.#seen = count;
      this.#movedAt = now;
    }
    if (now - this.#movedAt >= ACTIVE_MS) return 0;
    return Math.min(MAX_REST_MS, Math.max(0, workMs) * REST_FACTOR);
  }
}

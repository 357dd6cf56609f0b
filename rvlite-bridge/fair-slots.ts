import { RvfError } from '../store/errors.ts';

/**
 * The query processes, handed out fairly among askers (MCP sessions, the
 * stdio client, the CLI). A query may run for its whole time limit, so a
 * first-come queue lets one asker with many slow queries hold up everyone
 * else for minutes. Here:
 * - one asker runs at most `perAsker` queries at once, fewer than there are
 *   slots, so another asker always finds a slot free or about to be;
 * - a freed slot goes to the waiting asker with the fewest queries running
 *   (the oldest query among equals), so an asker that waits gets the next slot;
 * - one named asker may have at most `maxWaiting` queries waiting; past that,
 *   EBUSY says to wait for its own answers first;
 * - a query whose caller gave up (its AbortSignal) leaves the queue.
 */

export interface Ticket {
  /** Who asks; absent for the library's own caller, whose queries may all wait (there is no one else to protect). */
  asker?: string;
  signal?: AbortSignal;
}

const LOCAL = '';

interface Waiter {
  asker: string;
  grant: (release: () => void) => void;
}

export class FairSlots {
  readonly #slots: number;
  readonly #perAsker: number;
  readonly #maxWaiting: number;
  #free: number;
  readonly #running = new Map<string, number>();
  readonly #waiting: Waiter[] = [];

  constructor(options: { slots: number; perAsker: number; maxWaiting: number }) {
    this.#slots = options.slots;
    this.#perAsker = Math.min(options.perAsker, options.slots);
    this.#maxWaiting = options.maxWaiting;
    this.#free = options.slots;
  }

  /** Resolves with a release function once a slot is this ticket's. */
  acquire(ticket: Ticket): Promise<() => void> {
    if (ticket.signal?.aborted) return Promise.reject(canceled());
    const asker = ticket.asker ?? LOCAL;
    const waiting = this.#waiting.filter((w) => w.asker === asker).length;
    if (ticket.asker !== undefined && waiting >= this.#maxWaiting) {
      const running = this.#running.get(asker) ?? 0;
      return Promise.reject(
        new RvfError('EBUSY', `this client already has ${running + waiting} queries running or waiting (at most ${this.#perAsker} run at once); wait for their answers, then retry.`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { asker, grant: resolve };
      this.#waiting.push(waiter);
      ticket.signal?.addEventListener(
        'abort',
        () => {
          const at = this.#waiting.indexOf(waiter);
          if (at === -1) return; // already running: the query's own time limit ends it
          this.#waiting.splice(at, 1);
          reject(canceled());
        },
        { once: true },
      );
      this.#dispatch();
    });
  }

  /** How many queries run and wait now (for tests and status). */
  get load(): { running: number; waiting: number } {
    return { running: this.#slots - this.#free, waiting: this.#waiting.length };
  }

  #dispatch(): void {
    while (this.#free > 0) {
      const next = this.#pick();
      if (!next) return;
      this.#waiting.splice(this.#waiting.indexOf(next), 1);
      this.#free--;
      this.#running.set(next.asker, (this.#running.get(next.asker) ?? 0) + 1);
      let released = false;
      next.grant(() => {
        if (released) return;
        released = true;
        this.#free++;
        const left = (this.#running.get(next.asker) ?? 1) - 1;
        if (left === 0) this.#running.delete(next.asker);
        else this.#running.set(next.asker, left);
        this.#dispatch();
      });
    }
  }

  /** The waiter of the asker with the fewest queries running, oldest first; none past its asker's limit. */
  #pick(): Waiter | undefined {
    let best: Waiter | undefined;
    let bestRunning = Infinity;
    for (const w of this.#waiting) {
      const running = this.#running.get(w.asker) ?? 0;
      if (running >= this.#perAsker) continue;
      // The list is in arrival order, so among equals the first found is the oldest.
      if (running < bestRunning) {
        best = w;
        bestRunning = running;
      }
    }
    return best;
  }
}

function canceled(): RvfError {
  return new RvfError('ECANCELED', 'the query was cancelled before it started; nothing was changed.');
}

import { type FSWatcher, statSync, watch } from 'node:fs';
import type { PostgresTarget } from './postgres-target.ts';
import { replicateStore } from './replicate.ts';

/**
 * `rvf-mcp-server --write --replicate-to <url>`: ships every store under the
 * root to Postgres after its commits are durable, in the background.
 *
 * It follows the files, not the write path: a commit is done (fdatasynced,
 * acknowledged) before the file's change is seen here, so a local commit never
 * waits for Postgres nor fails because of it. The backlog is the log itself:
 * each run brings Postgres from the epoch it has to the file's newest
 * (replicate.ts), so commits made while Postgres was down, or before a crash
 * or restart, ship on the next run. A failed run is retried with backoff.
 * Runs are one at a time, and commits that arrive during a run are taken by
 * the next one, so a steady load costs one run after another, not one per
 * commit.
 */

/** What rvf_status shows of a store's replication. */
export interface ReplicationStatus {
  /** The target without credentials. */
  target: string;
  /** The store's name in Postgres (rvf.stores.store): the file name, after --replicate-prefix. */
  name: string;
  /** The epoch Postgres has of the store, null before the first run reached it. */
  epoch: number | null;
  /** Commits the store has that Postgres has not yet, null while its epoch is unknown. */
  lag: number | null;
  /** The last failure, null once a run succeeded. */
  lastError: string | null;
}

/** What the follower needs of the stores: the registry (store/registry.ts) gives it. */
export interface StoreFiles {
  readonly root: string;
  names(): string[];
  pathFor(name: string): string;
}

export interface FollowerOptions {
  target: PostgresTarget;
  stores: StoreFiles;
  log: { info(message: string): void; warn(message: string): void };
  /** First retry delay; doubled per failure up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** How often file sizes are compared, in case a change event was missed. */
  pollMs?: number;
  /**
   * Put before every store's name in Postgres: hosts of a fleet that share one
   * database each need their own names, or two hosts' `notes` would be one
   * store whose file changes at every run (each run would resync it whole).
   */
  prefix?: string;
}

interface StoreState {
  epoch: number | null;
  lastError: string | null;
  failures: number;
  retry: NodeJS.Timeout | undefined;
  /** Size and mtime of the file when the last run read it. */
  seen: string;
}

export class ReplicationFollower {
  readonly #o: Required<Omit<FollowerOptions, 'log'>> & Pick<FollowerOptions, 'log'>;
  readonly #states = new Map<string, StoreState>();
  /** Stores waiting for a run, in the order they asked. */
  readonly #pending = new Set<string>();
  #running: Promise<void> | undefined;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: FollowerOptions) {
    this.#o = { minRetryMs: 1000, maxRetryMs: 10_000, pollMs: 5000, prefix: '', ...options };
  }

  get target(): string {
    return this.#o.target.shown;
  }

  /** Replicates every store under the root, then follows their changes. */
  start(): void {
    try {
      this.#watcher = watch(this.#o.stores.root, (_event, file) => {
        if (typeof file === 'string' && file.endsWith('.rvf')) this.#schedule(file.slice(0, -'.rvf'.length));
      });
      this.#watcher.on('error', (err) => this.#o.log.warn(`replication: watching the root failed (${err.message}); changes are found by polling`));
    } catch (err) {
      this.#o.log.warn(`replication: cannot watch the root (${(err as Error).message}); changes are found by polling`);
    }
    this.#poll = setInterval(() => this.#sweep(), this.#o.pollMs);
    this.#poll.unref();
    this.#o.log.info(`replicating stores to ${this.target}`);
    this.#sweep();
  }

  /** Stops following; a run in flight finishes (it is one transaction per commit, so stopping mid-run loses nothing). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
    for (const s of this.#states.values()) if (s.retry) clearTimeout(s.retry);
    this.#pending.clear();
    await this.#running;
  }

  status(store: string, localEpoch: number): ReplicationStatus {
    const s = this.#states.get(store);
    const epoch = s?.epoch ?? null;
    return { target: this.target, name: this.#o.prefix + store, epoch, lag: epoch === null ? null : Math.max(0, localEpoch - epoch), lastError: s?.lastError ?? null };
  }

  /** Waits until no run is pending or in flight (tests, and a clean shutdown that wants Postgres current). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #sweep(): void {
    let names: string[];
    try {
      names = this.#o.stores.names();
    } catch {
      return;
    }
    for (const name of names) {
      const s = this.#states.get(name);
      if (!s || (s.retry === undefined && fileStamp(this.#path(name)) !== s.seen)) this.#schedule(name);
    }
  }

  #path(name: string): string | undefined {
    try {
      return this.#o.stores.pathFor(name);
    } catch {
      return undefined; // not a store name, or a file that breaks the root's rules
    }
  }

  #state(name: string): StoreState {
    let s = this.#states.get(name);
    if (!s) {
      s = { epoch: null, lastError: null, failures: 0, retry: undefined, seen: '' };
      this.#states.set(name, s);
    }
    return s;
  }

  #schedule(name: string): void {
    if (this.#stopped || this.#path(name) === undefined) return;
    const s = this.#state(name);
    if (s.retry) return; // a retry is due; it takes this change too
    this.#pending.add(name);
    if (!this.#running) this.#running = this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (!this.#stopped && this.#pending.size > 0) {
        const name = this.#pending.values().next().value as string;
        this.#pending.delete(name);
        await this.#runOnce(name);
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #runOnce(name: string): Promise<void> {
    const path = this.#path(name);
    if (!path) return;
    const s = this.#state(name);
    const stamp = fileStamp(path);
    try {
      const result = await replicateStore(path, this.#o.target, { store: this.#o.prefix + name, onCommit: (epoch) => (s.epoch = epoch) });
      s.epoch = result.epoch;
      s.seen = stamp;
      if (s.lastError) this.#o.log.info(`replication of store ${name} to ${this.target} resumed at epoch ${result.epoch}`);
      s.lastError = null;
      s.failures = 0;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== s.lastError) this.#o.log.warn(`replication of store ${name}: ${message}`);
      s.lastError = message;
      s.failures += 1;
      const delay = Math.min(this.#o.maxRetryMs, this.#o.minRetryMs * 2 ** (s.failures - 1));
      s.retry = setTimeout(() => {
        s.retry = undefined;
        this.#schedule(name);
      }, delay);
      s.retry.unref();
    }
  }
}

function fileStamp(path: string | undefined): string {
  if (!path) return '';
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { LIMITS } from '../schemas/limits.ts';
import { RvfError, isRvfError } from '../store/errors.ts';
import { FairSlots, type Ticket } from './fair-slots.ts';
import { memoryMessage } from './memory-limit.ts';
import { readRpcFrames } from './rpc-frames.ts';
import { READY, type QueryRequest, type QueryResponse, type QueryRows, type RpcCall, type RpcReply } from './query-protocol.ts';

/**
 * Runs queries in child processes (rvlite-bridge/query-child.ts), a few at
 * once, handed out fairly among clients (fair-slots.ts), each killed at its
 * time limit or when it outgrows its memory. While a query runs, its
 * rvf_knn / rvf_distance calls, and a write's commit, arrive here and are
 * answered by `host`.
 *
 * Once a write has committed to the file, its child is no longer killed at
 * the time limit or for memory: it only has its cache transaction left to
 * commit, and the caller must learn that the write took effect.
 */

export interface QueryHost {
  /** May answer later: a search of the approximate index runs in its worker thread. */
  knn(vector: unknown, k: unknown, filter: unknown, exact?: unknown): [string, number][] | Promise<[string, number][]>;
  distance(id: string, vector: unknown): number | null;
  /** Present for writes: appends the effects record and returns the new epoch. */
  commit?(payload: Buffer): { epoch: number; commitHash: string };
}

const CHILD_SCRIPT = fileURLToPath(new URL(`./query-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** The query child's young-generation semi-space (V8's default is 16 MiB on 64-bit). */
const QUERY_SEMI_SPACE_MIB = 64;

/** How long a new query process may take to load (seconds on a busy machine; much longer means it is stuck). */
const START_LIMIT_MS = 60_000;

function errorReply(err: unknown): RpcReply {
  return { error: isRvfError(err) ? { code: err.code, message: err.message } : { code: 'EINVAL', message: (err as Error).message } };
}

class Child {
  readonly proc: ChildProcess;
  #pending: { id: number; resolve: (r: QueryResponse) => void; reject: (e: Error) => void; host: QueryHost; committed?: { epoch: number } } | undefined;
  dead = false;
  /** Settles when the process has loaded its engines (its READY line), or failed to. */
  readonly ready: Promise<void>;
  #started = false;
  #onReady: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(onExit: (child: Child) => void) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.#onReady = { resolve, reject };
    });
    this.ready.catch(() => undefined);
    // The parent's --import flags carry tsx into the child when the sources run directly (tests).
    const heapMiB = Math.floor(LIMITS.queryHeapBytes / 1048576);
    // A batch write keeps most of what it allocates until it ends (its rows, the nodes it holds,
    // the effects), so with V8's default 16 MiB semi-space each scavenge copies live objects
    // and promotes them: a 10,000-row Cypher upsert spent a fifth of its time in GC. A larger
    // young generation (grown only as needed, and inside the query process memory limit)
    // took it from about 290 to 230 ms.
    this.proc = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMiB}`, `--max-semi-space-size=${QUERY_SEMI_SPACE_MIB}`, CHILD_SCRIPT], {
      stdio: ['pipe', 'pipe', 'inherit', 'pipe', 'pipe'],
      env: { ...process.env, RVF_QUERY_PARENT_PID: String(process.pid) },
    });
    createInterface({ input: this.proc.stdout as Readable }).on('line', (line) => {
      if (!this.#started) {
        this.#started = true;
        if (line === JSON.stringify(READY)) this.#onReady?.resolve();
        else {
          this.#onReady?.reject(new RvfError('EIO', 'the SQL process started wrongly; retry the query.'));
          this.kill();
        }
        return;
      }
      const pending = this.#pending;
      this.#pending = undefined;
      this.#idle();
      let response: QueryResponse;
      try {
        response = JSON.parse(line) as QueryResponse;
      } catch {
        pending?.reject(new RvfError('EIO', 'the SQL process sent a garbled answer; retry the query.'));
        this.kill();
        return;
      }
      pending?.resolve(response);
      // killed before the run that resolved can hand it back as idle: the next query gets a new process
      if (response.retire === true) this.kill();
    });
    readRpcFrames(
      this.proc.stdio[4] as Readable,
      (call, payload) => this.#answer(call, payload),
      () => this.kill(),
    );
    // Whether it could not start ('error') or stopped ('exit', possibly after
    // 'error'), the child is gone once: its query fails, not the server.
    let gone = false;
    const finish = (why: string, outOfMemory = false): void => {
      this.dead = true;
      const committed = this.#pending?.committed;
      this.#pending?.reject(
        committed
          ? new RvfError('EIO', `${why} after the write committed at epoch ${committed.epoch}; it took effect, but its result rows were lost.`)
          : outOfMemory
            ? new RvfError('ELIMIT', memoryMessage())
            : new RvfError('EIO', `${why}; retry the query.`),
      );
      this.#pending = undefined;
      this.#onReady?.reject(new RvfError('EIO', `${why}; retry the query.`));
      if (!gone) onExit(this);
      gone = true;
    };
    this.proc.on('error', (err) => finish(`could not run the SQL process (${err.message})`));
    // V8 aborts a process whose heap passed --max-old-space-size.
    this.proc.on('exit', (code, signal) => finish('the SQL process stopped unexpectedly', signal === 'SIGABRT' || code === 134));
    this.#idle();
  }

  /** Whether the running query is a write that has committed to the file. */
  get committed(): boolean {
    return this.#pending?.committed !== undefined;
  }

  send(req: QueryRequest, host: QueryHost): Promise<QueryResponse> {
    return new Promise((resolve, reject) => {
      this.#pending = { id: req.id, resolve, reject, host };
      this.#busy();
      (this.proc.stdin as Writable).write(JSON.stringify(req) + '\n');
    });
  }

  kill(): void {
    this.dead = true;
    this.proc.kill('SIGKILL');
  }

  /** Resident memory in bytes, where the system tells (Linux's /proc); undefined elsewhere. */
  residentBytes(): number | undefined {
    try {
      const pages = Number(readFileSync(`/proc/${this.proc.pid}/statm`, 'utf8').split(' ')[1]);
      return Number.isFinite(pages) ? pages * 4096 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Ends the child's input, so it closes its connections and exits; killed if it has not within `graceMs`. */
  stop(graceMs: number): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve();
    this.dead = true;
    this.#busy(); // keep this process alive until the child is gone
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      (this.proc.stdin as Writable).end();
    });
  }

  #answer(call: RpcCall, payload: Buffer | undefined): void {
    // A killed child's last request may still sit in the pipe: its query already failed, so it must not commit.
    if (this.dead) return;
    let reply: RpcReply | Promise<RpcReply>;
    try {
      const pending = this.#pending;
      if (!pending) throw new RvfError('EINVAL', 'no query is running');
      const host = pending.host;
      if (call.call === 'knn') {
        const hits = host.knn(call.vector, call.k, call.filter, call.exact);
        // The child waits on fd 3 for this answer, however long the index search takes.
        reply = hits instanceof Promise ? hits.then((ok) => ({ ok }), errorReply) : { ok: hits };
      } else if (call.call === 'distance') reply = { ok: host.distance(call.id, call.vector) };
      else {
        if (!host.commit) throw new RvfError('EREADONLY', 'this query may not write.');
        const done = host.commit(payload ?? Buffer.alloc(0));
        pending.committed = { epoch: done.epoch };
        reply = { ok: done };
      }
    } catch (err) {
      reply = errorReply(err);
    }
    const send = (r: RpcReply): void => {
      if (!this.dead) (this.proc.stdio[3] as Writable).write(JSON.stringify(r) + '\n');
    };
    if (reply instanceof Promise) void reply.then(send);
    else send(reply);
  }

  // An idle child must not keep the parent alive; a busy one must.
  #idle(): void {
    this.proc.unref();
    for (const s of [this.proc.stdin, this.proc.stdout, this.proc.stdio[3], this.proc.stdio[4]]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  }

  #busy(): void {
    this.proc.ref();
    for (const s of [this.proc.stdin, this.proc.stdout, this.proc.stdio[3], this.proc.stdio[4]]) (s as unknown as { ref?: () => void } | null)?.ref?.();
  }
}

export class QueryRunner {
  readonly #idle: Child[] = [];
  /** Every live child, busy ones too: a server that exits must not leave a runaway query behind. */
  readonly #all = new Set<Child>();
  readonly #slots = new FairSlots({ slots: LIMITS.queryProcesses, perAsker: LIMITS.queryProcessesPerClient, maxWaiting: LIMITS.maxWaitingQueriesPerClient });
  #nextId = 1;

  constructor() {
    process.once('exit', () => this.close());
  }

  async run(req: Omit<QueryRequest, 'id'>, host: QueryHost, timeLimitMs: number, ticket: Ticket = {}): Promise<QueryRows> {
    const release = await this.#slots.acquire(ticket);
    // Holding a slot means a child is idle or may be started: there are as many children as slots at most.
    const child = this.#idle.pop() ?? this.#start();
    const id = this.#nextId++;
    let timer: NodeJS.Timeout | undefined;
    let watch: NodeJS.Timeout | undefined;
    try {
      await this.#whenReady(child);
      const stopped = new Promise<never>((_, reject) => {
        const expire = (): void => {
          if (child.committed) {
            timer = setTimeout(expire, 100);
            return;
          }
          child.kill();
          reject(new RvfError('ELIMIT', `the query ran past the ${timeLimitMs} ms time limit and was stopped; nothing was changed. Narrow it or add a LIMIT.`));
        };
        timer = setTimeout(expire, timeLimitMs);
        // The heap flag and SQLite's limit bound most memory, but not oxigraph's WebAssembly memory: watch the whole process.
        watch = setInterval(() => {
          if (child.committed || (child.residentBytes() ?? 0) <= LIMITS.queryProcessMemoryBytes) return;
          child.kill();
          reject(new RvfError('ELIMIT', memoryMessage()));
        }, 100);
      });
      const res = await Promise.race([child.send({ ...req, id }, host), stopped]);
      if ('error' in res) throw new RvfError(res.error.code as RvfError['code'], res.error.message);
      return res.ok;
    } finally {
      clearTimeout(timer);
      clearInterval(watch);
      if (!child.dead) this.#idle.push(child);
      release();
    }
  }

  /**
   * A new process loads its engines before it can take a query; that time is
   * not the query's, so the time limit starts after it. A process that does
   * not get there within START_LIMIT_MS is stopped.
   */
  async #whenReady(child: Child): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        child.ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            child.kill();
            reject(new RvfError('EIO', `the SQL process did not start within ${START_LIMIT_MS / 1000} s (the machine may be overloaded); retry the query.`));
          }, START_LIMIT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops every child, a running query's too (a child also stops by itself once this process is gone). */
  close(): void {
    this.#idle.length = 0;
    for (const c of this.#all) c.kill();
    this.#all.clear();
  }

  #start(): Child {
    const child = new Child((c) => {
      this.#all.delete(c);
      const at = this.#idle.indexOf(c);
      if (at !== -1) this.#idle.splice(at, 1);
    });
    this.#all.add(child);
    return child;
  }

  /**
   * Stops every child and waits until they are gone: an idle one closes its
   * cache connections first (call this after the stores are closed, so that
   * the last connection to each cache checkpoints it and removes its side
   * files); one still running a query is killed.
   */
  async stop(graceMs = 5_000): Promise<void> {
    const idle = this.#idle.splice(0);
    for (const c of this.#all) if (!idle.includes(c)) c.kill();
    await Promise.all(idle.map((c) => c.stop(graceMs)));
    this.#all.clear();
  }
}

let shared: QueryRunner | undefined;

/** The process's runner, started on first use. */
export function queryRunner(): QueryRunner {
  shared ??= new QueryRunner();
  return shared;
}

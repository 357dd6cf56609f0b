import { readSync, statSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { isReadShaped } from './sql-guard.ts';
import { isBigIntParam, type RpcCall, type RpcReply, type SqlRequest, type SqlResponse, type SqlRows } from './sql-protocol.ts';

/**
 * The SQL child process: runs one read query at a time against a store's
 * SQLite cache, where the parent can kill it (SQLite has no interrupt that
 * better-sqlite3 exposes, and a worker thread stuck in a runaway recursive CTE
 * could not be terminated). Requests come on stdin, answers go to stdout.
 * rvf_knn and rvf_distance call the parent's engine synchronously: a request
 * on fd 4, a blocking read of the answer on fd 3.
 */

const RPC_OUT = 4;
const RPC_IN = 3;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------ RPC to the parent

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let rpcBuffer = Buffer.alloc(0);
const rpcChunk = Buffer.alloc(64 * 1024);

/** Writes all of `text`: a pipe may be non-blocking (under tsx it is) and take only part of it. */
function writeLine(fd: number, text: string): void {
  const data = Buffer.from(text + '\n', 'utf8');
  for (let done = 0; done < data.length; ) {
    try {
      done += writeSync(fd, data, done, data.length - done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

function rpc(call: RpcCall): unknown {
  writeLine(RPC_OUT, JSON.stringify(call));
  for (;;) {
    const nl = rpcBuffer.indexOf(10);
    if (nl !== -1) {
      const reply = JSON.parse(rpcBuffer.subarray(0, nl).toString('utf8')) as RpcReply;
      rpcBuffer = rpcBuffer.subarray(nl + 1);
      if ('error' in reply) throw new QueryError(reply.error.code, reply.error.message);
      return reply.ok;
    }
    let n: number;
    try {
      n = readSync(RPC_IN, rpcChunk, 0, rpcChunk.length, null);
    } catch (err) {
      // The pipe may be non-blocking: wait a little and read again.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      throw err;
    }
    if (n === 0) process.exit(0); // the parent is gone
    rpcBuffer = Buffer.concat([rpcBuffer, rpcChunk.subarray(0, n)]);
  }
}

/** Answers of rvf_knn / rvf_distance, per request: SQLite calls a table function once per outer row. */
let memo = new Map<string, unknown>();

function remembered<T>(key: string, compute: () => T): T {
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
}

// ------------------------------------------------------------ connections

/**
 * Connections by cache path, each with the inode it opened: a cache that was
 * deleted and rebuilt, or a store created anew at the same path, is a new file
 * and gets a new connection; one whose file is gone is closed.
 */
const connections = new Map<string, { db: Database.Database; ino: number }>();

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function closeGone(): void {
  for (const [path, c] of connections) {
    if (inodeOf(path) !== c.ino) {
      c.db.close();
      connections.delete(path);
    }
  }
}
// A closed reader's private cache is deleted by the parent; let go of it within a second.
setInterval(closeGone, 1_000).unref();

function connection(path: string): Database.Database {
  closeGone();
  const known = connections.get(path);
  if (known) return known.db;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('query_only = ON');
  db.defaultSafeIntegers(true);
  db.table('rvf_knn', {
    columns: ['id', 'distance'],
    parameters: ['query_vector', 'k', 'filter'],
    rows: function* (vector: unknown, k: unknown, filter: unknown) {
      const key = JSON.stringify(['knn', vector, String(k), filter ?? null]);
      const hits = remembered(key, () => rpc({ call: 'knn', vector, k: typeof k === 'bigint' ? Number(k) : k, filter: filter ?? null })) as [string, number][];
      for (const [id, distance] of hits) yield [BigInt(id), distance];
    },
  });
  db.function('rvf_distance', { varargs: false }, (id: unknown, vector: unknown) => {
    if (id === null || vector === null) return null;
    const key = JSON.stringify(['distance', String(id), vector]);
    return remembered(key, () => rpc({ call: 'distance', id: String(id), vector })) as number | null;
  });
  connections.set(path, { db, ino: inodeOf(path) ?? -1 });
  return db;
}

// ------------------------------------------------------------ one query

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return { base64: value.toString('base64') };
  return value;
}

function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (isBigIntParam(value)) return BigInt(value.$bigint);
  if (value !== null && typeof value === 'object') return JSON.stringify(value); // a vector for rvf_knn, a JSON document
  return value;
}

function bindParams(params: SqlRequest['params']): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params.map(bindable);
  return [Object.fromEntries(Object.entries(params).map(([k, v]) => [k.replace(/^[:@$]/, ''), bindable(v)]))];
}

function run(req: SqlRequest): SqlRows {
  if (!isReadShaped(req.sql)) {
    throw new QueryError('EREADONLY', 'only SELECT, WITH and VALUES statements can be read; this server or handle does not write through SQL.');
  }
  const db = connection(req.db);
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(req.sql);
  } catch (err) {
    const message = (err as Error).message;
    if (/more than one statement/i.test(message)) throw new QueryError('EINVAL', 'send one SQL statement per call (no semicolon-separated lists).');
    throw new QueryError('EINVAL', `SQLite refused the query: ${message}; fix it and retry.`);
  }
  if (!stmt.readonly || !stmt.reader) {
    throw new QueryError('EREADONLY', 'this statement could change the store; only reads are allowed here.');
  }
  memo = new Map();
  return db.transaction((): SqlRows => {
    const state = db.prepare('SELECT epoch, commit_hash FROM cache_state WHERE one = 1').safeIntegers(false).get() as { epoch: number; commit_hash: string } | undefined;
    if (!state || state.epoch !== req.expect.epoch || state.commit_hash !== req.expect.commitHash) {
      throw new QueryError('ESTALE', 'the cache moved on while the query was sent');
    }
    const columns = stmt.columns().map((c) => c.name);
    const rows: unknown[][] = [];
    let bytes = 2;
    let truncated = false;
    for (const raw of stmt.raw(true).iterate(...bindParams(req.params)) as IterableIterator<unknown[]>) {
      const row = raw.map(toJson);
      bytes += Buffer.byteLength(JSON.stringify(row)) + 1;
      if (rows.length >= req.rowCap || bytes > req.byteCap) {
        truncated = true;
        break;
      }
      rows.push(row);
    }
    return { columns, rows, truncated };
  })();
}

function answer(res: SqlResponse): void {
  writeLine(1, JSON.stringify(res));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as SqlRequest;
  try {
    answer({ id: req.id, ok: run(req) });
  } catch (err) {
    if (err instanceof QueryError) answer({ id: req.id, error: { code: err.code, message: err.message } });
    else answer({ id: req.id, error: { code: 'EINVAL', message: `SQLite refused the query: ${(err as Error).message}; fix it and retry.` } });
  } finally {
    memo = new Map();
  }
});
process.stdin.on('end', () => process.exit(0));

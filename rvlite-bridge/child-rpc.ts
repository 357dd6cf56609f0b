import { readSync, writeSync } from 'node:fs';
import type { RpcCall, RpcReply } from './query-protocol.ts';

/**
 * The query child's synchronous calls to its parent: a request on fd 4, a
 * blocking read of the answer on fd 3. SQLite calls rvf_knn while it steps a
 * statement, so the answer cannot wait for the event loop.
 */

const RPC_OUT = 4;
const RPC_IN = 3;

export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let rpcBuffer = Buffer.alloc(0);
const rpcChunk = Buffer.alloc(64 * 1024);

/** Writes all of `text`: a pipe may be non-blocking (under tsx it is) and take only part of it. */
export function writeLine(fd: number, text: string): void {
  writeAll(fd, Buffer.from(text + '\n', 'utf8'));
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let done = 0; done < data.length; ) {
    try {
      done += writeSync(fd, data, done, data.length - done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

/** A call to the parent; a commit's effects record follows its line as raw bytes. */
export function rpc(call: RpcCall, payload?: Uint8Array): unknown {
  writeLine(RPC_OUT, JSON.stringify(call));
  if (payload) writeAll(RPC_OUT, payload);
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

export function remembered<T>(key: string, compute: () => T): T {
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
}

export function forgetAnswers(): void {
  memo = new Map();
}

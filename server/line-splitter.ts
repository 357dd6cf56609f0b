import { Transform, type TransformCallback } from 'node:stream';
import { findRequestId, HEAD_BYTES, TAIL_BYTES, type RequestId } from './request-id.ts';

/**
 * Cuts stdin into whole newline-terminated messages for the stdio transport
 * (server/stdio-transport.ts). Written by hand because the SDK's read buffer
 * re-copies everything received so far on every 64 KiB chunk (quadratic in
 * the message size: ~40 ms and heavy GC for one 7.6 MB ingest) and drops the
 * connection past 10 MiB. Given one whole message per chunk it copies once.
 *
 * A message over `maxBytes` is read to its end and discarded; `onOversize` gets
 * its size and its top-level JSON-RPC id, looked for in its first and last
 * bytes (server/request-id.ts), so the client can be answered with an error
 * instead of waiting forever.
 */
export class LineSplitter extends Transform {
  readonly #maxBytes: number;
  readonly #onOversize: (bytes: number, id: RequestId | null) => void;
  #parts: Buffer[] = [];
  #size = 0;
  #dropping = false;
  #head = Buffer.alloc(0);
  #tail = Buffer.alloc(0);

  constructor(maxBytes: number, onOversize: (bytes: number, id: RequestId | null) => void) {
    super();
    this.#maxBytes = maxBytes;
    this.#onOversize = onOversize;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#take(chunk.subarray(start, nl + 1));
      this.#endMessage();
      start = nl + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start));
    done();
  }

  #take(part: Buffer): void {
    this.#size += part.length;
    if (!this.#dropping && this.#size > this.#maxBytes) {
      this.#dropping = true;
      // concat with a total length copies only that many bytes.
      this.#head = Buffer.concat([...this.#parts, part], Math.min(HEAD_BYTES, this.#size));
      this.#parts = [];
    }
    if (this.#dropping) {
      this.#tail = Buffer.concat([this.#tail, part]).subarray(-TAIL_BYTES);
    } else {
      this.#parts.push(part);
    }
  }

  #endMessage(): void {
    if (this.#dropping) {
      this.#onOversize(this.#size, findRequestId(this.#head, this.#tail));
    } else {
      this.push(this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts, this.#size));
    }
    this.#parts = [];
    this.#size = 0;
    this.#dropping = false;
    this.#head = Buffer.alloc(0);
    this.#tail = Buffer.alloc(0);
  }
}

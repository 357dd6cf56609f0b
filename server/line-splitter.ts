import { Transform, type TransformCallback } from 'node:stream';

/**
 * Cuts stdin into whole newline-terminated messages before the SDK's stdio
 * transport sees them. Written by hand because the transport's read buffer
 * re-copies everything received so far on every 64 KiB chunk (quadratic in
 * the message size: ~40 ms and heavy GC for one 7.6 MB ingest) and drops the
 * connection past 10 MiB. Given one whole message per chunk it copies once.
 *
 * A message over `maxBytes` is read to its end and discarded; `onOversize` gets
 * its size and the JSON-RPC id found near its end (the SDK writes the id last),
 * so the client can be answered with an error instead of waiting forever.
 */
export class LineSplitter extends Transform {
  readonly #maxBytes: number;
  readonly #onOversize: (bytes: number, id: string | number | null) => void;
  #parts: Buffer[] = [];
  #size = 0;
  #dropping = false;
  #tail = Buffer.alloc(0);

  constructor(maxBytes: number, onOversize: (bytes: number, id: string | number | null) => void) {
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
      this.#parts = [];
    }
    if (this.#dropping) {
      this.#tail = Buffer.concat([this.#tail, part]).subarray(-256);
    } else {
      this.#parts.push(part);
    }
  }

  #endMessage(): void {
    if (this.#dropping) {
      const id = /"id":\s*("(?:[^"\\]|\\.)*"|-?\d+)\s*[,}]/.exec(this.#tail.toString('utf8'))?.[1];
      this.#onOversize(this.#size, id === undefined ? null : (JSON.parse(id) as string | number));
    } else {
      this.push(this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts, this.#size));
    }
    this.#parts = [];
    this.#size = 0;
    this.#dropping = false;
    this.#tail = Buffer.alloc(0);
  }
}

/**
 * Where the .rvf reader gets its bytes: an open file in Node, a Uint8Array in
 * a browser. The scan and the row index read only through this, so the same
 * reader runs in both (this file must stay free of node:* imports).
 */
export interface ByteSource {
  /** Bytes available now (a file may grow while a reader catches up). */
  readonly size: number;
  /**
   * Exactly `length` bytes from `position`, or an error when they run past
   * the end. `into` is scratch the source may fill and return a view of;
   * callers must copy what they keep past their next read.
   */
  read(length: number, position: number, into?: Buffer): Buffer;
}

/** Bytes held in memory. Reads are views, not copies: nobody may write through them. */
export class MemorySource implements ByteSource {
  readonly #bytes: Buffer;

  constructor(bytes: Uint8Array) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get size(): number {
    return this.#bytes.length;
  }

  read(length: number, position: number): Buffer {
    if (position < 0 || length < 0 || position + length > this.#bytes.length) {
      throw new Error(`unexpected end of file at byte ${Math.min(Math.max(position, 0), this.#bytes.length)}`);
    }
    return this.#bytes.subarray(position, position + length);
  }
}

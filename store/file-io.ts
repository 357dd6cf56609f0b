import { closeSync, fdatasyncSync, fstatSync, fsyncSync, openSync, readSync, writeSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import type { ByteSource } from './byte-source.ts';

/** Small synchronous file helpers: whole reads and writes at an offset, and the fsyncs. */

export function readExactly(fd: number, length: number, position: number, into?: Buffer): Buffer {
  const buf = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buf;
}

/** An open file as a byte source for the shared reader (scan.ts, row-index.ts); its size is re-read each time, as a file may grow. */
export class FdSource implements ByteSource {
  constructor(readonly fd: number) {}

  get size(): number {
    return fstatSync(this.fd).size;
  }

  read(length: number, position: number, into?: Buffer): Buffer {
    return readExactly(this.fd, length, position, into);
  }
}

export function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) {
    done += writeSync(fd, data, done, data.length - done, position + done);
  }
}

/** fsync of the directory holding `path`, so a create or rename in it is durable. */
export function fsyncDirectoryOf(path: string): void {
  const fd = openSync(dirname(path), constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fdatasync(fd: number): void {
  fdatasyncSync(fd);
}

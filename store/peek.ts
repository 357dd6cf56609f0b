import { closeSync, fstatSync, openSync } from 'node:fs';
import { FdSource, readExactly } from './file-io.ts';
import { decodeStoreInfo } from './payloads.ts';
import { verifiedManifestAt } from './scan.ts';
import { decodeHeader, HEADER_BYTES, hasMagic, SEGMENT_MAGIC, SegmentType } from './segment.ts';
import type { Metric } from './types.ts';

/**
 * What a listing needs of a store that is not open, without loading it: the
 * newest manifest that verifies near the end of the file (epoch, dimension,
 * count) and the store info at its start (metric). Reading and checking the
 * whole file is what opening does; a listing must stay cheap for large stores.
 */

export interface StorePeek {
  dimensions: number;
  metric: Metric;
  totalVectors: number;
  epoch: number;
  fileSizeBytes: number;
}

/** Looks back this far for the newest manifest: the native reader's window, with room for a torn tail. */
const WINDOW = 1024 * 1024;

export function peekStore(path: string): StorePeek | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - WINDOW);
    const tail = readExactly(fd, size - start, start);
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(SEGMENT_MAGIC);
    for (let i = tail.lastIndexOf(magic); i >= 0; i = i === 0 ? -1 : tail.lastIndexOf(magic, i - 1)) {
      const m = verifiedManifestAt(new FdSource(fd), start + i, size);
      if (m) return { dimensions: m.dimensions, metric: metricOf(fd, size), totalVectors: m.totalVectors, epoch: m.epoch, fileSizeBytes: size };
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function metricOf(fd: number, size: number): Metric {
  if (size < HEADER_BYTES) return 'l2';
  const head = readExactly(fd, HEADER_BYTES, 0);
  if (!hasMagic(head)) return 'l2';
  const h = decodeHeader(head);
  if (h.type !== SegmentType.PROFILE || h.payloadLength > 64 * 1024 || HEADER_BYTES + h.payloadLength > size) return 'l2';
  try {
    return decodeStoreInfo(readExactly(fd, h.payloadLength, HEADER_BYTES))?.metric ?? 'l2';
  } catch {
    return 'l2';
  }
}

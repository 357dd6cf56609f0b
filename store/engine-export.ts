import { RvfError } from './errors.ts';
import { decodeHeader, HEADER_BYTES, hasMagic, SegmentType } from './segment.ts';
import { VEC_HEADER_BYTES } from './payloads.ts';
import { writeVector } from '../wasm/validate.ts';

/**
 * Reads the byte buffer @ruvector/rvf-wasm's `rvf_store_export` produces, as an
 * import format only, never as a store: its VEC prefix is `count u16 | dim u32`
 * (the swap of the native layout), its count wraps at 65,536, its checksums are
 * zero and it records no metric. The real row count is taken from the payload
 * length and must agree with the wrapped count; every vector passes the same
 * checks as an ingest.
 */

export interface EngineExport {
  dimensions: number;
  ids: BigUint64Array;
  vectors: Float32Array;
}

export function parseEngineExport(bytes: Uint8Array, where = 'engine export'): EngineExport {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): RvfError => new RvfError('EINVAL', `${where} is not a byte export of @ruvector/rvf-wasm (${why}); export the store again.`);
  if (b.length < HEADER_BYTES + VEC_HEADER_BYTES || !hasMagic(b)) throw bad('no VEC segment at the start');
  const h = decodeHeader(b);
  if (h.type !== SegmentType.VEC) throw bad(`first segment has type ${h.type}`);
  const payloadLength = h.payloadLength;
  if (HEADER_BYTES + payloadLength > b.length) throw bad('the VEC segment is cut short');
  const wrappedCount = b.readUInt16LE(HEADER_BYTES);
  const dimensions = b.readUInt32LE(HEADER_BYTES + 2);
  if (dimensions < 1 || dimensions > 65_535) throw bad(`dimension ${dimensions}`);
  const rowBytes = 8 + dimensions * 4;
  const rowsBytes = payloadLength - VEC_HEADER_BYTES;
  if (rowsBytes % rowBytes !== 0) throw bad('the payload is not a whole number of rows');
  const count = rowsBytes / rowBytes;
  if (count % 65_536 !== wrappedCount) throw bad(`it says ${wrappedCount} rows but holds ${count}`);
  const end = HEADER_BYTES + payloadLength;
  if (end < b.length) {
    if (!hasMagic(b, end) || decodeHeader(b, end).type !== SegmentType.MANIFEST) throw bad('unexpected bytes after the VEC segment');
    if (end + HEADER_BYTES + decodeHeader(b, end).payloadLength !== b.length) throw bad('unexpected bytes after the manifest');
  }
  const ids = new BigUint64Array(count);
  const vectors = new Float32Array(count * dimensions);
  const row = new Float32Array(dimensions);
  let at = HEADER_BYTES + VEC_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    ids[i] = b.readBigUInt64LE(at);
    for (let d = 0; d < dimensions; d++) row[d] = b.readFloatLE(at + 8 + d * 4);
    writeVector(row, dimensions, vectors, i * dimensions, `${where} row ${i}`);
    at += rowBytes;
  }
  return { dimensions, ids, vectors };
}

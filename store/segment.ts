import { crc32 } from 'node:zlib';

/**
 * The RVF segment header: 64 bytes, little-endian, shared by every RVF writer.
 *
 * Checksums:
 * - payload: CRC32 (IEEE) at 0x28, written as the native writer does (the CRC,
 *   then the CRC rotated left by 8, 16 and 24 bits), so the native reader
 *   verifies our payloads;
 * - header: CRC32 of the 64 header bytes with 0x24..0x27 zeroed, stored in the
 *   reserved word at 0x24 (the native reader ignores it). It makes a flipped
 *   type or length byte detectable instead of being read as a segment to skip.
 *   Files from the native writer leave the word 0; for them the payload CRC and
 *   the manifest's segment directory are the checks.
 */

export const HEADER_BYTES = 64;
export const SEGMENT_MAGIC = 0x52564653; // "RVFS"
export const WIRE_VERSION = 1;

export const SegmentType = {
  VEC: 0x01,
  INDEX: 0x02,
  OVERLAY: 0x03,
  JOURNAL: 0x04,
  MANIFEST: 0x05,
  QUANT: 0x06,
  META: 0x07,
  HOT: 0x08,
  SKETCH: 0x09,
  WITNESS: 0x0a,
  PROFILE: 0x0b,
  CRYPTO: 0x0c,
  METAIDX: 0x0d,
} as const;

const TYPE_NAMES = new Map<number, string>(
  Object.entries(SegmentType).map(([name, code]) => [code, name.toLowerCase()]),
);

export function segmentTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `0x${type.toString(16).padStart(2, '0')}`;
}

export interface SegmentHeader {
  version: number;
  type: number;
  flags: number;
  segId: bigint;
  payloadLength: number;
  timestampNs: bigint;
  checksumAlgo: number;
  compression: number;
  headerCrc: number;
  payloadCrc: number;
  /** The hash words the native writer derives from the CRC; checked for consistency. */
  hashWords: [number, number, number, number];
}

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

export function headerCrc(header: Uint8Array): number {
  const copy = Buffer.from(header.subarray(0, HEADER_BYTES));
  copy.writeUInt32LE(0, 0x24);
  return crc32(copy) >>> 0;
}

/** Encodes a header for `payload` (its CRC given, so callers can checksum while they build). */
export function encodeHeader(type: number, segId: bigint, payloadLength: number, payloadCrc: number, flags = 0): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32LE(SEGMENT_MAGIC, 0x00);
  h[0x04] = WIRE_VERSION;
  h[0x05] = type;
  h.writeUInt16LE(flags, 0x06);
  h.writeBigUInt64LE(segId, 0x08);
  h.writeBigUInt64LE(BigInt(payloadLength), 0x10);
  h.writeBigUInt64LE(BigInt(Date.now()) * 1_000_000n, 0x18);
  // 0x20 checksum algorithm 0 (CRC32), 0x21 compression 0, 0x22 reserved.
  h.writeUInt32LE(payloadCrc, 0x28);
  h.writeUInt32LE(rotl(payloadCrc, 8), 0x2c);
  h.writeUInt32LE(rotl(payloadCrc, 16), 0x30);
  h.writeUInt32LE(rotl(payloadCrc, 24), 0x34);
  h.writeUInt32LE(payloadLength >>> 0, 0x38); // uncompressed length (low 32 bits)
  h.writeUInt32LE(headerCrc(h), 0x24);
  return h;
}

/** A whole segment (header + payload) as one buffer. */
export function encodeSegment(type: number, segId: bigint, payload: Uint8Array, flags = 0): Buffer {
  const header = encodeHeader(type, segId, payload.length, crc32(payload) >>> 0, flags);
  return Buffer.concat([header, payload]);
}

export function decodeHeader(b: Buffer, at = 0): SegmentHeader {
  const payloadLength = b.readBigUInt64LE(at + 0x10);
  return {
    version: b[at + 0x04] as number,
    type: b[at + 0x05] as number,
    flags: b.readUInt16LE(at + 0x06),
    segId: b.readBigUInt64LE(at + 0x08),
    // Anything past 2^53 is damage anyway; MAX_SAFE_INTEGER fails every later bound check.
    payloadLength: payloadLength > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(payloadLength),
    timestampNs: b.readBigUInt64LE(at + 0x18),
    checksumAlgo: b[at + 0x20] as number,
    compression: b[at + 0x21] as number,
    headerCrc: b.readUInt32LE(at + 0x24),
    payloadCrc: b.readUInt32LE(at + 0x28),
    hashWords: [b.readUInt32LE(at + 0x28), b.readUInt32LE(at + 0x2c), b.readUInt32LE(at + 0x30), b.readUInt32LE(at + 0x34)],
  };
}

export function hasMagic(b: Buffer, at = 0): boolean {
  return b.length >= at + 4 && b.readUInt32LE(at) === SEGMENT_MAGIC;
}

/**
 * Why a header is not acceptable, or undefined when it is. The wire version is
 * checked by the caller first (a newer version is a different error).
 */
export function headerProblem(b: Buffer, at: number, h: SegmentHeader): string | undefined {
  if (h.headerCrc !== 0) {
    if (headerCrc(b.subarray(at, at + HEADER_BYTES)) !== h.headerCrc) return 'header checksum mismatch';
  } else if (b.readUInt16LE(at + 0x22) !== 0) {
    return 'reserved header bytes are set without a header checksum';
  }
  if (h.type === 0 || h.type >= 0xf0) return `reserved segment type ${h.type}`;
  if (h.checksumAlgo !== 0) return `unsupported checksum algorithm ${h.checksumAlgo}`;
  if (h.compression !== 0) return `unsupported compression ${h.compression}`;
  const w = h.hashWords;
  const allZero = w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0;
  if (!allZero && (w[1] !== rotl(w[0], 8) || w[2] !== rotl(w[0], 16) || w[3] !== rotl(w[0], 24))) {
    return 'content hash words are inconsistent';
  }
  return undefined;
}

/** True when the stored hash is unset (all zero), which the native format allows. */
export function payloadHashUnset(h: SegmentHeader): boolean {
  return h.hashWords.every((w) => w === 0);
}

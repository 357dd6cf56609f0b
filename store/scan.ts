import { crc32 } from 'node:zlib';
import { chainCommit } from './commit-hash.ts';
import { RvfError } from './errors.ts';
import type { ByteSource } from './byte-source.ts';
import {
  corrupt,
  decodeManifest,
  decodeStoreInfo,
  decodeVecShape,
  type Manifest,
  type StoreInfo,
  VEC_HEADER_BYTES,
} from './payloads.ts';
import {
  decodeHeader,
  HEADER_BYTES,
  hasMagic,
  headerProblem,
  payloadHashUnset,
  SEGMENT_MAGIC,
  SegmentType,
  WIRE_VERSION,
} from './segment.ts';
import { LIMITS } from '../schemas/limits.ts';

/**
 * Reads a .rvf log from the start and finds its newest commit whose segments
 * all verify. A commit is every segment up to and including a MANIFEST.
 *
 * The writer makes a commit in two steps (data, fdatasync, manifest, fdatasync),
 * so a manifest that verifies proves every byte before it reached the disk.
 * That tells the two kinds of damage apart:
 * - a bad segment followed somewhere by a verifying manifest is damage inside
 *   committed data: an ECORRUPT error naming the file and offset;
 * - a bad segment with no verifying manifest after it is the torn tail of an
 *   unacknowledged commit: invisible, and the next writer cuts it off.
 */

const CHUNK = 8 * 1024 * 1024;

export interface ScannedSegment {
  offset: number;
  type: number;
  segId: bigint;
  payloadLength: number;
  /** Epoch of the commit the segment belongs to. */
  epoch: number;
  /** VEC only: the row ids in file order. */
  vecIds?: BigUint64Array;
}

export interface Commit {
  epoch: number;
  start: number;
  end: number;
  /** Hash of the history up to this commit: tells two commits with the same epoch apart. */
  commitHash: string;
  segments: ScannedSegment[];
}

export interface Scan {
  /** How messages name the file (its path, or the name a caller gave it). */
  label: string;
  fileSize: number;
  /** End of the newest verified commit; bytes after it are a torn tail. */
  goodEnd: number;
  commits: Commit[];
  manifest: Manifest;
  /** Our store info (metric, lineage) when the file records it. */
  storeInfo: StoreInfo | undefined;
  dimensions: number;
  maxSegId: bigint;
  /** Why the tail after goodEnd was not accepted, when there is one. */
  tornReason: string | undefined;
}

class ScanFailure {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

/** Where a scan starts: the start of the file, or the end of commits already read. */
export interface ScanStart {
  offset: number;
  dimensions: number;
  /** Commit hash and epoch of the last commit before `offset`. */
  chain: string;
  epoch: number;
  maxSegId: bigint;
  /** VEC segments before `offset` a manifest may list: offset -> segment. */
  vecSegments: Map<number, { segId: bigint; payloadLength: number }>;
}

export function scanLog(label: string, source: ByteSource): Scan {
  const scan = scanFrom(label, source, { offset: 0, dimensions: 0, chain: '', epoch: -1, maxSegId: 0n, vecSegments: new Map() });
  if (!scan) throw corrupt(label, 0, 'no committed manifest: this is not an RVF store');
  return scan;
}

/**
 * Reads the commits from `start.offset` on. Returns undefined when no whole
 * commit follows (a reader catching up with a writer mid-commit sees that).
 */
export function scanFrom(label: string, source: ByteSource, start: ScanStart): Scan | undefined {
  const fileSize = source.size;
  const chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(fileSize - start.offset, HEADER_BYTES)));
  const commits: Commit[] = [];
  const vecSegments = new Map(start.vecSegments);
  let pending: ScannedSegment[] = [];
  let pendingHeaders: Buffer[] = [];
  let chain = start.chain;
  let lastEpoch = start.epoch;
  let storeInfo: StoreInfo | undefined;
  let pendingStoreInfo: StoreInfo | undefined;
  let dimensions = start.dimensions;
  let lastManifest: Manifest | undefined;
  let maxSegId = start.maxSegId;
  let pendingMaxSegId = maxSegId;
  let pos = start.offset;
  let failure: ScanFailure | undefined;

  while (pos < fileSize) {
    try {
      const seg = readSegment(label, source, pos, fileSize, chunk, dimensions);
      if (seg.storeInfo) pendingStoreInfo = seg.storeInfo;
      if (dimensions === 0 && seg.dimensions) dimensions = seg.dimensions;
      pending.push(seg.segment);
      pendingHeaders.push(seg.header);
      if (seg.segment.segId > pendingMaxSegId) pendingMaxSegId = seg.segment.segId;
      if (seg.segment.type === SegmentType.MANIFEST && seg.manifest) {
        const m = seg.manifest;
        const end = pos + HEADER_BYTES + seg.segment.payloadLength;
        if (m.epoch <= lastEpoch) {
          throw new ScanFailure(pos, `manifest epoch ${m.epoch} does not follow epoch ${lastEpoch}`);
        }
        for (const s of pending) if (s.type === SegmentType.VEC) vecSegments.set(s.offset, s);
        checkDirectory(m, vecSegments, pos);
        if (m.dimensions !== 0) dimensions ||= m.dimensions;
        for (const s of pending) s.epoch = m.epoch;
        chain = chainCommit(chain, pendingHeaders);
        commits.push({ epoch: m.epoch, start: pending[0]?.offset ?? pos, end, commitHash: chain, segments: pending });
        pending = [];
        pendingHeaders = [];
        lastManifest = m;
        lastEpoch = m.epoch;
        maxSegId = pendingMaxSegId;
        if (pendingStoreInfo) storeInfo = pendingStoreInfo;
      }
      pos += HEADER_BYTES + seg.segment.payloadLength;
    } catch (err) {
      if (err instanceof ScanFailure) {
        failure = err;
        break;
      }
      throw err;
    }
  }

  if (failure && laterManifestVerifies(source, failure.offset + 1, fileSize)) {
    throw corrupt(label, failure.offset, failure.reason);
  }
  if (!lastManifest) return undefined;
  if (dimensions === 0) throw corrupt(label, 0, 'the store records no vector dimension');
  const goodEnd = (commits.at(-1) as Commit).end;
  let tornReason = failure?.reason;
  if (!tornReason && goodEnd < fileSize) tornReason = 'segments after the last manifest were never committed';
  return {
    label,
    fileSize,
    goodEnd,
    commits,
    manifest: lastManifest,
    storeInfo,
    dimensions,
    maxSegId,
    tornReason,
  };
}

interface ReadSegment {
  segment: ScannedSegment;
  header: Buffer;
  payloadCrc: number;
  manifest?: Manifest;
  storeInfo?: StoreInfo;
  dimensions?: number;
}

function readSegment(label: string, source: ByteSource, pos: number, fileSize: number, chunk: Buffer, dimensions: number): ReadSegment {
  if (fileSize - pos < HEADER_BYTES) throw new ScanFailure(pos, 'segment header cut short');
  const head = Buffer.from(source.read(HEADER_BYTES, pos, chunk));
  if (!hasMagic(head)) throw new ScanFailure(pos, 'no segment magic');
  const h = decodeHeader(head);
  if (h.version > WIRE_VERSION) {
    throw new RvfError(
      'EVERSION',
      `${label} requires RVF wire version ${h.version}, but this build supports version ${WIRE_VERSION}. Run: npm update rvf-mcp-server`,
    );
  }
  const problem = h.version !== WIRE_VERSION ? `wire version ${h.version}` : headerProblem(head, 0, h);
  if (problem) throw new ScanFailure(pos, problem);
  if (h.payloadLength > LIMITS.maxSegmentPayloadBytes + 1) throw new ScanFailure(pos, 'payload length over 256 MiB');
  const payloadStart = pos + HEADER_BYTES;
  if (payloadStart + h.payloadLength > fileSize) throw new ScanFailure(pos, 'segment payload cut short');
  if (h.headerCrc !== 0 && payloadHashUnset(h)) throw new ScanFailure(pos, 'payload checksum missing');

  const segment: ScannedSegment = { offset: pos, type: h.type, segId: h.segId, payloadLength: h.payloadLength, epoch: -1 };
  const out: ReadSegment = { segment, header: head, payloadCrc: 0 };
  let crc = 0;

  if (h.type === SegmentType.VEC) {
    const shapeBytes = source.read(Math.min(VEC_HEADER_BYTES, h.payloadLength), payloadStart, chunk);
    const shape = decodeVecShape(shapeBytes, h.payloadLength);
    if (typeof shape === 'string') throw new ScanFailure(pos, shape);
    if (dimensions !== 0 && shape.dimensions !== dimensions) {
      throw new ScanFailure(pos, `VEC segment of dimension ${shape.dimensions} in a store of dimension ${dimensions}`);
    }
    crc = crc32(shapeBytes);
    const rowBytes = 8 + shape.dimensions * 4;
    const rowsPerChunk = Math.max(1, Math.floor(chunk.length / rowBytes));
    const ids = new BigUint64Array(shape.count);
    let row = 0;
    let at = payloadStart + VEC_HEADER_BYTES;
    while (row < shape.count) {
      const n = Math.min(rowsPerChunk, shape.count - row);
      const data = source.read(n * rowBytes, at, chunk);
      crc = crc32(data, crc);
      for (let i = 0; i < n; i++) ids[row + i] = data.readBigUInt64LE(i * rowBytes);
      row += n;
      at += n * rowBytes;
    }
    segment.vecIds = ids;
    out.dimensions = shape.dimensions;
  } else if (h.type === SegmentType.MANIFEST || h.type === SegmentType.PROFILE) {
    const payload = Buffer.from(source.read(h.payloadLength, payloadStart, chunk));
    crc = crc32(payload);
    if (payloadHashUnset(h) || (crc >>> 0) === h.payloadCrc) {
      try {
        if (h.type === SegmentType.MANIFEST) out.manifest = decodeManifest(payload);
        else out.storeInfo = decodeStoreInfo(payload);
      } catch (err) {
        throw new ScanFailure(pos, (err as Error).message);
      }
      if (out.storeInfo) out.dimensions = out.storeInfo.dimensions;
    }
  } else {
    for (let done = 0; done < h.payloadLength; ) {
      const n = Math.min(chunk.length, h.payloadLength - done);
      crc = crc32(source.read(n, payloadStart + done, chunk), crc);
      done += n;
    }
  }
  out.payloadCrc = crc >>> 0;
  if (!payloadHashUnset(h) && out.payloadCrc !== h.payloadCrc) throw new ScanFailure(pos, 'payload checksum mismatch');
  return out;
}

/** Every VEC segment a manifest lists must be one the log holds, exactly. */
function checkDirectory(m: Manifest, vecSegments: Map<number, { segId: bigint; payloadLength: number }>, manifestOffset: number): void {
  for (const e of m.entries) {
    if (e.type !== SegmentType.VEC) continue;
    const s = vecSegments.get(e.offset);
    if (!s || s.segId !== e.segId || s.payloadLength !== e.payloadLength) {
      throw new ScanFailure(manifestOffset, `manifest lists a VEC segment at byte ${e.offset} that the log does not hold`);
    }
  }
}

/** Is there a manifest at or after `from` whose header and payload verify? */
function laterManifestVerifies(source: ByteSource, from: number, fileSize: number): boolean {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(SEGMENT_MAGIC);
  const window = Buffer.allocUnsafe(CHUNK);
  for (let start = from; start < fileSize; start += CHUNK - 3) {
    const len = Math.min(CHUNK, fileSize - start);
    const data = source.read(len, start, window);
    for (let i = data.indexOf(magic); i !== -1; i = data.indexOf(magic, i + 1)) {
      if (verifiedManifestAt(source, start + i, fileSize)) return true;
    }
    if (start + len >= fileSize) break;
  }
  return false;
}

/** The manifest at `pos` when its header and payload verify (also used to list stores cheaply). */
export function verifiedManifestAt(source: ByteSource, pos: number, fileSize: number): Manifest | undefined {
  if (pos + HEADER_BYTES > fileSize) return undefined;
  const head = source.read(HEADER_BYTES, pos);
  const h = decodeHeader(head);
  if (h.version !== WIRE_VERSION || h.type !== SegmentType.MANIFEST || headerProblem(head, 0, h)) return undefined;
  if (payloadHashUnset(h) || pos + HEADER_BYTES + h.payloadLength > fileSize) return undefined;
  if (h.payloadLength > 64 * 1024 * 1024) return undefined;
  const payload = source.read(h.payloadLength, pos + HEADER_BYTES);
  if (crc32(payload) >>> 0 !== h.payloadCrc) return undefined;
  try {
    return decodeManifest(payload);
  } catch {
    return undefined;
  }
}

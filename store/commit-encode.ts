import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { chainCommit } from './commit-hash.ts';
import { encodeManifest, type FileIdentity, type Manifest } from './payloads.ts';
import type { Commit } from './scan.ts';
import { encodeHeader, encodeSegment, HEADER_BYTES, SegmentType, segmentTypeName } from './segment.ts';
import type { SegmentInfo } from './types.ts';

/**
 * The bytes of the next commit, computed without touching a file: CommitLog
 * writes them to disk (with its fdatasyncs), the in-memory store (bytes-store.ts)
 * appends them to its buffer. One encoder, so both produce the same wire format.
 * node:crypto and node:zlib are shimmed in the browser bundle.
 */

export interface PlacedSegment {
  segId: bigint;
  offset: number;
  payloadLength: number;
  type: number;
}

/** Where the log stands before the commit. */
export interface LogPosition {
  epoch: number;
  commitHash: string;
  /** Append position: the end of committed bytes. */
  end: number;
  nextSegId: bigint;
}

export interface EncodedCommit {
  epoch: number;
  placed: PlacedSegment[];
  /** Data segments as header, payload, header, payload... (no copy of the payloads). */
  data: Buffer[];
  /** The MANIFEST segment, whole; written at `manifestOffset` once the data is durable. */
  manifest: Buffer;
  manifestOffset: number;
  /** The log after the commit. */
  after: LogPosition;
  /** The segments the commit adds, for a segment listing. */
  segments: SegmentInfo[];
}

export function encodeCommit(
  at: LogPosition,
  data: readonly { type: number; payload: Buffer }[],
  manifestFor: (placed: PlacedSegment[]) => Omit<Manifest, 'epoch'>,
): EncodedCommit {
  const epoch = at.epoch + 1;
  let nextSegId = at.nextSegId;
  const placed: PlacedSegment[] = [];
  const headers: Buffer[] = [];
  const buffers: Buffer[] = [];
  let pos = at.end;
  for (const d of data) {
    const segId = nextSegId++;
    const header = encodeHeader(d.type, segId, d.payload.length, crc32(d.payload) >>> 0);
    headers.push(header);
    buffers.push(header, d.payload);
    placed.push({ segId, offset: pos, payloadLength: d.payload.length, type: d.type });
    pos += HEADER_BYTES + d.payload.length;
  }
  const payload = encodeManifest({ epoch, ...manifestFor(placed) });
  const manifestId = nextSegId++;
  const manifest = encodeSegment(SegmentType.MANIFEST, manifestId, payload);
  const segments: SegmentInfo[] = placed.map((p) => ({ id: Number(p.segId), type: segmentTypeName(p.type), offset: p.offset, payloadLength: p.payloadLength, epoch }));
  segments.push({ id: Number(manifestId), type: 'manifest', offset: pos, payloadLength: payload.length, epoch });
  return {
    epoch,
    placed,
    data: buffers,
    manifest,
    manifestOffset: pos,
    after: {
      epoch,
      commitHash: chainCommit(at.commitHash, [...headers, manifest.subarray(0, HEADER_BYTES)]),
      end: pos + manifest.length,
      nextSegId,
    },
    segments,
  };
}

/** The segment listing of scanned commits. */
export function segmentsOf(commits: readonly Commit[]): SegmentInfo[] {
  const out: SegmentInfo[] = [];
  for (const c of commits) {
    for (const s of c.segments) {
      out.push({ id: Number(s.segId), type: segmentTypeName(s.type), offset: s.offset, payloadLength: s.payloadLength, epoch: c.epoch });
    }
  }
  return out;
}

/**
 * A file without an identity trailer (native writer) gets a stable one derived
 * from its first commit. Same derivation as RvfDatabase's, so both report the
 * same fileId for a native file.
 */
export function fallbackIdentity(commits: readonly Commit[]): FileIdentity {
  const first = commits[0] as Commit;
  const fileId = createHash('sha256').update(`${first.epoch}:${first.commitHash}:${first.end}`).digest().subarray(0, 16);
  return { fileId: Buffer.from(fileId), parentId: Buffer.alloc(16), parentHash: Buffer.alloc(32), depth: 0 };
}

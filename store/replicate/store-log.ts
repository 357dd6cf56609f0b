import { closeSync, openSync } from 'node:fs';
import { fallbackIdentity } from '../commit-encode.ts';
import type { Effects } from '../effects.ts';
import { FdSource } from '../file-io.ts';
import { metadataChanges } from '../metadata-log.ts';
import { decodeJournal, decodeMeta, VEC_HEADER_BYTES } from '../payloads.ts';
import { effectsOf } from '../reconcile.ts';
import { RowIndex } from '../row-index.ts';
import { type Commit, type Scan, scanLog } from '../scan.ts';
import { HEADER_BYTES, SegmentType } from '../segment.ts';
import type { Metric } from '../types.ts';

/**
 * What the replicator reads of a store: its .rvf file alone, opened read-only
 * and scanned once with the store's own reader (scan.ts), so it sees one
 * committed view however a writer moves on meanwhile and creates no file
 * beside the store (no lease, no cache). A commit's changes come from the same
 * segments the cache replays (reconcile.ts): VEC rows, META metadata, JOURNAL
 * deletes and effects records; a whole store from the row index and the whole
 * effects history, as a cache rebuild does.
 */

/** One vector row as Postgres gets it (the vector is a copy of the stored float32 values). */
export interface VectorRow {
  id: bigint;
  vector: Float32Array;
  json: string | null;
  epoch: number;
}

export interface CommitChanges {
  /** Rows this commit wrote, in batches of at most about 4 MiB of vectors. */
  upserts: Iterable<VectorRow[]>;
  /** Ids its JOURNAL deleted. */
  deletes: bigint[];
  /** Its effects records (graph, triples, user tables), in order. */
  effects: Effects[];
}

export interface StoreLog {
  /** How messages name the store (the caller's label). */
  readonly label: string;
  readonly fileId: string;
  readonly dimensions: number;
  readonly metric: Metric;
  /** Every commit in the file, oldest first; the last is the store's current epoch. */
  readonly commits: readonly Commit[];
  readonly last: Commit;
  /** Live vectors at the last commit. */
  readonly liveCount: number;
  changesOf(commit: Commit): CommitChanges;
  /** Every live vector with its metadata and the epoch that last wrote it. */
  liveRows(): Iterable<VectorRow[]>;
  /** The whole effects history: replayed in order onto empty tables, it gives the tables at the last commit. */
  allEffects(): Iterable<Effects>;
  close(): void;
}

const BATCH_BYTES = 4 * 1024 * 1024;

export function openStoreLog(path: string, label: string): StoreLog {
  const fd = openSync(path, 'r');
  try {
    return readStoreLog(fd, scanLog(label, new FdSource(fd)), label);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function readStoreLog(fd: number, scan: Scan, label: string): StoreLog {
  const source = new FdSource(fd);
  const identity = scan.manifest.identity ?? fallbackIdentity(scan.commits);
  const index = RowIndex.fromScan(scan);
  const dim = scan.dimensions;
  const rowBytes = index.rowBytes;
  return {
    label,
    fileId: identity.fileId.toString('hex'),
    dimensions: dim,
    // The native format records no metric and its reader ranks by L2 (as RvfDatabase.open does).
    metric: scan.storeInfo?.metric ?? 'l2',
    commits: scan.commits,
    last: scan.commits.at(-1) as Commit,
    liveCount: index.live,
    changesOf(commit) {
      const metadata = new Map<bigint, string | null>();
      const deletes: bigint[] = [];
      const effects: Effects[] = [];
      for (const seg of commit.segments) {
        if (seg.type === SegmentType.JOURNAL) {
          deletes.push(...decodeJournal(source.read(seg.payloadLength, seg.offset + HEADER_BYTES)));
        }
      }
      for (const e of effectsOf([commit], fd)) effects.push(e);
      for (const seg of commit.segments) {
        if (seg.type !== SegmentType.META) continue;
        for (const entry of decodeMeta(source.read(seg.payloadLength, seg.offset + HEADER_BYTES)) ?? []) metadata.set(entry.id, entry.json);
      }
      // Within a commit the last row of an id wins, and a JOURNAL entry removes it (metadata-log.ts).
      const finalAt = new Map<bigint, number>();
      for (const seg of commit.segments) {
        if (seg.type !== SegmentType.VEC || !seg.vecIds) continue;
        const first = seg.offset + HEADER_BYTES + VEC_HEADER_BYTES;
        seg.vecIds.forEach((id, i) => finalAt.set(id, first + i * rowBytes));
      }
      for (const id of deletes) finalAt.delete(id);
      const upserts = function* (): Generator<VectorRow[]> {
        for (const seg of commit.segments) {
          if (seg.type !== SegmentType.VEC || !seg.vecIds) continue;
          yield* rowsOfSegment(seg.offset + HEADER_BYTES + VEC_HEADER_BYTES, seg.vecIds, (id, at) => finalAt.get(id) === at, (id) => metadata.get(id) ?? null, commit.epoch);
        }
      };
      return { upserts: upserts(), deletes, effects };
    },
    liveRows() {
      const changes = metadataChanges(scan.commits, source);
      return (function* (): Generator<VectorRow[]> {
        for (const chunk of index.liveChunks(source)) {
          const rows: VectorRow[] = [];
          chunk.ids.forEach((id, j) => {
            const change = changes.get(id);
            const known = change && change !== 'deleted' ? change : { json: null, epoch: 0 };
            rows.push({ id, vector: floatsAt(chunk.rows, j * rowBytes + 8, dim), json: known.json, epoch: known.epoch });
          });
          yield rows;
        }
      })();
    },
    allEffects() {
      return effectsOf(scan.commits, fd);
    },
    close() {
      closeSync(fd);
    },
  };

  /** The rows of one VEC segment that `keep` accepts, read a bounded number at a time. */
  function* rowsOfSegment(
    first: number,
    ids: BigUint64Array,
    keep: (id: bigint, at: number) => boolean,
    json: (id: bigint) => string | null,
    epoch: number,
  ): Generator<VectorRow[]> {
    const perRead = Math.max(1, Math.floor(BATCH_BYTES / rowBytes));
    for (let start = 0; start < ids.length; start += perRead) {
      const n = Math.min(perRead, ids.length - start);
      const data = Buffer.from(source.read(n * rowBytes, first + start * rowBytes));
      const rows: VectorRow[] = [];
      for (let i = 0; i < n; i++) {
        const id = ids[start + i] as bigint;
        if (!keep(id, first + (start + i) * rowBytes)) continue;
        rows.push({ id, vector: floatsAt(data, i * rowBytes + 8, dim), json: json(id), epoch });
      }
      if (rows.length > 0) yield rows;
    }
  }
}

/** `dim` little-endian floats at `at` in `bytes`, copied (row offsets are not 4-byte aligned). */
function floatsAt(bytes: Buffer, at: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  new Uint8Array(out.buffer).set(bytes.subarray(at, at + dim * 4));
  return out;
}

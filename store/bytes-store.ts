import { MemorySource, type ByteSource } from './byte-source.ts';
import { encodeCommit, fallbackIdentity, type LogPosition, type PlacedSegment, segmentsOf } from './commit-encode.ts';
import { RvfError } from './errors.ts';
import {
  encodeJournal,
  encodeMeta,
  encodeVec,
  type FileIdentity,
} from './payloads.ts';
import { manifestFits, nextManifest, packBatch, parseDeleteIds, replacedIds } from './batch.ts';
import { metadataChanges } from './metadata-log.ts';
import { RowIndex } from './row-index.ts';
import { type Commit, scanLog } from './scan.ts';
import { SegmentType } from './segment.ts';
import type { Entry, Id, IdInput, Metadata, Metric, SegmentInfo } from './types.ts';
import type { WasmLoader } from '../wasm/engine.ts';
import { loadKernel } from '../wasm/kernel.ts';
import { ScanStore } from '../wasm/scan-store.ts';
import { checkK, checkQueryDirection, idToJson, writeVector } from '../wasm/validate.ts';

/**
 * A .rvf store held in memory: opened from bytes, queried by the scan kernel,
 * written by appending commits, exported as bytes. It runs unchanged in a
 * browser and in Node (no fs, no SQLite; node:zlib, node:crypto and Buffer are
 * shimmed in the browser bundle), and it reads and writes through the same
 * scan, row index, codecs and commit encoder as RvfDatabase, so what it
 * exports is a file the Node store and the native reader open.
 *
 * Differences from RvfDatabase, by design: no lease (nothing else can write
 * these bytes), no cache (metadata lives in a Map), no compaction (a commit
 * whose manifest would outgrow the native reader's window is refused).
 */

const METRICS: readonly Metric[] = ['cosine', 'l2', 'dotproduct'];

export interface BytesOpenOptions {
  /** Metric for bytes that record none (native files); ignored when the store records one. */
  metric?: Metric;
  /** Named in error messages, e.g. the file name the bytes came from. */
  name?: string;
  /** Where the engine's .wasm comes from when it is not loaded yet (Node reads it from disk by default). */
  loader?: WasmLoader;
}

export interface BytesStatus {
  totalVectors: number;
  dimensions: number;
  metric: Metric;
  epoch: number;
  fileId: string;
  fileSizeBytes: number;
  segments: SegmentInfo[];
  /** Bytes after the last verified commit that open dropped (an unfinished commit), 0 when none. */
  droppedTailBytes: number;
}

export interface BytesQueryResult {
  id: Id;
  distance: number;
  metadata: Metadata | null;
}

export class RvfBytes {
  readonly name: string;
  readonly metric: Metric;
  readonly dimensions: number;
  readonly #log: GrowingBytes;
  readonly #index: RowIndex;
  readonly #metadata: Map<bigint, string | null>;
  readonly #identity: FileIdentity;
  readonly #segments: SegmentInfo[];
  readonly #droppedTail: number;
  #position: LogPosition;
  /** The live vectors, held once in the engine's memory and searched by the scan kernel. */
  #vectors: ScanStore | undefined;
  #broken: RvfError | undefined;

  private constructor(o: {
    name: string;
    metric: Metric;
    log: GrowingBytes;
    index: RowIndex;
    metadata: Map<bigint, string | null>;
    identity: FileIdentity;
    segments: SegmentInfo[];
    position: LogPosition;
    vectors: ScanStore;
    droppedTail: number;
  }) {
    this.name = o.name;
    this.metric = o.metric;
    this.dimensions = o.index.dimensions;
    this.#log = o.log;
    this.#index = o.index;
    this.#metadata = o.metadata;
    this.#identity = o.identity;
    this.#segments = o.segments;
    this.#position = o.position;
    this.#vectors = o.vectors;
    this.#droppedTail = o.droppedTail;
  }

  /**
   * Opens a copy of `bytes` (the caller's array is never written). A torn tail
   * after the last verified commit is dropped, as the Node writer cuts it off;
   * damage inside committed data is ECORRUPT, a newer wire version EVERSION.
   */
  static async open(bytes: Uint8Array, options: BytesOpenOptions = {}): Promise<RvfBytes> {
    if (!(bytes instanceof Uint8Array)) throw new RvfError('EINVAL', 'RvfBytes.open takes the .rvf file as a Uint8Array.');
    if (options.metric !== undefined && !METRICS.includes(options.metric)) {
      throw new RvfError('EINVAL', `metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(options.metric)}.`);
    }
    const name = options.name ?? 'the .rvf bytes';
    const scan = scanLog(name, new MemorySource(bytes));
    const log = new GrowingBytes(bytes.subarray(0, scan.goodEnd));
    const source = log.source();
    const index = RowIndex.fromScan(scan);
    const metric = scan.storeInfo?.metric ?? options.metric ?? 'l2';
    const vectors = new ScanStore(await loadKernel(options.loader), index.dimensions, metric);
    try {
      index.loadInto(vectors, source, name);
      const last = scan.commits.at(-1) as Commit;
      return new RvfBytes({
        name,
        metric,
        log,
        index,
        metadata: liveMetadata(scan.commits, index, source),
        identity: scan.manifest.identity ?? fallbackIdentity(scan.commits),
        segments: segmentsOf(scan.commits),
        position: { epoch: last.epoch, commitHash: last.commitHash, end: scan.goodEnd, nextSegId: scan.maxSegId + 1n },
        vectors,
        droppedTail: bytes.length - scan.goodEnd,
      });
    } catch (err) {
      vectors.close();
      throw err;
    }
  }

  status(): BytesStatus {
    this.#assertUsable();
    return {
      totalVectors: this.#index.live,
      dimensions: this.dimensions,
      metric: this.metric,
      epoch: this.#position.epoch,
      fileId: this.#identity.fileId.toString('hex'),
      fileSizeBytes: this.#position.end,
      segments: this.#segments.map((s) => ({ ...s })),
      droppedTailBytes: this.#droppedTail,
    };
  }

  /** The exact k nearest live vectors, nearest first (distances as RvfDatabase.query gives them). */
  query(vector: ArrayLike<number>, k: number): BytesQueryResult[] {
    const store = this.#assertUsable();
    checkK(k);
    const q = new Float32Array(this.dimensions);
    writeVector(vector, this.dimensions, q, 0, 'query');
    checkQueryDirection(q, this.metric, 'query');
    const live = this.#index.live;
    if (live === 0) return [];
    const hits = store.query(q, k);
    return Array.from(hits.ids, (id, i) => {
      const json = this.#metadata.get(id);
      return { id: idToJson(id), distance: hits.distances[i] as number, metadata: json ? (JSON.parse(json) as Metadata) : null };
    });
  }

  /** Adds or replaces vectors in one commit (VEC + META + MANIFEST); an id given twice keeps its last entry. */
  add(entries: readonly Entry[]): { accepted: number; replaced: number; epoch: number } {
    this.#assertUsable();
    if (Array.isArray(entries) && entries.length === 0) return { accepted: 0, replaced: 0, epoch: this.#position.epoch };
    const dim = this.dimensions;
    const batch = packBatch(entries, dim, (length) => new Float32Array(length));
    const { ids, vectors, json } = batch;
    const n = ids.length;
    const replaced = replacedIds(batch, this.#index);
    const deletedAfter = this.#index.deletedIds().filter((d) => !batch.has(d));
    this.#checkManifestRoom(this.#index.vecSegments.length + 1, deletedAfter.length);
    const commit = this.#append(
      [
        { type: SegmentType.VEC, payload: encodeVec(dim, ids, vectors) },
        { type: SegmentType.META, payload: encodeMeta(ids, json) },
      ],
      { newVec: true, deleted: deletedAfter, live: this.#index.live + n - replaced.length },
    );
    this.#afterCommit((store) => {
      const placed = commit.placed[0] as PlacedSegment;
      this.#index.addSegment({ segId: placed.segId, offset: placed.offset, payloadLength: placed.payloadLength, ids });
      if (replaced.length > 0) store.delete(BigUint64Array.from(replaced));
      store.ingest(vectors, ids);
      ids.forEach((id, k) => this.#metadata.set(id, json[k] ?? null));
    });
    return { accepted: n, replaced: replaced.length, epoch: commit.epoch };
  }

  /** Deletes live ids in one commit (JOURNAL + MANIFEST); ids that are not live are skipped. */
  delete(ids: readonly IdInput[]): { deleted: number; epoch: number } {
    this.#assertUsable();
    const doomed = [...new Set(parseDeleteIds(ids))].filter((id) => this.#index.has(id));
    if (doomed.length === 0) return { deleted: 0, epoch: this.#position.epoch };
    this.#checkManifestRoom(this.#index.vecSegments.length, this.#index.deletedCount + doomed.length);
    const list = BigUint64Array.from(doomed);
    const commit = this.#append([{ type: SegmentType.JOURNAL, payload: encodeJournal(this.#position.epoch + 1, list) }], {
      newVec: false,
      deleted: [...this.#index.deletedIds(), ...doomed],
      live: this.#index.live - doomed.length,
    });
    this.#afterCommit((store) => {
      for (const id of doomed) {
        this.#index.markDeleted(id);
        this.#metadata.delete(id);
      }
      store.delete(list);
    });
    return { deleted: doomed.length, epoch: commit.epoch };
  }

  /** The store as a .rvf file: the opened bytes (without a torn tail) plus every commit since. A copy. */
  bytes(): Uint8Array {
    this.#assertUsable();
    return this.#log.copy();
  }

  close(): void {
    this.#vectors?.close();
    this.#vectors = undefined;
  }

  /** Appends one commit whose manifest lists the live VEC segments (plus a new one) and `after.deleted`. */
  #append(data: { type: number; payload: Buffer }[], after: { newVec: boolean; deleted: bigint[]; live: number }): { epoch: number; placed: PlacedSegment[] } {
    const commit = encodeCommit(this.#position, data, (placed) => nextManifest(this.#index, this.#identity, after.newVec ? placed[0] : undefined, after));
    this.#log.append([...commit.data, commit.manifest]);
    this.#position = commit.after;
    this.#segments.push(...commit.segments);
    return commit;
  }

  /** Without compaction, the only way to keep the bytes readable by the native reader is to refuse. */
  #checkManifestRoom(vecSegments: number, deleted: number): void {
    if (!manifestFits(vecSegments, deleted)) {
      throw new RvfError('ELIMIT', `${this.name}: the next manifest would outgrow the native reader's 64 KiB window; compact the file with the Node store (rvf compact) and open it again.`);
    }
  }

  /** The commit is in the bytes already; if memory fails to follow, this handle refuses further use. */
  #afterCommit(apply: (store: ScanStore) => void): void {
    try {
      apply(this.#assertUsable());
    } catch (err) {
      this.#broken = new RvfError('EIO', `${this.name}: epoch ${this.#position.epoch} is committed to the bytes, but updating memory failed (${(err as Error).message}); export the bytes and open them again.`);
      throw this.#broken;
    }
  }

  #assertUsable(): ScanStore {
    if (this.#broken) throw this.#broken;
    if (!this.#vectors) throw new RvfError('ECLOSED', `${this.name} is closed; open the bytes again.`);
    return this.#vectors;
  }
}

/** Metadata of the live rows, as the Node store's cache holds it. */
function liveMetadata(commits: readonly Commit[], index: RowIndex, source: ByteSource): Map<bigint, string | null> {
  const changes = metadataChanges(commits, source);
  const out = new Map<bigint, string | null>();
  for (const id of index.liveIds()) {
    const change = changes.get(id);
    out.set(id, change && change !== 'deleted' ? change.json : null);
  }
  return out;
}

/** An append-only byte log in one buffer that doubles when full, so n commits cost O(total) copying. */
class GrowingBytes {
  #buffer: Buffer;
  #length: number;

  constructor(initial: Uint8Array) {
    this.#buffer = Buffer.alloc(Math.max(initial.length * 2, 4096));
    this.#buffer.set(initial);
    this.#length = initial.length;
  }

  append(parts: readonly Uint8Array[]): void {
    const add = parts.reduce((n, p) => n + p.length, 0);
    if (this.#length + add > this.#buffer.length) {
      const grown = Buffer.alloc(Math.max(this.#buffer.length * 2, this.#length + add));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    for (const p of parts) {
      this.#buffer.set(p, this.#length);
      this.#length += p.length;
    }
  }

  /** A reader over the bytes as they are now (a later growth leaves it on the old buffer, whose bytes stay valid). */
  source(): ByteSource {
    return new MemorySource(this.#buffer.subarray(0, this.#length));
  }

  copy(): Uint8Array {
    return new Uint8Array(this.#buffer.subarray(0, this.#length));
  }
}

import { randomBytes } from 'node:crypto';
import {
  type Stats,
  closeSync,
  existsSync,
  fstatSync,
  statSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CommitLog, type NextCommit, type PlacedSegment } from './commit-log.ts';
import { CACHE_SCHEMA_VERSION, cachePathFor, MetadataCache, type MetadataRow, type StagedChanges } from './cache.ts';
import { removeCacheFiles } from './cache-files.ts';
import { RvfError } from './errors.ts';
import { parseEngineExport } from './engine-export.ts';
import { compileFilter, type CompiledFilter } from './filter.ts';
import { FdSource } from './file-io.ts';
import { heldByLiveWriter, Lease } from './lease.ts';
import {
  encodeJournal,
  encodeMeta,
  encodeVec,
  type FileIdentity,
  type StoreInfo,
  vecPayloadBytes,
} from './payloads.ts';
import { rebuildCache, reconcileCache, replayCommits } from './reconcile.ts';
import { checkEffects, type Effects, encodeEffects, isEffectsPayload, isEmptyEffects } from './effects.ts';
import { manifestFits, nextManifest, packBatch, parseDeleteIds, replacedIds } from './batch.ts';
import type { IdKey } from './id-key.ts';
import { RowIndex } from './row-index.ts';
import { type Commit, scanFrom, scanLog, type Scan } from './scan.ts';
import { SegmentType } from './segment.ts';
import { hardLinkedError, otherLinks } from './single-link.ts';
import { cancelled, isTempFor, publishSnapshot, removeDeadTemps, tempPathFor, writeSnapshot, type SnapshotSource } from './snapshot.ts';
import type {
  CompactResult,
  CreateOptions,
  DeleteResult,
  EmbedderIdentity,
  DeriveResult,
  Entry,
  ExportResult,
  Id,
  IdInput,
  IndexSetting,
  IngestResult,
  Lineage,
  LongOperationOptions,
  Metadata,
  Metric,
  CopyOptions,
  OpenOptions,
  QueryOptions,
  QueryResult,
  SegmentInfo,
  StoreStatus,
} from './types.ts';
import { AnnIndex, type AnnIndexOptions, type RowSource } from './ann-index.ts';
import { searchIndexed } from './ann-query.ts';
import { mismatch, readSidecarMeta, sidecarPathFor } from './ann-sidecar.ts';
import { loadKernel } from '../wasm/kernel.ts';
import { ScanStore } from '../wasm/scan-store.ts';
import { checkDimensions, checkK, checkQueryDirection, idToJson, parseId, writeVector } from '../wasm/validate.ts';
import { fallbackIdentity } from './commit-encode.ts';
import { LIMITS } from '../schemas/limits.ts';

/**
 * A .rvf store: the file is the source of truth, the scan kernel answers
 * k-NN queries over the vectors held in the engine's memory, and a SQLite
 * cache beside the file serves metadata and filters.
 *
 * Every change is one commit, made in this order:
 *   1. data segments appended, fdatasync;
 *   2. MANIFEST appended (the commit record, with the new epoch), fdatasync;
 *   3. the vectors in memory (the scan store) and the cache (rows + epoch in one SQLite transaction).
 * An ingest does the work of 3 while the fdatasyncs of 1 and 2 run on the
 * thread pool (the vectors during 1's, the cache during 2's), with the SQLite
 * transaction left open and the new rows in memory hidden from every reader, and
 * commits that transaction once 2 is durable; if any step fails it is all
 * undone (#undoStagedIngest). So the cache never holds an epoch the file has
 * not made durable.
 * A crash before 2 completes leaves an invisible torn tail; a crash after it
 * leaves a cache one epoch behind, replayed on the next open.
 */

/** Replaced and deleted rows beyond this share of the vector bytes trigger compaction. */
const AUTO_COMPACT_DEAD_RATIO = 0.5;
const AUTO_COMPACT_MIN_BYTES = 64 * 1024 * 1024;

const METRICS: readonly Metric[] = ['cosine', 'l2', 'dotproduct'];
export { idToJson };

function checkEmbedder(embedder: CreateOptions['embedder'], dimensions: number): EmbedderIdentity | null {
  if (embedder === undefined || embedder === null) return null;
  if (typeof embedder.name !== 'string' || embedder.name === '' || embedder.dimensions !== dimensions) {
    throw new RvfError('EINVAL', `the embedder must have a name and the store's dimension ${dimensions}.`);
  }
  return { name: embedder.name, dimensions };
}

function checkIndexSetting(index: unknown): IndexSetting {
  if (index === undefined) return 'auto';
  if (index !== 'auto' && index !== 'none') throw new RvfError('EINVAL', `index must be 'auto' or 'none', got ${JSON.stringify(index)}.`);
  return index;
}

function checkMetric(metric: unknown): Metric {
  if (!METRICS.includes(metric as Metric)) {
    throw new RvfError('EINVAL', `metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}.`);
  }
  return metric as Metric;
}

/** Everything an open handle holds of one file; a reader swaps it whole when the file is replaced. */
interface Loaded {
  log: CommitLog;
  index: RowIndex;
  vectors: ScanStore;
  cache: MetadataCache;
  sharedCache: boolean;
  info: StoreInfo;
  identity: FileIdentity;
}

export class RvfDatabase {
  readonly path: string;
  readonly readOnly: boolean;
  /** How errors and warnings name this store: OpenOptions.displayName, else its path. */
  readonly #label: string;
  readonly #lease: Lease | undefined;
  readonly #options: OpenOptions;
  #log!: CommitLog;
  /** The live vectors, held once in the engine's memory and searched by the scan kernel. */
  #vectors!: ScanStore;
  #index!: RowIndex;
  #cache!: MetadataCache;
  /** A reader using the writer's cache checks its epoch on every read. */
  #sharedCache!: boolean;
  #info!: StoreInfo;
  #identity!: FileIdentity;
  /** What refresh() saw of the file last time, so an unchanged file costs one stat. */
  #seen = { ino: 0, size: -1, mtimeMs: 0 };
  #queue: Promise<unknown> = Promise.resolve();
  /** Ingests queued together and not started yet, which a new small ingest joins (#ingestGroup). */
  #openGroup: IngestGroup | undefined;
  /** Reused batch buffers: a fresh 1.5 MB pair per batch of 1000 x 384 cost more in GC than in copying. */
  readonly #scratch = new ScratchBuffers();
  #closed = false;
  #broken: RvfError | undefined;
  #writeRefusal: OpenOptions['writeRefusal'];
  /** Set while an ingest's data syncs: the engine and the cache hold rows that are not committed yet. */
  #staging = false;
  /** Bytes of effects records appended since open or the last compaction. */
  #effectsBytes = 0;
  /** The approximate index, once the store has one (store/ann-index.ts). */
  #ann: AnnIndex | undefined;

  private constructor(path: string, lease: Lease | undefined, options: OpenOptions, loaded: Loaded) {
    this.path = path;
    this.#label = labelOf(path, options);
    this.readOnly = lease === undefined;
    this.#lease = lease;
    this.#options = options;
    this.#writeRefusal = options.writeRefusal;
    this.#adopt(loaded);
  }

  #adopt(l: Loaded): void {
    this.#log = l.log;
    this.#vectors = l.vectors;
    this.#index = l.index;
    this.#cache = l.cache;
    this.#sharedCache = l.sharedCache;
    this.#info = l.info;
    this.#identity = l.identity;
  }

  // ------------------------------------------------------------ opening

  /** Creates a store; the caller holds its writer lease until close(). */
  static async create(path: string, options: CreateOptions, open: OpenOptions = {}): Promise<RvfDatabase> {
    const dimensions = checkDimensions(options?.dimensions);
    const metric = checkMetric(options.metric ?? 'cosine');
    const index = checkIndexSetting(options.index);
    const abs = resolve(path);
    const label = labelOf(abs, open);
    if (existsSync(abs)) throw new RvfError('EEXIST', `${label} already exists; open it, or choose another path.`);
    mkdirSync(dirname(abs), { recursive: true });
    const lease = Lease.acquire(abs, label);
    try {
      const tmp = tempPathFor(abs);
      await writeSnapshot(tmp, {
        dimensions,
        storeInfo: { dimensions, metric, lineage: null, embedder: checkEmbedder(options.embedder, dimensions), index },
        identity: rootIdentity(),
        epoch: 0,
        liveCount: 0,
        rows: [],
        metadata: [],
        effects: [],
      });
      publishSnapshot(tmp, abs, false, label);
      return await RvfDatabase.#openWith(abs, lease, open);
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  /**
   * Creates a store at `path` from a byte export of @ruvector/rvf-wasm
   * (`rvf_store_export`). The export is parsed as an import format, never
   * trusted as a store; it records no metric, so give the one it was built with.
   */
  static async importEngineExport(bytes: Uint8Array, path: string, options: { metric?: Metric } & OpenOptions = {}): Promise<RvfDatabase> {
    const parsed = parseEngineExport(bytes);
    const db = await RvfDatabase.create(path, { dimensions: parsed.dimensions, metric: options.metric ?? 'cosine' }, options);
    try {
      const dim = parsed.dimensions;
      const batch = Math.max(1, Math.min(LIMITS.maxBatchEntries, Math.floor(LIMITS.maxSegmentPayloadBytes / (8 + dim * 4)) - 1));
      for (let start = 0; start < parsed.ids.length; start += batch) {
        const end = Math.min(parsed.ids.length, start + batch);
        const entries: Entry[] = [];
        for (let i = start; i < end; i++) entries.push({ id: parsed.ids[i] as bigint, vector: parsed.vectors.subarray(i * dim, (i + 1) * dim) });
        await db.ingestBatch(entries);
      }
      return db;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Opens a store for writing, taking its writer lease (ELOCK when another process holds it). */
  static async open(path: string, options: OpenOptions = {}): Promise<RvfDatabase> {
    const abs = realPath(path);
    if (!existsSync(abs)) throw new RvfError('ENOENT', `${labelOf(abs, options)} does not exist; create it first.`);
    const lease = Lease.acquire(abs, labelOf(abs, options));
    try {
      return await RvfDatabase.#openWith(abs, lease, options);
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  /** Opens a store for reading: no lease, the newest committed epoch at the time of opening. */
  static async openReadonly(path: string, options: OpenOptions = {}): Promise<RvfDatabase> {
    const abs = realPath(path);
    if (!existsSync(abs)) throw new RvfError('ENOENT', `${labelOf(abs, options)} does not exist; check the path.`);
    return RvfDatabase.#openWith(abs, undefined, options);
  }

  static async #openWith(path: string, lease: Lease | undefined, options: OpenOptions): Promise<RvfDatabase> {
    if (lease?.tookOver) warnOf(options)(`took over the stale writer lease of ${labelOf(path, options)} (${lease.tookOver})`);
    const db = new RvfDatabase(path, lease, options, await RvfDatabase.#load(path, lease, options));
    db.#startIndexIfDue();
    return db;
  }

  /** Reads the file, loads the vectors and brings the cache to the file's newest commit. */
  static async #load(path: string, lease: Lease | undefined, options: OpenOptions): Promise<Loaded> {
    const warn = warnOf(options);
    const label = labelOf(path, options);
    const kernel = await loadKernel();
    const fd = openSync(path, lease ? 'r+' : 'r');
    let vectors: ScanStore | undefined;
    let cache: MetadataCache | undefined;
    try {
      // Checked on the open descriptor, so a link made after a path check is seen too.
      const links = otherLinks(path, fstatSync(fd));
      if (links > 0) throw hardLinkedError(label, links);
      const scan = scanLog(label, new FdSource(fd));
      if (lease) {
        if (scan.goodEnd < scan.fileSize) {
          warn(`cut ${scan.fileSize - scan.goodEnd} bytes of uncommitted tail off ${label} (${scan.tornReason})`);
          ftruncateSync(fd, scan.goodEnd);
          fdatasyncSync(fd);
        }
        removeTempFiles(path);
        removeTempFiles(sidecarPathFor(path));
        removeDeadTemps(dirname(path)); // a killed derive's or export's copy under a name no writer opens
      }
      const info = storeInfoOf(scan, options.metric);
      const identity = scan.manifest.identity ?? fallbackIdentity(scan.commits);
      const index = RowIndex.fromScan(scan);
      vectors = new ScanStore(kernel, scan.dimensions, info.metric);
      index.loadInto(vectors, new FdSource(fd), label);
      const last = scan.commits.at(-1) as Commit;
      const fileState = { fileId: identity.fileId.toString('hex'), epoch: last.epoch, commitHash: last.commitHash };
      const cacheInfo = cacheInfoOf(info);
      let sharedCache = false;
      if (lease) {
        const opened = MetadataCache.openWriter(cachePathFor(path));
        cache = opened.cache;
        if (opened.recreated === 'unreadable') warn(`the cache of ${label} was unreadable; rebuilt it from the file`);
        if (opened.recreated === 'hard-linked') warn(`the cache of ${label} had other hard links; replaced it with a file of its own (the other names are unchanged) and rebuilt it from the file`);
        const outcome = reconcileCache(cache, scan, index, fd, fileState, cacheInfo);
        if (outcome.warn) warn(`${label}: ${outcome.reason}`);
      } else {
        // A reader must create or change no file beside the store: it opens
        // the writer's cache only while a live writer keeps its side files,
        // else it copies the cache, else rebuilds one from the file.
        const cachePath = cachePathFor(path);
        const found = (heldByLiveWriter(path) ? MetadataCache.openShared(cachePath) : undefined) ?? MetadataCache.privateCopyOf(cachePath);
        const state = found?.state();
        if (found && state && state.fileId === fileState.fileId && state.epoch === fileState.epoch &&
            state.commitHash === fileState.commitHash && state.schemaVersion === CACHE_SCHEMA_VERSION &&
            found.count() === index.live) {
          cache = found;
          sharedCache = !found.isPrivate;
        } else {
          found?.close();
          cache = MetadataCache.private();
          rebuildCache(cache, scan.commits, index, fd, { ...fileState, schemaVersion: CACHE_SCHEMA_VERSION }, cacheInfo);
        }
      }
      return { log: new CommitLog(label, fd, scan), index, vectors, cache, sharedCache, info, identity };
    } catch (err) {
      vectors?.close();
      cache?.close();
      closeSync(fd);
      throw err;
    }
  }

  // ------------------------------------------------------------ writes

  /**
   * Adds or replaces vectors in one commit. An id that exists is replaced,
   * vector and metadata; an id given twice in one batch keeps its last entry.
   *
   * Batches that arrive while the store is busy wait together and go in as
   * one commit (group commit; see #ingestGroup): each is still all or none,
   * checked on its own, and its result is what it would be had they gone in
   * one after another, except that they share one epoch.
   */
  ingestBatch(entries: readonly Entry[], control: LongOperationOptions = {}): Promise<IngestResult> {
    const size = Array.isArray(entries) ? entries.length : Infinity;
    const open = this.#openGroup;
    if (open && this.#canJoinGroup(open, size)) {
      open.entries += size;
      return new Promise((resolve, reject) => open.members.push({ entries, control, resolve, reject }));
    }
    const group: IngestGroup = { members: [], entries: size };
    const done = new Promise<IngestResult>((resolve, reject) => group.members.push({ entries, control, resolve, reject }));
    // #ingestGroup settles every member itself and never throws.
    void this.#serial(async () => {
      if (this.#openGroup === group) this.#openGroup = undefined;
      await this.#ingestGroup(group.members);
    });
    this.#openGroup = group; // after #serial, which closes the group queued before
    return done;
  }

  /**
   * Only a small batch joins a waiting group (a large one gains nothing from
   * company, and starts its own), and only up to a size one commit holds easily.
   */
  #canJoinGroup(group: IngestGroup, size: number): boolean {
    const dim = this.#index.dimensions;
    const rowBytes = 8 + dim * 4;
    const entries = group.entries + size;
    return size <= GROUP_MEMBER_MAX_ENTRIES && entries <= LIMITS.maxBatchEntries && entries * rowBytes <= LIMITS.maxSegmentPayloadBytes / 2;
  }

  /**
   * Commits the batches that waited together. One batch goes alone, as it
   * always did. Several are each checked on their own first (a bad one is
   * refused alone and the others go on), then written as one commit of all
   * their entries in order, so an id two of them name ends as the later one
   * left it; each learns its own count of replaced ids, counted as if they
   * had gone in one after another. A failed commit fails them all, and none
   * of them is in the store.
   *
   * Measured before it was written (bench/worker.ts writers-ingest, 20k x 384,
   * batches of 10): 8 concurrent callers 7.5k vec/s, one caller 7.7k, one
   * caller with batches of 80 (eight in one commit) 46k: the store made one
   * commit of each small batch, and each commit costs its syncs.
   */
  async #ingestGroup(members: readonly IngestWaiter[]): Promise<void> {
    if (members.length === 1) {
      const only = members[0] as IngestWaiter;
      try {
        only.resolve(await this.#ingestNow(only.entries, only.control));
      } catch (err) {
        only.reject(err);
      }
      return;
    }
    const ready: { member: IngestWaiter; keys: IdKey[]; replaced: number }[] = [];
    const seen = new Set<IdKey>();
    for (const member of members) {
      try {
        this.#assertWritable();
        if (member.control.signal?.aborted) throw cancelled();
        // checked here into the scratch buffer, which the commit's own packing of all of them reuses after
        const packed = packBatch(member.entries, this.#index.dimensions, (length) => this.#scratch.floats(length));
        let replaced = 0;
        for (const key of packed.keys) if (this.#index.hasKey(key) || seen.has(key)) replaced++;
        for (const key of packed.keys) seen.add(key);
        ready.push({ member, keys: packed.keys, replaced });
      } catch (err) {
        member.reject(err);
      }
    }
    const writing = ready.filter((r) => r.keys.length > 0);
    try {
      const result = writing.length === 0 ? { epoch: this.#log.epoch } : await this.#ingestNow(writing.flatMap((r) => r.member.entries as Entry[]), {});
      for (const r of ready) r.member.resolve({ accepted: r.keys.length, replaced: r.replaced, epoch: result.epoch });
    } catch (err) {
      for (const r of ready) r.member.reject(err);
    }
  }

  /** One commit of `entries`, in the store's turn. */
  async #ingestNow(entries: readonly Entry[], control: LongOperationOptions): Promise<IngestResult> {
    this.#assertWritable();
    if (Array.isArray(entries) && entries.length === 0) return { accepted: 0, replaced: 0, epoch: this.#log.epoch };
    const dim = this.#index.dimensions;
    const batch = packBatch(entries, dim, (length) => this.#scratch.floats(length));
    const { ids, vectors, json } = batch;
    const n = ids.length;
    if (control.signal?.aborted) throw cancelled();
    await this.#makeManifestRoom(this.#index.vecSegments.length + 1, () => this.#index.deletedIds().filter((d) => !batch.has(d)).length);

    const replaced = replacedIds(batch, this.#index);
    // Room in memory first: a store that fills the engine's 4 GiB refuses here, before the file changes.
    this.#vectors.reserveRows(ids);
    const vec = encodeVec(dim, ids, vectors, this.#scratch.bytes(vecPayloadBytes(dim, n)));
    const deletedAfter = this.#index.deletedIds().filter((d) => !batch.has(d));
    // The engine takes the batch while the data syncs, the cache while the manifest
    // syncs; it becomes visible only once the manifest is durable, and is undone if
    // any step fails.
    const staged: StagedIngest = { engine: false, engineDone: false, cache: undefined };
    let commit: { epoch: number; placed: PlacedSegment[] };
    this.#staging = true;
    try {
      commit = await this.#appendCommitWhileSyncing(
        [
          { type: SegmentType.VEC, payload: vec },
          { type: SegmentType.META, payload: encodeMeta(ids, json) },
        ],
        { newVec: true, deleted: deletedAfter, live: this.#index.live + n - replaced.length },
        {
          whileDataSyncs: () => {
            staged.engine = true;
            if (replaced.length > 0) this.#vectors.delete(BigUint64Array.from(replaced));
            this.#vectors.ingest(vectors, ids);
            staged.engineDone = true;
          },
          whileManifestSyncs: (next) => {
            const upserts: MetadataRow[] = Array.from(ids, (id, k) => ({ id, json: json[k] ?? null, epoch: next.epoch }));
            staged.cache = this.#cache.stage({ upserts, deletes: [] }, { ...this.#cacheState(), epoch: next.epoch, commitHash: next.commitHash });
          },
        },
      );
    } catch (err) {
      this.#undoStagedIngest(staged, ids, replaced, err);
      throw err;
    } finally {
      this.#staging = false;
      this.#ann?.commitEnded();
    }
    this.#afterCommit(() => {
      const placed = commit.placed[0] as PlacedSegment;
      this.#index.addSegment({ segId: placed.segId, offset: placed.offset, payloadLength: placed.payloadLength, ids });
      staged.cache?.commit();
    });
    await this.#autoCompact();
    return { accepted: n, replaced: replaced.length, epoch: commit.epoch };
  }

  /** Deletes vectors by id in one commit; ids that are not live are skipped. */
  delete(ids: readonly IdInput[]): Promise<DeleteResult> {
    return this.#serial(async () => {
      this.#assertWritable();
      return this.#deleteLive(parseDeleteIds(ids));
    });
  }

  /** Deletes every vector whose metadata matches `filter`, in one commit. */
  deleteByFilter(filter: unknown): Promise<DeleteResult> {
    return this.#serial(async () => {
      this.#assertWritable();
      const compiled = compileFilter(filter);
      if (compiled.empty) {
        throw new RvfError('EINVAL', 'deleteByFilter needs at least one condition (an empty filter matches every vector); pass the ids to delete() to remove everything on purpose.');
      }
      return this.#deleteLive(this.#cache.matchingIds(compiled.where, compiled.params));
    });
  }

  async #deleteLive(candidates: bigint[]): Promise<DeleteResult> {
    const doomed = [...new Set(candidates)].filter((id) => this.#index.has(id));
    if (doomed.length === 0) return { deleted: 0, epoch: this.#log.epoch };
    await this.#makeManifestRoom(this.#index.vecSegments.length, () => this.#index.deletedCount + doomed.length);
    const list = BigUint64Array.from(doomed);
    const commit = this.#appendCommit([{ type: SegmentType.JOURNAL, payload: encodeJournal(this.#log.epoch + 1, list) }], {
      newVec: false,
      deleted: [...this.#index.deletedIds(), ...doomed],
      live: this.#index.live - doomed.length,
    });
    this.#afterCommit(() => {
      for (const id of doomed) this.#index.markDeleted(id);
      this.#vectors.delete(list);
      this.#cache.apply({ upserts: [], deletes: doomed }, this.#cacheState());
    });
    // One delete alone can list more ids than the native reader's window holds.
    if (!manifestFits(this.#index.vecSegments.length, this.#index.deletedCount)) {
      await this.#compactNow({});
    } else {
      await this.#autoCompact();
    }
    return { deleted: doomed.length, epoch: commit.epoch };
  }

  /** Rewrites the file with live rows only (temp file, fsync, rename, directory fsync). */
  compact(control: LongOperationOptions = {}): Promise<CompactResult> {
    return this.#serial(async () => {
      this.#assertWritable();
      return this.#compactNow(control);
    });
  }

  // ------------------------------------------------------------ reads

  /**
   * The k nearest neighbours, nearest first; with a filter, the top k among
   * matching vectors only. A store with a ready index answers from it (and an
   * exact scan of rows it has not caught up with); `exact: true` always scans.
   */
  query(vector: ArrayLike<number>, k: number, options: QueryOptions = {}): Promise<QueryResult[]> {
    return this.#serial(async () => {
      this.#assertReadable();
      checkK(k);
      const dim = this.#index.dimensions;
      const q = new Float32Array(dim);
      writeVector(vector, dim, q, 0, 'query');
      checkQueryDirection(q, this.#info.metric, 'query');
      const compiled = options.filter === undefined || options.filter === null ? undefined : compileFilter(options.filter);
      const ann = options.exact === true ? undefined : this.#ann;
      let picked: { id: bigint; distance: number }[] | undefined;
      if (ann?.ready && this.#index.live > 0) {
        const among = this.#withCache((cache) => (compiled && !compiled.empty ? cache.matchingIds(compiled.where, compiled.params) : undefined));
        picked = (await searchIndexed(this.#vectors, ann, q, k, among)) ?? this.#rankAmong(q, k, among);
      }
      return this.#withCache((cache) => {
        picked ??= this.#rank(q, k, compiled, cache);
        const metadata = cache.metadataFor(picked.map((p) => p.id));
        return picked.map((p) => ({ id: idToJson(p.id), distance: p.distance, metadata: parseMetadata(metadata.get(p.id)) }));
      });
    });
  }

  /**
   * The exact top k of `q`, among vectors matching `compiled` when given: the
   * scan kernel ranks only the matching rows, so a filter gets exactly its own
   * top k whatever its selectivity.
   */
  #rank(q: Float32Array, k: number, compiled: CompiledFilter | undefined, cache: MetadataCache): { id: bigint; distance: number }[] {
    if (this.#index.live === 0) return [];
    const among = compiled && !compiled.empty ? cache.matchingIds(compiled.where, compiled.params) : undefined;
    return this.#rankAmong(q, k, among);
  }

  #rankAmong(q: Float32Array, k: number, among: readonly bigint[] | undefined): { id: bigint; distance: number }[] {
    if (among && among.length === 0) return [];
    const hits = this.#vectors.query(q, k, among);
    return Array.from(hits.ids, (id, i) => ({ id, distance: hits.distances[i] as number }));
  }

  /**
   * Runs `fn` with one consistent view for a query language (rvlite-bridge):
   * the cache file at this handle's commit, and the vectors for rvf_knn and
   * rvf_distance. The view is taken in turn with the handle's other calls, but
   * `fn` runs beside them, so one slow query never holds up the store: once
   * the handle moves past the view's commit, the view answers ESTALE and the
   * caller retries on a new one (the query child checks the cache's side).
   * `privateCache` makes a reader stop sharing the writer's cache first, for
   * when that cache keeps moving under it.
   */
  async readSnapshot<T>(fn: (snapshot: ReadSnapshot) => Promise<T>, options: { privateCache?: boolean } = {}): Promise<T> {
    const snapshot = await this.#serial(async () => {
      this.#assertReadable();
      if (options.privateCache && this.#sharedCache) this.#usePrivateCache();
      return this.#readSnapshot();
    });
    return fn(snapshot);
  }

  /**
   * Runs an rvlite write (rvlite-bridge). `fn` runs the write in its own
   * SQLite transaction on the cache file, learns its effects, and calls
   * `commit(effects)`, which appends them to the file as one commit and
   * fsyncs (steps 1 and 2 of the write order); it then commits its
   * transaction with the returned epoch (step 3). If it never gets there (it
   * failed, or its process was killed), the cache is replayed from the file
   * before anything else runs, so an acknowledged commit is never lost.
   */
  writeSession<T>(fn: (session: WriteSession) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      this.#assertWritable();
      const session: WriteSession = {
        ...this.#readSnapshot(),
        commit: (payload) => this.#commitEffects(payload),
      };
      try {
        return await fn(session);
      } finally {
        if (!this.#cacheAtCommit()) this.#afterCommit(() => this.#catchUpCache());
        await this.#autoCompact();
      }
    });
  }

  /**
   * Commits rows of the store's own tables (graph, triples, migration records)
   * written in this process rather than by a query language: the effects go to
   * the file as one commit, then to the cache with the new epoch.
   */
  writeEffects(effects: Effects): Promise<{ epoch: number }> {
    return this.#serial(async () => {
      this.#assertWritable();
      if (isEmptyEffects(effects)) return { epoch: this.#log.epoch };
      const { epoch } = this.#commitEffects(encodeEffects(effects));
      this.#afterCommit(() => this.#cache.apply({ upserts: [], deletes: [], effects: [effects] }, this.#cacheState()));
      await this.#autoCompact();
      return { epoch };
    });
  }

  /**
   * Rebuilds the cache from the file alone (vectors, metadata, tables, graph,
   * triples), for a cache that is missing, damaged or suspect. Returns what it
   * holds afterwards.
   */
  rebuildCache(): Promise<RebuildResult> {
    return this.#serial(async () => {
      this.#assertWritable();
      const scan = scanLog(this.#label, new FdSource(this.#log.fd));
      // A new file, not the old one emptied: a damaged page failed the rebuild in place, and a cache deleted
      // under the open store was rebuilt into the unlinked file no query process could reach. The query
      // processes see the new inode and reconnect; SQLite leaves the new file's -wal alone when they close
      // their connections to the old one (its file has moved).
      const path = this.#cache.path;
      this.#cache.close();
      removeCacheFiles(path);
      try {
        this.#cache = MetadataCache.openWriter(path).cache;
      } catch (err) {
        this.#broken = new RvfError('EIO', `${this.#label}: its cache could not be created again (${(err as Error).message}); nothing was changed in the file; close and open the store again.`);
        throw this.#broken;
      }
      rebuildCache(this.#cache, scan.commits, this.#index, this.#log.fd, { ...this.#fileState(), schemaVersion: CACHE_SCHEMA_VERSION }, cacheInfoOf(this.#info));
      return { epoch: this.#log.epoch, ...this.#cache.contents() };
    });
  }

  #commitEffects(payload: Buffer): { epoch: number; commitHash: string } {
    this.#assertWritable();
    if (!isEffectsPayload(payload)) throw new RvfError('EINVAL', 'an effects record must start with its magic.');
    checkEffects(payload); // refuse a malformed record before it reaches the file
    if (payload.length > LIMITS.maxEffectsBytes) {
      throw new RvfError('ELIMIT', `the write changes ${Math.ceil(payload.length / 1048576)} MiB of rows at once, over the ${LIMITS.maxEffectsBytes / 1048576} MiB limit; split it into smaller writes.`);
    }
    const commit = this.#appendCommit([{ type: SegmentType.META, payload }], {
      newVec: false,
      deleted: this.#index.deletedIds(),
      live: this.#index.live,
    });
    this.#effectsBytes += payload.length;
    return { epoch: commit.epoch, commitHash: this.#log.commitHash };
  }

  /** Replays what the cache missed of the file (an rvlite write whose process died between its log append and its cache commit). */
  #catchUpCache(): void {
    const scan = scanLog(this.#label, new FdSource(this.#log.fd));
    const outcome = reconcileCache(this.#cache, scan, this.#index, this.#log.fd, this.#fileState(), cacheInfoOf(this.#info));
    if (outcome.warn) warnOf(this.#options)(`${this.#label}: ${outcome.reason}`);
  }

  #fileState(): { fileId: string; epoch: number; commitHash: string } {
    return { fileId: this.#identity.fileId.toString('hex'), epoch: this.#log.epoch, commitHash: this.#log.commitHash };
  }

  /** What a query language gets of this handle: the cache file at its commit, and the vectors for rvf_knn and rvf_distance. */
  #readSnapshot(): ReadSnapshot {
    const dim = this.#index.dimensions;
    // SQL hands vectors and filters over as JSON text.
    const fromJsonText = (value: unknown, problem: string): unknown => {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        throw new RvfError('EINVAL', problem);
      }
    };
    const vectorOf = (value: unknown, where: string): Float32Array => {
      const q = new Float32Array(dim);
      writeVector(fromJsonText(value, `${where}: the query vector must be a JSON array of ${dim} numbers.`) as ArrayLike<number>, dim, q, 0, where);
      checkQueryDirection(q, this.#info.metric, where);
      return q;
    };
    const epoch = this.#log.epoch;
    const commitHash = this.#log.commitHash;
    // A read runs beside the handle's other calls (readSnapshot): the vectors must still be at the view's commit.
    const assertCurrent = (): void => {
      this.#assertReadable();
      // An ingest whose data is syncing has staged rows in the engine and the cache that are not committed yet.
      if (this.#staging || this.#log.epoch !== epoch || this.#log.commitHash !== commitHash) throw new RvfError('ESTALE', 'the store moved on while the query ran; it is retried.');
    };
    return {
      cachePath: this.#cache.path,
      epoch,
      commitHash,
      knn: (vector, k, filter, exact) => {
        assertCurrent();
        const q = vectorOf(vector, 'rvf_knn');
        const kk = checkK(typeof k === 'string' ? Number(k) : k);
        const f = fromJsonText(filter, 'rvf_knn: the filter must be a JSON object, e.g. \'{"topic": "rust"}\'.');
        const compiled = f === null || f === undefined ? undefined : compileFilter(f);
        if (exact !== undefined && exact !== null && exact !== 0 && exact !== 1 && exact !== 0n && exact !== 1n && typeof exact !== 'boolean') {
          throw new RvfError('EINVAL', 'rvf_knn: exact (the 4th argument) must be 1 (scan every vector) or 0/NULL (use the index when the store has one).');
        }
        // The filter reads metadata on this process's connection: at this
        // handle's commit, checked in the same read transaction, or ESTALE.
        const among = this.#cache.read(() => {
          if (!this.#cacheAtCommit()) throw new RvfError('ESTALE', 'the cache moved on while the query ran; it is retried.');
          return compiled && !compiled.empty ? this.#cache.matchingIds(compiled.where, compiled.params) : undefined;
        });
        const asRows = (picked: { id: bigint; distance: number }[]): [string, number][] => picked.map((p) => [p.id.toString(), p.distance]);
        const ann = exact === true || exact === 1 || exact === 1n ? undefined : this.#ann;
        if (!ann?.ready) return asRows(this.#rankAmong(q, kk, among));
        return searchIndexed(this.#vectors, ann, q, kk, among).then((hits) => {
          assertCurrent(); // the search ran beside the handle's other calls
          return asRows(hits ?? this.#rankAmong(q, kk, among));
        });
      },
      distance: (id, vector) => {
        assertCurrent();
        const q = vectorOf(vector, 'rvf_distance');
        // The same float64 distance query and rvf_knn report for this row, to the bit.
        return this.#vectors.distanceTo(parseId(id, 'rvf_distance id'), q) ?? null;
      },
    };
  }

  /**
   * Brings a read-only handle to the file's newest commit, and says whether it
   * moved. An unchanged file costs one stat; commits appended by a writer are
   * read and applied; a file replaced by compaction is loaded anew. A writer's
   * handle is always current, so for it this is a no-op.
   */
  refresh(): Promise<boolean> {
    return this.#serial(async () => {
      this.#assertReadable();
      if (!this.readOnly) return false;
      let st: Stats;
      try {
        st = statSync(this.path);
      } catch {
        throw new RvfError('ENOENT', `${this.#label} is gone; it was deleted or moved while open.`);
      }
      if (st.ino === this.#seen.ino && st.size === this.#seen.size && st.mtimeMs === this.#seen.mtimeMs) return false;
      const own = fstatSync(this.#log.fd);
      const before = this.#log.epoch;
      if (st.ino === own.ino && st.dev === own.dev && st.size >= this.#log.end) {
        if (st.size > this.#log.end) await this.#applyTail();
      } else {
        const old = { vectors: this.#vectors, cache: this.#cache, log: this.#log };
        // A replaced file may hold other rows under the same ids: the index starts over from its sidecar or a build.
        await this.#ann?.close();
        this.#ann = undefined;
        this.#adopt(await RvfDatabase.#load(this.path, undefined, this.#options));
        this.#startIndexIfDue();
        old.vectors.close();
        old.cache.close();
        old.log.close();
      }
      this.#seen = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
      return this.#log.epoch !== before;
    });
  }

  /** Reads the commits a writer appended since this handle last looked, and applies them. */
  async #applyTail(): Promise<void> {
    const vecSegments = new Map(this.#index.vecSegments.map((s) => [s.offset, { segId: s.segId, payloadLength: s.payloadLength }]));
    const tail = scanFrom(this.#label, new FdSource(this.#log.fd), {
      offset: this.#log.end,
      dimensions: this.#index.dimensions,
      chain: this.#log.commitHash,
      epoch: this.#log.epoch,
      maxSegId: this.#log.maxSegId,
      vecSegments,
    });
    if (!tail) return; // a writer is mid-commit: nothing committed yet
    this.#afterCommit(() => {
      const { dropped, added } = this.#index.applyTail(tail);
      if (dropped.length > 0) this.#vectors.delete(BigUint64Array.from(dropped));
      this.#index.loadInto(this.#vectors, new FdSource(this.#log.fd), this.#label, added);
      this.#log.adopt(tail);
    });
    if (this.#sharedCache) {
      // The writer commits its cache right after the file: give it a moment.
      for (let i = 0; i < 25 && !this.#cacheAtCommit(); i++) await new Promise((r) => setTimeout(r, 10));
      if (!this.#cacheAtCommit()) this.#usePrivateCache();
    } else if (!replayCommits(this.#cache, tail.commits, this.#index, this.#log.fd, this.#cacheState())) {
      this.#usePrivateCache();
    }
  }

  /** Is the cache at this handle's commit (same epoch, same history)? */
  #cacheAtCommit(): boolean {
    const s = this.#cache.state();
    return s !== undefined && s.epoch === this.#log.epoch && s.commitHash === this.#log.commitHash;
  }

  status(): Promise<StoreStatus> {
    return this.#serial(async () => {
      this.#assertReadable();
      return {
        path: this.path,
        totalVectors: this.#index.live,
        dimensions: this.#index.dimensions,
        metric: this.#info.metric,
        epoch: this.#log.epoch,
        fileSizeBytes: this.#log.end,
        totalSegments: this.#log.segments.length,
        deadSpaceRatio: this.#index.deadSpaceRatio(),
        fileId: this.#identity.fileId.toString('hex'),
        readOnly: this.readOnly,
        lineage: this.#lineage(),
        embedder: this.#info.embedder ?? null,
        index: { setting: this.#indexSetting(), ...(this.#ann?.status(this.#index.live) ?? { kind: 'none', indexed: 0, pending: 0 }) },
      };
    });
  }

  segments(): Promise<SegmentInfo[]> {
    return this.#serial(async () => {
      this.#assertReadable();
      return this.#log.segments.map((s) => ({ ...s }));
    });
  }

  /**
   * Writes a child store holding this store's live vectors and metadata, which
   * records its lineage: parent path, file id, epoch and a SHA-256 of the
   * parent's committed bytes.
   */
  derive(childPath: string, control: CopyOptions = {}): Promise<DeriveResult> {
    return this.#serial(async () => {
      this.#assertReadable();
      const dest = resolve(childPath);
      if (existsSync(dest)) throw new RvfError('EEXIST', `${control.displayName ?? dest} already exists; choose another path for the child.`);
      const parentHash = this.#log.hashCommittedBytes();
      const lineage: Lineage = {
        parentPath: this.path,
        parentFileId: this.#identity.fileId.toString('hex'),
        parentEpoch: this.#log.epoch,
        parentHash: parentHash.toString('hex'),
        depth: this.#identity.depth + 1,
      };
      const identity: FileIdentity = { fileId: randomBytes(16), parentId: this.#identity.fileId, parentHash, depth: lineage.depth };
      await this.#writeCopy(dest, { storeInfo: { ...this.#info, lineage }, identity, epoch: 0 }, control);
      return { path: dest, totalVectors: this.#index.live, epoch: 0, lineage };
    });
  }

  /**
   * Every live vector with its metadata, in file order, in batches of a few
   * MiB, for an export to another format. Other calls on this handle wait
   * until `each` has seen the last batch.
   */
  forEachEntry(each: (batch: { id: Id; vector: Float32Array; metadata: Metadata | null }[]) => Promise<void> | void): Promise<number> {
    return this.#serial(async () => {
      this.#assertReadable();
      if (this.#sharedCache) this.#usePrivateCache();
      const dim = this.#index.dimensions;
      const rowBytes = this.#index.rowBytes;
      let count = 0;
      for (const chunk of this.#index.liveChunks(new FdSource(this.#log.fd))) {
        const metadata = this.#cache.metadataFor(Array.from(chunk.ids));
        const batch = Array.from(chunk.ids, (id, j) => {
          const vector = new Float32Array(dim);
          const at = chunk.rows.byteOffset + j * rowBytes + 8;
          new Uint8Array(vector.buffer).set(new Uint8Array(chunk.rows.buffer, at, dim * 4));
          return { id: idToJson(id), vector, metadata: parseMetadata(metadata.get(id)) };
        });
        count += batch.length;
        await each(batch);
      }
      return count;
    });
  }

  /** Writes a standalone, compacted copy of the store (same identity and epoch) to `path`. */
  export(path: string, control: CopyOptions = {}): Promise<ExportResult> {
    return this.#serial(async () => {
      this.#assertReadable();
      const dest = resolve(path);
      if (dest === this.path) throw new RvfError('EINVAL', 'export needs a path other than the store itself.');
      const bytes = await this.#writeCopy(dest, { storeInfo: this.#info, identity: this.#identity, epoch: this.#log.epoch }, control);
      return { path: dest, totalVectors: this.#index.live, fileSizeBytes: bytes };
    });
  }

  /** Releases the vectors' memory, the cache, the file and the lease. Safe to call twice. */
  close(): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#closed) return;
      this.#closed = true;
      // A writer's index worker saves its sidecar first, under the lease.
      await this.#ann?.close();
      this.#vectors.close();
      this.#cache.close();
      this.#log.close();
      this.#lease?.release();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves once the approximate index covers every live vector (status
   * `pending: 0`), or at once for a store without one. Reports build progress.
   */
  waitForIndex(control: LongOperationOptions = {}): Promise<void> {
    this.#assertReadable();
    const ann = this.#ann;
    if (!ann) return Promise.resolve();
    const settled = ann.settled(control.onProgress);
    const signal = control.signal;
    if (!signal) return settled;
    return new Promise((resolve, reject) => {
      const stop = (): void => reject(cancelled());
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
      void settled.then(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      });
    });
  }

  /**
   * Throws the approximate index away and builds it again from the vectors
   * (a store that has none yet gets one once it is past the threshold), then
   * waits for it like waitForIndex. The sidecar is rewritten when it is done.
   */
  async rebuildIndex(control: LongOperationOptions = {}): Promise<StoreStatus['index']> {
    await this.#serial(async () => {
      this.#assertWritable();
      if (this.#ann) this.#ann.rebuild();
      else if (this.#indexSetting() === 'auto' && this.#index.live >= this.#indexThreshold()) this.#startIndex('build');
    });
    await this.waitForIndex(control);
    return (await this.status()).index;
  }

  // ------------------------------------------------------------ internals

  #indexSetting(): IndexSetting {
    return this.#info.index ?? 'auto';
  }

  /** Starts the index of an 'auto' store that has a sidecar, or has grown past the threshold. */
  #startIndexIfDue(): void {
    if (this.#ann || this.#closed || this.#indexSetting() === 'none') return;
    this.#startIndex(this.#index.live >= this.#indexThreshold() ? 'sidecar-or-build' : 'sidecar');
  }

  #indexThreshold(): number {
    return this.#options.indexThreshold ?? LIMITS.indexThreshold;
  }

  /**
   * Loads the sidecar when it names one of this file's commits (and re-sends
   * the rows changed since), else builds when the mode allows. The worker
   * checks the sidecar whole before it trusts it, and builds if it does not.
   */
  #startIndex(mode: 'sidecar' | 'sidecar-or-build' | 'build'): void {
    const sidecarPath = sidecarPathFor(this.path);
    const warn = warnOf(this.#options);
    const opts: AnnIndexOptions = {
      dimensions: this.#index.dimensions,
      metric: this.#info.metric,
      sidecarPath,
      writable: !this.readOnly,
      warn: (message) => warn(`${this.#label}: ${message}`),
    };
    const point = this.#fileState();
    const meta = mode === 'build' ? undefined : readSidecarMeta(sidecarPath);
    let reason = typeof meta === 'string' ? meta : undefined;
    if (meta && typeof meta !== 'string') {
      const commits = this.#log.scannedCommits;
      const at = commits.findIndex((c) => c.epoch === meta.epoch && c.commitHash === meta.commitHash);
      // The worker checks the same again, with the checksum, before it reads the file.
      const expect = { fileId: point.fileId, dimensions: this.#index.dimensions, metric: this.#info.metric, epoch: meta.epoch, commitHash: meta.commitHash };
      reason = mismatch(meta, expect) ?? (at === -1 ? 'it covers a commit this file no longer has (stale)' : undefined);
      if (!reason) {
        const changed = new Set<bigint>(this.#index.deletedIds());
        for (const c of commits.slice(at + 1)) for (const seg of c.segments) for (const id of seg.vecIds ?? []) changed.add(id);
        this.#ann = AnnIndex.fromSidecar(opts, this.#rowSource(), point, expect, changed);
        this.#vectors.observe(this.#ann);
        return;
      }
    }
    if (mode === 'sidecar') return;
    if (reason) opts.warn(`rebuilding the index: its sidecar was not used, because ${reason}`);
    this.#ann = AnnIndex.build(opts, this.#rowSource(), point);
    this.#vectors.observe(this.#ann);
  }

  /** What the index reads: always this handle's current vectors (compaction swaps them). */
  #rowSource(): RowSource {
    return {
      liveIds: () => this.#vectors.liveIds(),
      readRows: (ids, into) => this.#vectors.readRows(ids, into),
      isLive: (id) => this.#vectors.has(id),
      settled: () => !this.#staging,
    };
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    // Whatever is queued now goes after the ingests waiting together: later ones wait in a new group.
    this.#openGroup = undefined;
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #assertReadable(): void {
    if (this.#closed) throw new RvfError('ECLOSED', `${this.#label} is closed; open it again.`);
    // the first failure said what happened to its own write; any later call wrote nothing, and must not read as if it had
    if (this.#broken) {
      throw new RvfError('EIO', `${this.#label} stopped taking calls after an earlier call failed (${this.#broken.message.replace(/\.$/, '')}); nothing of this call was done, so close and open the store again.`);
    }
  }

  #assertWritable(): void {
    this.#assertReadable();
    if (!this.#lease) {
      const refusal = this.#writeRefusal;
      throw refusal ? new RvfError(refusal.code, refusal.message) : new RvfError('EREADONLY', `${this.#label} is open read-only; open it with RvfDatabase.open to write.`);
    }
  }

  /** Why writes are refused on a read-only handle opened in place of a writer's (OpenOptions.writeRefusal). */
  get writeRefusal(): RvfError | undefined {
    const refusal = this.#lease ? undefined : this.#writeRefusal;
    return refusal ? new RvfError(refusal.code, refusal.message) : undefined;
  }

  /** Updates why writes are refused (the holder's heartbeat age moves on), on a handle opened with a writeRefusal. */
  refuseWritesWith(refusal: NonNullable<OpenOptions['writeRefusal']>): void {
    if (!this.#lease && this.#writeRefusal) this.#writeRefusal = refusal;
  }

  #cacheState() {
    return { epoch: this.#log.epoch, commitHash: this.#log.commitHash, fileId: this.#identity.fileId.toString('hex'), schemaVersion: CACHE_SCHEMA_VERSION };
  }

  /** Appends one commit whose manifest lists the live VEC segments (plus a new one) and `after.deleted`. */
  #appendCommit(
    data: { type: number; payload: Buffer }[],
    after: { newVec: boolean; deleted: bigint[]; live: number },
  ): { epoch: number; placed: PlacedSegment[] } {
    (this.#lease as Lease).assertHeld();
    return this.#log.append(data, (placed) => nextManifest(this.#index, this.#identity, after.newVec ? placed[0] : undefined, after));
  }

  /** #appendCommit, with work done while the commit syncs (CommitLog.appendWhileSyncing). */
  #appendCommitWhileSyncing(
    data: { type: number; payload: Buffer }[],
    after: { newVec: boolean; deleted: bigint[]; live: number },
    work: { whileDataSyncs: (next: NextCommit) => void; whileManifestSyncs: (next: NextCommit) => void },
  ): Promise<{ epoch: number; placed: PlacedSegment[] }> {
    (this.#lease as Lease).assertHeld();
    return this.#log.appendWhileSyncing(data, (placed) => nextManifest(this.#index, this.#identity, after.newVec ? placed[0] : undefined, after), work);
  }

  /**
   * Takes back what an ingest staged in the engine and the cache for a commit
   * that failed: the cache transaction is rolled back, the batch's ids leave
   * the engine, and the rows it replaced go back in, read from the file (the
   * row index still points at them). If that fails too, or the staging itself
   * failed (the engine may be half-changed), the handle refuses further use
   * until the store is opened again; the file holds nothing of the batch.
   */
  #undoStagedIngest(staged: StagedIngest, ids: BigUint64Array, replaced: bigint[], cause: unknown): void {
    // The engine may be half-changed when its own staging threw.
    const stagingFailed = staged.engine && !staged.engineDone;
    try {
      staged.cache?.rollback();
      if (staged.engine) {
        this.#vectors.delete(ids);
        if (replaced.length > 0) this.#restoreRows(replaced);
      }
    } catch (err) {
      this.#broken = new RvfError('EIO', `${this.#label}: a failed commit could not be undone in memory (${(err as Error).message}); nothing of it is in the file; close and open the store again.`);
      return;
    }
    if (stagingFailed) {
      this.#broken = new RvfError('EIO', `${this.#label}: updating memory failed (${(cause as Error).message}); nothing was committed; close and open the store again.`);
    }
  }

  /** Loads the current rows of `ids` from the file into the engine. */
  #restoreRows(ids: readonly bigint[]): void {
    const dim = this.#index.dimensions;
    const source = new FdSource(this.#log.fd);
    const vectors = new Float32Array(ids.length * dim);
    ids.forEach((id, i) => vectors.set(this.#index.vectorOf(source, id) as Float32Array, i * dim));
    this.#vectors.ingest(vectors, BigUint64Array.from(ids));
  }

  /**
   * Brings memory and cache in step with a commit that is already durable. If
   * that fails the file is still right but this handle is not: it refuses
   * further use until the store is opened again (which replays the cache).
   */
  #afterCommit(apply: () => void): void {
    try {
      apply();
    } catch (err) {
      this.#broken = new RvfError('EIO', `${this.#label}: epoch ${this.#log.epoch} is committed to the file, but updating memory failed (${(err as Error).message}); close and open the store again.`);
      throw this.#broken;
    }
    this.#ann?.mark(this.#fileState());
    this.#startIndexIfDue();
  }

  /** Compacts first when the next manifest would not fit the native reader's window. */
  async #makeManifestRoom(vecSegments: number, deletedCount: () => number): Promise<void> {
    if (!manifestFits(vecSegments, deletedCount()) && (this.#index.vecSegments.length > 1 || this.#index.deletedCount > 0)) {
      await this.#compactNow({});
    }
  }

  async #autoCompact(): Promise<void> {
    const vecBytes = this.#index.rowsInSegments * this.#index.rowBytes;
    const deadVectors = this.#index.deadSpaceRatio() > AUTO_COMPACT_DEAD_RATIO && vecBytes > AUTO_COMPACT_MIN_BYTES;
    // Effects records pile up history (every version of a row); a snapshot keeps only the rows as they are.
    const longHistory = this.#effectsBytes > AUTO_COMPACT_MIN_BYTES && this.#effectsBytes > this.#log.end / 2;
    if (deadVectors || longHistory) await this.#compactNow({});
  }

  async #compactNow(control: LongOperationOptions): Promise<CompactResult> {
    const lease = this.#lease as Lease;
    const before = this.#log.end;
    const segmentsBefore = this.#log.segments.length;
    const epoch = this.#log.epoch + 1;
    const tmp = tempPathFor(this.path);
    const result = await writeSnapshot(tmp, this.#snapshotSource({ storeInfo: this.#info, identity: this.#identity, epoch }), {
      ...control,
      tick: () => lease.heartbeat(),
    });
    try {
      lease.assertHeld();
    } catch (err) {
      rmSync(tmp, { force: true }); // a whole copy of the store, which no one would ever remove
      throw err;
    }
    publishSnapshot(tmp, this.path, true);
    this.#effectsBytes = 0;
    this.#afterCommit(() => this.#reload());
    // The index holds the same rows under the same ids: it stays valid, and its sidecar must name the new file's commit.
    this.#ann?.mark(this.#fileState(), { save: true });
    return { segmentsCompacted: segmentsBefore, bytesReclaimed: Math.max(0, before - result.bytes), epoch: this.#log.epoch };
  }

  /** Re-reads the file after compaction replaced it, and reloads the vectors without dead rows. */
  #reload(): void {
    const fd = openSync(this.path, 'r+');
    let scan: Scan;
    try {
      scan = scanLog(this.#label, new FdSource(fd));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.#log.replaceFile(fd, scan);
    const index = RowIndex.fromScan(scan);
    this.#vectors.close();
    this.#vectors = this.#vectors.recreate();
    index.loadInto(this.#vectors, new FdSource(fd), this.#label);
    this.#vectors.observe(this.#ann);
    this.#index = index;
    this.#cache.setState(this.#cacheState());
  }

  #snapshotSource(o: { storeInfo: StoreInfo; identity: FileIdentity; epoch: number }): SnapshotSource {
    const cache = this.#cache;
    return {
      dimensions: this.#index.dimensions,
      storeInfo: o.storeInfo,
      identity: o.identity,
      epoch: o.epoch,
      liveCount: this.#index.live,
      rows: this.#index.liveChunks(new FdSource(this.#log.fd)),
      metadata: cache.metadataRows(),
      effects: cache.effectsSnapshot(),
    };
  }

  async #writeCopy(dest: string, o: { storeInfo: StoreInfo; identity: FileIdentity; epoch: number }, control: CopyOptions): Promise<number> {
    mkdirSync(dirname(dest), { recursive: true });
    removeDeadTemps(dirname(dest));
    const tmp = tempPathFor(dest);
    const result = await this.#withCacheAsync(() => writeSnapshot(tmp, this.#snapshotSource(o), control));
    publishSnapshot(tmp, dest, false, control.displayName ?? dest);
    return result.bytes;
  }

  #lineage(): Lineage | null {
    if (this.#info.lineage) return this.#info.lineage;
    const id = this.#identity;
    if (id.depth === 0) return null;
    // A native child records its parent's id and hash, not its path or epoch.
    return { parentPath: '', parentFileId: id.parentId.toString('hex'), parentEpoch: -1, parentHash: id.parentHash.toString('hex'), depth: id.depth };
  }

  /**
   * Runs a cache read at this handle's epoch. A reader sharing the writer's
   * cache checks, inside one read transaction, that the cache is still at its
   * epoch; once the writer has moved on, the reader switches to a private cache
   * rebuilt from its own (older) view of the file.
   */
  #withCache<T>(fn: (cache: MetadataCache) => T): T {
    if (this.#sharedCache) {
      const stale = Symbol('stale');
      const result = this.#cache.read(() => (this.#cacheAtCommit() ? fn(this.#cache) : stale));
      if (result !== stale) return result as T;
      this.#usePrivateCache();
    }
    return fn(this.#cache);
  }

  async #withCacheAsync<T>(fn: () => Promise<T>): Promise<T> {
    // A long copy cannot hold a read transaction across awaits, so a reader
    // copies from a private cache that matches its own view of the file.
    if (this.#sharedCache) this.#usePrivateCache();
    return fn();
  }

  #usePrivateCache(): void {
    const cache = MetadataCache.private();
    rebuildCache(cache, this.#log.scannedCommits, this.#index, this.#log.fd, this.#cacheState(), cacheInfoOf(this.#info));
    this.#cache.close();
    this.#cache = cache;
    this.#sharedCache = false;
  }
}

// ------------------------------------------------------------ helpers

/** A caller of ingestBatch waiting for its commit. */
interface IngestWaiter {
  entries: readonly Entry[];
  control: LongOperationOptions;
  resolve: (result: IngestResult) => void;
  reject: (err: unknown) => void;
}

/** Ingests waiting together for the store's turn, and how many entries they hold. */
interface IngestGroup {
  members: IngestWaiter[];
  entries: number;
}

/** A batch larger than this goes in its own commit: grouping pays for small ones, whose syncs dominate. */
const GROUP_MEMBER_MAX_ENTRIES = 1000;

/** What an ingest has staged so far for a commit not yet durable. */
interface StagedIngest {
  /** The engine was touched (rows of the batch in, rows it replaces out). */
  engine: boolean;
  /** ... and that finished. */
  engineDone: boolean;
  cache: StagedChanges | undefined;
}

/**
 * Buffers reused from batch to batch; nothing keeps a view past its commit.
 * Batches above 16 MiB get buffers of their own, so one huge batch does not
 * pin its size in memory for the life of the store.
 */
class ScratchBuffers {
  static readonly MAX_KEPT_BYTES = 16 * 1024 * 1024;
  #floats = new Float32Array(0);
  #bytes = Buffer.alloc(0);

  floats(length: number): Float32Array {
    if (length * 4 > ScratchBuffers.MAX_KEPT_BYTES) return new Float32Array(length);
    if (this.#floats.length < length) this.#floats = new Float32Array(length);
    return this.#floats.subarray(0, length);
  }

  bytes(length: number): Buffer {
    if (length > ScratchBuffers.MAX_KEPT_BYTES) return Buffer.allocUnsafe(length);
    if (this.#bytes.length < length) this.#bytes = Buffer.allocUnsafe(length);
    return this.#bytes.subarray(0, length);
  }
}

/**
 * The store's real file: a symlink is followed, so the lease, the cache and
 * compaction's rename all act on the file itself, and two names for one file
 * meet at one lock instead of writing past each other.
 */
function realPath(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    return abs; // missing: the caller reports ENOENT
  }
}

/** What a cache rebuild recovered. */
export interface RebuildResult {
  epoch: number;
  vectors: number;
  withMetadata: number;
  tables: number;
  tableRows: number;
  nodes: number;
  relationships: number;
  quads: number;
}

/** What an rvlite write gets of a store (RvfDatabase.writeSession). */
export interface WriteSession extends ReadSnapshot {
  /** Appends an effects record (store/effects.ts) as one durable commit; returns the epoch and hash to commit the cache with. */
  commit(payload: Buffer): { epoch: number; commitHash: string };
}

/** What a query language gets of a store (RvfDatabase.readSnapshot). */
export interface ReadSnapshot {
  cachePath: string;
  epoch: number;
  commitHash: string;
  /** rvf_knn: ids (decimal strings) and distances, nearest first; from the index (asynchronously) unless `exact`. */
  knn(vector: unknown, k: unknown, filter: unknown, exact?: unknown): [string, number][] | Promise<[string, number][]>;
  /** rvf_distance: the distance from a stored vector to `vector`, null when the id is not live. */
  distance(id: string, vector: unknown): number | null;
}

/** The store facts the cache keeps in its store_info table. */
function cacheInfoOf(info: StoreInfo): Record<string, string> {
  return { dimensions: String(info.dimensions), metric: info.metric };
}

/** How messages name the store at `path`: the caller's display name, else the path itself. */
function labelOf(path: string, options: OpenOptions): string {
  return options.displayName ?? path;
}

function warnOf(options: OpenOptions): (message: string) => void {
  return options.onWarning ?? ((m: string) => process.stderr.write(`rvf: ${m}\n`));
}

function parseMetadata(json: string | null | undefined): Metadata | null {
  return json ? (JSON.parse(json) as Metadata) : null;
}

function rootIdentity(): FileIdentity {
  return { fileId: randomBytes(16), parentId: Buffer.alloc(16), parentHash: Buffer.alloc(32), depth: 0 };
}

function storeInfoOf(scan: Scan, metric: Metric | undefined): StoreInfo {
  if (scan.storeInfo) {
    if (scan.storeInfo.dimensions !== scan.dimensions) {
      throw new RvfError('ECORRUPT', `${scan.label} records dimension ${scan.storeInfo.dimensions} but holds vectors of dimension ${scan.dimensions}; restore it from a backup.`);
    }
    return scan.storeInfo;
  }
  // The native format records no metric; its reader ranks by L2.
  return { dimensions: scan.dimensions, metric: metric === undefined ? 'l2' : checkMetric(metric), lineage: null };
}

/** Removes temp files a killed compaction, derive or create left beside the store. */
function removeTempFiles(path: string): void {
  const dir = dirname(path);
  for (const name of readdirSync(dir)) {
    if (isTempFor(path, name)) rmSync(join(dir, name), { force: true });
  }
}

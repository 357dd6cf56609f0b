/** Public types of the library API (exported from the package main). */

export type Metric = 'cosine' | 'l2' | 'dotproduct';

/**
 * An id as callers may pass it: a safe integer, a bigint, or a decimal string.
 * All name the same u64 that is stored in the file and in the cache's `vectors.id`.
 */
export type IdInput = number | bigint | string;

/**
 * An id as the store returns it: a JSON number when it is <= 2^53-1, otherwise
 * its decimal string, so it survives JSON.stringify without losing digits.
 */
export type Id = number | string;

export type Metadata = Record<string, unknown>;

export interface Entry {
  id: IdInput;
  vector: ArrayLike<number>;
  metadata?: Metadata | null;
}

export interface QueryResult {
  id: Id;
  distance: number;
  metadata: Metadata | null;
}

export interface Lineage {
  parentPath: string;
  parentFileId: string;
  parentEpoch: number;
  /** SHA-256 of the parent file's committed bytes, hex. */
  parentHash: string;
  depth: number;
}

export interface StoreStatus {
  path: string;
  totalVectors: number;
  dimensions: number;
  metric: Metric;
  epoch: number;
  fileSizeBytes: number;
  totalSegments: number;
  /** Share of vector bytes in the file held by deleted or replaced rows. */
  deadSpaceRatio: number;
  fileId: string;
  readOnly: boolean;
  lineage: Lineage | null;
  /** The embedder the store was made for, when it holds text memory. */
  embedder: EmbedderIdentity | null;
  index: IndexStatus & { setting: IndexSetting };
}

/**
 * Whether a store keeps an approximate index: 'auto' (the default) builds one
 * once it holds enough vectors for an exact scan to cost more; 'none' never does.
 */
export type IndexSetting = 'auto' | 'none';

export interface IndexStatus {
  /** 'none', or the index type. */
  kind: 'none' | 'hnsw';
  /** Live vectors the index covers. */
  indexed: number;
  /** Live vectors it does not cover yet (queries scan those exactly meanwhile). */
  pending: number;
}

export interface QueryOptions {
  /** Only vectors whose metadata matches (store/filter.ts). */
  filter?: unknown;
  /** Scan every vector exactly, even when the store has an index. */
  exact?: boolean;
}

export interface SegmentInfo {
  id: number;
  type: string;
  offset: number;
  payloadLength: number;
  /** Epoch of the commit that wrote the segment. */
  epoch: number;
}

export interface IngestResult {
  accepted: number;
  /** How many of the accepted ids replaced a vector that already existed. */
  replaced: number;
  epoch: number;
}

export interface DeleteResult {
  deleted: number;
  epoch: number;
}

export interface CompactResult {
  segmentsCompacted: number;
  bytesReclaimed: number;
  epoch: number;
}

export interface DeriveResult {
  path: string;
  totalVectors: number;
  epoch: number;
  lineage: Lineage;
}

export interface ExportResult {
  path: string;
  totalVectors: number;
  fileSizeBytes: number;
}

export interface CreateOptions {
  dimensions: number;
  metric?: Metric;
  /** The embedder whose vectors the store holds (text memory); recorded in the file, checked on every remember and recall. */
  embedder?: EmbedderIdentity | null;
  /** Whether to keep an approximate index; recorded in the file. Default 'auto'. */
  index?: IndexSetting;
}

/** Which embedder made a store's vectors: its name (e.g. "lexical-v1", "openai:nomic-embed-text") and dimension. */
export interface EmbedderIdentity {
  name: string;
  dimensions: number;
}

export interface OpenOptions {
  /**
   * Metric for a file that does not record one (written by the native SDK, which
   * never stores it). Ignored for files that record their metric.
   */
  metric?: Metric;
  /** Where warnings go (a torn tail cut off, a cache rebuilt). Default: stderr. */
  onWarning?: (message: string) => void;
  /**
   * How errors and warnings name the store; default: its absolute path. The
   * MCP server passes "store <name>", so no tool result names a path on disk.
   */
  displayName?: string;
  /** Live vectors from which an 'auto' store builds its index; default LIMITS.indexThreshold (20,000). */
  indexThreshold?: number;
  /**
   * For a read-only handle opened because the writer's could not be had (another
   * writer holds the lease, the disk is full): the error every write on it gets,
   * in place of the generic "open read-only" refusal.
   */
  writeRefusal?: { code: 'ELOCK' | 'EIO'; message: string };
}

/** Called during long operations; `done` and `total` count vectors. */
export type ProgressCallback = (done: number, total: number) => void;

export interface LongOperationOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** derive and export: a long operation writing a new file. */
export interface CopyOptions extends LongOperationOptions {
  /** How a refusal names the new file (it exists already); default: its absolute path. */
  displayName?: string;
}

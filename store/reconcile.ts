import { CACHE_SCHEMA_VERSION, type CacheState, type MetadataCache, type MetadataRow } from './cache.ts';
import { FdSource, readExactly } from './file-io.ts';
import { metadataChanges } from './metadata-log.ts';
import { decodeEffects, type Effects, isEffectsPayload } from './effects.ts';
import type { RowIndex } from './row-index.ts';
import type { Commit, Scan } from './scan.ts';
import { HEADER_BYTES, SegmentType } from './segment.ts';

/**
 * Brings a cache to the file's newest commit. The file always wins:
 * - cache behind the file: replay the commits it missed;
 * - cache ahead of the file (the file lost its tail), diverged from it (same
 *   epoch, another commit history), from another file, or older than the file's
 *   first commit (the file was compacted): rebuild it from the file alone.
 */

export interface Reconciled {
  action: 'current' | 'replayed' | 'rebuilt';
  /** Why the cache was rebuilt, worth a warning when it was ahead. */
  reason?: string;
  warn?: boolean;
}

export interface FileState {
  fileId: string;
  epoch: number;
  commitHash: string;
}


export function reconcileCache(
  cache: MetadataCache,
  scan: Scan,
  index: RowIndex,
  fd: number,
  file: FileState,
  info: Record<string, string>,
): Reconciled {
  const target: CacheState = { ...file, schemaVersion: CACHE_SCHEMA_VERSION };
  const state = cache.state();
  const rebuild = (reason: string, warn = false): Reconciled => {
    rebuildCache(cache, scan.commits, index, fd, target, info);
    return { action: 'rebuilt', reason, warn };
  };
  if (!state) return rebuild('the cache was empty');
  if (state.schemaVersion !== CACHE_SCHEMA_VERSION) return rebuild('the cache has another schema version');
  if (state.fileId !== file.fileId) return rebuild('the cache belongs to another file');
  if (state.epoch > file.epoch) {
    return rebuild(`the cache was at epoch ${state.epoch} but the file ends at epoch ${file.epoch}; rolled the cache back`, true);
  }
  const at = scan.commits.find((c) => c.epoch === state.epoch);
  if (!at) return rebuild('the file was compacted past the cache');
  if (at.commitHash !== state.commitHash) return rebuild(`the cache diverged from the file at epoch ${state.epoch}`, true);
  const missed = scan.commits.filter((c) => c.epoch > state.epoch);
  if (missed.length === 0) {
    if (cache.count() === index.live) return { action: 'current' };
    return rebuild('the cache rows disagree with the file');
  }
  if (!replayCommits(cache, missed, index, fd, target)) return rebuild('the cache rows disagree with the file');
  return { action: 'replayed', reason: `replayed ${missed.length} commit(s)` };
}

/**
 * Applies `commits` (the ones after the cache's epoch) to the cache in one
 * transaction. Returns false when the rows then disagree with the live set,
 * which calls for a rebuild.
 */
export function replayCommits(cache: MetadataCache, commits: readonly Commit[], index: RowIndex, fd: number, target: CacheState): boolean {
  const upserts: MetadataRow[] = [];
  const deletes: bigint[] = [];
  for (const [id, change] of metadataChanges(commits, new FdSource(fd))) {
    if (change === 'deleted' || !index.has(id)) deletes.push(id);
    else upserts.push({ id, json: change.json, epoch: change.epoch });
  }
  cache.apply({ upserts, deletes, effects: effectsOf(commits, fd) }, target);
  return cache.count() === index.live;
}

export function rebuildCache(
  cache: MetadataCache,
  commits: readonly Commit[],
  index: RowIndex,
  fd: number,
  target: CacheState,
  info: Record<string, string>,
): void {
  const changes = metadataChanges(commits, new FdSource(fd));
  const rows = function* (): Generator<MetadataRow> {
    for (const id of index.liveIds()) {
      const change = changes.get(id);
      yield change && change !== 'deleted' ? { id, json: change.json, epoch: change.epoch } : { id, json: null, epoch: 0 };
    }
  };
  cache.replaceAll(rows(), effectsOf(commits, fd), target, info);
}

/** The effects records of rvlite writes in `commits`, in commit order, read one at a time. */
export function* effectsOf(commits: readonly Commit[], fd: number): Generator<Effects> {
  for (const commit of commits) {
    for (const seg of commit.segments) {
      if (seg.type !== SegmentType.META) continue;
      const payload = readExactly(fd, seg.payloadLength, seg.offset + HEADER_BYTES);
      if (isEffectsPayload(payload)) yield decodeEffects(payload);
    }
  }
}

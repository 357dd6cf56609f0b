import { randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode } from './errors.ts';
import { processAlive } from './lease.ts';
import { otherLinks } from './single-link.ts';

/**
 * The files of a store's SQLite cache on disk: `<store>.rvf.sqlite` and the
 * side files SQLite keeps beside it (-wal and -shm in WAL mode, -journal in
 * rollback mode), and the private caches readers keep in the temp folder.
 *
 * Why readers care: SQLite opens a WAL database's -wal and -shm even on a
 * read-only connection, creating them when they are missing and leaving them
 * behind on close (only a connection that can checkpoint removes them). A
 * reader therefore opens the shared cache only while a live writer keeps its
 * side files; otherwise it copies the cache, which reads and nothing more.
 * SQLite's `immutable=1` would read without side files, but it is wrong once a
 * writer starts (its checkpoints change pages under the reader), and
 * better-sqlite3 takes URIs only with SQLITE_USE_URI=1 in the environment.
 */

export function cachePathFor(storePath: string): string {
  return `${storePath}.sqlite`;
}

const SIDE_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

export function removeCacheFiles(cachePath: string): void {
  for (const suffix of ['', ...SIDE_SUFFIXES]) rmSync(cachePath + suffix, { force: true });
}

/** Whether any of the cache's files has another hard link: writing it would change that other name too. */
export function cacheFilesLinked(cachePath: string): boolean {
  return ['', ...SIDE_SUFFIXES].some((suffix) => otherLinks(cachePath + suffix) > 0);
}

/** Identity of the -wal and -shm (inode pair), or undefined unless both exist. */
export function sideFilesOf(cachePath: string): string | undefined {
  const wal = statSync(`${cachePath}-wal`, { throwIfNoEntry: false });
  const shm = statSync(`${cachePath}-shm`, { throwIfNoEntry: false });
  return wal && shm ? `${wal.dev}:${wal.ino}/${shm.dev}:${shm.ino}` : undefined;
}

/** What must not move while a cache is copied: the database and its -wal (and -journal, which must be absent). */
function stampOf(cachePath: string): string {
  return ['', '-wal', '-journal']
    .map((suffix) => {
      const st = statSync(cachePath + suffix, { bigint: true, throwIfNoEntry: false });
      return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : '-';
    })
    .join('|');
}

/**
 * Copies the cache at `cachePath` (the database and its -wal when there is
 * one) to `dest`, by plain reads. True only when nothing moved while it was
 * copied: no writer checkpointed, appended or started meanwhile, so the copy
 * is one consistent state; SQLite recovers the copied -wal when it opens the
 * copy. A rollback journal means an interrupted write: no copy then.
 */
export function copyQuietCache(cachePath: string, dest: string): boolean {
  const before = stampOf(cachePath);
  const [main, wal, journal] = before.split('|');
  if (main === '-' || journal !== '-') return false;
  try {
    copyFileSync(cachePath, dest);
    if (wal !== '-') copyFileSync(`${cachePath}-wal`, `${dest}-wal`);
  } catch {
    removeCacheFiles(dest);
    return false;
  }
  if (stampOf(cachePath) === before) return true;
  removeCacheFiles(dest);
  return false;
}

const PRIVATE_NAME = /^rvf-private-(\d+)-[0-9a-f]{12}\.sqlite$/;

/** A fresh name for a private cache in the temp folder, after removing those of readers that were killed. */
export function privateCachePath(): string {
  removeOrphanedPrivateCaches();
  return join(tmpdir(), `rvf-private-${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
}

/** Private caches of readers that were killed before they could delete theirs. */
function removeOrphanedPrivateCaches(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = PRIVATE_NAME.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid))) removeCacheFiles(join(tmpdir(), name));
  }
}

/**
 * An error from the store's SQLite cache itself, not from what was asked of
 * it: the file is damaged (a page overwritten) or gone (deleted while the
 * store was open). Told as "SQLite refused the query ... fix it", it sent
 * users to rewrite a query that was fine. The cache holds nothing the .rvf
 * file does not, and opening the store again checks it and rebuilds it
 * (MetadataCache.openWriter).
 */
export function isCacheTrouble(err: unknown): boolean {
  const code = errorCode(err);
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB|CANTOPEN|IOERR)/.test(code);
}

/** How cacheTroubleMessage starts, for a reader to tell it from other EIO errors and try again (run-query.ts). */
export const CACHE_TROUBLE_START = "the store's SQLite cache is damaged or gone";

/** What to tell about such an error: what happened, and that reopening the store mends it. */
export function cacheTroubleMessage(err: unknown): string {
  return `${CACHE_TROUBLE_START} (${err instanceof Error ? err.message : String(err)}); close the store with rvf_close_store and use it again, which checks the cache and rebuilds it from the .rvf file without losing anything.`;
}

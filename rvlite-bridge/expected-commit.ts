import type Database from 'better-sqlite3';
import { QueryError } from './child-rpc.ts';
import type { QueryRequest } from './query-protocol.ts';

/**
 * The query child's check that the cache it reads or writes is at the commit
 * the parent expects (the parent's handle may be older or newer than the
 * cache file a writer keeps moving); otherwise ESTALE, and the parent retries.
 */

/** Inside a transaction: is the cache at the commit the parent expects? */
export function isAtExpectedCommit(db: Database.Database, req: QueryRequest): boolean {
  const state = db.prepare('SELECT epoch, commit_hash FROM cache_state WHERE one = 1').safeIntegers(false).get() as { epoch: number; commit_hash: string } | undefined;
  return state !== undefined && state.epoch === req.expect.epoch && state.commit_hash === req.expect.commitHash;
}

/** Runs `read` in one read transaction in which the cache is at the commit the parent expects. */
export function atExpectedCommit<T>(db: Database.Database, req: QueryRequest, read: () => T): T {
  return db.transaction((): T => {
    if (!isAtExpectedCommit(db, req)) throw new QueryError('ESTALE', 'the cache moved on while the query was sent');
    return read();
  })();
}

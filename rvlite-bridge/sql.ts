import type { RvfDatabase } from '../store/database.ts';
import { RvfError, isRvfError } from '../store/errors.ts';
import { LIMITS } from '../schemas/limits.ts';
import { isReadShaped } from './sql-guard.ts';
import { encodeParams, type SqlParams, type SqlRows } from './sql-protocol.ts';
import { sqlRunner } from './sql-runner.ts';

/**
 * SQL over a store's cache: the `vectors` table (id, metadata JSON, epoch),
 * with rvf_knn(query_vector_json, k [, filter_json]) as a table-valued
 * function and rvf_distance(id, query_vector_json) as a scalar, both answered
 * by the store's engine. Reads only, for now: SQL writes (user tables) come
 * with the effects log of a later milestone.
 */

export type { SqlParams, SqlRows };

export interface SqlOptions {
  /** Whether the server was started with --write (only changes the wording of a refused write). */
  write: boolean;
  timeLimitMs?: number;
}

export async function runSql(db: RvfDatabase, sql: string, params: SqlParams, options: SqlOptions): Promise<SqlRows> {
  if (typeof sql !== 'string' || sql.trim() === '') throw new RvfError('EINVAL', 'query must be a non-empty SQL string.');
  if (Buffer.byteLength(sql) > LIMITS.maxQueryTextBytes) {
    throw new RvfError('ELIMIT', `the query text is over the ${LIMITS.maxQueryTextBytes}-byte limit; pass large values as params.`);
  }
  if (!isReadShaped(sql)) {
    throw new RvfError(
      'EREADONLY',
      options.write
        ? 'SQL writes (INSERT, CREATE TABLE, ...) are not available in this version yet; only SELECT, WITH and VALUES run. Change vectors with the rvf_* tools.'
        : 'this server is read-only: only SELECT, WITH and VALUES run; start it with --write to change stores.',
    );
  }
  // A reader sharing the writer's cache retries when the writer commits
  // meanwhile; the third try uses a private cache, which cannot move.
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.readSnapshot(
        (s) =>
          sqlRunner().run(
            { db: s.cachePath, sql, params: encodeParams(params), rowCap: LIMITS.maxQueryRows, byteCap: LIMITS.maxQueryResultBytes, expect: { epoch: s.epoch, commitHash: s.commitHash } },
            s,
            options.timeLimitMs ?? LIMITS.queryTimeLimitMs,
          ),
        { privateCache: attempt === 2 },
      );
    } catch (err) {
      if (!isRvfError(err) || err.code !== 'ESTALE' || attempt === 2) throw err;
      await db.refresh();
    }
  }
}

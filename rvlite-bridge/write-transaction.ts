import { EffectsError } from '../store/effects-capture.ts';
import { encodeEffects, isEmptyEffects } from '../store/effects.ts';
import { LIMITS } from '../schemas/limits.ts';
import type { Writer } from './child-connections.ts';
import { QueryError, rpc } from './child-rpc.ts';
import { isAtExpectedCommit } from './expected-commit.ts';
import type { QueryRequest, QueryRows } from './query-protocol.ts';

/**
 * One rvlite write, in the store's write order:
 *   1. run it inside an open SQLite transaction and learn its effects;
 *   2. send the effects to the parent, which appends them to the .rvf and
 *      fsyncs (a synchronous call: the transaction stays open meanwhile);
 *   3. commit the transaction together with the new epoch.
 * A write that changed nothing commits nothing. If this process dies after 2,
 * the parent replays the effects into the cache from the file.
 */
export function inWriteTransaction(
  w: Writer,
  req: QueryRequest,
  ddlText: string | undefined,
  work: () => QueryRows,
): QueryRows {
  const db = w.db;
  w.capture.prepare();
  db.exec('BEGIN IMMEDIATE');
  let committed: { epoch: number; commitHash: string } | undefined;
  try {
    if (!isAtExpectedCommit(db, req)) throw new QueryError('ESTALE', 'the cache is not at the store\'s commit');
    w.capture.begin();
    const out = work();
    let effects;
    try {
      effects = w.capture.collect(ddlText);
    } catch (err) {
      if (err instanceof EffectsError) throw new QueryError(err.code, `${err.message} Nothing was changed.`);
      throw err;
    }
    if (isEmptyEffects(effects)) {
      db.exec('ROLLBACK');
      return out;
    }
    const payload = encodeEffects(effects);
    if (payload.length > LIMITS.maxEffectsBytes) {
      throw new QueryError('ELIMIT', `the write changes ${Math.ceil(payload.length / 1048576)} MiB of rows at once, over the ${LIMITS.maxEffectsBytes / 1048576} MiB limit; split it into smaller writes. Nothing was changed.`);
    }
    committed = rpc({ call: 'commit', bytes: payload.length }, payload) as { epoch: number; commitHash: string };
    db.prepare('UPDATE cache_state SET epoch = ?, commit_hash = ? WHERE one = 1').run(committed.epoch, committed.commitHash);
    db.exec('COMMIT');
    return { ...out, epoch: committed.epoch };
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    // Committed to the file: the write took effect, and the parent replays it into the cache.
    if (committed) return { columns: [], rows: [], truncated: false, epoch: committed.epoch };
    throw err;
  }
}

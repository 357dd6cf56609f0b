import { basename, resolve } from 'node:path';
import type pg from 'pg';
import { isRvfError } from '../errors.ts';
import type { Commit } from '../scan.ts';
import { connect, explain, parseTarget, type PostgresTarget, ReplicationError } from './postgres-target.ts';
import { ensureSchema } from './pg-schema.ts';
import { applyEffectRecords, clearStore, deleteVectors, noRows, type RowCounts, totalRows, upsertVectors } from './pg-writes.ts';
import { openStoreLog, type StoreLog } from './store-log.ts';

/**
 * Brings Postgres (schema rvf) up to a store's current epoch, exactly once:
 *
 * - each commit is one Postgres transaction that first locks the store's row
 *   in rvf.stores and checks it still holds the epoch and commit hash the
 *   commit follows, then writes the commit's rows and moves that row to the
 *   commit's epoch and hash. A crash on either side before COMMIT leaves
 *   nothing; after it, the next run starts from the epoch Postgres has. No
 *   commit is applied twice or half.
 * - a store Postgres has never seen, whose file id changed, that was
 *   compacted or replaced past Postgres's epoch (the commit at that epoch is
 *   gone or has another hash), or whose rows disagree with the file, is
 *   resynced whole in one transaction.
 *
 * It reads the store's file only (store-log.ts), so it needs no lease and
 * runs beside a live writer, replicating the commits made up to when it read.
 */

export interface ReplicationResult {
  store: string;
  /** The target without credentials. */
  target: string;
  /** The epoch Postgres had before, null when it had none of this store. */
  fromEpoch: number | null;
  /** The epoch Postgres has now: the store's current epoch. */
  epoch: number;
  /** Commits shipped one by one (a whole resync counts as one). */
  commits: number;
  /** Why the store was resynced whole, when it was. */
  resynced: string | null;
  /** Rows written or deleted, by table. */
  rows: RowCounts & { total: number };
}

export interface ReplicateOptions {
  /** The name the store has in Postgres; default: the file name without `.rvf`. */
  store?: string;
  /** How messages name the store; default: its name. */
  label?: string;
  /** Called after each commit Postgres took, with its epoch. */
  onCommit?: (epoch: number) => void;
}

/** The store name a file has in Postgres: its file name without `.rvf`. */
export function storeNameOf(path: string): string {
  return basename(path).replace(/\.rvf$/i, '');
}

export async function replicateStore(path: string, to: string | PostgresTarget, options: ReplicateOptions = {}): Promise<ReplicationResult> {
  const target = typeof to === 'string' ? parseTarget(to) : to;
  const store = options.store ?? storeNameOf(path);
  if (store === '') throw new ReplicationError('the store needs a name: its file name without .rvf must not be empty.');
  const log = openStoreLog(resolve(path), options.label ?? `store ${store}`);
  try {
    const client = await connect(target);
    try {
      await ensureSchema(client);
      return await bringUpToDate(client, log, store, target, options);
    } catch (err) {
      // The store's own errors (a damaged log) say what they are; everything else came from talking to Postgres.
      if (isRvfError(err)) throw err;
      throw explain(err, target);
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    log.close();
  }
}

interface Held {
  fileId: string;
  epoch: number;
  commitHash: string;
}

/** Another replicator moved the store's row between planning and the commit's transaction. */
class Moved extends Error {}

/**
 * Each Moved means another replicator shipped a commit of this store, so planning again from
 * where Postgres now is always makes progress; the bound only stops a runaway.
 */
const PLAN_ATTEMPTS = 1000;

async function bringUpToDate(client: pg.Client, log: StoreLog, store: string, target: PostgresTarget, options: ReplicateOptions): Promise<ReplicationResult> {
  const counts = noRows();
  const fromEpoch = (await heldBy(client, store, false))?.epoch ?? null;
  let commits = 0;
  let resynced: string | null = null;
  for (let attempt = 1; ; attempt++) {
    try {
      const held = await heldBy(client, store, false);
      const plan = planFor(held, log);
      if ('resync' in plan) {
        await inTransaction(client, counts, (c) => resync(client, log, store, held, c));
        resynced = plan.resync;
        commits += 1;
        options.onCommit?.(log.last.epoch);
      } else {
        let previous = plan.from;
        for (const commit of plan.commits) {
          await inTransaction(client, counts, (c) => applyCommit(client, log, store, previous, commit, c));
          previous = commit;
          commits += 1;
          options.onCommit?.(commit.epoch);
        }
        // The file, not Postgres, says how many vectors are live; rows that disagree call for a resync, as a cache's do.
        const rows = await client.query<{ n: string }>('SELECT count(*) AS n FROM rvf.vectors WHERE store = $1', [store]);
        if (Number(rows.rows[0]?.n) !== log.liveCount) {
          const now = await heldBy(client, store, false);
          await inTransaction(client, counts, (c) => resync(client, log, store, now, c));
          resynced = `Postgres held ${rows.rows[0]?.n} vectors of ${store} where the store has ${log.liveCount}`;
          commits += 1;
          options.onCommit?.(log.last.epoch);
        }
      }
      break;
    } catch (err) {
      if (!(err instanceof Moved) || attempt >= PLAN_ATTEMPTS) {
        if (err instanceof Moved) throw new ReplicationError(`another replicator kept moving ${store} in Postgres at ${target.shown}; run one replicator per store.`);
        throw err;
      }
    }
  }
  return { store, target: target.shown, fromEpoch, epoch: log.last.epoch, commits, resynced, rows: { ...counts, total: totalRows(counts) } };
}

type Plan = { from: Commit; commits: Commit[] } | { resync: string };

function planFor(held: Held | undefined, log: StoreLog): Plan {
  if (!held) return { resync: 'Postgres had none of this store' };
  if (held.fileId !== log.fileId) return { resync: `the store's file changed (file id ${held.fileId} in Postgres, ${log.fileId} now)` };
  if (held.epoch > log.last.epoch) return { resync: `Postgres was at epoch ${held.epoch}, past the store's epoch ${log.last.epoch} (the file was restored or lost its tail)` };
  const at = log.commits.find((c) => c.epoch === held.epoch);
  if (!at) return { resync: `the store was compacted or replaced past epoch ${held.epoch}, which Postgres had` };
  if (at.commitHash !== held.commitHash) return { resync: `the store's history diverged from Postgres's at epoch ${held.epoch}` };
  return { from: at, commits: log.commits.filter((c) => c.epoch > held.epoch) };
}

async function heldBy(client: pg.Client, store: string, lock: boolean): Promise<Held | undefined> {
  const r = await client.query<{ file_id: string; epoch: string; commit_hash: string }>(
    `SELECT file_id, epoch, commit_hash FROM rvf.stores WHERE store = $1${lock ? ' FOR UPDATE' : ''}`,
    [store],
  );
  const row = r.rows[0];
  return row ? { fileId: row.file_id, epoch: Number(row.epoch), commitHash: row.commit_hash } : undefined;
}

function same(a: Held | undefined, b: Held | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.fileId === b.fileId && a.epoch === b.epoch && a.commitHash === b.commitHash);
}

/** Runs `fn` in one transaction; the rows it counts join `totals` only once it committed. */
async function inTransaction(client: pg.Client, totals: RowCounts, fn: (counts: RowCounts) => Promise<void>): Promise<void> {
  const counts = noRows();
  await client.query('BEGIN');
  try {
    await fn(counts);
    await client.query('COMMIT');
    for (const key of Object.keys(counts) as (keyof RowCounts)[]) totals[key] += counts[key];
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** One commit, guarded: Postgres must still be at the commit before it. */
async function applyCommit(client: pg.Client, log: StoreLog, store: string, previous: Commit, commit: Commit, counts: RowCounts): Promise<void> {
  const held = await heldBy(client, store, true);
  if (!same(held, { fileId: log.fileId, epoch: previous.epoch, commitHash: previous.commitHash })) throw new Moved();
  const changes = log.changesOf(commit);
  for (const rows of changes.upserts) counts.vectors += await upsertVectors(client, store, rows, log.label);
  counts.vectorsDeleted += await deleteVectors(client, store, changes.deletes);
  await applyEffectRecords(client, store, changes.effects, counts);
  await client.query('UPDATE rvf.stores SET epoch = $2, commit_hash = $3, updated_at = now() WHERE store = $1', [store, commit.epoch, commit.commitHash]);
}

/** The whole store in one transaction, replacing whatever Postgres had of it; guarded like a commit. */
async function resync(client: pg.Client, log: StoreLog, store: string, planned: Held | undefined, counts: RowCounts): Promise<void> {
  const held = await heldBy(client, store, true);
  if (!same(held, planned)) throw new Moved();
  await clearStore(client, store);
  for (const rows of log.liveRows()) counts.vectors += await upsertVectors(client, store, rows, log.label);
  await applyEffectRecords(client, store, log.allEffects(), counts);
  await client.query(
    `INSERT INTO rvf.stores (store, file_id, dimensions, metric, epoch, commit_hash, updated_at) VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (store) DO UPDATE SET file_id = excluded.file_id, dimensions = excluded.dimensions, metric = excluded.metric,
       epoch = excluded.epoch, commit_hash = excluded.commit_hash, updated_at = excluded.updated_at`,
    [store, log.fileId, log.dimensions, log.metric, log.last.epoch, log.last.commitHash],
  );
}

import Database from 'better-sqlite3';
import { cacheFilesLinked, copyQuietCache, privateCachePath, removeCacheFiles, sideFilesOf } from './cache-files.ts';
import { CACHE_SCHEMA as SCHEMA, CACHE_SCHEMA_VERSION } from './cache-schema.ts';
import { applyEffects, clearEffectsState, snapshotEffects, userTables } from './effects-apply.ts';
import { type Effects, quoteIdent } from './effects.ts';

/**
 * The SQLite cache beside a .rvf file. It serves metadata and filters, and is
 * only a cache: every row in it can be rebuilt from the file. It records the
 * epoch (and the manifest CRC of that epoch) it reflects, so that on open it
 * can be replayed forward, or rebuilt when it is ahead of or diverged from the
 * file. The epoch is written in the same transaction as the rows, with a hash
 * of the commit history up to it, so a cache from another history of the same
 * file (a restored backup written on again) is never taken as current.
 *
 * Besides vectors it holds the user tables, graph and triples of rvlite
 * writes (store/cache-schema.ts), replayed from the file's effects records.
 */

export { CACHE_SCHEMA_VERSION };
export { cachePathFor, removeCacheFiles } from './cache-files.ts';

export interface CacheState {
  epoch: number;
  /** Hash chained over every commit's segment headers up to `epoch` (store/commit-hash.ts). */
  commitHash: string;
  fileId: string;
  schemaVersion: number;
}

export interface MetadataRow {
  id: bigint;
  json: string | null;
  epoch: number;
}

type Db = Database.Database;

/** Cache changes written in an open transaction (MetadataCache.stage). */
export interface StagedChanges {
  commit(): void;
  rollback(): void;
}

export class MetadataCache {
  readonly #db: Db;
  readonly writable: boolean;
  readonly #upsert: Database.Statement | undefined;
  readonly #remove: Database.Statement | undefined;
  readonly #setState: Database.Statement | undefined;
  #removeOnClose = false;
  #metadataOf: Database.Statement | undefined;

  private constructor(db: Db, writable: boolean) {
    this.#db = db;
    this.writable = writable;
    if (writable) {
      this.#upsert = db.prepare(
        'INSERT INTO vectors (id, metadata, epoch) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET metadata = excluded.metadata, epoch = excluded.epoch',
      );
      this.#remove = db.prepare('DELETE FROM vectors WHERE id = ?');
      this.#setState = db.prepare(
        'INSERT INTO cache_state (one, epoch, commit_hash, file_id, schema_version) VALUES (1, ?, ?, ?, ?) ' +
          'ON CONFLICT(one) DO UPDATE SET epoch = excluded.epoch, commit_hash = excluded.commit_hash, file_id = excluded.file_id, schema_version = excluded.schema_version',
      );
    }
  }

  /**
   * The writer's cache, created when missing. It holds nothing the file does
   * not, so a cache SQLite cannot open or read is deleted and created anew, and
   * so is one whose files have other hard links: removing a name leaves the
   * other names as they were, where writing would change them.
   */
  static openWriter(path: string): { cache: MetadataCache; recreated: 'unreadable' | 'hard-linked' | undefined } {
    if (cacheFilesLinked(path)) {
      removeCacheFiles(path);
      return { cache: MetadataCache.#openWritable(path), recreated: 'hard-linked' };
    }
    try {
      const cache = MetadataCache.#openWritable(path);
      cache.state(); // reads a page: a damaged header fails here
      // a damaged page elsewhere (in vectors, a user table) would fail every later call that reads it, and no
      // rebuild in place can clear it: quick_check reads every page once (10-15 ms for a 10 MB cache)
      if (!cache.#pagesReadable()) {
        cache.close();
        throw new Error('damaged pages');
      }
      return { cache, recreated: undefined };
    } catch {
      removeCacheFiles(path);
      return { cache: MetadataCache.#openWritable(path), recreated: 'unreadable' };
    }
  }

  #pagesReadable(): boolean {
    try {
      const rows = this.#db.pragma('quick_check(1)') as { quick_check: string }[];
      return rows.length === 1 && rows[0]?.quick_check === 'ok';
    } catch {
      return false;
    }
  }

  static #openWritable(path: string): MetadataCache {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      // The file is the source of truth, so the cache need not fsync each commit:
      // a cache that lost its last transactions is replayed forward on open.
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Replayed effects are final row states, not actions to cascade.
      db.pragma('foreign_keys = OFF');
      db.exec(SCHEMA);
      return new MetadataCache(db, true);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * A read-only view of a live writer's cache, or undefined. Call it only while
   * a writer holds the lease: a read-only connection would create the -wal and
   * -shm of a cache that has none and leave them behind, so it opens only when
   * both exist, and gives up if they were replaced meanwhile (the writer closed
   * between the check and the open: that rare race leaves an empty -wal and a
   * -shm, which the next writer uses and removes). Once open, this connection
   * keeps them: a closing writer removes them only as the last connection.
   */
  static openShared(path: string): MetadataCache | undefined {
    if (cacheFilesLinked(path)) return undefined;
    const sideFiles = sideFilesOf(path);
    if (sideFiles === undefined) return undefined;
    let db: Db | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      const cache = new MetadataCache(db, false);
      cache.state();
      if (sideFilesOf(path) !== sideFiles) throw new Error('the writer closed the cache while it was opened');
      return cache;
    } catch {
      db?.close();
      return undefined;
    }
  }

  /**
   * A private copy of the cache at `path`, for a reader when no live writer has
   * it open, or undefined when it cannot be copied whole (store/cache-files.ts).
   * Copying reads and nothing more, so the reader leaves the root as it was;
   * the caller checks that the copy is at its commit.
   */
  static privateCopyOf(path: string): MetadataCache | undefined {
    if (cacheFilesLinked(path)) return undefined;
    const dest = privateCachePath();
    if (!copyQuietCache(path, dest)) return undefined;
    try {
      const cache = MetadataCache.#openPrivate(dest);
      cache.state();
      return cache;
    } catch {
      removeCacheFiles(dest);
      return undefined;
    }
  }

  /**
   * A private cache for a reader whose shared cache is missing or out of step.
   * It is a temporary file, not :memory:, so that SQL run in a child process
   * (rvlite-bridge) can open it too; it is deleted on close.
   */
  static private(): MetadataCache {
    return MetadataCache.#openPrivate(privateCachePath());
  }

  static #openPrivate(path: string): MetadataCache {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = OFF');
      db.pragma('foreign_keys = OFF');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      removeCacheFiles(path);
      throw err;
    }
    const cache = new MetadataCache(db, true);
    cache.#removeOnClose = true;
    return cache;
  }

  /** Whether this is a reader's own cache in the temp folder (deleted on close), not the one beside the store. */
  get isPrivate(): boolean {
    return this.#removeOnClose;
  }

  /** The SQLite file behind this cache. */
  get path(): string {
    return this.#db.name;
  }

  state(): CacheState | undefined {
    const row = this.#db
      .prepare('SELECT epoch, commit_hash, file_id, schema_version FROM cache_state WHERE one = 1')
      .get() as { epoch: number; commit_hash: string; file_id: string; schema_version: number } | undefined;
    if (!row) return undefined;
    return { epoch: row.epoch, commitHash: row.commit_hash, fileId: row.file_id, schemaVersion: row.schema_version };
  }

  /** Runs `fn` in one read transaction, so several reads see one epoch. */
  read<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /**
   * Upserts and deletes of vectors, the effects of rvlite writes (in commit
   * order), and the epoch they reach, in one transaction.
   */
  apply(changes: { upserts: MetadataRow[]; deletes: bigint[]; effects?: Iterable<Effects> }, state: CacheState): void {
    this.#db.transaction(() => this.#write(changes, state))();
  }

  #write(changes: { upserts: MetadataRow[]; deletes: bigint[]; effects?: Iterable<Effects> }, state: CacheState): void {
    const upsert = this.#upsert;
    const remove = this.#remove;
    const setState = this.#setState;
    if (!upsert || !remove || !setState) throw new Error('the cache is read-only');
    for (const r of changes.upserts) upsert.run(r.id, r.json, r.epoch);
    for (const id of changes.deletes) remove.run(id);
    for (const e of changes.effects ?? []) applyEffects(this.#db, e);
    setState.run(state.epoch, state.commitHash, state.fileId, state.schemaVersion);
  }

  /**
   * apply(), in a transaction left open: the cache side of a commit whose
   * manifest is not durable yet (RvfDatabase.ingestBatch stages it while the
   * manifest syncs). No other connection sees it until `commit()`; `rollback()`
   * drops it. Nothing else may use this connection in between.
   */
  stage(changes: { upserts: MetadataRow[]; deletes: bigint[] }, state: CacheState): StagedChanges {
    this.#db.exec('BEGIN');
    try {
      this.#write(changes, state);
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
    return {
      commit: () => void this.#db.exec('COMMIT'),
      rollback: () => {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      },
    };
  }

  /** Replaces every row, table, node and triple with what `rows` and `effects` say, and the state, in one transaction. */
  replaceAll(rows: Iterable<MetadataRow>, effects: Iterable<Effects>, state: CacheState, info: Record<string, string>): void {
    const upsert = this.#upsert;
    const setState = this.#setState;
    if (!upsert || !setState) throw new Error('the cache is read-only');
    const putInfo = this.#db.prepare('INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)');
    this.#db.transaction(() => {
      this.#db.exec('DELETE FROM vectors; DELETE FROM store_info;');
      clearEffectsState(this.#db);
      for (const r of rows) upsert.run(r.id, r.json, r.epoch);
      for (const e of effects) applyEffects(this.#db, e);
      for (const [k, v] of Object.entries(info)) putInfo.run(k, v);
      setState.run(state.epoch, state.commitHash, state.fileId, state.schemaVersion);
    })();
  }

  /** Counts of what the cache holds, by kind. */
  contents(): { vectors: number; withMetadata: number; tables: number; tableRows: number; nodes: number; relationships: number; quads: number } {
    const count = (sql: string): number => Number(this.#db.prepare(sql).pluck().safeIntegers(false).get() ?? 0);
    const tables = userTables(this.#db);
    return {
      vectors: count('SELECT count(*) FROM vectors'),
      withMetadata: count('SELECT count(*) FROM vectors WHERE metadata IS NOT NULL'),
      tables: tables.length,
      tableRows: tables.reduce((n, t) => n + count(`SELECT count(*) FROM ${quoteIdent(t)}`), 0),
      nodes: count('SELECT count(*) FROM graph_nodes'),
      relationships: count('SELECT count(*) FROM graph_rels'),
      quads: count('SELECT count(*) FROM rdf_quads'),
    };
  }

  /** The user tables, graph and triples as effects records (for compaction, derive and export). */
  effectsSnapshot(): Generator<Buffer> {
    return snapshotEffects(this.#db);
  }

  setState(state: CacheState): void {
    if (!this.#setState) throw new Error('the cache is read-only');
    this.#setState.run(state.epoch, state.commitHash, state.fileId, state.schemaVersion);
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM vectors').get() as { n: number }).n;
  }

  /** Metadata JSON of `ids` that have rows. */
  metadataFor(ids: readonly bigint[]): Map<bigint, string | null> {
    const out = new Map<bigint, string | null>();
    if (ids.length === 0) return out;
    // prepared once: preparing it took about a sixth of an indexed query at 100k
    this.#metadataOf ??= this.#db.prepare('SELECT id, metadata FROM vectors WHERE id IN (SELECT value FROM json_each(?))').safeIntegers(true);
    const rows = this.#metadataOf.all(`[${ids.join(',')}]`) as { id: bigint; metadata: string | null }[];
    for (const r of rows) out.set(r.id, r.metadata);
    return out;
  }

  /** Ids whose metadata satisfies a compiled filter (store/filter.ts). */
  matchingIds(where: string, params: unknown[]): bigint[] {
    const stmt = this.#db.prepare(`SELECT id FROM vectors WHERE ${where}`).safeIntegers(true).pluck();
    return stmt.all(...params) as bigint[];
  }

  /** Every row with metadata, in id order (for compaction and derive). */
  *metadataRows(): IterableIterator<{ id: bigint; metadata: string }> {
    const stmt = this.#db
      .prepare('SELECT id, metadata FROM vectors WHERE metadata IS NOT NULL ORDER BY id')
      .safeIntegers(true);
    yield* stmt.iterate() as IterableIterator<{ id: bigint; metadata: string }>;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
    if (this.#removeOnClose) removeCacheFiles(this.#db.name);
  }
}

import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { EffectsCapture } from '../store/effects-capture.ts';
import { registerCypherFunctions } from './cypher/register.ts';
import { remembered, rpc } from './child-rpc.ts';

/**
 * The query child's connections to store caches, by cache path, each with
 * the inode it opened: a cache that was deleted and rebuilt, or a store
 * created anew at the same path, is a new file and gets a new connection; one
 * whose file is gone is closed.
 *
 * - reader: `{readonly: true}` with query_only=ON, for every read;
 * - writer: read-write, for writes of a --write server's writer handle, with
 *   the effects capture that records what each write did.
 */

export interface Writer {
  db: Database.Database;
  capture: EffectsCapture;
}

const readers = new Map<string, { db: Database.Database; ino: number }>();
const writers = new Map<string, { db: Database.Database; ino: number; capture: EffectsCapture }>();

/** The inode of `path`, undefined when it is gone: a new inode is a new file. */
export function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function closeGone(): void {
  for (const map of [readers, writers]) {
    for (const [path, c] of map) {
      if (inodeOf(path) !== c.ino) {
        c.db.close();
        map.delete(path);
      }
    }
  }
}
// A closed reader's private cache is deleted by the parent; let go of it within a second.
setInterval(closeGone, 1_000).unref();

/**
 * Closes every connection, before the child exits. The last connection to
 * close a cache checkpoints it and removes its -wal and -shm; a process that
 * exits with its connections open leaves them behind even after the writer
 * closed cleanly, and a reader would then find a killed writer's side files.
 */
export function closeAll(): void {
  // Only a read-write connection can checkpoint and remove them: a cache this process may write, read through its
  // read-only connection alone, kept its -wal and -shm after a clean shutdown. Readers close first, writers last.
  for (const path of writable) {
    const reading = readers.get(path);
    if (reading && !writers.has(path) && inodeOf(path) === reading.ino) {
      try {
        // a connection that never read has not joined the WAL, and its close leaves the side files alone
        writer(path).db.prepare('SELECT count(*) FROM sqlite_schema').get();
      } catch {
        // gone or unopenable: nothing to tidy
      }
    }
  }
  for (const map of [readers, writers]) {
    for (const c of map.values()) c.db.close();
    map.clear();
  }
}

/** Caches of writer handles (a request with `cacheWritable`): this process may open them read-write. */
const writable = new Set<string>();

export function noteWritable(path: string): void {
  writable.add(path);
}

/** rvf_knn and rvf_distance, answered by the parent's engine. */
function addVectorFunctions(db: Database.Database): void {
  db.table('rvf_knn', {
    columns: ['id', 'distance'],
    parameters: ['query_vector', 'k', 'filter', 'exact'],
    rows: function* (vector: unknown, k: unknown, filter: unknown, exact: unknown) {
      const flag = typeof exact === 'bigint' ? Number(exact) : (exact ?? null);
      const key = JSON.stringify(['knn', vector, String(k), filter ?? null, flag]);
      const hits = remembered(key, () => rpc({ call: 'knn', vector, k: typeof k === 'bigint' ? Number(k) : k, filter: filter ?? null, exact: flag })) as [string, number][];
      for (const [id, distance] of hits) yield [BigInt(id), distance];
    },
  });
  db.function('rvf_distance', { varargs: false }, (id: unknown, vector: unknown) => {
    if (id === null || vector === null) return null;
    const key = JSON.stringify(['distance', String(id), vector]);
    return remembered(key, () => rpc({ call: 'distance', id: String(id), vector })) as number | null;
  });
}

export function reader(path: string): Database.Database {
  closeGone();
  const known = readers.get(path);
  if (known) return known.db;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('query_only = ON');
  db.defaultSafeIntegers(true);
  addVectorFunctions(db);
  registerCypherFunctions(db);
  readers.set(path, { db, ino: inodeOf(path) ?? -1 });
  return db;
}

export function writer(path: string): Writer {
  closeGone();
  const known = writers.get(path);
  if (known) return known;
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.defaultSafeIntegers(true);
  addVectorFunctions(db);
  registerCypherFunctions(db);
  const w = { db, ino: inodeOf(path) ?? -1, capture: new EffectsCapture(db) };
  writers.set(path, w);
  return w;
}

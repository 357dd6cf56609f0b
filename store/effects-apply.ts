import type Database from 'better-sqlite3';
import { EFFECT_TABLES, INTERNAL_TABLES } from './cache-schema.ts';
import { type Effects, encodeEffects, isEmptyEffects, quoteIdent, type SqlValue, type TableEffects } from './effects.ts';

/**
 * Applies effects to a cache connection, inside the caller's transaction.
 * Deletes go first, then upserts by rowid (INSERT OR REPLACE), so a row that
 * took over another's unique key lands whatever order the rows come in. The
 * connection must have foreign_keys off: effects carry final states, not
 * actions to cascade.
 */
export function applyEffects(db: Database.Database, e: Effects): void {
  for (const ddl of e.ddl) db.exec(ddl);
  for (const t of e.tables) {
    const table = quoteIdent(t.table);
    if (t.deletes.length > 0) {
      const del = db.prepare(`DELETE FROM ${table} WHERE rowid = ?`);
      for (const id of t.deletes) del.run(id);
    }
  }
  for (const t of e.tables) {
    if (t.upserts.length === 0) continue;
    const cols = ['rowid', ...t.columns.map(quoteIdent)].join(', ');
    const marks = new Array(t.columns.length + 1).fill('?').join(', ');
    const put = db.prepare(`INSERT OR REPLACE INTO ${quoteIdent(t.table)} (${cols}) VALUES (${marks})`);
    for (const row of t.upserts) put.run(...row);
  }
}

/** User objects (tables, indexes, views) of a cache, in an order that re-creates them. */
function userSchema(db: Database.Database): { type: string; name: string; sql: string }[] {
  const rows = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid")
    .safeIntegers(false)
    .all() as { type: string; name: string; tbl_name: string; sql: string }[];
  return rows.filter((r) => isUserTable(r.tbl_name) && isUserTable(r.name));
}

function isUserTable(name: string): boolean {
  return !INTERNAL_TABLES.includes(name.toLowerCase()) && !name.toLowerCase().startsWith('sqlite_');
}

/** Names of the user tables of a cache. */
export function userTables(db: Database.Database): string[] {
  return userSchema(db)
    .filter((r) => r.type === 'table')
    .map((r) => r.name);
}

/** The columns an insert can set: generated columns are computed, not stored by us. */
export function writableColumns(db: Database.Database, table: string): string[] {
  const info = db.prepare(`SELECT name, hidden FROM pragma_table_xinfo(?)`).safeIntegers(false).all(table) as { name: string; hidden: number }[];
  return info.filter((c) => c.hidden === 0).map((c) => c.name);
}

/** Removes every user object and every effects-table row, before a rebuild replays the log. */
export function clearEffectsState(db: Database.Database): void {
  const objects = userSchema(db).reverse();
  for (const o of objects) {
    if (o.type === 'view') db.exec(`DROP VIEW IF EXISTS ${quoteIdent(o.name)}`);
  }
  for (const o of objects) {
    if (o.type === 'table') db.exec(`DROP TABLE IF EXISTS ${quoteIdent(o.name)}`);
  }
  for (const t of EFFECT_TABLES) db.exec(`DELETE FROM ${quoteIdent(t)}`);
}

const SNAPSHOT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The whole state of the user tables, graph and triples as effects records of
 * at most about 4 MiB each: the schema first, then rows. Compaction, derive
 * and export write these in place of the history they fold.
 */
export function* snapshotEffects(db: Database.Database): Generator<Buffer> {
  const schema = userSchema(db);
  let chunk: Effects = { ddl: schema.map((o) => o.sql), tables: [] };
  let bytes = chunk.ddl.reduce((n, s) => n + s.length, 0);
  const flush = function* (): Generator<Buffer> {
    if (!isEmptyEffects(chunk)) yield encodeEffects(chunk);
    chunk = { ddl: [], tables: [] };
    bytes = 0;
  };
  const tables = [...schema.filter((o) => o.type === 'table').map((o) => o.name), ...EFFECT_TABLES];
  for (const table of tables) {
    const columns = writableColumns(db, table);
    const select = db.prepare(`SELECT rowid, ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)} ORDER BY rowid`).safeIntegers(true).raw(true);
    let current: TableEffects | undefined;
    for (const row of select.iterate() as IterableIterator<SqlValue[]>) {
      if (!current) {
        current = { table, columns, upserts: [], deletes: [] };
        chunk.tables.push(current);
      }
      current.upserts.push(row);
      bytes += approximateBytes(row);
      if (bytes >= SNAPSHOT_CHUNK_BYTES) {
        yield* flush();
        current = undefined;
      }
    }
  }
  yield* flush();
}

function approximateBytes(row: SqlValue[]): number {
  let n = 8;
  for (const v of row) n += typeof v === 'string' ? v.length + 4 : Buffer.isBuffer(v) ? (v.length * 4) / 3 + 8 : 12;
  return n;
}

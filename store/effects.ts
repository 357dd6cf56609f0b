import type Database from 'better-sqlite3';
import { EFFECT_TABLES, INTERNAL_TABLES } from './cache-schema.ts';

/**
 * The effects of rvlite writes (SQL, Cypher, SPARQL) as the .rvf log records
 * them: DDL as text, then the net state of every row the write touched, by
 * table and rowid. Replaying effects gives the same rows whatever the
 * statement was (`random()`, `datetime('now')`), which replaying statement
 * text would not.
 *
 * An effects record is a META segment whose payload starts with "RVFE"; the
 * native reader does not list META segments and so never sees it. Compaction
 * writes the whole of the tables, graph and triples as effects records too
 * (snapshotEffects), so replaying every record of a file, in order, on an
 * empty cache rebuilds it.
 */

/** A SQLite value as JSON: INTEGER as {"$i": "digits"} (JSON numbers bind as REAL), BLOB as {"$b": base64}, ±Inf as {"$r": "Infinity"}. */
export type SqlValue = null | string | number | bigint | Buffer;
type EncodedValue = null | string | number | { $i: string } | { $b: string } | { $r: string };

export interface TableEffects {
  table: string;
  /** The columns of `upserts` after the rowid. */
  columns: string[];
  /** Rows as they are after the write: [rowid, ...values]. */
  upserts: SqlValue[][];
  /** Rowids of rows that no longer exist. */
  deletes: bigint[];
}

export interface Effects {
  /** DDL statements, run in order before the row changes. */
  ddl: string[];
  tables: TableEffects[];
}

const EFFECTS_MAGIC = 0x45465652; // "RVFE"
const FORMAT_VERSION = 1;

export function isEmptyEffects(e: Effects): boolean {
  return e.ddl.length === 0 && e.tables.every((t) => t.upserts.length === 0 && t.deletes.length === 0);
}

function encodeValue(v: SqlValue): EncodedValue {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { $i: v.toString() };
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $r: String(v) };
  return { $b: v.toString('base64') };
}

function decodeValue(v: unknown): SqlValue {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o['$i'] === 'string') return BigInt(o['$i']);
    if (typeof o['$b'] === 'string') return Buffer.from(o['$b'], 'base64');
    if (o['$r'] === 'Infinity') return Infinity;
    if (o['$r'] === '-Infinity') return -Infinity;
  }
  throw new Error(`effects record holds a value of unknown shape: ${JSON.stringify(v)}`);
}

export function encodeEffects(e: Effects): Buffer {
  const body = JSON.stringify({
    v: FORMAT_VERSION,
    ddl: e.ddl,
    tables: e.tables.map((t) => ({
      table: t.table,
      columns: t.columns,
      upserts: t.upserts.map((row) => row.map(encodeValue)),
      deletes: t.deletes.map((id) => id.toString()),
    })),
  });
  const head = Buffer.alloc(4);
  head.writeUInt32LE(EFFECTS_MAGIC, 0);
  return Buffer.concat([head, Buffer.from(body, 'utf8')]);
}

export function isEffectsPayload(payload: Buffer): boolean {
  return payload.length >= 4 && payload.readUInt32LE(0) === EFFECTS_MAGIC;
}

/** Decodes an effects payload; throws on a malformed one (its segment's CRC verified, so that is a bug or a newer format). */
export function decodeEffects(payload: Buffer): Effects {
  const parsed = JSON.parse(payload.toString('utf8', 4)) as { v?: unknown; ddl?: unknown; tables?: unknown };
  if (parsed.v !== FORMAT_VERSION) throw new Error(`effects record of format ${String(parsed.v)}; this build reads format ${FORMAT_VERSION}`);
  if (!Array.isArray(parsed.ddl) || !Array.isArray(parsed.tables)) throw new Error('effects record lacks ddl or tables');
  return {
    ddl: parsed.ddl.map(String),
    tables: (parsed.tables as { table: string; columns: string[]; upserts: unknown[][]; deletes: string[] }[]).map((t) => ({
      table: String(t.table),
      columns: t.columns.map(String),
      upserts: t.upserts.map((row) => row.map(decodeValue)),
      deletes: t.deletes.map((id) => BigInt(id)),
    })),
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

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

export function isUserTable(name: string): boolean {
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

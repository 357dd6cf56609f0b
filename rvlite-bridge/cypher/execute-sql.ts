import type Database from 'better-sqlite3';
import { isCacheTrouble } from '../cache-trouble.ts';
import { CypherError } from './errors.ts';
import type { CompiledRead, OutputColumn } from './compile-read.ts';
import { exactInteger, parseExactJson, realValue } from './exact-json.ts';
import { fromSqlite, outputsNative, parseJsonValue, type VType } from './values.ts';

export { toJsonText } from './values.ts';

/**
 * Runs a compiled read statement. Every statement is prepared on its own and
 * must be one SQLite itself reports as read-only and returning rows: that is
 * a layer of the read guard (with the read-only connection and query_only),
 * and it also catches a compiler bug before it could write.
 */

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
const STATEMENT_CACHE = 100;

export function prepareRead(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    try {
      stmt = db.prepare(sql);
    } catch (err) {
      if (isCacheTrouble(err)) throw err;
      throw new CypherError('EINVAL', `Cypher: SQLite refused the compiled query (${(err as Error).message}); simplify the query or report it.`);
    }
    if (!stmt.readonly || !stmt.reader) throw new CypherError('EREADONLY', 'Cypher: the compiled query is not a read-only statement; it was refused.');
    if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
    cache.set(sql, stmt);
  }
  return stmt;
}

/**
 * One cell as returned to the caller. JSON has no NaN or Infinity: they are
 * shown as the strings "NaN", "Infinity" and "-Infinity" (a NaN already is
 * the text 'NaN' in SQL, compare.ts), as integers beyond 2^53 are shown as
 * decimal strings, rather than the null JSON.stringify would make of them.
 */
export function outputCell(type: VType, raw: unknown): unknown {
  if (outputsNative(type)) return finite(fromSqlite(raw));
  if (raw === null || raw === undefined) return null;
  const text = typeof raw === 'string' ? raw : String(raw);
  const value = parseJsonValue(text);
  // SQLite writes an infinite real as 9.0e+999 in JSON
  return text.includes('e+999') ? finite(value) : value;
}

function finite(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) || Number.isNaN(v) ? v : v > 0 ? 'Infinity' : '-Infinity';
  if (Array.isArray(v)) return v.map(finite);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, finite(x)]));
  return v;
}

/**
 * One cell as a write carries it on (a binding for its next clause, a value
 * it stores): ids stay ids, and integers beyond 2^53 stay exact bigints
 * rather than becoming the decimal strings a caller is shown.
 */
export function bindingCell(type: VType, raw: unknown): unknown {
  if (outputsNative(type)) return nativeCell(raw);
  switch (type) {
    case 'node':
    case 'rel':
    case 'str':
      return exactInteger(raw);
    case 'bool':
      return raw === null ? null : exactInteger(raw) !== 0;
    case 'null':
      return null;
    default:
      return raw === null ? null : parseExactJson(String(raw), true);
  }
}

/** One cell of a value a write evaluated (a property to store), exact as in bindingCell. */
export function valueCell(type: VType, raw: unknown): unknown {
  if (outputsNative(type)) return nativeCell(raw);
  if (raw === null || raw === undefined) return null;
  return parseExactJson(String(raw), true);
}

/** A number or text cell read with safeIntegers: an integer is a bigint, so a JS number is a REAL, kept a float when whole. */
function nativeCell(raw: unknown): unknown {
  return typeof raw === 'number' ? realValue(raw) : exactInteger(raw);
}

export interface SqlRun {
  rows: unknown[][];
  truncated: boolean;
}

export function runCompiled(db: Database.Database, compiled: CompiledRead, decode: (type: VType, raw: unknown) => unknown, maxRows: number): SqlRun {
  return runPrepared(prepareRead(db, compiled.sql), compiled.columns, compiled.binds, decode, maxRows);
}

/** A compiled read already prepared (writes keep theirs per clause, so a row costs no lookup by SQL text). */
export function runPrepared(stmt: Database.Statement, columns: readonly OutputColumn[], binds: Record<string, unknown>, decode: (type: VType, raw: unknown) => unknown, maxRows: number): SqlRun {
  const rows: unknown[][] = [];
  let truncated = false;
  for (const raw of stmt.raw(true).safeIntegers(true).iterate(binds) as IterableIterator<unknown[]>) {
    if (rows.length >= maxRows) {
      truncated = true;
      break;
    }
    rows.push(columns.map((c, i) => decode(c.type, raw[i])));
  }
  return { rows, truncated };
}

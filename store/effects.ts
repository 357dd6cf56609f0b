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
 *
 * This module is the record format only, free of SQLite, because its types are
 * part of the public API (store/index.ts); store/effects-apply.ts applies and
 * snapshots effects on a cache connection.
 */

/**
 * A SQLite value as JSON. Format 2 (written since 2026-12): an INTEGER within
 * ±(2^53 - 1) is a JSON integer, a wider one {"$i": "digits"}; a REAL is a
 * JSON number when it has a fraction, {"$f": "text"} when it is integral (a
 * bare 5 would read back as INTEGER), {"$r": "Infinity"} when infinite; a
 * BLOB is {"$b": base64}. Format 1 (still read) tagged every INTEGER as
 * {"$i": ...} and wrote every REAL as a JSON number: a 10,000-node Cypher
 * write took 24% more bytes and three times as long to encode and to parse.
 */
export type SqlValue = null | string | number | bigint | Buffer;
type EncodedValue = null | string | number | { $i: string } | { $b: string } | { $r: string } | { $f: string };

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
/** The format this build writes; it reads this one and every earlier one. */
const FORMAT_VERSION = 2;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function isEmptyEffects(e: Effects): boolean {
  return e.ddl.length === 0 && e.tables.every((t) => t.upserts.length === 0 && t.deletes.length === 0);
}

function encodeValue(v: SqlValue): EncodedValue {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'bigint') return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : { $i: v.toString() };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { $r: String(v) };
    if (Number.isInteger(v)) return { $f: Object.is(v, -0) ? '-0' : String(v) };
    return v;
  }
  return { $b: v.toString('base64') };
}

function decodeValue(v: unknown, version: number): SqlValue {
  if (v === null || typeof v === 'string') return v;
  // format 1 wrote every REAL, and only REALs, as a JSON number
  if (typeof v === 'number') return version >= 2 && Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o['$i'] === 'string') return BigInt(o['$i']);
    if (typeof o['$b'] === 'string') return Buffer.from(o['$b'], 'base64');
    if (o['$r'] === 'Infinity') return Infinity;
    if (o['$r'] === '-Infinity') return -Infinity;
    if (version >= 2 && typeof o['$f'] === 'string') return Number(o['$f']);
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

/** The JSON of an effects record of a format this build reads, with its version and its ddl and tables lists. */
function parseRecord(payload: Buffer): { version: number; ddl: unknown[]; tables: unknown[] } {
  const parsed = JSON.parse(payload.toString('utf8', 4)) as { v?: unknown; ddl?: unknown; tables?: unknown };
  if (parsed.v !== 1 && parsed.v !== FORMAT_VERSION) throw new Error(`effects record of format ${String(parsed.v)}; this build reads formats 1 to ${FORMAT_VERSION}`);
  if (!Array.isArray(parsed.ddl) || !Array.isArray(parsed.tables)) throw new Error('effects record lacks ddl or tables');
  return { version: parsed.v, ddl: parsed.ddl, tables: parsed.tables };
}

function isEncodedValue(v: unknown, version: number): boolean {
  if (v === null || typeof v === 'string') return true;
  if (typeof v === 'number') return version < 2 || !Number.isInteger(v) || Number.isSafeInteger(v);
  if (typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if (typeof o['$f'] === 'string') return version >= 2 && Number.isInteger(Number(o['$f']));
  return typeof o['$i'] === 'string' || typeof o['$b'] === 'string' || o['$r'] === 'Infinity' || o['$r'] === '-Infinity';
}

/**
 * Throws when a payload is not an effects record this build could decode, without decoding it:
 * a writer checks each record before it reaches the file, and building every bigint and Buffer
 * of a 10,000-row write only to drop them cost more than the check.
 */
export function checkEffects(payload: Buffer): void {
  const parsed = parseRecord(payload);
  if (!parsed.ddl.every((d) => typeof d === 'string')) throw new Error('effects record holds DDL that is not text');
  for (const t of parsed.tables) {
    const table = t as { table?: unknown; columns?: unknown; upserts?: unknown; deletes?: unknown };
    if (typeof table.table !== 'string' || !Array.isArray(table.columns) || !Array.isArray(table.upserts) || !Array.isArray(table.deletes)) {
      throw new Error('effects record holds a table without its name, columns, upserts and deletes');
    }
    const width = table.columns.length + 1;
    if (!table.columns.every((c) => typeof c === 'string')) throw new Error(`effects record names a column of ${table.table} with no text`);
    for (const row of table.upserts as unknown[]) {
      if (!Array.isArray(row) || row.length !== width || !row.every((v) => isEncodedValue(v, parsed.version))) throw new Error(`effects record holds a malformed row of ${table.table}`);
    }
    if (!(table.deletes as unknown[]).every((id) => typeof id === 'string' && /^-?\d+$/.test(id))) throw new Error(`effects record holds a malformed deleted rowid of ${table.table}`);
  }
}

/** Decodes an effects payload; throws on a malformed one (its segment's CRC verified, so that is a bug or a newer format). */
export function decodeEffects(payload: Buffer): Effects {
  const parsed = parseRecord(payload);
  return {
    ddl: parsed.ddl.map(String),
    tables: (parsed.tables as { table: string; columns: string[]; upserts: unknown[][]; deletes: string[] }[]).map((t) => ({
      table: String(t.table),
      columns: t.columns.map(String),
      upserts: t.upserts.map((row) => row.map((v) => decodeValue(v, parsed.version))),
      deletes: t.deletes.map((id) => BigInt(id)),
    })),
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

import type Database from 'better-sqlite3';
import { EFFECT_TABLES, INTERNAL_TABLES, isReservedName } from './cache-schema.ts';
import { userTables, writableColumns } from './effects-apply.ts';
import { type Effects, quoteIdent, type SqlValue, type TableEffects } from './effects.ts';

/**
 * Learns what a write did, inside its still-open transaction, on a read-write
 * connection to a store's cache. Row changes are caught by TEMP triggers on
 * every user table and on the graph and triple tables (temp triggers belong to
 * this connection alone, so they never fire for anyone else); schema changes
 * by comparing sqlite_schema before and after.
 *
 * The effects are the net result: for each row touched, its state at the end
 * (or its absence), read back from the table itself, so a statement's
 * `random()` or `datetime('now')` is recorded as the value it produced.
 */

/** A write the store cannot keep; `code` is EREADONLY for the store's own tables, EINVAL otherwise. */
export class EffectsError extends Error {
  constructor(
    message: string,
    readonly code: 'EINVAL' | 'EREADONLY' = 'EINVAL',
  ) {
    super(message);
  }
}

interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

function schemaOf(db: Database.Database, schema: 'main' | 'temp'): Map<string, SchemaObject> {
  const table = schema === 'main' ? 'main.sqlite_schema' : 'temp.sqlite_temp_schema';
  const rows = db.prepare(`SELECT type, name, tbl_name, sql FROM ${table}`).safeIntegers(false).all() as SchemaObject[];
  return new Map(rows.map((r) => [`${r.type}:${r.name}`, r]));
}

const TRIGGER_PREFIX = 'rvf_capture_';

/** The capture machinery's own TEMP objects, which DDL on a user table may rewrite or drop. */
function isCaptureObject(name: string): boolean {
  return name === 'rvf_changed' || name === 'rvf_removed' || name.startsWith(TRIGGER_PREFIX);
}

export class EffectsCapture {
  readonly #db: Database.Database;
  /** The main and TEMP schema versions the triggers were made for. */
  #triggersFor = '';
  #mainBefore = new Map<string, SchemaObject>();
  #tempBefore = new Map<string, SchemaObject>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /**
   * Before the transaction: (re)creates the capture triggers when the schema
   * changed since they were made (a table created by an earlier write, or by
   * another connection replaying the log).
   */
  prepare(): void {
    const db = this.#db;
    const versions = (): string => `${String(db.pragma('main.schema_version', { simple: true }))}/${String(db.pragma('temp.schema_version', { simple: true }))}`;
    if (versions() === this.#triggersFor) return;
    // rvf_changed: rowids that may hold a row now; rvf_removed: rowids that may have lost theirs (a delete, or an
    // update that moved a row to another rowid). Most writes only insert or update in place, so the deletes
    // query reads an empty list instead of joining every changed row back to its table.
    db.exec('CREATE TEMP TABLE IF NOT EXISTS rvf_changed (tbl TEXT NOT NULL, rid INTEGER NOT NULL)');
    db.exec('CREATE TEMP TABLE IF NOT EXISTS rvf_removed (tbl TEXT NOT NULL, rid INTEGER NOT NULL)');
    const old = db.prepare(`SELECT name FROM temp.sqlite_temp_schema WHERE type = 'trigger' AND name LIKE '${TRIGGER_PREFIX}%'`).pluck().all() as string[];
    for (const name of old) db.exec(`DROP TRIGGER temp.${quoteIdent(name)}`);
    const tables = [...userTables(db), ...EFFECT_TABLES];
    tables.forEach((table, i) => {
      const t = quoteIdent(table);
      const lit = `'${table.replaceAll("'", "''")}'`;
      db.exec(
        `CREATE TEMP TRIGGER ${TRIGGER_PREFIX}${i}_i AFTER INSERT ON main.${t} BEGIN INSERT INTO rvf_changed VALUES (${lit}, NEW.rowid); END;` +
          `CREATE TEMP TRIGGER ${TRIGGER_PREFIX}${i}_d AFTER DELETE ON main.${t} BEGIN INSERT INTO rvf_removed VALUES (${lit}, OLD.rowid); END;` +
          `CREATE TEMP TRIGGER ${TRIGGER_PREFIX}${i}_u AFTER UPDATE ON main.${t} BEGIN INSERT INTO rvf_changed VALUES (${lit}, NEW.rowid); ` +
          `INSERT INTO rvf_removed SELECT ${lit}, OLD.rowid WHERE OLD.rowid IS NOT NEW.rowid; END;`,
      );
    });
    this.#triggersFor = versions();
  }

  /** Inside the transaction, before the write runs. */
  begin(): void {
    this.#db.exec('DELETE FROM temp.rvf_changed; DELETE FROM temp.rvf_removed');
    this.#mainBefore = schemaOf(this.#db, 'main');
    this.#tempBefore = schemaOf(this.#db, 'temp');
  }

  /**
   * Inside the transaction, after the write ran: its effects. `statement` is
   * the SQL text to record when the write changed the schema (user SQL only;
   * Cypher and SPARQL writes never do). Throws EffectsError for a schema change
   * the store cannot keep; the caller rolls back.
   */
  collect(statement: string | undefined): Effects {
    const db = this.#db;
    const ddl: string[] = [];
    const newTablesWithRows: string[] = [];
    const mainAfter = schemaOf(db, 'main');
    const changed = diff(this.#mainBefore, mainAfter);
    if (changed.length > 0) {
      if (statement === undefined) throw new EffectsError('the write changed the schema, which only SQL may do.');
      for (const o of changed) checkSchemaChange(db, o);
      const created = changed.filter((o) => !this.#mainBefore.has(`${o.type}:${o.name}`));
      if (created.length === changed.length) {
        // Only new objects: record their definitions as SQLite keeps them, and
        // the rows of new tables. Replaying the statement text of CREATE TABLE
        // ... AS SELECT would run its SELECT again, over later data.
        for (const o of created) if (o.sql !== null) ddl.push(o.sql);
        for (const o of created) {
          if (o.type === 'table' && db.prepare(`SELECT 1 FROM ${quoteIdent(o.name)} LIMIT 1`).get()) newTablesWithRows.push(o.name);
        }
      } else {
        // DROP and ALTER are deterministic as written.
        ddl.push(statement);
      }
    }
    const tempChanged = diff(this.#tempBefore, schemaOf(db, 'temp')).filter((o) => !isCaptureObject(o.name));
    if (tempChanged.length > 0) {
      throw new EffectsError('TEMP tables, views and triggers are not kept by the store; create regular tables instead.');
    }

    const tables: TableEffects[] = [];
    for (const name of newTablesWithRows) tables.push(this.#rowsOf(name, false));
    const touched = db.prepare('SELECT tbl FROM temp.rvf_changed UNION SELECT tbl FROM temp.rvf_removed ORDER BY tbl').pluck().all() as string[];
    for (const tbl of touched) {
      if (newTablesWithRows.includes(tbl) || !mainAfter.has(`table:${tbl}`)) continue; // whole table recorded, or dropped
      tables.push(this.#rowsOf(tbl, true));
    }
    db.exec('DELETE FROM temp.rvf_changed; DELETE FROM temp.rvf_removed');
    return { ddl, tables };
  }

  /**
   * The rows of `table` the write touched (all its rows when not `touched`) as
   * they are now; touched rows that are gone become deletes. Both are joined
   * to the change list inside SQLite: taking the rowids out to JS and back
   * as a JSON list cost a third of the capture of a 10,000-row write.
   */
  #rowsOf(table: string, touched: boolean): TableEffects {
    const db = this.#db;
    const columns = writableColumns(db, table);
    const t = quoteIdent(table);
    const cols = columns.map((c) => `t.${quoteIdent(c)}`).join(', ');
    if (!touched) {
      const upserts = db.prepare(`SELECT t.rowid, ${cols} FROM main.${t} t ORDER BY t.rowid`).safeIntegers(true).raw(true).all() as SqlValue[][];
      return { table, columns, upserts, deletes: [] };
    }
    const changed = 'SELECT DISTINCT rid FROM temp.rvf_changed WHERE tbl = ?';
    const removed = 'SELECT DISTINCT rid FROM temp.rvf_removed WHERE tbl = ?';
    const upserts = db.prepare(`SELECT t.rowid, ${cols} FROM (${changed}) c JOIN main.${t} t ON t.rowid = c.rid ORDER BY t.rowid`).safeIntegers(true).raw(true).all(table) as SqlValue[][];
    const deletes = db.prepare(`SELECT c.rid FROM (${removed}) c WHERE NOT EXISTS (SELECT 1 FROM main.${t} t WHERE t.rowid = c.rid) ORDER BY c.rid`).pluck().safeIntegers(true).all(table) as bigint[];
    return { table, columns, upserts, deletes };
  }
}

function diff(before: Map<string, SchemaObject>, after: Map<string, SchemaObject>): SchemaObject[] {
  const out: SchemaObject[] = [];
  for (const [key, o] of after) if (before.get(key)?.sql !== o.sql || !before.has(key)) out.push(o);
  for (const [key, o] of before) if (!after.has(key)) out.push(o);
  return out;
}

/** Schema changes the store can replay from its log, and only to the user's own objects. */
function checkSchemaChange(db: Database.Database, o: SchemaObject): void {
  if (INTERNAL_TABLES.includes(o.tbl_name.toLowerCase()) || INTERNAL_TABLES.includes(o.name.toLowerCase())) {
    throw new EffectsError(`${o.tbl_name} belongs to the store and cannot be altered, indexed or dropped through SQL.`, 'EREADONLY');
  }
  if (o.name.toLowerCase() === 'sqlite_sequence') {
    throw new EffectsError('AUTOINCREMENT is not supported: its counter (SQLite\'s sqlite_sequence table) is not kept in the store\'s log; declare the column INTEGER PRIMARY KEY, which numbers rows the same way but may reuse the id of a deleted last row.');
  }
  if (isReservedName(o.name) && !o.name.startsWith('sqlite_autoindex_')) {
    throw new EffectsError(`the name ${o.name} is reserved for the store (sqlite_, rvf_, graph_, rdf_); choose another.`);
  }
  if (o.type === 'trigger') {
    throw new EffectsError('triggers are not supported: the store replays the effects of writes, so a trigger would apply twice; write the rows directly.');
  }
  if (o.type === 'table') {
    const kind = db.prepare('SELECT type, wr FROM pragma_table_list WHERE schema = ? AND name = ?').safeIntegers(false).get('main', o.name) as { type: string; wr: number } | undefined;
    if (kind?.type === 'virtual') throw new EffectsError('virtual tables are not supported in a store; use a regular table.');
    if (kind?.wr === 1) throw new EffectsError('WITHOUT ROWID tables are not supported in a store (its log records rows by rowid); drop WITHOUT ROWID.');
  }
}

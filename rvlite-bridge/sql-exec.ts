import type Database from 'better-sqlite3';
import { INTERNAL_TABLES } from '../store/cache-schema.ts';
import { reader, writer } from './child-connections.ts';
import { isCacheTrouble } from './cache-trouble.ts';
import { QueryError } from './child-rpc.ts';
import { isBigIntParam, type QueryRequest, type QueryRows } from './query-protocol.ts';
import { capRows } from './result-rows.ts';
import { firstKeyword, isReadShaped } from './sql-guard.ts';
import { atExpectedCommit } from './expected-commit.ts';
import { inWriteTransaction } from './write-transaction.ts';
import { readOnlyMessage } from './read-only-words.ts';

/**
 * SQL in the query child. Reads run behind the guard combination of
 * deps-facts.md on a read-only connection. Writes (a --write server's writer
 * handle only) run on the writer connection, after three checks made by
 * SQLite itself rather than by reading the text: prepare() takes exactly one
 * statement; the compiled program (EXPLAIN) opens no write cursor on a table
 * of the store's or on the TEMP database; and the schema after the write
 * changed only user objects (store/effects-capture.ts).
 */

/** Every statement kind SQLite has, to tell a typo from a write. */
const SQL_STATEMENT_KEYWORDS = new Set([
  'SELECT', 'WITH', 'VALUES', 'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'CREATE', 'DROP', 'ALTER', 'ATTACH', 'DETACH', 'VACUUM',
  'PRAGMA', 'BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'ANALYZE', 'REINDEX', 'EXPLAIN',
]);

/** Statement kinds a write may be; the rest (ATTACH, VACUUM, PRAGMA, BEGIN, ...) act on more than rows and schema. */
const WRITE_KEYWORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'CREATE', 'DROP', 'ALTER', 'WITH']);

/** Who writes each of the store's tables other than vectors, for the refusal of an SQL write to one. */
const WRITTEN_BY: Readonly<Record<string, string>> = {
  graph_nodes: 'change the graph with rvlite_cypher',
  graph_labels: 'change the graph with rvlite_cypher',
  graph_rels: 'change the graph with rvlite_cypher',
  graph_ids: 'the graph keeps it as Cypher writes',
  rdf_quads: 'change triples with rvlite_sparql',
  rdf_version: 'SPARQL writes keep it',
  rvf_migrations: 'rvf migrate keeps it',
};

function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (isBigIntParam(value)) return BigInt(value.$bigint);
  // a whole JSON number binds as an INTEGER, as SQLite reads the literal 5 (better-sqlite3 binds a JS number as REAL)
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value !== null && typeof value === 'object') return JSON.stringify(value); // a vector for rvf_knn, a JSON document
  return value;
}

function bindParams(params: QueryRequest['params']): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params.map(bindable);
  return [Object.fromEntries(Object.entries(params).map(([k, v]) => [k.replace(/^[:@$]/, ''), bindable(v)]))];
}

function prepareOne(db: Database.Database, sql: string): Database.Statement {
  try {
    return db.prepare(sql);
  } catch (err) {
    const message = (err as Error).message;
    if (isCacheTrouble(err)) throw err;
    if (/more than one statement/i.test(message)) throw new QueryError('EINVAL', 'send one SQL statement per call (no semicolon-separated lists).');
    throw new QueryError('EINVAL', `SQLite refused the query: ${message}; fix it and retry.`);
  }
}

export function runSqlRequest(req: QueryRequest): QueryRows {
  if (!isReadShaped(req.text)) {
    if (!req.write) {
      // Never prepared here: SQLite runs some pragmas while compiling them.
      if (!SQL_STATEMENT_KEYWORDS.has(firstKeyword(req.text))) {
        throw new QueryError('EINVAL', `SQLite refused the query: no statement starts with ${JSON.stringify(firstKeyword(req.text) || req.text.trim().slice(0, 20))}; fix it and retry.`);
      }
      throw new QueryError('EREADONLY', readOnlyMessage(req.readOnlyContext, 'only SELECT, WITH and VALUES run'));
    }
    return writeSql(req);
  }
  const db = reader(req.db);
  const stmt = prepareOne(db, req.text);
  if (!stmt.readonly || !stmt.reader) {
    if (req.write && WRITE_KEYWORDS.has(firstKeyword(req.text))) return writeSql(req); // WITH ... INSERT
    if (req.write) throw new QueryError('EREADONLY', 'this statement could change the store; only reads are allowed in a read-shaped statement.');
    throw new QueryError('EREADONLY', readOnlyMessage(req.readOnlyContext, 'this statement could change the store'));
  }
  return atExpectedCommit(db, req, () => {
    const columns = stmt.columns().map((c) => c.name);
    return { columns, ...capRows(stmt.raw(true).iterate(...bindParams(req.params)) as IterableIterator<unknown[]>, req.rowCap, req.byteCap) };
  });
}

function writeSql(req: QueryRequest): QueryRows {
  const keyword = firstKeyword(req.text);
  if (!WRITE_KEYWORDS.has(keyword)) {
    throw new QueryError('EINVAL', `${keyword || 'this'} statements are not available through rvlite_sql; send one INSERT, UPDATE, DELETE, REPLACE, CREATE, DROP or ALTER statement.`);
  }
  const w = writer(req.db);
  w.capture.prepare();
  const stmt = prepareOne(w.db, req.text);
  const params = bindParams(req.params);
  checkWriteTargets(w.db, req.text, params);
  return inWriteTransaction(w, req, req.text, () => {
    if (stmt.reader) {
      // INSERT ... RETURNING: the rows come back; all of them run, only the capped ones are shown.
      const all = stmt.raw(true).all(...params) as unknown[][];
      const capped = capRows(all, req.rowCap, req.byteCap);
      return { columns: stmt.columns().map((c) => c.name), ...capped, changes: all.length };
    }
    const info = stmt.run(...params);
    return { columns: [], rows: [], truncated: false, changes: info.changes };
  });
}

/**
 * Refuses a statement whose compiled program writes a table of the store's
 * (vectors, graph, triples, state) or anything in TEMP or an attached
 * database, other than the capture tables the effects triggers fill (their
 * programs are listed too) and TEMP's schema table (where DDL rewrites the
 * triggers; a TEMP object a statement creates is refused after it runs, by
 * the schema comparison). OpenWrite opens a write cursor on a b-tree by
 * root page; Clear empties one; Destroy drops one.
 */
function checkWriteTargets(db: Database.Database, sql: string, params: unknown[]): void {
  const placeholders = INTERNAL_TABLES.map(() => '?').join(', ');
  const protectedRoots = new Map(
    (db.prepare(`SELECT rootpage, tbl_name FROM sqlite_schema WHERE lower(tbl_name) IN (${placeholders}) AND rootpage > 0`).safeIntegers(false).all(...INTERNAL_TABLES) as { rootpage: number; tbl_name: string }[]).map((r) => [r.rootpage, r.tbl_name]),
  );
  const captureRoots = new Set(db.prepare("SELECT rootpage FROM temp.sqlite_temp_schema WHERE name IN ('rvf_changed', 'rvf_removed')").pluck().safeIntegers(false).all() as number[]);
  const program = db.prepare(`EXPLAIN ${sql}`).safeIntegers(false).all(...params) as { opcode: string; p1: number; p2: number; p3: number; p5: number }[];
  for (const op of program) {
    let root: number | undefined;
    let dbIndex = 0;
    if (op.opcode === 'OpenWrite' && (op.p5 & 0x10) === 0) [root, dbIndex] = [op.p2, op.p3];
    else if (op.opcode === 'Clear') [root, dbIndex] = [op.p1, op.p2];
    else if (op.opcode === 'Destroy') [root, dbIndex] = [op.p1, op.p3];
    // DDL on a user table rewrites its capture triggers, which live in TEMP's schema table (root page 1).
    if (root === undefined || (dbIndex === 1 && (captureRoots.has(root) || (root === 1 && op.opcode === 'OpenWrite')))) continue;
    if (dbIndex !== 0) throw new QueryError('EINVAL', 'writes go to the store\'s own tables only, not to TEMP or attached databases; create a regular table.');
    const table = protectedRoots.get(root);
    if (table === 'vectors') throw new QueryError('EREADONLY', 'the vectors table changes only through the rvf_* tools (rvf_ingest, rvf_delete); SQL can read it but not write it.');
    if (table !== undefined) throw new QueryError('EREADONLY', `${table} belongs to the store; SQL can read it but not write it (${WRITTEN_BY[table] ?? 'the store keeps it itself'}).`);
  }
}

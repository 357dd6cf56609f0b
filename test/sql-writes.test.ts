/**
 * SQL writes through the .rvf log, at library level: runQuery(db, 'sql', ...,
 * {write: true}) on real RvfDatabase handles, the real SQLite cache, the real
 * WASM engine and the real query child processes.
 *
 * - every kind of write (DDL, DML, RETURNING, WITH ... INSERT, CREATE TABLE AS
 *   SELECT with random(), datetime('now'), BLOB/REAL/big INTEGER/NULL/±Inf)
 *   commits exactly one epoch and grows the file; a write that changes nothing
 *   commits nothing and leaves the file's bytes alone;
 * - the tables are rebuilt from the log alone, identically (rows, rowids,
 *   typeof() of every value, sqlite_schema): after deleting the cache, on a
 *   writer and on a reader, after compaction, in a derived child and in an
 *   export; compaction bounds a log of many updates of the same rows;
 * - the native reader (@ruvector/rvf-node) still reads the vectors of a file
 *   holding effects records, before and after compaction;
 * - refusals, each with its error code, none changing a byte of the .rvf or a
 *   row of any table;
 * - a reader beside the writer keeps answering at its own epoch until refreshed;
 * - a cache left behind the log is replayed forward from the effects records;
 * - two write shapes that the log does not carry faithfully (see the tests).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery, type QueryParams, type QueryRows } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase, type RvfErrorCode } from '../store/index.ts';
import { EFFECT_TABLES, INTERNAL_TABLES } from '../store/cache-schema.ts';
import { expectRvfError, squaredL2 } from './helpers/assertions.ts';
import { randomVectors } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const require = createRequire(import.meta.url);
const native = require('@ruvector/rvf-node') as typeof import('@ruvector/rvf-node');

const DIM = 8;
const ROOT = tempDir('rvf-sql-writes-');
const BIG = (1n << 62n) + 1n;

after(() => queryRunner().close());

// ------------------------------------------------------------ helpers

function w(db: RvfDatabase, sql: string, params?: QueryParams): Promise<QueryRows> {
  return runQuery(db, 'sql', sql, params, { write: true });
}

function r(db: RvfDatabase, sql: string, params?: QueryParams): Promise<QueryRows> {
  return runQuery(db, 'sql', sql, params, { write: false });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function size(path: string): number {
  return statSync(path).size;
}

function removeCache(path: string): void {
  for (const suffix of ['.sqlite', '.sqlite-wal', '.sqlite-shm']) rmSync(`${path}${suffix}`, { force: true });
  assert.ok(!existsSync(`${path}.sqlite`), 'the cache file is gone');
}

function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

interface Dump {
  schema: unknown[][];
  tables: Record<string, { columns: string[]; rows: unknown[][] }>;
}

/**
 * Everything SQL can see of the user tables and the graph/triple tables: the
 * schema (sqlite_schema without root pages), and per table every row by rowid
 * with each value and its typeof(). Read through runQuery, i.e. the handle's
 * own view at its epoch.
 */
async function dump(db: RvfDatabase): Promise<Dump> {
  const schema = (await r(db, 'SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name')).rows;
  const names = schema
    .filter((row) => row[0] === 'table' && !String(row[1]).startsWith('sqlite_') && !INTERNAL_TABLES.includes(String(row[1]).toLowerCase()))
    .map((row) => String(row[1]));
  const tables: Dump['tables'] = {};
  for (const name of [...names, ...EFFECT_TABLES]) {
    const columns = (await r(db, 'SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid', [name])).rows.map((c) => String(c[0]));
    const select = columns.flatMap((c) => [q(c), `typeof(${q(c)})`]).join(', ');
    const res = await r(db, `SELECT rowid, ${select} FROM ${q(name)} ORDER BY rowid`);
    assert.equal(res.truncated, false, `${name}: the dump was cut`);
    tables[name] = { columns, rows: res.rows };
  }
  return { schema, tables };
}

async function epochOf(db: RvfDatabase): Promise<number> {
  return (await db.status()).epoch;
}

/** Runs one write that must commit exactly one new epoch and grow the file. */
async function commits(db: RvfDatabase, sql: string, params?: QueryParams): Promise<QueryRows> {
  const before = await epochOf(db);
  const bytes = size(db.path);
  const res = await w(db, sql, params);
  assert.equal(res.epoch, before + 1, `${sql}: expected epoch ${before + 1}, got ${JSON.stringify(res)}`);
  assert.equal(await epochOf(db), before + 1, `${sql}: the handle's epoch`);
  assert.ok(size(db.path) > bytes, `${sql}: the .rvf grew`);
  return res;
}

/** Runs one write that must change nothing: no epoch, the .rvf byte for byte the same. */
async function noop(db: RvfDatabase, sql: string, params?: QueryParams): Promise<void> {
  const before = await epochOf(db);
  const hash = sha256(db.path);
  const res = await w(db, sql, params);
  assert.equal(res.epoch, undefined, `${sql}: a write that changes nothing returns no epoch, got ${JSON.stringify(res)}`);
  assert.equal(await epochOf(db), before, `${sql}: the epoch moved`);
  assert.equal(sha256(db.path), hash, `${sql}: the .rvf changed`);
}

function vectorsFor(n: number, seed: number): { id: number; vector: Float32Array; metadata: { i: number; topic: string } }[] {
  return randomVectors(n, DIM, seed).map((vector, i) => ({ id: i + 1, vector, metadata: { i, topic: i % 2 ? 'odd' : 'even' } }));
}

/** The native reader sees exactly `model`: its count, and the brute-force top 10 of a few queries. */
function assertNative(path: string, model: Map<number, Float32Array>, where: string): void {
  const nat = native.RvfDatabase.openReadonly(path);
  try {
    assert.equal(nat.status().totalVectors, model.size, `${where}: native live count`);
    for (const [qi, qv] of randomVectors(5, DIM, 777).entries()) {
      const want = [...model].map(([id, v]) => ({ id, d: squaredL2(v, qv) })).sort((a, b) => a.d - b.d).slice(0, 10);
      const got = nat.query(qv, 10);
      assert.deepEqual(got.map((h) => h.id), want.map((h) => h.id), `${where}, query ${qi}: native top 10`);
      got.forEach((h, i) => assert.ok(Math.abs(h.distance - (want[i] as { d: number }).d) <= 1e-5 * Math.max(1, h.distance), `${where}: distance`));
    }
    const all = nat.query(randomVectors(1, DIM, 5)[0] as Float32Array, model.size + 20).map((h) => h.id);
    assert.deepEqual([...all].sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b), `${where}: native live ids`);
  } finally {
    nat.close();
  }
}

// ------------------------------------------------------------ 1 + 2. every write kind, then the log alone rebuilds it

const MAIN = join(ROOT, 'main.rvf');
let mainDb: RvfDatabase;
let mainModel: Map<number, Float32Array>;

test('every kind of SQL write commits exactly one epoch; a write that changes nothing commits nothing', async (t: TestContext) => {
  mainDb = await RvfDatabase.create(MAIN, { dimensions: DIM, metric: 'l2' });
  const vecs = vectorsFor(40, 11);
  await mainDb.ingestBatch(vecs);
  mainModel = new Map(vecs.map((e) => [e.id, e.vector]));
  const db = mainDb;
  const step = (name: string, fn: () => Promise<void>) => t.test(name, fn);

  await step('CREATE TABLE', async () => {
    await commits(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE, n INTEGER, score REAL, extra TEXT, data BLOB, at TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))");
    assert.deepEqual((await r(db, "SELECT name FROM sqlite_schema WHERE name = 'notes'")).rows, [['notes']]);
  });
  await step('INSERT with positional params', async () => {
    const res = await commits(db, 'INSERT INTO notes (body, n, score) VALUES (?, ?, ?), (?, ?, ?)', ['alpha', 1, 0.5, 'beta', 2, 1.25]);
    assert.equal(res.changes, 2);
    assert.deepEqual((await r(db, 'SELECT body, n, typeof(n), score FROM notes ORDER BY id')).rows, [['alpha', 1, 'integer', 0.5], ['beta', 2, 'integer', 1.25]]);
  });
  await step('INSERT with :named params, a big INTEGER (2^62+1), a BLOB, a REAL, NULLs, ±Inf', async () => {
    await commits(db, "INSERT INTO notes (body, n, score, extra, data) VALUES (:body, :n, :score, NULL, x'00ff10ee')", { body: 'gamma', n: BIG, score: -2.5e-300 });
    await commits(db, 'INSERT INTO notes (body, n, score, data) VALUES (@body, NULL, 9e999, randomblob(24)), ($b2, -9223372036854775808, -9e999, zeroblob(3))', { body: 'delta', b2: 'epsilon' });
    const rows = (await r(db, "SELECT body, n, typeof(n), score, typeof(score), typeof(data), length(data), score > 1e308, score < -1e308 FROM notes WHERE body IN ('gamma', 'delta', 'epsilon') ORDER BY id")).rows;
    assert.deepEqual(rows[0], ['gamma', BIG.toString(), 'integer', -2.5e-300, 'real', 'blob', 4, 0, 0]);
    assert.deepEqual([rows[1]?.[0], rows[1]?.[1], rows[1]?.[2], rows[1]?.[4], rows[1]?.[5], rows[1]?.[6], rows[1]?.[7]], ['delta', null, 'null', 'real', 'blob', 24, 1], '+Inf');
    assert.deepEqual([rows[2]?.[0], rows[2]?.[1], rows[2]?.[2], rows[2]?.[4], rows[2]?.[5], rows[2]?.[6], rows[2]?.[8]], ['epsilon', '-9223372036854775808', 'integer', 'real', 'blob', 3, 1], '-Inf');
  });
  await step('UPDATE', async () => {
    const res = await commits(db, 'UPDATE notes SET score = score * 2, n = n + 10 WHERE body = :b', { b: 'beta' });
    assert.equal(res.changes, 1);
    assert.deepEqual((await r(db, "SELECT n, score FROM notes WHERE body = 'beta'")).rows, [[12, 2.5]]);
  });
  await step('DELETE', async () => {
    await commits(db, 'INSERT INTO notes (body, n) VALUES (?, ?)', ['doomed', 99]);
    const res = await commits(db, 'DELETE FROM notes WHERE body = ?', ['doomed']);
    assert.equal(res.changes, 1);
    assert.deepEqual((await r(db, "SELECT count(*) FROM notes WHERE body = 'doomed'")).rows, [[0]]);
  });
  await step('REPLACE (same rowid, and a UNIQUE conflict that removes another row)', async () => {
    await commits(db, 'REPLACE INTO notes (id, body, n, score) VALUES (1, ?, 7, 0.75)', ['alpha2']);
    await commits(db, "REPLACE INTO notes (id, body, n) VALUES (100, 'gamma', 100)");
    const rows = (await r(db, 'SELECT id, body, n FROM notes ORDER BY id')).rows;
    assert.deepEqual(rows.map((x) => x[1]), ['alpha2', 'beta', 'delta', 'epsilon', 'gamma']);
    assert.deepEqual(rows.at(-1), [100, 'gamma', 100]);
  });
  await step('INSERT ... RETURNING (with random())', async () => {
    const res = await commits(db, "INSERT INTO notes (body, n) VALUES ('ret1', random()), ('ret2', random()) RETURNING id, body, n");
    assert.deepEqual(res.columns, ['id', 'body', 'n']);
    assert.equal(res.rows.length, 2);
    const stored = (await r(db, "SELECT id, body, n FROM notes WHERE body LIKE 'ret%' ORDER BY id")).rows;
    assert.deepEqual(stored, res.rows, 'the returned rows are the stored ones');
  });
  await step('ALTER TABLE ADD COLUMN', async () => {
    await commits(db, "ALTER TABLE notes ADD COLUMN tag TEXT DEFAULT 'none'");
    assert.deepEqual((await r(db, 'SELECT DISTINCT tag FROM notes')).rows, [['none']]);
  });
  await step('ALTER TABLE RENAME COLUMN', async () => {
    await commits(db, 'CREATE TABLE shape (a INTEGER, b TEXT, c REAL)');
    await commits(db, "INSERT INTO shape VALUES (1, 'x', 0.5), (2, 'y', NULL)");
    await commits(db, 'ALTER TABLE shape RENAME COLUMN b TO label');
    assert.deepEqual((await r(db, 'SELECT a, label FROM shape ORDER BY a')).rows, [[1, 'x'], [2, 'y']]);
  });
  await step('ALTER TABLE DROP COLUMN', async () => {
    await commits(db, 'CREATE TABLE shape2 (a INTEGER, b TEXT, c REAL)');
    await commits(db, "INSERT INTO shape2 VALUES (1, 'x', 0.5), (2, 'y', NULL)");
    await commits(db, 'ALTER TABLE shape2 DROP COLUMN c');
    assert.deepEqual((await r(db, 'SELECT * FROM shape2 ORDER BY a')).rows, [[1, 'x'], [2, 'y']]);
  });
  await step('ALTER TABLE RENAME TO', async () => {
    await commits(db, 'CREATE TABLE old_name (x INTEGER, y TEXT)');
    await commits(db, "INSERT INTO old_name VALUES (1, 'one'), (2, 'two')");
    await commits(db, 'ALTER TABLE old_name RENAME TO renamed');
    assert.deepEqual((await r(db, 'SELECT x, y FROM renamed ORDER BY x')).rows, [[1, 'one'], [2, 'two']]);
    await commits(db, "INSERT INTO renamed VALUES (3, 'three')");
  });
  await step('UPDATE that moves rows to other rowids (the old rowids are gone: deletes in the record)', async () => {
    await commits(db, 'CREATE TABLE moved (id INTEGER PRIMARY KEY, v TEXT)');
    await commits(db, "INSERT INTO moved VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    const res = await commits(db, 'UPDATE moved SET id = id + 10 WHERE id < 3');
    assert.equal(res.changes, 2);
    assert.deepEqual((await r(db, 'SELECT id, v FROM moved ORDER BY id')).rows, [[3, 'c'], [11, 'a'], [12, 'b']]);
  });
  await step('CREATE INDEX', async () => {
    await commits(db, 'CREATE INDEX notes_score ON notes (score)');
    await commits(db, 'CREATE UNIQUE INDEX notes_tag_body ON notes (tag, body)');
  });
  await step('CREATE VIEW', async () => {
    await commits(db, 'CREATE VIEW v_scored AS SELECT body, score FROM notes WHERE score IS NOT NULL');
    assert.ok((await r(db, 'SELECT count(*) FROM v_scored')).rows[0]?.[0] as number >= 2);
  });
  await step('DROP TABLE', async () => {
    await commits(db, 'CREATE TABLE doomed (x)');
    await commits(db, 'INSERT INTO doomed VALUES (1), (2)');
    await commits(db, 'DROP TABLE doomed');
    assert.deepEqual((await r(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'doomed'")).rows, [[0]]);
  });
  await step('CREATE TABLE AS SELECT with random()', async () => {
    await commits(db, 'CREATE TABLE rand AS SELECT id, random() AS r, abs(random()) % 1000 AS m, body FROM notes');
    const n = (await r(db, 'SELECT count(*) FROM notes')).rows[0]?.[0];
    assert.deepEqual((await r(db, 'SELECT count(*) FROM rand')).rows, [[n]]);
  });
  await step("a row with datetime('now') (and sub-second time)", async () => {
    await commits(db, 'CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT, ms TEXT, jd REAL)');
    await commits(db, "INSERT INTO events (at, ms, jd) VALUES (datetime('now'), strftime('%Y-%m-%d %H:%M:%f', 'now'), julianday('now'))");
    const [row] = (await r(db, 'SELECT at, typeof(jd) FROM events')).rows;
    assert.match(String(row?.[0]), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal(row?.[1], 'real');
  });
  await step('WITH ... INSERT', async () => {
    const res = await commits(db, "WITH s(x) AS (VALUES (10), (11), (12)) INSERT INTO notes (body, n, score) SELECT 'w' || x, x, x / 4.0 FROM s");
    assert.equal(res.changes, 3);
    assert.deepEqual((await r(db, "SELECT body, n, score FROM notes WHERE body LIKE 'w%' ORDER BY body")).rows, [['w10', 10, 2.5], ['w11', 11, 2.75], ['w12', 12, 3]]);
  });
  await step('writes that change nothing: no epoch, no byte appended', async () => {
    await noop(db, 'UPDATE notes SET score = 0 WHERE 0');
    await noop(db, 'CREATE TABLE IF NOT EXISTS notes (a)');
    await noop(db, "DELETE FROM notes WHERE body = 'no such body'");
    await noop(db, 'DROP TABLE IF EXISTS no_such_table');
    await noop(db, 'CREATE INDEX IF NOT EXISTS notes_score ON notes (score)');
  });
});

test('after all of it the log alone rebuilds every table, row, value type and the schema: writer and reader after deleting the cache, after compaction, in a derived child and an export', async () => {
  const db0 = mainDb;
  // A long history of updates of the same rows, which compaction must fold.
  await commits(db0, "CREATE TABLE counters (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL, pad TEXT)");
  await commits(db0, "INSERT INTO counters (hits, pad) SELECT 0, hex(randomblob(200)) FROM (WITH RECURSIVE c(i) AS (VALUES (1) UNION ALL SELECT i + 1 FROM c WHERE i < 20) SELECT i FROM c)");
  for (let i = 0; i < 60; i++) await commits(db0, 'UPDATE counters SET hits = hits + 1, pad = hex(randomblob(200))');
  const expected = await dump(db0);
  assert.ok(Object.keys(expected.tables).includes('counters') && (expected.tables['counters']?.rows.length ?? 0) === 20, 'the dump holds the counters');
  const epoch = await epochOf(db0);
  await db0.close();

  removeCache(MAIN);
  const ro = await RvfDatabase.openReadonly(MAIN);
  assert.equal(await epochOf(ro), epoch);
  assert.deepEqual(await dump(ro), expected, 'a reader with no cache to share rebuilds the same tables');
  await ro.close();

  removeCache(MAIN);
  let db = await RvfDatabase.open(MAIN, { onWarning: () => undefined });
  assert.equal(await epochOf(db), epoch);
  assert.deepEqual(await dump(db), expected, 'a writer rebuilds its cache file with the same tables');

  const before = size(MAIN);
  await db.compact();
  const compacted = size(MAIN);
  assert.ok(compacted < before / 2, `compaction folds the history of updates: ${before} -> ${compacted} bytes`);
  assert.deepEqual(await dump(db), expected, 'right after compaction');
  await db.close();
  removeCache(MAIN);
  db = await RvfDatabase.open(MAIN, { onWarning: () => undefined });
  assert.deepEqual(await dump(db), expected, 'compacted, cache deleted, reopened as writer');
  await db.close();
  removeCache(MAIN);
  const ro2 = await RvfDatabase.openReadonly(MAIN);
  assert.deepEqual(await dump(ro2), expected, 'compacted, cache deleted, reopened as reader');
  await ro2.close();

  db = await RvfDatabase.open(MAIN, { onWarning: () => undefined });
  const child = join(ROOT, 'child.rvf');
  const copy = join(ROOT, 'copy.rvf');
  await db.derive(child);
  await db.export(copy);
  // A write after derive/export must not leak into them.
  await commits(db, "INSERT INTO notes (body) VALUES ('after-copies')");
  mainDb = db;
  for (const [what, path] of [['derived child', child], ['export', copy]] as const) {
    const c = await RvfDatabase.openReadonly(path);
    assert.deepEqual(await dump(c), expected, `${what}, read-only`);
    await c.close();
    removeCache(path);
    const cw = await RvfDatabase.open(path, { onWarning: () => undefined });
    assert.deepEqual(await dump(cw), expected, `${what}, writer`);
    assert.equal((await cw.status()).totalVectors, mainModel.size, `${what}: vectors`);
    await cw.close();
  }
});

// ------------------------------------------------------------ 3. the native reader

test('the native reader opens a file holding SQL effects records and sees exactly the vectors, before and after compaction', async () => {
  const path = join(ROOT, 'native.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  const model = new Map<number, Float32Array>();
  const vecs = vectorsFor(60, 21);
  await db.ingestBatch(vecs.slice(0, 30));
  for (const e of vecs.slice(0, 30)) model.set(e.id, e.vector);
  await commits(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  for (let i = 0; i < 10; i++) await commits(db, 'INSERT INTO t (v) VALUES (hex(randomblob(100)))');
  await db.ingestBatch(vecs.slice(30));
  for (const e of vecs.slice(30)) model.set(e.id, e.vector);
  await commits(db, 'UPDATE t SET v = v || v');
  await db.delete([3, 4, 40]);
  for (const id of [3, 4, 40]) model.delete(id);
  // The last commit is an effects record: the native reader must find the manifest after it.
  await commits(db, 'DELETE FROM t WHERE id % 2 = 0');
  assertNative(path, model, 'log with effects records');
  await db.compact();
  assertNative(path, model, 'compacted');
  await commits(db, "INSERT INTO t (v) VALUES ('after compaction')");
  assertNative(path, model, 'compacted, then an SQL write');
  assert.deepEqual((await r(db, 'SELECT count(*) FROM t')).rows, [[6]]);
  await db.close();
});

// ------------------------------------------------------------ 4. refusals

test('refusals: each with its error code, none changing a byte of the .rvf or any table', async (t: TestContext) => {
  const path = join(ROOT, 'refuse.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await db.ingestBatch(vectorsFor(10, 31));
  await commits(db, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)');
  await commits(db, "INSERT INTO notes (body) VALUES ('a'), ('b')");
  const vectorsBefore = (await r(db, 'SELECT id, metadata, epoch FROM vectors ORDER BY id')).rows;
  const cacheStateBefore = (await r(db, 'SELECT * FROM cache_state')).rows;

  const refused = async (sql: string, code: RvfErrorCode | RvfErrorCode[], options: { write?: boolean; message?: RegExp; db?: RvfDatabase } = {}): Promise<void> => {
    await t.test(`${String(code)}: ${sql}${options.write === false ? ' (write: false)' : ''}${options.db ? ' (reader)' : ''}`, async () => {
      const hash = sha256(path);
      const epoch = await epochOf(db);
      const tablesBefore = await dump(db);
      const err = await expectRvfError(runQuery(options.db ?? db, 'sql', sql, undefined, { write: options.write ?? true }), code, sql);
      if (options.message) assert.match(err.message, options.message, sql);
      assert.equal(sha256(path), hash, `${sql}: the .rvf changed`);
      assert.equal(await epochOf(db), epoch, `${sql}: the epoch moved`);
      assert.deepEqual(await dump(db), tablesBefore, `${sql}: a table changed`);
      assert.deepEqual((await r(db, 'SELECT id, metadata, epoch FROM vectors ORDER BY id')).rows, vectorsBefore, `${sql}: vectors changed`);
      assert.deepEqual((await r(db, 'SELECT * FROM cache_state')).rows, cacheStateBefore, `${sql}: cache_state changed`);
    });
  };

  // The store's own tables: SQL may read them, never write them.
  for (const sql of [
    "INSERT INTO vectors (id, metadata, epoch) VALUES (999, NULL, 0)",
    'UPDATE vectors SET metadata = NULL',
    'DELETE FROM vectors WHERE id = 1',
    'DELETE FROM vectors',
    'DROP TABLE vectors',
    "INSERT INTO graph_nodes (props) VALUES ('{}')",
    "UPDATE graph_rels SET type = 'X'",
    'DELETE FROM graph_rels',
    "INSERT INTO rdf_quads (s, p, o) VALUES ('<a>', '<b>', '<c>')",
    'DELETE FROM rdf_quads',
    'UPDATE cache_state SET epoch = epoch + 1',
    'DELETE FROM cache_state',
    "INSERT OR REPLACE INTO cache_state (one, epoch, commit_hash, file_id, schema_version) VALUES (1, 0, '', '', 0)",
  ]) {
    await refused(sql, 'EREADONLY');
  }
  // Schema changes to them: refused as a write to a read-only table, or as an invalid statement, naming the table.
  for (const [sql, table] of [
    ['ALTER TABLE vectors ADD COLUMN x TEXT', 'vectors'],
    ['ALTER TABLE vectors RENAME TO v2', 'vectors'],
    ['CREATE INDEX vec_meta ON vectors (metadata)', 'vectors'],
    ['DROP TABLE graph_rels', 'graph_rels'],
    ['ALTER TABLE graph_nodes RENAME COLUMN props TO p', 'graph_nodes'],
    ['CREATE INDEX rdf_o ON rdf_quads (o)', 'rdf_quads'],
    ['DROP TABLE cache_state', 'cache_state'],
  ] as const) {
    await refused(sql, ['EREADONLY', 'EINVAL'], { message: new RegExp(`\\b${table}\\b`) });
  }
  for (const sql of [
    'CREATE TRIGGER tr AFTER INSERT ON notes BEGIN SELECT 1; END',
    'CREATE TEMP TABLE tt (x)',
    'CREATE TEMP TABLE tt2 AS SELECT * FROM notes',
    'CREATE TEMP VIEW tv AS SELECT 1',
    'CREATE VIRTUAL TABLE vt USING fts5(x)',
    `ATTACH DATABASE '${join(ROOT, 'attached.db')}' AS other`,
    'DETACH DATABASE other',
    'VACUUM',
    `VACUUM INTO '${join(ROOT, 'vacuumed.db')}'`,
    'PRAGMA user_version = 7',
    'PRAGMA journal_mode = DELETE',
    'PRAGMA foreign_keys = OFF',
    'BEGIN',
    'BEGIN IMMEDIATE',
    'COMMIT',
    'ROLLBACK',
    "INSERT INTO notes (body) VALUES ('c'); INSERT INTO notes (body) VALUES ('d')",
    "INSERT INTO notes (body) VALUES ('c'); DROP TABLE notes",
    'CREATE TABLE rvf_mine (x)',
    'CREATE TABLE graph_mine (x)',
    'CREATE TABLE rdf_mine (x)',
    'CREATE TABLE RVF_upper (x)',
    'CREATE INDEX rvf_idx ON notes (body)',
    'CREATE VIEW graph_view AS SELECT 1',
    'ALTER TABLE notes RENAME TO rdf_notes',
  ]) {
    await refused(sql, 'EINVAL');
  }
  await refused("INSERT INTO notes (body) VALUES ('a')", 'EINVAL', { message: /UNIQUE/ });
  // The first row alone would be fine: a failing statement commits none of its rows.
  await refused("INSERT INTO notes (body) VALUES ('fresh'), ('b')", 'EINVAL', { message: /UNIQUE/ });
  await refused("UPDATE notes SET body = 'a'", 'EINVAL', { message: /UNIQUE/ });
  await refused("INSERT INTO notes (body) VALUES ('x')", 'EREADONLY', { write: false });
  await refused("WITH s(x) AS (VALUES ('y')) INSERT INTO notes (body) SELECT x FROM s", 'EREADONLY', { write: false });
  await refused('CREATE TABLE other (x)', 'EREADONLY', { write: false });
  await refused('DROP TABLE notes', 'EREADONLY', { write: false });
  const reader = await RvfDatabase.openReadonly(path);
  await refused("INSERT INTO notes (body) VALUES ('x')", 'EREADONLY', { db: reader });
  await reader.close();

  assert.ok(!existsSync(join(ROOT, 'attached.db')), 'ATTACH created no file');
  assert.ok(!existsSync(join(ROOT, 'vacuumed.db')), 'VACUUM INTO created no file');
  // The writer still writes, and nothing refused shows up after a rebuild from the log.
  await commits(db, "INSERT INTO notes (body) VALUES ('c')");
  const expected = await dump(db);
  await db.close();
  removeCache(path);
  const again = await RvfDatabase.open(path, { onWarning: () => undefined });
  assert.deepEqual(await dump(again), expected);
  assert.deepEqual((await r(again, 'SELECT body FROM notes ORDER BY id')).rows, [['a'], ['b'], ['c']]);
  await again.close();
});

// ------------------------------------------------------------ 5. readers beside the writer

test('a reader beside the writer: its own epoch until refresh(), every SQL answer is the state of exactly the epoch it then reports; after refresh() it sees new tables and rows', async () => {
  const path = join(ROOT, 'readers.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await db.ingestBatch(vectorsFor(5, 41));
  /** epoch -> the rows of t (undefined: no table yet) */
  const states = new Map<number, unknown[][] | undefined>([[await epochOf(db), undefined]]);
  const snap = async (): Promise<void> => {
    const has = (await r(db, "SELECT count(*) FROM sqlite_schema WHERE name = 't'")).rows[0]?.[0] === 1;
    states.set(await epochOf(db), has ? (await r(db, 'SELECT id, v FROM t ORDER BY id')).rows : undefined);
  };
  const early = await RvfDatabase.openReadonly(path); // before the table exists
  const e0 = await epochOf(early);
  await commits(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  await snap();
  await commits(db, "INSERT INTO t (v) VALUES ('one'), ('two')");
  await snap();
  const mid = await RvfDatabase.openReadonly(path);
  const e1 = await epochOf(mid);
  assert.deepEqual((await r(mid, 'SELECT id, v FROM t ORDER BY id')).rows, [[1, 'one'], [2, 'two']]);
  await commits(db, "INSERT INTO t (v) VALUES ('three')");
  await snap();
  await commits(db, 'UPDATE t SET v = upper(v) WHERE id = 1');
  await snap();

  // Without a refresh, the handles stay where they were.
  assert.equal(await epochOf(early), e0, 'early reader epoch');
  assert.equal(await epochOf(mid), e1, 'mid reader epoch');
  // A SQL answer is the state of one epoch: the one the reader reports right after it.
  for (const [name, reader] of [['early', early], ['mid', mid]] as const) {
    const res = await r(reader, "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 't') THEN (SELECT json_group_array(json_array(id, v)) FROM (SELECT id, v FROM t ORDER BY id)) END");
    const at = await epochOf(reader);
    assert.ok(states.has(at), `${name}: answered at epoch ${at}, which no commit made`);
    const want = states.get(at);
    assert.deepEqual(res.rows[0]?.[0] === null ? undefined : JSON.parse(String(res.rows[0]?.[0])), want, `${name}: rows of epoch ${at}`);
  }

  const newest = [[1, 'ONE'], [2, 'two'], [3, 'three']];
  for (const [name, reader] of [['early', early], ['mid', mid]] as const) {
    await reader.refresh();
    assert.equal(await epochOf(reader), await epochOf(db), `${name}: at the writer's epoch after refresh`);
    assert.deepEqual((await r(reader, 'SELECT id, v FROM t ORDER BY id')).rows, newest, `${name} after refresh`);
    assert.deepEqual(await dump(reader), await dump(db), `${name}: everything equal to the writer`);
  }
  await commits(db, 'DELETE FROM t WHERE id = 2');
  assert.equal(await epochOf(mid), await epochOf(db) - 1, 'the reader did not move by itself');
  assert.equal(await mid.refresh(), true);
  assert.deepEqual((await r(mid, 'SELECT id FROM t ORDER BY id')).rows, [[1], [3]]);
  await early.close();
  await mid.close();
  await db.close();
});

// ------------------------------------------------------------ 6. a cache behind the log

test('a cache left behind the log (a copy from an older epoch) is replayed forward from the effects records on open', async () => {
  const path = join(ROOT, 'behind.rvf');
  let db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await db.ingestBatch(vectorsFor(10, 51));
  await commits(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, r INTEGER, s TEXT)');
  await commits(db, "INSERT INTO t (r, s) VALUES (random(), 'a'), (random(), 'b')");
  const oldEpoch = await epochOf(db);
  const backup = join(ROOT, 'behind-cache.backup');
  const src = new Database(`${path}.sqlite`, { readonly: true, fileMustExist: true });
  src.exec(`VACUUM INTO '${backup}'`);
  src.close();
  await commits(db, "UPDATE t SET r = random(), s = s || '!' WHERE id = 1");
  await commits(db, 'DELETE FROM t WHERE id = 2');
  await commits(db, 'CREATE TABLE u AS SELECT random() AS z, s FROM t');
  await commits(db, 'ALTER TABLE t ADD COLUMN extra REAL DEFAULT 0.5');
  await commits(db, "INSERT INTO t (r, s) VALUES (random(), 'c')");
  await db.ingestBatch([{ id: 500, vector: randomVectors(1, DIM, 52)[0] as Float32Array, metadata: { late: true } }]);
  const expected = await dump(db);
  const expectedVectors = (await r(db, 'SELECT id, metadata FROM vectors ORDER BY id')).rows;
  const epoch = await epochOf(db);
  await db.close();

  removeCache(path);
  copyFileSync(backup, `${path}.sqlite`);
  const peek = new Database(`${path}.sqlite`, { readonly: true });
  assert.equal((peek.prepare('SELECT epoch FROM cache_state').get() as { epoch: number }).epoch, oldEpoch, 'the restored cache is behind');
  peek.close();

  const warnings: string[] = [];
  db = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
  assert.equal(await epochOf(db), epoch);
  assert.deepEqual(await dump(db), expected, 'the tables caught up');
  assert.deepEqual((await r(db, 'SELECT id, metadata FROM vectors ORDER BY id')).rows, expectedVectors);
  await db.close();
  const after = new Database(`${path}.sqlite`, { readonly: true });
  assert.equal((after.prepare('SELECT epoch FROM cache_state').get() as { epoch: number }).epoch, epoch, 'the cache file is at the file\'s epoch');
  after.close();
  assert.deepEqual(warnings, [], 'a cache that is merely behind is replayed without warnings');
});

// ------------------------------------------------------------ write shapes the log must carry faithfully

test('CREATE TABLE AS SELECT over vectors that selects no rows stays empty after a rebuild from the log, even once vectors exist', async () => {
  const path = join(ROOT, 'ctas.rvf');
  let db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await commits(db, 'CREATE TABLE snap AS SELECT id, metadata FROM vectors');
  await db.ingestBatch(vectorsFor(3, 61));
  assert.deepEqual((await r(db, 'SELECT count(*) FROM snap')).rows, [[0]]);
  const expected = await dump(db);
  await db.close();
  removeCache(path);
  db = await RvfDatabase.open(path, { onWarning: () => undefined });
  assert.deepEqual((await r(db, 'SELECT count(*) FROM snap')).rows, [[0]], 'snap was empty when it was created and nothing wrote to it since');
  assert.deepEqual(await dump(db), expected);
  await db.close();
});

test('a WITHOUT ROWID table: either refused when created, or written and rebuilt like any other', async () => {
  const path = join(ROOT, 'norowid.rvf');
  let db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  let created = true;
  const epoch = await epochOf(db);
  try {
    await w(db, 'CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID');
  } catch {
    created = false;
  }
  if (!created) {
    assert.equal(await epochOf(db), epoch, 'a refused CREATE commits nothing');
    await db.close();
    return;
  }
  // Created: then it must be writable, and the log must rebuild it.
  await commits(db, "INSERT INTO kv VALUES ('a', 1), ('b', 2)");
  await commits(db, "UPDATE kv SET v = v * 10 WHERE k = 'b'");
  await commits(db, 'CREATE TABLE other (x)');
  await commits(db, 'INSERT INTO other VALUES (1)');
  await db.close();
  removeCache(path);
  db = await RvfDatabase.open(path, { onWarning: () => undefined });
  assert.deepEqual((await r(db, 'SELECT k, v FROM kv ORDER BY k')).rows, [['a', 1], ['b', 20]]);
  await db.close();
});

test('every SQLite value survives the effects record and its replay; records of format 1 are still read', async () => {
  const dir = tempDir('rvf-effects-values-');
  const path = join(dir, 'v.rvf');
  let db = await RvfDatabase.create(path, { dimensions: DIM });
  const values = [
    '7', '-7', '9007199254740991', '9007199254740992', '-9007199254740993', '9223372036854775807', '-9223372036854775808',
    '5.0', '-0.0', '2.5', '1e300', '-1e-300', '9007199254740993.0', '9e999', '-9e999', 'NULL', "'text'", "X'00ff'",
  ];
  await commits(db, 'CREATE TABLE t (x)');
  for (const v of values) await commits(db, `INSERT INTO t VALUES (${v})`);
  const read = async (): Promise<unknown[][]> => (await r(db, 'SELECT typeof(x), quote(x) FROM t ORDER BY rowid')).rows;
  const written = await read();
  assert.deepEqual(written.map((row) => row[0]), ['integer', 'integer', 'integer', 'integer', 'integer', 'integer', 'integer', 'real', 'real', 'real', 'real', 'real', 'real', 'real', 'real', 'null', 'text', 'blob']);
  // a record as format 1 wrote it: every integer tagged, every real a bare number
  const v1 = { v: 1, ddl: ['CREATE TABLE old (x)'], tables: [{ table: 'old', columns: ['x'], upserts: [[{ $i: '1' }, { $i: '5' }], [{ $i: '2' }, 5], [{ $i: '3' }, 2.5]], deletes: [] }] };
  await db.writeSession(async (s) => s.commit(Buffer.concat([Buffer.from('RVFE', 'latin1'), Buffer.from(JSON.stringify(v1), 'utf8')])));
  await db.close();
  removeCache(path);
  db = await RvfDatabase.open(path, { onWarning: () => undefined });
  try {
    assert.deepEqual(await read(), written, 'the replayed cache holds every value with its type');
    assert.deepEqual((await r(db, 'SELECT typeof(x), quote(x) FROM old ORDER BY rowid')).rows, [['integer', '5'], ['real', '5.0'], ['real', '2.5']]);
  } finally {
    await db.close();
  }
});

test('a malformed effects record is refused before it reaches the file', async () => {
  const dir = tempDir('rvf-effects-check-');
  const path = join(dir, 'e.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM });
  try {
    const record = (body: unknown): Buffer => Buffer.concat([Buffer.from('RVFE', 'latin1'), Buffer.from(JSON.stringify(body), 'utf8')]);
    const table = { table: 'graph_nodes', columns: ['props'], deletes: [] as string[] };
    const bad: [string, Buffer][] = [
      ['no magic', Buffer.from('{}')],
      ['not JSON', Buffer.concat([Buffer.from('RVFE', 'latin1'), Buffer.from('{"v":1,')])],
      ['another format', record({ v: 3, ddl: [], tables: [] })],
      ['format 2: an integer past 2^53 as a bare number', record({ v: 2, ddl: [], tables: [{ ...table, upserts: [[7, 9007199254740993]] }] })],
      ['format 2: a tagged real that is not integral', record({ v: 2, ddl: [], tables: [{ ...table, upserts: [[7, { $f: '1.5' }]] }] })],
      ['format 1: a tagged real, which format 1 never wrote', record({ v: 1, ddl: [], tables: [{ ...table, upserts: [[{ $i: '7' }, { $f: '5' }]] }] })],
      ['DDL that is not text', record({ v: 1, ddl: [1], tables: [] })],
      ['a row one column short', record({ v: 1, ddl: [], tables: [{ ...table, upserts: [[{ $i: '1' }]] }] })],
      ['a value of unknown shape', record({ v: 1, ddl: [], tables: [{ ...table, upserts: [[{ $i: '1' }, { x: 1 }]] }] })],
      ['a deleted rowid that is no integer', record({ v: 1, ddl: [], tables: [{ ...table, upserts: [], deletes: ['1.5'] }] })],
    ];
    const before = statSync(path).size;
    const epoch = (await db.status()).epoch;
    for (const [what, payload] of bad) {
      await assert.rejects(db.writeSession(async (s) => s.commit(payload)), `${what} is refused`);
    }
    assert.equal(statSync(path).size, before, 'the file did not grow');
    assert.equal((await db.status()).epoch, epoch, 'no commit was made');
    // the same shapes done right are taken
    await db.writeSession(async (s) => s.commit(record({ v: 1, ddl: [], tables: [{ ...table, upserts: [[{ $i: '7' }, '{"name":"ok"}']] }] })));
    assert.equal((await db.status()).epoch, epoch + 1);
  } finally {
    await db.close();
  }
});

test('a cache deleted under an open store: queries say so and what mends it, not "fix the query"; reopening mends it, nothing lost', async () => {
  const path = join(ROOT, 'deleted-cache.rvf');
  let db = await RvfDatabase.create(path, { dimensions: DIM });
  await w(db, 'CREATE TABLE kept (v INTEGER)');
  await w(db, 'INSERT INTO kept VALUES (1), (2)');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}.sqlite${suffix}`, { force: true });
  await assert.rejects(r(db, 'SELECT sum(v) FROM kept'), (err: unknown) => {
    const e = err as { code?: string; message: string };
    assert.equal(e.code, 'EIO', e.message);
    assert.match(e.message, /cache is damaged or gone.*rvf_close_store.*without losing anything/);
    assert.doesNotMatch(e.message, /fix it/);
    return true;
  });
  // rebuilding mends it in place (it rebuilt the unlinked file, which no query process could reach)
  const rebuilt = await db.rebuildCache();
  assert.equal(rebuilt.tableRows, 2);
  assert.deepEqual((await r(db, 'SELECT sum(v) FROM kept')).rows, [[3]]);
  await w(db, 'INSERT INTO kept VALUES (4)');
  // so does closing and opening it, after the cache pages are damaged
  await db.close();
  const cache = `${path}.sqlite`;
  const bytes = readFileSync(cache);
  bytes.fill(0xff, 4096);
  writeFileSync(cache, bytes);
  db = await RvfDatabase.open(path, { onWarning: () => undefined });
  assert.deepEqual((await r(db, 'SELECT sum(v) FROM kept')).rows, [[7]]);
  await db.close();
});

test('AUTOINCREMENT is refused by name, with what to write instead, and commits nothing', async () => {
  const db = await RvfDatabase.create(join(ROOT, 'autoincrement.rvf'), { dimensions: DIM });
  const epoch = await epochOf(db);
  await assert.rejects(w(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)'), (err: unknown) => {
    const e = err as { code?: string; message: string };
    assert.equal(e.code, 'EINVAL', e.message);
    assert.match(e.message, /AUTOINCREMENT is not supported.*INTEGER PRIMARY KEY/);
    assert.doesNotMatch(e.message, /choose another/);
    return true;
  });
  assert.equal(await epochOf(db), epoch);
  assert.deepEqual((await r(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'sqlite_sequence')")).rows, [[0]]);
  await w(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  await db.close();
});

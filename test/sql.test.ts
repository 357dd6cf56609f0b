/**
 * SQL over a store (rvlite-bridge/run-query.ts), at library level: runSql on real
 * RvfDatabase handles, the real SQLite cache, the real WASM engine and the
 * real SQL child processes.
 *
 * - reads of `vectors` (json_extract, ORDER BY, GROUP BY, aggregates, CTEs,
 *   VALUES), value types (big ids as decimal strings, BLOBs as {base64}),
 *   column names;
 * - parameters: ? with an array, :name / @name / $name with an object,
 *   arrays and objects bound as JSON text;
 * - rvf_knn against RvfDatabase.query and float64 brute force, with filters,
 *   in joins with a CTE of several query vectors (memoized per query), errors;
 * - rvf_distance bit for bit against rvf_knn for all three metrics;
 * - the read guard: over 60 write and escape attempts, each refused, none
 *   changing a byte of the store, its cache rows or the directory;
 * - limits: a runaway query stopped at its time limit, the row cap, the byte
 *   cap, the query text limit;
 * - consistency of a read-only handle beside a writer.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { type QueryOptions, runQuery, type QueryParams as SqlParams, type QueryRows as SqlRows } from '../rvlite-bridge/run-query.ts';
import type { RvfDatabase as Db } from '../store/index.ts';

const runSql = (db: Db, sql: string, params: SqlParams, options: QueryOptions): Promise<SqlRows> => runQuery(db, 'sql', sql, params, options);
import { LIMITS, RvfDatabase, RvfError, type QueryResult } from '../store/index.ts';
import type { ReadSnapshot } from '../store/database.ts';
import { distance, expectRvfError, type Metric } from './helpers/assertions.ts';
import { rng } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 8;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const BIG_IDS = ['9007199254740991', '9007199254740992', '9007199254740993', '9223372036854775807'];
const TOPICS = ['rust', 'go', 'ts'];
const PACKAGE_ROOT = new URL('..', import.meta.url).pathname;

type Meta = Record<string, unknown> | null;
interface Row {
  vector: number[];
  metadata: Meta;
  epoch: number;
}

/** The wire form of an id: a number up to 2^53-1, else a decimal string. */
function wire(id: string | bigint | number): number | string {
  const b = BigInt(id);
  return b <= MAX_SAFE ? Number(b) : b.toString();
}

function sql(db: RvfDatabase, query: string, params?: SqlParams, timeLimitMs?: number): Promise<SqlRows> {
  return runSql(db, query, params, { write: false, ...(timeLimitMs === undefined ? {} : { timeLimitMs }) });
}

function vectorsOf(count: number, seed: number): number[][] {
  const next = rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: DIM }, () => Math.round((next() * 2 - 1) * 1e4) / 1e4));
}

function metaFor(i: number): Meta {
  if (i % 17 === 5) return null;
  const m: Record<string, unknown> = { topic: TOPICS[i % 3], n: i, title: `doc ${i}`, nested: { x: i % 5 }, tags: i % 2 === 0 ? ['even'] : ['odd', 'x'] };
  if (i % 11 === 0) m.text = 'unicode é€😀';
  if (i % 13 === 0) delete m.topic;
  return m;
}

/** A store with 120 small ids and the big ones, over two commits; returns the model of its rows. */
async function buildStore(path: string, metric: Metric, seed: number): Promise<{ db: RvfDatabase; rows: Map<string, Row> }> {
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric });
  const rows = new Map<string, Row>();
  const vecs = vectorsOf(130, seed);
  const first = Array.from({ length: 100 }, (_, i) => ({ id: i, vector: vecs[i] as number[], metadata: metaFor(i) }));
  const r1 = await db.ingestBatch(first);
  for (const e of first) rows.set(String(e.id), { vector: e.vector, metadata: e.metadata, epoch: r1.epoch });
  const second = [
    ...Array.from({ length: 20 }, (_, j) => ({ id: 100 + j, vector: vecs[100 + j] as number[], metadata: metaFor(100 + j) })),
    ...BIG_IDS.map((id, j) => ({ id, vector: vecs[120 + j] as number[], metadata: metaFor(120 + j) })),
    { id: 7, vector: vecs[125] as number[], metadata: { topic: 'go', n: 700, replaced: true } }, // replaces id 7
  ];
  const r2 = await db.ingestBatch(second);
  for (const e of second) rows.set(String(e.id), { vector: e.vector, metadata: e.metadata, epoch: r2.epoch });
  return { db, rows };
}

function sortedIds(rows: Map<string, Row>): string[] {
  return [...rows.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

/** Exact top k in float64 over the model. */
function brute(rows: Map<string, Row>, q: number[], k: number, metric: Metric, keep: (m: Meta) => boolean = () => true): { id: string; distance: number }[] {
  const all = [...rows].filter(([, r]) => keep(r.metadata)).map(([id, r]) => ({ id, distance: distance(metric, r.vector, q) }));
  all.sort((a, b) => a.distance - b.distance);
  return all.slice(0, k);
}

function close(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `${label}: ${actual} vs exact ${expected}`);
}

/** SQL rows [id, distance] from rvf_knn equal db.query (ids and distances, bit for bit) and brute force. */
function assertKnn(rows: unknown[][], expected: QueryResult[], model: Map<string, Row>, q: number[], k: number, metric: Metric, keep?: (m: Meta) => boolean, label = 'rvf_knn'): void {
  assert.deepEqual(
    rows.map((r) => [r[0], r[1]]),
    expected.map((e) => [e.id, e.distance]),
    `${label}: rvf_knn differs from RvfDatabase.query`,
  );
  const exact = brute(model, q, k, metric, keep);
  assert.equal(rows.length, exact.length, `${label}: row count vs brute force`);
  rows.forEach((r, i) => {
    const id = String(r[0]);
    const row = model.get(id);
    assert.ok(row, `${label}: ${id} is not a live id`);
    assert.ok(keep === undefined || keep(row.metadata), `${label}: ${id} does not match the filter`);
    close(r[1] as number, distance(metric, row.vector, q), `${label}: distance of ${id}`);
    close(r[1] as number, (exact[i] as { distance: number }).distance, `${label}: rank ${i}`);
  });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The vectors rows and cache state of a cache file, read on a connection of the test's own. */
function cacheRows(cachePath: string): { vectors: unknown[]; state: unknown; schema: unknown[] } {
  const c = new Database(cachePath, { readonly: true, fileMustExist: true });
  try {
    c.defaultSafeIntegers(true);
    return {
      vectors: c.prepare('SELECT id, metadata, epoch FROM vectors ORDER BY id').raw(true).all(),
      state: c.prepare('SELECT * FROM cache_state').raw(true).all(),
      schema: c.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').raw(true).all(),
    };
  } finally {
    c.close();
  }
}

/** Pids of this process's SQL children (rvlite-bridge/query-child). */
function sqlChildren(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('query-child')) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// ------------------------------------------------------------ shared stores

const stores = {} as Record<Metric, { db: RvfDatabase; rows: Map<string, Row>; path: string }>;
const dir = tempDir('rvf-sql-');

before(async () => {
  for (const [i, metric] of (['l2', 'cosine', 'dotproduct'] as Metric[]).entries()) {
    const path = join(dir, `${metric}.rvf`);
    stores[metric] = { ...(await buildStore(path, metric, 100 + i)), path };
  }
});

after(async () => {
  for (const s of Object.values(stores)) await s.db.close();
});

// ------------------------------------------------------------ 1. reads

test('vectors: every row with id, metadata JSON and epoch; ids above 2^53-1 as decimal strings, others as numbers', async () => {
  const { db, rows } = stores.l2;
  const r = await sql(db, 'SELECT id, metadata, epoch FROM vectors ORDER BY id');
  assert.deepEqual(r.columns, ['id', 'metadata', 'epoch']);
  assert.equal(r.truncated, false);
  const ids = sortedIds(rows);
  assert.equal(r.rows.length, ids.length);
  r.rows.forEach((row, i) => {
    const id = ids[i] as string;
    const m = rows.get(id) as Row;
    assert.deepEqual(row[0], wire(id), `id ${id} in wire form (${typeof wire(id)})`);
    assert.deepEqual(row[1] === null ? null : JSON.parse(row[1] as string), m.metadata, `metadata of ${id}`);
    assert.equal(row[2], m.epoch, `epoch of ${id}`);
  });
  // The boundary exactly: 2^53-1 is a number, 2^53 and above are strings.
  const big = await sql(db, 'SELECT id FROM vectors WHERE id >= 9007199254740991 ORDER BY id');
  assert.deepEqual(big.rows, [[Number.MAX_SAFE_INTEGER], ['9007199254740992'], ['9007199254740993'], ['9223372036854775807']]);
  const star = await sql(db, 'SELECT * FROM vectors WHERE id = 3');
  assert.deepEqual(star.columns, ['id', 'metadata', 'epoch']);
});

test('json_extract, WHERE, ORDER BY with several keys, LIMIT/OFFSET', async () => {
  const { db, rows } = stores.l2;
  const r = await sql(
    db,
    "SELECT id, json_extract(metadata, '$.n') AS n, json_extract(metadata, '$.nested.x') AS x FROM vectors WHERE json_extract(metadata, '$.topic') = 'go' ORDER BY x DESC, n ASC LIMIT 10 OFFSET 2",
  );
  assert.deepEqual(r.columns, ['id', 'n', 'x']);
  const expected = [...rows]
    .filter(([, m]) => m.metadata?.topic === 'go')
    .map(([id, m]) => [wire(id), m.metadata?.n, (m.metadata?.nested as { x: number } | undefined)?.x])
    .sort((a, b) => (b[2] as number) - (a[2] as number) || (a[1] as number) - (b[1] as number))
    .slice(2, 12);
  assert.deepEqual(r.rows, expected);
  // Arrays and unicode inside metadata.
  const u = await sql(db, "SELECT json_extract(metadata, '$.text'), json_array_length(metadata, '$.tags') FROM vectors WHERE id = 0");
  assert.deepEqual(u.rows, [['unicode é€😀', 1]]);
});

test('GROUP BY with count, sum, avg, min, max, group_concat and HAVING', async () => {
  const { db, rows } = stores.l2;
  const r = await sql(
    db,
    "SELECT json_extract(metadata, '$.topic') AS topic, count(*) AS c, sum(json_extract(metadata, '$.n')) AS s, min(id) AS lo, max(id) AS hi " +
      'FROM vectors GROUP BY topic HAVING count(*) > 1 ORDER BY topic',
  );
  assert.deepEqual(r.columns, ['topic', 'c', 's', 'lo', 'hi']);
  const groups = new Map<string | null, { c: number; s: number | null; ids: bigint[] }>();
  for (const [id, m] of rows) {
    const t = (m.metadata?.topic as string | undefined) ?? null;
    const g = groups.get(t) ?? { c: 0, s: null, ids: [] };
    g.c++;
    const n = m.metadata?.n as number | undefined;
    if (n !== undefined) g.s = (g.s ?? 0) + n;
    g.ids.push(BigInt(id));
    groups.set(t, g);
  }
  const keys = [...groups.keys()].sort((a, b) => (a === null ? -1 : b === null ? 1 : a < b ? -1 : 1)); // NULL sorts first in SQLite
  const expected = keys
    .map((t) => {
      const g = groups.get(t) as { c: number; s: number | null; ids: bigint[] };
      const sorted = [...g.ids].sort((a, b) => (a < b ? -1 : 1));
      return [t, g.c, g.s, wire(sorted[0] as bigint), wire(sorted.at(-1) as bigint)];
    })
    .filter((g) => (g[1] as number) > 1);
  assert.deepEqual(r.rows, expected);
  const avg = await sql(db, "SELECT avg(json_extract(metadata, '$.nested.x')), group_concat(id, ',') FROM (SELECT * FROM vectors WHERE id < 10 ORDER BY id)");
  const small = [...rows].filter(([id]) => BigInt(id) < 10n).sort((a, b) => Number(a[0]) - Number(b[0]));
  const xs = small.map(([, m]) => (m.metadata?.nested as { x: number } | undefined)?.x).filter((x): x is number => x !== undefined);
  assert.deepEqual(avg.rows, [[xs.reduce((a, b) => a + b, 0) / xs.length, small.map(([id]) => id).join(',')]]);
});

test('CTEs (plain and recursive), VALUES, subqueries, UNION, window functions', async () => {
  const { db, rows } = stores.l2;
  const cte = await sql(db, "WITH t AS (SELECT id, json_extract(metadata, '$.topic') AS topic FROM vectors) SELECT topic, count(*) FROM t WHERE topic IS NOT NULL GROUP BY topic ORDER BY 2 DESC, 1");
  const counts = new Map<string, number>();
  for (const m of rows.values()) if (typeof m.metadata?.topic === 'string') counts.set(m.metadata.topic, (counts.get(m.metadata.topic) ?? 0) + 1);
  assert.deepEqual(cte.rows, [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  const rec = await sql(db, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT sum(x), count(*) FROM c');
  assert.deepEqual(rec.rows, [[5050, 100]]);
  const values = await sql(db, "VALUES (1, 'a'), (2, 'b'), (9223372036854775807, NULL)");
  assert.deepEqual(values.columns, ['column1', 'column2']);
  assert.deepEqual(values.rows, [[1, 'a'], [2, 'b'], ['9223372036854775807', null]]);
  const sub = await sql(db, 'SELECT (SELECT count(*) FROM vectors) AS total, (SELECT max(epoch) FROM vectors) AS e');
  assert.deepEqual(sub.rows, [[rows.size, Math.max(...[...rows.values()].map((r) => r.epoch))]]);
  const union = await sql(db, 'SELECT 1 AS a UNION SELECT 2 UNION SELECT 1 ORDER BY a');
  assert.deepEqual(union.rows, [[1], [2]]);
  const win = await sql(db, 'SELECT id, row_number() OVER (ORDER BY id DESC) AS rn FROM vectors WHERE id < 3 ORDER BY id');
  assert.deepEqual(win.rows, [[0, 3], [1, 2], [2, 1]]);
});

test('value types: integers at the 2^53 boundary, negative big integers, reals, NULL, text, BLOBs as {base64}; column names as SQLite gives them', async () => {
  const { db } = stores.l2;
  const r = await sql(
    db,
    "SELECT 9007199254740991 AS a, 9007199254740992 AS b, -9007199254740991 AS c, -9007199254740993 AS d, 9223372036854775807 AS e, 1.5 AS f, NULL AS g, 'txt' AS h, x'00ff10' AS i, x'' AS j, zeroblob(3) AS k, 1e300 AS l",
  );
  assert.deepEqual(r.columns, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
  assert.deepEqual(r.rows, [
    [
      Number.MAX_SAFE_INTEGER,
      '9007199254740992',
      -Number.MAX_SAFE_INTEGER,
      '-9007199254740993',
      '9223372036854775807',
      1.5,
      null,
      'txt',
      { base64: Buffer.from([0, 255, 16]).toString('base64') },
      { base64: '' },
      { base64: Buffer.alloc(3).toString('base64') },
      1e300,
    ],
  ]);
  const names = await sql(db, 'SELECT id, id + 1, "id" AS "my id", count(*) FROM vectors WHERE id = 1');
  assert.deepEqual(names.columns, ['id', 'id + 1', 'my id', 'count(*)']);
  // Two columns with one name both come back (rows are arrays, not objects).
  const dup = await sql(db, 'SELECT 1 AS a, 2 AS a');
  assert.deepEqual(dup, { columns: ['a', 'a'], rows: [[1, 2]], truncated: false });
  const empty = await sql(db, 'SELECT id, metadata FROM vectors WHERE 0');
  assert.deepEqual(empty, { columns: ['id', 'metadata'], rows: [], truncated: false });
});

// ------------------------------------------------------------ 2. parameters

test('parameters: ? from an array, ?NNN, and :name / @name / $name from an object (with or without the prefix in the key)', async () => {
  const { db, rows } = stores.l2;
  assert.deepEqual((await sql(db, 'SELECT ?, ?, ?, ?, ?', [1, 'two', null, 2.5, true])).rows, [[1, 'two', null, 2.5, 1]]);
  // ?NNN: better-sqlite3 binds numbered parameters by name, so they take an object keyed by number.
  assert.deepEqual((await sql(db, 'SELECT ?2, ?1, ?2', { 1: 'a', 2: 'b' })).rows, [['b', 'a', 'b']]);
  assert.deepEqual((await sql(db, 'SELECT :a, @b, $c', { a: 1, b: 'x', c: null })).rows, [[1, 'x', null]]);
  assert.deepEqual((await sql(db, 'SELECT :a, @b, $c', { ':a': 2, '@b': 'y', $c: false })).rows, [[2, 'y', 0]]);
  const topic = await sql(db, "SELECT count(*) FROM vectors WHERE json_extract(metadata, '$.topic') = :t AND id < :max", { t: 'rust', max: 50 });
  assert.deepEqual(topic.rows, [[[...rows].filter(([id, m]) => m.metadata?.topic === 'rust' && BigInt(id) < 50n).length]]);
  // A big id as a decimal string compares with the INTEGER column.
  assert.deepEqual((await sql(db, 'SELECT id FROM vectors WHERE id = ?', ['9223372036854775807'])).rows, [['9223372036854775807']]);
  await expectRvfError(sql(db, 'SELECT ?, ?', [1]), 'EINVAL', 'a missing positional parameter');
  await expectRvfError(sql(db, 'SELECT :a', {}), 'EINVAL', 'a missing named parameter');
  await expectRvfError(sql(db, 'SELECT 1', [1]), 'EINVAL', 'a parameter too many');
});

test('parameters: arrays and objects bind as JSON text', async () => {
  const { db } = stores.l2;
  const r = await sql(db, "SELECT typeof(:o), json_extract(:o, '$.a.b'), json_array_length(:l), json_extract(:l, '$[2]'), :l", { o: { a: { b: 5 } }, l: [1, 2, 3] });
  assert.deepEqual(r.rows, [['text', 5, 3, 3, '[1,2,3]']]);
  const named = await sql(db, "SELECT json_extract(:doc, '$.k'), json_array_length(:list)", { doc: { k: 'v' }, list: [] });
  assert.deepEqual(named.rows, [['v', 0]]);
});

test('parameters: a bigint id (the library type of ids) binds as an integer, or is refused with an RvfError', async () => {
  const { db } = stores.l2;
  let result: SqlRows | undefined;
  try {
    result = await sql(db, 'SELECT id FROM vectors WHERE id = ?', [(1n << 63n) - 1n]);
  } catch (err) {
    assert.ok(err instanceof RvfError, `a bigint parameter failed with a raw ${(err as Error)?.constructor?.name}: ${(err as Error).message}`);
    assert.equal(err.code, 'EINVAL');
    return;
  }
  assert.deepEqual(result.rows, [['9223372036854775807']]);
});

// ------------------------------------------------------------ 3. rvf_knn

for (const metric of ['l2', 'cosine', 'dotproduct'] as Metric[]) {
  test(`rvf_knn (${metric}): alone and joined with vectors, equal to RvfDatabase.query and to brute force; big ids as strings`, async () => {
    const { db, rows } = stores[metric];
    const probes = [(rows.get('9223372036854775807') as Row).vector, (rows.get('9007199254740992') as Row).vector, ...vectorsOf(3, 900)];
    for (const [pi, q] of probes.entries()) {
      const k = 10;
      const expected = await db.query(q, k);
      const alone = await sql(db, 'SELECT * FROM rvf_knn(?, ?)', [q, k]);
      assert.deepEqual(alone.columns, ['id', 'distance']);
      assertKnn(alone.rows, expected, rows, q, k, metric, undefined, `${metric} probe ${pi} alone`);
      const joined = await sql(
        db,
        "SELECT k.id, k.distance, v.metadata, json_extract(v.metadata, '$.topic') AS topic FROM rvf_knn(?, 10) k JOIN vectors v ON v.id = k.id ORDER BY k.distance, k.id",
        [q],
      );
      assert.deepEqual(joined.columns, ['id', 'distance', 'metadata', 'topic']);
      const byDistance = [...expected].sort((a, b) => a.distance - b.distance || (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      assertKnn(joined.rows, byDistance, rows, q, k, metric, undefined, `${metric} probe ${pi} joined`);
      joined.rows.forEach((row, i) => {
        const e = byDistance[i] as QueryResult;
        assert.deepEqual(row[2] === null ? null : JSON.parse(row[2] as string), e.metadata, `metadata of ${e.id}`);
        assert.equal(row[3], (e.metadata as Record<string, unknown> | null)?.topic ?? null);
      });
      // Probing with the vector of id 2^63-1 (or 2^53) finds it first under l2 and cosine.
      if (pi < 2 && metric !== 'dotproduct') assert.equal(alone.rows[0]?.[0], pi === 0 ? '9223372036854775807' : '9007199254740992');
    }
    // The vector as JSON text written in the SQL, and k as a string of digits, work too.
    const q = probes[2] as number[];
    const literal = await sql(db, `SELECT id, distance FROM rvf_knn('${JSON.stringify(q)}', 5)`);
    assertKnn(literal.rows, await db.query(q, 5), rows, q, 5, metric, undefined, `${metric} literal`);
    // k larger than the store: every live vector.
    const all = await sql(db, 'SELECT count(*), count(DISTINCT id) FROM rvf_knn(?, 10000)', [q]);
    assert.deepEqual(all.rows, [[rows.size, rows.size]]);
  });
}

test('rvf_knn with a filter equals RvfDatabase.query with that filter (object param, JSON text, $or/$in/$exists/dotted fields)', async () => {
  const { db, rows } = stores.l2;
  const q = vectorsOf(1, 901)[0] as number[];
  const cases: { filter: Record<string, unknown>; keep: (m: Meta) => boolean }[] = [
    { filter: { topic: 'go' }, keep: (m) => m?.topic === 'go' },
    { filter: { topic: 'rust', n: { $gt: 30 } }, keep: (m) => m?.topic === 'rust' && typeof m.n === 'number' && m.n > 30 },
    { filter: { $or: [{ 'nested.x': 0 }, { topic: { $in: ['ts'] } }] }, keep: (m) => (m?.nested as { x?: number } | undefined)?.x === 0 || m?.topic === 'ts' },
    { filter: { topic: { $exists: false } }, keep: (m) => m?.topic === undefined },
    { filter: { topic: 'none' }, keep: () => false },
  ];
  for (const { filter, keep } of cases) {
    const expected = await db.query(q, 7, { filter });
    const asParam = await sql(db, 'SELECT id, distance FROM rvf_knn(?, 7, ?)', [q, filter]);
    assertKnn(asParam.rows, expected, rows, q, 7, 'l2', keep, `filter ${JSON.stringify(filter)} (param)`);
    const asText = await sql(db, `SELECT id, distance FROM rvf_knn(:q, 7, '${JSON.stringify(filter)}')`, { q });
    assert.deepEqual(asText.rows, asParam.rows, `filter ${JSON.stringify(filter)} as JSON text`);
  }
});

test('rvf_knn without a filter argument, or with \'{}\', is unfiltered; a NULL argument matches nothing (SQL: = NULL is never true), as documented', async () => {
  const { db } = stores.l2;
  const q = vectorsOf(1, 901)[0] as number[];
  const expected = (await db.query(q, 4, { filter: null })).map((r) => [r.id, r.distance]);
  assert.equal(expected.length, 4);
  assert.deepEqual((await sql(db, 'SELECT id, distance FROM rvf_knn(?, 4)', [q])).rows, expected, 'no filter argument');
  assert.deepEqual((await sql(db, "SELECT id, distance FROM rvf_knn(?, 4, '{}')", [q])).rows, expected, 'an empty filter object');
  // SQLite compares a table-valued function's arguments with =, so a NULL one never reaches it.
  assert.deepEqual((await sql(db, 'SELECT id, distance FROM rvf_knn(?, 4, ?)', [q, null])).rows, [], 'a null filter param');
  assert.deepEqual((await sql(db, 'SELECT id, distance FROM rvf_knn(?, 4, NULL)', [q])).rows, [], 'a NULL literal filter');
});

test('rvf_knn joined with a CTE of several query vectors: each row gets its own top k; one engine call per distinct (vector, k, filter) in a query, none reused across queries', async () => {
  const { db, rows, path } = stores.l2;
  const qs = vectorsOf(4, 902);
  // Count the engine calls that reach the store (the real snapshot, wrapped to count).
  let knnCalls = 0;
  const original = db.readSnapshot.bind(db);
  db.readSnapshot = <T>(fn: (s: ReadSnapshot) => Promise<T>, o?: { privateCache?: boolean }): Promise<T> =>
    original((s) => fn({ ...s, knn: (v, k, f) => (knnCalls++, s.knn(v, k, f)), distance: (id, v) => s.distance(id, v) }), o);
  try {
    const r = await sql(
      db,
      'WITH q(name, v) AS (VALUES (1, :a), (2, :b), (3, :c), (4, :d), (5, :a)) SELECT q.name, k.id, k.distance FROM q, rvf_knn(q.v, 4) k ORDER BY q.name, k.distance, k.id',
      { a: qs[0], b: qs[1], c: qs[2], d: qs[3] },
    );
    assert.equal(knnCalls, 4, 'five CTE rows, four distinct vectors: four engine calls');
    for (let name = 1; name <= 5; name++) {
      const q = qs[(name - 1) % 4] as number[];
      const got = r.rows.filter((row) => row[0] === name).map((row) => [row[1], row[2]]);
      const exp = (await db.query(q, 4)).sort((a, b) => a.distance - b.distance || (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      assertKnn(got, exp, rows, q, 4, 'l2', undefined, `CTE row ${name}`);
    }
    // An outer loop of 124 rows over the same call: still one engine call.
    knnCalls = 0;
    const outer = await sql(db, 'SELECT count(*) FROM vectors v, rvf_knn(?, 3) k WHERE k.id >= 0', [qs[0]]);
    assert.deepEqual(outer.rows, [[rows.size * 3]]);
    assert.equal(knnCalls, 1, 'one engine call for the same vector across the outer rows');
  } finally {
    delete (db as { readSnapshot?: unknown }).readSnapshot;
  }
  assert.equal(db.readSnapshot, RvfDatabase.prototype.readSnapshot);

  // Not memoized across queries: a vector ingested between two identical queries shows up.
  const copy = await RvfDatabase.create(join(dir, 'memo.rvf'), { dimensions: DIM, metric: 'l2' });
  try {
    const q = qs[0] as number[];
    await copy.ingestBatch([{ id: 1, vector: qs[1] as number[] }, { id: 2, vector: qs[2] as number[] }]);
    const before1 = await sql(copy, 'SELECT id FROM rvf_knn(?, 1)', [q]);
    await copy.ingestBatch([{ id: 3, vector: q }]);
    const after1 = await sql(copy, 'SELECT id, distance FROM rvf_knn(?, 1)', [q]);
    assert.notDeepEqual(before1.rows, [[3]]);
    assert.deepEqual(after1.rows, [[3, 0]], 'the new exact match is found by the same query text');
  } finally {
    await copy.close();
  }
  assert.ok(existsSync(path));
});

test('rvf_knn errors: wrong dimension (EDIM), bad k (ELIMIT), bad filter (EINVAL), non-JSON or non-numeric vector (EINVAL); the store answers afterwards', async () => {
  const { db } = stores.l2;
  const q = vectorsOf(1, 903)[0] as number[];
  await expectRvfError(sql(db, 'SELECT * FROM rvf_knn(?, 3)', [q.slice(1)]), 'EDIM', 'short vector');
  await expectRvfError(sql(db, 'SELECT * FROM rvf_knn(?, 3)', [[...q, 0]]), 'EDIM', 'long vector');
  for (const k of [0, -1, 2.5, LIMITS.maxK + 1, 'x', '', [3]]) {
    await expectRvfError(sql(db, 'SELECT * FROM rvf_knn(?, ?)', [q, k]), 'ELIMIT', `k = ${JSON.stringify(k)}`);
  }
  await expectRvfError(sql(db, "SELECT * FROM rvf_knn(?, 3, '{bad')", [q]), 'EINVAL', 'filter that is not JSON');
  await expectRvfError(sql(db, 'SELECT * FROM rvf_knn(?, 3, ?)', [q, { topic: { $regex: 'x' } }]), 'EINVAL', 'unknown operator');
  await expectRvfError(sql(db, "SELECT * FROM rvf_knn(?, 3, '[1,2]')", [q]), 'EINVAL', 'filter that is an array');
  await expectRvfError(sql(db, "SELECT * FROM rvf_knn('not json', 3)"), 'EINVAL', 'vector that is not JSON');
  await expectRvfError(sql(db, "SELECT * FROM rvf_knn('{\"a\": 1}', 3)"), 'EINVAL', 'vector that is an object');
  await expectRvfError(sql(db, 'SELECT * FROM rvf_knn(?, 3)', [['a', ...q.slice(1)]]), 'EINVAL', 'vector with a string');
  await expectRvfError(sql(db, "SELECT * FROM rvf_knn('[1e39,0,0,0,0,0,0,0]', 3)"), 'EINVAL', 'element beyond f32');
  // A NULL argument: SQLite's table-valued functions give no rows for it (like json_each(NULL)), or an error; never rows.
  for (const args of ['NULL, 3', ':q, NULL']) {
    try {
      assert.deepEqual((await sql(db, `SELECT * FROM rvf_knn(${args})`, { q })).rows, [], `rvf_knn(${args})`);
    } catch (err) {
      assert.ok(err instanceof RvfError && ['EINVAL', 'ELIMIT'].includes(err.code), `rvf_knn(${args}): ${String(err)}`);
    }
  }
  // Messages name the function.
  const e = await expectRvfError(sql(db, 'SELECT * FROM rvf_knn(?, 3)', [q.slice(2)]), 'EDIM');
  assert.match(e.message, /rvf_knn/);
  assert.deepEqual((await sql(db, 'SELECT id, distance FROM rvf_knn(?, 2)', [q])).rows, (await db.query(q, 2)).map((r) => [r.id, r.distance]));
});

test('rvf_knn on an empty store gives no rows', async () => {
  const db = await RvfDatabase.create(join(dir, 'empty.rvf'), { dimensions: DIM, metric: 'cosine' });
  try {
    assert.deepEqual(await sql(db, 'SELECT * FROM rvf_knn(?, 5)', [vectorsOf(1, 1)[0]]), { columns: ['id', 'distance'], rows: [], truncated: false });
    assert.deepEqual((await sql(db, 'SELECT count(*) FROM vectors')).rows, [[0]]);
  } finally {
    await db.close();
  }
});

// ------------------------------------------------------------ 4. rvf_distance

for (const metric of ['l2', 'cosine', 'dotproduct'] as Metric[]) {
  test(`rvf_distance (${metric}) equals the distance rvf_knn reports, bit for bit, and brute force; null for unknown ids`, async () => {
    const { db, rows } = stores[metric];
    for (const q of vectorsOf(3, 904)) {
      const r = await sql(db, 'SELECT k.id, k.distance, rvf_distance(k.id, :q) FROM rvf_knn(:q, 10000) k', { q });
      assert.equal(r.rows.length, rows.size);
      for (const [id, d, rd] of r.rows as [number | string, number, number][]) {
        assert.ok(Object.is(rd, d), `${metric}: rvf_distance(${id}) = ${rd}, rvf_knn says ${d}`);
        close(rd, distance(metric, (rows.get(String(id)) as Row).vector, q), `${metric}: rvf_distance(${id}) vs float64`);
      }
      // Over the vectors table too, big ids included.
      const all = await sql(db, 'SELECT id, rvf_distance(id, ?) FROM vectors WHERE id >= 9007199254740991 ORDER BY id', [q]);
      assert.equal(all.rows.length, BIG_IDS.length);
      for (const [id, rd] of all.rows as [number | string, number][]) close(rd, distance(metric, (rows.get(String(id)) as Row).vector, q), `${metric}: big id ${id}`);
    }
    const q = vectorsOf(1, 905)[0] as number[];
    assert.deepEqual((await sql(db, 'SELECT rvf_distance(123456789, :q), rvf_distance(NULL, :q), rvf_distance(1, NULL)', { q })).rows, [[null, null, null]]);
    assert.deepEqual((await sql(db, "SELECT rvf_distance('9223372036854775806', ?)", [q])).rows, [[null]], 'an unknown big id');
    await expectRvfError(sql(db, 'SELECT rvf_distance(1, ?)', [q.slice(1)]), 'EDIM', 'rvf_distance with a short vector');
    await expectRvfError(sql(db, "SELECT rvf_distance(1, 'nope')"), 'EINVAL', 'rvf_distance with a non-JSON vector');
    await expectRvfError(sql(db, 'SELECT rvf_distance(-1, ?)', [q]), 'EINVAL', 'rvf_distance with a negative id');
  });
}

// ------------------------------------------------------------ 5. the guard

/** Files created by an attempt would land here or in the package root (the SQL child's cwd). */
const EVIL = 'rvf-sql-evil';

function attempts(target: string): string[] {
  const at = (name: string): string => join(target, `${EVIL}-${name}.db`);
  return [
    // Plain writes, any case, after whitespace and comments.
    'DELETE FROM vectors',
    'delete from vectors',
    'DeLeTe FrOm vectors WHERE id = 1',
    '   \n\t\r\n  DELETE FROM vectors',
    '-- just a comment\nDELETE FROM vectors',
    '/* SELECT */ DELETE FROM vectors',
    '/* a */ /* b */ -- c\n  UPDATE vectors SET metadata = NULL',
    '\u00a0\u2003DELETE FROM vectors',
    "INSERT INTO vectors (id, metadata, epoch) VALUES (424242, '{}', 1)",
    "INSERT INTO vectors SELECT id + 1000000, metadata, epoch FROM vectors",
    "INSERT INTO vectors VALUES (424243, '{}', 1) RETURNING *",
    "REPLACE INTO vectors VALUES (1, '{\"evil\":true}', 1)",
    "INSERT OR REPLACE INTO vectors VALUES (1, '{\"evil\":true}', 1)",
    "UPDATE vectors SET metadata = '{\"evil\":true}'",
    'UPDATE cache_state SET epoch = 999',
    'DELETE FROM vectors RETURNING id',
    'CREATE TABLE evil (x)',
    'CREATE TEMP TABLE evil (x)',
    'CREATE TEMPORARY VIEW evil AS SELECT * FROM vectors',
    'CREATE TEMP TRIGGER evil AFTER INSERT ON vectors BEGIN DELETE FROM vectors; END',
    'CREATE INDEX evil ON vectors (epoch)',
    "CREATE VIRTUAL TABLE evil USING json_each('[1]')",
    'DROP TABLE vectors',
    'DROP TABLE IF EXISTS cache_state',
    'ALTER TABLE vectors ADD COLUMN evil TEXT',
    'ALTER TABLE vectors RENAME TO evil',
    // Several statements in one string.
    'SELECT 1; DELETE FROM vectors',
    'SELECT 1;DELETE FROM vectors',
    'SELECT 1 /* ; */; DROP TABLE vectors',
    'VALUES(1); DROP TABLE vectors',
    'WITH x AS (SELECT 1) SELECT * FROM x; UPDATE vectors SET epoch = 0',
    "SELECT ';'; PRAGMA query_only = OFF",
    // A write behind a CTE.
    'WITH x AS (SELECT 1) DELETE FROM vectors',
    'WITH x AS (SELECT 1) DELETE FROM vectors RETURNING id',
    'WITH x AS (SELECT id FROM vectors) INSERT INTO vectors SELECT id + 5000000, NULL, 1 FROM x RETURNING id',
    'WITH x AS (SELECT 1) UPDATE vectors SET metadata = NULL',
    'WITH RECURSIVE x(n) AS (SELECT 1) REPLACE INTO vectors VALUES (1, NULL, 1)',
    'WITH d AS (DELETE FROM vectors RETURNING id) SELECT * FROM d',
    "WITH i AS (INSERT INTO vectors VALUES (424244, '{}', 1) RETURNING id) SELECT * FROM i",
    // Other files.
    `ATTACH '${at('attach')}' AS evil`,
    `attach database '${at('attach2')}' as evil`,
    `/* hidden */ ATTACH '${at('attach3')}' AS evil`,
    `-- hidden\nATTACH '${at('attach4')}' AS evil`,
    `SELECT 1; ATTACH '${at('attach5')}' AS evil`,
    `ATTACH 'file:${at('attach6')}?mode=rwc' AS evil`,
    `ATTACH '${EVIL}-relative.db' AS evil`,
    'DETACH main',
    `VACUUM INTO '${at('vacuum')}'`,
    `VACUUM main INTO '${at('vacuum2')}'`,
    `/* hi */ vacuum into '${EVIL}-relative2.db'`,
    'VACUUM',
    // Pragma setters, and their table-valued forms.
    'PRAGMA query_only = OFF',
    'PRAGMA query_only=0',
    'pragma locking_mode=EXCLUSIVE',
    'PRAGMA journal_mode = DELETE',
    'PRAGMA journal_mode = OFF',
    'PRAGMA soft_heap_limit = 1',
    'PRAGMA hard_heap_limit = 1',
    'PRAGMA mmap_size = 268435456',
    'PRAGMA wal_autocheckpoint = 1',
    'PRAGMA wal_checkpoint(TRUNCATE)',
    'PRAGMA busy_timeout = 1',
    'PRAGMA writable_schema = ON',
    'PRAGMA user_version = 7',
    'PRAGMA schema_version = 1',
    'PRAGMA optimize',
    'PRAGMA incremental_vacuum',
    'PRAGMA foreign_keys = OFF',
    'SELECT * FROM pragma_query_only(0)',
    "SELECT * FROM pragma_locking_mode('exclusive')",
    "SELECT * FROM pragma_journal_mode('delete')",
    'SELECT * FROM pragma_soft_heap_limit(1)',
    'SELECT * FROM pragma_hard_heap_limit(1)',
    'SELECT * FROM pragma_mmap_size(268435456)',
    'SELECT * FROM pragma_wal_autocheckpoint(1)',
    'SELECT * FROM pragma_busy_timeout(1)',
    'SELECT * FROM pragma_writable_schema(1)',
    'SELECT * FROM pragma_user_version(7)',
    'SELECT * FROM pragma_optimize',
    'SELECT * FROM pragma_wal_checkpoint',
    // Extensions and file functions.
    "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
    "SELECT load_extension('./evil')",
    "SELECT readfile('/etc/passwd')",
    `SELECT writefile('${at('writefile')}', 'x')`,
    "SELECT fts3_tokenizer('simple', x'4141414141414141')",
    "SELECT edit('x', 'vi')",
    // Transactions and maintenance.
    'BEGIN EXCLUSIVE',
    'BEGIN IMMEDIATE',
    'SAVEPOINT evil',
    'COMMIT',
    'REINDEX',
    'ANALYZE',
    // Not a statement at all.
    '-- only a comment',
    '/* unterminated',
  ];
}

/** Every attempt is refused with EREADONLY (a write) or EINVAL (not one read statement), and names what to do. */
async function throwAttempts(db: RvfDatabase, target: string): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const a of attempts(target)) {
    let caught: unknown;
    let result: SqlRows | undefined;
    try {
      result = await runSql(db, a, undefined, { write: false });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught !== undefined, `attempt ${JSON.stringify(a)} was not refused: ${JSON.stringify(result)}`);
    assert.ok(caught instanceof RvfError, `attempt ${JSON.stringify(a)}: not an RvfError: ${String(caught)}`);
    assert.ok(['EREADONLY', 'EINVAL'].includes(caught.code), `attempt ${JSON.stringify(a)}: ${caught.code} ${caught.message}`);
    codes.set(a, caught.code);
  }
  return codes;
}

const WRITE_KEYWORD = /^(DELETE|INSERT|UPDATE|REPLACE|CREATE|DROP|ALTER|ATTACH|DETACH|VACUUM|PRAGMA|BEGIN|SAVEPOINT|COMMIT|REINDEX|ANALYZE)$/;

/** Reads that must keep working after the attempts, with their expected answers computed from the model. */
async function readsStillWork(db: RvfDatabase, rows: Map<string, Row>, metric: Metric): Promise<void> {
  const count = await sql(db, 'SELECT count(*), max(epoch) FROM vectors');
  assert.deepEqual(count.rows, [[rows.size, Math.max(...[...rows.values()].map((r) => r.epoch))]]);
  const ids = await sql(db, 'SELECT id FROM vectors ORDER BY id');
  assert.deepEqual(ids.rows, sortedIds(rows).map((id) => [wire(id)]));
  const q = vectorsOf(1, 906)[0] as number[];
  const knn = await sql(db, 'SELECT id, distance FROM rvf_knn(?, 5)', [q]);
  assertKnn(knn.rows, await db.query(q, 5), rows, q, 5, metric, undefined, 'after the attempts');
  const state = await sql(
    db,
    'SELECT (SELECT query_only FROM pragma_query_only), (SELECT locking_mode FROM pragma_locking_mode), (SELECT soft_heap_limit FROM pragma_soft_heap_limit), (SELECT hard_heap_limit FROM pragma_hard_heap_limit), (SELECT writable_schema FROM pragma_writable_schema), (SELECT count(*) FROM sqlite_temp_master)',
  );
  // The heap limits are the query process's own memory cap (rvlite-bridge/query-child.ts), which no query may change.
  assert.deepEqual(state.rows, [[1, 'normal', LIMITS.queryHeapBytes, LIMITS.queryHeapBytes, 0, 0]], 'the SQL connection kept its settings and has no temp objects');
  assert.deepEqual((await sql(db, 'VALUES (1)')).rows, [[1]]);
  assert.deepEqual((await sql(db, 'WITH x(a) AS (SELECT 2) SELECT a FROM x')).rows, [[2]]);
}

test('the guard: over 60 write and escape attempts on a writer handle, each refused; store bytes, cache rows and directory unchanged; reads still work; the writer still writes', async () => {
  const target = tempDir('rvf-sql-guard-');
  const path = join(target, 'guarded.rvf');
  const { db, rows } = await buildStore(path, 'cosine', 300);
  try {
    await sql(db, 'SELECT 1'); // the SQL connection to this cache exists before the snapshot
    const bytes = sha256(path);
    const cache = cacheRows(`${path}.sqlite`);
    const files = readdirSync(target).sort();
    const rootFiles = readdirSync(PACKAGE_ROOT).sort();
    const list = attempts(target);
    assert.ok(list.length >= 60, `${list.length} attempts`);
    const codes = await throwAttempts(db, target);
    for (const [a, code] of codes) {
      const m = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*([A-Za-z_]+)/.exec(a);
      if (m && WRITE_KEYWORD.test((m[1] as string).toUpperCase())) assert.equal(code, 'EREADONLY', `a statement starting with ${m[1]} must be refused as a write: ${a}`);
    }
    assert.equal(sha256(path), bytes, 'the store file changed');
    assert.deepEqual(cacheRows(`${path}.sqlite`), cache, 'the cache rows, state or schema changed');
    assert.deepEqual(readdirSync(target).sort(), files, 'files appeared in the store directory');
    assert.deepEqual(readdirSync(PACKAGE_ROOT).sort(), rootFiles, 'files appeared in the SQL child cwd');
    assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith(EVIL)), []);
    await readsStillWork(db, rows, 'cosine');
    // No lock was left behind: the writer commits, and SQL (another process) sees it.
    const v = vectorsOf(1, 907)[0] as number[];
    await db.ingestBatch([{ id: 555555, vector: v, metadata: { after: true } }]);
    assert.deepEqual((await sql(db, "SELECT id, json_extract(metadata, '$.after') FROM vectors WHERE id = 555555")).rows, [[555555, 1]]);
  } finally {
    await db.close();
  }
});

test('the guard on a read-only handle beside a writer: every attempt refused, nothing changed, reads work', async () => {
  const target = tempDir('rvf-sql-guard-ro-');
  const path = join(target, 'guarded.rvf');
  const { db: writer, rows } = await buildStore(path, 'l2', 301);
  const reader = await RvfDatabase.openReadonly(path);
  try {
    await sql(reader, 'SELECT 1');
    const bytes = sha256(path);
    const cache = cacheRows(`${path}.sqlite`);
    const files = readdirSync(target).sort();
    await throwAttempts(reader, target);
    assert.equal(sha256(path), bytes);
    assert.deepEqual(cacheRows(`${path}.sqlite`), cache);
    assert.deepEqual(readdirSync(target).sort(), files);
    await readsStillWork(reader, rows, 'l2');
    assert.equal((await reader.status()).epoch, (await writer.status()).epoch);
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a refused write says EREADONLY, worded for a server with and without --write', async () => {
  const { db } = stores.l2;
  const ro = await expectRvfError(runSql(db, 'DELETE FROM vectors', undefined, { write: false }), 'EREADONLY');
  const rw = await expectRvfError(runSql(db, 'DELETE FROM vectors', undefined, { write: true }), 'EREADONLY');
  assert.notEqual(ro.message, rw.message);
  assert.match(ro.message, /--write/);
  assert.match(rw.message, /rvf_\*|not available/);
  // The statement-level check (a CTE with DELETE passes the keyword check) is EREADONLY too.
  await expectRvfError(runSql(db, 'WITH x AS (SELECT 1) DELETE FROM vectors', undefined, { write: true }), 'EREADONLY');
  assert.equal((await sql(db, 'SELECT count(*) FROM vectors')).rows[0]?.[0], stores.l2.rows.size);
});

test('a write refused read-only is worded for where it ran: the server (the default), the rvf command line, the inspector', async () => {
  const { db } = stores.l2;
  const wording: [QueryOptions['readOnlyContext'], RegExp][] = [
    [undefined, /^this server is read-only: .+; start it with --write to change stores\.$/],
    ['server', /^this server is read-only: .+; start it with --write to change stores\.$/],
    ['cli', /^this rvf command is read-only: .+; add --write to the command to change the store\.$/],
    ['inspector', /^the inspector's query box only reads: .+; change stores with the MCP tools rvlite_sql, rvlite_cypher and rvlite_sparql of a server started with --write, or with the rvf command line and --write\.$/],
  ];
  for (const [readOnlyContext, words] of wording) {
    // Both refusals: by the first keyword, and by SQLite's verdict on a read-shaped statement.
    for (const statement of ['DELETE FROM vectors', 'WITH x AS (SELECT 1) DELETE FROM vectors']) {
      const err = await expectRvfError(runSql(db, statement, undefined, { write: false, ...(readOnlyContext ? { readOnlyContext } : {}) }), 'EREADONLY');
      assert.match(err.message, words, `${String(readOnlyContext)}: ${statement}`);
    }
  }
  assert.equal((await sql(db, 'SELECT count(*) FROM vectors')).rows[0]?.[0], stores.l2.rows.size);
});

// ------------------------------------------------------------ 6. limits

test('a runaway recursive CTE is stopped at the time limit with ELIMIT; SQL and rvf_* answer right after', async () => {
  const { db, rows } = stores.l2;
  const q = vectorsOf(1, 908)[0] as number[];
  for (const runaway of [
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c, rvf_knn(?, 2)',
  ]) {
    const start = Date.now();
    const e = await expectRvfError(sql(db, runaway, runaway.includes('?') ? [q] : undefined, 300), 'ELIMIT', 'runaway');
    const took = Date.now() - start;
    assert.ok(took >= 280 && took < 3000, `stopped after ${took} ms (limit 300)`);
    assert.match(e.message, /300 ms/);
    const t0 = Date.now();
    assert.deepEqual((await sql(db, 'SELECT count(*) FROM vectors')).rows, [[rows.size]]);
    assertKnn((await sql(db, 'SELECT id, distance FROM rvf_knn(?, 3)', [q])).rows, await db.query(q, 3), rows, q, 3, 'l2', undefined, 'after the runaway');
    assert.equal((await db.status()).totalVectors, rows.size);
    assert.ok(Date.now() - t0 < 3000, 'the store answered promptly after the kill');
  }
});

test('a runaway query on one store does not hold up SQL on another store', async () => {
  const a = stores.l2;
  const b = stores.cosine;
  // The other store may have to start a query process of its own (about a second on a loaded
  // machine), but must not wait for the runaway's kill at 4 s.
  const runaway = sql(a.db, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c', undefined, 4000);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  assert.deepEqual((await sql(b.db, 'SELECT count(*) FROM vectors')).rows, [[b.rows.size]]);
  assert.ok(Date.now() - t0 < 3000, `another store waited ${Date.now() - t0} ms`);
  await expectRvfError(runaway, 'ELIMIT');
});

test('row cap: exactly maxQueryRows rows come back whole; one more is cut to maxQueryRows with truncated: true (also for an endless generator)', async () => {
  const { db } = stores.l2;
  const n = LIMITS.maxQueryRows;
  const exact = await sql(db, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT x FROM c`, undefined, 4000);
  assert.equal(exact.rows.length, n);
  assert.equal(exact.truncated, false);
  const over = await sql(db, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n + 1}) SELECT x FROM c`, undefined, 4000);
  assert.equal(over.rows.length, n);
  assert.equal(over.truncated, true);
  assert.deepEqual(over.rows.at(-1), [n]);
  assert.deepEqual(over.rows[0], [1]);
  const endless = await sql(db, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c', undefined, 4000);
  assert.equal(endless.rows.length, n);
  assert.equal(endless.truncated, true);
});

test('row cap with rows of about 60 bytes (a result of some 600 KB of JSON) still answers, cut at maxQueryRows', async () => {
  const { db } = stores.l2;
  const n = LIMITS.maxQueryRows;
  const start = Date.now();
  const r = await sql(db, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n + 5}) SELECT x, 'row ' || x || ' of a result long enough to matter' FROM c`, undefined, 3000);
  assert.equal(r.rows.length, n, `rows after ${Date.now() - start} ms`);
  assert.equal(r.truncated, true);
  assert.deepEqual(r.rows[41], [42, 'row 42 of a result long enough to matter']);
});

test('byte cap: a result whose JSON would pass maxQueryResultBytes is cut (truncated: true) just below the cap', async () => {
  const { db } = stores.l2;
  const rowText = 100_000;
  const start = Date.now();
  const r = await sql(db, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200) SELECT x, printf('%.*c', ${rowText}, 'x') FROM c`, undefined, 3000);
  const json = Buffer.byteLength(JSON.stringify(r.rows));
  assert.equal(r.truncated, true, `after ${Date.now() - start} ms`);
  assert.ok(json <= LIMITS.maxQueryResultBytes, `${json} bytes of rows`);
  const perRow = rowText + 12;
  assert.ok(r.rows.length >= Math.floor(LIMITS.maxQueryResultBytes / perRow) - 1, `cut too early: ${r.rows.length} rows`);
  r.rows.forEach((row, i) => assert.equal(row[0], i + 1));
});

test('byte cap counts UTF-8 bytes: multi-byte text is cut at maxQueryResultBytes of JSON too', async () => {
  const { db } = stores.l2;
  // 90 000 ASCII characters and 10 000 euro signs a row: 100 000 characters, 120 000 bytes of UTF-8.
  const r = await sql(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200) SELECT x, printf('%.*c', 90000, 'x') || replace(printf('%.*c', 10000, 'x'), 'x', '€') FROM c", undefined, 3000);
  const json = Buffer.byteLength(JSON.stringify(r.rows));
  assert.equal(r.truncated, true);
  assert.ok(json <= LIMITS.maxQueryResultBytes, `${json} bytes of JSON, cap ${LIMITS.maxQueryResultBytes}`);
  assert.ok(r.rows.length >= Math.floor(LIMITS.maxQueryResultBytes / 120_020) - 1, `cut too early: ${r.rows.length} rows`);
});

test('a query stopped while its answer was half written leaves no uncaught exception in the calling process', async () => {
  const { db } = stores.l2;
  const uncaught: unknown[] = [];
  const listener = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', listener);
  try {
    // About 1 MB of answer, stopped at 1 s if it does not arrive by then.
    await sql(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT x, printf('%.*c', 100000, 'x') FROM c", undefined, 1000).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    process.off('uncaughtException', listener);
  }
  assert.deepEqual(uncaught.map(String), [], 'uncaught exceptions in the caller');
  assert.deepEqual((await sql(db, 'SELECT 1')).rows, [[1]]);
});

test('query text: empty is EINVAL; up to maxQueryTextBytes bytes runs; one byte more (or multi-byte text over the byte count) is ELIMIT', async () => {
  const { db } = stores.l2;
  await expectRvfError(sql(db, ''), 'EINVAL', 'empty');
  await expectRvfError(sql(db, '  \n\t '), 'EINVAL', 'blank');
  const head = 'SELECT 42 AS n -- '; // an alias, so the column name is not the whole text
  const atLimit = head + 'x'.repeat(LIMITS.maxQueryTextBytes - head.length);
  assert.equal(Buffer.byteLength(atLimit), LIMITS.maxQueryTextBytes);
  assert.deepEqual((await sql(db, atLimit).catch((err: unknown) => assert.fail(`the query of exactly ${LIMITS.maxQueryTextBytes} bytes: ${String(err)}`))).rows, [[42]]);
  const e = await expectRvfError(sql(db, atLimit + 'x'), 'ELIMIT', 'one byte over');
  assert.match(e.message, new RegExp(String(LIMITS.maxQueryTextBytes)));
  const multi = head + 'é'.repeat(Math.ceil(LIMITS.maxQueryTextBytes / 2));
  assert.ok(multi.length < LIMITS.maxQueryTextBytes + 100 && Buffer.byteLength(multi) > LIMITS.maxQueryTextBytes);
  await expectRvfError(sql(db, multi), 'ELIMIT', 'multi-byte text over the byte limit');
  // Large values go as params instead: a 1 MB string param is fine.
  assert.deepEqual((await sql(db, 'SELECT length(?)', ['y'.repeat(1_000_000)]).catch((err: unknown) => assert.fail(`a 1 MB param: ${String(err)}`))).rows, [[1_000_000]]);
});

test('runSql on a closed handle is ECLOSED', async () => {
  const db = await RvfDatabase.create(join(dir, 'closed.rvf'), { dimensions: DIM });
  await db.close();
  await expectRvfError(sql(db, 'SELECT 1'), 'ECLOSED');
});

test('20 concurrent runSql calls over three stores all answer right', async () => {
  const q = vectorsOf(1, 909)[0] as number[];
  const calls = Array.from({ length: 20 }, async (_, i) => {
    const metric = (['l2', 'cosine', 'dotproduct'] as Metric[])[i % 3] as Metric;
    const { db, rows } = stores[metric];
    if (i % 2 === 0) {
      const r = await sql(db, 'SELECT ?, count(*) FROM vectors WHERE id % 7 = ?', [i, i % 7]);
      assert.deepEqual(r.rows, [[i, [...rows.keys()].filter((id) => BigInt(id) % 7n === BigInt(i % 7)).length]]);
    } else {
      const r = await sql(db, 'SELECT id, distance FROM rvf_knn(?, ?)', [q, i]);
      assertKnn(r.rows, await db.query(q, i), rows, q, i, metric, undefined, `call ${i}`);
    }
  });
  await Promise.all(calls);
});

// ------------------------------------------------------------ 7. consistency beside a writer

/** The first column of each row, as a decimal string. */
function ids(r: SqlRows): string[] {
  return r.rows.map((row) => String(row[0]));
}

test('a read-only handle sees what the writer committed once refreshed: ingests, replacements and deletes, in SQL and in rvf_knn', async () => {
  const path = join(tempDir('rvf-sql-rw-'), 'rw.rvf');
  const { db: writer, rows } = await buildStore(path, 'l2', 302);
  const reader = await RvfDatabase.openReadonly(path);
  try {
    const q = vectorsOf(1, 910)[0] as number[];
    assert.deepEqual(ids(await sql(reader, 'SELECT id FROM vectors ORDER BY id')), sortedIds(rows));
    const r1 = await writer.ingestBatch([
      { id: 9000, vector: q, metadata: { topic: 'new' } },
      { id: 3, vector: q, metadata: { topic: 'moved' } },
    ]);
    rows.set('9000', { vector: q, metadata: { topic: 'new' }, epoch: r1.epoch });
    rows.set('3', { vector: q, metadata: { topic: 'moved' }, epoch: r1.epoch });
    await writer.delete([1, 2, '9223372036854775807']);
    for (const id of ['1', '2', '9223372036854775807']) rows.delete(id);
    await reader.refresh();
    const all = await sql(reader, 'SELECT id, metadata, epoch FROM vectors ORDER BY id');
    assert.deepEqual(ids(all), sortedIds(rows));
    for (const row of all.rows) {
      const m = rows.get(String(row[0])) as Row;
      assert.deepEqual(row[1] === null ? null : JSON.parse(row[1] as string), m.metadata);
      assert.equal(row[2], m.epoch);
    }
    const knn = await sql(reader, "SELECT k.id, k.distance, json_extract(v.metadata, '$.topic') FROM rvf_knn(?, 2) k JOIN vectors v ON v.id = k.id ORDER BY k.id", [q]);
    assert.deepEqual(knn.rows, [[3, 0, 'moved'], [9000, 0, 'new']]);
    const filtered = await sql(reader, 'SELECT id, distance FROM rvf_knn(?, 5, ?)', [q, { topic: 'moved' }]);
    assert.deepEqual(filtered.rows, [[3, 0]]);
    assert.deepEqual((await sql(reader, 'SELECT id, distance FROM rvf_knn(?, 20)', [q])).rows, (await writer.query(q, 20)).map((r) => [r.id, r.distance]));
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a reader whose shared cache is ahead (writer committed, reader not refreshed) answers consistently with one epoch', async () => {
  const path = join(tempDir('rvf-sql-ahead-'), 'ahead.rvf');
  const { db: writer, rows } = await buildStore(path, 'l2', 303);
  const reader = await RvfDatabase.openReadonly(path);
  try {
    await sql(reader, 'SELECT 1');
    const q = vectorsOf(1, 911)[0] as number[];
    const states = new Map<number, Map<string, Row>>([[(await writer.status()).epoch, new Map(rows)]]);
    const r1 = await writer.ingestBatch([{ id: 7777, vector: q, metadata: { topic: 'late' } }]);
    rows.set('7777', { vector: q, metadata: { topic: 'late' }, epoch: r1.epoch });
    const r2 = await writer.delete([0, 5]);
    rows.delete('0');
    rows.delete('5');
    states.set(r2.epoch, new Map(rows));
    // No refresh: the cache file already holds the writer's epoch.
    const r = await sql(reader, "SELECT (SELECT group_concat(id) FROM (SELECT id FROM vectors ORDER BY id)), (SELECT max(epoch) FROM vectors)");
    const epoch = (await reader.status()).epoch;
    const state = states.get(epoch);
    assert.ok(state, `the reader is at epoch ${epoch}, which is neither the old nor the new one`);
    assert.deepEqual(r.rows, [[sortedIds(state).join(','), Math.max(...[...state.values()].map((x) => x.epoch))]]);
    // rvf_knn of that same query matches the rows of that epoch.
    const knn = await sql(reader, 'SELECT k.id, k.distance, v.id IS NOT NULL FROM rvf_knn(?, 3) k LEFT JOIN vectors v ON v.id = k.id', [q]);
    for (const row of knn.rows) assert.equal(row[2], 1, `knn id ${String(row[0])} is missing from vectors in the same query`);
    assert.deepEqual(
      knn.rows.map((row) => row[0]),
      brute(states.get((await reader.status()).epoch) as Map<string, Row>, q, 3, 'l2').map((b) => wire(b.id)),
    );
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a reader whose shared cache keeps moving falls back to a private cache at its own epoch (the third try)', async () => {
  const path = join(tempDir('rvf-sql-moving-'), 'moving.rvf');
  const { db: writer, rows } = await buildStore(path, 'l2', 304);
  const reader = await RvfDatabase.openReadonly(path);
  const q = vectorsOf(1, 912)[0] as number[];
  const byEpoch = new Map<number, Map<string, Row>>();
  let next = 20000;
  const commit = async (): Promise<void> => {
    const id = next++;
    const r = await writer.ingestBatch([{ id, vector: q, metadata: { topic: 'moving', id } }]);
    rows.set(String(id), { vector: q, metadata: { topic: 'moving', id }, epoch: r.epoch });
    byEpoch.set(r.epoch, new Map(rows));
  };
  let refreshes = 0;
  const original = reader.refresh.bind(reader);
  // Each time the reader catches up, the writer commits again (a busy writer), so its shared cache is never at the reader's epoch.
  reader.refresh = async () => {
    refreshes++;
    const moved = await original();
    await commit();
    return moved;
  };
  try {
    await sql(reader, 'SELECT 1');
    await commit();
    const r = await sql(reader, "SELECT id, json_extract(metadata, '$.id') FROM vectors WHERE id BETWEEN 20000 AND 29999 ORDER BY id");
    const epoch = (await reader.status()).epoch;
    assert.ok(refreshes >= 1, 'the reader never retried');
    assert.ok(epoch < (await writer.status()).epoch, 'the test meant the writer to stay ahead');
    const state = byEpoch.get(epoch) as Map<string, Row>;
    const expected = sortedIds(state).filter((id) => BigInt(id) >= 20000n && BigInt(id) < 30000n);
    assert.deepEqual(r.rows, expected.map((id) => [Number(id), Number(id)]), `rows of the reader's epoch ${epoch}`);
    const file = await sql(reader, "SELECT file FROM pragma_database_list WHERE name = 'main'");
    assert.match(String(file.rows[0]?.[0]), /rvf-private/, 'the reader answered from its private cache');
    const knn = await sql(reader, 'SELECT count(*) FROM rvf_knn(?, 50, ?)', [q, { topic: 'moving' }]);
    assert.deepEqual(knn.rows, [[[...((byEpoch.get((await reader.status()).epoch) as Map<string, Row>).values())].filter((m) => m.metadata?.topic === 'moving').length]]);
  } finally {
    delete (reader as { refresh?: unknown }).refresh;
    await reader.close();
    await writer.close();
  }
});

test('rvf_knn with a filter on a reader answers from the reader\'s epoch even when the writer commits while the query runs', async () => {
  const path = join(tempDir('rvf-sql-race-'), 'race.rvf');
  const writer = await RvfDatabase.create(path, { dimensions: 3, metric: 'l2' });
  await writer.ingestBatch([
    { id: 1, vector: [1, 0, 0], metadata: { t: 'a' } },
    { id: 2, vector: [0, 1, 0], metadata: { t: 'b' } },
    { id: 3, vector: [0, 0, 1], metadata: { t: 'a' } },
  ]);
  const reader = await RvfDatabase.openReadonly(path);
  try {
    await sql(reader, 'SELECT 1');
    // The SQL first spends a while counting, then calls rvf_knn; the writer commits in between.
    const query =
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) ' +
      "SELECT k.id, k.distance, json_extract(v.metadata, '$.t') FROM (SELECT count(*) AS n FROM c) s, rvf_knn(CASE WHEN s.n > 0 THEN ? END, 3, ?) k JOIN vectors v ON v.id = k.id ORDER BY k.id";
    const t0 = Date.now();
    await sql(reader, query, [1_000_000, [1, 0, 0], { t: 'a' }]);
    const slow = Date.now() - t0;
    const loops = Math.min(20_000_000, Math.max(3_000_000, Math.round((1_000_000 * 800) / Math.max(1, slow))));
    const running = sql(reader, query, [loops, [1, 0, 0], { t: 'a' }], 10_000);
    await new Promise((r) => setTimeout(r, 100));
    // id 1 stops matching {t: 'a'}, id 2 starts to.
    await writer.ingestBatch([
      { id: 1, vector: [1, 0, 0], metadata: { t: 'b' } },
      { id: 2, vector: [0, 1, 0], metadata: { t: 'a' } },
    ]);
    const r = await running;
    const epoch = (await reader.status()).epoch;
    for (const row of r.rows) assert.equal(row[2], 'a', `rvf_knn(filter t=a) returned id ${String(row[0])}, whose metadata in the same query has t=${String(row[2])} (reader epoch ${epoch})`);
    const expected = epoch === 1 ? [[1, 0, 'a'], [3, 2, 'a']] : [[2, 2, 'a'], [3, 2, 'a']];
    assert.deepEqual(r.rows, expected, `answer at the reader's epoch ${epoch}`);
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a store whose cache file was deleted and rebuilt (in the same process) still answers SQL', async () => {
  const path = join(tempDir('rvf-sql-rebuilt-'), 'rebuilt.rvf');
  let db = await RvfDatabase.create(path, { dimensions: 3, metric: 'l2' });
  await db.ingestBatch([{ id: 1, vector: [1, 0, 0], metadata: { v: 1 } }]);
  assert.deepEqual((await sql(db, 'SELECT id FROM vectors')).rows, [[1]]);
  await db.close();
  for (const s of ['', '-wal', '-shm']) rmSync(`${path}.sqlite${s}`, { force: true });
  db = await RvfDatabase.open(path); // rebuilds the cache from the file
  try {
    await db.ingestBatch([{ id: 2, vector: [0, 1, 0], metadata: { v: 2 } }]);
    assert.deepEqual((await db.query([0, 1, 0], 1)).map((r) => r.id), [2]);
    assert.deepEqual((await sql(db, 'SELECT id, json_extract(metadata, \'$.v\') FROM vectors ORDER BY id')).rows, [[1, 1], [2, 2]]);
  } finally {
    await db.close();
  }
});

test('a closed reader\'s private cache is not kept open by the SQL children', async () => {
  const path = join(tempDir('rvf-sql-private-'), 'private.rvf');
  const { db: writer } = await buildStore(path, 'l2', 305);
  rmSync(`${path}.sqlite`); // a reader opened now cannot share the cache: it builds a private one
  const reader = await RvfDatabase.openReadonly(path);
  let privatePath = '';
  try {
    const r = await sql(reader, 'SELECT file FROM pragma_database_list WHERE name = \'main\'');
    privatePath = String(r.rows[0]?.[0]);
    assert.ok(privatePath.includes('rvf-private'), `expected a private cache, got ${privatePath}`);
  } finally {
    await reader.close();
    await writer.close();
  }
  assert.equal(existsSync(privatePath), false, 'the private cache file is deleted on close');
  // The children check for deleted cache files every second: they must let go within a few.
  const heldNow = (): string[] => {
    const held: string[] = [];
    for (const pid of sqlChildren()) {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          if (target.startsWith(privatePath)) held.push(`${pid}: ${target}`);
        } catch {
          // closed meanwhile
        }
      }
    }
    return held;
  };
  let held = heldNow();
  for (let i = 0; i < 30 && held.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    held = heldNow();
  }
  assert.deepEqual(held, [], 'SQL children still hold the deleted private cache open after 3 s');
});

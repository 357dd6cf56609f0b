/**
 * Numbers as JSON delivers them, at library level on real stores (runQuery
 * through the real query child processes, the real SQLite cache, the real
 * WASM engine):
 * - a whole number in params is an integer in SQL and in Cypher, at the top
 *   level as inside a list or map (better-sqlite3 binds a JS number as REAL,
 *   which made `'user-' + $id` give "user-5.0" and `? / 2` give 2.5);
 * - a whole number past 2^53 in params or in metadata is refused, since
 *   JSON.parse has already rounded it (9007199254740993 arrives as ...992),
 *   and the refusal changes nothing;
 * - toInteger() of digits is exact, the way to pass such an integer instead.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery, type QueryParams, type QueryRows } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { expectRvfError } from './helpers/assertions.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = tempDir('rvf-json-numbers-');
after(() => queryRunner().close());

async function store(name: string): Promise<RvfDatabase> {
  return RvfDatabase.create(join(ROOT, `${name}.rvf`), { dimensions: 4, metric: 'l2' });
}

function run(db: RvfDatabase, lang: 'sql' | 'cypher', text: string, params?: QueryParams, write = false): Promise<QueryRows> {
  return runQuery(db, lang, text, params, { write });
}

test('a whole number in SQL params binds as an INTEGER', async () => {
  const db = await store('sql-int');
  const out = await run(db, 'sql', "SELECT typeof(?), ? / 2, json_object('n', ?), ? || '', typeof(?), ? / 2", [5, 5, 5, 5, 2.5, 2.5]);
  assert.deepEqual(out.rows, [['integer', 2, '{"n":5}', '5', 'real', 1.25]]);
  await run(db, 'sql', 'CREATE TABLE t (v)', undefined, true);
  await run(db, 'sql', 'INSERT INTO t VALUES (:a), (:b)', { a: 7, b: 7.5 }, true);
  assert.deepEqual((await run(db, 'sql', 'SELECT typeof(v), v FROM t ORDER BY rowid')).rows, [['integer', 7], ['real', 7.5]]);
  await db.close();
});

test('a REAL infinity in an SQL result is the string "Infinity", not null', async () => {
  const db = await store('sql-inf');
  assert.deepEqual((await run(db, 'sql', 'SELECT 1e999, -1e999, 1e999 IS NULL')).rows, [['Infinity', '-Infinity', 0]]);
  await db.close();
});

test('a whole number in Cypher params is an integer at the top level as inside a list or map', async () => {
  const db = await store('cypher-int');
  const params = { id: 5, xs: [5], m: { n: 5 }, f: 2.5 };
  const out = await run(db, 'cypher', "RETURN 'user-' + $id AS a, toString($id) AS b, $id / 2 AS c, 'u' + $xs[0] AS d, $m.n / 2 AS e, $f / 2 AS f, range(0, $id) AS r", params);
  assert.deepEqual(out.rows, [['user-5', '5', 2, 'u5', 2, 1.25, [0, 1, 2, 3, 4, 5]]]);
  await run(db, 'cypher', 'CREATE (:User {key: "user-" + $id, n: $id})', { id: 5 }, true);
  assert.deepEqual((await run(db, 'cypher', 'MATCH (u:User {key: "user-5"}) RETURN u.n / 2')).rows, [[2]]);
  await db.close();
});

test('toInteger() of digits is exact beyond 2^53', async () => {
  const db = await store('to-integer');
  const out = await run(db, 'cypher', "RETURN toInteger('9007199254740993') AS a, toInteger(' -12345678901234567 ') AS b, toInteger('9223372036854775807') AS c, toInteger('1.9') AS d, toInteger($s) = 4611686018427387905 AS e", { s: '4611686018427387905' });
  // integers beyond 2^53 come back as decimal strings, every digit kept
  assert.deepEqual(out.rows, [['9007199254740993', '-12345678901234567', '9223372036854775807', 1, true]]);
  // past the 64-bit range it is an error, not the range's end (SQLite's CAST clamps)
  for (const arg of ["'99999999999999999999'", "'9223372036854775808'", '1e30', '-1e19']) {
    const err = await expectRvfError(run(db, 'cypher', `RETURN toInteger(${arg}) AS v`), 'EINVAL');
    assert.match(err.message, /beyond the 64-bit integer range/, arg);
  }
  await db.close();
});

test('a whole number past 2^53 in params is refused, and the write changes nothing', async () => {
  const db = await store('rounded');
  await run(db, 'sql', 'CREATE TABLE t (v)', undefined, true);
  const before = (await db.status()).epoch;
  // what JSON.parse makes of 9007199254740993
  const rounded = JSON.parse('9007199254740993') as number;
  for (const [lang, text, params] of [
    ['sql', 'INSERT INTO t VALUES (?)', [rounded]],
    ['sql', 'INSERT INTO t VALUES (:v)', { v: { deep: [rounded] } }],
    ['cypher', 'CREATE (:N {id: $id})', { id: rounded }],
    ['cypher', 'UNWIND $rows AS r CREATE (:N {id: r.id})', { rows: [{ id: 1 }, { id: -(2 ** 63) }] }],
  ] as const) {
    const err = await expectRvfError(run(db, lang, text, params as QueryParams, true), 'EINVAL');
    assert.match(err.message, /beyond 2\^53.*pass it as a string.*toInteger/, err.message);
  }
  assert.equal((await db.status()).epoch, before, 'nothing was committed');
  assert.deepEqual((await run(db, 'sql', 'SELECT count(*) FROM t')).rows, [[0]]);
  assert.deepEqual((await run(db, 'cypher', 'MATCH (n) RETURN count(n)')).rows, [[0]]);
  // floats of any size, and integers within 2^53, pass
  const ok = await run(db, 'sql', 'SELECT ?, ?, ?', [2 ** 53 - 1, 1e300, 0.5]);
  assert.deepEqual(ok.rows, [[2 ** 53 - 1, 1e300, 0.5]]);
  await db.close();
});

test('metadata holding a whole number past 2^53 is refused, the batch not ingested', async () => {
  const db = await store('metadata');
  const vector = new Float32Array([1, 2, 3, 4]);
  const err = await expectRvfError(db.ingestBatch([{ id: 1, vector, metadata: { ok: 1 } }, { id: 2, vector, metadata: { snowflake: JSON.parse('1234567890123456789') as number } }]), 'EINVAL');
  assert.match(err.message, /1234567890123456768.*beyond 2\^53.*as strings/, err.message);
  assert.equal((await db.status()).totalVectors, 0);
  await db.ingestBatch([{ id: 3, vector, metadata: { big: 1e300, id: 2 ** 53 - 1, text: '12345678901234567890' } }]);
  assert.equal((await db.status()).totalVectors, 1);
  await db.close();
});

test('Infinity stored as a Cypher property is the string "Infinity", as a NaN is "NaN"; never null', async () => {
  const db = await store('infinity');
  await run(db, 'cypher', 'CREATE (:F {a: 0.0 / 0.0, b: 1.0 / 0, c: [1.0 / 0, 2.5], d: -1.0 / 0})', undefined, true);
  await run(db, 'cypher', 'UNWIND [1, 2] AS i CREATE (:G {v: i / 0.0})', undefined, true);
  await run(db, 'cypher', 'MATCH (g:G) SET g.w = -1.0 / 0, g += {x: 1.0 / 0}', undefined, true);
  assert.deepEqual((await run(db, 'cypher', 'MATCH (f:F) RETURN f.a, f.b, f.c, f.d, keys(f)')).rows, [['NaN', 'Infinity', ['Infinity', 2.5], '-Infinity', ['a', 'b', 'c', 'd']]]);
  assert.deepEqual((await run(db, 'cypher', 'MATCH (g:G) RETURN g.v, g.w, g.x')).rows, [['Infinity', '-Infinity', 'Infinity'], ['Infinity', '-Infinity', 'Infinity']]);
  // as the cache holds them, and as the log gives them back to a rebuilt cache
  const props = 'SELECT props FROM graph_nodes ORDER BY id';
  const stored = (await run(db, 'sql', props)).rows;
  assert.deepEqual(stored[0], ['{"a":"NaN","b":"Infinity","c":["Infinity",2.5],"d":"-Infinity"}']);
  await db.close();
  const again = await RvfDatabase.open(join(ROOT, 'infinity.rvf'));
  assert.deepEqual((await run(again, 'sql', props)).rows, stored);
  await again.close();
});

test('a float with a whole value stays a float when a Cypher write stores it, in the cache and from the log', async () => {
  const db = await store('whole-floats');
  await run(db, 'cypher', 'CREATE (:X {score: 1.0, l: [1.0, 2.5], i: 3, f: 0.5})', undefined, true);
  await run(db, 'cypher', 'MATCH (x:X) SET x.y = 2.0, x += {r: 4.0}', undefined, true);
  await run(db, 'cypher', 'UNWIND [1.0, 2.0] AS v CREATE (:V {v: v})', undefined, true);
  const rows = { rows: [{ n: 'a' }, { n: 'b' }] };
  await run(db, 'cypher', 'UNWIND $rows AS r MERGE (e:E {name: r.n}) SET e.w = 1.0, e.c = coalesce(e.c, 0) + 1', rows, true);
  await run(db, 'cypher', 'UNWIND $rows AS r MERGE (e:E {name: r.n}) SET e.w = e.w + 1, e.c = coalesce(e.c, 0) + 1', rows, true);
  const check = async (label: string, on: RvfDatabase): Promise<void> => {
    // integer division would give 0, 1, 0 and 0
    assert.deepEqual((await run(on, 'cypher', 'MATCH (x:X) RETURN x.score / 2, x.y / 4, x.r / 8, x.i / 2, toString(x.score)')).rows, [[0.5, 0.5, 0.5, 1, '1.0']], label);
    assert.deepEqual((await run(on, 'cypher', 'MATCH (v:V) RETURN v.v / 4 ORDER BY v.v')).rows, [[0.25], [0.5]], label);
    assert.deepEqual((await run(on, 'cypher', 'MATCH (e:E) RETURN e.name, e.w / 4, e.c ORDER BY e.name')).rows, [['a', 0.5, 2], ['b', 0.5, 2]], label);
    const types = "SELECT json_type(props, '$.score'), json_type(props, '$.l[0]'), json_type(props, '$.i'), json_type(props, '$.y'), json_type(props, '$.r') FROM graph_nodes WHERE props LIKE '%score%'";
    assert.deepEqual((await run(on, 'sql', types)).rows, [['real', 'real', 'integer', 'real', 'real']], label);
    // 1 = 1.0 in Cypher: a MERGE on the integer finds the node stored with the float
    assert.deepEqual((await run(on, 'cypher', 'MATCH (x:X {score: 1}) RETURN count(x)')).rows, [[1]], label);
  };
  await check('in the cache', db);
  await db.close();
  rmSync(join(ROOT, 'whole-floats.rvf.sqlite'), { force: true });
  const again = await RvfDatabase.open(join(ROOT, 'whole-floats.rvf'), { onWarning: () => undefined });
  await check('rebuilt from the log', again);
  await again.close();
});

/**
 * SQL conformance table: one fixed, hand-checkable dataset
 * (test/fixtures/sql-conformance-data.ts) and a table of SQL entries run in
 * order through runQuery(db, 'sql', ...) on a real store (real .rvf log, real
 * SQLite cache, real WASM engine, real query child processes).
 *
 * Each entry gives the SQL, its params, and either the exact columns and rows
 * (numbers compared with a 1e-5 tolerance; distances computed here by brute
 * force in float64 from the fixture vectors) or the error code and a message
 * pattern. Every entry also checks the store's epoch: a read or a refused write
 * leaves it unchanged; a write that changed something advances it by exactly
 * one and reports the new epoch.
 *
 * Then the writer is closed, the cache files are deleted, the store is opened
 * read-only (the cache is rebuilt from the .rvf log, including the effects of
 * the SQL writes) and every read entry is run again: it must give the
 * identical answer it gave the first time, and still match the table.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { type QueryParams, type QueryRows, runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase, RvfError } from '../store/index.ts';
import { BIG53, BIG60, DIM, Q, SETUP_SQL, VECTORS } from './fixtures/sql-conformance-data.ts';
import { squaredL2 } from './helpers/assertions.ts';
import { tempDir } from './helpers/temp.ts';

// ------------------------------------------------------------ helpers

interface RowsExpect {
  columns: string[];
  rows: unknown[][];
  /** SQLite's count of changed rows, for writes. */
  changes?: number;
  /** A write that changed nothing: no commit, no epoch. */
  noCommit?: true;
}
interface ErrorExpect {
  error: string;
  message?: RegExp;
}
interface Entry {
  name: string;
  sql: string;
  params?: QueryParams;
  write?: true;
  expect: RowsExpect | ErrorExpect;
}

/** Squared euclidean distance (the store's l2) of fixture vector `id` to Q, in float64. */
function d(id: number | string): number {
  const v = VECTORS.find((x) => String(x.id) === String(id));
  if (!v) throw new Error(`no fixture vector ${id}`);
  return squaredL2(v.vector, Q);
}

const TOLERANCE = 1e-5;

/** Rows equal, cell by cell; two numbers may differ by 1e-5 (relative above 1). */
function assertRows(actual: unknown[][], expected: unknown[][], label: string): void {
  const show = `${label}\n  got:      ${JSON.stringify(actual)}\n  expected: ${JSON.stringify(expected)}`;
  assert.equal(actual.length, expected.length, `row count: ${show}`);
  expected.forEach((row, i) => {
    const got = actual[i] as unknown[];
    assert.ok(Array.isArray(got), `row ${i} is not an array: ${show}`);
    assert.equal(got.length, row.length, `row ${i} width: ${show}`);
    row.forEach((want, j) => {
      const cell = got[j];
      if (typeof want === 'number' && typeof cell === 'number') {
        assert.ok(Math.abs(cell - want) <= TOLERANCE * Math.max(1, Math.abs(want)), `row ${i} col ${j}: ${cell} vs ${want}: ${show}`);
      } else {
        assert.deepEqual(cell, want, `row ${i} col ${j}: ${show}`);
      }
    });
  });
}

type Outcome = { ok: QueryRows } | { code: string; message: string };

async function run(db: RvfDatabase, e: Entry): Promise<Outcome> {
  try {
    return { ok: await runQuery(db, 'sql', e.sql, e.params, { write: e.write === true }) };
  } catch (err) {
    if (!(err instanceof RvfError)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** Checks one outcome against its entry's expectation. */
function check(e: Entry, out: Outcome): void {
  if ('error' in e.expect) {
    assert.ok('code' in out, `${e.name}: expected ${e.expect.error}, but it succeeded with ${JSON.stringify('ok' in out ? out.ok : out)}`);
    assert.equal(out.code, e.expect.error, `${e.name}: code (message: ${out.message})`);
    if (e.expect.message) assert.match(out.message, e.expect.message, `${e.name}: message`);
    return;
  }
  assert.ok('ok' in out, `${e.name}: expected rows, got ${'code' in out ? `${out.code}: ${out.message}` : ''}`);
  assert.deepEqual(out.ok.columns, e.expect.columns, `${e.name}: columns`);
  assert.equal(out.ok.truncated, false, `${e.name}: truncated`);
  assertRows(out.ok.rows, e.expect.rows, e.name);
  if (e.expect.changes !== undefined) assert.equal(out.ok.changes, e.expect.changes, `${e.name}: changes`);
}

const none = { columns: [] as string[], rows: [] as unknown[][] };

// ------------------------------------------------------------ the table

const ENTRIES: Entry[] = [
  // --- SELECT, WHERE, ORDER BY, LIMIT/OFFSET, JSON
  {
    name: 'json_extract: top-level, array element, array length, nested object as JSON text',
    sql: "SELECT id, json_extract(metadata, '$.title') AS title, json_extract(metadata, '$.tags[1]') AS tag2, json_array_length(metadata, '$.tags') AS ntags, json_extract(metadata, '$.meta') AS meta FROM vectors WHERE id = 3",
    expect: { columns: ['id', 'title', 'tag2', 'ntags', 'meta'], rows: [[3, 'TS Deep Dive', 'web', 2, '{"lang":"en","pages":420}']] },
  },
  {
    name: 'ORDER BY id with LIMIT and OFFSET',
    sql: 'SELECT id FROM vectors ORDER BY id LIMIT 4 OFFSET 2',
    expect: { columns: ['id'], rows: [[3], [4], [5], [6]] },
  },
  {
    name: 'ids above 2^53-1 come back as decimal strings, smaller ones as numbers',
    sql: 'SELECT id, id > 9007199254740991 AS big FROM vectors WHERE id >= 10 ORDER BY id',
    expect: { columns: ['id', 'big'], rows: [[10, 0], [BIG53, 1], [BIG60, 1]] },
  },
  {
    name: 'aggregates and arithmetic on big ids stay exact',
    sql: 'SELECT max(id) AS m, typeof(max(id)) AS t, max(id) - 1 AS prev, min(id) AS lo FROM vectors',
    expect: { columns: ['m', 't', 'prev', 'lo'], rows: [[BIG60, 'integer', '1152921504606846976', 1]] },
  },
  {
    name: 'WHERE on a nested field, ORDER BY two keys (ASC, DESC)',
    sql: "SELECT id, json_extract(metadata, '$.meta.lang') AS lang FROM vectors WHERE json_extract(metadata, '$.meta.pages') < 250 ORDER BY lang, id DESC",
    expect: { columns: ['id', 'lang'], rows: [[9, 'de'], [4, 'de'], [BIG53, 'en'], [6, 'fr'], [BIG60, 'ja']] },
  },
  {
    name: 'NULL metadata vs a missing key',
    sql: "SELECT id, metadata IS NULL AS no_meta FROM vectors WHERE json_extract(metadata, '$.topic') IS NULL ORDER BY id",
    expect: { columns: ['id', 'no_meta'], rows: [[8, 1], [10, 0]] },
  },
  {
    name: 'a JSON null inside metadata is typed null, not missing',
    sql: "SELECT id, json_type(metadata, '$.rating') AS t FROM vectors WHERE json_type(metadata, '$.rating') IS NOT NULL",
    expect: { columns: ['id', 't'], rows: [[9, 'null']] },
  },
  {
    name: 'json_each over the tags arrays, GROUP BY tag',
    sql: "SELECT j.value AS tag, count(*) AS n FROM vectors, json_each(vectors.metadata, '$.tags') j GROUP BY tag ORDER BY n DESC, tag",
    expect: { columns: ['tag', 'n'], rows: [['lang', 4], ['systems', 3], ['web', 3], ['async', 2], ['tools', 1]] },
  },
  {
    name: 'json_each over a nested object: keys, values, types',
    sql: "SELECT j.key, j.value, j.type FROM vectors v, json_each(v.metadata, '$.meta') j WHERE v.id = 1 ORDER BY j.key",
    expect: { columns: ['key', 'value', 'type'], rows: [['lang', 'en', 'text'], ['pages', 550, 'integer']] },
  },
  // --- GROUP BY, HAVING, aggregates
  {
    name: 'GROUP BY topic with count/min/max/sum and HAVING (the NULL group is cut)',
    sql:
      "SELECT json_extract(metadata, '$.topic') AS topic, count(*) AS n, min(json_extract(metadata, '$.year')) AS first, max(json_extract(metadata, '$.year')) AS last, " +
      "sum(json_extract(metadata, '$.meta.pages')) AS pages FROM vectors GROUP BY topic HAVING count(*) >= 3 ORDER BY topic",
    expect: { columns: ['topic', 'n', 'first', 'last', 'pages'], rows: [['go', 3, 2015, 2021, 700], ['rust', 4, 2015, 2024, 1114], ['ts', 3, 2019, 2024, 719]] },
  },
  {
    name: 'count(*) vs count(column) over NULLs, avg',
    sql: "SELECT count(*) AS n, count(metadata) AS with_meta, count(json_extract(metadata, '$.topic')) AS with_topic, avg(json_extract(metadata, '$.year')) AS avg_year FROM vectors",
    expect: { columns: ['n', 'with_meta', 'with_topic', 'avg_year'], rows: [[12, 11, 10, 22224 / 11]] },
  },
  {
    name: 'group_concat with ORDER BY inside the aggregate, big ids as text',
    sql: "SELECT json_extract(metadata, '$.topic') AS topic, group_concat(id, ',' ORDER BY id) AS ids FROM vectors GROUP BY topic HAVING topic IS NOT NULL ORDER BY topic",
    expect: { columns: ['topic', 'ids'], rows: [['go', '2,5,9'], ['rust', `1,4,7,${BIG60}`], ['ts', `3,6,${BIG53}`]] },
  },
  // --- window functions
  {
    name: 'window functions: rank and dense_rank with ties, named WINDOW',
    sql: "SELECT id, rank() OVER w AS rk, dense_rank() OVER w AS drk FROM vectors WHERE json_extract(metadata, '$.year') <= 2019 WINDOW w AS (ORDER BY json_extract(metadata, '$.year')) ORDER BY id",
    expect: { columns: ['id', 'rk', 'drk'], rows: [[1, 1, 1], [2, 1, 1], [3, 3, 2], [9, 3, 2]] },
  },
  {
    name: 'window functions: running sum per partition, lag over big ids',
    sql:
      "SELECT id, sum(json_extract(metadata, '$.meta.pages')) OVER (PARTITION BY json_extract(metadata, '$.topic') ORDER BY id) AS running, lag(id) OVER (ORDER BY id) AS prev " +
      "FROM vectors WHERE json_extract(metadata, '$.topic') IN ('rust', 'ts') ORDER BY id",
    expect: {
      columns: ['id', 'running', 'prev'],
      rows: [[1, 550, null], [3, 420, 1], [4, 730, 3], [6, 620, 4], [7, 1050, 6], [BIG53, 719, 7], [BIG60, 1114, BIG53]],
    },
  },
  // --- CTEs, subqueries, CASE, VALUES, set operations
  {
    name: 'CTE over a user table, LEFT JOIN (an author without books)',
    sql: 'WITH per_author AS (SELECT author_id, count(*) AS n, sum(price) AS total FROM books GROUP BY author_id) SELECT a.name, p.n, p.total FROM authors a LEFT JOIN per_author p ON p.author_id = a.id ORDER BY a.id',
    expect: { columns: ['name', 'n', 'total'], rows: [['Ada', 3, 84.5], ['Brian', 2, 30], ['Chiyo', 2, 45], ['Dara', null, null]] },
  },
  {
    name: 'recursive CTE (bounded)',
    sql: 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x * 2 FROM n WHERE x < 1000) SELECT count(*) AS c, max(x) AS hi, sum(x) AS s FROM n',
    expect: { columns: ['c', 'hi', 's'], rows: [[11, 1024, 2047]] },
  },
  {
    name: 'recursive CTE of years LEFT JOINed with vectors',
    sql:
      "WITH RECURSIVE y(year) AS (SELECT 2015 UNION ALL SELECT year + 1 FROM y WHERE year < 2024) SELECT y.year, count(v.id) AS n FROM y LEFT JOIN vectors v ON json_extract(v.metadata, '$.year') = y.year GROUP BY y.year ORDER BY y.year",
    expect: {
      columns: ['year', 'n'],
      rows: [[2015, 2], [2016, 0], [2017, 0], [2018, 0], [2019, 2], [2020, 1], [2021, 2], [2022, 0], [2023, 2], [2024, 2]],
    },
  },
  {
    name: 'EXISTS with a correlated subquery and a scalar subquery',
    sql: 'SELECT a.name FROM authors a WHERE EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.id AND b.price > (SELECT avg(price) FROM books)) ORDER BY a.name',
    expect: { columns: ['name'], rows: [['Ada'], ['Brian']] },
  },
  {
    name: 'IN (subquery on a user table) selecting big vector ids',
    sql: 'SELECT id FROM vectors WHERE id IN (SELECT vector_id FROM books WHERE author_id = 3) ORDER BY id',
    expect: { columns: ['id'], rows: [[BIG53], [BIG60]] },
  },
  {
    name: 'INTERSECT of a user table column and vectors',
    sql: "SELECT vector_id FROM books WHERE vector_id IS NOT NULL INTERSECT SELECT id FROM vectors WHERE json_extract(metadata, '$.year') >= 2021 ORDER BY 1",
    expect: { columns: ['vector_id'], rows: [[4], [5], [BIG53], [BIG60]] },
  },
  {
    name: 'CASE with a NULL branch',
    sql:
      "SELECT id, CASE WHEN json_extract(metadata, '$.year') < 2018 THEN 'old' WHEN json_extract(metadata, '$.year') < 2022 THEN 'mid' WHEN metadata IS NULL THEN 'none' ELSE 'new' END AS era " +
      'FROM vectors WHERE id <= 10 ORDER BY id',
    expect: {
      columns: ['id', 'era'],
      rows: [[1, 'old'], [2, 'old'], [3, 'mid'], [4, 'mid'], [5, 'mid'], [6, 'new'], [7, 'new'], [8, 'none'], [9, 'mid'], [10, 'mid']],
    },
  },
  {
    name: 'VALUES',
    sql: "VALUES (1, 'a'), (2, NULL)",
    expect: { columns: ['column1', 'column2'], rows: [[1, 'a'], [2, null]] },
  },
  // --- user tables joined with vectors, views, indexes
  {
    name: 'JOIN a user table with vectors on the vector id',
    sql: "SELECT b.id, b.title, json_extract(v.metadata, '$.year') AS year, b.title = json_extract(v.metadata, '$.title') AS same FROM books b JOIN vectors v ON v.id = b.vector_id ORDER BY b.id",
    expect: {
      columns: ['id', 'title', 'year', 'same'],
      rows: [[101, 'Rust Book', 2015, 1], [102, 'Go Tour', 2015, 1], [103, 'Async Rust', 2021, 1], [104, 'Huge Ids', 2024, 1], [105, 'Go Concurrency', 2021, 1], [106, 'Big Ids', 2024, 1]],
    },
  },
  {
    name: 'LEFT JOIN: big vector ids stored in a user table, a book without a vector',
    sql: 'SELECT b.id, b.vector_id, v.id IS NULL AS missing FROM books b LEFT JOIN vectors v ON v.id = b.vector_id WHERE b.author_id = 3 OR b.vector_id IS NULL ORDER BY b.id',
    expect: { columns: ['id', 'vector_id', 'missing'], rows: [[104, BIG60, 0], [106, BIG53, 0], [107, null, 1]] },
  },
  {
    name: 'three-way join authors-books-vectors with GROUP BY',
    sql: "SELECT a.name, json_extract(v.metadata, '$.topic') AS topic, count(*) AS n FROM authors a JOIN books b ON b.author_id = a.id JOIN vectors v ON v.id = b.vector_id GROUP BY a.name, topic ORDER BY a.name, topic",
    expect: { columns: ['name', 'topic', 'n'], rows: [['Ada', 'rust', 2], ['Brian', 'go', 2], ['Chiyo', 'rust', 1], ['Chiyo', 'ts', 1]] },
  },
  {
    name: 'a view created by SQL',
    sql: "SELECT id, title, author FROM book_view WHERE author = 'Chiyo' ORDER BY id",
    expect: { columns: ['id', 'title', 'author'], rows: [[104, 'Huge Ids', 'Chiyo'], [106, 'Big Ids', 'Chiyo']] },
  },
  {
    name: 'the index created by SQL, through pragma_index_info',
    sql: "SELECT m.name AS idx, i.name AS col FROM sqlite_schema m, pragma_index_info(m.name) i WHERE m.type = 'index' AND m.tbl_name = 'books' ORDER BY m.name",
    expect: { columns: ['idx', 'col'], rows: [['books_author', 'author_id']] },
  },
  // --- parameters
  {
    name: 'positional ? params',
    sql: "SELECT id FROM vectors WHERE json_extract(metadata, '$.topic') = ? AND json_extract(metadata, '$.year') >= ? ORDER BY id",
    params: ['rust', 2021],
    expect: { columns: ['id'], rows: [[4], [7], [BIG60]] },
  },
  {
    name: ':name params (keys without the prefix)',
    sql: 'SELECT title FROM books WHERE author_id = :author AND price < :max ORDER BY id',
    params: { author: 1, max: 40 },
    expect: { columns: ['title'], rows: [['Rust Book']] },
  },
  {
    name: '@name params (key with the prefix)',
    sql: 'SELECT name FROM authors WHERE country = @c',
    params: { '@c': 'JP' },
    expect: { columns: ['name'], rows: [['Chiyo']] },
  },
  {
    name: '$name params',
    sql: "SELECT count(*) AS n FROM vectors WHERE json_extract(metadata, '$.year') = $year",
    params: { $year: 2024 },
    expect: { columns: ['n'], rows: [[2]] },
  },
  {
    name: 'a bigint param binds as an exact integer',
    sql: "SELECT id, id - 1 AS prev, json_extract(metadata, '$.title') AS title FROM vectors WHERE id = ?",
    params: [2n ** 60n + 1n],
    expect: { columns: ['id', 'prev', 'title'], rows: [[BIG60, '1152921504606846976', 'Huge Ids']] },
  },
  {
    name: 'a decimal-string id param compares equal to the integer id',
    sql: "SELECT id, json_extract(metadata, '$.title') AS title FROM vectors WHERE id = ?",
    params: [BIG53],
    expect: { columns: ['id', 'title'], rows: [[BIG53, 'Big Ids']] },
  },
  {
    name: 'a NULL param, and an array param bound as JSON text',
    sql: "SELECT (SELECT count(*) FROM vectors WHERE metadata IS ?) AS nulls, (SELECT group_concat(id, ',' ORDER BY id) FROM vectors WHERE id IN (SELECT value FROM json_each(?))) AS picked",
    params: [null, [5, 3, 99]],
    expect: { columns: ['nulls', 'picked'], rows: [[1, '3,5']] },
  },
  // --- rvf_knn, rvf_distance
  {
    name: 'rvf_knn(?, 5): nearest first, distances = brute-force squared l2',
    sql: 'SELECT id, distance FROM rvf_knn(?, 5)',
    params: [Q],
    expect: { columns: ['id', 'distance'], rows: [[1, d(1)], [BIG60, d(BIG60)], [5, d(5)], [BIG53, d(BIG53)], [9, d(9)]] },
  },
  {
    name: 'rvf_knn with the vector as a SQL literal, joined with vectors',
    sql: "SELECT k.id, json_extract(v.metadata, '$.title') AS title, k.distance FROM rvf_knn('[1, 0.25, 0, 0]', 3) k JOIN vectors v ON v.id = k.id ORDER BY k.distance",
    expect: { columns: ['id', 'title', 'distance'], rows: [[1, 'Rust Book', d(1)], [BIG60, 'Huge Ids', d(BIG60)], [5, 'Go Concurrency', d(5)]] },
  },
  {
    name: 'rvf_knn joined with user tables (books, authors)',
    sql: 'SELECT k.id, b.title, a.name FROM rvf_knn(?, 4) k JOIN books b ON b.vector_id = k.id JOIN authors a ON a.id = b.author_id ORDER BY k.distance',
    params: [Q],
    expect: { columns: ['id', 'title', 'name'], rows: [[1, 'Rust Book', 'Ada'], [BIG60, 'Huge Ids', 'Chiyo'], [5, 'Go Concurrency', 'Brian'], [BIG53, 'Big Ids', 'Chiyo']] },
  },
  {
    name: 'rvf_knn(?, k, filter) with the filter as an object param',
    sql: 'SELECT id, distance FROM rvf_knn(?, 3, ?)',
    params: [Q, { topic: 'go' }],
    expect: { columns: ['id', 'distance'], rows: [[5, d(5)], [9, d(9)], [2, d(2)]] },
  },
  {
    name: 'rvf_knn filter on a dotted nested field and a $gte range, k larger than the matches',
    sql: 'SELECT id FROM rvf_knn(?, 10, ?)',
    params: [Q, { 'meta.lang': 'en', year: { $gte: 2020 } }],
    expect: { columns: ['id'], rows: [[5], [BIG53], [7]] },
  },
  {
    name: 'rvf_knn filter as JSON text in the SQL ($in)',
    sql: 'SELECT id, distance FROM rvf_knn(?, 10, \'{"topic": {"$in": ["ts"]}}\')',
    params: [Q],
    expect: { columns: ['id', 'distance'], rows: [[BIG53, d(BIG53)], [3, d(3)], [6, d(6)]] },
  },
  {
    name: 'rvf_knn over every vector, aggregated',
    sql: 'SELECT count(*) AS n, max(distance) AS far, min(distance) AS near FROM rvf_knn(?, 12)',
    params: [Q],
    expect: { columns: ['n', 'far', 'near'], rows: [[12, d(10), d(1)]] },
  },
  {
    name: 'rvf_distance(id, ?) for every vector = brute-force squared l2',
    sql: 'SELECT id, rvf_distance(id, ?) AS d FROM vectors ORDER BY id',
    params: [Q],
    expect: { columns: ['id', 'd'], rows: VECTORS.map((v) => [v.id, d(v.id)]) },
  },
  {
    name: 'rvf_distance of an id that is not in the store is NULL',
    sql: 'SELECT rvf_distance(999, ?) AS d',
    params: [Q],
    expect: { columns: ['d'], rows: [[null]] },
  },
  {
    name: 'ORDER BY rvf_distance agrees with rvf_knn',
    sql: 'SELECT id FROM vectors ORDER BY rvf_distance(id, ?), id LIMIT 3',
    params: [Q],
    expect: { columns: ['id'], rows: [[1], [BIG60], [5]] },
  },
  // --- read errors
  {
    name: 'syntax error',
    sql: 'SELECT id FROM vectors WHERE AND id = 1',
    expect: { error: 'EINVAL', message: /near "AND": syntax error.*fix it and retry/ },
  },
  {
    name: 'two statements',
    sql: 'SELECT 1; SELECT 2',
    expect: { error: 'EINVAL', message: /one SQL statement per call/ },
  },
  {
    name: 'unknown table',
    sql: 'SELECT * FROM no_such_table',
    expect: { error: 'EINVAL', message: /no such table: no_such_table/ },
  },
  {
    name: 'a write with {write: false}',
    sql: "INSERT INTO authors (name) VALUES ('Eve')",
    expect: { error: 'EREADONLY', message: /--write/ },
  },
  {
    name: 'a write behind WITH, with {write: false}',
    sql: 'WITH x AS (SELECT 1) DELETE FROM books',
    expect: { error: 'EREADONLY', message: /--write/ },
  },
  {
    name: 'rvf_knn with a 3-dimensional vector',
    sql: 'SELECT * FROM rvf_knn(?, 3)',
    params: [[1, 0, 0]],
    expect: { error: 'EDIM', message: new RegExp(`has 3 dimensions but the store has ${DIM}`) },
  },
  {
    name: 'rvf_knn with k = 0',
    sql: 'SELECT * FROM rvf_knn(?, 0)',
    params: [Q],
    expect: { error: 'ELIMIT', message: /k must be an integer from 1 to/ },
  },
  {
    name: 'rvf_distance with a 5-dimensional vector',
    sql: 'SELECT rvf_distance(1, ?)',
    params: [[1, 0, 0, 0, 0]],
    expect: { error: 'EDIM', message: /has 5 dimensions/ },
  },
  // --- refused writes (writer handle, {write: true})
  {
    name: 'DELETE from vectors',
    sql: 'DELETE FROM vectors WHERE id = 1',
    write: true,
    expect: { error: 'EREADONLY', message: /rvf_ingest, rvf_delete/ },
  },
  {
    name: 'UPDATE vectors',
    sql: "UPDATE vectors SET metadata = '{}' WHERE id = 2",
    write: true,
    expect: { error: 'EREADONLY', message: /rvf_ingest, rvf_delete/ },
  },
  {
    name: 'INSERT into graph_nodes',
    sql: "INSERT INTO graph_nodes (props) VALUES ('{}')",
    write: true,
    expect: { error: 'EREADONLY', message: /graph_nodes belongs to the store.*rvlite_cypher/ },
  },
  {
    name: 'DELETE from rdf_quads',
    sql: 'DELETE FROM rdf_quads',
    write: true,
    expect: { error: 'EREADONLY', message: /rdf_quads belongs to the store.*rvlite_sparql/ },
  },
  {
    name: 'UPDATE rvf_migrations',
    sql: "UPDATE rvf_migrations SET summary = '{}'",
    write: true,
    // not the graph's or the triples' advice, which does not apply to it
    expect: { error: 'EREADONLY', message: /^rvf_migrations belongs to the store; SQL can read it but not write it \(rvf migrate keeps it\)\.$/ },
  },
  {
    name: 'DELETE from store_info',
    sql: 'DELETE FROM store_info',
    write: true,
    expect: { error: 'EREADONLY', message: /^store_info belongs to the store; SQL can read it but not write it \(the store keeps it itself\)\.$/ },
  },
  {
    name: 'CREATE INDEX on vectors',
    sql: 'CREATE INDEX vectors_epoch ON vectors (epoch)',
    write: true,
    expect: { error: 'EREADONLY', message: /vectors belongs to the store and cannot be altered, indexed or dropped.*Nothing was changed/ },
  },
  {
    name: 'CREATE TRIGGER',
    sql: 'CREATE TRIGGER authors_log AFTER INSERT ON authors BEGIN SELECT 1; END',
    write: true,
    expect: { error: 'EINVAL', message: /triggers are not supported.*write the rows directly/ },
  },
  {
    name: 'CREATE TEMP TABLE',
    sql: 'CREATE TEMP TABLE scratch (x INTEGER)',
    write: true,
    expect: { error: 'EINVAL', message: /TEMP.*create (a )?regular table.*Nothing was changed/ },
  },
  {
    name: 'ATTACH',
    sql: "ATTACH DATABASE ':memory:' AS other",
    write: true,
    expect: { error: 'EINVAL', message: /ATTACH statements are not available.*send one INSERT, UPDATE, DELETE/ },
  },
  {
    name: 'PRAGMA',
    sql: 'PRAGMA foreign_keys = OFF',
    write: true,
    expect: { error: 'EINVAL', message: /PRAGMA statements are not available.*send one INSERT, UPDATE, DELETE/ },
  },
  {
    name: 'VACUUM',
    sql: 'VACUUM',
    write: true,
    expect: { error: 'EINVAL', message: /VACUUM statements are not available.*send one INSERT, UPDATE, DELETE/ },
  },
  {
    name: 'CREATE TABLE with a reserved name',
    sql: 'CREATE TABLE rvf_mine (x INTEGER)',
    write: true,
    expect: { error: 'EINVAL', message: /reserved for the store.*choose another/ },
  },
  {
    name: 'FOREIGN KEY violation on INSERT (author 99 does not exist)',
    sql: "INSERT INTO books (id, author_id, vector_id, title, price) VALUES (200, 99, NULL, 'Ghost', 1)",
    write: true,
    expect: { error: 'EINVAL', message: /FOREIGN KEY constraint failed/ },
  },
  {
    name: 'FOREIGN KEY violation on DELETE (author 3 has books)',
    sql: 'DELETE FROM authors WHERE id = 3',
    write: true,
    expect: { error: 'EINVAL', message: /FOREIGN KEY constraint failed/ },
  },
  {
    name: 'after the refused writes: no ghost book, every author, vectors and graph untouched',
    sql: "SELECT (SELECT count(*) FROM books WHERE id = 200) AS ghost, (SELECT count(*) FROM authors) AS authors, (SELECT count(*) FROM vectors) AS vectors, (SELECT metadata FROM vectors WHERE id = 2) IS NOT '{}' AS kept, (SELECT count(*) FROM graph_nodes) AS nodes, (SELECT count(*) FROM sqlite_schema WHERE name IN ('vectors_epoch', 'authors_log', 'rvf_mine')) AS objects",
    expect: { columns: ['ghost', 'authors', 'vectors', 'kept', 'nodes', 'objects'], rows: [[0, 4, 12, 1, 0, 0]] },
  },
  // --- writes, each followed by a read of its effect
  {
    name: 'CREATE TABLE with a FOREIGN KEY and a CHECK',
    sql: 'CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES books(id), stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5), note TEXT)',
    write: true,
    expect: none,
  },
  {
    name: 'read: the new table is in the schema',
    sql: "SELECT type, tbl_name FROM sqlite_schema WHERE name = 'reviews'",
    expect: { columns: ['type', 'tbl_name'], rows: [['table', 'reviews']] },
  },
  {
    name: 'INSERT of five rows',
    sql: "INSERT INTO reviews (id, book_id, stars, note) VALUES (1, 101, 5, 'classic'), (2, 101, 4, NULL), (3, 104, 3, 'big'), (4, 105, 2, 'meh'), (5, 102, 1, 'old')",
    write: true,
    expect: { ...none, changes: 5 },
  },
  {
    name: 'read: inserted rows joined through books to vectors',
    sql: "SELECT r.id, b.title, json_extract(v.metadata, '$.topic') AS topic FROM reviews r JOIN books b ON b.id = r.book_id JOIN vectors v ON v.id = b.vector_id WHERE r.id IN (1, 2) ORDER BY r.id",
    expect: { columns: ['id', 'title', 'topic'], rows: [[1, 'Rust Book', 'rust'], [2, 'Rust Book', 'rust']] },
  },
  {
    name: 'CHECK constraint violation',
    sql: 'INSERT INTO reviews (book_id, stars) VALUES (101, 9)',
    write: true,
    expect: { error: 'EINVAL', message: /CHECK constraint failed/ },
  },
  {
    name: 'UPDATE with a positional param',
    sql: "UPDATE reviews SET stars = stars - ?, note = coalesce(note, 'was null') WHERE id = 2",
    params: [1],
    write: true,
    expect: { ...none, changes: 1 },
  },
  {
    name: 'read: the updated row',
    sql: 'SELECT stars, note FROM reviews WHERE id = 2',
    expect: { columns: ['stars', 'note'], rows: [[3, 'was null']] },
  },
  {
    name: 'DELETE with a :name param',
    sql: 'DELETE FROM reviews WHERE stars <= :max',
    params: { max: 2 },
    write: true,
    expect: { ...none, changes: 2 },
  },
  {
    name: 'read: the deleted rows are gone',
    sql: "SELECT count(*) AS n FROM reviews WHERE stars <= 2 OR note IN ('meh', 'old')",
    expect: { columns: ['n'], rows: [[0]] },
  },
  {
    name: 'a DELETE matching nothing commits nothing',
    sql: 'DELETE FROM reviews WHERE id = 999',
    write: true,
    expect: { ...none, changes: 0, noCommit: true },
  },
  {
    name: 'REPLACE of an existing row',
    sql: "REPLACE INTO reviews (id, book_id, stars, note) VALUES (3, 106, 4, 'replaced')",
    write: true,
    expect: { ...none, changes: 1 },
  },
  {
    name: 'read: the replaced row',
    sql: 'SELECT book_id, stars, note FROM reviews WHERE id = 3',
    expect: { columns: ['book_id', 'stars', 'note'], rows: [[106, 4, 'replaced']] },
  },
  {
    name: 'INSERT ... RETURNING with positional params (rowid = max + 1)',
    sql: 'INSERT INTO reviews (book_id, stars, note) VALUES (?, ?, ?) RETURNING id, stars, note',
    params: [103, 5, 'returned'],
    write: true,
    expect: { columns: ['id', 'stars', 'note'], rows: [[4, 5, 'returned']], changes: 1 },
  },
  {
    name: 'read: the returned row joined to books and authors',
    sql: "SELECT r.id, b.title, a.name FROM reviews r JOIN books b ON b.id = r.book_id JOIN authors a ON a.id = b.author_id WHERE r.note = 'returned'",
    expect: { columns: ['id', 'title', 'name'], rows: [[4, 'Async Rust', 'Ada']] },
  },
  {
    name: 'UPDATE ... RETURNING',
    sql: "UPDATE reviews SET note = note || '!' WHERE id = 1 RETURNING id, note",
    write: true,
    expect: { columns: ['id', 'note'], rows: [[1, 'classic!']], changes: 1 },
  },
  {
    name: 'read: the row UPDATE ... RETURNING changed',
    sql: 'SELECT note FROM reviews WHERE id = 1',
    expect: { columns: ['note'], rows: [['classic!']] },
  },
  {
    name: 'CREATE INDEX on a user table',
    sql: 'CREATE INDEX reviews_book ON reviews (book_id, stars)',
    write: true,
    expect: none,
  },
  {
    name: 'read: the index columns',
    sql: "SELECT name FROM pragma_index_info('reviews_book') ORDER BY seqno",
    expect: { columns: ['name'], rows: [['book_id'], ['stars']] },
  },
  {
    name: 'ALTER TABLE ADD COLUMN with a default',
    sql: 'ALTER TABLE reviews ADD COLUMN helpful INTEGER NOT NULL DEFAULT 0',
    write: true,
    expect: none,
  },
  {
    name: 'read: the added column',
    sql: "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info('reviews') WHERE name = 'helpful'",
    expect: { columns: ['name', 'type', 'notnull', 'dflt_value'], rows: [['helpful', 'INTEGER', 1, '0']] },
  },
  {
    name: 'WITH ... UPDATE (a write behind a CTE)',
    sql: 'WITH pricey AS (SELECT id FROM books WHERE price > 40) UPDATE reviews SET helpful = 1 WHERE book_id IN (SELECT id FROM pricey)',
    write: true,
    expect: { ...none, changes: 1 },
  },
  {
    name: 'read: every review row after the writes',
    sql: 'SELECT id, book_id, stars, note, helpful FROM reviews ORDER BY id',
    expect: {
      columns: ['id', 'book_id', 'stars', 'note', 'helpful'],
      rows: [[1, 101, 5, 'classic!', 0], [2, 101, 3, 'was null', 0], [3, 106, 4, 'replaced', 0], [4, 103, 5, 'returned', 1]],
    },
  },
  {
    name: 'CREATE TABLE AS SELECT from vectors',
    sql: "CREATE TABLE topic_counts AS SELECT json_extract(metadata, '$.topic') AS topic, count(*) AS n FROM vectors GROUP BY 1",
    write: true,
    expect: none,
  },
  {
    name: 'read: the table made by CREATE TABLE AS SELECT',
    sql: 'SELECT topic, n FROM topic_counts ORDER BY topic',
    expect: { columns: ['topic', 'n'], rows: [[null, 2], ['go', 3], ['rust', 4], ['ts', 3]] },
  },
  {
    name: 'DROP VIEW',
    sql: 'DROP VIEW old_view',
    write: true,
    expect: none,
  },
  {
    name: 'read: only the other view is left',
    sql: "SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name",
    expect: { columns: ['name'], rows: [['book_view']] },
  },
  {
    name: 'read: the dropped view is an unknown table',
    sql: 'SELECT * FROM old_view',
    expect: { error: 'EINVAL', message: /no such table: old_view/ },
  },
];

// ------------------------------------------------------------ the store

const dir = tempDir('rvf-sql-conformance-');
const path = join(dir, 'conformance.rvf');
let db: RvfDatabase;
/** What each read entry answered on the writer, by entry name. */
const firstAnswers = new Map<string, Outcome>();
let finalEpoch = -1;

before(async () => {
  db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
});

after(async () => {
  await db.close().catch(() => undefined);
  queryRunner().close();
});

test('the table is well formed: unique names, at least 45 entries', () => {
  assert.ok(ENTRIES.length >= 45, `${ENTRIES.length} entries`);
  assert.equal(new Set(ENTRIES.map((e) => e.name)).size, ENTRIES.length, 'entry names are unique');
});

test('setup: 12 vectors ingested, user tables, index and views created by SQL writes, one commit each', async () => {
  const ingest = await db.ingestBatch(VECTORS.map((v) => ({ id: v.id, vector: v.vector, metadata: v.metadata })));
  assert.equal(ingest.accepted, VECTORS.length);
  let epoch = ingest.epoch;
  for (const sql of SETUP_SQL) {
    const r = await runQuery(db, 'sql', sql, undefined, { write: true });
    assert.equal(r.epoch, epoch + 1, `${sql}: commits once`);
    epoch = r.epoch;
  }
  assert.equal((await db.status()).epoch, epoch);
  // The null-metadata vector really has NULL metadata (the table relies on it).
  const n = await runQuery(db, 'sql', 'SELECT id FROM vectors WHERE metadata IS NULL', undefined, { write: false });
  assert.deepEqual(n.rows, [[8]]);
});

test('the conformance table, in order, on the writer handle', async (t) => {
  for (const e of ENTRIES) {
    await t.test(e.name, async () => {
      const before = (await db.status()).epoch;
      const out = await run(db, e);
      const after = (await db.status()).epoch;
      if (!e.write) firstAnswers.set(e.name, out);
      check(e, out);
      if ('error' in e.expect || !e.write || (e.expect as RowsExpect).noCommit) {
        assert.equal(after, before, `${e.name}: the epoch must not move (was ${before}, now ${after})`);
        if ('ok' in out) assert.equal(out.ok.epoch, undefined, `${e.name}: no epoch reported`);
      } else {
        assert.equal(after, before + 1, `${e.name}: one commit`);
        assert.ok('ok' in out);
        assert.equal(out.ok.epoch, after, `${e.name}: reports the new epoch`);
      }
    });
  }
  finalEpoch = (await db.status()).epoch;
});

test('cache deleted, store reopened read-only: every read entry gives the identical answer (cache rebuilt from the .rvf log)', async (t) => {
  assert.ok(finalEpoch > 0, 'the table ran');
  await db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}.sqlite${suffix}`, { force: true });
  assert.equal(existsSync(`${path}.sqlite`), false);
  db = await RvfDatabase.openReadonly(path);
  assert.equal((await db.status()).epoch, finalEpoch, 'the reader is at the writer\'s last epoch');
  const reads = ENTRIES.filter((e) => !e.write);
  assert.equal(firstAnswers.size, reads.length, 'every read entry ran the first time');
  for (const e of reads) {
    await t.test(e.name, async () => {
      const out = await run(db, e);
      assert.deepEqual(out, firstAnswers.get(e.name), `${e.name}: same answer as before the cache was deleted`);
      check(e, out);
    });
  }
});

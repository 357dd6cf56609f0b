/**
 * Cypher as agents use it for knowledge-graph memory (issue 12): entities with
 * observation lists, relations between them, batch upserts, neighbourhood
 * reads, paths.
 *
 * - a conformance table: each case runs on a fresh SQLite file with the
 *   store's CACHE_SCHEMA (setup writes, then the query), and checks the rows,
 *   the write stats, the error code, and what is stored (read back with SQL,
 *   so a list must be a JSON array in the row, not text that looks like one);
 * - node and relationship ids are never handed out again after a delete, on
 *   a real store through runQuery, across compaction, rvf_rebuild, a deleted
 *   cache and reopening (the high-water mark travels through the log);
 * - an agent-memory session (batch upserts that append observations, pruning,
 *   idempotent relations, neighbourhood reads, DETACH DELETE) through runQuery
 *   with write: true, checked again after closing and reopening the store,
 *   after rebuildCache(), after deleting the cache, and after compaction: the
 *   log is the source of truth.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery, type QueryRows } from '../rvlite-bridge/run-query.ts';
import { CypherError, runCypher, type CypherErrorCode, type CypherOptions, type CypherResult, type CypherStats } from '../rvlite-bridge/cypher/index.ts';
import { CACHE_SCHEMA } from '../store/cache-schema.ts';
import { RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

after(() => queryRunner().close());

type Params = Record<string, unknown>;

interface Case {
  /** what the case shows */
  name: string;
  /** writes run first, each in its own transaction */
  setup?: (string | { q: string; params: Params })[];
  q: string;
  params?: Params;
  options?: Partial<CypherOptions>;
  rows?: unknown[][];
  stats?: Partial<CypherStats>;
  error?: CypherErrorCode;
  message?: RegExp;
  /** SQL run after the query (also after an error), with the rows it must give */
  stored?: [string, unknown[][]];
}

const BIG = 4611686018427387905n; // 2^62 + 1: not a double

const CASES: Case[] = [
  // ---------------------------------------------------------- batch upserts: one binding per row
  {
    name: 'MERGE binds its node per input row',
    q: 'UNWIND $entities AS e MERGE (n:Entity {name: e.name}) SET n.type = e.type RETURN n.name, n.type',
    params: { entities: [{ name: 'a', type: 'x' }, { name: 'b', type: 'y' }, { name: 'a', type: 'z' }] },
    rows: [['a', 'z'], ['b', 'y'], ['a', 'z']],
    stats: { nodesCreated: 2, labelsAdded: 2 },
    stored: ['SELECT n.props, l.label FROM graph_nodes n JOIN graph_labels l ON l.node_id = n.id ORDER BY n.id', [['{"name":"a","type":"z"}', 'Entity'], ['{"name":"b","type":"y"}', 'Entity']]],
  },
  { name: 'MERGE over a literal list', q: 'UNWIND [1, 2, 3, 4] AS i MERGE (n {id: i}) RETURN count(*)', rows: [[4]], stats: { nodesCreated: 4 } },
  { name: 'MERGE again matches every row', setup: ['UNWIND [1, 2, 3, 4] AS i MERGE (n {id: i})'], q: 'UNWIND [1, 2, 3, 4] AS i MERGE (n {id: i}) RETURN count(*)', rows: [[4]], stats: { nodesCreated: 0 } },
  { name: 'a later row of the batch matches what an earlier row created', q: 'UNWIND [1, 1, 2] AS i MERGE (n:M {id: i}) RETURN count(*), count(DISTINCT n)', rows: [[3, 2]], stats: { nodesCreated: 2 } },
  { name: 'CREATE binds its node per input row', q: 'UNWIND [1, 2] AS i CREATE (n:N {id: i}) RETURN n.id ORDER BY n.id', rows: [[1], [2]], stats: { nodesCreated: 2 } },
  {
    name: 'CREATE of a path per input row',
    q: 'UNWIND [1, 2] AS i CREATE (a:A {i: i})-[r:R]->(b:B {i: i}) RETURN a.i, b.i, type(r) ORDER BY a.i',
    rows: [[1, 1, 'R'], [2, 2, 'R']],
    stats: { nodesCreated: 4, relationshipsCreated: 2 },
  },
  {
    name: 'CREATE reuses a node made earlier in the same clause, per row',
    q: 'UNWIND [1, 2] AS i CREATE (a:C {i: i}), (b:C {i: i * 10}), (a)-[:R]->(b) RETURN count(*)',
    rows: [[2]],
    stats: { nodesCreated: 4, relationshipsCreated: 2 },
    stored: ["SELECT json_extract(s.props, '$.i'), json_extract(d.props, '$.i') FROM graph_rels r JOIN graph_nodes s ON s.id = r.src JOIN graph_nodes d ON d.id = r.dst ORDER BY r.id", [[1, 10], [2, 20]]],
  },
  {
    name: 'MERGE of a relationship per input row',
    setup: ['CREATE (:P {n: 1}), (:P {n: 2}), (:P {n: 3})'],
    q: 'UNWIND [[1, 2], [2, 3], [1, 2]] AS pair MATCH (a:P {n: pair[0]}), (b:P {n: pair[1]}) MERGE (a)-[r:LINK {w: 1}]->(b) RETURN count(r)',
    rows: [[3]],
    stats: { relationshipsCreated: 2 },
  },
  { name: 'MERGE of a whole path per input row', q: 'UNWIND [1, 2] AS i MERGE (a:Q {i: i})-[:T]->(b:Q2 {i: i}) RETURN count(*)', rows: [[2]], stats: { nodesCreated: 4, relationshipsCreated: 2 } },
  // ---------------------------------------------------------- MERGE of a named relationship
  {
    name: 'MERGE binds a named relationship with properties',
    setup: ['CREATE (:A {n: 1}), (:B {n: 2})'],
    q: "MATCH (a:A), (b:B) MERGE (a)-[r:T {k: 'v'}]->(b) RETURN count(r), r.k",
    rows: [[1, 'v']],
    stats: { relationshipsCreated: 1 },
  },
  {
    name: 'MERGE of a named relationship again matches it',
    setup: ['CREATE (:A {n: 1}), (:B {n: 2})', "MATCH (a:A), (b:B) MERGE (a)-[r:T {k: 'v'}]->(b)"],
    q: "MATCH (a:A), (b:B) MERGE (a)-[r:T {k: 'v'}]->(b) RETURN count(r)",
    rows: [[1]],
    stats: { relationshipsCreated: 0 },
  },
  // ---------------------------------------------------------- write clauses with no input rows
  { name: 'CREATE with no input rows, then RETURN', q: 'MATCH (x:Nope) CREATE (n) RETURN n', rows: [], stats: { nodesCreated: 0 } },
  { name: 'CREATE with no input rows, then count', q: 'MATCH (x:Nope) CREATE (n) RETURN count(n)', rows: [[0]] },
  { name: 'MERGE with no input rows, then RETURN', q: 'MATCH (x:Nope) MERGE (n:Y) RETURN n', rows: [] },
  { name: 'MERGE of a relationship with no input rows', q: 'MATCH (x:Nope) MERGE (a)-[r:T {k: 1}]->(b) RETURN count(r)', rows: [[0]] },
  // ---------------------------------------------------------- + decides at run time for properties
  {
    name: 'a list property plus a string appends',
    setup: ["CREATE (:T {tags: ['t1', 't2']})"],
    q: "MATCH (n:T) SET n.tags = n.tags + 't3' RETURN n.tags",
    rows: [[['t1', 't2', 't3']]],
    stored: ['SELECT props FROM graph_nodes', [['{"tags":["t1","t2","t3"]}']]],
  },
  {
    name: 'coalesce(missing, []) plus a list parameter',
    setup: ["CREATE (:T {tags: ['t1', 't2']})"],
    q: 'MATCH (n:T) SET n.obs = coalesce(n.obs, []) + $new RETURN n.obs',
    params: { new: ['o1', 'o2'] },
    rows: [[['o1', 'o2']]],
    stored: ["SELECT json_type(props, '$.obs'), json_extract(props, '$.obs') FROM graph_nodes", [['array', '["o1","o2"]']]],
  },
  {
    name: 'coalesce(list property, []) plus a string parameter',
    setup: ["CREATE (:T {obs: ['o0']})"],
    q: 'MATCH (n:T) SET n.obs = coalesce(n.obs, []) + $new RETURN n.obs',
    params: { new: 'o1' },
    rows: [[['o0', 'o1']]],
    stored: ["SELECT json_extract(props, '$.obs') FROM graph_nodes", [['["o0","o1"]']]],
  },
  { name: 'a string plus a list property prepends', setup: ["CREATE (:T {tags: ['t1', 't2']})"], q: "MATCH (n:T) SET n.tags = 't0' + n.tags RETURN n.tags", rows: [[['t0', 't1', 't2']]] },
  { name: 'a list property plus itself', setup: ["CREATE (:T {tags: ['t1', 't2']})"], q: 'MATCH (n:T) RETURN n.tags + n.tags', rows: [[['t1', 't2', 't1', 't2']]] },
  {
    name: 'strings concatenate and numbers add, decided per value',
    setup: ["CREATE (:V {s: 'ab', i: 2, f: 1.5})"],
    q: "MATCH (v:V) RETURN v.s + 'c', v.i + 1, v.i + v.f, v.s + v.i, v.i + 'x', v.missing + 1, v.missing + [1], v.s + v.s",
    rows: [['abc', 3, 3.5, 'ab2', '2x', null, null, 'abab']],
  },
  { name: 'null in + gives null; lists concatenate', q: 'RETURN [1] + null, null + [1], [1] + [2], 1 + [2], [] + []', rows: [[null, null, [1, 2], [1, 2], []]] },
  { name: 'a boolean joins a string as its name', setup: ['CREATE (:V {ok: true})'], q: "MATCH (v:V) RETURN 'a' + true, v.ok + '!', 'x' + 1.5", rows: [['atrue', 'true!', 'x1.5']] },
  // ---------------------------------------------------------- null values in maps
  { name: 'a map key holding null IS NULL', q: 'WITH {k: null} AS map RETURN map.k IS NULL, map.k IS NOT NULL, map.missing IS NULL', rows: [[true, false, true]] },
  { name: 'a row key holding null IS NULL', q: 'UNWIND $rows AS r RETURN r.k IS NULL, coalesce(r.k, 0)', params: { rows: [{ k: null }] }, rows: [[true, 0]] },
  { name: 'a list element holding null IS NULL', q: 'RETURN [null, 1][0] IS NULL, head([null]) IS NULL, last([1, null]) IS NULL', rows: [[true, true, true]] },
  // ---------------------------------------------------------- integers above 2^53
  {
    name: 'an integer above 2^53 plus 1 stays exact',
    setup: ['CREATE (:B {id: 4611686018427387904})'],
    q: 'MATCH (b:B) SET b.id = b.id + 1 RETURN b.id',
    rows: [[BIG.toString()]],
    stored: ["SELECT json_extract(props, '$.id') = 4611686018427387905 FROM graph_nodes", [[1]]],
  },
  {
    name: 'an integer above 2^53 is stored and compared exactly',
    setup: ['CREATE (:Big {id: 4611686018427387905, n: 1})'],
    q: 'MATCH (n:Big) WHERE n.id = 4611686018427387905 RETURN n.id',
    rows: [[BIG.toString()]],
    stored: ['SELECT props FROM graph_nodes', [['{"id":4611686018427387905,"n":1}']]],
  },
  {
    name: 'a later SET keeps another big integer property exact',
    setup: ['CREATE (:Big {id: 4611686018427387905, n: 1})', 'MATCH (n:Big) SET n.n = 2'],
    q: 'MATCH (n:Big {id: 4611686018427387905}) RETURN n.n',
    rows: [[2]],
    stored: ['SELECT props FROM graph_nodes', [['{"id":4611686018427387905,"n":2}']]],
  },
  { name: 'a big integer parameter is stored exactly', setup: [{ q: 'CREATE (:Big {id: $id})', params: { id: BIG } }], q: 'MATCH (n:Big {id: $id}) RETURN count(*)', params: { id: BIG }, rows: [[1]] },
  {
    name: 'a list of big integers is stored exactly',
    q: 'CREATE (n:L {ids: [4611686018427387905, 1]}) RETURN n.ids',
    rows: [[[BIG.toString(), 1]]],
    stored: ['SELECT props FROM graph_nodes', [['{"ids":[4611686018427387905,1]}']]],
  },
  {
    name: 'a big integer carried through UNWIND into a write stays exact',
    q: 'UNWIND [4611686018427387905] AS x CREATE (n:U {x: x}) RETURN n.x',
    rows: [[BIG.toString()]],
    stored: ['SELECT props FROM graph_nodes', [['{"x":4611686018427387905}']]],
  },
  // ---------------------------------------------------------- string predicates on other types
  {
    name: 'STARTS WITH / ENDS WITH / CONTAINS on a non-string is null',
    setup: ["CREATE (:T {tags: ['t1'], n: 11, s: 'abc'})"],
    q: "MATCH (n:T) RETURN n.tags STARTS WITH 't', n.tags CONTAINS 't1', n.n ENDS WITH '1', n.s STARTS WITH 'a', n.s CONTAINS n.n, 1 STARTS WITH 'x', [1] CONTAINS 'x'",
    rows: [[null, null, null, true, null, null, null]],
  },
  // ---------------------------------------------------------- precedence: indexing binds tighter than IN
  { name: 'x IN list[0] indexes first', q: 'WITH [[1, 3], [2]] AS list RETURN 3 IN list[0], 2 IN list[0], 3 IN list[0] AND true', rows: [[true, false, true]] },
  { name: 'STARTS WITH list[0] indexes first', q: "WITH ['abc'] AS l RETURN 'abcd' STARTS WITH l[0]", rows: [[true]] },
  // ---------------------------------------------------------- WITH ... WHERE sees what the projection dropped
  { name: 'WITH ... WHERE on a dropped variable', setup: ['CREATE (:W {x: 1, y: 1}), (:W {x: 2, y: 2})'], q: 'MATCH (a:W) WITH a.x AS x WHERE a.y = 1 RETURN x', rows: [[1]] },
  { name: 'WITH ... ORDER BY ... LIMIT ... WHERE on a dropped variable', setup: ['CREATE (:W {x: 1, y: 1}), (:W {x: 2, y: 2})'], q: 'MATCH (a:W) WITH a.x AS x ORDER BY a.x DESC LIMIT 1 WHERE a.y = 2 RETURN x', rows: [[2]] },
  { name: 'the dropped variable is gone after the WHERE', setup: ['CREATE (:W {x: 1, y: 1})'], q: 'MATCH (a:W) WITH a.x AS x WHERE a.y = 1 RETURN a', error: 'EINVAL', message: /variable a is not defined/ },
  { name: 'an aggregating WITH keeps only its items', setup: ['CREATE (:W {x: 1, y: 1})'], q: 'MATCH (a:W) WITH a.x AS x, count(*) AS c WHERE a.y = 1 RETURN x', error: 'EINVAL' },
  // ---------------------------------------------------------- MERGE with null properties
  { name: 'MERGE with a null property value is refused', q: 'MERGE (n:N {id: null}) RETURN n', error: 'EINVAL', message: /null for property id/, stored: ['SELECT count(*) FROM graph_nodes', [[0]]] },
  { name: 'MERGE refuses the row that brings a null', q: 'UNWIND [{id: 1}, {}] AS r MERGE (n:N {id: r.id}) RETURN n', error: 'EINVAL', message: /null for property id/ },
  { name: 'MERGE of a relationship with a null property is refused', setup: ['CREATE (:A), (:B)'], q: 'MATCH (a:A), (b:B) MERGE (a)-[:R {w: null}]->(b)', error: 'EINVAL', message: /null for property w/ },
  // ---------------------------------------------------------- size() of a pattern
  {
    name: 'size((a)-->()) is the number of matches',
    setup: ["CREATE (a:D {n: 'a'}), (b:D {n: 'b'}), (a)-[:R]->(b), (a)-[:R]->(b), (b)-[:S]->(a)"],
    q: "MATCH (a:D {n: 'a'}) RETURN size((a)-->()), size((a)-[:R]->()), size((a)--()), size((a)<--()), size((a)-[:X]->())",
    rows: [[2, 2, 3, 1, 0]],
  },
  { name: 'size() of a pattern in WHERE', setup: ["CREATE (a:D {n: 'a'}), (b:D {n: 'b'}), (a)-[:R]->(b), (a)-[:R]->(b)"], q: 'MATCH (a:D) WHERE size((a)-->()) > 1 RETURN a.n', rows: [['a']] },
  // ---------------------------------------------------------- text agents send
  { name: 'a trailing semicolon and newline', setup: ['CREATE (:E {n: 1})'], q: 'MATCH (n:E) RETURN count(n);\n', rows: [[1]] },
  { name: 'a trailing semicolon, spaces and blank lines', setup: ['CREATE (:E {n: 1})'], q: 'MATCH (n:E) RETURN n.n ;  \n\n', rows: [[1]] },
  { name: 'a trailing semicolon and a comment', q: 'RETURN 1 AS one; // done\n', rows: [[1]] },
  { name: 'a write with a trailing semicolon', q: "CREATE (n:E {n: 2}) RETURN n.n;\n", rows: [[2]] },
  { name: 'a space after the colon of a label', setup: ['CREATE (:E {n: 1})'], q: 'MATCH (n: E) RETURN count(n)', rows: [[1]] },
  { name: 'a space after the colon of a type', setup: ['CREATE (:E)-[:R]->(:E)'], q: 'MATCH ()-[r: R]->() RETURN count(r)', rows: [[1]] },
  { name: 'a space after the colon of a label test', setup: ['CREATE (:E {n: 1})'], q: 'MATCH (n) WHERE n: E RETURN count(n)', rows: [[1]] },
  { name: 'a space after the colon in CREATE', q: 'CREATE (n: E {n: 3}) RETURN labels(n)', rows: [[['E']]] },
  { name: 'two statements are still refused', q: 'MATCH (n) RETURN n; MATCH (m) RETURN m', error: 'EINVAL' },
  // ---------------------------------------------------------- variable-length patterns without an upper bound
  {
    name: '-[*]-> walks up to the path-length limit',
    setup: ['CREATE (:K {i: 1})-[:NEXT]->(:K {i: 2})-[:NEXT]->(:K {i: 3})-[:NEXT]->(:K {i: 4})'],
    q: 'MATCH (:K {i: 1})-[:NEXT*]->(x) RETURN x.i ORDER BY x.i',
    rows: [[2], [3], [4]],
  },
  {
    name: '-[*]-> stops at a lower path-length limit',
    setup: ['CREATE (:K {i: 1})-[:NEXT]->(:K {i: 2})-[:NEXT]->(:K {i: 3})-[:NEXT]->(:K {i: 4})'],
    q: 'MATCH (:K {i: 1})-[:NEXT*]->(x) RETURN x.i ORDER BY x.i',
    options: { maxPathLength: 2 },
    rows: [[2], [3]],
  },
  {
    name: '-[*2..]-> has a lower bound only',
    setup: ['CREATE (:K {i: 1})-[:NEXT]->(:K {i: 2})-[:NEXT]->(:K {i: 3})-[:NEXT]->(:K {i: 4})'],
    q: 'MATCH (:K {i: 1})-[:NEXT*2..]->(x) RETURN x.i ORDER BY x.i',
    rows: [[3], [4]],
  },
  { name: '-[*]-> around a cycle ends', setup: ['CREATE (a:Cy {i: 1})-[:N]->(:Cy {i: 2})-[:N]->(a)'], q: 'MATCH (:Cy {i: 1})-[:N*]->(x) RETURN x.i ORDER BY x.i', rows: [[1], [2]] },
  { name: 'an upper bound above the limit is refused', q: 'MATCH (a)-[:NEXT*1..11]->(x) RETURN x', error: 'ELIMIT', message: /at most 10/ },
  { name: 'a lower bound above the limit is refused', q: 'MATCH (a)-[:NEXT*11..]->(x) RETURN x', error: 'ELIMIT', message: /at most 10/ },
  // ---------------------------------------------------------- ids are never handed out again
  { name: 'a node id is not reused after the highest is deleted', setup: ['CREATE (:I {n: 1}), (:I {n: 2}), (:I {n: 3})', 'MATCH (n:I {n: 3}) DELETE n'], q: 'CREATE (n:I {n: 4}) RETURN id(n)', rows: [[4]] },
  { name: 'no node id is reused after every node is deleted', setup: ['CREATE (:I), (:I)', 'MATCH (n) DETACH DELETE n'], q: 'CREATE (n) RETURN id(n)', rows: [[3]], stored: ['SELECT node, rel FROM graph_ids', [[2, 0]]] },
  { name: 'a node created and deleted in one query keeps its id', setup: ['CREATE (n:I) WITH n DELETE n'], q: 'CREATE (n) RETURN id(n)', rows: [[2]] },
  {
    name: 'a relationship id is not reused',
    setup: ['CREATE (a:J {n: 1})-[:R]->(b:J {n: 2}), (a)-[:R]->(b)', 'MATCH ()-[r:R]->() WHERE id(r) = 2 DELETE r'],
    q: 'MATCH (a:J {n: 1}), (b:J {n: 2}) CREATE (a)-[r:R]->(b) RETURN id(r)',
    rows: [[3]],
    stored: ['SELECT node, rel FROM graph_ids', [[0, 2]]],
  },
];

function expectCypherError(fn: () => unknown, code: CypherErrorCode, label: string): CypherError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CypherError, `${label}: expected CypherError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, `${label}: ${caught.message}`);
  assert.match(caught.message, /^Cypher: .+[.;]/, `${label}: message is a sentence`);
  return caught;
}

const sortRows = (rows: unknown[][]): unknown[][] => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));

describe('cypher memory conformance', () => {
  const dir = tempDir('rvf-cypher-memory-');
  let n = 0;

  function check(c: Case): void {
    const db = new Database(join(dir, `c${n++}.sqlite`));
    try {
      // as the store opens its cache: without a sync per statement
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(CACHE_SCHEMA);
      const run = (q: string, params: Params, options: Partial<CypherOptions> = {}): CypherResult =>
        db.transaction(() => runCypher(db, q, params, { write: true, maxRows: 1000, ...options }))();
      for (const s of c.setup ?? []) {
        const [q, params] = typeof s === 'string' ? [s, {}] : [s.q, s.params];
        run(q, params);
      }
      if (c.error) {
        const e = expectCypherError(() => run(c.q, c.params ?? {}, c.options), c.error, c.name);
        if (c.message) assert.match(e.message, c.message, c.name);
      } else {
        const r = run(c.q, c.params ?? {}, c.options);
        const ordered = /RETURN[\s\S]*ORDER BY/i.test(c.q);
        assert.deepEqual(ordered ? r.rows : sortRows(r.rows), ordered ? c.rows : sortRows(c.rows ?? []), `${c.name}: rows`);
        for (const [k, v] of Object.entries(c.stats ?? {})) assert.equal(r.stats[k as keyof CypherStats], v, `${c.name}: stats.${k}`);
      }
      if (c.stored) {
        const got = db.prepare(c.stored[0]).raw(true).all();
        assert.deepEqual(got, c.stored[1], `${c.name}: stored rows`);
      }
    } finally {
      db.close();
    }
  }

  test(`${CASES.length} cases`, () => {
    const failures: string[] = [];
    for (const c of CASES) {
      try {
        check(c);
      } catch (err) {
        failures.push(`${c.name}: ${c.q}\n    ${(err as Error).message.split('\n').slice(0, 12).join('\n    ')}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${CASES.length} cases failed:\n${failures.join('\n')}`);
  });
});

// ------------------------------------------------------------ on a real store, through runQuery

const DIM = 4;

function removeCache(path: string): void {
  for (const suffix of ['.sqlite', '.sqlite-wal', '.sqlite-shm']) rmSync(`${path}${suffix}`, { force: true });
}

function write(db: RvfDatabase, q: string, params: Params = {}): Promise<QueryRows> {
  return runQuery(db, 'cypher', q, params, { write: true });
}

async function read(db: RvfDatabase, q: string, params: Params = {}): Promise<unknown[][]> {
  return (await runQuery(db, 'cypher', q, params, { write: false })).rows;
}

async function sql(db: RvfDatabase, q: string): Promise<unknown[][]> {
  return (await runQuery(db, 'sql', q, undefined, { write: false })).rows;
}

/** The id a query's single returned row holds. */
async function createdId(db: RvfDatabase, q: string): Promise<number> {
  const r = await write(db, q);
  assert.equal(r.rows.length, 1, `${q}: one row`);
  return Number(r.rows[0]?.[0]);
}

describe('ids are never handed out again', () => {
  test('after deletes, compaction, rvf_rebuild, a deleted cache and reopening', async () => {
    const root = tempDir('rvf-cypher-ids-');
    const path = join(root, 'ids.rvf');
    let db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
    try {
      const made = await write(db, 'CREATE (a:I {n: 1})-[r1:R]->(b:I {n: 2})-[r2:R]->(c:I {n: 3}) RETURN id(a), id(b), id(c), id(r1), id(r2)');
      assert.deepEqual(made.rows, [[1, 2, 3, 1, 2]]);
      const seen = { node: 3, rel: 2 };
      /** Deletes the newest node (with its relationships), then creates a node and a relationship: both ids must be new. */
      const step = async (where: string, between?: () => Promise<void>): Promise<void> => {
        await write(db, 'MATCH (n:I) WITH n ORDER BY id(n) DESC LIMIT 1 DETACH DELETE n');
        if (between) await between();
        const r = await write(db, "MATCH (a:I {n: 1}) CREATE (a)-[r:R]->(x:I {n: 'new'}) RETURN id(x), id(r)");
        const [node, rel] = (r.rows[0] ?? []).map(Number) as [number, number];
        assert.ok(node > seen.node, `${where}: node id ${node} is above every id handed out (${seen.node})`);
        assert.ok(rel > seen.rel, `${where}: relationship id ${rel} is above every id handed out (${seen.rel})`);
        seen.node = node;
        seen.rel = rel;
      };
      await step('after a delete');
      // made and deleted in one write: the log never holds its row, only the high-water mark
      seen.node = Math.max(seen.node, await createdId(db, 'CREATE (t:Tmp) WITH t, id(t) AS id DELETE t RETURN id'));
      await step('after a node created and deleted in one write');
      await step('after compaction', async () => {
        await db.compact();
      });
      await step('after rebuildCache', async () => {
        await db.rebuildCache();
      });
      await step('after a deleted cache and reopening', async () => {
        await db.close();
        removeCache(path);
        db = await RvfDatabase.open(path);
      });
      await step('after compaction, a deleted cache and reopening', async () => {
        await db.compact();
        await db.close();
        removeCache(path);
        db = await RvfDatabase.open(path);
      });
      // graph_ids holds the highest deleted ids; the high-water mark is the higher of those and the live ones
      const highWater = 'SELECT max(g.node, (SELECT max(id) FROM graph_nodes)), max(g.rel, (SELECT max(id) FROM graph_rels)) FROM graph_ids g';
      assert.deepEqual(await sql(db, highWater), [[seen.node, seen.rel]]);
      const reader = await RvfDatabase.openReadonly(path);
      try {
        assert.deepEqual(await sql(reader, 'SELECT node, rel FROM graph_ids'), await sql(db, 'SELECT node, rel FROM graph_ids'), 'a reader rebuilt from the file has the same deleted ids');
        assert.deepEqual(await sql(reader, highWater), [[seen.node, seen.rel]], 'and the same high-water mark');
      } finally {
        await reader.close();
      }
    } finally {
      await db.close();
    }
  });
});

describe('agent memory through runQuery', () => {
  const UPSERT = 'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) SET e.type = r.type, e.obs = coalesce(e.obs, []) + r.obs RETURN e.name, size(e.obs)';
  const RELATE = 'UNWIND $rels AS x MATCH (a:Entity {name: x.from}), (b:Entity {name: x.to}) MERGE (a)-[r:REL {kind: x.kind}]->(b) RETURN count(r)';
  // collect() skips nulls, so the CASE drops the pruned observation and keeps the row even when nothing is left
  const PRUNE = 'MATCH (e:Entity {name: $name}) UNWIND e.obs AS o WITH e, collect(CASE WHEN o <> $drop THEN o END) AS kept SET e.obs = kept RETURN e.obs';

  /** Everything an agent would read back, and the raw rows. */
  async function memory(db: RvfDatabase): Promise<unknown> {
    return {
      entities: await read(db, 'MATCH (e:Entity) RETURN id(e), e.name, e.type, e.obs ORDER BY e.name'),
      relations: await read(db, 'MATCH (a:Entity)-[r:REL]->(b:Entity) RETURN a.name, r.kind, b.name ORDER BY a.name, r.kind, b.name'),
      relationIds: await read(db, 'MATCH ()-[r:REL]->() RETURN id(r) ORDER BY id(r)'),
      neighbourhood: await read(db, "MATCH (e:Entity {name: 'Ada'})-[r:REL]-(n) RETURN n.name, r.kind, size((n)--()) ORDER BY n.name, r.kind"),
      twoHops: await read(db, "MATCH (e:Entity {name: 'Ada'})-[:REL*1..2]-(n) WHERE n <> e RETURN DISTINCT n.name ORDER BY n.name"),
      reachable: await read(db, "MATCH (e:Entity {name: 'Ada'})-[:REL*]->(n) RETURN DISTINCT n.name ORDER BY n.name"),
      rows: await sql(db, "SELECT n.id, n.props, json_type(n.props, '$.obs') FROM graph_nodes n ORDER BY n.id"),
      ids: await sql(db, 'SELECT node, rel FROM graph_ids'),
    };
  }

  test('batch upserts, appends, pruning, relations, neighbourhood, DETACH DELETE; the log alone gives it back', async () => {
    const root = tempDir('rvf-cypher-agent-');
    const path = join(root, 'memory.rvf');
    let db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'cosine' });
    try {
      const first = await write(db, UPSERT, {
        rows: [
          { name: 'Ada', type: 'person', obs: ['wrote the first program'] },
          { name: 'Babbage', type: 'person', obs: ['designed the analytical engine'] },
          { name: 'Ada', type: 'person', obs: ['translated Menabrea'] },
          { name: 'Engine', type: 'machine', obs: [] },
        ],
      });
      assert.equal(typeof first.epoch, 'number', 'the batch committed');
      assert.deepEqual(first.rows, [['Ada', 2], ['Babbage', 1], ['Ada', 2], ['Engine', 0]]);
      assert.equal(first.stats?.['nodesCreated'], 3);
      const second = await write(db, UPSERT, {
        rows: [
          { name: 'Ada', type: 'mathematician', obs: ['was a countess'] },
          { name: 'Turing', type: 'person', obs: ['proposed the imitation game'] },
        ],
      });
      assert.deepEqual(second.rows, [['Ada', 3], ['Turing', 1]]);
      assert.equal(second.stats?.['nodesCreated'], 1);
      assert.deepEqual(await read(db, "MATCH (e:Entity {name: 'Ada'}) RETURN e.type, e.obs"), [['mathematician', ['wrote the first program', 'translated Menabrea', 'was a countess']]]);

      const pruned = await write(db, PRUNE, { name: 'Ada', drop: 'was a countess' });
      assert.deepEqual(pruned.rows, [[['wrote the first program', 'translated Menabrea']]]);
      const emptied = await write(db, PRUNE, { name: 'Turing', drop: 'proposed the imitation game' });
      assert.deepEqual(emptied.rows, [[[]]]);

      const rels = [
        { from: 'Ada', to: 'Babbage', kind: 'worked with' },
        { from: 'Babbage', to: 'Engine', kind: 'designed' },
        { from: 'Ada', to: 'Engine', kind: 'programmed' },
        { from: 'Ada', to: 'Babbage', kind: 'corresponded with' },
        { from: 'Turing', to: 'Ada', kind: 'cited' },
      ];
      const related = await write(db, RELATE, { rels });
      assert.deepEqual(related.rows, [[5]]);
      assert.equal(related.stats?.['relationshipsCreated'], 5);
      const again = await write(db, RELATE, { rels });
      assert.deepEqual(again.rows, [[5]]);
      assert.equal(again.epoch, undefined, 'relating again changes nothing, so nothing commits');

      const doomed = await write(db, "CREATE (e:Entity {name: 'Scratch', obs: ['temporary']}) WITH e MATCH (a:Entity {name: 'Ada'}) MERGE (a)-[:REL {kind: 'noted'}]->(e) RETURN id(e)");
      const gone = await write(db, 'MATCH (e:Entity {name: $name}) DETACH DELETE e', { name: 'Scratch' });
      assert.deepEqual([gone.stats?.['nodesDeleted'], gone.stats?.['relationshipsDeleted']], [1, 1]);
      assert.deepEqual(await read(db, "MATCH (e:Entity {name: 'Scratch'}) RETURN e"), []);

      const want = {
        entities: [
          [1, 'Ada', 'mathematician', ['wrote the first program', 'translated Menabrea']],
          [2, 'Babbage', 'person', ['designed the analytical engine']],
          [3, 'Engine', 'machine', []],
          [4, 'Turing', 'person', []],
        ],
        relations: [
          ['Ada', 'corresponded with', 'Babbage'],
          ['Ada', 'programmed', 'Engine'],
          ['Ada', 'worked with', 'Babbage'],
          ['Babbage', 'designed', 'Engine'],
          ['Turing', 'cited', 'Ada'],
        ],
        // the relationship of the deleted entity was id 6
        relationIds: [[1], [2], [3], [4], [5]],
        neighbourhood: [
          ['Babbage', 'corresponded with', 3],
          ['Babbage', 'worked with', 3],
          ['Engine', 'programmed', 2],
          ['Turing', 'cited', 1],
        ],
        twoHops: [['Babbage'], ['Engine'], ['Turing']],
        reachable: [['Babbage'], ['Engine']],
        rows: [
          [1, '{"name":"Ada","type":"mathematician","obs":["wrote the first program","translated Menabrea"]}', 'array'],
          [2, '{"name":"Babbage","type":"person","obs":["designed the analytical engine"]}', 'array'],
          [3, '{"name":"Engine","type":"machine","obs":[]}', 'array'],
          [4, '{"name":"Turing","type":"person","obs":[]}', 'array'],
        ],
        ids: [[Number(doomed.rows[0]?.[0]), 6]],
      };
      assert.deepEqual(await memory(db), want, 'as written');

      await db.close();
      db = await RvfDatabase.open(path);
      assert.deepEqual(await memory(db), want, 'after closing and reopening');
      await db.rebuildCache();
      assert.deepEqual(await memory(db), want, 'after rebuildCache (the log alone)');
      await db.close();
      removeCache(path);
      db = await RvfDatabase.open(path);
      assert.deepEqual(await memory(db), want, 'after deleting the cache and reopening');
      await db.compact();
      await db.rebuildCache();
      assert.deepEqual(await memory(db), want, 'after compaction and a rebuild from the snapshot');
      const next = await write(db, "MERGE (e:Entity {name: 'Lovelace'}) RETURN id(e)");
      assert.ok(Number(next.rows[0]?.[0]) > Number(doomed.rows[0]?.[0]), 'the deleted entity id is not handed out again');
    } finally {
      await db.close();
    }
  });
});

/**
 * Batch writes in Cypher (agent-memory upserts): a MERGE batch runs in time
 * linear in its rows, and the batch MERGE (merge-index.ts) gives exactly the
 * graph, rows and stats of the row-by-row MERGE it replaces.
 *
 * - through runQuery on a real store: 10,000 upserts, then the same names
 *   again (updated, not duplicated), then 10,000 relationships between them
 *   matched by name (how fast is measured by npm run bench, not here: the
 *   limit is generous so a busy CI machine does not fail it);
 * - on two SQLite files with the store's CACHE_SCHEMA, the same queries with
 *   batchWrites on and off: the graphs (nodes, labels, properties,
 *   relationships), the returned rows, the stats and the errors must agree.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { runCypher, type CypherResult } from '../rvlite-bridge/cypher/index.ts';
import { CACHE_SCHEMA } from '../store/cache-schema.ts';
import { RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

after(() => queryRunner().close());

const UPSERT = 'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) SET e.type = r.type, e.obs = coalesce(e.obs, []) + r.obs';

describe('a batch upsert of 10,000 rows through runQuery', () => {
  test('10,000 MERGE rows, then the same names again, then 10,000 relations by name', async () => {
    const dir = tempDir('cypher-batch-');
    const db = await RvfDatabase.create(join(dir, 'b.rvf'), { dimensions: 2 });
    try {
      const n = 10_000;
      const rows = (batch: number): unknown[] => Array.from({ length: n }, (_, i) => ({ name: `e${i}`, type: `t${batch}`, obs: [`fact ${batch}.${i}`] }));
      // row-by-row MERGE took minutes here; batch MERGE takes about 2 s on an idle machine (BENCHMARKS.md)
      const limit = { write: true, timeLimitMs: 60_000 };
      const first = await runQuery(db, 'cypher', UPSERT, { rows: rows(1) }, limit);
      assert.deepEqual(first.stats, { nodesCreated: n, nodesDeleted: 0, relationshipsCreated: 0, relationshipsDeleted: 0, propertiesSet: 3 * n, labelsAdded: n, labelsRemoved: 0 });
      const second = await runQuery(db, 'cypher', UPSERT, { rows: rows(2) }, limit);
      assert.equal(second.stats?.nodesCreated, 0);
      assert.equal(second.stats?.propertiesSet, 2 * n);
      const check = await runQuery(db, 'cypher', 'MATCH (e:Entity) RETURN count(e) AS nodes, min(size(e.obs)) AS least, max(size(e.obs)) AS most, count(DISTINCT e.name) AS names', undefined, { write: false });
      assert.deepEqual(check.rows, [[n, 2, 2, n]]);
      const one = await runQuery(db, 'cypher', "MATCH (e:Entity {name: 'e4321'}) RETURN e.type, e.obs", undefined, { write: false });
      assert.deepEqual(one.rows, [['t2', ['fact 1.4321', 'fact 2.4321']]]);
      const rels = Array.from({ length: n }, (_, i) => ({ a: `e${i}`, b: `e${(i * 7919 + 1) % n}` }));
      const relate = 'UNWIND $rels AS r MATCH (a:Entity {name: r.a}), (b:Entity {name: r.b}) MERGE (a)-[:RELATES_TO]->(b)';
      const made = await runQuery(db, 'cypher', relate, { rels }, limit);
      assert.equal(made.stats?.relationshipsCreated, n);
      const again = await runQuery(db, 'cypher', relate, { rels }, limit);
      assert.equal(again.stats?.relationshipsCreated, 0);
    } finally {
      await db.close();
    }
  });
});

// ---------------------------------------------------------- batch MERGE == row-by-row MERGE

type Step = { q: string; params?: Record<string, unknown> };

function freshDb(): Database.Database {
  const db = new Database(':memory:');
  db.exec(CACHE_SCHEMA);
  return db;
}

function run(db: Database.Database, step: Step, batchWrites: boolean): CypherResult | { error: string } {
  db.exec('BEGIN');
  try {
    const r = runCypher(db, step.q, step.params ?? {}, { write: true, maxRows: 100_000, batchWrites });
    db.exec('COMMIT');
    return r;
  } catch (err) {
    db.exec('ROLLBACK');
    return { error: (err as Error).message };
  }
}

/** The whole graph, properties parsed (their JSON text may differ in spacing only). */
function graph(db: Database.Database): unknown {
  return {
    nodes: db.prepare('SELECT id, props FROM graph_nodes ORDER BY id').all().map((r) => {
      const row = r as { id: number; props: string };
      return [row.id, JSON.parse(row.props)];
    }),
    labels: db.prepare('SELECT node_id, label FROM graph_labels ORDER BY node_id, label').raw(true).all(),
    rels: db.prepare('SELECT id, type, src, dst, props FROM graph_rels ORDER BY id').raw(true).all(),
    ids: db.prepare('SELECT node, rel FROM graph_ids').raw(true).all(),
  };
}

/** Runs the steps on two stores, batch MERGE on one and row by row on the other; every result and the graph after each step must agree. */
function assertSameAsRowByRow(steps: Step[]): CypherResult[] {
  const batch = freshDb();
  const rowByRow = freshDb();
  const results: CypherResult[] = [];
  for (const step of steps) {
    const a = run(batch, step, true);
    const b = run(rowByRow, step, false);
    assert.deepEqual(a, b, `results differ for ${step.q}`);
    assert.deepEqual(graph(batch), graph(rowByRow), `graphs differ after ${step.q}`);
    if (!('error' in a)) results.push(a);
  }
  return results;
}

const ENTITY_ROWS = [
  { name: 'ada', type: 'person', obs: ['wrote notes'] },
  { name: 'bob', type: 'person', obs: ['likes tea'] },
  { name: 'ada', type: 'author', obs: ['first programmer'] },
  { name: 'cy', type: 'project', obs: [] },
  { name: 'bob', type: 'person', obs: ['second'] },
];

describe('batch MERGE gives what row-by-row MERGE gives', () => {
  test('duplicates in one batch merge into one node; stats and rows as row by row', () => {
    const [r] = assertSameAsRowByRow([{ q: `${UPSERT} RETURN e.name, e.type, e.obs`, params: { rows: ENTITY_ROWS } }]);
    assert.deepEqual(r?.stats, { nodesCreated: 3, nodesDeleted: 0, relationshipsCreated: 0, relationshipsDeleted: 0, propertiesSet: 3 + 10, labelsAdded: 3, labelsRemoved: 0 });
    assert.deepEqual(r?.rows, [
      ['ada', 'author', ['wrote notes', 'first programmer']],
      ['bob', 'person', ['likes tea', 'second']],
      ['ada', 'author', ['wrote notes', 'first programmer']],
      ['cy', 'project', []],
      ['bob', 'person', ['likes tea', 'second']],
    ]);
  });

  test('ON CREATE and ON MATCH: counted per row, the second sight of a name is a match', () => {
    const q =
      'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) ON CREATE SET e.created = 1, e.seen = 1 ON MATCH SET e.seen = e.seen + 1 RETURN e.name, e.seen';
    const [r] = assertSameAsRowByRow([{ q, params: { rows: ENTITY_ROWS } }]);
    // RETURN reads the nodes as the clause left them: both rows of a name show its last count
    assert.deepEqual(r?.rows, [['ada', 2], ['bob', 2], ['ada', 2], ['cy', 1], ['bob', 2]]);
    assert.equal(r?.stats.nodesCreated, 3);
    assert.equal(r?.stats.propertiesSet, 3 + 3 * 2 + 2);
  });

  test('a mixed batch: existing nodes, two nodes with one name, keys changed by ON MATCH, numbers, booleans, lists, labels', () => {
    assertSameAsRowByRow([
      { q: "CREATE (:Entity {name: 'old', n: 1}), (:Entity {name: 'twin'}), (:Entity {name: 'twin'}), (:Other {name: 'ada'}), (:Entity:Extra {name: 'x', n: 2.0})" },
      { q: `${UPSERT} RETURN id(e), e.name`, params: { rows: [...ENTITY_ROWS, { name: 'old', type: 't', obs: ['o'] }, { name: 'twin', type: 't', obs: ['w'] }] } },
      // ON MATCH renames: a later row with the new name finds the renamed node, one with the old name makes a new one
      {
        q: 'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) ON MATCH SET e.name = r.rename RETURN id(e), e.name',
        params: { rows: [{ name: 'ada', rename: 'ada2' }, { name: 'ada2', rename: 'ada3' }, { name: 'ada', rename: 'never' }] },
      },
      // 1 and 1.0 are one number; true is stored as true but compares as 1, as the MATCH does
      { q: 'UNWIND $xs AS x MERGE (n:Num {n: x}) RETURN id(n)', params: { xs: [1, 1.0, 2.5, true, 2.5, '1', 9007199254740993n, 9007199254740992] } },
      // a real as large as 2^60 still equals its integer (JS prints it as 1152921504606847000)
      { q: 'UNWIND $xs AS x MERGE (n:Big {v: x}) WITH x MERGE (m:Big {v: toFloat(x)}) RETURN id(m)', params: { xs: [1152921504606846976n, 3] } },
      { q: 'UNWIND $xs AS x MERGE (n:Entity:Extra {n: x}) RETURN id(n)', params: { xs: [2, 3, 3] } },
      { q: 'UNWIND $xs AS x MERGE (n:Tagged {tags: x}) RETURN id(n), n.tags', params: { xs: [['a', 'b'], ['a', 'b'], ['b', 'a'], []] } },
      { q: 'UNWIND $xs AS x MERGE (n {free: x}) RETURN id(n)', params: { xs: ['u', 'u', 'v'] } },
      { q: 'UNWIND range(1, 4) AS i MERGE (:Anon {k: i % 2})' },
      { q: 'UNWIND $rows AS r MERGE (e:Entity {name: r.name, type: r.type}) RETURN id(e)', params: { rows: ENTITY_ROWS } },
      // a key that reads the graph is taken row by row, after the earlier rows' writes
      { q: "MATCH (o:Entity {name: 'old'}) UNWIND [1, 2, 3] AS i MERGE (c:Counter {at: o.n}) ON CREATE SET o.n = o.n + 1 ON MATCH SET c.hit = true RETURN c.at, o.n" },
      // a node no row names at first, renamed by an earlier row's ON CREATE into a later row's name: that row finds it
      { q: "CREATE (:Late {name: 'zz'})" },
      { q: "MATCH (z:Late {name: 'zz'}) UNWIND ['p', 'q', 'q'] AS nm MERGE (e:Late {name: nm}) ON CREATE SET z.name = 'q' RETURN id(e), e.name" },
      // ON CREATE that adds the label to another node makes it a candidate for the next rows
      { q: "MATCH (z:Other {name: 'ada'}) UNWIND ['ada', 'ada', 'zed'] AS nm MERGE (e:Late {name: nm}) ON CREATE SET z:Late RETURN id(e)" },
      // nothing to merge: no rows, and a null key is refused as row by row
      { q: 'UNWIND [] AS x MERGE (n:Entity {name: x}) RETURN n' },
      { q: "UNWIND ['fine', null] AS x MERGE (n:Entity {name: x}) RETURN n", params: {} },
      { q: 'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) WITH e, r MERGE (e)-[:SAYS]->(:Obs {text: r.type}) RETURN count(*)', params: { rows: ENTITY_ROWS } },
      // CREATE and SET values taken for the whole batch at once, beside ones that read what earlier rows wrote
      { q: "UNWIND $rows AS r CREATE (a:P {name: r.name, k: r.type})-[:R {w: size(r.obs)}]->(b:Q {of: a.name}) SET a.x = r.name + '!', b.y = a.x RETURN id(a), id(b)", params: { rows: ENTITY_ROWS } },
      { q: "UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.count = coalesce(e.count, 0) + 1, e.last = r.type, e.tag = [r.name, 'x'] RETURN e.count", params: { rows: ENTITY_ROWS } },
      { q: 'UNWIND [1, 2, 3] AS i CREATE (n:Bad {v: CASE WHEN i = 3 THEN {m: 1} ELSE i END})' },
      // a NaN key never equals itself: each row makes its own node, also when they are made at once
      { q: 'UNWIND [0.0 / 0.0, 0.0 / 0.0, 1] AS x MERGE (n:NaNs {k: x}) RETURN id(n), n.k' },
      // nodes made at once get ids above a deleted node's, in row order
      { q: "MATCH (n:Entity {name: 'cy'}) DETACH DELETE n" },
      { q: "UNWIND ['cy', 'cy2', 'cy', 'old'] AS nm MERGE (e:Entity {name: nm}) RETURN id(e), e.name" },
    ]);
  });

  test('SET over a batch (values of all rows at once, each target written once) gives what row by row gives', () => {
    const rows = [
      { name: 'ada', type: 'person', obs: ['a1'], n: 1 },
      { name: 'bob', type: 'person', obs: ['b1'], n: 2 },
      // the same node again with other values: the later row wins, and its obs sees the earlier row's append only row by row
      { name: 'ada', type: 'author', obs: ['a2'], n: null },
      { name: 'cy', type: null, obs: [], n: 3 },
    ];
    const distinct = rows.filter((r, i) => rows.findIndex((o) => o.name === r.name) === i);
    assertSameAsRowByRow([
      { q: "CREATE (:Entity {name: 'ada', gone: 1, n: 0}), (:Entity {name: 'bob', type: 'x'}), (:Entity {name: 'cy', type: 'y'})" },
      // SET of null removes the property; stats count every item of every row
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.type = r.type, e.gone = null, e.n = r.n RETURN e.name, e.type, e.n', params: { rows } },
      // a value that reads a key an earlier item of the same row wrote
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.k = r.n, e.k2 = e.k RETURN e.k2', params: { rows: distinct } },
      // a value that reads a key another row wrote (ada twice), and then each node once
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.obs = coalesce(e.obs, []) + r.obs, e.seen = coalesce(e.name, "?") + "!" RETURN e.obs', params: { rows } },
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.obs = coalesce(e.obs, []) + r.obs, e.seen = coalesce(e.name, "?") + "!" RETURN e.obs', params: { rows: distinct } },
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.mark = r.name, e.keys = keys(e) RETURN e.keys', params: { rows: distinct } },
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.keys2 = keys(e), e.mark = r.type RETURN e.keys2', params: { rows: distinct } },
      // a batch MERGE hands the properties it read to the SET right after it; a later write clause reads them again
      { q: 'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) SET e.v = r.n SET e.w = coalesce(e.v, 0) + 1 RETURN e.w', params: { rows: distinct } },
      { q: "UNWIND $rows AS r MERGE (e:Entity {name: r.name}) REMOVE e.type SET e.t2 = coalesce(e.type, 'none') RETURN e.t2", params: { rows: distinct } },
      // SET += with maps, and a property of another matched node, before and after that node is written
      { q: "UNWIND $rows AS r MATCH (e:Entity {name: r.name}), (b:Entity {name: 'bob'}) SET e += {t2: r.type, n: null}, e.fromBob = b.type RETURN e.name", params: { rows: distinct } },
      { q: "UNWIND $rows AS r MATCH (e:Entity {name: r.name}), (b:Entity {name: 'bob'}) SET e.fromBob2 = b.t2, e.t2 = r.name RETURN e.fromBob2", params: { rows: distinct } },
      { q: "UNWIND [1, 2] AS i MATCH (a:Entity {name: 'ada'}) SET a.m = size(keys(a{.*})), a.i = i" },
      { q: "UNWIND [1, 2] AS i MATCH (a:Entity {name: 'ada'}) SET a.p = a{.i}.i, a.i = i" },
      // relationships: a property, and a value read through the relationship from its start node
      { q: "MATCH (a:Entity {name: 'ada'}), (b:Entity {name: 'bob'}) CREATE (a)-[:R {w: 1}]->(b), (b)-[:R {w: 2}]->(a)" },
      { q: 'MATCH (x)-[r:R]->(y) SET r.w = r.w * 10, r.v = x.name RETURN r.w, r.v' },
      { q: 'MATCH (x)-[r:R]->(y) SET x.w = r.w, r.fromStart = startNode(r).w RETURN r.w, r.fromStart' },
      // bad values fail as row by row, with the same message, nothing written
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.bad = CASE WHEN r.n = 3 THEN {m: 1} ELSE r.n END', params: { rows: distinct } },
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.bad = [r.n, null]', params: { rows: distinct } },
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.bad = r.n / 0', params: { rows: distinct } },
      { q: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e += r.name', params: { rows: distinct } },
      // SET = a map and = another node (its properties), the same target twice
      { q: "UNWIND $rows AS r MATCH (e:Entity {name: r.name}), (c:Entity {name: 'cy'}) SET e = {name: r.name, only: r.type}, c.copy = r.name RETURN e", params: { rows } },
      { q: "UNWIND [1, 2] AS i MATCH (a:Entity {name: 'ada'}), (b:Entity {name: 'bob'}) SET b = a, a.i = i RETURN b" },
      // an OPTIONAL MATCH that found nothing sets nothing; a node deleted earlier in the query is skipped
      { q: 'UNWIND [1, 2] AS i OPTIONAL MATCH (z:Nobody) SET z.x = i RETURN count(*)' },
      { q: "UNWIND [1, 2] AS i MATCH (c:Entity {name: 'cy'}) DETACH DELETE c SET c.x = i" },
      // the fast path's upsert with a name twice: one node, both appends, the later type
      { q: `${UPSERT} RETURN e.name, e.type, e.obs`, params: { rows: ENTITY_ROWS } },
      { q: `${UPSERT} RETURN e.name, e.type, e.obs`, params: { rows: ENTITY_ROWS.slice(0, 2) } },
    ]);
  });

  test('MERGE of a relationship between bound nodes over a batch gives what row by row gives', () => {
    assertSameAsRowByRow([
      { q: "UNWIND ['a', 'b', 'c', 'd'] AS n CREATE (:E {name: n})" },
      // two relationships already between a and b: a match gives a row for each, in id order
      { q: "MATCH (a:E {name: 'a'}), (b:E {name: 'b'}) CREATE (a)-[:T {k: 1}]->(b), (a)-[:T {k: 2}]->(b), (b)-[:T]->(a), (a)-[:U]->(c:E {name: 'u'})" },
      {
        q: 'UNWIND $rels AS r MATCH (a:E {name: r.a}), (b:E {name: r.b}) MERGE (a)-[t:T]->(b) ON CREATE SET t.made = r.i ON MATCH SET t.seen = r.i RETURN r.i, id(t), t.k, t.made, t.seen',
        params: { rels: [{ a: 'a', b: 'b', i: 1 }, { a: 'c', b: 'd', i: 2 }, { a: 'c', b: 'd', i: 3 }, { a: 'd', b: 'c', i: 4 }, { a: 'a', b: 'a', i: 5 }, { a: 'a', b: 'a', i: 6 }] },
      },
      { q: 'UNWIND $rels AS r MATCH (a:E {name: r.a}), (b:E {name: r.b}) MERGE (a)<-[:T]-(b) RETURN count(*)', params: { rels: [{ a: 'a', b: 'b' }, { a: 'b', b: 'c' }, { a: 'c', b: 'b' }, { a: 'b', b: 'c' }] } },
      { q: "MATCH (a:E {name: 'a'}) OPTIONAL MATCH (z:Nobody) WITH a, z UNWIND [1, 2] AS i MERGE (a)-[:T]->(z)" },
      { q: "MATCH (a:E), (b:E) WHERE a.name < b.name MERGE (a)-[:V]->(b) RETURN a.name, b.name" },
      { q: "MATCH (a:E), (b:E) MERGE (a)-[:V]->(b) RETURN count(*)" },
    ]);
  });

  test('values the batch computes in JS (row-eval.ts) are the values the SQL computes, edge cases included', () => {
    const rows = [
      { name: 'a', n: 1, big: 9007199254740991, f: 0.1, flag: true, tags: ['x'], nested: { k: 'v', deep: { d: 1 } }, when: '2024-01-02', dur: 'P1D', obj: null },
      { name: 'b', n: null, big: 1, f: 0.2, flag: false, tags: [], nested: { k: null }, when: 'not a date', dur: 'P2D', obj: { a: 1 } },
      { name: 'c', n: -5, big: 9007199254740993n, f: 2.5, flag: null, tags: ['y', 'z'], nested: null, when: '2024-03-04T05:06:07Z', dur: 'x', obj: [1, 2] },
      null,
      { name: 'a', n: 2, big: 3, f: 1.5, flag: true, tags: ['w'], nested: { k: 'w' }, when: '2024-01-02', dur: 'P1D', obj: 'text' },
    ];
    assertSameAsRowByRow([
      { q: "CREATE (:E {name: 'a', list: [1, 2], count: 9007199254740990, text: 'hi', dt: '2024-01-01'}), (:E {name: 'b'})" },
      // taken in JS: + on lists and safe integers, coalesce, properties of maps (nested, null, missing), list literals, booleans
      { q: 'UNWIND $rows AS r MERGE (e:E {name: coalesce(r.name, "none")}) SET e.sum = r.n + 1, e.edge = coalesce(e.count, 0) + r.n, e.tl = coalesce(e.list, []) + r.tags, e.pre = r.n + [0], e.k = r.nested.k, e.dd = r.nested.deep.d, e.fl2 = r.flag, e.lst = [coalesce(r.n, 0), 1] RETURN e.sum, e.edge, e.tl, e.pre, e.k, e.dd, e.fl2, e.lst', params: { rows } },
      // left to the SQL: a sum past 2^53, a bigint, floats, text + text (which may be temporal arithmetic), a temporal component, a property of a list or text
      { q: 'UNWIND $rows AS r MERGE (e:E {name: coalesce(r.name, "none")}) SET e.count = coalesce(e.count, 0) + r.n + 1 RETURN e.count', params: { rows } },
      { q: 'UNWIND $rows AS r MERGE (e:E {name: coalesce(r.name, "none")}) SET e.big = r.big + 1, e.fl = r.f + r.f, e.tx = r.name + "!" RETURN e.big, e.fl, e.tx', params: { rows } },
      { q: 'UNWIND $rows AS r MERGE (e:E {name: coalesce(r.name, "none")}) SET e.d = e.dt + r.dur, e.w = r.when + r.dur RETURN e.d, e.w', params: { rows } },
      { q: 'UNWIND $rows AS r MERGE (e:E {name: coalesce(r.name, "none")}) SET e.y = r.when.year RETURN e.y', params: { rows } },
      { q: 'UNWIND $rows AS r MERGE (e:E {name: coalesce(r.name, "none")}) SET e.o = r.obj.a RETURN e.o', params: { rows } },
      { q: 'UNWIND $rows AS r CREATE (n:M {k: coalesce(r.nested.k, $tag), t: $tag, m: size(keys({a: r.n, b: $tag}))}) RETURN n', params: { rows, tag: 'T' } },
      { q: 'UNWIND $rows AS r CREATE (n:M {m: {k: r.nested, t: $tag}}) RETURN n', params: { rows, tag: 'T' } },
      // MERGE keys of each JS type, and a key that is a list or map (the SQL's JSON text)
      { q: 'UNWIND $xs AS x MERGE (n:K {k: x}) RETURN id(n), n.k', params: { xs: [true, 1, 1.0, 'true', 0.1, 0.1, false, 0, 9007199254740993n, 'é', '\ud83d\ude00'] } },
      // text that may not read back as written (a lone surrogate, a NUL): its key is asked of SQLite
      { q: 'UNWIND $xs AS x MERGE (n:K {k: x}) RETURN id(n), n.k', params: { xs: ['\ud800', '\ud800', 'a\u0000b', 'a\u0000b', 'a', '\udc00x', '\udc00x'] } },
      { q: 'UNWIND $xs AS x MERGE (n:K {k: x.v}) RETURN id(n)', params: { xs: [{ v: [1, 2] }, { v: [1, 2] }, { v: [2] }, { v: [] }] } },
      { q: 'UNWIND $xs AS x MERGE (n:K {k: x.v}) RETURN id(n)', params: { xs: [{ v: { a: 1 } }] } },
      // UNWIND of a parameter that is not a list, or holds nulls; a missing parameter
      { q: 'UNWIND $one AS x CREATE (n:U {v: x}) RETURN n.v', params: { one: 'solo' } },
      { q: 'UNWIND $xs AS x MERGE (n:U {v: coalesce(x, -1)}) RETURN n.v', params: { xs: [null, 1, null] } },
      { q: 'UNWIND $nope AS x CREATE (n:U {v: x})', params: {} },
      // the node's vector_id is a column, not a stored property
      { q: 'UNWIND [1, 2] AS i MATCH (e:E {name: "a"}) SET e.v = e.vector_id RETURN e.v' },
    ]);
  });

  test('a null key is an error in both, with the same message', () => {
    const batch = freshDb();
    const a = run(batch, { q: "UNWIND ['a', null] AS x MERGE (n:E {name: x})" }, true);
    assert.ok('error' in a && /MERGE cannot use null for property name/.test(a.error), JSON.stringify(a));
    const b = run(freshDb(), { q: "UNWIND ['a', null] AS x MERGE (n:E {name: x})" }, false);
    assert.deepEqual(a, b);
  });
});

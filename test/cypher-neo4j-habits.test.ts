/**
 * Cypher as agents write it out of habit from Neo4j 5: the catalog
 * procedures they call first on a graph they did not build (db.labels() and
 * its kind, alone or with YIELD), elementId(), and the constructs of newer
 * Neo4j the grammar lacks (schema commands, labels chosen at run time), which
 * must be refused by name, with what to write instead, changing nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CypherError, runCypher, type CypherResult } from '../rvlite-bridge/cypher/index.ts';
import { CACHE_SCHEMA } from '../store/cache-schema.ts';

function graph(): Database.Database {
  const db = new Database(':memory:');
  db.exec(CACHE_SCHEMA);
  run(db, "CREATE (a:Person {name: 'Ann', age: 30})-[:KNOWS {since: 2020}]->(b:Person:Admin {name: 'Bob'}), (b)-[:WORKS_AT]->(:Company {name: 'Acme', founded: 1990})");
  return db;
}

function run(db: Database.Database, query: string, params: Record<string, unknown> = {}, write = true): CypherResult {
  return db.transaction(() => runCypher(db, query, params, { write, maxRows: 1000 }))();
}

/** The graph's rows, to prove a refused query changed nothing. */
function snapshot(db: Database.Database): string {
  return JSON.stringify([
    db.prepare('SELECT * FROM graph_nodes ORDER BY id').raw(true).all(),
    db.prepare('SELECT * FROM graph_labels ORDER BY node_id, label').raw(true).all(),
    db.prepare('SELECT * FROM graph_rels ORDER BY id').raw(true).all(),
  ]);
}

function refused(db: Database.Database, query: string, code: string, message: RegExp, params: Record<string, unknown> = {}): string {
  const before = snapshot(db);
  let caught: unknown;
  try {
    run(db, query, params);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CypherError, `${query}: expected a CypherError, got ${String(caught)}`);
  assert.equal(caught.code, code, `${query}: ${caught.message}`);
  assert.match(caught.message, message, query);
  assert.equal(snapshot(db), before, `${query} changed the graph`);
  return caught.message;
}

describe('catalog procedures', () => {
  test('db.labels(), db.relationshipTypes() and db.propertyKeys() called alone return their column, in name order', () => {
    const db = graph();
    const labels = run(db, 'CALL db.labels()', {}, false);
    assert.deepEqual(labels.columns, ['label']);
    assert.deepEqual(labels.rows, [['Admin'], ['Company'], ['Person']]);
    const types = run(db, 'CALL db.relationshipTypes()', {}, false);
    assert.deepEqual(types.columns, ['relationshipType']);
    assert.deepEqual(types.rows, [['KNOWS'], ['WORKS_AT']]);
    const keys = run(db, 'call DB.PROPERTYKEYS()', {}, false);
    assert.deepEqual(keys.columns, ['propertyKey']);
    assert.deepEqual(keys.rows, [['age'], ['founded'], ['name'], ['since']]);
  });

  test('they follow the graph as writes change it', () => {
    const db = graph();
    run(db, "MATCH (c:Company) DETACH DELETE c CREATE (:Project {title: 'x'})");
    assert.deepEqual(run(db, 'CALL db.labels()').rows, [['Admin'], ['Person'], ['Project']]);
    assert.deepEqual(run(db, 'CALL db.relationshipTypes()').rows, [['KNOWS']]);
    assert.deepEqual(run(db, 'CALL db.propertyKeys()').rows, [['age'], ['name'], ['since'], ['title']]);
  });

  test('YIELD with an alias, WHERE, and the rows joined to what came before', () => {
    const db = graph();
    assert.deepEqual(run(db, "CALL db.labels() YIELD label AS l WHERE l <> 'Admin' RETURN collect(l) AS ls", {}, false).rows, [[['Company', 'Person']]]);
    // per label, how many nodes carry it: the procedure's rows feed a MATCH
    assert.deepEqual(
      run(db, 'CALL db.labels() YIELD label MATCH (n) WHERE label IN labels(n) RETURN label, count(n) AS nodes ORDER BY label', {}, false).rows,
      [
        ['Admin', 1],
        ['Company', 1],
        ['Person', 2],
      ],
    );
    assert.deepEqual(run(db, 'MATCH (n:Person) CALL db.relationshipTypes() YIELD relationshipType RETURN count(*) AS c', {}, false).rows, [[4]]);
  });

  test('an empty graph has none', () => {
    const db = new Database(':memory:');
    db.exec(CACHE_SCHEMA);
    assert.deepEqual(run(db, 'CALL db.labels()').rows, []);
    assert.deepEqual(run(db, 'CALL db.propertyKeys() YIELD propertyKey RETURN count(*) AS n').rows, [[0]]);
  });

  test('wrong use is refused with what to write', () => {
    const db = graph();
    refused(db, 'CALL db.labels() YIELD name RETURN name', 'EINVAL', /yields label, not name/);
    refused(db, "CALL db.labels('Person')", 'EINVAL', /takes no arguments/);
    refused(db, 'CALL db.labels() YIELD label AS n MATCH (n) RETURN n', 'EINVAL', /variable n is a value, not a node/);
    refused(db, "CALL db.index.fulltext.queryNodes('search', 'ann') YIELD node RETURN node", 'EUNSUPPORTED', /no full-text indexes.*CONTAINS/);
    refused(db, "CALL db.index.vector.queryNodes('idx', 5, [1, 2]) YIELD node RETURN node", 'EUNSUPPORTED', /rvf\.knn/);
    refused(db, 'CALL apoc.meta.schema()', 'EUNSUPPORTED', /APOC procedure apoc\.meta\.schema.*db\.labels\(\)/);
    refused(db, 'CALL db.schema.visualization()', 'EUNSUPPORTED', /procedure db\.schema\.visualization is not supported; the procedures are rvf\.knn/);
  });
});

describe('elementId()', () => {
  test('is the id as text, and finds its node or relationship again', () => {
    const db = graph();
    const rows = run(db, "MATCH (a {name: 'Ann'})-[r]->(b) RETURN elementId(a) AS a, elementId(r) AS r, id(a) AS ida, id(r) AS idr", {}, false).rows;
    const [a, r, ida, idr] = rows[0] as [string, string, number, number];
    assert.equal(a, String(ida));
    assert.equal(r, String(idr));
    assert.deepEqual(run(db, 'MATCH (n) WHERE elementId(n) = $id RETURN n.name', { id: a }, false).rows, [['Ann']]);
    assert.deepEqual(run(db, 'MATCH ()-[x]->() WHERE elementId(x) = $id RETURN type(x)', { id: r }, false).rows, [['KNOWS']]);
    // kept as a property by a batch write, then matched by it
    run(db, 'MATCH (n:Person) SET n.key = elementId(n)');
    assert.deepEqual(run(db, 'MATCH (n:Person) WHERE n.key = elementId(n) RETURN count(n)').rows, [[2]]);
    assert.deepEqual(run(db, 'RETURN elementId(null) AS e').rows, [[null]]);
    refused(db, 'RETURN elementId(1)', 'EINVAL', /takes a node or relationship/);
  });
});

describe('vector.similarity.cosine() and .euclidean()', () => {
  test("score stored embeddings against a query vector with Neo4j's scaling", () => {
    const db = graph();
    const chunks = [
      { t: 'a', e: [0.3, -1.2, 2.5, 0.01] },
      { t: 'b', e: [-0.7, 0.4, 0.2, 1.9] },
      { t: 'c', e: [0.31, -1.1, 2.4, 0.2] },
    ];
    const q = [0.25, -1, 2.2, 0.1];
    run(db, 'UNWIND $chunks AS c CREATE (:Chunk {t: c.t, e: c.e})', { chunks });
    const dot = (x: number[], y: number[]): number => x.reduce((s, v, i) => s + v * (y[i] as number), 0);
    const cosine = (x: number[]): number => (1 + dot(x, q) / Math.sqrt(dot(x, x) * dot(q, q))) / 2;
    const euclidean = (x: number[]): number => 1 / (1 + dot(x.map((v, i) => v - (q[i] as number)), x.map((v, i) => v - (q[i] as number))));
    for (const [fn, expected] of [
      ['cosine', cosine],
      ['euclidean', euclidean],
    ] as const) {
      const rows = run(db, `MATCH (c:Chunk) RETURN c.t AS t, vector.similarity.${fn}(c.e, $q) AS score ORDER BY score DESC`, { q }, false).rows as [string, number][];
      const want = chunks.map((c) => [c.t, expected(c.e)] as [string, number]).sort((x, y) => y[1] - x[1]);
      assert.deepEqual(
        rows.map((r) => r[0]),
        want.map((w) => w[0]),
        fn,
      );
      rows.forEach((r, i) => assert.ok(Math.abs(r[1] - (want[i] as [string, number])[1]) < 1e-12, `${fn} ${r[0]}: ${r[1]}`));
    }
    assert.deepEqual(run(db, 'RETURN vector.similarity.cosine([1, 0], [1, 0]) AS same, vector.similarity.cosine([1, 0], [-1, 0]) AS opposite, vector.similarity.euclidean([1, 2], [1, 2]) AS zero').rows, [[1, 0, 1]]);
    assert.deepEqual(run(db, 'RETURN vector.similarity.cosine(null, [1]) AS n, vector.similarity.cosine([0, 0], [1, 1]) AS flat').rows, [[null, null]]);
    refused(db, 'RETURN vector.similarity.cosine([1, 2], [1])', 'EINVAL', /two vectors of one length, not 2 and 1/);
    refused(db, "RETURN vector.similarity.euclidean([1, 'x'], [1, 2])", 'EINVAL', /two non-empty lists of numbers/);
    refused(db, "RETURN vector.similarity.cosine('x', [1])", 'EINVAL', /takes two lists of numbers/);
  });
});

describe('subqueries of Neo4j 5', () => {
  test('COLLECT { MATCH ... RETURN v } is the list a pattern comprehension gives', () => {
    const db = graph();
    run(db, "MATCH (a {name: 'Ann'}) CREATE (a)-[:KNOWS]->(:Person {name: 'Cy'})");
    const collected = run(db, "MATCH (n:Person) RETURN n.name AS n, COLLECT { MATCH (n)-[:KNOWS]->(m) WHERE m.name <> 'Cy' RETURN m.name } AS out ORDER BY n", {}, false).rows;
    const comprehended = run(db, "MATCH (n:Person) RETURN n.name AS n, [(n)-[:KNOWS]->(m) WHERE m.name <> 'Cy' | m.name] AS out ORDER BY n", {}, false).rows;
    assert.deepEqual(collected, [
      ['Ann', ['Bob']],
      ['Bob', []],
      ['Cy', []],
    ]);
    assert.deepEqual(collected, comprehended);
    assert.deepEqual(run(db, "MATCH (n {name: 'Ann'}) RETURN size(COLLECT { MATCH (n)-->(f) RETURN f }) AS c", {}, false).rows, [[2]]);
    for (const q of [
      'MATCH (n) RETURN COLLECT { MATCH (n)-->(m) RETURN DISTINCT m.name } AS l',
      'MATCH (n) RETURN COLLECT { MATCH (n)-->(m) RETURN count(m) } AS l',
      'MATCH (n) RETURN COLLECT { MATCH (n)-->(m) RETURN m.name, m.age } AS l',
      'RETURN COLLECT { UNWIND [1, 2] AS x RETURN x } AS l',
      'MATCH (n) RETURN COLLECT { (n)-->(m) } AS l',
    ]) {
      refused(db, q, 'EUNSUPPORTED', /COLLECT \{ .* \} is not supported; write it as COLLECT \{ MATCH pattern/);
    }
    refused(db, "MATCH (n) RETURN COLLECT { MATCH (n)-->(m) SET m.x = 1 RETURN m } AS l", 'EINVAL', /COLLECT \{ \} cannot write/);
  });

  test('CALL (a, b) { ... } imports what it names, CALL (*) everything, CALL () nothing', () => {
    const db = graph();
    const scoped = run(db, 'MATCH (n:Person) CALL (n) { MATCH (n)-->(m) RETURN count(m) AS c } RETURN n.name, c ORDER BY n.name', {}, false).rows;
    assert.deepEqual(scoped, [
      ['Ann', 1],
      ['Bob', 1],
    ]);
    assert.deepEqual(scoped, run(db, 'MATCH (n:Person) CALL { WITH n MATCH (n)-->(m) RETURN count(m) AS c } RETURN n.name, c ORDER BY n.name', {}, false).rows);
    assert.deepEqual(run(db, "MATCH (n:Person) WITH n, 'x' AS tag CALL (*) { RETURN n.name + tag AS t } RETURN t ORDER BY t", {}, false).rows, [['Annx'], ['Bobx']]);
    assert.deepEqual(run(db, 'MATCH (n:Person) CALL () { MATCH (c:Company) RETURN c.name AS company } RETURN n.name, company ORDER BY n.name', {}, false).rows, [
      ['Ann', 'Acme'],
      ['Bob', 'Acme'],
    ]);
    refused(db, 'MATCH (n:Person) CALL () { RETURN n.name AS x } RETURN x', 'EINVAL', /variable n is not defined/);
    // a body that writes, once per row, seeing what earlier rows wrote
    run(db, 'MATCH (n:Person) CALL (n) { MATCH (c:Company) SET c.visits = coalesce(c.visits, 0) + 1 }');
    assert.deepEqual(run(db, 'MATCH (c:Company) RETURN c.visits').rows, [[2]]);
    assert.equal(run(db, 'MATCH (n:Person) CALL (n) { SET n.seen = true } RETURN count(*) AS c', {}, true).rows[0]?.[0], 2);
    // the text of a CALL (...) inside a string is left alone
    assert.deepEqual(run(db, "RETURN 'CALL (n) { x }' AS s").rows, [['CALL (n) { x }']]);
  });
});

describe('newer Neo4j syntax the grammar lacks, refused by name', () => {
  test('schema and administration commands', () => {
    const db = graph();
    for (const q of [
      'CREATE CONSTRAINT entity_name IF NOT EXISTS FOR (n:Entity) REQUIRE n.name IS UNIQUE',
      'CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name)',
      'create fulltext index search if not exists for (m:Memory) on each [m.name, m.type]',
      'CREATE VECTOR INDEX v FOR (n:Chunk) ON n.embedding',
      'CREATE OR REPLACE DATABASE x',
      'DROP CONSTRAINT entity_name',
      'DROP INDEX entity_name IF EXISTS',
      'SHOW INDEXES',
      'SHOW CONSTRAINTS YIELD *',
      'CREATE INDEX ON :Person(name)',
    ]) {
      const message = refused(db, q, 'EUNSUPPORTED', /schema and administration commands .* are not supported; the graph is schemaless/);
      assert.doesNotMatch(message, /syntax error/, q);
    }
    // on a read-only connection SHOW is refused for what it is (it reads); the others are writes, refused as such
    const codeReadOnly = (q: string): string => {
      try {
        run(db, q, {}, false);
      } catch (err) {
        return (err as CypherError).code;
      }
      return 'ran';
    };
    assert.equal(codeReadOnly('SHOW INDEXES'), 'EUNSUPPORTED');
    assert.equal(codeReadOnly('CREATE CONSTRAINT c IF NOT EXISTS FOR (n:Entity) REQUIRE n.name IS UNIQUE'), 'EREADONLY');
  });

  test('a label or relationship type chosen at run time', () => {
    const db = graph();
    const params = { entities: [{ name: 'Cy', type: 'person' }], relations: [{ source: 'Ann', target: 'Bob', relationType: 'LIKES' }] };
    refused(db, 'UNWIND $entities AS entity MERGE (e:Memory {name: entity.name}) SET e:$(entity.type)', 'EUNSUPPORTED', /label or relationship type chosen at run time .*line 1:\d+.* store the kind as a property/, params);
    refused(
      db,
      'UNWIND $relations AS rel MATCH (a {name: rel.source}), (b {name: rel.target}) MERGE (a)-[r:$(rel.relationType)]->(b)',
      'EUNSUPPORTED',
      /chosen at run time/,
      params,
    );
    refused(db, 'MATCH (n:$($label)) RETURN n', 'EUNSUPPORTED', /chosen at run time/, { label: 'Person' });
    // a parameter after a colon in a map is no label: still read as it always was
    assert.deepEqual(run(db, 'MATCH (n {name:$who}) RETURN n.age', { who: 'Ann' }).rows, [[30]]);
  });

  test('a syntax error says where, without a list of a hundred expected tokens', () => {
    const db = graph();
    const long = refused(db, 'RETRUN 1', 'EINVAL', /^Cypher: syntax error at line 1:1 extraneous input 'RETRUN'; fix the query text\.$/);
    assert.doesNotMatch(long, /expecting/);
    // words from SQL or GQL get what to write instead; as names they are still names
    refused(db, 'MATCH (n:Person) RETURN n.name AS name ORDER BY name OFFSET 1 LIMIT 1', 'EINVAL', /mismatched input 'OFFSET'.*; Cypher skips rows with SKIP: write SKIP n/);
    refused(db, "MATCH (n) WHERE n.name ILIKE 'an%' RETURN n", 'EINVAL', /'ILIKE'.*; Cypher has no LIKE: use toLower\(x\) CONTAINS/);
    refused(db, 'MATCH (n) RETURN n.age ORDER BY n.age DESC NULLS LAST', 'EINVAL', /'NULLS'.*has no NULLS FIRST\/LAST: sort by coalesce/);
    assert.deepEqual(run(db, 'WITH 2 AS offset, 3 AS like RETURN offset + like AS x').rows, [[5]]);
    // a short list of what would fit is kept: it helps
    refused(db, 'MATCH (n RETURN n', 'EINVAL', /mismatched input 'RETURN' expecting \{':', '\{', '\)', '\$'\}/);
  });
});

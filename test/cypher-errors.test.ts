/**
 * The scope and type errors of the Cypher layer (semantic-check.ts), each on
 * an empty graph: they must come from the query alone, before anything runs,
 * since a write query over no rows would otherwise never look at its later
 * clauses. Then DELETE of a list element, map entry and path, and SET with a
 * parenthesised target, read back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CypherError, runCypher, type CypherResult } from '../rvlite-bridge/cypher/index.ts';
import { CACHE_SCHEMA } from '../store/cache-schema.ts';

function emptyGraph(): Database.Database {
  const db = new Database(':memory:');
  db.exec(CACHE_SCHEMA);
  return db;
}

function run(db: Database.Database, query: string, params: Record<string, unknown> = {}): CypherResult {
  return db.transaction(() => runCypher(db, query, params, { write: true, maxRows: 1000 }))();
}

function refuses(query: string, message: RegExp): void {
  const db = emptyGraph();
  assert.throws(
    () => run(db, query),
    (err: unknown) => {
      assert.ok(err instanceof CypherError, `${query}: ${String(err)}`);
      assert.equal(err.code, 'EINVAL', query);
      assert.match(err.message, /^Cypher: /, query);
      assert.match(err.message, message, query);
      return true;
    },
    query,
  );
  // nothing ran: the graph is still empty
  assert.equal((db.prepare('SELECT count(*) AS n FROM graph_nodes').get() as { n: number }).n, 0, query);
}

describe('Cypher errors found before anything runs (empty graph)', () => {
  test('VariableAlreadyBound', () => {
    refuses('MATCH (a) CREATE (a)', /variable a is already bound/);
    refuses("MATCH (a) CREATE (a {name: 'foo'}) RETURN a", /already bound/);
    refuses('CREATE (a), (a)', /already bound/);
    refuses('MATCH ()-[r]->() CREATE ()-[r]->()', /variable r is already bound.*new relationship/);
    refuses('MATCH (a) MERGE (a)', /already bound/);
    refuses('CREATE (a:Foo) MERGE (a)-[r:KNOWS]->(a:Bar)', /cannot give it labels/);
    refuses('MATCH (a)-[r]->(b) MERGE (a)-[r]->(b)', /variable r is already bound/);
  });

  test('UndefinedVariable in write clauses', () => {
    refuses('MATCH (a) CREATE (a)-[:KNOWS]->(b {name: missing}) RETURN b', /variable missing is not defined/);
    refuses('MATCH (a) SET a.name = missing RETURN a', /variable missing is not defined/);
    refuses('MERGE (n) ON MATCH SET x.num = 1', /variable x is not defined/);
    refuses('MATCH (a) DELETE x', /variable x is not defined/);
  });

  test('NoSingleRelationshipType', () => {
    refuses('CREATE ()-[:A|B]->()', /exactly one type.*A\|B/);
    refuses('MATCH (a), (b) MERGE (a)-[NO_COLON]->(b)', /exactly one type.*none/);
  });

  test('NoExpressionAlias and AmbiguousAggregationExpression', () => {
    refuses('MATCH (a) WITH a, count(*) RETURN a', /WITH item count\(\*\) needs a name/);
    refuses('MATCH (me)--(you) RETURN me.age + count(you.age)', /not grouping keys/);
    refuses('MATCH (me)--(you) RETURN me.age + you.age, me.age + you.age + count(*)', /not grouping keys/);
    refuses('MATCH (me)--(you) RETURN me.age + you.age, count(*) AS cnt ORDER BY me.age + you.age + count(*)', /ORDER BY mixes/);
    refuses('RETURN count(rand())', /changes on each call/);
  });

  test('InvalidDelete, InvalidArgumentType, RelationshipUniquenessViolation', () => {
    refuses('MATCH (n) DELETE n:Person', /REMOVE n:Label/);
    refuses('MATCH () DELETE 1 + 1', /not a computed value/);
    refuses('MATCH (a)-[r]->()-[r]->(a) RETURN r', /appears twice in one MATCH/);
    refuses('MATCH p = (a)-[*]->(b) RETURN size(p)', /size\(\) takes a string or a list, not a path; use length\(p\)/);
    refuses('RETURN 1.34E999', /too large for a float/);
    refuses("RETURN 'C:\\users'", /holds \\u without four hex digits; .* \\\\ for a backslash/);
  });

  test('valid queries still run', () => {
    const db = emptyGraph();
    run(db, "CREATE (a:P {age: 1})-[:R]->(b:P {age: 2}), (a)-[:R]->(c:P {age: 3})");
    const r = run(db, 'MATCH (a:P)-[:R]->(b) RETURN a.age, a.age + count(*) AS n, collect(b.age) AS ages');
    assert.deepEqual(r.rows, [[1, 3, [2, 3]]]);
    const w = run(db, 'MATCH (a:P {age: 1}) WITH a, count(*) AS c MATCH (a)-[:R]->(x) RETURN count(x) AS n');
    assert.deepEqual(w.rows, [[2]]);
  });
});

describe('DELETE of an expression and SET (n).prop', () => {
  test('DETACH DELETE a list element deletes that node only', () => {
    const db = emptyGraph();
    run(db, "CREATE (:U {n: 1})-[:F]->(:U {n: 2})");
    run(db, 'MATCH (u:U) WITH u ORDER BY u.n WITH collect(u) AS us DETACH DELETE us[$i]', { i: 1 });
    assert.deepEqual(run(db, 'MATCH (u:U) RETURN u.n').rows, [[1]]);
    assert.deepEqual(run(db, 'MATCH ()-[r]->() RETURN count(r)').rows, [[0]]);
  });

  test('DELETE a map value deletes the relationship it holds', () => {
    const db = emptyGraph();
    run(db, 'CREATE (:U)-[:F]->(:U)');
    const r = run(db, 'MATCH ()-[r:F]->() WITH {key: r} AS m DELETE m.key');
    assert.equal(r.stats.relationshipsDeleted, 1);
    assert.deepEqual(run(db, 'MATCH (u:U) RETURN count(u)').rows, [[2]]);
  });

  test('DETACH DELETE a path deletes its nodes and relationships', () => {
    const db = emptyGraph();
    run(db, 'CREATE (:X)-[:R]->()-[:R]->(), (:Other)');
    const r = run(db, 'MATCH p = (:X)-->()-->() DETACH DELETE p');
    assert.equal(r.stats.nodesDeleted, 3);
    assert.equal(r.stats.relationshipsDeleted, 2);
    assert.deepEqual(run(db, 'MATCH (n) RETURN labels(n)').rows, [[['Other']]]);
  });

  test('DELETE of a value is refused when it holds no node', () => {
    const db = emptyGraph();
    run(db, 'CREATE (:U)');
    assert.throws(() => run(db, 'MATCH (u:U) WITH {key: 1} AS m DELETE m.key'), /needs a node, relationship or path/);
  });

  test('SET (n).prop = value sets n.prop', () => {
    const db = emptyGraph();
    run(db, 'CREATE (:A)-[:REL]->()');
    run(db, "MATCH (n:A) SET (n).name = 'neo4j'");
    run(db, "MATCH ()-[r:REL]->() SET (r).name = 'rel'");
    assert.deepEqual(run(db, 'MATCH (n:A)-[r]->() RETURN n.name, r.name').rows, [['neo4j', 'rel']]);
  });
});

describe('CALL { } subqueries: what is refused by name', () => {
  test('UNION inside the body or CALL in a UNION part, YIELD, RETURN * and a returned name already bound', () => {
    const db = emptyGraph();
    const cases: [string, RegExp][] = [
      ['UNWIND [1] AS x CALL { WITH x RETURN x AS y UNION RETURN 2 AS y } RETURN y', /UNION inside CALL \{ \} is not supported/],
      ['CALL { RETURN 1 AS a } RETURN a UNION RETURN 2 AS a', /CALL \{ \} in a part of a UNION is not supported/],
      ['CALL { RETURN 1 AS a } YIELD a RETURN a', /CALL \{ \} takes no YIELD/],
      ['UNWIND [1] AS x CALL { WITH x RETURN * } RETURN x', /RETURN \* at the end of CALL \{ \} is not supported/],
      ['UNWIND [1] AS x CALL { WITH x RETURN 1 AS x } RETURN x', /variable x is already bound outside CALL \{ \}/],
      ['UNWIND [1] AS x CALL { WITH y RETURN 1 AS z } RETURN z', /variable y is not defined/],
      ['CALL { CREATE (:A) RETURN 1 AS a WITH a RETURN a } RETURN a', /syntax error|RETURN must be the last clause/],
    ];
    for (const [q, message] of cases) {
      assert.throws(() => run(db, q), (err: unknown) => err instanceof CypherError && message.test(err.message), q);
    }
    assert.deepEqual(run(db, "RETURN 'CALL { x }' AS s, 1 AS `call {`").rows, [['CALL { x }', 1]]);
    assert.equal((db.prepare('SELECT count(*) AS n FROM graph_nodes').get() as { n: number }).n, 0);
  });
});

describe('a query nested deeper than the parser can go', () => {
  test('is refused with ELIMIT and one sentence, read-only or not, and changes nothing', () => {
    const db = emptyGraph();
    const deep = (n: number, open: string, close: string): string => `${open.repeat(n)}1${close.repeat(n)}`;
    // 500 levels: below what overflows the stack, but the grammar's parser took past the 5 s query limit on it
    for (const query of [`RETURN ${deep(3000, '(', ')')} AS x`, `RETURN ${deep(3000, '[', ']')} AS x`, `CREATE (:N {x: ${deep(3000, '(', ')')}})`, `RETURN ${deep(500, '(', ')')} AS x`, `RETURN ${deep(201, '[', ']')} AS x`]) {
      for (const write of [true, false]) {
        assert.throws(
          () => db.transaction(() => runCypher(db, query, {}, { write, maxRows: 10 }))(),
          (err: unknown) => {
            assert.ok(err instanceof CypherError, String(err));
            assert.equal(err.code, 'ELIMIT');
            assert.match(err.message, /^Cypher: the query nests too deeply to compile .*; flatten it, or pass such values as \$parameters\.$/);
            return true;
          },
        );
      }
    }
    assert.equal((db.prepare('SELECT count(*) AS n FROM graph_nodes').get() as { n: number }).n, 0);
    // a hundred levels is fine, and so is a string or comment full of brackets
    assert.deepEqual(run(db, `RETURN ${deep(100, '(', ')')} AS x`).rows, [[1]]);
    assert.deepEqual(run(db, `RETURN '${'('.repeat(1000)}' AS x // ${'['.repeat(1000)}`).rows, [['('.repeat(1000)]]);
  });
});

test('a property named __proto__ is refused wherever a write sets it, and nothing is written', () => {
  for (const [query, params] of [
    ['CREATE (x {`__proto__`: 1})', {}],
    ['CREATE (x:P) SET x = $m', { m: JSON.parse('{"__proto__": "v", "a": 1}') as unknown }],
    ['CREATE (x:P) SET x += $m', { m: JSON.parse('{"a": 1, "__proto__": "v"}') as unknown }],
    ['CREATE (x:P) SET x.`__proto__` = 2', {}],
    ['UNWIND [1, 2] AS i MERGE (x:Q {k: i}) SET x.`__proto__` = i', {}],
    ['CREATE (a)-[:R {`__proto__`: 1}]->(b)', {}],
  ] as const) {
    const db = emptyGraph();
    assert.throws(() => run(db, query, params as Record<string, unknown>), (err: unknown) => err instanceof CypherError && /named __proto__.*rename it/.test(err.message), query);
    assert.equal((db.prepare('SELECT count(*) AS n FROM graph_nodes').get() as { n: number }).n, 0, query);
  }
});


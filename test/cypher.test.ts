/**
 * Cypher over the graph tables (rvlite-bridge/cypher), on real SQLite files
 * with CACHE_SCHEMA: the read connection opened the way the server opens it
 * (read-only, query_only), writes inside a transaction on a normal one.
 *
 * - a conformance table over test/fixtures/cypher-fixture.cypher (loaded by
 *   runCypher itself), expected results worked out by hand with Neo4j
 *   semantics, including the refusals;
 * - each write clause, read back, with its stats; DELETE of a node with
 *   relationships refused;
 * - the read-only gate: write attempts in many disguises refused with
 *   EREADONLY before anything runs, the database file unchanged.
 *
 * rvf_knn is a dependency of the Cypher layer (the store provides it); here it
 * is a brute-force table function over four 2-d vectors.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CypherError, isCypherWrite, runCypher, type CypherOptions, type CypherResult } from '../rvlite-bridge/cypher/index.ts';
import { CACHE_SCHEMA } from '../store/cache-schema.ts';
import { tempDir } from './helpers/temp.ts';

const FIXTURE = new URL('./fixtures/cypher-fixture.cypher', import.meta.url);

const VECTORS: Record<number, { v: number[]; topic: string }> = {
  1: { v: [1, 0], topic: 'rust' },
  2: { v: [0, 1], topic: 'go' },
  3: { v: [2, 2], topic: 'ts' },
  4: { v: [1, 1], topic: 'rust' },
};

/** Brute-force rvf_knn: squared L2, optional {topic} filter. */
function registerKnn(db: Database.Database): void {
  db.table('rvf_knn', {
    columns: ['id', 'distance'],
    parameters: ['query_vector', 'k', 'filter'],
    rows: function* (vector: unknown, k: unknown, filter: unknown) {
      const q = JSON.parse(String(vector)) as number[];
      const f = filter === null || filter === undefined ? {} : (JSON.parse(String(filter)) as { topic?: string });
      const hits = Object.entries(VECTORS)
        .filter(([, x]) => f.topic === undefined || x.topic === f.topic)
        .map(([id, x]) => [Number(id), x.v.reduce((s, xi, i) => s + (xi - (q[i] as number)) ** 2, 0)] as [number, number])
        .sort((a, b) => a[1] - b[1] || a[0] - b[0])
        .slice(0, Number(k));
      for (const h of hits) yield h;
    },
  });
}

function fixtureStatements(): string[] {
  return readFileSync(FIXTURE, 'utf8')
    .split(/^;$/m)
    .map((s) => s.replace(/^\/\/.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

function write(db: Database.Database, query: string, params: Record<string, unknown> = {}): CypherResult {
  return db.transaction(() => runCypher(db, query, params, { write: true, maxRows: 1000 }))();
}

function openReader(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('query_only = ON');
  registerKnn(db);
  return db;
}

/** A store file with the fixture loaded; returns its path. */
function makeStore(dir: string, name: string): string {
  const path = join(dir, name);
  const db = new Database(path);
  db.exec(CACHE_SCHEMA);
  for (const statement of fixtureStatements()) write(db, statement);
  db.close();
  return path;
}

function expectCypherError(fn: () => unknown, code: string, label: string): CypherError {
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

interface Case {
  q: string;
  params?: Record<string, unknown>;
  options?: Partial<CypherOptions>;
  columns?: string[];
  rows?: unknown[][];
  error?: 'EINVAL' | 'EUNSUPPORTED' | 'EREADONLY' | 'ELIMIT';
}

const ALICE = { id: 1, labels: ['Engineer', 'Person'], properties: { name: 'Alice', age: 34, email: 'alice@example.org', tags: ['rust', 'go'] } };

const CASES: Case[] = [
  // counting and labels
  { q: 'MATCH (p:Person) RETURN count(*) AS n', columns: ['n'], rows: [[10]] },
  { q: 'MATCH (n) RETURN count(n)', columns: ['count(n)'], rows: [[19]] },
  { q: 'MATCH ()-[r]->() RETURN count(r)', rows: [[30]] },
  { q: 'MATCH (p:Person:Engineer) RETURN p.name', rows: [['Alice'], ['Dave'], ['Grace']] },
  { q: "MATCH (p:Person {name: 'Carol'}) RETURN p.age", columns: ['p.age'], rows: [[45]] },
  { q: 'MATCH (p:Person {name: $name, age: $age}) RETURN p.name', params: { name: 'Bob', age: 28 }, rows: [['Bob']] },
  { q: 'MATCH (p:Person $props) RETURN p.name', params: { props: { age: 52 } }, rows: [['Frank']] },
  // directions, types, type alternatives
  { q: "MATCH (a:Person {name: 'Alice'})-[:KNOWS]->(b) RETURN b.name", rows: [['Bob'], ['Carol']] },
  { q: "MATCH (a:Person {name: 'Dave'})<-[:KNOWS]-(b) RETURN b.name", rows: [['Bob'], ['Carol']] },
  { q: "MATCH (a:Person {name: 'Dave'})-[:KNOWS]-(b) RETURN b.name", rows: [['Bob'], ['Carol'], ['Eve']] },
  { q: "MATCH (a:Person {name: 'Alice'})-[r:KNOWS]->(b) RETURN b.name, r.since ORDER BY r.since DESC", rows: [['Carol', 2012], ['Bob', 2010]] },
  { q: "MATCH (p:Person {name: 'Bob'})-[:WORKS_AT|LIVES_IN]->(x) RETURN x.name", rows: [['Acme'], ['Berlin']] },
  { q: "MATCH (p:Person {name: 'Bob'})-[:WORKS_AT|:LIVES_IN|KNOWS]->(x) RETURN count(x)", rows: [[4]] },
  // variable length
  { q: "MATCH (a:Person {name: 'Alice'})-[:KNOWS*1..3]->(b) RETURN b.name, count(*) AS paths ORDER BY b.name", rows: [['Bob', 1], ['Carol', 2], ['Dave', 3], ['Eve', 2]] },
  { q: "MATCH (a:Person {name: 'Alice'})-[:KNOWS*2]->(b) RETURN b.name", rows: [['Carol'], ['Dave'], ['Dave']] },
  { q: "MATCH (a:Person {name: 'Alice'})-[:KNOWS*..2]->(b) RETURN count(*)", rows: [[5]] },
  { q: "MATCH (a:Person {name: 'Alice'})-[:KNOWS*0..1]->(b) RETURN b.name", rows: [['Alice'], ['Bob'], ['Carol']] },
  // a cycle: each path uses a relationship once, so Eve is reached again but never walked past
  { q: "MATCH (a:Person {name: 'Eve'})-[:KNOWS*1..10]->(b) RETURN b.name, count(*) ORDER BY b.name", rows: [['Alice', 1], ['Bob', 1], ['Carol', 2], ['Dave', 3], ['Eve', 3], ['Frank', 1]] },
  { q: "MATCH (a:Person {name: 'Alice'})-[r:KNOWS*2]->(b:Person {name: 'Dave'}) RETURN size(r) AS hops, head(r).since AS first, last(r).since AS second ORDER BY first", rows: [[2, 2010, 2015], [2, 2012, 2011]] },
  { q: "MATCH (:Person {name: 'Judy'})<-[:KNOWS*1..3]-(x) RETURN x.name", rows: [['Ivan'], ['Heidi'], ['Grace']] },
  // relationship uniqueness: within a MATCH (hops and patterns), not across MATCH clauses
  { q: "MATCH (a:Person {name: 'Alice'})-[:KNOWS]-(b)-[:KNOWS]-(c) RETURN c.name", rows: [['Bob'], ['Carol'], ['Dave'], ['Dave'], ['Eve']] },
  { q: "MATCH (a:Person {name: 'Alice'})-[r1:KNOWS]->(b), (c:Person {name: 'Alice'})-[r2:KNOWS]->(d) RETURN count(*)", rows: [[2]] },
  { q: "MATCH (a:Person {name: 'Alice'})-[r1:KNOWS]->(b) MATCH (c:Person {name: 'Alice'})-[r2:KNOWS]->(d) RETURN count(*)", rows: [[4]] },
  { q: "MATCH (a:Person {name: 'Alice'})-[:KNOWS]->(b), (a)-[:KNOWS*1..2]->(c) RETURN b.name, c.name ORDER BY b.name, c.name", rows: [['Bob', 'Carol'], ['Bob', 'Dave'], ['Carol', 'Bob'], ['Carol', 'Carol'], ['Carol', 'Dave']] },
  // OPTIONAL MATCH
  { q: "MATCH (p:Person) WHERE p.name IN ['Alice', 'Bob'] OPTIONAL MATCH (p)-[:WROTE]->(d:Doc) RETURN p.name, d.title", rows: [['Alice', 'Rust intro'], ['Bob', null]] },
  { q: "MATCH (p:Person {name: 'Alice'}) OPTIONAL MATCH (p)-[:KNOWS]->(f) WHERE f.age > 40 RETURN p.name, f.name", rows: [['Alice', 'Carol']] },
  { q: "MATCH (p:Person {name: 'Alice'}) OPTIONAL MATCH (p)-[:KNOWS]->(f) WHERE f.age > 60 RETURN p.name, f.name", rows: [['Alice', null]] },
  { q: 'OPTIONAL MATCH (n:Nothing) RETURN n', columns: ['n'], rows: [[null]] },
  { q: "MATCH (p:Person) OPTIONAL MATCH (p)-[:WORKS_AT]->(c) RETURN count(p), count(c)", rows: [[10, 7]] },
  // WHERE
  { q: 'MATCH (p:Person) WHERE p.age >= 41 AND p.age <> 45 RETURN p.name', rows: [['Frank'], ['Ivan']] },
  { q: 'MATCH (p:Person) WHERE p.age < 25 OR p.age > 50 RETURN p.name', rows: [['Dave'], ['Frank']] },
  { q: 'MATCH (p:Person) WHERE NOT p.age > 30 RETURN p.name', rows: [['Bob'], ['Dave'], ['Heidi'], ['Judy']] },
  { q: 'MATCH (p:Person) WHERE p.age > 30 XOR p:Engineer RETURN p.name', rows: [['Carol'], ['Dave'], ['Eve'], ['Frank'], ['Ivan']] },
  { q: "MATCH (p:Person) WHERE p.name IN ['Eve', 'Zed', 'Ivan'] RETURN p.name", rows: [['Eve'], ['Ivan']] },
  { q: 'MATCH (p:Person) WHERE p.age IN $ages RETURN p.name', params: { ages: [23, 52, 99] }, rows: [['Dave'], ['Frank']] },
  { q: "MATCH (p:Person) WHERE p.name STARTS WITH 'G' OR p.name ENDS WITH 've' OR p.name CONTAINS 'ud' RETURN p.name", rows: [['Dave'], ['Eve'], ['Grace'], ['Judy']] },
  { q: 'MATCH (p:Person) WHERE p.email IS NOT NULL RETURN p.name', rows: [['Alice'], ['Bob']] },
  { q: 'MATCH (p:Person) WHERE p.email IS NULL RETURN count(*)', rows: [[8]] },
  { q: 'MATCH (p:Person) WHERE p:Manager OR p:Engineer RETURN p.name', rows: [['Alice'], ['Carol'], ['Dave'], ['Frank'], ['Grace']] },
  { q: 'MATCH (p:Person) WHERE p.active = true RETURN p.name', rows: [['Judy']] },
  { q: "MATCH (p:Person) WHERE (p)-[:WORKS_AT]->(:Company {name: 'Acme'}) RETURN p.name", rows: [['Alice'], ['Bob'], ['Grace']] },
  { q: 'MATCH (p:Person) WHERE NOT (p)-[:WORKS_AT]->() RETURN p.name', rows: [['Heidi'], ['Ivan'], ['Judy']] },
  { q: "MATCH (a:Person)-[:LIVES_IN]->(c:City {name: 'Paris'}), (a)-[:WORKS_AT]->(co) RETURN a.name, co.name", rows: [['Carol', 'Globex'], ['Eve', 'Globex']] },
  // values and functions
  { q: "MATCH (a:Person {name: 'Alice'})-[r:WORKS_AT]->(c) RETURN id(a), labels(a), type(r), labels(c)", rows: [[1, ['Engineer', 'Person'], 'WORKS_AT', ['Company']]] },
  { q: "MATCH (p:Person {name: 'Judy'}) RETURN p", columns: ['p'], rows: [[{ id: 10, labels: ['Person'], properties: { name: 'Judy', age: 29, active: true } }]] },
  { q: "MATCH (:Person {name: 'Alice'})-[r:KNOWS]->(:Person {name: 'Bob'}) RETURN r", rows: [[{ id: 1, type: 'KNOWS', start: 1, end: 2, properties: { since: 2010 } }]] },
  { q: "MATCH (a:Person {name: 'Alice'}) RETURN a, [a] AS l, {who: a} AS m", rows: [[ALICE, [ALICE], { who: ALICE }]] },
  { q: "MATCH (p:Person {name: 'Bob'}) RETURN p.name, p.age AS years, count(*), p.nickname", columns: ['p.name', 'years', 'count(*)', 'p.nickname'], rows: [['Bob', 28, 1, null]] },
  { q: 'RETURN 7 + 3 * 2 AS a, 7 / 2 AS b, 7 % 3 AS c, 2 ^ 3 AS d, \'a\' + \'b\' AS e, \'n\' + 1 AS f, -(3 - 5) AS g, 1.5 * 2 AS h', rows: [[13, 3, 1, 8, 'ab', 'n1', 2, 3]] },
  { q: "MATCH (p:Person {name: 'Alice'}) RETURN toUpper(p.name), toLower('ABC'), size(p.tags), size(p.name), coalesce(p.nickname, p.name), toString(p.age), toInteger('42'), toInteger('x')", rows: [['ALICE', 'abc', 2, 5, 'Alice', '34', 42, null]] },
  { q: "RETURN [1, 'two', null, [3]] AS l, {a: 1, b: [true]} AS m, [10, 20, 30][1] AS i, [10, 20, 30][-1] AS j, size([1, 2, 3]) AS s, [1] + [2, 3] AS cat", rows: [[[1, 'two', null, [3]], { a: 1, b: [true] }, 20, 30, 3, [1, 2, 3]]] },
  { q: 'RETURN true AS t, false AS f, null AS n, 1 = 1 AS eq, 1 < null AS cmp, 9007199254740993 AS big', rows: [[true, false, null, true, null, '9007199254740993']] },
  { q: 'MATCH (p:Person) RETURN CASE WHEN p.age >= 40 THEN \'senior\' ELSE \'junior\' END AS band, count(*) AS n ORDER BY band', rows: [['junior', 7], ['senior', 3]] },
  // WITH, aggregation, DISTINCT, ORDER / SKIP / LIMIT, UNWIND, RETURN *
  { q: 'MATCH (p:Person)-[:LIVES_IN]->(c:City) WITH c.name AS city, count(p) AS n WHERE n >= 3 RETURN city, n ORDER BY n DESC, city', rows: [['Berlin', 4], ['London', 3], ['Paris', 3]] },
  { q: 'MATCH (p:Person)-[:WORKS_AT]->(c:Company) WITH c, p ORDER BY p.name RETURN c.name, collect(p.name) AS staff ORDER BY c.name', rows: [['Acme', ['Alice', 'Bob', 'Grace']], ['Globex', ['Carol', 'Eve']], ['Initech', ['Dave', 'Frank']]] },
  { q: 'MATCH (p:Person) RETURN sum(p.age), avg(p.age), min(p.age), max(p.age)', rows: [[348, 34.8, 23, 52]] },
  { q: 'MATCH (p:Person)-[:LIVES_IN]->(c) RETURN count(DISTINCT c) AS cities, count(c) AS links, collect(DISTINCT c.name) IS NOT NULL AS listed', rows: [[3, 10, true]] },
  { q: 'MATCH (p:Person)-[w:WORKS_AT]->() RETURN DISTINCT w.role', rows: [['analyst'], ['engineer'], ['manager'], ['sales']] },
  { q: 'MATCH (p:Person) RETURN p.name ORDER BY p.age DESC SKIP 1 LIMIT 3', rows: [['Carol'], ['Ivan'], ['Grace']] },
  { q: 'MATCH (p:Person) RETURN p.name AS name ORDER BY name SKIP $s LIMIT $l', params: { s: 8, l: 5 }, rows: [['Ivan'], ['Judy']] },
  { q: 'MATCH (p:Person) WITH p ORDER BY p.age LIMIT 2 RETURN p.name', rows: [['Dave'], ['Heidi']] },
  { q: 'MATCH (p:Person) RETURN p.email ORDER BY p.email LIMIT 3', rows: [['alice@example.org'], ['bob@example.com'], [null]] },
  { q: 'MATCH (p:Person {name: \'Dave\'}) OPTIONAL MATCH (p)-[:KNOWS]->(f) RETURN f.name ORDER BY f.name DESC', rows: [['Eve']] },
  { q: 'UNWIND [3, 1, 2] AS x RETURN x ORDER BY x', rows: [[1], [2], [3]] },
  { q: 'UNWIND $names AS n MATCH (p:Person {name: n}) RETURN p.age', params: { names: ['Eve', 'Ivan', 'Nobody'] }, rows: [[31], [41]] },
  { q: 'UNWIND [{a: 1}, {a: 2}] AS m WITH m WHERE m.a > 1 RETURN m, m.a', rows: [[{ a: 2 }, 2]] },
  { q: 'MATCH (p:Person)-[:WORKS_AT]->(:Company {name: \'Globex\'}) WITH collect(p) AS staff UNWIND staff AS s RETURN s.name', rows: [['Carol'], ['Eve']] },
  { q: "MATCH (c:City {name: 'Paris'}) WITH c.name AS name, 1 AS one RETURN *", columns: ['name', 'one'], rows: [['Paris', 1]] },
  { q: "MATCH (p:Person {name: 'Nobody'}) RETURN p.name", rows: [] },
  { q: "MATCH (p:Person {name: 'Nobody'}) RETURN count(p)", rows: [[0]] },
  // vector search
  { q: 'CALL rvf.knn($v, 2) YIELD id, distance RETURN id, distance ORDER BY distance', params: { v: [1, 0] }, columns: ['id', 'distance'], rows: [[1, 0], [4, 1]] },
  { q: 'CALL rvf.knn($v, 3) YIELD id, distance MATCH (d:Doc) WHERE d.vector_id = id RETURN d.title, distance ORDER BY distance', params: { v: [1, 0] }, rows: [['Rust intro', 0], ['Go intro', 2]] },
  { q: 'CALL rvf.knn($v, 3) YIELD id MATCH (d:Doc {vector_id: id})<-[:WROTE]-(a) RETURN a.name, d.title', params: { v: [1, 0] }, rows: [['Alice', 'Rust intro'], ['Dave', 'Go intro']] },
  { q: "CALL rvf.knn($v, 5, {topic: 'rust'}) YIELD id AS hit RETURN hit ORDER BY hit", params: { v: [0, 0] }, columns: ['hit'], rows: [[1], [4]] },
  // nodes used only for their id take it from a relationship column or graph_labels, not a graph_nodes row:
  // each case would change if a node were elided where it filters or multiplies rows
  { q: 'MATCH (a)-[:KNOWS]->()-[:KNOWS]->(c) RETURN count(*)', rows: [[12]] },
  { q: 'MATCH (a)-[:KNOWS]->(b) RETURN id(a), count(b) ORDER BY id(a)', rows: [[1, 2], [2, 2], [3, 1], [4, 1], [5, 1], [6, 1], [7, 1], [8, 1], [9, 1]] },
  { q: 'MATCH (a)-[:KNOWS]->()-[:KNOWS]->()-[:KNOWS]->()-[:KNOWS]->()-[:KNOWS]->(a) RETURN id(a) ORDER BY id(a)', rows: [[1], [1], [2], [3], [4], [4], [5], [5], [6], [6]] },
  { q: 'MATCH (d:Doc) OPTIONAL MATCH (x)-[:WROTE]->(d) RETURN d.title, id(x) ORDER BY d.title', rows: [['Go intro', 4], ['Rust intro', 1], ['TS intro', null]] },
  { q: 'MATCH (c:Company) OPTIONAL MATCH ()-[w:WROTE]->(c) RETURN c.name, count(w) ORDER BY c.name', rows: [['Acme', 0], ['Globex', 0], ['Initech', 0]] },
  { q: "MATCH (p:Person) WHERE p.name IN ['Alice', 'Judy'] OPTIONAL MATCH (p)-[:KNOWS]->() RETURN p.name, count(*) ORDER BY p.name", rows: [['Alice', 2], ['Judy', 1]] },
  { q: 'MATCH (:Manager)-[:KNOWS]->(b) RETURN b.name', rows: [['Dave'], ['Alice']] },
  { q: 'MATCH (a)-[:KNOWS]->(:Manager) RETURN a.name', rows: [['Alice'], ['Bob'], ['Eve']] },
  { q: "MATCH (x)-[:LIVES_IN]->(:City {name: 'Paris'}) RETURN count(x), count(DISTINCT x)", rows: [[3, 3]] },
  { q: 'MATCH (x)<-[:WORKS_AT]-() RETURN count(x), count(DISTINCT x)', rows: [[7, 3]] },
  { q: 'MATCH (a)-[:WROTE]->(d) RETURN id(a), a.name, d.title ORDER BY id(a)', rows: [[1, 'Alice', 'Rust intro'], [4, 'Dave', 'Go intro']] },
  { q: 'MATCH (a)-[:WROTE]->() WITH a RETURN a.name ORDER BY a.name', rows: [['Alice'], ['Dave']] },
  { q: 'MATCH (n) WHERE NOT (n)--() RETURN n.title', rows: [['TS intro']] },
  { q: 'MATCH (a)-[:WROTE]-(b) RETURN id(a), id(b) ORDER BY id(a)', rows: [[1, 17], [4, 18], [17, 1], [18, 4]] },
  { q: 'MATCH (a)-[:WROTE*0..1]->(b:Doc) RETURN count(*)', rows: [[5]] },
  { q: "MATCH (d:Doc {title: 'Rust intro'}), (x)-[:WROTE]->(d) RETURN id(x)", rows: [[1]] },
  { q: 'MATCH (a)<-[:KNOWS]-(b)-[:WORKS_AT]->(c) RETURN id(a), id(c) ORDER BY id(a), id(c)', rows: [[1, 13], [2, 11], [3, 11], [3, 11], [4, 11], [4, 12], [5, 13], [6, 12], [8, 11]] },
  { q: 'MATCH (a)-[:KNOWS]->(b)-[:KNOWS*1..2]->(c) WHERE id(a) = 7 RETURN id(c) ORDER BY id(c)', rows: [[9], [10]] },
  // refusals
  { q: 'MATCH (a:Person), (b:Person) RETURN shortestPath((a)-[*2..3]-(b))', error: 'EUNSUPPORTED' },
  { q: 'MATCH p = (p)-[:KNOWS]->(b) RETURN p', error: 'EINVAL' },
  { q: 'MATCH (p:Person {name: $who}) RETURN p', error: 'EINVAL' },
  { q: 'MATCH (n) SET n.x = 1', error: 'EREADONLY' },
  { q: "MATCH (:Person {name: 'Judy'})<-[:KNOWS*]-(x) RETURN x.name", rows: [['Ivan'], ['Heidi'], ['Grace']] },
  { q: "MATCH (:Person {name: 'Judy'})<-[:KNOWS*]-(x) RETURN x.name", options: { maxPathLength: 2 }, rows: [['Ivan'], ['Heidi']] },
  { q: "MATCH (:Person {name: 'Judy'})<-[:KNOWS*2..]-(x) RETURN x.name", rows: [['Heidi'], ['Grace']] },
  { q: 'MATCH (a)-[*1..11]->(b) RETURN b', error: 'ELIMIT' },
  { q: 'MATCH (a)-[*11..]->(b) RETURN b', error: 'ELIMIT' },
  { q: 'MATCH (a)-[*11]->(b) RETURN b', error: 'ELIMIT' },
  { q: 'MATCH (a)-[*1..3]->(b) RETURN b', options: { maxPathLength: 2 }, error: 'ELIMIT' },
  { q: 'MATCH (a RETURN a', error: 'EINVAL' },
  { q: 'RETURN 1 AS x UNION RETURN 2 AS y', error: 'EINVAL' },
  { q: 'RETURN 1 AS x UNION RETURN 2 AS x UNION ALL RETURN 3 AS x', error: 'EINVAL' },
  { q: 'RETURN x', error: 'EINVAL' },
  { q: 'RETURN foo(1)', error: 'EUNSUPPORTED' },
  { q: 'CALL db.labels() YIELD label RETURN label', rows: [['City'], ['Company'], ['Doc'], ['Engineer'], ['Manager'], ['Person']] },
  { q: 'CALL db.schema.visualization()', error: 'EUNSUPPORTED' },
  // list comprehensions and =~ are supported now (test/cypher-expressions.test.ts has the rest)
  { q: 'RETURN [x IN [1, 2] | x * 2]', rows: [[[2, 4]]] },
  { q: "MATCH (p:Person) WHERE p.name =~ 'A.*' RETURN p.name", rows: [['Alice']] },
  { q: 'MATCH (n) RETURN n; MATCH (m) RETURN m', error: 'EINVAL' },
  { q: 'MATCH (n)', error: 'EINVAL' },
  { q: 'MATCH (n) RETURN count(*) AS c, n.name AS c', error: 'EINVAL' },
  { q: 'MATCH (n) WHERE count(*) > 1 RETURN n', error: 'EINVAL' },
  // boolean operators take booleans; IN takes a list (openCypher's InvalidArgumentType)
  { q: 'RETURN 123 AND true', error: 'EINVAL' },
  { q: "RETURN NOT 'false'", error: 'EINVAL' },
  { q: 'RETURN [1] OR false', error: 'EINVAL' },
  { q: 'RETURN {a: 1} XOR null', error: 'EINVAL' },
  { q: 'MATCH (p:Person) WHERE p AND true RETURN p', error: 'EINVAL' },
  { q: 'MATCH (p:Person) WHERE 1 RETURN p', error: 'EINVAL' },
  { q: 'RETURN 1 IN 123', error: 'EINVAL' },
  { q: "RETURN 'a' IN 'abc'", error: 'EINVAL' },
  { q: 'RETURN null AND true AS a, NOT null AS b, true XOR false AS c, 2 IN null AS d', rows: [[null, null, true, null]] },
  { q: "MATCH (p:Person {name: 'Alice'}) RETURN 'rust' IN p.tags AS t, NOT (p.age > 40) AS young", rows: [[true, true]] },
  { q: 'MATCH (n) FOREACH (x IN [1] | SET n.x = x)', error: 'EREADONLY' },
];

describe('cypher conformance', () => {
  let reader: Database.Database;
  const dir = tempDir('rvf-cypher-');
  before(() => {
    reader = openReader(makeStore(dir, 'conformance.sqlite'));
  });

  test(`${CASES.length} queries against the fixture`, () => {
    assert.ok(CASES.length >= 50);
    const failures: string[] = [];
    for (const c of CASES) {
      try {
        check(c);
      } catch (err) {
        failures.push(`${c.q}\n    ${(err as Error).message.split('\n').slice(0, 12).join('\n    ')}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${CASES.length} cases failed:\n${failures.join('\n')}`);
  });

  function check(c: Case): void {
    {
      const options: CypherOptions = { write: false, maxRows: 1000, ...c.options };
      if (c.error) {
        expectCypherError(() => runCypher(reader, c.q, c.params ?? {}, options), c.error, c.q);
        return;
      }
      let r: CypherResult;
      try {
        r = runCypher(reader, c.q, c.params ?? {}, options);
      } catch (err) {
        assert.fail(`${c.q}: ${(err as Error).message}`);
      }
      if (c.columns) assert.deepEqual(r.columns, c.columns, c.q);
      const ordered = /RETURN[\s\S]*ORDER BY/i.test(c.q);
      assert.deepEqual(ordered ? r.rows : sortRows(r.rows), ordered ? c.rows : sortRows(c.rows ?? []), c.q);
      assert.equal(r.truncated, false, c.q);
      assert.deepEqual(Object.values(r.stats), [0, 0, 0, 0, 0, 0, 0], c.q);
    }
  }

  test('maxRows truncates and says so', () => {
    const r = runCypher(reader, 'MATCH (p:Person) RETURN p.name ORDER BY p.name', {}, { write: false, maxRows: 3 });
    assert.deepEqual(r.rows, [['Alice'], ['Bob'], ['Carol']]);
    assert.equal(r.truncated, true);
    const all = runCypher(reader, 'MATCH (p:Person) RETURN p.name', {}, { write: false, maxRows: 10 });
    assert.equal(all.truncated, false);
  });

  test('messages name the construct and what to do', () => {
    const e = expectCypherError(() => runCypher(reader, 'MATCH (a)-[*1..11]->(b) RETURN b', {}, { write: false, maxRows: 10 }), 'ELIMIT', 'too long');
    assert.match(e.message, /walk at most 10 hops/);
    const s = expectCypherError(() => runCypher(reader, 'MATCH (a), (b) RETURN shortestPath((a)-[*2..3]-(b))', {}, { write: false, maxRows: 10 }), 'EUNSUPPORTED', 'shortestPath');
    assert.match(s.message, /shortestPath\(\) with a minimum length above 1 is not supported; give the relationship a lower bound of 0 or 1/);
    const p = expectCypherError(() => runCypher(reader, 'RETURN $who', {}, { write: false, maxRows: 10 }), 'EINVAL', 'param');
    assert.match(p.message, /\$who/);
  });
});

describe('cypher writes', () => {
  const dir = tempDir('rvf-cypher-w-');
  let base: string;
  before(() => {
    base = makeStore(dir, 'base.sqlite');
  });
  let n = 0;
  const fresh = (): Database.Database => {
    const path = join(dir, `w${n++}.sqlite`);
    copyFileSync(base, path);
    return new Database(path);
  };
  const read = (db: Database.Database, q: string, params: Record<string, unknown> = {}): unknown[][] => runCypher(db, q, params, { write: false, maxRows: 1000 }).rows;

  test('CREATE nodes, relationships and paths, bound to matched nodes', () => {
    const db = fresh();
    const r = write(db, "CREATE (z:Person:Tester {name: 'Zed', age: 40, tags: ['x']}) RETURN z.name, labels(z)");
    assert.deepEqual(r.rows, [['Zed', ['Person', 'Tester']]]);
    assert.deepEqual(r.stats, { nodesCreated: 1, nodesDeleted: 0, relationshipsCreated: 0, relationshipsDeleted: 0, propertiesSet: 3, labelsAdded: 2, labelsRemoved: 0 });
    const p = write(db, "MATCH (a:Person {name: 'Zed'}), (b:Person {name: 'Judy'}) CREATE (a)-[:KNOWS {since: 2024}]->(b)<-[:MENTORS]-(m:Mentor {name: 'Max'})");
    assert.deepEqual(p.stats, { nodesCreated: 1, nodesDeleted: 0, relationshipsCreated: 2, relationshipsDeleted: 0, propertiesSet: 2, labelsAdded: 1, labelsRemoved: 0 });
    assert.deepEqual(read(db, "MATCH (a {name: 'Zed'})-[k:KNOWS]->(b)<-[:MENTORS]-(m) RETURN b.name, k.since, m.name"), [['Judy', 2024, 'Max']]);
    const u = write(db, 'UNWIND $rows AS row CREATE (:Item {n: row.n, label: row.n + 1})', { rows: [{ n: 1 }, { n: 2 }, { n: 3 }] });
    assert.equal(u.stats.nodesCreated, 3);
    assert.deepEqual(read(db, 'MATCH (i:Item) RETURN i.n, i.label ORDER BY i.n'), [[1, 2], [2, 3], [3, 4]]);
    expectCypherError(() => write(db, "MATCH (a:Person {name: 'Zed'}) CREATE (a)-[:X]-(b)"), 'EINVAL', 'undirected create');
    expectCypherError(() => write(db, "CREATE (a {m: {nested: 1}})"), 'EINVAL', 'map property');
    db.close();
  });

  test('MERGE matches or creates, with ON CREATE / ON MATCH', () => {
    const db = fresh();
    const first = write(db, "MERGE (c:City {name: 'Rome'}) ON CREATE SET c.created = true ON MATCH SET c.seen = true RETURN c.name, c.created, c.seen");
    assert.deepEqual(first.rows, [['Rome', true, null]]);
    assert.equal(first.stats.nodesCreated, 1);
    const again = write(db, "MERGE (c:City {name: 'Rome'}) ON CREATE SET c.created = true ON MATCH SET c.seen = true RETURN c.name, c.seen");
    assert.deepEqual(again.rows, [['Rome', true]]);
    assert.equal(again.stats.nodesCreated, 0);
    assert.deepEqual(read(db, "MATCH (c:City {name: 'Rome'}) RETURN count(*)"), [[1]]);
    const rel = write(db, "MATCH (a:Person {name: 'Heidi'}), (b:Person {name: 'Ivan'}) MERGE (a)-[r:KNOWS]->(b) RETURN r.since");
    assert.deepEqual(rel.rows, [[2021]]);
    assert.equal(rel.stats.relationshipsCreated, 0);
    const made = write(db, "MATCH (a:Person {name: 'Judy'}), (b:Person {name: 'Alice'}) MERGE (a)-[r:KNOWS]->(b) RETURN type(r)");
    assert.deepEqual(made.rows, [['KNOWS']]);
    assert.equal(made.stats.relationshipsCreated, 1);
    db.close();
  });

  test('SET and REMOVE properties and labels', () => {
    const db = fresh();
    const s = write(db, "MATCH (n:Person {name: 'Judy'}) SET n.age = n.age + 1, n:Tester, n += {city: 'Berlin', active: null} RETURN n.age, n.city, n.active, labels(n)");
    assert.deepEqual(s.rows, [[30, 'Berlin', null, ['Person', 'Tester']]]);
    assert.deepEqual(s.stats, { nodesCreated: 0, nodesDeleted: 0, relationshipsCreated: 0, relationshipsDeleted: 0, propertiesSet: 3, labelsAdded: 1, labelsRemoved: 0 });
    const replace = write(db, "MATCH (n:Person {name: 'Judy'}) SET n = {name: 'Judith'} RETURN properties(n)");
    assert.deepEqual(replace.rows, [[{ name: 'Judith' }]]);
    const rm = write(db, "MATCH (n:Person {name: 'Alice'}) REMOVE n.email, n:Engineer RETURN n.email, labels(n)");
    assert.deepEqual(rm.rows, [[null, ['Person']]]);
    assert.equal(rm.stats.labelsRemoved, 1);
    assert.equal(rm.stats.propertiesSet, 1);
    const rel = write(db, "MATCH (:Person {name: 'Alice'})-[r:KNOWS]->(:Person {name: 'Bob'}) SET r.weight = 0.5 RETURN r.weight, r.since");
    assert.deepEqual(rel.rows, [[0.5, 2010]]);
    assert.deepEqual(read(db, 'MATCH (n:Engineer) RETURN n.name'), [['Dave'], ['Grace']]);
    db.close();
  });

  test('DELETE refuses a node with relationships; DETACH DELETE removes both', () => {
    const db = fresh();
    const before = read(db, 'MATCH (n) RETURN count(n)');
    const e = expectCypherError(() => write(db, "MATCH (n:Person {name: 'Judy'}) DELETE n"), 'EINVAL', 'delete with rels');
    assert.match(e.message, /DETACH DELETE/);
    assert.deepEqual(read(db, 'MATCH (n) RETURN count(n)'), before, 'the transaction rolled back');
    const rels = write(db, "MATCH (n:Person {name: 'Judy'})-[r]-() DELETE r, n");
    assert.deepEqual([rels.stats.nodesDeleted, rels.stats.relationshipsDeleted], [1, 2]);
    const d = write(db, "MATCH (n:Person {name: 'Ivan'}) DETACH DELETE n");
    assert.deepEqual([d.stats.nodesDeleted, d.stats.relationshipsDeleted], [1, 2]);
    assert.deepEqual(read(db, 'MATCH (n:Person) RETURN count(n)'), [[8]]);
    assert.deepEqual(read(db, "MATCH (:Person {name: 'Heidi'})-[r]-() RETURN count(r)"), [[2]]);
    assert.equal((db.prepare('SELECT count(*) AS c FROM graph_labels WHERE node_id IN (9, 10)').get() as { c: number }).c, 0);
    const rel = write(db, "MATCH (:Person {name: 'Alice'})-[r:KNOWS]->() DELETE r");
    assert.equal(rel.stats.relationshipsDeleted, 2);
    db.close();
  });

  test('a write touches only the graph tables', () => {
    const db = fresh();
    const other = (): unknown => db.prepare("SELECT (SELECT count(*) FROM vectors), (SELECT count(*) FROM rdf_quads), (SELECT v FROM rdf_version)").raw().get();
    const was = other();
    write(db, "MATCH (n:Person {name: 'Eve'}) SET n.x = 1 CREATE (n)-[:LIKES]->(:Thing) WITH n MATCH (m:Person {name: 'Bob'}) DETACH DELETE m");
    assert.deepEqual(other(), was);
    db.close();
  });
});

describe('cypher read-only gate', () => {
  const attempts = [
    "CREATE (n:Person {name: 'x'})",
    'create (n)',
    'MATCH (n) WITH n CREATE (m)',
    'MATCH (n) SET n.x = 1',
    'MATCH (n) SET n:Hacked',
    'MATCH (n) REMOVE n.name',
    'MATCH (n) REMOVE n:Person',
    'MATCH (n) DELETE n',
    'MATCH (n) DETACH DELETE n',
    "MERGE (n:Person {name: 'x'})",
    'UNWIND [1, 2] AS x CREATE (:N {x: x})',
    'MATCH (n) /* just a read */ WITH n // really\n SET n.y = 2 RETURN n',
    'MATCH (n) RETURN n UNION MATCH (m) DETACH DELETE m RETURN m',
    'MATCH (n) FOREACH (x IN [1] | CREATE (:N))',
    'CREATE INDEX ON :Person(name)',
    'CREATE CONSTRAINT person_name IF NOT EXISTS FOR (n:Person) REQUIRE n.name IS UNIQUE',
    'MATCH (n) SET n:$(n.kind)',
    "CALL rvf.knn([1, 0], 2) YIELD id MATCH (d {vector_id: id}) SET d.hit = true",
    'MaTcH (n) DeLeTe n',
    'OPTIONAL MATCH (n) WITH n MERGE (m {x: 1}) RETURN m',
  ];

  const dir = tempDir('rvf-cypher-gate-');
  test(`${attempts.length} write attempts refused with EREADONLY, file unchanged`, () => {
    const path = makeStore(dir, 'gate.sqlite');
    const hash = (): string => createHash('sha256').update(readFileSync(path)).digest('hex');
    const before = hash();
    const reader = openReader(path);
    const failures: string[] = [];
    for (const q of attempts) {
      try {
        assert.equal(isCypherWrite(q), true, `isCypherWrite: ${q}`);
        expectCypherError(() => runCypher(reader, q, {}, { write: false, maxRows: 100 }), 'EREADONLY', q);
      } catch (err) {
        failures.push((err as Error).message.split('\n')[0] as string);
      }
    }
    assert.deepEqual(failures, []);
    reader.close();
    assert.equal(hash(), before);
    for (const q of ['MATCH (n) RETURN n', 'MATCH (n) WHERE n.created = 1 RETURN n.set', "RETURN 'CREATE (n)' AS s", 'MATCH (n) // DELETE n\nRETURN n']) {
      assert.equal(isCypherWrite(q), false, q);
    }
  });
});

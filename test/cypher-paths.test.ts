/**
 * Cypher paths, UNION, pattern comprehensions and FOREACH (issue 12) on a
 * real store through runQuery, as the MCP tool runs them:
 *
 * - named paths `p = ...` (fixed, variable-length, zero-length, one node,
 *   either direction, cycles), nodes() / relationships() / length(), the
 *   returned JSON form {nodes, relationships}, OPTIONAL MATCH giving null;
 * - shortestPath / allShortestPaths in MATCH and as values: minimal length,
 *   direction, no path at all;
 * - pattern comprehensions (bag semantics, WHERE, paths, no match), and
 *   variable-length patterns inside predicates;
 * - UNION and UNION ALL: duplicates, column order, mismatched columns,
 *   mixing the two, parts that write;
 * - FOREACH (nested, over a path's nodes, MERGE seeing earlier elements),
 *   and the read-only refusal of FOREACH and of a UNION part that writes;
 * - EXISTS { } and COUNT { } subqueries of one MATCH (a pre-pass, the grammar
 *   predates them), nested, and refused when they write or hold more.
 *
 * The graph (all relationships :K unless said, w = a property):
 *   a -> b (w 1), b -> c (w 2), c -> d (w 3), a -> c (w 4), d -> a (w 5),
 *   a -> f (w 6), f -> d (w 7), e -[:L]-> a; x has no relationships.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { isRvfError, RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

after(() => queryRunner().close());

type Params = Record<string, unknown>;

interface NodeJson {
  id: number;
  labels: string[];
  properties: Record<string, unknown>;
}

interface RelJson {
  id: number;
  type: string;
  start: number;
  end: number;
  properties: Record<string, unknown>;
}

interface PathJson {
  nodes: NodeJson[];
  relationships: RelJson[];
}

/** A returned path as text: `a-K->b<-K-c`, by node names and relationship types, with the direction of each step. */
function show(p: unknown): string {
  if (p === null) return 'null';
  const path = p as PathJson;
  assert.deepEqual(Object.keys(path), ['nodes', 'relationships'], 'a path has exactly nodes and relationships');
  assert.equal(path.nodes.length, path.relationships.length + 1, 'one more node than relationships');
  let out = String(path.nodes[0]?.properties.name);
  path.relationships.forEach((r, i) => {
    const from = path.nodes[i] as NodeJson;
    const to = path.nodes[i + 1] as NodeJson;
    const forward = r.start === from.id && r.end === to.id;
    assert.ok(forward || (r.start === to.id && r.end === from.id), 'each relationship joins its neighbouring nodes');
    out += forward ? `-${r.type}->` : `<-${r.type}-`;
    out += String(to.properties.name);
  });
  return out;
}

const sorted = <T>(xs: T[]): T[] => [...xs].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : JSON.stringify(x) > JSON.stringify(y) ? 1 : 0));

describe('cypher paths, UNION, pattern comprehensions, FOREACH', () => {
  const root = tempDir('rvf-cypher-paths-');
  let db: RvfDatabase;
  const ids: Record<string, number> = {};

  const write = async (q: string, params: Params = {}): Promise<unknown[][]> => (await runQuery(db, 'cypher', q, params, { write: true })).rows;
  const read = async (q: string, params: Params = {}): Promise<unknown[][]> => (await runQuery(db, 'cypher', q, params, { write: false })).rows;
  const column = async (q: string): Promise<unknown[]> => (await read(q)).map((r) => r[0]);
  const paths = async (q: string): Promise<string[]> => sorted((await column(q)).map(show));
  const fails = async (q: string, code: string, message: RegExp, write = false): Promise<void> => {
    await assert.rejects(
      runQuery(db, 'cypher', q, {}, { write }),
      (err: unknown) => {
        assert.ok(isRvfError(err), `${q}: an RvfError`);
        assert.equal(err.code, code, `${q}: ${err.message}`);
        assert.match(err.message, message, q);
        return true;
      },
      q,
    );
  };

  before(async () => {
    db = await RvfDatabase.create(join(root, 'paths.rvf'), { dimensions: 2 });
    await write(`
      CREATE (a:P {name: 'a'}), (b:P {name: 'b'}), (c:P {name: 'c'}), (d:P {name: 'd'}), (e:P {name: 'e'}), (f:P {name: 'f'}), (x:P {name: 'x'}),
        (a)-[:K {w: 1}]->(b), (b)-[:K {w: 2}]->(c), (c)-[:K {w: 3}]->(d), (a)-[:K {w: 4}]->(c), (d)-[:K {w: 5}]->(a),
        (a)-[:K {w: 6}]->(f), (f)-[:K {w: 7}]->(d), (e)-[:L]->(a)`);
    for (const [name, id] of await read('MATCH (n:P) RETURN n.name, id(n)')) ids[name as string] = id as number;
  });

  after(async () => {
    await db.close();
  });

  test('a path is returned as {nodes, relationships}, each as nodes and relationships are returned', async () => {
    const rows = await read("MATCH p = (:P {name: 'a'})-[r:K {w: 1}]->(:P {name: 'b'}) RETURN p, id(r)");
    assert.equal(rows.length, 1);
    const [p, rid] = rows[0] as [unknown, number];
    assert.deepEqual(p, {
      nodes: [
        { id: ids.a, labels: ['P'], properties: { name: 'a' } },
        { id: ids.b, labels: ['P'], properties: { name: 'b' } },
      ],
      relationships: [{ id: rid, type: 'K', start: ids.a, end: ids.b, properties: { w: 1 } }],
    });
  });

  test('named paths: variable length, zero length, one node, direction, undirected, cycles', async () => {
    assert.deepEqual(await paths("MATCH p = (:P {name: 'a'})-[:K*1..2]->() RETURN p"), sorted(['a-K->b', 'a-K->c', 'a-K->f', 'a-K->b-K->c', 'a-K->c-K->d', 'a-K->f-K->d']));
    assert.deepEqual(await paths("MATCH p = (:P {name: 'b'})-[:K*0..1]->() RETURN p"), ['b', 'b-K->c']);
    assert.deepEqual(await read("MATCH p = (n:P {name: 'x'}) RETURN length(p), size(nodes(p)), relationships(p)"), [[0, 1, []]]);
    assert.deepEqual(await paths("MATCH p = (:P {name: 'b'})<-[:K]-() RETURN p"), ['b<-K-a']);
    assert.deepEqual(await paths("MATCH p = (:P {name: 'b'})-[:K]-() RETURN p"), ['b-K->c', 'b<-K-a']);
    assert.deepEqual(await paths("MATCH p = (:P {name: 'c'})<-[*2]-() RETURN p"), sorted(['c<-K-a<-K-d', 'c<-K-b<-K-a', 'c<-K-a<-L-e']));
    // every cycle back to a, each relationship used at most once
    assert.deepEqual(await paths("MATCH p = (a:P {name: 'a'})-[:K*]->(a) RETURN p"), sorted(['a-K->b-K->c-K->d-K->a', 'a-K->c-K->d-K->a', 'a-K->f-K->d-K->a']));
    // two fixed hops and a walk in one path
    assert.deepEqual(await paths("MATCH p = (:P {name: 'e'})-[:L]->()-[:K {w: 4}]->()-[:K*1..2]->(:P {name: 'a'}) RETURN p"), ['e-L->a-K->c-K->d-K->a']);
  });

  test('nodes(), relationships(), length(); a path in WHERE and in a list', async () => {
    assert.deepEqual(
      await read("MATCH p = (:P {name: 'a'})-[:K*2]->(:P {name: 'd'}) RETURN length(p), (relationships(p)[0]).w AS w1, (relationships(p)[1]).w AS w2, (nodes(p)[1]).name AS mid ORDER BY w1"),
      [
        [2, 4, 3, 'c'],
        [2, 6, 7, 'f'],
      ],
    );
    assert.deepEqual(await column("MATCH p = (:P {name: 'a'})-[:K*]->(t) WHERE length(p) = 3 RETURN t.name ORDER BY t.name"), ['a', 'a', 'd']);
    // paths carried through WITH, compared, collected
    assert.deepEqual(await read("MATCH p = (:P {name: 'e'})-->() WITH p, p AS q RETURN p = q, size(collect(p)), length(head(collect(p)))"), [[true, 1, 1]]);
    // a path carried through a write query's stages
    assert.deepEqual((await write("MATCH p = (:P {name: 'e'})-->(a) SET a.visited = true RETURN p")).map((r) => show(r[0])), ['e-L->a']);
    await write("MATCH (a:P {name: 'a'}) REMOVE a.visited");
    await fails("MATCH (n:P) RETURN length(n)", 'EINVAL', /length\(\) takes a path/);
    await fails("MATCH p = (p)-->() RETURN p", 'EINVAL', /variable p is already defined/);
  });

  test('CREATE p = ... and MERGE p = ... bind the path they made or found, per row, without hidden variables', async () => {
    const made = await write("CREATE p = (:Q {name: 'q1'})-[:M]->(:Q {name: 'q2'})<-[:M]-(:Q {name: 'q3'}) RETURN p, length(p)");
    assert.deepEqual([show(made[0]?.[0]), made[0]?.[1]], ['q1-M->q2<-M-q3', 2]);
    // the second row finds the path the first made: same nodes, no new ones
    const merged = await write("UNWIND ['q1', 'q1'] AS n MATCH (a:Q {name: n}) MERGE p = (a)-[:MM]->(:Q {name: 'q4'}) RETURN (nodes(p)[1]).name, id(nodes(p)[1])");
    assert.equal(merged.length, 2);
    assert.deepEqual(merged[0], merged[1]);
    assert.equal(merged[0]?.[0], 'q4');
    assert.deepEqual(await read("MATCH (n:Q {name: 'q4'}) RETURN count(n)"), [[1]]);
    const one = await write("MERGE p = (n:Q {name: 'q1'}) RETURN length(p), (nodes(p)[0]).name");
    assert.deepEqual(one, [[0, 'q1']]);
    // RETURN * shows the query's own variables and the path only
    const star = await write('CREATE p = (:Q {name: "q5"})-[:M]->() RETURN *');
    assert.equal(star[0]?.length, 1);
    await fails("MATCH (p:Q {name: 'q1'}) CREATE p = ()-[:M]->()", 'EINVAL', /variable p is already (bound|defined)/, true);
    await write('MATCH (n:Q) DETACH DELETE n');
  });

  test('no match and OPTIONAL MATCH give no rows and null paths', async () => {
    assert.deepEqual(await read('MATCH p = (:Nope)-->() RETURN p'), []);
    assert.deepEqual(await read("MATCH (x:P {name: 'x'}) OPTIONAL MATCH p = (x)-[*]->() RETURN p, nodes(p), relationships(p), length(p)"), [[null, null, null, null]]);
    assert.deepEqual(await read("MATCH (x:P {name: 'x'}) OPTIONAL MATCH p = shortestPath((x)-[*]-(:P {name: 'a'})) RETURN p"), [[null]]);
  });

  test('shortestPath and allShortestPaths: minimal length, direction, none', async () => {
    assert.deepEqual(await paths("MATCH (a:P {name: 'a'}), (d:P {name: 'd'}) MATCH p = allShortestPaths((a)-[:K*]->(d)) RETURN p"), ['a-K->c-K->d', 'a-K->f-K->d']);
    const one = await paths("MATCH (a:P {name: 'a'}), (d:P {name: 'd'}) MATCH p = shortestPath((a)-[:K*]->(d)) RETURN p");
    assert.equal(one.length, 1);
    assert.ok(['a-K->c-K->d', 'a-K->f-K->d'].includes(one[0] as string), String(one[0]));
    // the other way round: d -> a directly, and against the direction only the two-hop ones
    assert.deepEqual(await paths("MATCH (a:P {name: 'a'}), (d:P {name: 'd'}) MATCH p = shortestPath((d)-[:K*]->(a)) RETURN p"), ['d-K->a']);
    assert.deepEqual(await paths("MATCH (a:P {name: 'a'}), (d:P {name: 'd'}) MATCH p = allShortestPaths((d)<-[:K*]-(a)) RETURN p"), ['d<-K-c<-K-a', 'd<-K-f<-K-a']);
    // undirected: d and a are neighbours
    assert.deepEqual(await read("MATCH (a:P {name: 'a'}), (d:P {name: 'd'}) MATCH p = allShortestPaths((a)-[*]-(d)) RETURN length(p)"), [[1]]);
    // no path within the bound, and none at all
    assert.deepEqual(await read("MATCH (b:P {name: 'b'}), (f:P {name: 'f'}) MATCH p = shortestPath((b)-[:K*..2]->(f)) RETURN p"), []);
    assert.deepEqual(await read("MATCH (b:P {name: 'b'}), (f:P {name: 'f'}) MATCH p = shortestPath((b)-[:K*..4]->(f)) RETURN length(p)"), [[4]]);
    assert.deepEqual(await read("MATCH (x:P {name: 'x'}), (a:P {name: 'a'}) MATCH p = shortestPath((x)-[*]-(a)) RETURN p"), []);
    // as a value
    assert.deepEqual(await read("MATCH (a:P {name: 'a'}), (d:P {name: 'd'}) RETURN length(shortestPath((a)-[:K*]->(d))) AS l, size(allShortestPaths((a)-[:K*]->(d))) AS n"), [[2, 2]]);
    assert.deepEqual(await read("MATCH (x:P {name: 'x'}), (a:P {name: 'a'}) RETURN shortestPath((x)-[*]-(a)) AS p"), [[null]]);
    await fails("MATCH (a:P), (b:P) MATCH p = shortestPath((a)-[*2..3]-(b)) RETURN p", 'EINVAL', /minimum length above 1/);
    await fails("MATCH p = shortestPath((a:P)-[*]->(b)-->(c)) RETURN p", 'EINVAL', /exactly one relationship/);
  });

  test('pattern comprehensions keep duplicates, filter with WHERE, bind paths, and give [] without a match', async () => {
    const [[direct, twoHops, heavy, lengths, none]] = (await read(
      "MATCH (a:P {name: 'a'}), (x:P {name: 'x'}) RETURN [(a)-[:K]->(b) | b.name] AS direct, [(a)-[:K]->()-[:K]->(t) | t.name] AS twoHops, [(a)-[r:K]->(b) WHERE r.w > 1 | b.name] AS heavy, [p = (a)-[:K*2]->() | length(p)] AS lengths, [(x)-->(y) | y] AS none",
    )) as [[string[], string[], string[], number[], unknown[]]];
    assert.deepEqual(sorted(direct), ['b', 'c', 'f']);
    assert.deepEqual(sorted(twoHops), ['c', 'd', 'd']);
    assert.deepEqual(sorted(heavy), ['c', 'f']);
    assert.deepEqual(lengths, [2, 2, 2]);
    assert.deepEqual(none, []);
    // a variable-length pattern as a predicate, and its count
    assert.deepEqual(await column("MATCH (n:P) WHERE (n)-[:K*3]->(:P {name: 'a'}) RETURN n.name ORDER BY n.name"), ['a', 'b']);
    assert.deepEqual(await read("MATCH (a:P {name: 'a'}) RETURN size((a)-[:K*2]->())"), [[3]]);
    // a predicate cannot introduce a variable; a bare pattern is not a value
    await fails('MATCH (n) WHERE (n)-[r]->() RETURN n', 'EINVAL', /variable r is not defined; a pattern predicate cannot introduce/);
    await fails('MATCH (n) RETURN (n)-->()', 'EINVAL', /cannot be returned as a value/);
  });

  test('EXISTS { } and COUNT { } subqueries: patterns, MATCH ... WHERE, nesting, and what is refused', async () => {
    assert.deepEqual(await column("MATCH (n:P) WHERE exists { (n)-[:L]->() } RETURN n.name"), ['e']);
    assert.deepEqual(await column("MATCH (n:P) WHERE EXISTS { MATCH (n)-[r:K]->(m) WHERE r.w > 5 RETURN true } RETURN n.name ORDER BY n.name"), ['a', 'f']);
    assert.deepEqual(await read("MATCH (n:P) WHERE n.name IN ['a', 'x'] RETURN n.name, COUNT { (n)-[:K]->() } AS out ORDER BY n.name"), [['a', 3], ['x', 0]]);
    // nested, with a variable-length pattern, and a NOT
    assert.deepEqual(await column("MATCH (n:P) WHERE exists { MATCH (m:P) WHERE exists { (n)-[:K*2]->(m) WHERE m.name = 'd' } } RETURN n.name ORDER BY n.name"), ['a', 'b']);
    assert.deepEqual(await column("MATCH (n:P) WHERE NOT exists { (n)--() } RETURN n.name"), ['x']);
    // braces inside strings are left alone
    assert.deepEqual(await read("RETURN 'exists { (n) }' AS s"), [['exists { (n) }']]);
    await fails('MATCH (n) WHERE exists { MATCH (n)-->(m) WITH n, count(*) AS c WHERE c > 1 RETURN true } RETURN n', 'EINVAL', /subquery EXISTS \{ MATCH .* is not supported; write it as EXISTS \{ MATCH pattern WHERE condition \}/);
    // a subquery that writes is a write: refused read-only, and refused with writes on
    await fails("MATCH (n) WHERE exists { MATCH (n)-->(m) SET m.bad = true } RETURN n", 'EREADONLY', /./);
    await fails("MATCH (n) WHERE exists { MATCH (n)-->(m) SET m.bad = true } RETURN n", 'EINVAL', /EXISTS \{ \} cannot write/, true);
    assert.deepEqual(await read('MATCH (n) WHERE n.bad IS NOT NULL RETURN n'), []);
  });

  test('UNION and UNION ALL', async () => {
    assert.deepEqual(sorted(await column("MATCH (n:P) WHERE n.name IN ['a', 'b'] RETURN n.name AS v UNION MATCH (n:P) WHERE n.name IN ['b', 'c'] RETURN n.name AS v")), ['a', 'b', 'c']);
    assert.deepEqual(sorted(await column("MATCH (n:P) WHERE n.name IN ['a', 'b'] RETURN n.name AS v UNION ALL MATCH (n:P) WHERE n.name IN ['b', 'c'] RETURN n.name AS v")), ['a', 'b', 'b', 'c']);
    // nodes are compared as nodes (their ids), columns by name
    assert.deepEqual((await read("MATCH (n:P {name: 'a'}) RETURN n, 1 AS k UNION MATCH (n:P) WHERE n.name = 'a' RETURN 1 AS k, n")).length, 1);
    assert.deepEqual(await read('RETURN 1 AS x, 2 AS y UNION RETURN 3 AS y, 4 AS x'), [[1, 2], [4, 3]]);
    // one column, values of different types
    assert.deepEqual(sorted(await column("RETURN 1 AS v UNION RETURN 'one' AS v UNION RETURN [1] AS v UNION RETURN null AS v")), sorted([1, 'one', [1], null]));
    // zero rows in every part
    assert.deepEqual(await read('MATCH (n:Nope) RETURN n UNION MATCH (n:Nothing) RETURN n'), []);
    await fails('RETURN 1 AS a UNION RETURN 1 AS b', 'EINVAL', /same column names/);
    await fails('RETURN 1 AS a UNION RETURN 2 AS a UNION ALL RETURN 3 AS a', 'EINVAL', /cannot mix UNION and UNION ALL/);
    // a part that writes: refused read-only, run in order with writes on
    await fails('RETURN 1 AS a UNION CREATE (n:U) RETURN 2 AS a', 'EREADONLY', /./);
    assert.deepEqual(await column('MATCH (u:U) RETURN count(u) AS n'), [0]);
    const rows = await write('CREATE (:U {n: 1}) RETURN 1 AS a UNION ALL MATCH (u:U) CREATE (:U {n: 2}) RETURN count(*) AS a UNION ALL MATCH (u:U) RETURN count(u) AS a');
    assert.deepEqual(rows, [[1], [1], [2]]);
    await write('MATCH (u:U) DELETE u');
  });

  test('FOREACH writes per element, nests, and is refused read-only', async () => {
    await fails("MATCH (a:P {name: 'a'}) FOREACH (x IN [1, 2] | SET a.tick = x)", 'EREADONLY', /./);
    assert.deepEqual(await read("MATCH (a:P {name: 'a'}) RETURN a.tick"), [[null]]);
    await write("MATCH p = (:P {name: 'a'})-[:K*2]->(:P {name: 'd'}) FOREACH (n IN nodes(p) | SET n.seen = coalesce(n.seen, 0) + 1)");
    assert.deepEqual(await read('MATCH (n:P) WHERE n.seen IS NOT NULL RETURN n.name, n.seen ORDER BY n.name'), [['a', 2], ['c', 1], ['d', 2], ['f', 1]]);
    // MERGE sees what earlier elements created; the nested FOREACH runs per outer element
    await write('FOREACH (x IN [1, 2, 1] | MERGE (m:M {v: x}) FOREACH (y IN [x, x * 10] | CREATE (:Y {v: y})))');
    assert.deepEqual(await column('MATCH (m:M) RETURN m.v ORDER BY m.v'), [1, 2]);
    assert.deepEqual(await column('MATCH (y:Y) RETURN y.v ORDER BY y.v'), [1, 1, 2, 10, 10, 20]);
    // null and [] run nothing; the FOREACH variable does not leak
    await write('FOREACH (x IN null | CREATE (:Q)) FOREACH (x IN [] | CREATE (:Q))');
    assert.deepEqual(await column('MATCH (q:Q) RETURN count(q)'), [0]);
    await fails('FOREACH (x IN [1] | CREATE (:Q)) RETURN x', 'EINVAL', /variable x is not defined/, true);
    await fails('FOREACH (x IN [1] | MATCH (n) SET n.x = 1)', 'EINVAL', /FOREACH may only hold/, true);
  });
});

describe('CALL { } subqueries', () => {
  const dir = tempDir('rvf-cypher-call-');
  let store: RvfDatabase;
  const read = async (q: string, params: Params = {}): Promise<unknown[][]> => (await runQuery(store, 'cypher', q, params, { write: false })).rows;
  const write = (q: string, params: Params = {}) => runQuery(store, 'cypher', q, params, { write: true });

  before(async () => {
    store = await RvfDatabase.create(join(dir, 'c.rvf'), { dimensions: 2 });
    await write(
      "CREATE (a:E {name: 'ada'}), (b:E {name: 'bob'}), (:E {name: 'cy'}), (a)-[:O]->(:Obs {t: 1}), (a)-[:O]->(:Obs {t: 3}), (a)-[:O]->(:Obs {t: 2}), (b)-[:O]->(:Obs {t: 5})",
    );
  });
  after(() => store.close());

  test('per row: LIMIT, ORDER BY and aggregates in the body apply to each row apart', async () => {
    // the newest observation of each entity; cy has none, so its row goes
    assert.deepEqual(await read('MATCH (e:E) CALL { WITH e MATCH (e)-[:O]->(o) RETURN o.t AS t ORDER BY o.t DESC LIMIT 1 } RETURN e.name, t ORDER BY e.name'), [['ada', 3], ['bob', 5]]);
    // a count per row keeps every row, 0 included
    assert.deepEqual(await read('MATCH (e:E) CALL { WITH e OPTIONAL MATCH (e)-[:O]->(o) RETURN count(o) AS n } RETURN e.name, n ORDER BY e.name'), [['ada', 3], ['bob', 1], ['cy', 0]]);
    // an uncorrelated body is joined with every row; nested bodies; returned nodes stay nodes
    assert.deepEqual(await read('UNWIND [1, 2] AS x CALL { MATCH (o:Obs) RETURN max(o.t) AS top } RETURN x, top'), [[1, 5], [2, 5]]);
    assert.deepEqual(await read("MATCH (e:E {name: 'ada'}) CALL { WITH e CALL { WITH e MATCH (e)-->(o) RETURN o } RETURN o } MATCH (o)<-[:O]-(owner) RETURN owner.name, o.t ORDER BY o.t"), [['ada', 1], ['ada', 2], ['ada', 3]]);
    assert.deepEqual(await read('CALL { MATCH (e:E) RETURN e.name AS name } RETURN collect(name) AS names'), [[['ada', 'bob', 'cy']]]);
  });

  test('a body that writes: each row sees the earlier rows\' writes; read-only callers are refused before anything runs', async () => {
    const r = await write("UNWIND ['ada', 'dee', 'dee'] AS nm CALL { WITH nm MERGE (e:E {name: nm}) ON CREATE SET e.new = true } RETURN nm");
    assert.deepEqual(r.rows, [['ada'], ['dee'], ['dee']], 'a body without RETURN keeps the rows as they are');
    assert.equal(r.stats?.nodesCreated, 1, 'the second dee found the first');
    assert.deepEqual(await read('MATCH (e:E) WHERE e.new RETURN e.name'), [['dee']]);
    await assert.rejects(
      runQuery(store, 'cypher', 'UNWIND [1] AS x CALL { WITH x CREATE (:Never) }', {}, { write: false }),
      (err: unknown) => isRvfError(err) && err.code === 'EREADONLY',
    );
    assert.deepEqual(await read('MATCH (n:Never) RETURN count(n)'), [[0]]);
  });
});

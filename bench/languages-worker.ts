import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import oxigraph from 'oxigraph';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { SparqlEngine } from '../rvlite-bridge/sparql/index.ts';
import { RvfDatabase } from '../store/index.ts';
import { encodeEffects, type SqlValue } from '../store/effects.ts';
import { mulberry32, percentile } from './data.ts';

/**
 * Cypher and SPARQL at the sizes the facts file measured, each beside its
 * raw engine in the same process: hand-written SQL on a plain SQLite
 * connection to the same cache file (Cypher), and oxigraph queried directly
 * (SPARQL). The data goes in as one effects record, the way the store's log
 * carries a write, and the cache replays it.
 *
 *   node bench/languages-worker.js cypher <nodes> <relsPerNode>
 *   node bench/languages-worker.js upsert <entities>
 *   node bench/languages-worker.js sparql <people>
 */

const [task, a1, a2] = process.argv.slice(2);
const print = (o: unknown): void => console.log(JSON.stringify(o));

/** Median and p95 of `runs` timed calls after one warm-up, alternating with the other systems by the caller. */
function stats(xs: number[]): { p50: number; p95: number } {
  const s = [...xs].sort((x, y) => x - y);
  return { p50: percentile(s, 50), p95: percentile(s, 95) };
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** Loads `tables` (rows as [rowid, ...columns]) into a new store through one effects commit; returns the store and the load time. */
async function storeWith(dir: string, tables: { table: string; columns: string[]; upserts: SqlValue[][] }[]): Promise<{ db: RvfDatabase; loadMs: number }> {
  const db = await RvfDatabase.create(join(dir, 'bench.rvf'), { dimensions: 4 });
  const payload = encodeEffects({ ddl: [], tables: tables.map((t) => ({ ...t, deletes: [] })) });
  // The session's cache catches up from the file: the same replay a restart does.
  const { ms } = await timed(() => db.writeSession(async (s) => s.commit(payload)));
  return { db, loadMs: ms };
}

async function compare(
  runs: number,
  systems: Record<string, () => Promise<unknown> | unknown>,
): Promise<Record<string, { p50: number; p95: number; answer: string }>> {
  const times: Record<string, number[]> = {};
  const answers: Record<string, string> = {};
  for (let i = 0; i <= runs; i++) {
    for (const [name, fn] of Object.entries(systems)) {
      const { ms, value } = await timed(fn);
      if (i === 0) answers[name] = JSON.stringify(value);
      else (times[name] ??= []).push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, { ...stats(xs), answer: answers[name] as string }]));
}

async function cypher(nodes: number, relsPerNode: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rvf-bench-cypher-'));
  try {
    const next = mulberry32(99);
    const nodeRows: SqlValue[][] = [];
    const labelRows: SqlValue[][] = [];
    const relRows: SqlValue[][] = [];
    for (let i = 1; i <= nodes; i++) {
      nodeRows.push([BigInt(i), BigInt(i), JSON.stringify({ i, age: 18 + (i % 60), group: i % 100 })]);
      labelRows.push([BigInt(i), BigInt(i), 'Person']);
      for (let r = 0; r < relsPerNode; r++) {
        const id = relRows.length + 1;
        relRows.push([BigInt(id), BigInt(id), 'KNOWS', BigInt(i), BigInt(1 + Math.floor(next() * nodes)), '{}']);
      }
    }
    const { db, loadMs } = await storeWith(dir, [
      { table: 'graph_nodes', columns: ['id', 'props'], upserts: nodeRows },
      { table: 'graph_labels', columns: ['node_id', 'label'], upserts: labelRows },
      { table: 'graph_rels', columns: ['id', 'type', 'src', 'dst', 'props'], upserts: relRows },
    ]);
    const raw = new Database(join(dir, 'bench.rvf.sqlite'), { readonly: true });
    // The bench measures, so a slow run is reported rather than stopped at the tools' 5 s limit.
    const cy = (q: string) => async () => (await runQuery(db, 'cypher', q, undefined, { write: false, timeLimitMs: 120_000 })).rows;
    const sql = (q: string) => () => raw.prepare(q).raw(true).all();
    const twoHop = await compare(5, {
      ours: cy('MATCH (a:Person)-[:KNOWS]->(b)-[:KNOWS]->(c) WHERE a.group = 7 RETURN count(*) AS n'),
      raw: sql(
        "SELECT count(*) FROM graph_nodes a JOIN graph_labels l ON l.node_id = a.id AND l.label = 'Person' " +
          "JOIN graph_rels r1 ON r1.src = a.id AND r1.type = 'KNOWS' JOIN graph_rels r2 ON r2.src = r1.dst AND r2.type = 'KNOWS' AND r2.id <> r1.id " +
          "WHERE json_extract(a.props, '$.group') = 7",
      ),
    });
    const varLength = await compare(5, {
      ours: cy('MATCH (a:Person)-[:KNOWS*1..5]->(b) WHERE id(a) = 1 RETURN count(DISTINCT b) AS n'),
      raw: sql(
        "WITH RECURSIVE walk(node, depth, path) AS (SELECT id, 0, ',' FROM graph_nodes WHERE id = 1 " +
          "UNION ALL SELECT r.dst, w.depth + 1, w.path || r.id || ',' FROM walk w JOIN graph_rels r ON r.src = w.node AND r.type = 'KNOWS' " +
          "WHERE w.depth < 5 AND instr(w.path, ',' || r.id || ',') = 0) SELECT count(DISTINCT node) FROM walk WHERE depth >= 1",
      ),
    });
    // The facts file's shape: a count over the join of every relationship with its labelled ends.
    const aggregate = await compare(3, {
      ours: cy('MATCH (a:Person)-[:KNOWS]->(b:Person) RETURN count(*) AS n'),
      raw: sql(
        "SELECT count(*) FROM graph_rels r JOIN graph_labels la ON la.node_id = r.src AND la.label = 'Person' " +
          "JOIN graph_labels lb ON lb.node_id = r.dst AND lb.label = 'Person' WHERE r.type = 'KNOWS'",
      ),
    });
    // A grouped aggregate reading properties (JSON) of both ends of all 500k relationships.
    const grouped = await compare(3, {
      ours: cy('MATCH (a:Person)-[:KNOWS]->(b:Person) RETURN a.group AS g, count(*) AS n, avg(b.age) AS age ORDER BY g LIMIT 3'),
      raw: sql(
        "SELECT json_extract(a.props, '$.group') AS g, count(*), avg(json_extract(b.props, '$.age')) FROM graph_rels r " +
          "JOIN graph_nodes a ON a.id = r.src JOIN graph_labels la ON la.node_id = a.id AND la.label = 'Person' " +
          "JOIN graph_nodes b ON b.id = r.dst JOIN graph_labels lb ON lb.node_id = b.id AND lb.label = 'Person' " +
          "WHERE r.type = 'KNOWS' GROUP BY g ORDER BY g LIMIT 3",
      ),
    });
    raw.close();
    await db.close();
    print({ nodes, rels: relRows.length, loadMs, twoHop, varLength, aggregate, grouped });
  } finally {
    queryRunner().close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The agent-memory batch upsert (MERGE by name, SET, append to a list) of
 * `entities` rows through runQuery with write: true, twice (the second batch
 * updates every entity), beside the same effect written as SQL on a user
 * table (INSERT ... ON CONFLICT DO UPDATE), also through runQuery: both pay
 * the query child, the effects capture and the durable commit, so the ratio
 * is what Cypher's write path costs over hand-written SQL. Then a batch of
 * `entities` relations between them (MATCH both ends by name, MERGE the
 * relationship) beside its SQL. Each system gets its own store; the rounds
 * alternate, the first is a warm-up, and the median of the other five is kept.
 */
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

async function upsert(entities: number): Promise<void> {
  const rows = (batch: number): { name: string; type: string; obs: string[] }[] =>
    Array.from({ length: entities }, (_, i) => ({ name: `entity-${i}`, type: i % 2 ? 'person' : 'project', obs: [`batch ${batch} fact ${i}`] }));
  const rels = Array.from({ length: entities }, (_, i) => ({ a: `entity-${i}`, b: `entity-${(i * 7919 + 1) % entities}` }));
  const cypherUpsert = 'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) SET e.type = r.type, e.obs = coalesce(e.obs, []) + r.obs';
  const cypherRelate = 'UNWIND $rels AS r MATCH (a:Entity {name: r.a}), (b:Entity {name: r.b}) MERGE (a)-[:RELATES_TO]->(b)';
  const sqlUpsert =
    "INSERT INTO entity (name, type, obs) SELECT r.value ->> '$.name', r.value ->> '$.type', r.value -> '$.obs' FROM json_each(?) r WHERE true " +
    'ON CONFLICT (name) DO UPDATE SET type = excluded.type, ' +
    'obs = (SELECT json_group_array(o.value) FROM (SELECT value FROM json_each(entity.obs) UNION ALL SELECT value FROM json_each(excluded.obs)) o)';
  const sqlRelate = "INSERT OR IGNORE INTO relation (a, b, type) SELECT r.value ->> '$.a', r.value ->> '$.b', 'RELATES_TO' FROM json_each(?) r";
  const write = { write: true, timeLimitMs: 600_000 };
  const times = { cypherFirst: [] as number[], cypherSecond: [] as number[], cypherRelate: [] as number[], sqlFirst: [] as number[], sqlSecond: [] as number[], sqlRelate: [] as number[], cypherSmall: [] as number[], sqlSmall: [] as number[] };
  // what an agent sends most: a few entities, some known and some new, against all the others
  const small = (round: number, k: number): { name: string; type: string; obs: string[] }[] =>
    Array.from({ length: 10 }, (_, i) => ({ name: `entity-${(round * 7919 + k * 13 + i * 2) % (entities + 10)}`, type: 'note', obs: [`small ${round}.${k}.${i}`] }));
  const smallBatches = 21;
  const answers: Record<string, string> = {};
  // round 0 warms the query process for both systems (the first Cypher write loads the parser and
  // compiles the write path; a few batches pass before it settles) and is not counted
  const rounds = 6;
  for (let round = 0; round < rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'rvf-bench-upsert-'));
    try {
      const cy = await RvfDatabase.create(join(dir, 'cypher.rvf'), { dimensions: 4 });
      times.cypherFirst.push((await timed(() => runQuery(cy, 'cypher', cypherUpsert, { rows: rows(1) }, write))).ms);
      times.cypherSecond.push((await timed(() => runQuery(cy, 'cypher', cypherUpsert, { rows: rows(2) }, write))).ms);
      times.cypherRelate.push((await timed(() => runQuery(cy, 'cypher', cypherRelate, { rels }, write))).ms);
      const cypherSmall: number[] = [];
      for (let k = 0; k < smallBatches; k++) cypherSmall.push((await timed(() => runQuery(cy, 'cypher', cypherUpsert, { rows: small(round, k) }, write))).ms);
      times.cypherSmall.push(median(cypherSmall));
      answers.cypher = JSON.stringify((await runQuery(cy, 'cypher', 'MATCH (e:Entity) WITH count(e) AS n, sum(size(e.obs)) AS obs MATCH ()-[r:RELATES_TO]->() RETURN n, obs, count(r)', undefined, { write: false })).rows);
      await cy.close();
      const sq = await RvfDatabase.create(join(dir, 'sql.rvf'), { dimensions: 4 });
      await runQuery(sq, 'sql', 'CREATE TABLE entity (name TEXT PRIMARY KEY, type TEXT, obs TEXT)', undefined, write);
      await runQuery(sq, 'sql', 'CREATE TABLE relation (a TEXT NOT NULL, b TEXT NOT NULL, type TEXT NOT NULL, PRIMARY KEY (a, b, type))', undefined, write);
      times.sqlFirst.push((await timed(() => runQuery(sq, 'sql', sqlUpsert, [JSON.stringify(rows(1))], write))).ms);
      times.sqlSecond.push((await timed(() => runQuery(sq, 'sql', sqlUpsert, [JSON.stringify(rows(2))], write))).ms);
      times.sqlRelate.push((await timed(() => runQuery(sq, 'sql', sqlRelate, [JSON.stringify(rels)], write))).ms);
      const sqlSmall: number[] = [];
      for (let k = 0; k < smallBatches; k++) sqlSmall.push((await timed(() => runQuery(sq, 'sql', sqlUpsert, [JSON.stringify(small(round, k))], write))).ms);
      times.sqlSmall.push(median(sqlSmall));
      answers.sql = JSON.stringify((await runQuery(sq, 'sql', 'SELECT (SELECT count(*) FROM entity), (SELECT sum(json_array_length(obs)) FROM entity), (SELECT count(*) FROM relation)', undefined, { write: false })).rows);
      await sq.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  queryRunner().close();
  for (const xs of Object.values(times)) xs.shift();
  print({ entities, rounds: rounds - 1, ...Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)])), answers });
}

async function sparql(people: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rvf-bench-sparql-'));
  try {
    const ex = (s: string): string => `<http://example.org/${s}>`;
    const next = mulberry32(7);
    const quads: SqlValue[][] = [];
    const lines: string[] = [];
    const add = (s: string, p: string, o: string): void => {
      quads.push([BigInt(quads.length + 1), s, p, o, '']);
      lines.push(`${s} ${p} ${o} .`);
    };
    for (let i = 0; i < people; i++) {
      add(ex(`p${i}`), ex('name'), `"Person ${i}"`);
      add(ex(`p${i}`), ex('age'), `"${i % 90}"^^<http://www.w3.org/2001/XMLSchema#integer>`);
      for (let k = 0; k < 3; k++) add(ex(`p${i}`), ex('knows'), ex(`p${Math.floor(next() * people)}`));
    }
    const { db, loadMs: commitMs } = await storeWith(dir, [{ table: 'rdf_quads', columns: ['s', 'p', 'o', 'g'], upserts: quads }]);
    // Loading oxigraph from the cache (what the query child does on first use) beside oxigraph loading the same text.
    const cacheDb = new Database(join(dir, 'bench.rvf.sqlite'), { readonly: true });
    const ourLoad = await timed(() => SparqlEngine.load(cacheDb));
    ourLoad.value.free();
    cacheDb.close();
    const store = new oxigraph.Store();
    const rawLoad = await timed(() => store.load(lines.join('\n'), { format: 'application/n-triples' }));
    const sp = (q: string) => async () => (await runQuery(db, 'sparql', q, undefined, { write: false, timeLimitMs: 120_000 })).rows;
    const direct = (q: string) => () => (JSON.parse(store.query(q, { results_format: 'json' }) as string) as { results: { bindings: Record<string, unknown>[] } }).results.bindings.map((b) => Object.values(b));
    const prefix = 'PREFIX ex: <http://example.org/> ';
    // The first query through the tool path loads the store's triples into the child's oxigraph.
    const firstQuery = await timed(sp(`${prefix}SELECT ?p WHERE { ?p ex:age 1 } LIMIT 1`));
    const filter = await compare(5, {
      ours: sp(`${prefix}SELECT ?p ?a WHERE { ?p ex:age ?a FILTER(?a > 85) } LIMIT 10`),
      raw: direct(`${prefix}SELECT ?p ?a WHERE { ?p ex:age ?a FILTER(?a > 85) } LIMIT 10`),
    });
    const path = await compare(5, {
      ours: sp(`${prefix}SELECT (count(DISTINCT ?x) AS ?n) WHERE { ex:p0 ex:knows+ ?x }`),
      raw: direct(`${prefix}SELECT (count(DISTINCT ?x) AS ?n) WHERE { ex:p0 ex:knows+ ?x }`),
    });
    await db.close();
    print({ quads: quads.length, commitMs, loadMs: ourLoad.ms, rawLoadMs: rawLoad.ms, firstQueryMs: firstQuery.ms, filter, path });
  } finally {
    queryRunner().close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (task === 'cypher') await cypher(Number(a1 ?? 100_000), Number(a2 ?? 5));
else if (task === 'upsert') await upsert(Number(a1 ?? 10_000));
else if (task === 'sparql') await sparql(Number(a1 ?? 20_000));
else throw new Error(`unknown task ${task}`);

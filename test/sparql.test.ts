/**
 * SPARQL over rdf_quads (rvlite-bridge/sparql), with a real better-sqlite3
 * file holding CACHE_SCHEMA and real oxigraph:
 *
 * - a conformance table over a fixed dataset (test/fixtures/sparql-fixture.ru,
 *   put into rdf_quads by update() + applyQuadDelta, then loaded afresh):
 *   BGP, FILTER, OPTIONAL, UNION, MINUS, (NOT) EXISTS, property paths,
 *   aggregates, subqueries, VALUES, BIND, ORDER/LIMIT/OFFSET/DISTINCT, named
 *   graphs, ASK, CONSTRUCT, DESCRIBE and the error codes;
 * - updates: each delta is exact, and rdf_quads with the delta applied loads
 *   into an engine that holds exactly the updated engine's quads;
 * - blank nodes keep their labels between rdf_quads and the store;
 * - the read gate: update attempts through query() are refused and change
 *   neither the SQLite file nor the store;
 * - limits (rows, UTF-8 bytes, text size), isUpdate, failed updates, LOAD.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { CACHE_SCHEMA } from '../store/cache-schema.ts';
import { applyQuadDelta, SparqlEngine, SparqlError, type QuadDelta, type QuadRow, type SparqlQueryResult, type SparqlTerm } from '../rvlite-bridge/sparql/index.ts';
import { tempDir } from './helpers/temp.ts';

const FIXTURE = readFileSync(new URL('./fixtures/sparql-fixture.ru', import.meta.url), 'utf8');
const FIXTURE_QUADS = 56;
const LIMITS = { maxRows: 10_000, maxBytes: 2 * 1024 * 1024 };
const dir = tempDir('rvf-sparql-');
let dbCount = 0;

const PREFIXES = `PREFIX ex: <http://example.org/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
`;
const SHORT: [string, string][] = [
  ['http://example.org/', 'ex:'],
  ['http://xmlns.com/foaf/0.1/', 'foaf:'],
  ['http://www.w3.org/2001/XMLSchema#', 'xsd:'],
  ['http://www.w3.org/1999/02/22-rdf-syntax-ns#', 'rdf:'],
];

function short(iri: string): string {
  for (const [ns, p] of SHORT) if (iri.startsWith(ns)) return p + iri.slice(ns.length);
  return `<${iri}>`;
}

/** A compact, exact rendering of a term; blank nodes as `_:` because INSERT DATA gives them random labels. */
function render(t: SparqlTerm | null): string {
  if (t === null) return 'UNDEF';
  if (t.type === 'uri') return short(t.value);
  if (t.type === 'bnode') return '_:';
  if (t.type === 'triple') return t.value;
  if (t['xml:lang'] !== undefined) return `"${t.value}"@${t['xml:lang']}`;
  if (t.datatype !== undefined) return `"${t.value}"^^${short(t.datatype)}`;
  return `"${t.value}"`;
}

function rendered(r: SparqlQueryResult): string[][] {
  return r.rows.map((row) => row.map(render));
}

const sortRows = (rows: string[][]): string[][] => [...rows].sort((a, b) => (a.join('\u0001') < b.join('\u0001') ? -1 : 1));

/** A new SQLite file with CACHE_SCHEMA, and optionally the fixture put in through update() + applyQuadDelta. */
function newDb(withFixture: boolean): { db: Database.Database; path: string } {
  const path = join(dir, `cache-${++dbCount}.db`);
  const db = new Database(path);
  db.exec(CACHE_SCHEMA);
  if (withFixture) {
    const engine = SparqlEngine.load(db);
    const delta = engine.update(FIXTURE);
    engine.free();
    assert.equal(delta.inserted.length, FIXTURE_QUADS);
    assert.equal(delta.deleted.length, 0);
    applyQuadDelta(db, delta);
  }
  return { db, path };
}

function tableRows(db: Database.Database): string[] {
  return (db.prepare('SELECT s, p, o, g FROM rdf_quads').all() as QuadRow[]).map((r) => `${r.s} ${r.p} ${r.o} ${r.g}`).sort();
}

/** Every quad of an engine with exact terms (blank node labels included), sorted. */
function allQuads(engine: SparqlEngine): string[] {
  const r = engine.query('SELECT ?s ?p ?o ?g { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }', { maxRows: 1e9, maxBytes: 1e12 });
  return r.rows.map((row) => JSON.stringify(row)).sort();
}

const rowKey = (r: QuadRow): string => `${r.s} ${r.p} ${r.o} ${r.g}`;
const sortedKeys = (rows: QuadRow[]): string[] => rows.map(rowKey).sort();

function expectCode(fn: () => unknown, code: SparqlError['code'], label: string): SparqlError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SparqlError, `${label}: expected SparqlError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, `${label}: ${caught.message}`);
  return caught;
}

// ---------------------------------------------------------------------------
// Conformance table

type Expect =
  | { columns: string[]; rows: string[][]; ordered?: true }
  | { boolean: boolean }
  | { error: SparqlError['code'] };

interface Case {
  name: string;
  query: string;
  expect: Expect;
}

const T = { columns: ['subject', 'predicate', 'object'] };
const int = (n: number): string => `"${n}"^^xsd:integer`;
const dec = (s: string): string => `"${s}"^^xsd:decimal`;

const CASES: Case[] = [
  // Basic graph patterns
  { name: 'BGP: names of people', query: 'SELECT ?n { ?p a foaf:Person ; foaf:name ?n }', expect: { columns: ['n'], rows: [['"Alice"'], ['"Bob"'], ['"Carol"'], ['"Dave"'], ['"Erin"'], ['"Frank"']] } },
  {
    name: 'BGP: join of two patterns',
    query: 'SELECT ?p ?o { ?p ex:worksFor ?o ; foaf:age ?a }',
    expect: { columns: ['p', 'o'], rows: [['ex:alice', 'ex:acme'], ['ex:bob', 'ex:acme'], ['ex:carol', 'ex:globex'], ['ex:dave', 'ex:globex'], ['ex:erin', 'ex:acme']] },
  },
  {
    name: 'BGP: every triple of one subject, typed literals',
    query: 'SELECT ?p ?o { ex:bob ?p ?o }',
    expect: {
      columns: ['p', 'o'],
      rows: [
        ['rdf:type', 'foaf:Person'],
        ['foaf:name', '"Bob"'],
        ['foaf:age', int(27)],
        ['ex:worksFor', 'ex:acme'],
        ['ex:salary', dec('4100.25')],
        ['foaf:knows', 'ex:carol'],
        ['foaf:nick', '"bobby"'],
        ['ex:active', '"false"^^xsd:boolean'],
      ],
    },
  },
  { name: 'BGP: the default graph holds 51 triples', query: 'SELECT (COUNT(*) AS ?c) { ?s ?p ?o }', expect: { columns: ['c'], rows: [[int(51)]] } },
  // FILTER
  { name: 'FILTER numeric >', query: 'SELECT ?n { ?p foaf:name ?n ; foaf:age ?a FILTER(?a > 30) }', expect: { columns: ['n'], rows: [['"Alice"'], ['"Carol"'], ['"Erin"']] } },
  { name: 'FILTER numeric range with &&', query: 'SELECT ?n { ?p foaf:name ?n ; foaf:age ?a FILTER(?a >= 19 && ?a < 30) }', expect: { columns: ['n'], rows: [['"Bob"'], ['"Dave"']] } },
  { name: 'FILTER decimal against integer', query: 'SELECT ?p { ?p ex:salary ?s FILTER(?s > 5000) }', expect: { columns: ['p'], rows: [['ex:alice'], ['ex:carol'], ['ex:erin']] } },
  {
    name: 'FILTER string STRSTARTS over plain and language strings',
    query: 'SELECT ?n { ?x foaf:name ?n FILTER(STRSTARTS(?n, "A")) }',
    expect: { columns: ['n'], rows: [['"Alice"'], ['"ACME Corp"@en'], ['"ACME SA"@fr']] },
  },
  { name: 'FILTER regex, case-insensitive', query: 'SELECT ?n { ?p a foaf:Person ; foaf:name ?n FILTER regex(?n, "^[cd]", "i") }', expect: { columns: ['n'], rows: [['"Carol"'], ['"Dave"']] } },
  { name: 'FILTER lang()', query: 'SELECT ?n { ex:acme foaf:name ?n FILTER(lang(?n) = "fr") }', expect: { columns: ['n'], rows: [['"ACME SA"@fr']] } },
  { name: 'FILTER langMatches', query: 'SELECT ?b { ex:alice ex:bio ?b FILTER langMatches(lang(?b), "en") }', expect: { columns: ['b'], rows: [['"Engineer"@en']] } },
  {
    name: 'FILTER !bound after OPTIONAL',
    query: 'SELECT ?n { ?p a foaf:Person ; foaf:name ?n OPTIONAL { ?p foaf:age ?a } FILTER(!bound(?a)) }',
    expect: { columns: ['n'], rows: [['"Frank"']] },
  },
  { name: 'FILTER datatype() and YEAR()', query: 'SELECT ?p { ?p ex:birthDate ?d FILTER(datatype(?d) = xsd:date && YEAR(?d) = 1990) }', expect: { columns: ['p'], rows: [['ex:alice']] } },
  { name: 'FILTER IN', query: 'SELECT ?n { ?p foaf:name ?n FILTER(?n IN ("Bob", "Erin", "Zed")) }', expect: { columns: ['n'], rows: [['"Bob"'], ['"Erin"']] } },
  { name: 'FILTER isBlank on the blank node', query: 'SELECT ?city { ex:alice ex:address ?a . ?a ex:city ?city FILTER isBlank(?a) }', expect: { columns: ['city'], rows: [['"Paris"']] } },
  { name: 'boolean literal in a pattern', query: 'SELECT ?p { ?p ex:active true }', expect: { columns: ['p'], rows: [['ex:alice']] } },
  // OPTIONAL, UNION, MINUS, EXISTS
  {
    name: 'OPTIONAL leaves unbound variables',
    query: 'SELECT ?n ?nick { ?p a foaf:Person ; foaf:name ?n OPTIONAL { ?p foaf:nick ?nick } }',
    expect: {
      columns: ['n', 'nick'],
      rows: [['"Alice"', 'UNDEF'], ['"Bob"', '"bobby"'], ['"Carol"', 'UNDEF'], ['"Dave"', 'UNDEF'], ['"Erin"', 'UNDEF'], ['"Frank"', '"frankie"@en']],
    },
  },
  { name: 'UNION', query: 'SELECT ?x { { ?x ex:manages ?y } UNION { ?y ex:partOf ?x } }', expect: { columns: ['x'], rows: [['ex:carol'], ['ex:deptX'], ['ex:divY'], ['ex:acme']] } },
  { name: 'MINUS', query: 'SELECT ?p { ?p a foaf:Person MINUS { ?p ex:worksFor ex:acme } }', expect: { columns: ['p'], rows: [['ex:carol'], ['ex:dave'], ['ex:frank']] } },
  { name: 'FILTER NOT EXISTS', query: 'SELECT ?p { ?p a foaf:Person FILTER NOT EXISTS { ?p foaf:knows ?x } }', expect: { columns: ['p'], rows: [['ex:erin']] } },
  {
    name: 'FILTER EXISTS',
    query: 'SELECT ?p { ?p a foaf:Person FILTER EXISTS { ?x foaf:knows ?p } }',
    expect: { columns: ['p'], rows: [['ex:alice'], ['ex:bob'], ['ex:carol'], ['ex:dave'], ['ex:erin']] },
  },
  // Property paths
  { name: 'path sequence /', query: 'SELECT ?n { ex:alice foaf:knows/foaf:knows/foaf:name ?n }', expect: { columns: ['n'], rows: [['"Carol"']] } },
  { name: 'path one or more +', query: 'SELECT ?x { ex:alice foaf:knows+ ?x }', expect: { columns: ['x'], rows: [['ex:bob'], ['ex:carol'], ['ex:dave'], ['ex:erin']] } },
  { name: 'path zero or more *', query: 'SELECT ?x { ex:teamA ex:partOf* ?x }', expect: { columns: ['x'], rows: [['ex:teamA'], ['ex:deptX'], ['ex:divY'], ['ex:acme']] } },
  { name: 'path zero or one ?', query: 'SELECT ?x { ex:alice foaf:knows? ?x }', expect: { columns: ['x'], rows: [['ex:alice'], ['ex:bob']] } },
  { name: 'path inverse ^', query: 'SELECT ?x { ex:dave ^foaf:knows ?x }', expect: { columns: ['x'], rows: [['ex:carol']] } },
  { name: 'path alternative |', query: 'SELECT ?x { ex:bob (foaf:nick|foaf:age) ?x }', expect: { columns: ['x'], rows: [['"bobby"'], [int(27)]] } },
  { name: 'path inverse then sequence', query: 'SELECT ?o { ?o ^ex:worksFor/foaf:name "Carol" }', expect: { columns: ['o'], rows: [['ex:globex']] } },
  { name: 'path + between two constants (ASK)', query: 'ASK { ex:teamA ex:partOf+ ex:acme }', expect: { boolean: true } },
  // Aggregates
  { name: 'GROUP BY with COUNT', query: 'SELECT ?org (COUNT(?p) AS ?n) { ?p ex:worksFor ?org } GROUP BY ?org', expect: { columns: ['org', 'n'], rows: [['ex:acme', int(3)], ['ex:globex', int(2)]] } },
  { name: 'HAVING', query: 'SELECT ?org (COUNT(?p) AS ?n) { ?p ex:worksFor ?org } GROUP BY ?org HAVING(COUNT(?p) > 2)', expect: { columns: ['org', 'n'], rows: [['ex:acme', int(3)]] } },
  {
    name: 'SUM and MAX of decimals',
    query: 'SELECT ?org (SUM(?s) AS ?total) (MAX(?s) AS ?top) { ?p ex:worksFor ?org ; ex:salary ?s } GROUP BY ?org',
    expect: { columns: ['org', 'total', 'top'], rows: [['ex:acme', dec('17401.25'), dec('8100.5')], ['ex:globex', dec('9801.25'), dec('7300.75')]] },
  },
  { name: 'COUNT DISTINCT', query: 'SELECT (COUNT(DISTINCT ?org) AS ?c) { ?p ex:worksFor ?org }', expect: { columns: ['c'], rows: [[int(2)]] } },
  { name: 'AVG and MIN of integers', query: 'SELECT (AVG(?a) AS ?avg) (MIN(?a) AS ?min) { ?p foaf:age ?a }', expect: { columns: ['avg', 'min'], rows: [[dec('35.4'), int(19)]] } },
  // Subquery, VALUES, BIND
  {
    name: 'subquery',
    query: 'SELECT ?n ?a { ?p foaf:name ?n ; foaf:age ?a { SELECT (MAX(?x) AS ?a) { ?q foaf:age ?x } } }',
    expect: { columns: ['n', 'a'], rows: [['"Erin"', int(52)]] },
  },
  { name: 'inline VALUES', query: 'SELECT ?p ?n { VALUES ?p { ex:bob ex:dave ex:nobody } ?p foaf:name ?n }', expect: { columns: ['p', 'n'], rows: [['ex:bob', '"Bob"'], ['ex:dave', '"Dave"']] } },
  {
    name: 'trailing VALUES with UNDEF',
    query: 'SELECT ?p ?a { ?p foaf:age ?a } VALUES (?p ?a) { (ex:alice UNDEF) (UNDEF 19) }',
    expect: { columns: ['p', 'a'], rows: [['ex:alice', int(34)], ['ex:dave', int(19)]] },
  },
  { name: 'BIND arithmetic', query: 'SELECT ?n ?next { ?p foaf:name ?n ; foaf:age ?a BIND(?a + 1 AS ?next) FILTER(?a < 20) }', expect: { columns: ['n', 'next'], rows: [['"Dave"', int(20)]] } },
  { name: 'BIND UCASE keeps the language tag', query: 'SELECT ?u { ex:globex foaf:name ?n BIND(UCASE(?n) AS ?u) }', expect: { columns: ['u'], rows: [['"GLOBEX"@en']] } },
  { name: 'BIND CONCAT of STR', query: 'SELECT ?x { ex:globex foaf:name ?n BIND(CONCAT(STR(?n), "!") AS ?x) }', expect: { columns: ['x'], rows: [['"Globex!"']] } },
  // Solution modifiers
  {
    name: 'ORDER BY DESC + LIMIT',
    query: 'SELECT ?n ?a { ?p foaf:name ?n ; foaf:age ?a } ORDER BY DESC(?a) LIMIT 2',
    expect: { columns: ['n', 'a'], rows: [['"Erin"', int(52)], ['"Carol"', int(45)]], ordered: true },
  },
  {
    name: 'ORDER BY + LIMIT + OFFSET',
    query: 'SELECT ?n ?a { ?p foaf:name ?n ; foaf:age ?a } ORDER BY ?a LIMIT 2 OFFSET 1',
    expect: { columns: ['n', 'a'], rows: [['"Bob"', int(27)], ['"Alice"', int(34)]], ordered: true },
  },
  {
    name: 'ORDER BY a string',
    query: 'SELECT ?n { ?p a foaf:Person ; foaf:name ?n } ORDER BY ?n',
    expect: { columns: ['n'], rows: [['"Alice"'], ['"Bob"'], ['"Carol"'], ['"Dave"'], ['"Erin"'], ['"Frank"']], ordered: true },
  },
  { name: 'DISTINCT', query: 'SELECT DISTINCT ?org { ?p ex:worksFor ?org }', expect: { columns: ['org'], rows: [['ex:acme'], ['ex:globex']] } },
  // Named graphs
  {
    name: 'GRAPH with a constant name',
    query: 'SELECT ?p ?r { GRAPH ex:hr { ?p ex:rating ?r } }',
    expect: { columns: ['p', 'r'], rows: [['ex:alice', int(5)], ['ex:bob', int(3)], ['ex:carol', int(4)], ['ex:dave', int(2)]] },
  },
  { name: 'GRAPH ?g with COUNT', query: 'SELECT ?g (COUNT(*) AS ?c) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g', expect: { columns: ['g', 'c'], rows: [['ex:hr', int(5)]] } },
  { name: 'the default graph is not the union of graphs', query: 'ASK { ex:alice ex:rating ?r }', expect: { boolean: false } },
  {
    name: 'join of a named graph with the default graph',
    query: 'SELECT ?n { GRAPH ex:hr { ?p ex:rating ?r FILTER(?r >= 4) } ?p foaf:name ?n }',
    expect: { columns: ['n'], rows: [['"Alice"'], ['"Carol"']] },
  },
  { name: 'FROM makes a named graph the default graph', query: 'SELECT ?r FROM ex:hr { ex:alice ex:rating ?r }', expect: { columns: ['r'], rows: [[int(5)]] } },
  // ASK
  { name: 'ASK true', query: 'ASK { ex:alice foaf:knows ex:bob }', expect: { boolean: true } },
  { name: 'ASK false', query: 'ASK { ex:bob foaf:knows ex:alice }', expect: { boolean: false } },
  // CONSTRUCT, DESCRIBE
  { name: 'CONSTRUCT with a template', query: 'CONSTRUCT { ?b ex:knownBy ?a } WHERE { ?a foaf:knows ?b FILTER(?a = ex:alice) }', expect: { ...T, rows: [['ex:bob', 'ex:knownBy', 'ex:alice']] } },
  {
    name: 'CONSTRUCT WHERE through the blank node',
    query: 'CONSTRUCT WHERE { ex:alice ex:address ?a . ?a ex:city ?c }',
    expect: { ...T, rows: [['ex:alice', 'ex:address', '_:'], ['_:', 'ex:city', '"Paris"']] },
  },
  {
    name: 'CONSTRUCT from a named graph',
    query: 'CONSTRUCT { ?p ex:rating ?r } WHERE { GRAPH ex:hr { ?p ex:rating ?r FILTER(?r < 3) } }',
    expect: { ...T, rows: [['ex:dave', 'ex:rating', int(2)]] },
  },
  {
    name: 'DESCRIBE an IRI',
    query: 'DESCRIBE ex:frank',
    expect: { ...T, rows: [['ex:frank', 'rdf:type', 'foaf:Person'], ['ex:frank', 'foaf:name', '"Frank"'], ['ex:frank', 'foaf:knows', 'ex:alice'], ['ex:frank', 'foaf:nick', '"frankie"@en']] },
  },
  {
    name: 'DESCRIBE a variable',
    query: 'DESCRIBE ?o WHERE { ?o foaf:name "Globex"@en }',
    expect: { ...T, rows: [['ex:globex', 'rdf:type', 'foaf:Organization'], ['ex:globex', 'foaf:name', '"Globex"@en']] },
  },
  // Errors
  { name: 'syntax error', query: 'SELECT ?s WHERE { ?s ?p }', expect: { error: 'EINVAL' } },
  { name: 'undefined prefix', query: 'SELECT ?s { ?s nope:p ?o }', expect: { error: 'EINVAL' } },
  { name: 'unknown function (evaluation error)', query: 'SELECT ?x { BIND(<http://example.org/f>(1) AS ?x) }', expect: { error: 'EINVAL' } },
  { name: 'INSERT DATA through query()', query: 'INSERT DATA { ex:x ex:y ex:z }', expect: { error: 'EREADONLY' } },
  { name: 'DELETE WHERE through query()', query: 'DELETE WHERE { ?s ?p ?o }', expect: { error: 'EREADONLY' } },
  { name: 'a query then an update', query: 'SELECT * { ?s ?p ?o } ; DROP ALL', expect: { error: 'EREADONLY' } },
  { name: 'SERVICE', query: 'SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }', expect: { error: 'EUNSUPPORTED' } },
  { name: 'SERVICE SILENT (oxigraph would answer it empty)', query: 'SELECT * { ?s foaf:name ?n SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }', expect: { error: 'EUNSUPPORTED' } },
];

let engine: SparqlEngine;
let fixtureDb: Database.Database;

before(() => {
  fixtureDb = newDb(true).db;
  engine = SparqlEngine.load(fixtureDb);
});
after(() => {
  engine.free();
  fixtureDb.close();
});

test('the fixture loads from rdf_quads: 56 quads, version from rdf_version', () => {
  assert.equal((fixtureDb.prepare('SELECT count(*) AS c FROM rdf_quads').get() as { c: number }).c, FIXTURE_QUADS);
  assert.equal(engine.quadCount, FIXTURE_QUADS);
  // One bump of rdf_version per inserted row.
  assert.equal(engine.version, (fixtureDb.prepare('SELECT v FROM rdf_version').get() as { v: number }).v);
  assert.equal(engine.version, FIXTURE_QUADS);
});

test(`conformance table has ${CASES.length} entries`, () => assert.ok(CASES.length >= 45));

for (const c of CASES) {
  test(`conformance: ${c.name}`, () => {
    const text = PREFIXES + c.query;
    if ('error' in c.expect) {
      expectCode(() => engine.query(text, LIMITS), c.expect.error, c.name);
      return;
    }
    const r = engine.query(text, LIMITS);
    assert.equal(r.truncated, false);
    if ('boolean' in c.expect) {
      assert.deepEqual(r.json, { head: {}, boolean: c.expect.boolean });
      assert.deepEqual([r.columns, r.rows], [[], []]);
      return;
    }
    assert.deepEqual(r.columns, c.expect.columns);
    assert.ok('results' in r.json);
    assert.deepEqual(r.json.head.vars, c.expect.columns);
    // json and rows carry the same solutions.
    assert.deepEqual(
      r.json.results.bindings.map((b) => r.columns.map((col) => b[col] ?? null)),
      r.rows,
    );
    const got = rendered(r);
    assert.deepEqual(c.expect.ordered ? got : sortRows(got), c.expect.ordered ? c.expect.rows : sortRows(c.expect.rows));
  });
}

// ---------------------------------------------------------------------------
// Updates

/** Runs an update on an engine loaded from a fresh fixture db, applies the delta, and checks a reload matches. */
function updateAndReload(update: string, seed?: (db: Database.Database) => void, tableIsCanonical = true): { delta: QuadDelta; db: Database.Database; updated: SparqlEngine } {
  const { db } = newDb(true);
  seed?.(db);
  const updated = SparqlEngine.load(db);
  const beforeRows = tableRows(db);
  const delta = updated.update(PREFIXES + update);
  applyQuadDelta(db, delta);
  const reloaded = SparqlEngine.load(db);
  try {
    assert.deepEqual(allQuads(reloaded), allQuads(updated), 'a reload from rdf_quads holds the updated engine quads');
    assert.equal(reloaded.quadCount, updated.quadCount);
    // The table changed by exactly the delta (when its rows are spelled as oxigraph spells them).
    if (tableIsCanonical) {
      const expected = new Set(beforeRows);
      for (const r of delta.deleted) expected.delete(rowKey(r));
      for (const r of delta.inserted) expected.add(rowKey(r));
      assert.deepEqual(tableRows(db), [...expected].sort());
    }
  } finally {
    reloaded.free();
  }
  return { delta, db, updated };
}

const EX = 'http://example.org/';
const FOAF = 'http://xmlns.com/foaf/0.1/';
const XSD_INT = '^^<http://www.w3.org/2001/XMLSchema#integer>';
const row = (s: string, p: string, o: string, g = ''): QuadRow => ({ s, p, o, g });

test('update: INSERT DATA gives exactly the new quads (a quad already present is not in the delta)', () => {
  const { delta, updated } = updateAndReload('INSERT DATA { ex:gina a foaf:Person ; foaf:name "Gina"@it ; foaf:age 30 . ex:alice foaf:name "Alice" . GRAPH ex:hr { ex:gina ex:rating 1 } }');
  assert.deepEqual(sortedKeys(delta.inserted), sortedKeys([
    row(`<${EX}gina>`, '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>', `<${FOAF}Person>`),
    row(`<${EX}gina>`, `<${FOAF}name>`, '"Gina"@it'),
    row(`<${EX}gina>`, `<${FOAF}age>`, `"30"${XSD_INT}`),
    row(`<${EX}gina>`, `<${EX}rating>`, `"1"${XSD_INT}`, `<${EX}hr>`),
  ]));
  assert.deepEqual(delta.deleted, []);
  assert.equal(updated.quadCount, FIXTURE_QUADS + 4);
  updated.free();
});

test('update: DELETE DATA gives exactly the removed quads (an absent quad is not in the delta)', () => {
  const { delta, updated } = updateAndReload('DELETE DATA { ex:bob foaf:nick "bobby" . ex:bob foaf:nick "nope" . GRAPH ex:hr { ex:bob ex:rating 3 } }');
  assert.deepEqual(delta.inserted, []);
  assert.deepEqual(sortedKeys(delta.deleted), sortedKeys([row(`<${EX}bob>`, `<${FOAF}nick>`, '"bobby"'), row(`<${EX}bob>`, `<${EX}rating>`, `"3"${XSD_INT}`, `<${EX}hr>`)]));
  updated.free();
});

test('update: DELETE/INSERT WHERE replaces every age by age + 1', () => {
  const { delta, updated } = updateAndReload('DELETE { ?p foaf:age ?a } INSERT { ?p foaf:age ?b } WHERE { ?p foaf:age ?a BIND(?a + 1 AS ?b) }');
  const ages: [string, number][] = [['alice', 34], ['bob', 27], ['carol', 45], ['dave', 19], ['erin', 52]];
  assert.deepEqual(sortedKeys(delta.deleted), sortedKeys(ages.map(([p, a]) => row(`<${EX}${p}>`, `<${FOAF}age>`, `"${a}"${XSD_INT}`))));
  assert.deepEqual(sortedKeys(delta.inserted), sortedKeys(ages.map(([p, a]) => row(`<${EX}${p}>`, `<${FOAF}age>`, `"${a + 1}"${XSD_INT}`))));
  updated.free();
});

test('update: CLEAR GRAPH deletes exactly that graph', () => {
  const { delta, db, updated } = updateAndReload('CLEAR GRAPH ex:hr');
  assert.deepEqual(delta.inserted, []);
  assert.equal(delta.deleted.length, 5);
  assert.ok(delta.deleted.every((r) => r.g === `<${EX}hr>`));
  assert.equal((db.prepare('SELECT count(*) AS c FROM rdf_quads WHERE g <> ?').get('') as { c: number }).c, 0);
  updated.free();
});

test('update: DROP DEFAULT and DROP ALL', () => {
  const first = updateAndReload('DROP DEFAULT');
  assert.equal(first.delta.deleted.length, FIXTURE_QUADS - 5);
  assert.ok(first.delta.deleted.every((r) => r.g === ''));
  assert.equal(first.updated.quadCount, 5);
  first.updated.free();
  const all = updateAndReload('DROP ALL');
  assert.equal(all.delta.deleted.length, FIXTURE_QUADS);
  assert.equal((all.db.prepare('SELECT count(*) AS c FROM rdf_quads').get() as { c: number }).c, 0);
  all.updated.free();
});

test('update: several operations in one request give their net delta', () => {
  // Inserted then deleted in the same request: not in the delta at all.
  const { delta, updated } = updateAndReload('INSERT DATA { ex:tmp ex:p 1 } ; DELETE DATA { ex:tmp ex:p 1 } ; MOVE ex:hr TO ex:hr2');
  assert.equal(delta.deleted.length, 5);
  assert.equal(delta.inserted.length, 5);
  assert.deepEqual(sortedKeys(delta.inserted), sortedKeys(delta.deleted.map((r) => ({ ...r, g: `<${EX}hr2>` }))));
  updated.free();
});

test('blank nodes: a row stored as _:b0 reads back as _:b0 and stays that quad through updates', () => {
  const seed = (db: Database.Database): void => {
    db.prepare('INSERT INTO rdf_quads (s, p, o, g) VALUES (?, ?, ?, ?)').run('_:b0', `<${EX}city>`, '"Oslo"', '');
    db.prepare('INSERT INTO rdf_quads (s, p, o, g) VALUES (?, ?, ?, ?)').run(`<${EX}gina>`, `<${EX}address>`, '_:b0', `<${EX}hr>`);
  };
  const { delta, db, updated } = updateAndReload('DELETE { ?a ex:city ?c } INSERT { ?a ex:city "Bergen" } WHERE { ?a ex:city "Oslo" ; ex:city ?c }', seed);
  assert.deepEqual(delta, { inserted: [row('_:b0', `<${EX}city>`, '"Bergen"')], deleted: [row('_:b0', `<${EX}city>`, '"Oslo"')] });
  const r = updated.query(`SELECT ?a { GRAPH <${EX}hr> { <${EX}gina> <${EX}address> ?a } }`, LIMITS);
  assert.deepEqual(r.rows, [[{ type: 'bnode', value: 'b0' }]]);
  updated.free();
  // The fixture's blank node (labelled by INSERT DATA) is stored once and keeps its label after a reload.
  const stored = (db.prepare(`SELECT o FROM rdf_quads WHERE p = '<${EX}address>' AND g = ''`).get() as { o: string }).o;
  assert.match(stored, /^_:[0-9a-f]+$/);
  const reloaded = SparqlEngine.load(db);
  const noop = reloaded.update(PREFIXES + 'INSERT DATA { ex:alice foaf:name "Alice" }');
  assert.deepEqual(noop, { inserted: [], deleted: [] }, 'a no-op update after a reload deletes and reinserts nothing');
  const zip = reloaded.update(PREFIXES + 'DELETE WHERE { ex:alice ex:address ?a . ?a ex:zip ?z }');
  assert.deepEqual(sortedKeys(zip.deleted), sortedKeys([row(`<${EX}alice>`, `<${EX}address>`, stored), row(stored, `<${EX}zip>`, '"75001"')]));
  reloaded.free();
});

test('rows spelled differently from oxigraph (escapes, xsd:string) are found and deleted', () => {
  const seed = (db: Database.Database): void => {
    const ins = db.prepare('INSERT INTO rdf_quads (s, p, o, g) VALUES (?, ?, ?, ?)');
    ins.run(`<${EX}gina>`, `<${EX}city>`, '"caf\\u00E9"', '');
    ins.run(`<${EX}gina>`, `<${EX}code>`, '"x1"^^<http://www.w3.org/2001/XMLSchema#string>', '');
  };
  const { delta, db, updated } = updateAndReload('DELETE DATA { ex:gina ex:city "café" ; ex:code "x1" }', seed, false);
  assert.equal(delta.deleted.length, 2);
  assert.equal((db.prepare(`SELECT count(*) AS c FROM rdf_quads WHERE s = '<${EX}gina>'`).get() as { c: number }).c, 0);
  updated.free();
});

test('a failed update changes nothing, and the next delta does not see it', () => {
  const { db } = newDb(true);
  const e = SparqlEngine.load(db);
  const before = allQuads(e);
  expectCode(() => e.update(PREFIXES + 'INSERT DATA { ex:ghost ex:p 1 } ; CREATE GRAPH ex:hr'), 'EINVAL', 'CREATE of an existing graph');
  expectCode(() => e.update(PREFIXES + 'DELETE WHERE { ?s ?p ?o } ; DROP GRAPH ex:none'), 'EINVAL', 'DROP of a missing graph');
  assert.deepEqual(allQuads(e), before);
  const d = e.update(PREFIXES + 'INSERT DATA { ex:real ex:p 1 }');
  assert.deepEqual(d, { inserted: [row(`<${EX}real>`, `<${EX}p>`, `"1"${XSD_INT}`)], deleted: [] });
  e.free();
  db.close();
});

test('update(): LOAD and SERVICE are refused (LOAD SILENT and SERVICE SILENT too); syntax errors and queries are EINVAL', () => {
  const { db } = newDb(true);
  const e = SparqlEngine.load(db);
  const before = allQuads(e);
  for (const u of ['LOAD <http://example.org/data.ttl>', 'LOAD SILENT <file:///etc/passwd>', 'load <file:///etc/passwd> INTO GRAPH <http://example.org/g>', 'INSERT DATA { <urn:a> <urn:b> <urn:c> } ; LOAD SILENT <http://example.org/x>']) {
    const err = expectCode(() => e.update(u), 'EUNSUPPORTED', u);
    assert.match(err.message, /LOAD/);
  }
  expectCode(() => e.update('INSERT { ?s ?p ?o } WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }'), 'EUNSUPPORTED', 'SERVICE in an update');
  const q = expectCode(() => e.update('SELECT * { ?s ?p ?o }'), 'EINVAL', 'a query given to update()');
  assert.match(q.message, /run it as a query/);
  const syn = expectCode(() => e.update('INSERT DATA { <urn:a> }'), 'EINVAL', 'syntax');
  assert.match(syn.message, /^SPARQL update syntax error \(error at 1:\d+: .*\); fix the update\.$/);
  assert.deepEqual(allQuads(e), before);
  e.free();
  db.close();
});

// ---------------------------------------------------------------------------
// The read gate

test('gate: update attempts through query() are refused and change neither the SQLite file nor the store', () => {
  const { db, path } = newDb(true);
  db.close();
  const hash = (): string => createHash('sha256').update(readFileSync(path)).digest('hex');
  const ro = new Database(path, { readonly: true });
  const e = SparqlEngine.load(ro);
  const fileBefore = hash();
  const quadsBefore = allQuads(e);
  const attempts = [
    'INSERT DATA { <urn:x> <urn:y> <urn:z> }',
    'insert data { <urn:x> <urn:y> "lower case" }',
    'DELETE DATA { <http://example.org/alice> <http://xmlns.com/foaf/0.1/name> "Alice" }',
    'DELETE WHERE { ?s ?p ?o }',
    'DELETE { ?s ?p ?o } INSERT { ?s ?p "x" } WHERE { ?s ?p ?o }',
    'WITH <http://example.org/hr> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }',
    'LOAD <http://example.org/data.ttl>',
    'LOAD SILENT <file:///etc/passwd> INTO GRAPH <http://example.org/g>',
    'CLEAR ALL',
    'CLEAR SILENT GRAPH <http://example.org/hr>',
    'DROP DEFAULT',
    'DROP ALL',
    'CREATE GRAPH <http://example.org/new>',
    'ADD DEFAULT TO <http://example.org/hr>',
    'COPY <http://example.org/hr> TO DEFAULT',
    'MOVE SILENT <http://example.org/hr> TO <http://example.org/hr2>',
    'SELECT * { ?s ?p ?o } ; INSERT DATA { <urn:x> <urn:y> <urn:z> }',
    'ASK { ?s ?p ?o } ; DROP ALL',
    '# only a read\nPREFIX ex: <http://example.org/>\n# SELECT * { ?s ?p ?o }\nDELETE WHERE { ex:alice ?p ?o }',
    'BASE <http://example.org/> PREFIX f: <http://xmlns.com/foaf/0.1/> INSERT DATA { <alice> f:name "SELECT * WHERE { ?s ?p ?o }" }',
    'INSERT { ?s ?p ?o } WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }',
    'INSERT DATA { <urn:x> <urn:y> <urn:z> } ; CLEAR ALL ; DROP ALL',
  ];
  assert.ok(attempts.length >= 12);
  for (const a of attempts) {
    const err = expectCode(() => e.query(a, LIMITS), 'EREADONLY', a);
    assert.match(err.message, /SPARQL update, which a query cannot run; send the update on its own where writes are allowed\.$/);
    assert.equal(e.isUpdate(a), !a.includes(' ; ') || a.startsWith('INSERT DATA'), `isUpdate(${a})`);
  }
  assert.deepEqual(allQuads(e), quadsBefore);
  assert.equal(e.quadCount, FIXTURE_QUADS);
  e.free();
  ro.close();
  assert.equal(hash(), fileBefore);
});

test('isUpdate is decided by the parser: queries, garbage, comments and empty updates are not updates', () => {
  for (const t of ['SELECT * { ?s ?p ?o }', 'ASK {}', 'CONSTRUCT WHERE { ?s ?p ?o }', 'DESCRIBE <urn:a>', 'INSERT', 'INSERT DATA { <urn:a> }', '', '# INSERT DATA { <urn:a> <urn:b> <urn:c> }', 'PREFIX ex: <http://example.org/>', 'SELECT "INSERT DATA { <urn:a> <urn:b> <urn:c> }" {}']) {
    assert.equal(engine.isUpdate(t), false, t);
  }
  for (const t of ['INSERT DATA { <urn:a> <urn:b> <urn:c> }', 'PREFIX ex: <http://example.org/> CLEAR GRAPH ex:none', 'DROP GRAPH <urn:none>', 'CREATE GRAPH <urn:g> ; CREATE GRAPH <urn:g>', 'LOAD <http://example.org/x>']) {
    assert.equal(engine.isUpdate(t), true, t);
  }
  assert.equal(engine.quadCount, FIXTURE_QUADS, 'isUpdate ran nothing on the store');
});

// ---------------------------------------------------------------------------
// Limits and loading

test('limits: maxRows and maxBytes truncate at the row that would pass them, counting UTF-8 bytes', () => {
  const q = PREFIXES + 'SELECT ?p ?o { ?p ?x ?o } ORDER BY ?p ?o';
  const full = engine.query(q, LIMITS);
  assert.equal(full.rows.length, 51);
  assert.equal(full.truncated, false);
  const five = engine.query(q, { maxRows: 5, maxBytes: LIMITS.maxBytes });
  assert.deepEqual([five.rows, five.truncated], [full.rows.slice(0, 5), true]);
  assert.deepEqual(engine.query(q, { maxRows: 51, maxBytes: LIMITS.maxBytes }).truncated, false);
  const none = engine.query(q, { maxRows: 0, maxBytes: LIMITS.maxBytes });
  assert.deepEqual([none.rows, none.truncated], [[], true]);
  // Byte limit: exactly the size of the JSON with k rows keeps k rows; one byte less keeps k - 1.
  const bio = PREFIXES + 'SELECT ?b { ex:alice ex:bio ?b } ORDER BY ?b';
  const both = engine.query(bio, LIMITS);
  assert.equal(both.rows.length, 2);
  const size = Buffer.byteLength(JSON.stringify(both.json));
  assert.notEqual(size, JSON.stringify(both.json).length, 'the JSON holds non-ASCII (Ingénieure)');
  assert.equal(engine.query(bio, { maxRows: 10, maxBytes: size }).truncated, false);
  const cut = engine.query(bio, { maxRows: 10, maxBytes: size - 1 });
  assert.deepEqual([cut.rows, cut.truncated], [both.rows.slice(0, 1), true]);
  assert.ok(Buffer.byteLength(JSON.stringify(cut.json)) <= size - 1);
  const construct = engine.query(PREFIXES + 'CONSTRUCT WHERE { ?s foaf:name ?n }', { maxRows: 3, maxBytes: LIMITS.maxBytes });
  assert.deepEqual([construct.rows.length, construct.truncated], [3, true]);
  expectCode(() => engine.query('SELECT * {}', { maxRows: -1, maxBytes: 10 }), 'EINVAL', 'negative maxRows');
  expectCode(() => engine.query(`SELECT * { ?s ?p "${'x'.repeat(300 * 1024)}" }`, LIMITS), 'ELIMIT', 'text over the limit');
});

test('errors are one sentence that says what to do', () => {
  const syn = expectCode(() => engine.query('SELECT ?s WHERE { ?s ?p }', LIMITS), 'EINVAL', 'syntax');
  assert.match(syn.message, /^SPARQL syntax error \(error at 1:\d+: [^\n]*\); fix the query\.$/);
  const svc = expectCode(() => engine.query('SELECT * { SERVICE <http://x.org/> { ?s ?p ?o } }', LIMITS), 'EUNSUPPORTED', 'service');
  assert.match(svc.message, /no network requests; query only the local store\.$/);
  expectCode(() => engine.query('  ', LIMITS), 'EINVAL', 'blank');
  // text that starts like an update but does not parse went to the query parser, which said "expected CONSTRUCT"
  for (const text of ['INSERT DATA { <urn:a> <urn:b> }', 'PREFIX ex: <urn:x:>\nDELETE WHERE { ex:a ?p }', 'INSERT DATA { <urn:a> <urn:b> 1 } ; CLEAR GRPH <urn:g>']) {
    const upd = expectCode(() => engine.query(text, LIMITS), 'EINVAL', text);
    assert.match(upd.message, /^SPARQL update syntax error \(error at \d+:\d+: [^\n]*\); fix the update\.$/, text);
    assert.doesNotMatch(upd.message, /CONSTRUCT/, text);
  }
  const typo = expectCode(() => engine.query('INSRT DATA { <urn:a> <urn:b> 1 }', LIMITS), 'EINVAL', 'typo');
  assert.match(typo.message, /^SPARQL syntax error: the text starts with "INSRT", where a query starts with SELECT.*update with INSERT.*; fix the first word\.$/);
});

test('loading: an empty table, a malformed row, and a freed engine', () => {
  const { db } = newDb(false);
  const empty = SparqlEngine.load(db);
  assert.deepEqual([empty.quadCount, empty.version], [0, 0]);
  assert.deepEqual(empty.query('SELECT * { ?s ?p ?o }', LIMITS).rows, []);
  empty.free();
  expectCode(() => empty.query('ASK {}', LIMITS), 'EINVAL', 'freed');
  db.prepare('INSERT INTO rdf_quads (s, p, o, g) VALUES (?, ?, ?, ?)').run('<not an iri>', '<urn:p>', '"x"', '');
  const bad = expectCode(() => SparqlEngine.load(db), 'EINVAL', 'malformed row');
  assert.match(bad.message, /repair or delete that row/);
  db.close();
});

test('brackets nested past 200 levels are refused before oxigraph parses them, and the engine goes on answering', () => {
  const nested = (n: number): string => `SELECT * WHERE { ?s ?p ?o FILTER(${'('.repeat(n)}true${')'.repeat(n)}) }`;
  const nestedUpdate = (n: number): string => `INSERT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(${'('.repeat(n)}false${')'.repeat(n)}) }`;
  // 100,000 levels overflowed oxigraph's WebAssembly stack into its heap, and every later query in the process failed
  for (const n of [1_000, 100_000]) {
    for (const attempt of [() => engine.query(nested(n), LIMITS), () => engine.isUpdate(nested(n)), () => engine.update(nestedUpdate(n))]) {
      assert.throws(attempt, (err: unknown) => err instanceof SparqlError && err.code === 'ELIMIT' && /nests brackets more than 200 levels deep; flatten it/.test(err.message));
    }
  }
  const all = engine.query('SELECT * WHERE { ?s ?p ?o }', LIMITS).rows.length;
  assert.ok(all > 0, 'the engine still answers after the refusals');
  assert.equal(engine.query(nested(150), LIMITS).rows.length, all, 'a nesting of 150 still runs');
});

test('a text chaining more than 500 patterns, filters, OPTIONALs or path steps is refused before oxigraph parses it; data does not count', () => {
  const optionals = (n: number): string => `SELECT * WHERE { ?s ?p ?o ${Array.from({ length: n }, (_, i) => `OPTIONAL { ?s ?p ?o${i} }`).join(' ')} }`;
  const steps = `SELECT * WHERE { ?s ${Array.from({ length: 1000 }, () => 'foaf:knows').join('/')} ?o }`;
  for (const text of [optionals(2000), `${PREFIXES}${steps}`, `SELECT * WHERE { ?s ?p ?o FILTER(${Array.from({ length: 600 }, () => 'true').join(' && ')}) }`]) {
    assert.throws(
      () => engine.query(text, LIMITS),
      (err: unknown) => err instanceof SparqlError && err.code === 'ELIMIT' && /^the SPARQL text chains \d+ patterns, filters, OPTIONALs, path steps and operators, over the 500 this engine takes; split it/.test(err.message),
    );
  }
  // a few OPTIONALs run (over the fixture's data each of these multiplies the rows: 15 took seconds, 20 exhausted oxigraph)
  assert.ok(engine.query(optionals(5), LIMITS).rows.length > 0, '5 OPTIONALs run');
  // data is read without recursion: a long INSERT DATA and a long VALUES list are fine
  const scratch = SparqlEngine.load(newDb(false).db);
  try {
    const delta = scratch.update(`INSERT DATA { ${Array.from({ length: 2000 }, (_, i) => `<http://example.org/s${i}> <http://example.org/p> "v${i}" .`).join(' ')} }`);
    assert.equal(delta.inserted.length, 2000);
    const values = scratch.query(`SELECT ?x WHERE { VALUES ?x { ${Array.from({ length: 5000 }, (_, i) => i).join(' ')} } }`, { maxRows: 10_000, maxBytes: 4 * 1024 * 1024 });
    assert.equal(values.rows.length, 5000);
  } finally {
    scratch.free();
  }
});

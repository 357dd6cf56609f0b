/**
 * migrate(): every source kind, built for real (rvlite JSON in its three
 * shapes, an rvf-wasm export, a store written by the @ruvector/rvf SDK,
 * vector files), checked against the source by brute force, plus dry runs,
 * idempotence, re-migration, tampering and bad input.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RvfDatabase } from '../store/index.ts';
import { migrate, type MigrateReport } from '../store/migrate/run.ts';
import { hashId } from '../store/migrate/ids.ts';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { engineExportOf } from './helpers/engine-export.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors } from './helpers/random.ts';
import { distance, expectRvfError, type Metric } from './helpers/assertions.ts';

after(() => queryRunner().close());

const DIM = 8;
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const arr = (v: Float32Array): number[] => Array.from(v);

/** The id the store must give a source id: decimal ids as themselves, others hashed. */
function storeId(id: string): bigint {
  return /^(0|[1-9]\d{0,18})$/.test(id) && BigInt(id) < 2n ** 63n ? BigInt(id) : hashId(id);
}

/** Top k of the source by float64 brute force, as [store id, distance]. */
function bruteForce(model: Map<string, Float32Array>, q: Float32Array, k: number, metric: Metric): { id: bigint; distance: number }[] {
  return [...model]
    .map(([id, v]) => ({ id: storeId(id), distance: distance(metric, q, v) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

/** Opens dest and checks that queries by every 5th source vector match brute force over the source. */
async function assertMatchesSource(dest: string, model: Map<string, Float32Array>, metric: Metric): Promise<void> {
  const db = await RvfDatabase.openReadonly(dest);
  try {
    assert.equal((await db.status()).totalVectors, model.size);
    const vectors = [...model.values()];
    for (let i = 0; i < vectors.length; i += 5) {
      const q = vectors[i] as Float32Array;
      const got = await db.query(q, 5);
      const want = bruteForce(model, q, 5, metric);
      assert.deepEqual(got.map((r) => BigInt(r.id)), want.map((w) => w.id));
      got.forEach((r, j) => assert.ok(Math.abs(r.distance - (want[j] as { distance: number }).distance) < 1e-5));
    }
  } finally {
    await db.close();
  }
}

function assertVerified(report: MigrateReport): void {
  assert.ok(report.verify, 'verify ran');
  assert.deepEqual(report.verify.mismatches, []);
  assert.ok(report.verify.checked > 0);
}

// ------------------------------------------------------------ source builders

function rvliteState(vectors: Float32Array[], ids: string[]): object {
  return {
    version: 1,
    saved_at: 1_700_000_000,
    vectors: {
      entries: vectors.map((v, i) => ({ id: ids[i], vector: arr(v), metadata: i % 2 === 0 ? { n: i, tag: 'even' } : null })),
      dimensions: DIM,
      distance_metric: 'euclidean',
      next_id: vectors.length,
    },
    graph: {
      nodes: [
        { id: 'alice', labels: ['Person'], properties: { name: { type: 'String', value: 'Alice' }, age: { type: 'Integer', value: 31 }, vector_id: { type: 'String', value: ids[0] } } },
        { id: 'bob', labels: ['Person', 'Admin'], properties: { name: { type: 'String', value: 'Bob' }, tags: { type: 'List', value: [{ type: 'String', value: 'x' }, { type: 'Null' }] } } },
        { id: 'acme', labels: ['Company'], properties: { name: { type: 'String', value: 'Acme' }, info: { type: 'Map', value: { founded: { type: 'Integer', value: 1990 }, public: { type: 'Boolean', value: true } } } } },
      ],
      edges: [
        { id: 'e1', from: 'alice', to: 'bob', edge_type: 'KNOWS', properties: { since: { type: 'Float', value: 2.5 } } },
        { id: 'e2', from: 'alice', to: 'acme', edge_type: 'WORKS_AT', properties: {} },
        { id: 'e3', from: 'bob', to: 'nobody', edge_type: 'KNOWS', properties: {} },
      ],
      next_node_id: 3,
      next_edge_id: 3,
    },
    triples: {
      triples: [
        { id: 1, subject: { type: 'Iri', value: 'http://ex.org/alice' }, predicate: 'http://ex.org/name', object: { type: 'Literal', value: 'Alice "the" \\ first\nline', datatype: 'http://www.w3.org/2001/XMLSchema#string', language: null } },
        { id: 2, subject: { type: 'Iri', value: 'http://ex.org/alice' }, predicate: 'http://ex.org/greeting', object: { type: 'Literal', value: 'bonjour', datatype: null, language: 'fr' } },
        { id: 3, subject: { type: 'Iri', value: 'http://ex.org/alice' }, predicate: 'http://ex.org/age', object: { type: 'Literal', value: '31', datatype: 'http://www.w3.org/2001/XMLSchema#integer', language: null } },
        { id: 4, subject: { type: 'BlankNode', id: 'b0' }, predicate: 'http://ex.org/knows', object: { type: 'Iri', value: 'http://ex.org/alice' } },
        { id: 5, subject: { type: 'Iri', value: 'http://ex.org/bob' }, predicate: 'http://ex.org/name', object: { type: 'Literal', value: 'Bob', datatype: null, language: null } },
      ],
      named_graphs: { 'http://ex.org/g1': [5] },
      default_graph: [1, 2, 3, 4],
      next_id: 6,
    },
    sql_schemas: [{ name: 'docs', columns: [{ name: 'id', data_type: 'Integer' }], vector_column: 'embedding', vector_dimensions: DIM }],
  };
}

function rvliteDb(vectors: Float32Array[], ids: string[]): { vectors: Record<string, object>; triples: object[]; graph: object; config: object } {
  return {
    vectors: Object.fromEntries(vectors.map((v, i) => [ids[i], { vector: arr(v), metadata: { i }, norm: 1 }])),
    graph: { nodes: { n1: { labels: ['Doc'], properties: { title: 'one' } }, n2: { labels: ['Doc'], properties: { title: 'two' } } }, edges: { r1: { from: 'n1', to: 'n2', type: 'CITES' } } },
    triples: [{ subject: '<http://ex.org/d1>', predicate: '<http://ex.org/title>', object: '"one"@en' }],
    config: { dimensions: DIM, metric: 'cosine' },
  };
}

async function engineExport(vectors: Float32Array[], ids: bigint[]): Promise<Buffer> {
  const flat = new Float32Array(vectors.length * DIM);
  vectors.forEach((v, i) => flat.set(v, i * DIM));
  return engineExportOf(DIM, 1, flat, BigUint64Array.from(ids));
}

// Odd ids: decimal, non-canonical decimal, text, unicode, a u64 above 2^63-1, a number.
const ODD_IDS = ['7', '042', 'doc-1', 'émoji 🚀', '18446744073709551615', '0', 'a,b "quoted"', '9223372036854775807'];

function vectorFileData(): { ids: string[]; vectors: Float32Array[] } {
  const vectors = randomVectors(30, DIM, 91);
  vectors.forEach((v) => (v[0] = -Math.abs(v[0] as number) - 0.25)); // negative first values
  const ids = vectors.map((_, i) => ODD_IDS[i] ?? `item-${i}`);
  return { ids, vectors };
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

// ------------------------------------------------------------ tests

describe('rvlite sources', () => {
  test('Rust-core state JSON: vectors, graph and triples arrive; Cypher, SPARQL and SQL see them; verify passes', async () => {
    const dir = tempDir();
    const vectors = randomVectors(40, DIM, 1);
    const ids = vectors.map((_, i) => (i < 30 ? String(i + 1) : `note-${i}`));
    const src = join(dir, 'state.json');
    writeFileSync(src, JSON.stringify(rvliteState(vectors, ids)));
    const before = sha(src);
    const dest = join(dir, 'out.rvf');
    const progress: [number, number][] = [];
    const report = await migrate(src, dest, { verify: true, onProgress: (d, t) => progress.push([d, t]) });
    assert.equal(sha(src), before, 'the source is never modified');
    assert.equal(report.sourceKind, 'rvlite-state');
    assert.equal(report.metric, 'l2');
    assert.equal(report.vectors, 40);
    assert.equal(report.idsMapped, 10);
    assert.equal(report.nodes, 3);
    assert.equal(report.relationships, 2, 'the edge to a missing node is skipped');
    assert.equal(report.quads, 5);
    assert.ok(report.skipped.some((s) => s.startsWith('sql_schemas: 1')), report.skipped.join('|'));
    assert.ok(report.skipped.some((s) => s.includes('1 graph edge')));
    assert.deepEqual(progress.at(-1), [40, 40]);
    assertVerified(report);
    await assertMatchesSource(dest, new Map(ids.map((id, i) => [id, vectors[i] as Float32Array])), 'l2');

    const db = await RvfDatabase.openReadonly(dest);
    try {
      // A hashed id keeps its source id in metadata.
      const [hit] = await db.query(vectors[35] as Float32Array, 1);
      assert.equal(BigInt(hit?.id ?? -1), hashId('note-35'));
      assert.equal(hit?.metadata?.['_source_id'], 'note-35');

      const people = await runQuery(db, 'cypher', 'MATCH (a:Person)-[r:KNOWS]->(b:Person) RETURN a.name, b.name, r.since, b.tags', undefined, { write: false });
      assert.deepEqual(people.rows, [['Alice', 'Bob', 2.5, ['x', null]]]);
      const work = await runQuery(db, 'cypher', 'MATCH (p)-[:WORKS_AT]->(c:Company) RETURN p.name, c.info.founded, c._source_id', undefined, { write: false });
      assert.deepEqual(work.rows, [['Alice', 1990, 'acme']]);
      const admins = await runQuery(db, 'cypher', 'MATCH (n:Admin) RETURN n.name', undefined, { write: false });
      assert.deepEqual(admins.rows, [['Bob']]);

      const joined = await runQuery(db, 'sql', 'SELECT n.vector_id, v.id FROM graph_nodes n JOIN vectors v ON v.id = n.vector_id', undefined, { write: false });
      assert.deepEqual(joined.rows.map((r) => r.map(String)), [['1', '1']]);

      const name = await runQuery(db, 'sparql', 'SELECT ?n WHERE { <http://ex.org/alice> <http://ex.org/name> ?n }', undefined, { write: false });
      assert.equal(JSON.stringify(name.rows).includes(JSON.stringify('Alice "the" \\ first\nline').slice(1, -1)), true, JSON.stringify(name.rows));
      const fr = await runQuery(db, 'sparql', 'SELECT ?g WHERE { ?s <http://ex.org/greeting> ?g FILTER(lang(?g) = "fr") }', undefined, { write: false });
      assert.equal(fr.rows.length, 1);
      const typed = await runQuery(db, 'sparql', 'SELECT ?a WHERE { ?s <http://ex.org/age> ?a FILTER(?a + 1 = 32) }', undefined, { write: false });
      assert.equal(typed.rows.length, 1);
      const named = await runQuery(db, 'sparql', 'SELECT ?n WHERE { GRAPH <http://ex.org/g1> { ?s <http://ex.org/name> ?n } }', undefined, { write: false });
      assert.equal(named.rows.length, 1);
      const inDefault = await runQuery(db, 'sparql', 'SELECT ?s WHERE { ?s <http://ex.org/name> "Bob" }', undefined, { write: false });
      assert.equal(inDefault.rows.length, 0, 'a triple listed only in a named graph is not in the default graph');
      const blank = await runQuery(db, 'sparql', 'SELECT ?b WHERE { ?b <http://ex.org/knows> <http://ex.org/alice> FILTER(isBlank(?b)) }', undefined, { write: false });
      assert.equal(blank.rows.length, 1);
    } finally {
      await db.close();
    }
  });

  test('CLI db.json and the RVF1 envelope: string ids mapped, metadata kept, graph and triples migrated', async () => {
    const dir = tempDir();
    const vectors = randomVectors(25, DIM, 2);
    const ids = vectors.map((_, i) => (i % 3 === 0 ? `k${i}` : String(100 + i)));
    const model = new Map(ids.map((id, i) => [id, vectors[i] as Float32Array]));
    const plain = join(dir, 'db.json');
    writeFileSync(plain, JSON.stringify(rvliteDb(vectors, ids), null, 2));
    const envelope = join(dir, 'rvf1.json');
    writeFileSync(envelope, JSON.stringify({ rvf_version: 1, magic: 'RVF1', created_at: '2025-01-01T00:00:00Z', dimensions: DIM, distance_metric: 'cosine', payload: rvliteDb(vectors, ids) }));
    for (const [src, kind] of [[plain, 'rvlite-db'], [envelope, 'rvlite-envelope']] as const) {
      const before = sha(src);
      const dest = join(dir, `${kind}.rvf`);
      const report = await migrate(src, dest, { verify: true });
      assert.equal(sha(src), before);
      assert.equal(report.sourceKind, kind);
      assert.equal(report.metric, 'cosine');
      assert.equal(report.vectors, 25);
      assert.equal(report.idsMapped, 9);
      assert.equal(report.nodes, 2);
      assert.equal(report.relationships, 1);
      assert.equal(report.quads, 1);
      assertVerified(report);
      await assertMatchesSource(dest, model, 'cosine');
      const db = await RvfDatabase.openReadonly(dest);
      try {
        const [hit] = await db.query(vectors[3] as Float32Array, 1);
        assert.deepEqual(hit?.metadata, { i: 3, _source_id: 'k3' });
        const cites = await runQuery(db, 'cypher', 'MATCH (a:Doc)-[:CITES]->(b:Doc) RETURN a.title, b.title', undefined, { write: false });
        assert.deepEqual(cites.rows, [['one', 'two']]);
        const t = await runQuery(db, 'sparql', 'SELECT ?t WHERE { <http://ex.org/d1> <http://ex.org/title> ?t FILTER(lang(?t) = "en") }', undefined, { write: false });
        assert.equal(t.rows.length, 1);
      } finally {
        await db.close();
      }
    }
  });
});

describe('binary sources', () => {
  test('an engine export from the real @ruvector/rvf-wasm, ids above 2^63-1 included', async () => {
    const dir = tempDir();
    const vectors = randomVectors(50, DIM, 3);
    const ids = vectors.map((_, i) => (i === 0 ? 2n ** 64n - 1n : BigInt(i * 11)));
    const src = join(dir, 'engine.bin');
    writeFileSync(src, await engineExport(vectors, ids));
    const before = sha(src);
    const dest = join(dir, 'out.rvf');
    const report = await migrate(src, dest, { verify: true, metric: 'dotproduct' });
    assert.equal(sha(src), before);
    assert.equal(report.sourceKind, 'engine-export');
    assert.equal(report.vectors, 50);
    assert.equal(report.idsMapped, 1);
    assert.equal(report.metric, 'dotproduct');
    assertVerified(report);
    await assertMatchesSource(dest, new Map(ids.map((id, i) => [id.toString(), vectors[i] as Float32Array])), 'dotproduct');
  });

  test('a store written by the @ruvector/rvf SDK with string ids: the idmap gives the ids back', async () => {
    const dir = tempDir();
    const sdk = (await import('@ruvector/rvf')).RvfDatabase;
    const src = join(dir, 'sdk.rvf');
    const vectors = randomVectors(60, DIM, 4);
    const names = vectors.map((_, i) => (i % 2 === 0 ? `doc-${i}` : String(5000 + i)));
    const writer = await sdk.create(src, { dimensions: DIM, metric: 'l2' }, 'node');
    await writer.ingestBatch(names.map((id, i) => ({ id, vector: vectors[i] as Float32Array })));
    await writer.delete(['doc-4']);
    await writer.close();
    assert.ok(existsSync(`${src}.idmap.json`));
    const before = [sha(src), sha(`${src}.idmap.json`)];
    const model = new Map(names.map((id, i) => [id, vectors[i] as Float32Array]).filter(([id]) => id !== 'doc-4') as [string, Float32Array][]);
    const dest = join(dir, 'out.rvf');
    const report = await migrate(src, dest, { verify: true });
    assert.deepEqual([sha(src), sha(`${src}.idmap.json`)], before);
    assert.ok(!existsSync(`${src}.lock`) && !existsSync(`${src}.sqlite`), 'nothing is written beside the source');
    assert.equal(report.sourceKind, 'native-store');
    assert.equal(report.metric, 'l2');
    assert.equal(report.vectors, 59);
    assert.equal(report.idsMapped, 29);
    assertVerified(report);
    await assertMatchesSource(dest, model, 'l2');
    const db = await RvfDatabase.openReadonly(dest);
    try {
      const [hit] = await db.query(vectors[6] as Float32Array, 1);
      assert.equal(hit?.metadata?.['_source_id'], 'doc-6');
      const [num] = await db.query(vectors[7] as Float32Array, 1);
      assert.equal(num?.id, 5007);
    } finally {
      await db.close();
    }
  });
});

describe('vector files', () => {
  test('JSON, JSONL and CSV (vector column and v0..vN columns) with odd ids and negative first values', async () => {
    const dir = tempDir();
    const { ids, vectors } = vectorFileData();
    const model = new Map(ids.map((id, i) => [id, vectors[i] as Float32Array]));
    const meta = (i: number): object => ({ i, label: `x${i}` });
    const files: [string, string, string][] = [
      ['data.json', 'json', `[\n${ids.map((id, i) => `  ${JSON.stringify({ id, vector: arr(vectors[i] as Float32Array), metadata: meta(i) })}`).join(',\n')}\n]\n`],
      ['data.jsonl', 'jsonl', ids.map((id, i) => JSON.stringify({ id, vector: arr(vectors[i] as Float32Array), metadata: meta(i) })).join('\n') + '\n'],
      ['data.csv', 'csv', `id,vector,metadata\r\n${ids.map((id, i) => [csvField(id), csvField(arr(vectors[i] as Float32Array).join(',')), csvField(JSON.stringify(meta(i)))].join(',')).join('\r\n')}\r\n`],
      ['cols.txt', 'csv', `id,${Array.from({ length: DIM }, (_, d) => `v${d}`).join(',')},label\n${ids.map((id, i) => [csvField(id), ...arr(vectors[i] as Float32Array), `x${i}`].join(',')).join('\n')}\n`],
    ];
    for (const [name, kind, text] of files) {
      const src = join(dir, name);
      writeFileSync(src, text);
      const before = sha(src);
      const dest = join(dir, `${name}.rvf`);
      const report = await migrate(src, dest, { verify: true, metric: 'l2' });
      assert.equal(sha(src), before);
      assert.equal(report.sourceKind, kind, name);
      assert.equal(report.vectors, ids.length, name);
      assert.equal(report.idsMapped, ids.filter((id) => storeId(id) !== BigInt(/^\d+$/.test(id) ? id : -1)).length, name);
      assertVerified(report);
      await assertMatchesSource(dest, model, 'l2');
      const db = await RvfDatabase.openReadonly(dest);
      try {
        const [hit] = await db.query(vectors[3] as Float32Array, 1);
        assert.equal(hit?.metadata?.['_source_id'], 'émoji 🚀', name);
        assert.equal(hit?.metadata?.['label'], 'x3', name);
      } finally {
        await db.close();
      }
    }
  });
});

describe('runs', () => {
  async function source(dir: string, count = 15): Promise<{ src: string; vectors: Float32Array[]; ids: string[] }> {
    const vectors = randomVectors(count, DIM, 5);
    const ids = vectors.map((_, i) => (i % 2 ? `s${i}` : String(i)));
    const src = join(dir, 'state.json');
    writeFileSync(src, JSON.stringify(rvliteState(vectors, ids)));
    return { src, vectors, ids };
  }

  test('a dry run reports what a run writes and writes nothing', async () => {
    const dir = tempDir();
    const { src } = await source(dir);
    const dest = join(dir, 'out.rvf');
    const dry = await migrate(src, dest, { dryRun: true });
    assert.ok(!existsSync(dest) && !existsSync(`${dest}.lock`) && !existsSync(`${dest}.sqlite`));
    const real = await migrate(src, dest, {});
    const { epoch, ...rest } = real;
    assert.ok(epoch !== undefined && epoch > 0);
    assert.deepEqual(rest, dry);
    // Over an existing store as well: a changed source, dry, leaves every byte.
    writeFileSync(src, JSON.stringify(rvliteState(randomVectors(15, DIM, 6), Array.from({ length: 15 }, (_, i) => String(i)))));
    const bytes = sha(dest);
    const dry2 = await migrate(src, dest, { dryRun: true });
    assert.equal(dry2.alreadyMigrated, false);
    assert.equal(sha(dest), bytes);
  });

  test('a rerun is a no-op (also after the cache is deleted); a changed source is migrated again, its graph replaced', async () => {
    const dir = tempDir();
    const { src, ids } = await source(dir);
    const dest = join(dir, 'out.rvf');
    const first = await migrate(src, dest, {});
    assert.equal(first.alreadyMigrated, false);
    const bytes = sha(dest);
    const again = await migrate(src, dest, { verify: true });
    assert.equal(again.alreadyMigrated, true);
    assertVerified(again);
    assert.equal(sha(dest), bytes);
    rmSync(`${dest}.sqlite`, { force: true });
    rmSync(`${dest}.sqlite-wal`, { force: true });
    rmSync(`${dest}.sqlite-shm`, { force: true });
    const third = await migrate(src, dest, {});
    assert.equal(third.alreadyMigrated, true, 'the record is rebuilt from the log');
    assert.equal(sha(dest), bytes);

    // Changed source: one vector changed, one added.
    const state = JSON.parse(readFileSync(src, 'utf8')) as ReturnType<typeof rvliteState> & { vectors: { entries: { id: string; vector: number[] }[] } };
    const changed = Array.from({ length: DIM }, (_, d) => (d === 0 ? -3 : 0.5));
    (state.vectors.entries[2] as { vector: number[] }).vector = changed;
    state.vectors.entries.push({ id: 'new-one', vector: changed.map((x) => x / 2) });
    writeFileSync(src, JSON.stringify(state));
    const fourth = await migrate(src, dest, { verify: true });
    assert.equal(fourth.alreadyMigrated, false);
    assert.ok((fourth.epoch ?? 0) > (first.epoch ?? 0));
    assertVerified(fourth);
    const db = await RvfDatabase.openReadonly(dest);
    try {
      assert.equal((await db.status()).totalVectors, ids.length + 1);
      const [hit] = await db.query(Float32Array.from(changed), 1);
      assert.equal(hit?.id, Number(ids[2]));
      assert.ok((hit?.distance ?? 1) < 1e-9);
      const nodes = await runQuery(db, 'sql', 'SELECT count(*) FROM graph_nodes', undefined, { write: false });
      assert.equal(Number(nodes.rows[0]?.[0]), 3, 'graph replaced, not doubled');
      const quads = await runQuery(db, 'sql', 'SELECT count(*) FROM rdf_quads', undefined, { write: false });
      assert.equal(Number(quads.rows[0]?.[0]), 5);
      const people = await runQuery(db, 'cypher', 'MATCH (a)-[:KNOWS]->(b) RETURN a.name, b.name', undefined, { write: false });
      assert.deepEqual(people.rows, [['Alice', 'Bob']]);
    } finally {
      await db.close();
    }
  });

  test('a migration gives its nodes and relationships ids never handed out before, also those of deleted ones', async () => {
    const dir = tempDir();
    const { src } = await source(dir);
    const dest = join(dir, 'out.rvf');
    await migrate(src, dest, {});
    const db = await RvfDatabase.open(dest);
    try {
      const made = await runQuery(db, 'cypher', 'CREATE (a:Note)-[r:ON]->(b:Note) RETURN id(b), id(r)', undefined, { write: true });
      const [node, rel] = (made.rows[0] ?? []).map(Number) as [number, number];
      await runQuery(db, 'cypher', 'MATCH (n:Note) DETACH DELETE n', undefined, { write: true });
      await db.close();
      // a changed source is migrated again: its graph is replaced by new rows
      const state = JSON.parse(readFileSync(src, 'utf8')) as { vectors: { entries: { vector: number[] }[] } };
      (state.vectors.entries[0] as { vector: number[] }).vector = Array.from({ length: DIM }, (_, d) => d);
      writeFileSync(src, JSON.stringify(state));
      await migrate(src, dest, {});
      const reader = await RvfDatabase.openReadonly(dest);
      try {
        const ids = await runQuery(reader, 'sql', 'SELECT (SELECT min(id) FROM graph_nodes), (SELECT min(id) FROM graph_rels)', undefined, { write: false });
        const [minNode, minRel] = (ids.rows[0] ?? []).map(Number) as [number, number];
        assert.ok(minNode > node, `migrated node ids start at ${minNode}, above the deleted node ${node}`);
        assert.ok(minRel > rel, `migrated relationship ids start at ${minRel}, above the deleted relationship ${rel}`);
      } finally {
        await reader.close();
      }
    } finally {
      await db.close();
    }
  });

  test('verify reports a store that no longer matches its source', async () => {
    const dir = tempDir();
    const { src, vectors, ids } = await source(dir);
    const dest = join(dir, 'out.rvf');
    assertVerified(await migrate(src, dest, { verify: true }));
    const db = await RvfDatabase.open(dest);
    await db.ingestBatch([{ id: ids[4] as string, vector: (vectors[4] as Float32Array).map((x) => x + 0.3) }]);
    await db.close();
    const report = await migrate(src, dest, { verify: true });
    assert.equal(report.alreadyMigrated, true);
    assert.ok(report.verify && report.verify.mismatches.length > 0, 'a changed vector is a mismatch');
    assert.ok(report.verify.mismatches.some((m) => m.includes(`id ${ids[4]}`)), report.verify.mismatches.join('\n'));
  });

  test('bad input: unknown content, truncated JSON with its line, mixed and wrong dimensions', async () => {
    const dir = tempDir();
    const dest = join(dir, 'out.rvf');
    const write = (name: string, text: string | Buffer): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    await expectRvfError(migrate(write('x.json', 'hello world\nthis is text\n'), dest, {}), 'EINVAL', 'unknown text');
    await expectRvfError(migrate(write('y.bin', Buffer.from([0, 1, 2, 3, 4, 5, 6, 7])), dest, {}), 'EINVAL', 'unknown bytes');
    await expectRvfError(migrate(write('z.json', '{"some": "object"}'), dest, {}), 'EINVAL', 'unknown JSON shape');

    const state = JSON.stringify(rvliteState(randomVectors(5, DIM, 8), ['1', '2', '3', '4', '5']), null, 1);
    const cut = state.slice(0, Math.floor(state.length / 2));
    const truncated = await expectRvfError(migrate(write('cut.json', cut), dest, {}), 'EINVAL');
    assert.match(truncated.message, new RegExp(`cut\\.json line ${cut.split('\n').length}:`));

    const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: i, vector: Array(DIM).fill(-0.5) }));
    const arrCut = `[\n${lines.join(',\n')}`.slice(0, -10);
    const e1 = await expectRvfError(migrate(write('arr.json', arrCut), dest, {}), 'EINVAL');
    assert.match(e1.message, /arr\.json line 7: .*truncated/);

    lines[3] = JSON.stringify({ id: 3, vector: Array(DIM + 1).fill(0.1) });
    const e2 = await expectRvfError(migrate(write('mixed.jsonl', lines.join('\n')), dest, {}), 'EINVAL');
    assert.match(e2.message, /mixed\.jsonl line 4: the vector has 9 numbers/);

    const e3 = await expectRvfError(migrate(write('bad.csv', 'id,vector\n1,"0.1,0.2"\n2,"0.1,abc"\n'), dest, {}), 'EINVAL');
    assert.match(e3.message, /bad\.csv line 3:/);
    assert.ok(!existsSync(dest), 'a bad source creates nothing');

    const other = await RvfDatabase.create(dest, { dimensions: DIM + 2, metric: 'l2' });
    await other.close();
    const bytes = sha(dest);
    const e4 = await expectRvfError(migrate(write('ok.jsonl', lines.filter((_, i) => i !== 3).join('\n')), dest, {}), 'EINVAL');
    assert.match(e4.message, /dimension 10, the source 8/);
    assert.equal(sha(dest), bytes);
  });
});

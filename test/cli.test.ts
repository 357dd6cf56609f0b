/**
 * The `rvf` command line as a person runs it: the built bin in real
 * processes, on real files.
 * - the acceptance sequence: create a 384-d store, ingest, top 10, and the
 *   same top 10 from a new process;
 * - --json output, tables on stdout, no progress bar when piped;
 * - export to JSON lines and back gives the same answers;
 * - SQL, Cypher and SPARQL, read-only unless --write;
 * - rebuild after the cache was deleted and after it was corrupted;
 * - every error path: its exit code (1 for a user error, 2 for a damaged
 *   store) and one line that says what to do.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createReadStream, lstatSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from './helpers/mcp.ts';
import { tempDir } from './helpers/temp.ts';

const run = promisify(execFile);
const CLI = join(PACKAGE_ROOT, 'dist/server/rvf-cli.js');
const VECTORS = join(PACKAGE_ROOT, 'examples/vectors.json');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function rvf(cwd: string, ...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function ok(cwd: string, ...args: string[]): Promise<string> {
  const r = await rvf(cwd, ...args);
  assert.equal(r.code, 0, `rvf ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A failing command: its exit code, and exactly one line on stderr that matches `message`. */
async function fails(cwd: string, code: number, message: RegExp, ...args: string[]): Promise<void> {
  const r = await rvf(cwd, ...args);
  assert.equal(r.code, code, `rvf ${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0] as string, message, `rvf ${args.join(' ')}`);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
}

type Hit = { id: number; distance: number; metadata: Record<string, unknown> | null };

function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

test('acceptance through the CLI: 384-d store, ingest, top 10, the same top 10 from a new process', async () => {
  const dir = tempDir('rvf-cli-');
  const entries = JSON.parse(readFileSync(VECTORS, 'utf8')) as { id: number; vector: number[]; metadata: Record<string, unknown> }[];
  await ok(dir, 'create', 'mem.rvf', '--dimension', '384');
  const ingested = JSON.parse(await ok(dir, '--json', 'ingest', 'mem.rvf', '--input', VECTORS)) as { accepted: number };
  assert.equal(ingested.accepted, entries.length);
  const q = entries[7]?.vector as number[];
  const first = JSON.parse(await ok(dir, '--json', 'query', 'mem.rvf', '--vector', q.join(','), '--k', '10')) as Hit[];
  const second = JSON.parse(await ok(dir, '--json', 'query', 'mem.rvf', '--vector', JSON.stringify(q), '--k', '10')) as Hit[];
  assert.deepEqual(second, first, 'a new process gives the same top 10');
  const expected = entries.map((e) => ({ id: e.id, d: cosineDistance(q, e.vector) })).sort((a, b) => a.d - b.d).slice(0, 10);
  assert.deepEqual(first.map((h) => h.id), expected.map((e) => e.id));
  first.forEach((h, i) => assert.ok(Math.abs(h.distance - (expected[i] as { d: number }).d) < 1e-5));
  assert.deepEqual(first[0]?.metadata, entries[7]?.metadata);
  // A table for people: a header row, one row per hit.
  const human = await ok(dir, 'query', 'mem.rvf', '--vector', q.join(','), '--k', '3');
  assert.match(human.split('\n')[0] as string, /^id\s+distance\s+metadata/);
  assert.equal(human.trim().split('\n').length, 2 + 3);
  const status = JSON.parse(await ok(dir, '--json', 'status', 'mem.rvf')) as { totalVectors: number; dimensions: number; metric: string };
  assert.deepEqual([status.totalVectors, status.dimensions, status.metric], [entries.length, 384, 'cosine']);
});

test('ingest is piped without a progress bar; a negative first value is a number; a vector file works; export jsonl round-trips', async () => {
  const dir = tempDir('rvf-cli-');
  await ok(dir, 'create', 'a.rvf', '--dimension', '3', '--metric', 'l2');
  writeFileSync(join(dir, 'in.csv'), 'id,vector,topic\n1,"-1,0,0",neg\n2,"0,1,0",pos\n3,"0,0,1",pos\n');
  const r = await rvf(dir, 'ingest', 'a.rvf', '--input', 'in.csv');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes('\r'), 'no progress bar when stderr is not a terminal');
  const hits = JSON.parse(await ok(dir, '--json', 'query', 'a.rvf', '--vector', '-0.9,0.1,0', '--k', '1')) as Hit[];
  assert.equal(hits[0]?.id, 1);
  assert.deepEqual(hits[0]?.metadata, { topic: 'neg' });
  writeFileSync(join(dir, 'q.txt'), '0 0 0.9\n');
  const fromFile = JSON.parse(await ok(dir, '--json', 'query', 'a.rvf', '--vector-file', 'q.txt', '--k', '1', '--filter', '{"topic":"pos"}')) as Hit[];
  assert.equal(fromFile[0]?.id, 3);
  await ok(dir, 'export', 'a.rvf', '--output', 'a.jsonl', '--format', 'jsonl');
  const lines = readFileSync(join(dir, 'a.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: number });
  assert.deepEqual(lines.map((l) => l.id).sort(), [1, 2, 3]);
  await ok(dir, 'create', 'b.rvf', '--dimension', '3', '--metric', 'l2');
  await ok(dir, 'ingest', 'b.rvf', '--input', 'a.jsonl');
  for (const v of ['1,0,0', '0,0.5,0.5', '-0.2,0.3,0.9']) {
    assert.deepEqual(await ok(dir, '--json', 'query', 'b.rvf', '--vector', v), await ok(dir, '--json', 'query', 'a.rvf', '--vector', v));
  }
  await ok(dir, 'export', 'a.rvf', '--output', 'copy.rvf');
  assert.deepEqual(await ok(dir, '--json', 'query', 'copy.rvf', '--vector', '1,0,0'), await ok(dir, '--json', 'query', 'a.rvf', '--vector', '1,0,0'));
  const segs = JSON.parse(await ok(dir, '--json', 'segments', 'a.rvf')) as { type: string }[];
  assert.ok(segs.some((s) => s.type === 'vec') && segs.some((s) => s.type === 'manifest'));
  const child = JSON.parse(await ok(dir, '--json', 'derive', 'a.rvf', 'child.rvf')) as { totalVectors: number };
  assert.equal(child.totalVectors, 3);
  const compacted = JSON.parse(await ok(dir, '--json', 'compact', 'a.rvf')) as { epoch: number };
  assert.equal(typeof compacted.epoch, 'number');
});

test('export to standard output, a FIFO and a symlink writes through them, never renames a file over them', { timeout: 60_000 }, async () => {
  const dir = tempDir('rvf-cli-');
  await ok(dir, 'create', 'a.rvf', '--dimension', '3', '--metric', 'l2');
  writeFileSync(join(dir, 'in.csv'), 'id,vector\n1,"1,0,0"\n2,"0,1,0"\n3,"0,0,1"\n');
  await ok(dir, 'ingest', 'a.rvf', '--input', 'in.csv');
  const ids = (text: string): number[] => text.trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id).sort();
  // `-`: the lines are stdout, whole; the summary is on stderr, out of their way
  const dash = await rvf(dir, 'export', 'a.rvf', '--format', 'jsonl', '--output', '-');
  assert.equal(dash.code, 0, dash.stderr);
  assert.deepEqual(ids(dash.stdout), [1, 2, 3]);
  assert.match(dash.stderr, /wrote 3 vectors to standard output/);
  // a symlink: the file it names gets the lines, created if missing; the link stays a link
  symlinkSync('real.jsonl', join(dir, 'link.jsonl'));
  await ok(dir, 'export', 'a.rvf', '--format', 'jsonl', '--output', 'link.jsonl');
  assert.ok(lstatSync(join(dir, 'link.jsonl')).isSymbolicLink(), 'the symlink is still a symlink');
  assert.deepEqual(ids(readFileSync(join(dir, 'real.jsonl'), 'utf8')), [1, 2, 3]);
  // a FIFO: streamed into it, and it is still a FIFO after
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const reader = new Promise<string>((resolve, reject) => {
    let text = '';
    createReadStream(join(dir, 'fifo'), 'utf8')
      .on('data', (d) => (text += String(d)))
      .on('end', () => resolve(text))
      .on('error', reject);
  });
  await ok(dir, 'export', 'a.rvf', '--format', 'jsonl', '--output', 'fifo');
  assert.deepEqual(ids(await reader), [1, 2, 3]);
  assert.ok(lstatSync(join(dir, 'fifo')).isFIFO(), 'the FIFO is still a FIFO');
  // an .rvf copy is a file renamed into place: refused for anything else, which is left alone
  await fails(dir, 1, /^rvf: fifo is not a file: .*--format jsonl/, 'export', 'a.rvf', '--output', 'fifo');
  assert.ok(lstatSync(join(dir, 'fifo')).isFIFO());
  await fails(dir, 1, /^rvf: .* is a directory; give --output a file name inside it\.$/, 'export', 'a.rvf', '--format', 'jsonl', '--output', '.');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
});

test('a reader that stops early (| head) ends export and a large query quietly with exit 0', { timeout: 60_000 }, async () => {
  const dir = tempDir('rvf-cli-');
  await ok(dir, 'create', 'big.rvf', '--dimension', '64', '--metric', 'l2');
  const entries = Array.from({ length: 20_000 }, (_, id) => ({ id, vector: Array.from({ length: 64 }, (_v, j) => ((id * 31 + j) % 97) / 97) }));
  writeFileSync(join(dir, 'big.json'), JSON.stringify(entries));
  await ok(dir, 'ingest', 'big.rvf', '--input', 'big.json');
  const headOfOutput = async (...args: string[]): Promise<{ first: string; code: number | null; stderr: string }> => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    let first = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        first += d.toString();
        if (first.includes('\n')) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    return { first: first.split('\n')[0] as string, code: await exited, stderr };
  };
  const exported = await headOfOutput('export', 'big.rvf', '--format', 'jsonl', '--output', '-');
  assert.equal((JSON.parse(exported.first) as { id: number }).id, 0);
  assert.equal(exported.code, 0, `export: exit code (stderr: ${exported.stderr})`);
  assert.equal(exported.stderr, '', 'export: nothing on stderr: the reader stopped, nothing failed');
  const queried = await headOfOutput('--json', 'sql', 'big.rvf', "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT x, 'some padding to fill the pipe' FROM c");
  assert.equal(queried.first, '{');
  assert.equal(queried.code, 0, `sql: exit code (stderr: ${queried.stderr})`);
  assert.equal(queried.stderr, '', 'sql: no stack trace, nothing on stderr');
});

/** A write refused on the command line says to add --write to the command, and says nothing of a server. */
const CLI_READ_ONLY = /^(?!.*server)rvf: EREADONLY: this rvf command is read-only: .+; add --write to the command to change the store\.$/;

test('sql, cypher and sparql through the CLI: reads by default, writes with --write, committed to the file', async () => {
  const dir = tempDir('rvf-cli-');
  await ok(dir, 'create', 'g.rvf', '--dimension', '2');
  await fails(dir, 1, CLI_READ_ONLY, 'sql', 'g.rvf', 'CREATE TABLE t (x)');
  await ok(dir, 'sql', 'g.rvf', 'CREATE TABLE t (x)', '--write');
  await ok(dir, 'sql', 'g.rvf', 'INSERT INTO t VALUES (?), (?)', '--write', '--params', '[5, 7]');
  const sum = JSON.parse(await ok(dir, '--json', 'sql', 'g.rvf', 'SELECT sum(x) AS s FROM t')) as { rows: number[][] };
  assert.deepEqual(sum.rows, [[12]]);
  await fails(dir, 1, CLI_READ_ONLY, 'sql', 'g.rvf', 'WITH s(x) AS (VALUES (9)) INSERT INTO t SELECT x FROM s');
  await fails(dir, 1, CLI_READ_ONLY, 'cypher', 'g.rvf', "CREATE (:P {name: 'a'})");
  await ok(dir, 'cypher', 'g.rvf', "CREATE (:P {name: 'a'})-[:K]->(:P {name: 'b'})", '--write');
  const names = JSON.parse(await ok(dir, '--json', 'cypher', 'g.rvf', 'MATCH (a:P)-[:K]->(b) RETURN a.name AS a, b.name AS b')) as { rows: string[][] };
  assert.deepEqual(names.rows, [['a', 'b']]);
  await fails(dir, 1, CLI_READ_ONLY, 'sparql', 'g.rvf', 'INSERT DATA { <a:s> <a:p> "o" }');
  await fails(dir, 1, CLI_READ_ONLY, 'sparql', 'g.rvf', 'SELECT * { ?s ?p ?o } ; DROP ALL');
  await ok(dir, 'sparql', 'g.rvf', 'INSERT DATA { <a:s> <a:p> "o" }', '--write');
  const ask = JSON.parse(await ok(dir, '--json', 'sparql', 'g.rvf', 'ASK { <a:s> <a:p> "o" }')) as { sparql: { boolean: boolean } };
  assert.equal(ask.sparql.boolean, true);

  // The cache is only a cache: deleted, or overwritten with garbage, rebuild recovers everything from the file.
  const cache = join(dir, 'g.rvf.sqlite');
  for (const damage of ['delete', 'corrupt'] as const) {
    if (damage === 'delete') for (const s of ['', '-wal', '-shm']) rmSync(cache + s, { force: true });
    else writeFileSync(cache, Buffer.alloc(8192, 0x5a));
    const rebuilt = JSON.parse(await ok(dir, '--json', 'rebuild', 'g.rvf')) as { tables: number; tableRows: number; nodes: number; relationships: number; quads: number };
    assert.deepEqual([rebuilt.tables, rebuilt.tableRows, rebuilt.nodes, rebuilt.relationships, rebuilt.quads], [1, 2, 2, 1, 1], damage);
    assert.deepEqual((JSON.parse(await ok(dir, '--json', 'sql', 'g.rvf', 'SELECT sum(x) AS s FROM t')) as { rows: number[][] }).rows, [[12]]);
  }
});

test('every error path: exit 1 with one line that says what to do, exit 2 for a damaged store', async () => {
  const dir = tempDir('rvf-cli-');
  await ok(dir, 'create', 's.rvf', '--dimension', '3');
  await fails(dir, 1, /no store at .*missing\.rvf; create it/, 'status', 'missing.rvf');
  await fails(dir, 1, /EEXIST/, 'create', 's.rvf', '--dimension', '3');
  await fails(dir, 1, /--dimension must be a positive integer/, 'create', 'x.rvf', '--dimension', 'many');
  await fails(dir, 1, /required option '--dimension/, 'create', 'x.rvf');
  await fails(dir, 1, /--metric must be cosine, l2 or dotproduct/, 'create', 'x.rvf', '--dimension', '3', '--metric', 'manhattan');
  await fails(dir, 1, /EDIM/, 'query', 's.rvf', '--vector', '1,2');
  await fails(dir, 1, /not a finite number/, 'query', 's.rvf', '--vector', '1,x,3');
  await fails(dir, 1, /exactly one of --vector/, 'query', 's.rvf');
  await fails(dir, 1, /--k must be a positive integer/, 'query', 's.rvf', '--vector', '1,2,3', '--k', '0');
  await fails(dir, 1, /--filter must be JSON/, 'query', 's.rvf', '--vector', '1,2,3', '--filter', '{topic');
  await fails(dir, 1, /unknown command 'frobnicate'/, 'frobnicate');
  await fails(dir, 1, /unknown option '--nope'/, 'status', 's.rvf', '--nope');
  await fails(dir, 1, /give a \.json, \.jsonl or \.csv file/, 'ingest', 's.rvf', '--input', 'data.txt');
  writeFileSync(join(dir, 'bad.jsonl'), '{"id": 1, "vector": [1, 2, 3]}\n{"id": 2, "vector": [1, 2]}\n');
  await fails(dir, 1, /bad\.jsonl line 2/, 'ingest', 's.rvf', '--input', 'bad.jsonl');
  await fails(dir, 1, /--format must be rvf or jsonl/, 'export', 's.rvf', '--output', 'o.x', '--format', 'xml');
  await fails(dir, 1, /SQLite refused the query/, 'sql', 's.rvf', 'SELEC 1');
  await fails(dir, 1, /--params must be JSON/, 'sql', 's.rvf', 'SELECT ?', '--params', '[1');
  // Help is not an error.
  const help = await ok(dir, 'help', 'ingest');
  assert.match(help, /--input <file>/);

  // A damaged store: a flipped byte inside committed data, and a newer wire version.
  await ok(dir, 'ingest', 's.rvf', '--input', 'bad.jsonl', '--batch', '1').catch(() => undefined);
  writeFileSync(join(dir, 'good.jsonl'), '{"id": 1, "vector": [1, 2, 3]}\n{"id": 2, "vector": [3, 2, 1]}\n');
  await ok(dir, 'ingest', 's.rvf', '--input', 'good.jsonl');
  await ok(dir, 'ingest', 's.rvf', '--input', 'good.jsonl');
  const segs = JSON.parse(await ok(dir, '--json', 'segments', 's.rvf')) as { type: string; offset: number; payloadLength: number }[];
  const vec = segs.find((s) => s.type === 'vec') as { offset: number };
  const bytes = readFileSync(join(dir, 's.rvf'));
  const flipped = Buffer.from(bytes);
  flipped[vec.offset + 64 + 10] = (flipped[vec.offset + 64 + 10] as number) ^ 0xff;
  writeFileSync(join(dir, 'damaged.rvf'), flipped);
  await fails(dir, 2, /ECORRUPT: .*damaged\.rvf is damaged at byte/, 'status', 'damaged.rvf');
  await fails(dir, 2, /ECORRUPT/, 'query', 'damaged.rvf', '--vector', '1,2,3');
  const newer = Buffer.from(bytes);
  newer[4] = 2; // the first segment's wire version
  writeFileSync(join(dir, 'newer.rvf'), newer);
  await fails(dir, 2, /EVERSION: .*requires RVF wire version 2/, 'status', 'newer.rvf');
});

test('remember then recall across processes, with metadata and a filter; a plain vector store refuses text', async () => {
  const dir = tempDir('rvf-cli-');
  const notes = [
    ['the deploy key lives in the ops vault', '{"source": "ops"}'],
    ['lunch on fridays is at noon in the big room', '{"source": "team"}'],
    ['rotate the deploy key every ninety days', '{"source": "ops"}'],
  ] as const;
  for (const [text, metadata] of notes) await ok(dir, 'remember', 'mem.rvf', text, '--metadata', metadata);
  // Each recall is a new process: what was remembered persisted.
  const hits = JSON.parse(await ok(dir, '--json', 'recall', 'mem.rvf', 'where is the deploy key kept', '--k', '2')) as { text: string; metadata: { source: string } }[];
  assert.deepEqual(hits.map((h) => h.text).sort(), [notes[0][0], notes[2][0]].sort());
  const team = JSON.parse(await ok(dir, '--json', 'recall', 'mem.rvf', 'deploy key', '--filter', '{"source": "team"}')) as { text: string }[];
  assert.deepEqual(team.map((h) => h.text), [notes[1][0]]);
  // The same text again replaces instead of duplicating.
  await ok(dir, 'remember', 'mem.rvf', notes[0][0], '--metadata', '{"source": "ops"}');
  assert.equal((JSON.parse(await ok(dir, '--json', 'status', 'mem.rvf')) as { totalVectors: number }).totalVectors, 3);
  await ok(dir, 'create', 'plain.rvf', '--dimension', '3');
  await fails(dir, 1, /EINVAL: .*plain.*not text memory/, 'recall', 'plain.rvf', 'anything');
  await fails(dir, 1, /--embedder-url must be an http\(s\) URL|embedder/, 'recall', 'mem.rvf', 'x', '--embedder-url', 'not a url', '--embedder-model', 'm');
});

test('migrate through the CLI: --dry-run writes nothing, --verify passes, a rerun is a no-op, a tampered store fails --verify with exit 2', async () => {
  const dir = tempDir('rvf-cli-');
  const state = {
    version: 1,
    saved_at: 0,
    vectors: {
      entries: [
        { id: '1', vector: [1, 0, 0], metadata: { topic: 'a' } },
        { id: '2', vector: [0, 1, 0], metadata: null },
        { id: 'doc-x', vector: [-0.5, 0, 1], metadata: { topic: 'b' } },
      ],
      dimensions: 3,
      distance_metric: 'euclidean',
      next_id: 3,
    },
    graph: { nodes: [{ id: 'n1', labels: ['P'], properties: { name: { type: 'String', value: 'Ada' } } }], edges: [], next_node_id: 2, next_edge_id: 0 },
    triples: { triples: [], named_graphs: {}, default_graph: [], next_id: 0 },
    sql_schemas: [],
  };
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  const sourceBytes = readFileSync(join(dir, 'state.json'));
  const dry = JSON.parse(await ok(dir, '--json', 'migrate', 'state.json', 'm.rvf', '--dry-run')) as { vectors: number; nodes: number };
  assert.deepEqual([dry.vectors, dry.nodes], [3, 1]);
  assert.throws(() => readFileSync(join(dir, 'm.rvf')), 'a dry run writes no store');
  const first = JSON.parse(await ok(dir, '--json', 'migrate', 'state.json', 'm.rvf', '--verify')) as { verify: { mismatches: string[] }; alreadyMigrated: boolean };
  assert.deepEqual(first.verify.mismatches, []);
  assert.equal(first.alreadyMigrated, false);
  const bytes = readFileSync(join(dir, 'm.rvf'));
  const again = JSON.parse(await ok(dir, '--json', 'migrate', 'state.json', 'm.rvf')) as { alreadyMigrated: boolean };
  assert.equal(again.alreadyMigrated, true);
  assert.deepEqual(readFileSync(join(dir, 'm.rvf')), bytes, 'a rerun changes no byte');
  assert.deepEqual(readFileSync(join(dir, 'state.json')), sourceBytes, 'the source is never modified');
  const hits = JSON.parse(await ok(dir, '--json', 'query', 'm.rvf', '--vector', '1,0,0', '--k', '1')) as Hit[];
  assert.deepEqual([hits[0]?.id, hits[0]?.metadata], [1, { topic: 'a' }]);
  // Tamper with the store, and --verify catches it.
  writeFileSync(join(dir, 'changed.jsonl'), '{"id": 2, "vector": [0, 0.5, 0.5]}\n');
  await ok(dir, 'ingest', 'm.rvf', '--input', 'changed.jsonl');
  await fails(dir, 2, /--verify found \d+ mismatch/, 'migrate', 'state.json', 'm.rvf', '--verify');
  await fails(dir, 1, /ENOENT: no source at .*; check the path/, 'migrate', 'changed.jsonl.missing', 'm.rvf');
});

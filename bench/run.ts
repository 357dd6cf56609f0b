import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATCH, DIMENSIONS } from './data.ts';

/**
 * `npm run bench`: this store beside the raw rvf-wasm engine and the native
 * @ruvector/rvf SDK, same data, same run, at 10k and 100k vectors of
 * dimension 384; then the MCP server itself over stdio (rvf_query and
 * rvf_ingest from a real SDK Client) against the library in the same run;
 * then Cypher and SPARQL at the facts file's sizes beside their raw engines.
 * Each measurement runs in its own process. Prints a Markdown table for
 * BENCHMARKS.md.
 */

// The machine is shared: the load average says how much of it the run had.
const loadStart = loadavg();
// BENCH_MAIN=0 skips the main table and the concurrent writers (BENCH_WRITERS=0 those alone; BENCH_LANGUAGES=0 and BENCH_ANN=0 skip the others), for a quick run of one part.
const sizes = process.env['BENCH_MAIN'] === '0' ? [] : (process.env['BENCH_SIZES'] ?? '10000,100000').split(',').map(Number);
// Runs the compiled worker beside this file: measured as shipped, without a TypeScript loader.
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
// The MCP measurements: an SDK Client in this process drives dist/server/main.js over stdio.
const mcpWorker = fileURLToPath(new URL('./mcp-worker.js', import.meta.url));

// Cypher and SPARQL beside hand-written SQL and oxigraph used directly.
const languagesWorker = fileURLToPath(new URL('./languages-worker.js', import.meta.url));

function run(task: string, ...args: (string | number)[]): Record<string, unknown> {
  const script = task.startsWith('mcp-') ? mcpWorker : task === 'cypher' || task === 'sparql' || task === 'upsert' ? languagesWorker : worker;
  const out = execFileSync(process.execPath, ['--expose-gc', script, task, ...args.map(String)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

const num = (o: Record<string, unknown>, ...path: string[]): number => {
  let v: unknown = o;
  for (const p of path) v = (v as Record<string, unknown>)[p];
  return v as number;
};
const f = (x: number, d = 1): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const rows: string[] = [];
for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'rvf-bench-'));
  try {
    const ours = join(dir, 'ours.rvf');
    const nat = join(dir, 'native.rvf');
    process.stderr.write(`bench: ${n} vectors x ${DIMENSIONS}\n`);
    if (process.env['BENCH_QUERY_ONLY'] === '1') {
      // The exact-scan rows alone (query beside the raw engine, native and the floor; memory), for a quick run.
      run('ours-ingest', ours, n);
      const q = run('query-compare', ours, n);
      const open = run('ours-open', ours, n);
      const storeMiB = num(open, 'rssMiB') - num(open, 'baselineRssMiB');
      const rawMiB = (n * DIMENSIONS * 4) / (1024 * 1024);
      rows.push(
        `| ${n.toLocaleString('en-US')} | query p50 / p95 (ms, k=10) | ${f(num(q, 'ours', 'p50'), 2)} / ${f(num(q, 'ours', 'p95'), 2)} | ${f(num(q, 'raw', 'p50'), 2)} / ${f(num(q, 'raw', 'p95'), 2)} | ${f(num(q, 'native', 'p50'), 2)} / ${f(num(q, 'native', 'p95'), 2)} | ${f(num(q, 'ours', 'p50') / num(q, 'raw', 'p50'), 2)}x raw p50 |`,
        `| ${n.toLocaleString('en-US')} | bandwidth floor: SIMD sum over the same ${f((n * DIMENSIONS * 4) / 1e6, 1)} MB, p50 / p95 (ms) | ${f(num(q, 'floor', 'p50'), 2)} / ${f(num(q, 'floor', 'p95'), 2)} (${f(num(q, 'floor', 'gbPerSecond'), 1)} GB/s) | - | - | query ${f(num(q, 'ours', 'p50') / num(q, 'floor', 'p50'), 2)}x floor p50 |`,
        `| ${n.toLocaleString('en-US')} | resident memory after open, MiB (raw vectors: ${f(rawMiB, 0)}) | ${f(num(open, 'rssMiB'), 0)} total, ${f(storeMiB, 0)} for the store | - | - | store ${f(storeMiB / rawMiB, 2)}x raw bytes |`,
      );
      if (num(q, 'mismatches') > 0) process.stderr.write(`bench: ${num(q, 'mismatches')} queries differ from the raw engine\n`);
      continue;
    }
    // Disk write-back makes one ingest run vary by +-20% here: alternate the
    // systems over three rounds on fresh files and take each one's median.
    // The MCP ingest (rvf_ingest over stdio into store "mcp", i.e. dir/mcp.rvf) takes its turn in the same rounds.
    const rounds = { ours: [] as number[], native: [] as number[], raw: [] as number[], mcp: [] as number[], mcp64: [] as number[], mcp64x2: [] as number[] };
    let mcpIngest: Record<string, unknown> = {};
    let mcpIngest64: Record<string, unknown> = {};
    for (let round = 0; round < 3; round++) {
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
      rounds.ours.push(num(run('ours-ingest', ours, n), 'vectorsPerSecond'));
      rounds.native.push(num(run('native-ingest', nat, n), 'vectorsPerSecond'));
      rounds.raw.push(num(run('raw-ingest', '-', n), 'vectorsPerSecond'));
      mcpIngest = run('mcp-ingest', dir, 'mcp', n);
      rounds.mcp.push(num(mcpIngest, 'vectorsPerSecond'));
      mcpIngest64 = run('mcp-ingest-b64', dir, 'mcp64', n);
      rounds.mcp64.push(num(mcpIngest64, 'vectorsPerSecond'));
      // a loader's way: two calls outstanding, so the client encodes the next batch while the server commits the last
      rounds.mcp64x2.push(num(run('mcp-ingest-b64', dir, 'mcp64x2', n, 2), 'vectorsPerSecond'));
    }
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[1] as number;
    const ingestOurs = median(rounds.ours);
    const ingestNative = median(rounds.native);
    const ingestRaw = median(rounds.raw);
    const ingestMcp = median(rounds.mcp);
    const ingestMcp64 = median(rounds.mcp64);
    const ingestMcp64x2 = median(rounds.mcp64x2);
    const q = run('query-compare', ours, n);
    // rvf_query over stdio on ours.rvf (store "ours", server read-only), alternating with RvfDatabase in the client process.
    const mq = run('mcp-query', dir, 'ours', n);
    const sq = run('sql-knn', ours, n);
    process.stderr.write(
      `bench: MCP round trip without a search (ping) p50 ${f(num(mq, 'ping', 'p50'), 2)} ms; rvf_ingest ${f(num(mcpIngest, 'msPerBatch'), 0)} ms per call of ${BATCH} (${f(num(mcpIngest, 'requestBytes') / 2 ** 20, 1)} MiB of JSON), with vectors_b64 ${f(num(mcpIngest64, 'msPerBatch'), 0)} ms (${f(num(mcpIngest64, 'requestBytes') / 2 ** 20, 1)} MiB)\n`,
    );
    const openOurs = run('ours-open', ours, n);
    const openNative = run('native-open', nat, n);
    const rawBytesMiB = (n * DIMENSIONS * 4) / (1024 * 1024);
    // "For the store": RSS after open minus RSS of the same process before it (Node, SQLite, the engine module).
    const rss = num(openOurs, 'rssMiB');
    const storeRss = rss - num(openOurs, 'baselineRssMiB');
    const nativeStoreRss = num(openNative, 'rssMiB') - num(openNative, 'baselineRssMiB');
    rows.push(
      `| ${n.toLocaleString('en-US')} | durable ingest (vec/s, batches of 1000, median of 3) | ${f(ingestOurs, 0)} | ${f(ingestRaw, 0)} (in memory, no file) | ${f(ingestNative, 0)} | ${f(ingestOurs / ingestNative, 2)}x native |`,
      `| ${n.toLocaleString('en-US')} | query p50 / p95 (ms, k=10) | ${f(num(q, 'ours', 'p50'), 2)} / ${f(num(q, 'ours', 'p95'), 2)} | ${f(num(q, 'raw', 'p50'), 2)} / ${f(num(q, 'raw', 'p95'), 2)} | ${f(num(q, 'native', 'p50'), 2)} / ${f(num(q, 'native', 'p95'), 2)} | ${f(num(q, 'ours', 'p50') / num(q, 'raw', 'p50'), 2)}x raw p50 |`,
      `| ${n.toLocaleString('en-US')} | bandwidth floor: SIMD sum over the same ${f((n * DIMENSIONS * 4) / 1e6, 1)} MB, p50 / p95 (ms) | ${f(num(q, 'floor', 'p50'), 2)} / ${f(num(q, 'floor', 'p95'), 2)} (${f(num(q, 'floor', 'gbPerSecond'), 1)} GB/s) | - | - | query ${f(num(q, 'ours', 'p50') / num(q, 'floor', 'p50'), 2)}x floor p50 |`,
      `| ${n.toLocaleString('en-US')} | open, read-only (ms) | ${f(num(openOurs, 'openMs'), 0)} | - | ${f(num(openNative, 'openMs'), 0)} | ${f(num(openOurs, 'openMs') / num(openNative, 'openMs'), 2)}x native |`,
      `| ${n.toLocaleString('en-US')} | resident memory after open, MiB (raw vectors: ${f(rawBytesMiB, 0)}) | ${f(rss, 0)} total, ${f(storeRss, 0)} for the store | - | ${f(num(openNative, 'rssMiB'), 0)} total, ${f(nativeStoreRss, 0)} for the store | store ${f(storeRss / rawBytesMiB, 2)}x, process ${f(rss / rawBytesMiB, 2)}x raw bytes |`,
      `| ${n.toLocaleString('en-US')} | rvf_query over stdio, SDK Client to server process, p50 / p95 (ms, k=10) | ${f(num(mq, 'mcp', 'p50'), 2)} / ${f(num(mq, 'mcp', 'p95'), 2)} (in-process ${f(num(mq, 'local', 'p50'), 2)} / ${f(num(mq, 'local', 'p95'), 2)}) | - | - | ${f(num(mq, 'mcp', 'p50') / num(mq, 'local', 'p50'), 2)}x in-process p50 |`,
      `| ${n.toLocaleString('en-US')} | SQL: rvf_knn(?, 10) joined with vectors, p50 / p95 (ms) | ${f(num(sq, 'sql', 'p50'), 2)} / ${f(num(sq, 'sql', 'p95'), 2)} (direct query ${f(num(sq, 'direct', 'p50'), 2)} / ${f(num(sq, 'direct', 'p95'), 2)}) | - | - | ${f(num(sq, 'sql', 'p50') / num(sq, 'direct', 'p50'), 2)}x direct p50 |`,
      `| ${n.toLocaleString('en-US')} | ingest through MCP, rvf_ingest over stdio (vec/s, batches of 1000, median of 3) | ${f(ingestMcp, 0)} | - | - | ${f(ingestMcp / ingestOurs, ingestMcp / ingestOurs < 0.1 ? 3 : 2)}x library durable ingest |`,
      `| ${n.toLocaleString('en-US')} | ingest through MCP with vectors_b64 (base64 float32), over stdio (vec/s, batches of 1000, median of 3) | ${f(ingestMcp64, 0)} | - | - | ${f(ingestMcp64 / ingestOurs, 2)}x library durable ingest, ${f(ingestMcp64 / ingestMcp, 1)}x JSON arrays |`,
      `| ${n.toLocaleString('en-US')} | the same, two calls in flight from the one client (vec/s, median of 3) | ${f(ingestMcp64x2, 0)} | - | - | ${f(ingestMcp64x2 / ingestOurs, 2)}x library durable ingest, ${f(ingestMcp64x2 / ingestMcp64, 2)}x one call at a time |`,
    );
    if (num(q, 'mismatches') > 0) process.stderr.write(`bench: ${num(q, 'mismatches')} queries differ from the raw engine\n`);
    if (num(sq, 'mismatches') > 0) process.stderr.write(`bench: ${num(sq, 'mismatches')} SQL rvf_knn results differ from the direct query\n`);
    if (num(mq, 'mismatches') > 0) process.stderr.write(`bench: ${num(mq, 'mismatches')} rvf_query results differ from the in-process query\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; load average ${loadStart.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min) at the start, ${loadavg().map((x) => x.toFixed(2)).join(' / ')} at the end\n`);
if (rows.length > 0) {
  console.log('| vectors | measure | rvf-mcp-server | raw rvf-wasm engine | native @ruvector/rvf | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}
if (process.env['BENCH_QUERY_ONLY'] === '1') process.exit(0);

// ------------------------------------------------------------ concurrent writers (group commit)

if (process.env['BENCH_WRITERS'] !== '0' && sizes.length > 0) {
  const n = 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'rvf-bench-writers-'));
  try {
    const rounds = { eight: [] as number[], one: [] as number[], native: [] as number[], large: [] as number[], native80: [] as number[] };
    let commits = 0;
    for (let round = 0; round < 3; round++) {
      for (const file of readdirSync(dir)) rmSync(join(dir, file), { force: true });
      const eight = run('writers-ingest', join(dir, 'eight.rvf'), n, 8, 10);
      rounds.eight.push(num(eight, 'vectorsPerSecond'));
      commits = num(eight, 'commits');
      rounds.one.push(num(run('writers-ingest', join(dir, 'one.rvf'), n, 1, 10), 'vectorsPerSecond'));
      rounds.native.push(num(run('native-writers-ingest', join(dir, 'native.rvf'), n, 10), 'vectorsPerSecond'));
      rounds.large.push(num(run('writers-ingest', join(dir, 'large.rvf'), n, 1, 80), 'vectorsPerSecond'));
      rounds.native80.push(num(run('native-writers-ingest', join(dir, 'native80.rvf'), n, 80), 'vectorsPerSecond'));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1] as number;
    const [eight, one, native, large, native80] = [rounds.eight, rounds.one, rounds.native, rounds.large, rounds.native80].map(median) as [number, number, number, number, number];
    console.log('\n| 20,000 x 384, durable ingest (vec/s, median of 3) | rvf-mcp-server | native @ruvector/rvf | ratio |');
    console.log('|---|---|---|---|');
    console.log(`| 8 concurrent writers, batches of 10 (group commit: ${f(commits, 0)} commits for 2,000 batches in the last round) | ${f(eight, 0)} | ${f(native, 0)} (one after another: its ingest is synchronous) | ${f(eight / native, 2)}x native, ${f(eight / one, 2)}x one writer |`);
    console.log(`| 1 writer, batches of 10 | ${f(one, 0)} | ${f(native, 0)} | ${f(one / native, 2)}x native |`);
    console.log(`| 1 writer, batches of 80 (eight batches' worth a commit: the most grouping could give) | ${f(large, 0)} | ${f(native80, 0)} | ${f(large / native80, 2)}x native; 8 writers reach ${f(eight / large, 2)}x of it |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------ approximate index

const annWorker = fileURLToPath(new URL('./ann-worker.js', import.meta.url));
function runAnn(...args: (string | number)[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--expose-gc', annWorker, ...args.map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}
if (process.env['BENCH_ANN'] !== '0') {
  const annRows: string[] = [];
  for (const n of (process.env['BENCH_ANN_SIZES'] ?? '100000').split(',').map(Number)) {
    const dir = mkdtempSync(join(tmpdir(), 'rvf-bench-ann-'));
    try {
      process.stderr.write(`bench: approximate index, ${n} clustered vectors x ${DIMENSIONS}, cosine\n`);
      // Durable ingest with the index on and off, alternating on fresh files, median of 3.
      const speed = { auto: [] as number[], none: [] as number[] };
      let pendingAtEnd = 0;
      for (let round = 0; round < 3; round++) {
        for (const setting of ['auto', 'none'] as const) {
          rmSync(join(dir, `${setting}.rvf`), { force: true });
          for (const name of readdirSync(dir)) if (name.startsWith(`${setting}.rvf`)) rmSync(join(dir, name), { force: true });
          const r = runAnn('ingest', join(dir, `${setting}.rvf`), n, setting);
          speed[setting].push(num(r, 'vectorsPerSecond'));
          if (setting === 'auto') pendingAtEnd = num(r, 'pendingAtEnd');
        }
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1] as number;
      const built = runAnn('build', join(dir, 'auto.rvf'), n);
      const opened = runAnn('open', join(dir, 'auto.rvf'), n);
      const before = built['before'] as { recall: number; indexed: { p50: number; p95: number }; exact: { p50: number; p95: number } };
      const after = built['after'] as typeof before;
      const rawMiB = (n * DIMENSIONS * 4) / 2 ** 20;
      const storeMiB = num(opened, 'rssMiB') - num(opened, 'baselineRssMiB');
      const size = n.toLocaleString('en-US');
      annRows.push(
        `| ${size} | recall@10 against exact, default settings (500 queries) | ${f(before.recall, 4)} | >= 0.95 |`,
        `| ${size} | recall@10 after deleting 10% (200 queries) | ${f(after.recall, 4)} | >= 0.95 |`,
        `| ${size} | query p50 / p95, indexed vs \`exact: true\`, alternating query by query (ms, k=10) | ${f(before.indexed.p50, 2)} / ${f(before.indexed.p95, 2)} vs ${f(before.exact.p50, 2)} / ${f(before.exact.p95, 2)}: **${f(before.exact.p50 / before.indexed.p50, 1)}x** faster at p50 | >= 10x |`,
        `| ${size} | durable ingest, index auto vs none, batches of 1000, alternating, median of 3 (vec/s) | ${f(median(speed.auto), 0)} vs ${f(median(speed.none), 0)}: **${f(median(speed.auto) / median(speed.none), 2)}x** (${pendingAtEnd.toLocaleString('en-US')} vectors still pending when the last commit returned) | >= 0.85x |`,
        `| ${size} | background build of the whole store, from open to pending 0 (s) | ${f(num(built, 'buildMs') / 1000, 1)} | < 120 s on 2 cores |`,
        `| ${size} | read-only open of the indexed store until pending 0 (ms) | ${f(num(opened, 'readyMs'), 0)} (pending ${num(opened, 'pending')}) | <= 3000 ms |`,
        `| ${size} | resident memory with the index, read-only, for the store (MiB; raw vectors ${f(rawMiB, 0)}) | ${f(storeMiB, 0)}: **${f(storeMiB / rawMiB, 2)}x** raw | <= 2.5x |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log('\n| vectors | approximate index (HNSW, usearch), clustered data, cosine | measured | target |');
  console.log('|---|---|---|---|');
  for (const r of annRows) console.log(r);
}

// ------------------------------------------------------------ query languages

type Timing = { p50: number; p95: number; answer: string };
const timing = (o: Record<string, unknown>, name: string): { ours: Timing; raw: Timing } => o[name] as { ours: Timing; raw: Timing };
const langRows: string[] = [];
const langRow = (measure: string, t: { ours: Timing; raw: Timing }, rawName: string, reference: string): void => {
  if (t.ours.answer !== t.raw.answer) process.stderr.write(`bench: ${measure}: ours ${t.ours.answer} but ${rawName} ${t.raw.answer}\n`);
  langRows.push(`| ${measure} | ${f(t.ours.p50, 1)} / ${f(t.ours.p95, 1)} | ${f(t.raw.p50, 1)} / ${f(t.raw.p95, 1)} (${rawName}) | ${reference} | ${f(t.ours.p50 / t.raw.p50, 2)}x |`);
};
if (process.env['BENCH_LANGUAGES'] !== '0') {
  process.stderr.write('bench: Cypher, 100k nodes / 500k relationships\n');
  const cy = run('cypher', 100_000, 5);
  langRows.push(`| Cypher: load ${f(num(cy, 'nodes'), 0)} nodes + ${f(num(cy, 'rels'), 0)} relationships as one effects commit, replayed into the cache (ms) | ${f(num(cy, 'loadMs'), 0)} | - | - | - |`);
  langRow('Cypher: 2-hop count from the 1,000 nodes of one group', timing(cy, 'twoHop'), 'hand-written SQL', '2-hop 98 ms');
  langRow('Cypher: `*1..5` from one node, distinct nodes reached', timing(cy, 'varLength'), 'hand-written SQL', '3.6 ms');
  langRow('Cypher: count of the (:Person)-[:KNOWS]->(:Person) join, all 500k relationships', timing(cy, 'aggregate'), 'hand-written SQL', 'join count 115 ms');
  langRow('Cypher: grouped aggregate reading properties of both ends of all 500k relationships', timing(cy, 'grouped'), 'hand-written SQL', '-');
  process.stderr.write('bench: Cypher batch upsert, 10k entities\n');
  const up = run('upsert', 10_000);
  const answers = up['answers'] as { cypher: string; sql: string };
  if (answers.cypher !== answers.sql) process.stderr.write(`bench: batch upsert: Cypher left ${answers.cypher} but SQL ${answers.sql}\n`);
  const upRow = (measure: string, ours: number, sql: number, digits = 0): void => {
    langRows.push(`| ${measure} | ${f(ours, digits)} | ${f(sql, digits)} (hand-written SQL on a table, through runQuery) | - | ${f(ours / sql, 2)}x |`);
  };
  upRow('Cypher: batch upsert of 10,000 entities (UNWIND, MERGE by name, SET, list append), new names, median of 5 after a warm-up round (ms)', num(up, 'cypherFirst'), num(up, 'sqlFirst'));
  upRow('Cypher: the same batch again, every name matched and its list appended to (ms)', num(up, 'cypherSecond'), num(up, 'sqlSecond'));
  upRow('Cypher: 10,000 relationships between them, both ends matched by name, MERGE (ms)', num(up, 'cypherRelate'), num(up, 'sqlRelate'));
  upRow('Cypher: the same upsert of 10 entities (some known, some new) against the 10,000, median of 21 calls (ms)', num(up, 'cypherSmall'), num(up, 'sqlSmall'), 1);
  process.stderr.write('bench: SPARQL, 100k triples\n');
  const sp = run('sparql', 20_000);
  langRows.push(`| SPARQL: load ${f(num(sp, 'quads'), 0)} quads from the cache into oxigraph (ms) | ${f(num(sp, 'loadMs'), 0)} | ${f(num(sp, 'rawLoadMs'), 0)} (oxigraph from N-Triples text) | ~500 ms | ${f(num(sp, 'loadMs') / num(sp, 'rawLoadMs'), 2)}x |`);
  langRows.push(`| SPARQL: first query through the tool path, load included (ms) | ${f(num(sp, 'firstQueryMs'), 0)} | - | - | - |`);
  langRow('SPARQL: FILTER with LIMIT 10', timing(sp, 'filter'), 'oxigraph direct', '4-7 ms');
  langRow('SPARQL: property path `knows+` from one node, counted', timing(sp, 'path'), 'oxigraph direct', '37-57 ms');
  console.log('\n| query languages | rvf-mcp-server p50 / p95 (ms) | raw engine p50 / p95 (ms) | facts-file reference | ratio |');
  console.log('|---|---|---|---|---|');
  for (const r of langRows) console.log(r);
}

// ------------------------------------------------------------ replication to PostgreSQL (PGlite + pgvector)

if (process.env['BENCH_REPLICATE'] !== '0') {
  const script = (name: string): string => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  process.stderr.write('bench: replication into PGlite, 100k x 384\n');
  const throughput = execFileSync(process.execPath, [script('replicate'), '100000'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stderr.write('bench: replication lag under a steady ingest (1000 x 384 every 200 ms, 30 s)\n');
  const lag = execFileSync(process.execPath, [script('replicate-lag'), '200', '30'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  console.log('\nReplication into PGlite (PostgreSQL 17 as WebAssembly, pgvector), through pg over pglite-socket:\n');
  for (const line of `${throughput}${lag}`.trim().split('\n')) console.log(`- ${line}`);
}

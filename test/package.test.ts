/**
 * The package as users get it (issue 10): `npm pack` of this checkout,
 * installed into a fresh folder, and used from that folder only, the way a
 * user would after `npm install rvf-mcp-server-<version>.tgz`:
 *
 * - the tarball holds what the bins, the library and the inspector load, and
 *   nothing else (no tests, bench, examples, sources or source maps);
 * - `npx rvf-mcp-server --write` lists and calls tools over stdio;
 * - `npx rvf-mcp-server --transport http` serves MCP at /mcp and the
 *   inspector at /, and the page loads every asset it references and answers a
 *   k-NN query in Chromium (which needs the .wasm);
 * - `npx rvf` commands work end to end;
 * - the documented imports (`rvf-mcp-server`, `rvf-mcp-server/query`) work
 *   through `exports`, and the shipped .d.ts compile in a strict consumer
 *   project with skipLibCheck off and no devDependency of ours installed;
 * - npm's install-script warning names only better-sqlite3 (its native build),
 *   never this package.
 *
 * Nothing here imports from the checkout's sources: the server, the CLI and
 * the library all come from the installed tarball.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium } from 'playwright-core';
import { packAndInstall, PACKAGE_ROOT, run, userEnv, type Installed } from './helpers/installed-package.ts';
import { READ_TOOLS, WRITE_TOOLS } from './helpers/mcp.ts';
import { tempDir } from './helpers/temp.ts';

const CHROMIUM = '/usr/bin/chromium';
const DIM = 4;
const ROWS = [
  { id: 1, vector: [1, 0, 0, 0], metadata: { topic: 'rust' } },
  { id: 2, vector: [0, 1, 0, 0], metadata: { topic: 'go' } },
  { id: 3, vector: [0.9, 0.1, 0, 0], metadata: { topic: 'rust' } },
];

const work = tempDir('rvf-package-');
let pkg: Installed;

before(async () => {
  // @types/node and typescript are what a TypeScript consumer has of its own; nothing else of ours.
  pkg = await packAndInstall(work, ['@types/node@20', 'typescript@5']);
});

interface TextResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

function textOf(r: TextResult): string {
  return r.content?.find((c) => c.type === 'text')?.text ?? '';
}

// ------------------------------------------------------------ the tarball

/** Relative module specifiers a compiled ES module loads (static and literal dynamic imports). */
function relativeImports(jsText: string): string[] {
  const specs: string[] = [];
  for (const m of jsText.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)) specs.push(m[1] as string);
  return specs;
}

test('the tarball holds what the bins, the library and the inspector load, and nothing else', () => {
  const files = pkg.tarballFiles;
  const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f));
  assert.deepEqual(outside, [], 'files outside dist/ besides package.json, README.md and LICENSE');
  const unwanted = files.filter((f) => /\.map$/.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) || /^dist\/(test|bench|examples)\//.test(f));
  assert.deepEqual(unwanted, [], 'source maps, sources, tests, benchmarks or examples in the tarball');
  for (const need of ['LICENSE', 'README.md', 'dist/server/main.js', 'dist/server/rvf-cli.js', 'dist/inspector/index.html', 'dist/inspector/rvf_wasm_bg.wasm']) {
    assert.ok(files.includes(need), `${need} is not in the tarball`);
  }

  // Every shipped module is reached from an entry point: the bins, the exports,
  // the query child (spawned by path), and the inspector's page and browser bundle.
  const manifest = JSON.parse(readFileSync(join(pkg.packageDir, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    exports: Record<string, string | { types: string; default: string }>;
  };
  const entries = [
    ...Object.values(manifest.bin),
    ...Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [] : [e.default])),
    'dist/rvlite-bridge/query-child.js',
    // The approximate index's worker thread (started by path).
    'dist/store/ann-worker.js',
    'dist/inspector/inspector.js',
    // The store for pages, served beside the inspector at /inspector/rvf-browser.js.
    'dist/inspector/rvf-browser.js',
  ].map((p) => resolve(pkg.packageDir, p));
  const reached = new Set<string>();
  const frontier = [...entries];
  while (frontier.length > 0) {
    const file = frontier.pop() as string;
    if (reached.has(file)) continue;
    assert.ok(existsSync(file), `${relative(pkg.packageDir, file)} is imported but not in the tarball`);
    reached.add(file);
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) frontier.push(resolve(dirname(file), spec));
  }
  // tsc emits an empty module for a file of types only; its .d.ts is what ships it.
  const typesOnly = (f: string): boolean =>
    readFileSync(f, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() === 'export {};' && existsSync(f.replace(/\.js$/, '.d.ts'));
  const shippedJs = files.filter((f) => f.endsWith('.js')).map((f) => resolve(pkg.packageDir, f));
  const unreached = shippedJs.filter((f) => !reached.has(f) && !typesOnly(f)).map((f) => relative(pkg.packageDir, f));
  assert.deepEqual(unreached, [], 'shipped modules that nothing loads');
  // Types ship only beside the modules they describe.
  const strayTypes = files.filter((f) => f.endsWith('.d.ts') && !files.includes(f.replace(/\.d\.ts$/, '.js')));
  assert.deepEqual(strayTypes, [], '.d.ts files without their module');
  // The page's engine: the bundle fetches the .wasm by name from beside itself.
  const inspectorJs = readdirSync(join(pkg.packageDir, 'dist/inspector')).filter((f) => f.endsWith('.js'));
  assert.ok(
    inspectorJs.some((f) => readFileSync(join(pkg.packageDir, 'dist/inspector', f), 'utf8').includes('rvf_wasm_bg.wasm')),
    'no inspector bundle names rvf_wasm_bg.wasm',
  );
});

// usearch's install script is node-gyp-build, which finds the prebuilt binary in its tarball and compiles nothing.
test("npm's install-script warning names only the native dependencies (better-sqlite3, usearch), never this package", () => {
  assert.doesNotMatch(pkg.installStderr, /rvf-mcp-server@[^\s]*\s*\(/, `npm lists an install script of this package:\n${pkg.installStderr}`);
  for (const m of pkg.installStderr.matchAll(/install-scripts\s+(\S+)@\S+\s+\((\w+):/g)) {
    assert.ok(['better-sqlite3', 'usearch'].includes(m[1] as string), `npm warns about install scripts of ${m[1]}: ${m[0]}`);
  }
});

// ------------------------------------------------------------ MCP over stdio

test('npx rvf-mcp-server --write, from the install folder: lists and calls tools over stdio', async () => {
  const root = join(work, 'stdio-root');
  const transport = new StdioClientTransport({
    command: 'npx',
    args: ['rvf-mcp-server', '--write', '--root', root],
    cwd: pkg.app,
    env: userEnv() as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'package-test', version: '1.0.0' });
  await client.connect(transport);
  after(() => client.close().catch(() => undefined));
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(tools, [...READ_TOOLS, ...WRITE_TOOLS].sort());
    const call = async (name: string, args: Record<string, unknown>): Promise<TextResult> => (await client.callTool({ name, arguments: args })) as TextResult;
    const ok = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const r = await call(name, args);
      assert.notEqual(r.isError, true, `${name} failed: ${textOf(r)}`);
      return r.structuredContent as Record<string, unknown>;
    };
    await ok('rvf_create_store', { store: 'notes', dimensions: DIM, metric: 'l2' });
    assert.equal((await ok('rvf_ingest', { store: 'notes', entries: ROWS })).accepted, 3);
    const hits = (await ok('rvf_query', { store: 'notes', vector: [1, 0, 0, 0], k: 2, filter: { topic: 'rust' } })).results as { id: number }[];
    assert.deepEqual(hits.map((h) => h.id), [1, 3]);
    const sql = await ok('rvlite_sql', { store: 'notes', query: "SELECT id FROM vectors WHERE json_extract(metadata, '$.topic') = 'go'" });
    assert.deepEqual(sql.rows, [[2]]);
    assert.equal((await ok('rvlite_cypher', { store: 'notes', query: "CREATE (:Note {title: 'a'})" })).epoch, 2);
    assert.deepEqual((await ok('rvlite_cypher', { store: 'notes', query: 'MATCH (n:Note) RETURN n.title' })).rows, [['a']]);
    await ok('rvlite_sparql', { store: 'notes', query: 'INSERT DATA { <urn:a> <urn:p> "x" }' });
    assert.equal((await ok('rvlite_sparql', { store: 'notes', query: 'SELECT ?o WHERE { <urn:a> <urn:p> ?o }' })).rows instanceof Array, true);
    const bad = await call('rvf_query', { store: 'notes', vector: [1, 0], k: 1 });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /^EDIM: /);
    assert.equal((await ok('rvf_status', { store: 'notes' })).totalVectors, 3);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nserver stderr:\n${stderr}`);
  }
});

// ------------------------------------------------------------ HTTP and the inspector

test('npx rvf-mcp-server --transport http, from the install folder: MCP at /mcp, and the inspector page with every asset, answering k-NN in Chromium', async () => {
  const root = join(work, 'http-root');
  // A store to look at, made with the installed CLI.
  writeFileSync(join(work, 'rows.jsonl'), ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  mkdirSync(root, { recursive: true });
  for (const args of [
    ['rvf', 'create', join(root, 'notes.rvf'), '--dimension', String(DIM), '--metric', 'l2'],
    ['rvf', 'ingest', join(root, 'notes.rvf'), '--input', join(work, 'rows.jsonl')],
  ]) {
    const r = await run('npx', args, pkg.app);
    assert.equal(r.code, 0, `npx ${args.join(' ')}: ${r.stderr}`);
  }

  // Its own process group: npx does not pass SIGTERM on to the server it started.
  const child = spawn('npx', ['rvf-mcp-server', '--transport', 'http', '--port', '0', '--root', root], {
    cwd: pkg.app,
    env: userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  after(async () => {
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
  });
  const base = await new Promise<URL>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line in 30 s; stderr:\n${stderr}`)), 30_000);
    child.stderr.on('data', () => {
      const m = /listening on (http:\/\/\S+?)\/mcp\b/.exec(stderr);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(new URL(m[1]));
      }
    });
    child.on('close', (code) => reject(new Error(`server exited (${code}) before listening; stderr:\n${stderr}`)));
  });

  // MCP over Streamable HTTP.
  const client = new Client({ name: 'package-test-http', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
  const status = (await client.callTool({ name: 'rvf_status', arguments: { store: 'notes' } })) as TextResult;
  assert.equal(status.structuredContent?.totalVectors, 3, textOf(status));
  await client.close();

  // The page and everything it references, as plain requests: HTML -> CSS/JS -> chunks -> .wasm.
  const html = await fetch(base);
  assert.equal(html.status, 200);
  const page = await html.text();
  const assets = [...page.matchAll(/\b(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
  assert.ok(assets.length >= 2, `the page references ${assets.join(', ') || 'nothing'}`);
  const seen = new Set<string>();
  while (assets.length > 0) {
    const path = assets.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    const res = await fetch(new URL(path, base));
    assert.equal(res.status, 200, `GET ${path} gave ${res.status}`);
    if (path.endsWith('.js')) {
      const js = await res.text();
      for (const spec of relativeImports(js)) assets.push(new URL(spec, new URL(path, base)).pathname);
      if (js.includes('rvf_wasm_bg.wasm')) assets.push(new URL('rvf_wasm_bg.wasm', new URL(path, base)).pathname);
    } else {
      await res.arrayBuffer();
    }
  }
  assert.ok([...seen].some((p) => p.endsWith('.wasm')), `the engine was never referenced: ${[...seen].join(', ')}`);

  // The page in a browser: no failed request, no error, and a k-NN answered on WASM in the page.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  after(() => browser.close());
  const tab = await browser.newPage();
  const failures: string[] = [];
  tab.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  tab.on('requestfailed', (r) => failures.push(`failed: ${r.url()}`));
  tab.on('response', (r) => {
    if (r.status() >= 400) failures.push(`${r.status()}: ${r.url()}`);
  });
  await tab.goto(base.href);
  await tab.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
  await tab.click('[data-testid="store-row"][data-store="notes"]');
  await tab.fill('#knn-vector', JSON.stringify([1, 0, 0, 0]));
  await tab.fill('#knn-k', '2');
  await tab.click('#knn-run');
  await tab.waitForSelector('[data-testid="knn-row"]', { timeout: 20_000 });
  const ids = await tab.$$eval('[data-testid="knn-row"]', (rows) => rows.map((r) => r.getAttribute('data-id')));
  assert.deepEqual(ids, ['1', '3'], `the page's k-NN; ${failures.join('; ')}`);
  assert.deepEqual(failures, []);
});

// ------------------------------------------------------------ the rvf command line

test('npx rvf, from the install folder: help, create, ingest, query, status, the query languages, export, and a clear error', async () => {
  const dir = join(work, 'cli');
  mkdirSync(dir, { recursive: true });
  const rvf = async (...args: string[]): Promise<string> => {
    const r = await run('npx', ['rvf', ...args], pkg.app);
    assert.equal(r.code, 0, `npx rvf ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  assert.match(await rvf('--help'), /Usage: rvf/);
  const version = JSON.parse(readFileSync(join(pkg.packageDir, 'package.json'), 'utf8')) as { version: string };
  assert.equal((await rvf('--version')).trim(), version.version);
  const file = join(dir, 'mem.rvf');
  writeFileSync(join(dir, 'rows.json'), JSON.stringify(ROWS));
  await rvf('create', file, '--dimension', String(DIM), '--metric', 'cosine');
  await rvf('ingest', file, '--input', join(dir, 'rows.json'));
  const hits = JSON.parse(await rvf('query', file, '--vector', '1,0,0,0', '--k', '2', '--json')) as { id: number }[];
  assert.deepEqual(hits.map((h) => h.id), [1, 3]);
  assert.equal((JSON.parse(await rvf('status', file, '--json')) as { totalVectors: number }).totalVectors, 3);
  const sql = JSON.parse(await rvf('sql', file, 'SELECT count(*) AS n FROM vectors', '--json')) as { rows: unknown[][] };
  assert.deepEqual(sql.rows, [[3]]);
  await rvf('cypher', file, "CREATE (:P {name: 'ada'})", '--write');
  const cypher = JSON.parse(await rvf('cypher', file, 'MATCH (p:P) RETURN p.name', '--json')) as { rows: unknown[][] };
  assert.deepEqual(cypher.rows, [['ada']]);
  await rvf('sparql', file, 'INSERT DATA { <urn:s> <urn:p> "o" }', '--write');
  const sparql = JSON.parse(await rvf('sparql', file, 'ASK { <urn:s> <urn:p> "o" }', '--json')) as { sparql: { boolean: boolean } };
  assert.equal(sparql.sparql.boolean, true);
  await rvf('export', file, '--output', join(dir, 'mem.jsonl'), '--format', 'jsonl');
  assert.equal(readFileSync(join(dir, 'mem.jsonl'), 'utf8').trim().split('\n').length, 3);

  const wrong = await run('npx', ['rvf', 'query', file, '--vector', '1,0', '--json'], pkg.app);
  assert.equal(wrong.code, 1, `a wrong dimension should exit 1: ${wrong.stdout}${wrong.stderr}`);
  assert.match(wrong.stderr, /EDIM/);
});

// ------------------------------------------------------------ the library and its types

const CONSUMER = `import { readFileSync } from 'node:fs';
import { RvfDatabase, RvfError, isRvfError, LIMITS, type IndexStatus, type QueryResult, type RvfErrorCode } from 'rvf-mcp-server';
import { runQuery, type QueryRows } from 'rvf-mcp-server/query';
import { RvfBytes } from 'rvf-mcp-server/bytes';

const path = process.argv[2] as string;
// A threshold of 2 gives the store its approximate index: the index worker and usearch must load from the install.
const db = await RvfDatabase.create(path, { dimensions: 3, metric: 'cosine' }, { indexThreshold: 2 });
await db.ingestBatch([
  { id: 1, vector: [1, 0, 0], metadata: { topic: 'rust' } },
  { id: 2, vector: [0, 1, 0], metadata: { topic: 'go' } },
]);
await db.waitForIndex();
const index: IndexStatus = (await db.status()).index;
const nearest = (await db.query([0.1, 1, 0], 1))[0]?.id;
const hits: QueryResult[] = await db.query([1, 0.1, 0], 1, { filter: { topic: 'rust' } });
const rows: QueryRows = await runQuery(db, 'sql', 'SELECT count(*) FROM vectors', undefined, { write: false });
let code: RvfErrorCode | undefined;
try {
  await db.query([1, 0], 1);
} catch (err) {
  if (isRvfError(err)) code = err.code;
}
await db.close();
const inMemory = await RvfBytes.open(new Uint8Array(readFileSync(path)));
const bytesIds = inMemory.query([0, 1, 0], 1).map((h) => h.id);
inMemory.close();
console.log(JSON.stringify({ ids: hits.map((h) => h.id), rows: rows.rows, code, maxK: LIMITS.maxK, isClass: typeof RvfError === 'function', bytesIds, index, nearest }));
`;

test('the library from the installed package: the documented imports work through exports, and its types compile with skipLibCheck off', async () => {
  const src = join(pkg.app, 'consumer.ts');
  writeFileSync(src, CONSUMER);
  writeFileSync(
    join(pkg.app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        outDir: 'out',
      },
      files: ['consumer.ts'],
    }),
  );
  // The consumer's own TypeScript: nothing of ours (no @types/better-sqlite3) is installed there.
  assert.ok(!existsSync(join(pkg.app, 'node_modules', '@types', 'better-sqlite3')), 'a devDependency of ours reached the consumer');
  const tsc = await run(process.execPath, [join(pkg.app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], pkg.app);
  assert.equal(tsc.code, 0, `the shipped types do not compile in a consumer:\n${tsc.stdout}${tsc.stderr}`);

  const out = await run(process.execPath, [join(pkg.app, 'out', 'consumer.js'), join(work, 'lib.rvf')], pkg.app);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), {
    ids: [1],
    rows: [[2]],
    code: 'EDIM',
    maxK: 10_000,
    isClass: true,
    bytesIds: [2],
    index: { setting: 'auto', kind: 'hnsw', indexed: 2, pending: 0 },
    nearest: 2,
  });

  // Internal files are not part of the API: exports keeps them out of reach.
  const deep = await run(process.execPath, ['--input-type=module', '-e', "await import('rvf-mcp-server/dist/store/database.js')"], pkg.app);
  assert.notEqual(deep.code, 0);
  assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  // And the checkout never took part.
  assert.ok(!readFileSync(join(pkg.app, 'package-lock.json'), 'utf8').includes(PACKAGE_ROOT), 'the consumer lockfile points into the checkout');
});

/**
 * The web inspector in a real browser: Debian's Chromium driven by
 * playwright-core, against the real server process (dist/server/main.js
 * --transport http) over stores written by the Node library.
 *
 * - Acceptance 7-8: a store written in Node opens in the page (its bytes
 *   fetched from the server, queried on WASM in the page) and its top-10
 *   equals Node's db.query within 1e-6, for several queries.
 * - Failure mode 5: Node writes; the page reads, adds vectors and exports the
 *   bytes; Node reads them, then writes again; the page reads that back. The
 *   top-10 agrees at every step.
 * - The inspector: lists stores, draws one bar per segment, the lineage tree,
 *   answers k-NN and a read-only SQL query; writes through the query box are
 *   refused (EREADONLY) on a --write server. A screenshot goes to
 *   test-artifacts/inspector.png.
 * - The token: without the right one the API gives 401 and no data; the page
 *   asks for it and works with it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { RvfDatabase } from '../store/index.ts';
import { distance } from './helpers/assertions.ts';
import { endpoint, PACKAGE_ROOT, rawRequest, startHttpServer, type HttpServerProcess } from './helpers/mcp-http.ts';
import { rng } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 384;
const TOLERANCE = 1e-6;
const TOKEN = 'inspector-test-token-0123456789';
const CHROMIUM = '/usr/bin/chromium';

interface Hit {
  id: number | string;
  distance: number;
  metadata?: unknown;
}
interface Row {
  id: number;
  vector: number[];
  metadata: Record<string, unknown>;
}

/**
 * What the test reads of the page's globals inside page.evaluate (this file
 * type-checks without the DOM lib; the casts vanish before the browser runs it).
 */
interface PageScope {
  document: {
    body: { dataset: Record<string, string | undefined> };
    getElementById(id: string): { textContent: string | null } | null;
  };
  __rvfLastResult?: { store: string; epoch: number; k: number; results: Hit[] };
  __rvfLastQuery?: unknown;
  __rvfExport?: () => string;
}

let browser: Browser;

before(async () => {
  for (const built of ['dist/server/main.js', 'dist/server/inspector/routes.js', 'dist/inspector/index.html', 'dist/inspector/inspector.js']) {
    assert.ok(existsSync(join(PACKAGE_ROOT, built)), `${built} is missing: run npm run build (and node --import tsx server/inspector/build.ts) first`);
  }
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (never downloaded by the tests)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
});

// ------------------------------------------------------------ data

function randomRows(count: number, seed: number, firstId = 1): Row[] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: firstId + i,
    vector: Array.from({ length: DIM }, () => Math.fround(next() * 2 - 1)),
    metadata: { n: firstId + i, tag: `t${(firstId + i) % 7}` },
  }));
}

/** Queries near stored rows (the interesting neighbourhoods) and a few anywhere. */
function queriesFor(rows: Row[], count: number, seed: number): number[][] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const base = i % 2 === 0 ? rows[Math.floor(next() * rows.length)]?.vector : undefined;
    return Array.from({ length: DIM }, (_, j) => Math.fround((base?.[j] ?? 0) + (next() * 2 - 1) * (base ? 0.3 : 1)));
  });
}

async function writeStore(path: string, batches: Row[][], deletes: number[] = []): Promise<void> {
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'cosine' });
  try {
    for (const batch of batches) await db.ingestBatch(batch);
    if (deletes.length > 0) await db.delete(deletes);
  } finally {
    await db.close();
  }
}

async function nodeTopK(path: string, query: number[], k = 10): Promise<Hit[]> {
  const db = await RvfDatabase.openReadonly(path);
  try {
    return await db.query(query, k);
  } finally {
    await db.close();
  }
}

// ------------------------------------------------------------ comparisons

/**
 * Same answer: equal length, the distance at every rank within 1e-6, the same
 * ids; an id may differ at a rank only inside a tie (both ids at that distance).
 */
function assertSameTopK(got: Hit[], want: Hit[], label: string): void {
  assert.equal(got.length, want.length, `${label}: ${got.length} results, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as Hit;
    const w = want[i] as Hit;
    assert.ok(Math.abs(g.distance - w.distance) <= TOLERANCE, `${label}: rank ${i}: distance ${g.distance} vs ${w.distance} (ids ${g.id} / ${w.id})`);
    if (String(g.id) !== String(w.id)) {
      const twin = want.find((x) => String(x.id) === String(g.id));
      assert.ok(twin && Math.abs(twin.distance - g.distance) <= TOLERANCE, `${label}: rank ${i}: id ${g.id}, expected ${w.id} (not a tie)`);
    }
  }
  assert.deepEqual(new Set(got.map((x) => String(x.id))), new Set(want.map((x) => String(x.id))), `${label}: different ids`);
}

/** The store's answer computed independently: float64 brute force over the live rows, within f32 rounding. */
function assertBruteForce(got: Hit[], live: Map<number, Row>, query: number[], label: string): void {
  const want = [...live.values()]
    .map((r) => ({ id: r.id, distance: distance('cosine', r.vector, query) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, got.length);
  assert.equal(got.length, Math.min(10, live.size), `${label}: result count`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as Hit;
    const row = live.get(Number(g.id));
    assert.ok(row, `${label}: rank ${i}: id ${g.id} is not a live row`);
    assert.ok(Math.abs(g.distance - (want[i] as Hit).distance) <= 1e-4, `${label}: rank ${i}: distance ${g.distance}, brute force ${(want[i] as Hit).distance}`);
    assert.ok(Math.abs(distance('cosine', row.vector, query) - g.distance) <= 1e-4, `${label}: id ${g.id} reported ${g.distance}`);
  }
}

// ------------------------------------------------------------ the page

async function openPage(server: HttpServerProcess, context?: BrowserContext): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1280, height: 1000 } }));
  if (!context) after(() => ctx.close().catch(() => undefined));
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(endpoint(server, '/').href);
  return { page, context: ctx, errors };
}

async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
}

async function selectStore(page: Page, name: string): Promise<void> {
  await page.click(`[data-testid="store-row"][data-store="${name}"]`);
  await page.waitForFunction((n) => (globalThis as unknown as PageScope).document.getElementById('detail-name')?.textContent === n, name);
}

/** Runs the k-NN box with `vector` and `k`; returns what the page answered (window.__rvfLastResult). */
async function pageKnn(page: Page, vector: number[], k = 10): Promise<{ store: string; epoch: number; results: Hit[] }> {
  const before = await page.evaluate(() => Number((globalThis as unknown as PageScope).document.body.dataset.knn ?? 0));
  await page.fill('#knn-vector', JSON.stringify(vector));
  await page.fill('#knn-k', String(k));
  await page.click('#knn-run');
  await page.waitForFunction(
    (n) => {
      const d = (globalThis as unknown as PageScope).document;
      return Number(d.body.dataset.knn ?? 0) > n || (d.getElementById('knn-error')?.textContent ?? '') !== '';
    },
    before,
    { timeout: 20_000 },
  );
  const error = await page.textContent('#knn-error');
  assert.equal(error, '', `the page's k-NN failed: ${error}`);
  const last = await page.evaluate(() => (globalThis as unknown as PageScope).__rvfLastResult);
  assert.ok(last, 'the page set no __rvfLastResult');
  // The table shows the same answer.
  const shown = await page.$$eval('[data-testid="knn-row"]', (rows) => rows.map((r) => ({ id: r.getAttribute('data-id'), distance: Number(r.getAttribute('data-distance')) })));
  assert.deepEqual(shown, last.results.map((r) => ({ id: String(r.id), distance: r.distance })), 'the results table differs from __rvfLastResult');
  return last;
}

async function pageQuery(page: Page, lang: 'sql' | 'cypher' | 'sparql', text: string): Promise<{ error: string; columns: string[]; rows: string[][] }> {
  await page.selectOption('#query-lang', lang);
  await page.fill('#query-text', text);
  await page.fill('#query-params', '');
  await page.evaluate(() => {
    (globalThis as unknown as PageScope).__rvfLastQuery = undefined;
  });
  await page.click('#query-run');
  await page.waitForFunction(
    () => {
      const w = globalThis as unknown as PageScope;
      return w.__rvfLastQuery !== undefined || (w.document.getElementById('query-error')?.textContent ?? '') !== '';
    },
    undefined,
    { timeout: 20_000 },
  );
  await page.waitForFunction(() => ((globalThis as unknown as PageScope).document.getElementById('query-status')?.textContent ?? '') !== 'running…');
  return {
    error: (await page.textContent('#query-error')) ?? '',
    columns: await page.$$eval('#query-results thead th', (ths) => ths.map((t) => t.textContent ?? '')),
    rows: await page.$$eval('#query-results tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))),
  };
}

// ------------------------------------------------------------ tests

test('acceptance 7-8: a store written in Node gives the same top-10 in the page (WASM over the served bytes)', async () => {
  const root = tempDir('rvf-insp-acc-');
  const rows = randomRows(1500, 71);
  const extra = randomRows(300, 72, 5001);
  const deleted = rows.filter((r) => r.id % 11 === 0).map((r) => r.id);
  const path = join(root, 'docs.rvf');
  await writeStore(path, [rows, extra], deleted);
  const live = new Map([...rows, ...extra].filter((r) => !deleted.includes(r.id)).map((r) => [r.id, r]));

  const server = await startHttpServer(['--root', root]);
  const { page, errors } = await openPage(server);
  await waitReady(page);
  await selectStore(page, 'docs');
  const queries = queriesFor([...live.values()], 6, 73);
  for (const [i, q] of queries.entries()) {
    const got = await pageKnn(page, q);
    assert.equal(got.store, 'docs');
    const want = await nodeTopK(path, q);
    assertSameTopK(got.results, want, `query ${i}`);
    assertBruteForce(got.results, live, q, `query ${i}`);
    // Metadata travels with the bytes (META segments), not from the server's cache.
    const first = got.results[0] as Hit;
    assert.deepEqual(first.metadata, live.get(Number(first.id))?.metadata, `query ${i}: metadata of id ${first.id}`);
  }
  // A deleted id never comes back, even for its own vector.
  const gone = rows.find((r) => r.id === deleted[0]) as Row;
  const own = await pageKnn(page, gone.vector);
  assert.ok(!own.results.some((r) => Number(r.id) === gone.id), `deleted id ${gone.id} answered`);
  assertSameTopK(own.results, await nodeTopK(path, gone.vector), 'deleted row query');
  assert.deepEqual(errors, [], 'the page logged errors');
  await server.stop();
});

test('failure mode 5: Node writes, the page adds and exports, Node reads and writes again, the page reads it back', async () => {
  const root = tempDir('rvf-insp-fm5-');
  const base = randomRows(800, 81);
  const path = join(root, 'mem.rvf');
  await writeStore(path, [base]);
  const live = new Map(base.map((r) => [r.id, r]));
  const queries = queriesFor(base, 4, 82);

  const server = await startHttpServer(['--root', root]);
  const { page, errors } = await openPage(server);
  await waitReady(page);
  await selectStore(page, 'mem');

  // Step 1-2: the page reads what Node wrote.
  for (const [i, q] of queries.entries()) assertSameTopK((await pageKnn(page, q)).results, await nodeTopK(path, q), `step 2 read, query ${i}`);

  // Step 2: add vectors in the page (some near the queries, so they must show up), replace one, then export.
  const added = randomRows(40, 83, 10_001);
  for (const [i, q] of queries.entries()) (added[i] as Row).vector = q.map((x, j) => Math.fround(x + 0.01 * Math.sin(j + i)));
  const replaced: Row = { id: 5, vector: (queries[1] as number[]).map((x) => Math.fround(-x)), metadata: { n: 5, tag: 'replaced in the page' } };
  await page.click('#local-panel summary');
  await page.fill('#local-entries', JSON.stringify([...added, replaced]));
  await page.click('#local-add');
  await page.waitForFunction(() => ((globalThis as unknown as PageScope).document.getElementById('local-status')?.textContent ?? '').includes('changed in this page'));
  assert.equal(await page.textContent('#local-error'), '');
  for (const r of [...added, replaced]) live.set(r.id, r);
  const inPage: Hit[][] = [];
  for (const [i, q] of queries.entries()) {
    const got = await pageKnn(page, q);
    assertBruteForce(got.results, live, q, `step 2 after add, query ${i}`);
    assert.ok(got.results.some((r) => Number(r.id) === (added[i] as Row).id), `step 2: the vector added near query ${i} is not in its top-10`);
    inPage.push(got.results);
  }
  const exported = Buffer.from(await page.evaluate(() => ((globalThis as unknown as PageScope).__rvfExport as () => string)()), 'base64');
  assert.ok(exported.length > 0, 'the page exported nothing');

  // Step 3: Node reads the exported bytes: same answers as the page gave.
  const editedPath = join(root, 'mem-edited.rvf');
  writeFileSync(editedPath, exported);
  for (const [i, q] of queries.entries()) assertSameTopK(await nodeTopK(editedPath, q), inPage[i] as Hit[], `step 3 Node read, query ${i}`);
  const reader = await RvfDatabase.openReadonly(editedPath);
  assert.equal((await reader.status()).totalVectors, live.size, 'step 3: live count in Node');
  await reader.close();

  // Step 3: Node writes again on top of the page's commit.
  const writer = await RvfDatabase.open(editedPath);
  const more = randomRows(25, 84, 20_001);
  (more[0] as Row).vector = (queries[2] as number[]).map((x, j) => Math.fround(x - 0.005 * Math.cos(j)));
  await writer.ingestBatch(more);
  const dropped = [(added[0] as Row).id, 7, 9];
  await writer.delete(dropped);
  await writer.close();
  for (const r of more) live.set(r.id, r);
  for (const id of dropped) live.delete(id);

  // Step 4: the page reads Node's new commit back.
  await page.click('#refresh');
  await page.waitForSelector('[data-testid="store-row"][data-store="mem-edited"]');
  await selectStore(page, 'mem-edited');
  for (const [i, q] of queries.entries()) {
    const got = await pageKnn(page, q);
    assertSameTopK(got.results, await nodeTopK(editedPath, q), `step 4 page read, query ${i}`);
    assertBruteForce(got.results, live, q, `step 4, query ${i}`);
    assert.ok(!got.results.some((r) => dropped.includes(Number(r.id))), `step 4: a deleted id answered query ${i}`);
  }
  assert.ok((await pageKnn(page, queries[2] as number[])).results.some((r) => Number(r.id) === (more[0] as Row).id), 'step 4: Node\'s new vector is missing');
  // The server's copy of the first store is untouched by the page's changes.
  assert.equal((await RvfDatabase.openReadonly(path).then(async (db) => [(await db.status()).totalVectors, await db.close()]))[0], base.length);
  assert.deepEqual(errors, [], 'the page logged errors');
  await server.stop();
});

test('the inspector lists stores, draws segments and lineage, answers k-NN and read-only SQL; writes are refused on a --write server', async () => {
  const root = tempDir('rvf-insp-ui-');
  const rows = randomRows(600, 91);
  const parentPath = join(root, 'notes.rvf');
  const db = await RvfDatabase.create(parentPath, { dimensions: DIM, metric: 'cosine' });
  await db.ingestBatch(rows.slice(0, 300));
  await db.ingestBatch(rows.slice(300, 500));
  await db.delete(rows.filter((r) => r.id % 5 === 0 && r.id <= 500).map((r) => r.id));
  await db.compact();
  await db.ingestBatch(rows.slice(500));
  await db.delete([501, 502]);
  await db.derive(join(root, 'notes-child.rvf'));
  const parentSegments = await db.segments();
  const parentStatus = await db.status();
  await db.close();
  const live = new Map(rows.filter((r) => !(r.id % 5 === 0 && r.id <= 500) && r.id !== 501 && r.id !== 502).map((r) => [r.id, r]));
  assert.equal(parentStatus.totalVectors, live.size);

  const server = await startHttpServer(['--root', root, '--write']);
  const { page, errors } = await openPage(server);
  await waitReady(page);
  const listed = await page.$$eval('[data-testid="store-row"]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  assert.deepEqual(listed.map((r) => r[0]), ['notes', 'notes-child']);
  const notesRow = listed[0] as string[];
  assert.equal(notesRow[1], live.size.toLocaleString('en-US'), 'vector count');
  assert.equal(notesRow[2], String(DIM));
  assert.equal(notesRow[3], 'cosine');
  assert.equal(notesRow[4], String(parentStatus.epoch));
  assert.equal(notesRow[7], String(parentSegments.length));
  // Looking never takes a writer lease, even on a --write server: another process can still write.
  assert.ok(!existsSync(join(root, 'notes.rvf.lock')) && !existsSync(join(root, 'notes-child.rvf.lock')), 'the inspector took a writer lease');
  const other = await RvfDatabase.open(join(root, 'notes-child.rvf'));
  await other.close();

  await selectStore(page, 'notes');
  // One bar per committed segment, in file order, typed as the file says.
  const bars = await page.$$eval('[data-testid="segment-bar"]', (els) => els.map((e) => ({ type: e.getAttribute('data-type'), epoch: Number(e.getAttribute('data-epoch')) })));
  assert.deepEqual(bars, parentSegments.map((s) => ({ type: s.type, epoch: s.epoch })), 'segment bars');
  assert.ok(bars.some((b) => b.type === 'journal'), 'the delete after compaction shows as a JOURNAL bar');
  assert.match((await page.textContent('#compaction-note')) ?? '', new RegExp(`rewritten at epoch ${parentSegments[0]?.epoch}`));
  assert.match((await page.textContent('[data-testid="rows-text"]')) ?? '', /deleted or replaced 2 /, 'the two rows deleted since compaction');
  // Lineage: the child hangs under its parent.
  const childUnderParent = await page.$eval('[data-testid="lineage-node"][data-store="notes"]', (el) => el.closest('li')?.querySelector('ul [data-store="notes-child"]') !== null);
  assert.ok(childUnderParent, 'notes-child is not drawn under notes');

  // k-NN in the page matches Node.
  const q = queriesFor([...live.values()], 1, 92)[0] as number[];
  const got = await pageKnn(page, q);
  assertSameTopK(got.results, await nodeTopK(parentPath, q), 'inspector k-NN');
  assertBruteForce(got.results, live, q, 'inspector k-NN');

  // Read-only SQL goes through the server.
  const count = await pageQuery(page, 'sql', 'SELECT count(*) AS n, min(id) AS lo FROM vectors');
  assert.equal(count.error, '');
  assert.deepEqual(count.columns, ['n', 'lo']);
  assert.deepEqual(count.rows, [[String(live.size), String(Math.min(...live.keys()))]]);
  // Writes are refused, even though this server runs with --write.
  for (const [lang, text] of [
    ['sql', 'CREATE TABLE scratch (x INTEGER)'],
    ['sql', 'INSERT INTO scratch VALUES (1)'],
    ['cypher', "CREATE (n:Note {title: 'x'}) RETURN n"],
    ['sparql', 'INSERT DATA { <http://a> <http://b> <http://c> }'],
  ] as const) {
    const r = await pageQuery(page, lang, text);
    assert.match(r.error, /EREADONLY/, `${lang} write "${text}" was not refused: ${JSON.stringify(r)}`);
    // On a --write server "the server is read-only" would be false: the box is what only reads.
    assert.doesNotMatch(r.error, /server is read-only|start it with --write/, `${lang} refusal blames the server: ${r.error}`);
    assert.match(r.error, /the inspector's query box only reads: .+; change stores with the MCP tools rvlite_sql, rvlite_cypher and rvlite_sparql of a server started with --write, or with the rvf command line and --write\./, r.error);
  }
  // The browser logs each refused request (403) as a failed resource; nothing else may show.
  errors.splice(0, errors.length, ...errors.filter((e) => !/status of 403/.test(e)));
  const direct = await rawRequest(server.port, {
    method: 'POST',
    path: '/inspector/api/query',
    headers: { host: `127.0.0.1:${server.port}`, 'content-type': 'application/json' },
    body: JSON.stringify({ store: 'notes', lang: 'sql', query: 'CREATE TABLE scratch2 (x)' }),
  });
  assert.equal(direct.status, 403, direct.body);
  const directError = (JSON.parse(direct.body) as { error: { code: string; message: string } }).error;
  assert.equal(directError.code, 'EREADONLY');
  assert.match(directError.message, /^the inspector's query box only reads: .*rvlite_sql.*rvf command line and --write\.$/, directError.message);
  const tables = await pageQuery(page, 'sql', "SELECT name FROM sqlite_master WHERE name LIKE 'scratch%'");
  assert.equal(tables.error, '');
  assert.deepEqual(tables.rows, [], 'a refused write left a table behind');
  const reread = await RvfDatabase.openReadonly(parentPath);
  assert.equal((await reread.status()).epoch, parentStatus.epoch, 'the store got a commit from the inspector');
  await reread.close();

  // A person can look at it.
  await pageQuery(page, 'sql', 'SELECT id, metadata FROM vectors ORDER BY id LIMIT 5');
  mkdirSync(join(PACKAGE_ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(PACKAGE_ROOT, 'test-artifacts', 'inspector.png'), fullPage: true });
  assert.deepEqual(errors, [], 'the page logged errors');
  await server.stop();
});

test('the token: no or a wrong token gets 401 and no data; the page asks for it and works with the right one', async () => {
  const root = tempDir('rvf-insp-token-');
  const rows = randomRows(200, 101);
  const path = join(root, 'secret-store.rvf');
  await writeStore(path, [rows]);
  const server = await startHttpServer(['--root', root, '--token', TOKEN]);
  const host = `127.0.0.1:${server.port}`;

  const api: [string, string, string | undefined][] = [
    ['GET', '/inspector/api/stores', undefined],
    ['GET', '/inspector/api/stores/secret-store/bytes', undefined],
    ['POST', '/inspector/api/query', JSON.stringify({ store: 'secret-store', lang: 'sql', query: 'SELECT * FROM vectors' })],
  ];
  for (const auth of [undefined, 'Bearer wrong-token-wrong-token-00', `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`]) {
    for (const [method, p, body] of api) {
      const r = await rawRequest(server.port, { method, path: p, headers: { host, 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, ...(body ? { body } : {}) });
      assert.equal(r.status, 401, `${method} ${p} with ${auth ?? 'no token'}: ${r.status}`);
      assert.ok(!r.body.includes('secret-store') && !r.body.includes('RVFS') && !r.body.includes('"n":'), `${method} ${p} leaked data: ${r.body.slice(0, 200)}`);
    }
  }
  // The right token opens the API.
  const ok = await rawRequest(server.port, { path: '/inspector/api/stores', headers: { host, authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.equal((JSON.parse(ok.body) as { stores: { name: string; status: { totalVectors: number } }[] }).stores[0]?.status.totalVectors, rows.length);
  const bytes = await rawRequest(server.port, { path: '/inspector/api/stores/secret-store/bytes', headers: { host, authorization: `Bearer ${TOKEN}` } });
  assert.equal(bytes.status, 200);
  // The page itself loads without a token, but only under this server's Host; no file outside the bundle is served.
  assert.equal((await rawRequest(server.port, { path: '/', headers: { host } })).status, 200);
  assert.equal((await rawRequest(server.port, { path: '/', headers: { host: `evil.example:${server.port}` } })).status, 403);
  assert.equal((await rawRequest(server.port, { path: '/', headers: { host, origin: 'http://evil.example' } })).status, 403);
  for (const p of ['/inspector/../package.json', '/inspector/..%2f..%2fpackage.json', '/inspector/%2e%2e/%2e%2e/package.json', '/inspector/..%5c..%5cpackage.json']) {
    const r = await rawRequest(server.port, { path: p, headers: { host } });
    assert.ok(r.status === 404 || r.status === 401, `${p}: ${r.status}`);
    assert.ok(!r.body.includes('"devDependencies"'), `${p} served package.json`);
  }
  // Other paths keep the token gate.
  assert.equal((await rawRequest(server.port, { path: '/healthz', headers: { host } })).status, 401);

  // The page asks for the token, refuses a wrong one, and works with the right one.
  const { page, errors } = await openPage(server);
  await page.waitForSelector('#token-panel:not([hidden])');
  assert.equal(await page.$$eval('[data-testid="store-row"]', (r) => r.length), 0);
  await page.fill('#token-input', 'not-the-token-not-the-token');
  await page.click('#token-save');
  await page.waitForFunction(() => ((globalThis as unknown as PageScope).document.getElementById('token-message')?.textContent ?? '').includes('not accepted'));
  assert.equal(await page.$$eval('[data-testid="store-row"]', (r) => r.length), 0, 'a wrong token showed stores');
  await page.fill('#token-input', TOKEN);
  await page.click('#token-save');
  await waitReady(page);
  await selectStore(page, 'secret-store');
  const q = queriesFor(rows, 1, 102)[0] as number[];
  assertSameTopK((await pageKnn(page, q)).results, await nodeTopK(path, q), 'k-NN with the token');
  const sql = await pageQuery(page, 'sql', 'SELECT count(*) FROM vectors');
  assert.deepEqual(sql.rows, [[String(rows.length)]]);
  // The token stays in this tab: a reload needs no prompt.
  await page.reload();
  await waitReady(page);
  // Only the 401s of the wrong token are expected in the console.
  assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), [], 'the page logged errors');
  await server.stop();
});

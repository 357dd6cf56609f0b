/**
 * End-to-end tests of the HTTP transports: the real server process
 * (dist/server/main.js --transport http --port 0), driven by the SDK's real
 * Client over Streamable HTTP (/mcp) and legacy SSE (/sse + /messages), and by
 * raw HTTP requests for the gates (token, Host/Origin, body size).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { RvfDatabase } from '../store/index.ts';
import { READ_TOOLS, WRITE_TOOLS } from './helpers/mcp.ts';
import { rng } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';
import {
  assertMatchesBruteForce,
  bruteForce,
  callError,
  callOk,
  connectSse,
  connectStreamable,
  endpoint,
  initializeBody,
  MCP_POST_HEADERS,
  openRawSse,
  postInTwoSteps,
  rawRequest,
  spawnServer,
  startHttpServer,
  type HttpServerProcess,
  type Metric,
  type Row,
  waitFor,
} from './helpers/mcp-http.ts';
import type { StoreStatusOutput } from '../schemas/tools.ts';

const MAX_BODY = 64 * 1024 * 1024;
/** No test may hang the suite: each normally takes well under a second or two. */
const TEST_TIMEOUT = 30_000;

interface QueryResult {
  store: string;
  results: { id: number | string; distance: number; metadata: Record<string, unknown> | null }[];
}
type Status = StoreStatusOutput;

/** Seeded rows with ids [start, start + count) and a little metadata to filter on. */
function makeRows(start: number, count: number, dimensions: number, seed: number): Row[] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const id = start + i;
    return {
      id,
      vector: Array.from(Float32Array.from({ length: dimensions }, () => next() * 2 - 1)),
      metadata: { group: id % 4, tag: `t${id % 3}`, nested: { even: id % 2 === 0 } },
    };
  });
}

function makeQueries(count: number, dimensions: number, seed: number): number[][] {
  const next = rng(seed);
  return Array.from({ length: count }, () => Array.from(Float32Array.from({ length: dimensions }, () => next() * 2 - 1)));
}

/** Runs `queries` through rvf_query and checks each against brute force over `rows`. */
async function checkQueries(
  client: Client,
  store: string,
  rows: Map<number, Row>,
  queries: number[][],
  metric: Metric,
  k: number,
  label: string,
  filter?: { args: Record<string, unknown>; keep: (r: Row) => boolean },
): Promise<QueryResult[]> {
  const out: QueryResult[] = [];
  for (const [qi, q] of queries.entries()) {
    const r = await callOk<QueryResult>(client, 'rvf_query', { store, vector: q, k, ...(filter ? { filter: filter.args } : {}) });
    assert.equal(r.store, store);
    const want = bruteForce(rows.values(), q, k, metric, filter?.keep);
    assertMatchesBruteForce(r.results, want, rows, q, metric, `${label} q${qi}`);
    for (const hit of r.results) {
      assert.deepEqual(hit.metadata, rows.get(Number(hit.id))?.metadata ?? null, `${label} q${qi}: metadata of id ${hit.id}`);
    }
    out.push(r);
  }
  return out;
}

/** A JSON-RPC initialize padded with spaces to one byte over the 64 MiB limit. */
function oversizedBody(): Buffer {
  const padded = Buffer.alloc(MAX_BODY + 1, 0x20);
  Buffer.from(initializeBody()).copy(padded);
  return padded;
}

async function healthz(server: HttpServerProcess, headers: Record<string, string> = {}): Promise<{ status: string; sessions: number }> {
  const res = await fetch(endpoint(server, '/healthz'), { headers });
  assert.equal(res.status, 200, `healthz answered ${res.status}: ${await res.clone().text()}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return (await res.json()) as { status: string; sessions: number };
}

function lockFiles(root: string): string[] {
  return readdirSync(root).filter((f) => f.endsWith('.lock'));
}

function toolNames(list: { tools: { name: string }[] }): string[] {
  return list.tools.map((t) => t.name).sort();
}

// One writing server shared by most tests; each test uses its own store names.
// Started at the top level so that its after() cleanups run when the file ends.
const root = tempDir('rvf-http-');
const server: HttpServerProcess = await startHttpServer(['--write', '--root', root]);

test('http: the whole tool lifecycle over Streamable HTTP with --write', { timeout: TEST_TIMEOUT }, async () => {
  const { client } = await connectStreamable(server);
  assert.deepEqual(toolNames(await client.listTools()), [...READ_TOOLS, ...WRITE_TOOLS].sort());

  const dim = 16;
  const metric: Metric = 'l2';
  const store = 'life';
  const created = await callOk<Status>(client, 'rvf_create_store', { store, dimensions: dim, metric });
  assert.equal(created.store, store);
  assert.equal(created.file, 'life.rvf');
  assert.equal(created.dimensions, dim);
  assert.equal(created.metric, metric);
  assert.equal(created.totalVectors, 0);
  assert.equal(created.epoch, 0);
  assert.equal(created.readOnly, false);
  assert.equal(created.lineage, null);
  assert.ok(existsSync(join(root, 'life.rvf')), 'the store file is under the root');
  assert.ok(existsSync(join(root, 'life.rvf.lock')), 'the writing server holds the lease');
  assert.match(await callError(client, 'rvf_create_store', { store, dimensions: dim }), /^EEXIST/);

  // The default metric is cosine.
  const cos = await callOk<Status>(client, 'rvf_create_store', { store: 'life-cos', dimensions: 8 });
  assert.equal(cos.metric, 'cosine');

  // Ingest 300 rows.
  const rows = new Map<number, Row>();
  const first = makeRows(0, 300, dim, 11);
  for (const r of first) rows.set(r.id, r);
  const ing = await callOk<{ store: string; accepted: number; replaced: number; epoch: number }>(client, 'rvf_ingest', { store, entries: first });
  assert.deepEqual(ing, { store, accepted: 300, replaced: 0, epoch: 1 });

  const queries = makeQueries(6, dim, 99);
  await checkQueries(client, store, rows, queries, metric, 10, 'after ingest');
  await checkQueries(client, store, rows, queries.slice(0, 3), metric, 7, 'filtered', {
    args: { group: 2, 'nested.even': true },
    keep: (r) => r.metadata?.['group'] === 2 && (r.metadata?.['nested'] as { even: boolean }).even,
  });
  await checkQueries(client, store, rows, queries.slice(0, 2), metric, 300, 'k = all');

  let status = await callOk<Status>(client, 'rvf_status', { store });
  assert.equal(status.totalVectors, 300);
  assert.equal(status.epoch, 1);
  assert.equal(status.dimensions, dim);
  const fileSize1 = status.fileSizeBytes;
  assert.ok(fileSize1 > 300 * dim * 4, `file size ${fileSize1} holds the vectors`);

  // Replace 10 rows and add 5: the ids stay unique.
  const replacing = makeRows(290, 15, dim, 12);
  for (const r of replacing) rows.set(r.id, r);
  const ing2 = await callOk<{ accepted: number; replaced: number; epoch: number }>(client, 'rvf_ingest', { store, entries: replacing });
  assert.equal(ing2.accepted, 15);
  assert.equal(ing2.replaced, 10);
  assert.equal(ing2.epoch, 2);
  await checkQueries(client, store, rows, queries, metric, 10, 'after replace');

  const list = await callOk<{ root: string; stores: { store: string; open: boolean; dimensions: number; metric: string; totalVectors: number; epoch: number }[] }>(
    client,
    'rvf_list_stores',
  );
  assert.equal(list.root, realpathSync(root));
  const listed = list.stores.find((s) => s.store === store);
  assert.ok(listed, `rvf_list_stores lists ${store}: ${JSON.stringify(list.stores)}`);
  assert.deepEqual(
    { open: listed.open, dimensions: listed.dimensions, metric: listed.metric, totalVectors: listed.totalVectors, epoch: listed.epoch },
    { open: true, dimensions: dim, metric, totalVectors: 305, epoch: 2 },
  );
  assert.ok(list.stores.some((s) => s.store === 'life-cos'));

  // Delete by id (one id does not exist).
  const del = await callOk<{ deleted: number; epoch: number }>(client, 'rvf_delete', { store, ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 123456] });
  assert.equal(del.deleted, 10);
  assert.equal(del.epoch, 3);
  for (let i = 0; i < 10; i++) rows.delete(i);
  await checkQueries(client, store, rows, queries, metric, 10, 'after delete');

  // Delete by filter.
  const group3 = [...rows.values()].filter((r) => r.metadata?.['group'] === 3).length;
  const delf = await callOk<{ deleted: number; epoch: number }>(client, 'rvf_delete_filter', { store, filter: { group: 3 } });
  assert.equal(delf.deleted, group3);
  assert.equal(delf.epoch, 4);
  for (const [id, r] of rows) if (r.metadata?.['group'] === 3) rows.delete(id);
  const afterFilter = await checkQueries(client, store, rows, queries, metric, 20, 'after delete_filter');
  assert.ok(afterFilter.every((r) => r.results.every((h) => h.metadata?.['group'] !== 3)));
  assert.match(await callError(client, 'rvf_delete_filter', { store, filter: {} }), /^E[A-Z]+/, 'an empty filter is refused');

  status = await callOk<Status>(client, 'rvf_status', { store });
  assert.equal(status.totalVectors, rows.size);
  assert.equal(status.epoch, 4);
  assert.ok(status.deadSpaceRatio > 0, `dead space after deletes: ${status.deadSpaceRatio}`);

  // Segments: the log of commits, in file order.
  const segs = await callOk<{ store: string; segments: { id: number; type: string; offset: number; payloadLength: number; epoch: number }[] }>(
    client,
    'rvf_segments',
    { store },
  );
  assert.equal(segs.segments.length, status.totalSegments);
  const types = new Set(segs.segments.map((s) => s.type));
  for (const t of ['profile', 'manifest', 'vec', 'meta', 'journal']) assert.ok(types.has(t), `segment types ${[...types].join(',')} include ${t}`);
  assert.equal(segs.segments.filter((s) => s.type === 'manifest').length, 5, 'one manifest per commit, epochs 0..4');
  assert.equal(Math.max(...segs.segments.map((s) => s.epoch)), 4);
  for (let i = 1; i < segs.segments.length; i++) {
    const a = segs.segments[i - 1]!;
    const b = segs.segments[i]!;
    assert.ok(b.offset >= a.offset + 64 + a.payloadLength, `segment ${i} at ${b.offset} overlaps the previous one`);
  }

  // Derive a child: same answers, lineage pointing at the parent.
  const derived = await callOk<{ child: string; totalVectors: number; epoch: number; lineage: NonNullable<Status['lineage']> }>(client, 'rvf_derive', {
    store,
    child: 'life-child',
  });
  assert.equal(derived.child, 'life-child');
  assert.equal(derived.totalVectors, rows.size);
  assert.equal(derived.lineage.parentPath, 'life.rvf');
  assert.equal(derived.lineage.parentEpoch, 4);
  assert.equal(derived.lineage.parentFileId, status.fileId);
  assert.equal(derived.lineage.depth, 1);
  assert.match(derived.lineage.parentHash, /^[0-9a-f]{64}$/);
  const childStatus = await callOk<Status>(client, 'rvf_status', { store: 'life-child' });
  assert.equal(childStatus.totalVectors, rows.size);
  assert.ok(childStatus.lineage, 'the child records its lineage');
  assert.equal(childStatus.lineage.parentFileId, status.fileId);
  await checkQueries(client, 'life-child', rows, queries.slice(0, 3), metric, 10, 'derived child');

  // Compact: answers unchanged, dead space gone, one more epoch.
  const compacted = await callOk<{ segmentsCompacted: number; bytesReclaimed: number; epoch: number }>(client, 'rvf_compact', { store });
  assert.equal(compacted.epoch, 5);
  assert.ok(compacted.bytesReclaimed > 0, `compaction after deletes reclaims bytes: ${JSON.stringify(compacted)}`);
  status = await callOk<Status>(client, 'rvf_status', { store });
  assert.equal(status.epoch, 5);
  assert.equal(status.totalVectors, rows.size);
  assert.equal(status.deadSpaceRatio, 0);
  await checkQueries(client, store, rows, queries, metric, 10, 'after compact');

  // Export: a standalone copy under the root, answering the same.
  const exported = await callOk<{ target: string; totalVectors: number; fileSizeBytes: number }>(client, 'rvf_export', { store, target: 'life-copy' });
  assert.equal(exported.target, 'life-copy');
  assert.equal(exported.totalVectors, rows.size);
  assert.ok(existsSync(join(root, 'life-copy.rvf')));
  await checkQueries(client, 'life-copy', rows, queries.slice(0, 3), metric, 10, 'export');
  assert.match(await callError(client, 'rvf_export', { store, target: 'life-copy' }), /^EEXIST/);

  // Errors stay tool errors.
  const edim = await callError(client, 'rvf_query', { store, vector: [1, 2, 3], k: 3 });
  assert.match(edim, /^EDIM/);
  assert.match(edim, /16/);
  assert.match(edim, /\b3\b/);
  assert.match(await callError(client, 'rvf_query', { store: 'lifee', vector: queries[0], k: 3 }), /^ENOENT.*life/);

  // Close releases the lease; the next call opens it again.
  assert.deepEqual(await callOk(client, 'rvf_close_store', { store }), { store, closed: true });
  assert.ok(!existsSync(join(root, 'life.rvf.lock')), 'closing releases the lease');
  assert.deepEqual(await callOk(client, 'rvf_close_store', { store }), { store, closed: false });
  const reopened = await callOk<Status>(client, 'rvf_open_store', { store });
  assert.equal(reopened.totalVectors, rows.size);
  assert.equal(reopened.epoch, 5);
  assert.ok(existsSync(join(root, 'life.rvf.lock')), 'opening takes the lease again');
  await checkQueries(client, store, rows, queries.slice(0, 2), metric, 10, 'after close and open');

  // The cosine store answers cosine distances.
  const cosRows = new Map<number, Row>();
  for (const r of makeRows(1000, 50, 8, 21)) cosRows.set(r.id, r);
  await callOk(client, 'rvf_ingest', { store: 'life-cos', entries: [...cosRows.values()] });
  await checkQueries(client, 'life-cos', cosRows, makeQueries(3, 8, 22), 'cosine', 5, 'cosine store');
  assert.equal(server.stdout(), '', 'the HTTP server writes nothing to stdout');
});

test('http: two Streamable HTTP sessions get separate servers but share the stores; DELETE ends a session', { timeout: TEST_TIMEOUT }, async () => {
  const base = (await healthz(server)).sessions;
  const a = await connectStreamable(server, {}, 'client-a');
  const b = await connectStreamable(server, {}, 'client-b');
  const idA = a.transport.sessionId;
  const idB = b.transport.sessionId;
  assert.ok(idA && idB, 'both sessions have ids');
  assert.notEqual(idA, idB, 'each session is its own');
  assert.equal((await healthz(server)).sessions, base + 2);

  const dim = 8;
  const rows = new Map<number, Row>();
  await callOk(a.client, 'rvf_create_store', { store: 'shared', dimensions: dim, metric: 'dotproduct' });
  for (const r of makeRows(0, 100, dim, 31)) rows.set(r.id, r);
  await callOk(a.client, 'rvf_ingest', { store: 'shared', entries: [...rows.values()] });
  const queries = makeQueries(3, dim, 32);
  // A write in session A is visible in session B, and the other way round.
  await checkQueries(b.client, 'shared', rows, queries, 'dotproduct', 10, 'B sees A');
  const more = makeRows(100, 40, dim, 33);
  for (const r of more) rows.set(r.id, r);
  const ingB = await callOk<{ epoch: number }>(b.client, 'rvf_ingest', { store: 'shared', entries: more });
  assert.equal(ingB.epoch, 2, 'one store, one epoch sequence for both sessions');
  await checkQueries(a.client, 'shared', rows, queries, 'dotproduct', 10, 'A sees B');
  // Both sessions use the same open store: one lease, no ELOCK between sessions.
  assert.deepEqual(lockFiles(root).filter((f) => f.startsWith('shared.')), ['shared.rvf.lock']);

  // Concurrent calls from both sessions.
  const parallel = await Promise.all(
    queries.flatMap((q) => [a.client, b.client].map((c) => callOk<QueryResult>(c, 'rvf_query', { store: 'shared', vector: q, k: 5 }))),
  );
  for (let i = 0; i < parallel.length; i += 2) assert.deepEqual(parallel[i]!.results, parallel[i + 1]!.results);

  // End session A with DELETE /mcp.
  await a.transport.terminateSession();
  assert.equal(a.transport.sessionId, undefined);
  assert.equal((await healthz(server)).sessions, base + 1, 'the terminated session is gone');
  const stale = await rawRequest(server.port, {
    method: 'POST',
    path: '/mcp',
    headers: { ...MCP_POST_HEADERS, host: `127.0.0.1:${server.port}`, 'mcp-session-id': idA, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list', params: {} }),
  });
  assert.equal(stale.status, 404, `a request on the terminated session: ${stale.status} ${stale.body}`);
  await a.client.close();

  // B is untouched, and a new session starts.
  await checkQueries(b.client, 'shared', rows, queries.slice(0, 1), 'dotproduct', 10, 'B after A ended');
  const c = await connectStreamable(server, {}, 'client-c');
  assert.ok(c.transport.sessionId);
  assert.notEqual(c.transport.sessionId, idA);
  assert.notEqual(c.transport.sessionId, idB);
  await checkQueries(c.client, 'shared', rows, queries, 'dotproduct', 10, 'new session C');
  assert.equal((await healthz(server)).sessions, base + 2);
  await c.transport.terminateSession();
  await b.transport.terminateSession();
  assert.equal((await healthz(server)).sessions, base);
});

test('http: an old-style SSE client lists the tools and runs a query', { timeout: TEST_TIMEOUT }, async () => {
  const dim = 12;
  const rows = new Map<number, Row>();
  for (const r of makeRows(0, 80, dim, 41)) rows.set(r.id, r);
  const { client: writer } = await connectStreamable(server);
  await callOk(writer, 'rvf_create_store', { store: 'sse-store', dimensions: dim, metric: 'l2' });
  await callOk(writer, 'rvf_ingest', { store: 'sse-store', entries: [...rows.values()] });

  const before = (await healthz(server)).sessions;
  const { client, transport } = await connectSse(server);
  assert.equal((await healthz(server)).sessions, before + 1, 'the SSE session counts');
  assert.deepEqual(toolNames(await client.listTools()), [...READ_TOOLS, ...WRITE_TOOLS].sort());
  const queries = makeQueries(3, dim, 42);
  await checkQueries(client, 'sse-store', rows, queries, 'l2', 8, 'SSE query');
  await checkQueries(client, 'sse-store', rows, queries.slice(0, 1), 'l2', 8, 'SSE filtered', {
    args: { tag: { $in: ['t0', 't2'] } },
    keep: (r) => r.metadata?.['tag'] === 't0' || r.metadata?.['tag'] === 't2',
  });
  // A write over SSE is seen by the Streamable HTTP session.
  const extra = makeRows(500, 5, dim, 43);
  for (const r of extra) rows.set(r.id, r);
  await callOk(client, 'rvf_ingest', { store: 'sse-store', entries: extra });
  await checkQueries(writer, 'sse-store', rows, queries.slice(0, 1), 'l2', 8, 'Streamable sees SSE write');

  // A POST to /messages for a session that does not exist is a 404.
  const unknown = await rawRequest(server.port, {
    method: 'POST',
    path: '/messages?sessionId=00000000-0000-0000-0000-000000000000',
    headers: { 'content-type': 'application/json', host: `127.0.0.1:${server.port}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(unknown.status, 404);
  // Closing the SSE stream ends the session on the server.
  await transport.close();
  await waitFor(async () => (await healthz(server)).sessions === before, 'the SSE session to end after the client closed');
});

test('http: --token requires Authorization: Bearer on every request', { timeout: TEST_TIMEOUT }, async () => {
  const token = 'sixteen-plus-chars-token-0123';
  const tRoot = tempDir('rvf-http-token-');
  const t = await startHttpServer(['--write', '--root', tRoot, '--token', token]);

  const init = { method: 'POST', headers: { ...MCP_POST_HEADERS }, body: initializeBody() };
  const variants: [string, Record<string, string>][] = [
    ['no Authorization', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${token.slice(0, -1)}X` }],
    ['a prefix of the token', { authorization: `Bearer ${token.slice(0, 16)}` }],
    ['the token plus a suffix', { authorization: `Bearer ${token}x` }],
    ['the token without "Bearer"', { authorization: token }],
    ['Basic auth', { authorization: `Basic ${Buffer.from(`user:${token}`).toString('base64')}` }],
  ];
  for (const [label, headers] of variants) {
    const res = await fetch(t.url, { ...init, headers: { ...init.headers, ...headers } });
    assert.equal(res.status, 401, `${label}: POST /mcp answered ${res.status}`);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, `${label}: WWW-Authenticate`);
    const body = (await res.json()) as { jsonrpc: string; error: { code: number; message: string } };
    assert.equal(body.jsonrpc, '2.0');
    assert.match(body.error.message, /token/);
  }
  for (const path of ['/healthz', '/sse']) {
    const res = await fetch(endpoint(t, path));
    assert.equal(res.status, 401, `GET ${path} without a token answered ${res.status}`);
    await res.arrayBuffer();
  }
  assert.equal(t.stderr().includes(token), false, 'the token is never logged');

  // The SDK Client with the right header works; with a wrong one it cannot connect.
  const auth = { Authorization: `Bearer ${token}` };
  assert.equal((await healthz(t, auth)).status, 'ok');
  const { client } = await connectStreamable(t, auth);
  assert.deepEqual(toolNames(await client.listTools()), [...READ_TOOLS, ...WRITE_TOOLS].sort());
  const rows = new Map<number, Row>();
  for (const r of makeRows(0, 30, 4, 51)) rows.set(r.id, r);
  await callOk(client, 'rvf_create_store', { store: 'tok', dimensions: 4, metric: 'l2' });
  await callOk(client, 'rvf_ingest', { store: 'tok', entries: [...rows.values()] });
  await checkQueries(client, 'tok', rows, makeQueries(2, 4, 52), 'l2', 5, 'with token');
  const { client: sse } = await connectSse(t, auth);
  await checkQueries(sse, 'tok', rows, makeQueries(1, 4, 53), 'l2', 5, 'SSE with token');
  await assert.rejects(connectStreamable(t, { Authorization: `Bearer ${'x'.repeat(token.length)}` }), 'a wrong token cannot connect');

  const exit = await t.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
});

test('http: a token shorter than 16 characters is refused at start', { timeout: TEST_TIMEOUT }, async () => {
  const p = spawnServer(['--transport', 'http', '--port', '0', '--root', tempDir('rvf-http-short-'), '--token', 'too-short']);
  const exit = await p.exited;
  assert.notEqual(exit.code, 0);
  assert.match(p.out.stderr, /--token must be at least 16 characters/);
  assert.doesNotMatch(p.out.stderr, /listening on/);
});

test('http: a non-loopback bind needs a token', { timeout: TEST_TIMEOUT }, async () => {
  const nRoot = tempDir('rvf-http-wild-');
  // Refused before binding, so addresses this machine does not have are refused the same way.
  await Promise.all(
    ['0.0.0.0', '::', '10.11.12.13'].map(async (host) => {
      const refused = spawnServer(['--transport', 'http', '--host', host, '--port', '0', '--root', nRoot, '--write']);
      const exit = await refused.exited;
      assert.notEqual(exit.code, 0, `--host ${host}: refused with a non-zero exit`);
      assert.equal(exit.signal, null);
      assert.ok(refused.out.stderr.includes(`refusing to listen on ${host} without a token`), `--host ${host}: ${refused.out.stderr}`);
      assert.match(refused.out.stderr, /--token/, 'the explanation says what to do');
      assert.doesNotMatch(refused.out.stderr, /listening on/);
    }),
  );
  // The token may come from RVF_MCP_TOKEN instead of --token.
  const fromEnv = await startHttpServer(['--host', '0.0.0.0', '--root', nRoot], { RVF_MCP_TOKEN: 'token-from-the-environment' });
  const envCheck = await fetch(`http://127.0.0.1:${fromEnv.port}/healthz`, { headers: { authorization: 'Bearer token-from-the-environment' } });
  assert.equal(envCheck.status, 200);
  await envCheck.arrayBuffer();
  assert.deepEqual(await fromEnv.stop(), { code: 0, signal: null });

  const token = 'wildcard-bind-token-abcdef';
  const w = await startHttpServer(['--host', '0.0.0.0', '--root', nRoot, '--token', token]);
  assert.equal(w.host, '0.0.0.0');
  const local = new URL(`http://127.0.0.1:${w.port}/mcp`);
  const noToken = await fetch(new URL('/healthz', local));
  assert.equal(noToken.status, 401);
  await noToken.arrayBuffer();
  const res = await fetch(new URL('/healthz', local), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  // It is usable by a real client, not just listening.
  const { client } = await connectStreamable(local, { Authorization: `Bearer ${token}` });
  assert.deepEqual(toolNames(await client.listTools()), READ_TOOLS);
  await client.close();
  assert.deepEqual(await w.stop(), { code: 0, signal: null });
});

test('http: a port already in use is refused at start with an explanation and a non-zero exit', { timeout: TEST_TIMEOUT }, async () => {
  // The shared server holds its port; a second server asks for the same one.
  const taken = spawnServer(['--transport', 'http', '--port', String(server.port), '--root', tempDir('rvf-http-port-')]);
  const exit = await taken.exited;
  assert.match(taken.out.stderr, /EADDRINUSE|in use/, `stderr: ${taken.out.stderr}`);
  assert.ok(taken.out.stderr.includes(String(server.port)), 'the message names the port');
  assert.doesNotMatch(taken.out.stderr, /listening on/);
  assert.notEqual(exit.code, 0, `a server that could not listen exited ${exit.code}; stderr:\n${taken.out.stderr}`);
  // The server that holds the port is unaffected.
  assert.equal((await healthz(server)).status, 'ok');
});

test('http: a wrong Host or a foreign Origin is refused; the right Host works; /healthz answers JSON', { timeout: TEST_TIMEOUT }, async () => {
  const port = server.port;
  const health = await healthz(server);
  assert.equal(health.status, 'ok');
  assert.equal(typeof health.sessions, 'number');

  for (const host of [`evil.example:${port}`, `evil.example`, `127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}`, `127.0.0.1.evil.example:${port}`]) {
    for (const req of [
      { method: 'GET', path: '/healthz' },
      { method: 'POST', path: '/mcp', body: initializeBody(), headers: MCP_POST_HEADERS },
      { method: 'GET', path: '/sse' },
    ]) {
      const res = await rawRequest(port, { method: req.method, path: req.path, headers: { ...(req.headers ?? {}), host: host }, ...(req.body ? { body: req.body } : {}) });
      assert.equal(res.status, 403, `Host ${JSON.stringify(host)} ${req.method} ${req.path}: ${res.status} ${res.body}`);
      const body = JSON.parse(res.body) as { error: { message: string } };
      assert.match(body.error.message, /Host/);
    }
  }
  // No Host header at all: refused (node's parser answers 400 before the handler, or the handler 403).
  const noHost = await rawRequest(port, { path: '/healthz', setHost: false });
  assert.ok(noHost.status === 400 || noHost.status === 403, `no Host header: ${noHost.status} ${noHost.body}`);
  for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'https://attacker.test:443', 'not a url']) {
    const res = await rawRequest(port, {
      method: 'POST',
      path: '/mcp',
      headers: { ...MCP_POST_HEADERS, host: `127.0.0.1:${port}`, origin },
      body: initializeBody(),
    });
    assert.equal(res.status, 403, `Origin ${origin}: ${res.status} ${res.body}`);
  }
  // The right Host (and the loopback aliases, and a matching Origin) pass.
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
    const res = await rawRequest(port, { path: '/healthz', headers: { host } });
    assert.equal(res.status, 200, `Host ${host}: ${res.status} ${res.body}`);
    assert.equal((JSON.parse(res.body) as { status: string }).status, 'ok');
  }
  const sameOrigin = await rawRequest(port, { path: '/healthz', headers: { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` } });
  assert.equal(sameOrigin.status, 200);
  // A raw initialize with the right Host starts a session.
  const ok = await rawRequest(port, { method: 'POST', path: '/mcp', headers: { ...MCP_POST_HEADERS, host: `127.0.0.1:${port}` }, body: initializeBody() });
  assert.equal(ok.status, 200, `initialize with the right Host: ${ok.status} ${ok.body}`);
  const sid = ok.headers['mcp-session-id'];
  assert.equal(typeof sid, 'string');
  const del = await rawRequest(port, { method: 'DELETE', path: '/mcp', headers: { host: `127.0.0.1:${port}`, 'mcp-session-id': sid as string, 'mcp-protocol-version': '2025-06-18' } });
  assert.equal(del.status, 200, `DELETE /mcp: ${del.status} ${del.body}`);
  const notFound = await rawRequest(port, { path: '/nope', headers: { host: `127.0.0.1:${port}` } });
  assert.equal(notFound.status, 404);
});

test('http: a body over 64 MiB gets 413 with a JSON-RPC error and the server keeps serving; a non-JSON body gets 400', { timeout: TEST_TIMEOUT }, async () => {
  const port = server.port;
  const host = `127.0.0.1:${port}`;
  const { client } = await connectStreamable(server);
  const rows = new Map<number, Row>();
  for (const r of makeRows(0, 40, 6, 61)) rows.set(r.id, r);
  await callOk(client, 'rvf_create_store', { store: 'big-body', dimensions: 6, metric: 'l2' });
  await callOk(client, 'rvf_ingest', { store: 'big-body', entries: [...rows.values()] });

  const check413 = (label: string, res: { status: number; body: string }): void => {
    assert.equal(res.status, 413, `${label}: ${res.status} ${res.body.slice(0, 200)}`);
    const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number; message: string }; id: unknown };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(typeof body.error.code, 'number');
    assert.match(body.error.message, /limit/);
    assert.equal(body.id, null);
  };
  // A declared length over the limit (a valid-looking JSON body, padded), on a
  // keep-alive connection as fetch and the SDK clients send it.
  const padded = oversizedBody();
  const keepAlive = { ...MCP_POST_HEADERS, host, connection: 'keep-alive' };
  check413('content-length', await rawRequest(port, { method: 'POST', path: '/mcp', headers: keepAlive, body: padded }));
  // The same through fetch, on the session's own endpoint.
  const viaFetch = await fetch(server.url, { method: 'POST', headers: { ...MCP_POST_HEADERS }, body: padded });
  check413('fetch', { status: viaFetch.status, body: await viaFetch.text() });
  // Chunked, with no declared length: the server must count.
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const chunks = Array.from({ length: 64 }, () => chunk);
  chunks.push(Buffer.from(' '));
  check413('chunked', await rawRequest(port, { method: 'POST', path: '/mcp', headers: { ...keepAlive, 'transfer-encoding': 'chunked' }, body: chunks }));

  // The legacy POST /messages has the same limit.
  const raw = await openRawSse(port);
  try {
    assert.match(raw.path, /^\/messages\?sessionId=/);
    check413('legacy /messages', await rawRequest(port, { method: 'POST', path: raw.path, headers: { 'content-type': 'application/json', host, connection: 'keep-alive' }, body: padded }));
    const bad = await rawRequest(port, { method: 'POST', path: raw.path, headers: { 'content-type': 'application/json', host }, body: 'not json' });
    assert.equal(bad.status, 400, `legacy /messages, not JSON: ${bad.status} ${bad.body}`);
    assert.equal((JSON.parse(bad.body) as { error: { code: number } }).error.code, -32700, 'a parse error is JSON-RPC\'s -32700');
    // a batch, or a JSON value that is no message: a JSON-RPC error, not the SDK's plain-text "Invalid message: [object Object]"
    for (const body of ['[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]', '7']) {
      const refused = await rawRequest(port, { method: 'POST', path: raw.path, headers: { 'content-type': 'application/json', host }, body });
      assert.equal(refused.status, 400, body);
      const error = (JSON.parse(refused.body) as { error: { code: number; message: string } }).error;
      assert.equal(error.code, -32600, body);
      assert.match(error.message, /one JSON-RPC message object per POST/, body);
    }
  } finally {
    raw.close();
  }

  // Still serving: healthz and a query on the existing session.
  assert.equal((await healthz(server)).status, 'ok');
  await checkQueries(client, 'big-body', rows, makeQueries(2, 6, 62), 'l2', 5, 'after 413');

  // Not JSON.
  const notJson = await rawRequest(port, { method: 'POST', path: '/mcp', headers: { ...MCP_POST_HEADERS, host }, body: '{"jsonrpc": "2.0", "id": 1, "method": ' });
  assert.equal(notJson.status, 400, `not JSON: ${notJson.status} ${notJson.body}`);
  const err = JSON.parse(notJson.body) as { jsonrpc: string; error: { code: number; message: string } };
  assert.equal(err.jsonrpc, '2.0');
  assert.match(err.error.message, /JSON/);
  assert.equal(err.error.code, -32700);
  await checkQueries(client, 'big-body', rows, makeQueries(1, 6, 63), 'l2', 5, 'after 400');
});

test('http: an early 413 on a Connection: close request does not reset the connection under the client', { timeout: TEST_TIMEOUT }, async () => {
  // server/http.ts means the client to get the 413 "instead of a reset
  // connection". For a declared Content-Length over the limit it answers before
  // reading the body; on a Connection: close request the server must then keep
  // reading (a lingering close, RFC 9112 9.6) or the client, still sending, gets
  // EPIPE/ECONNRESET and may lose the answer. Sent in two steps so that the
  // outcome does not depend on timing.
  const port = server.port;
  const headers: Record<string, string> = { ...MCP_POST_HEADERS, host: `127.0.0.1:${port}`, connection: 'close' };
  const r = await postInTwoSteps(port, '/mcp', headers, oversizedBody());
  assert.equal(r.status, 413, `answer: ${JSON.stringify(r)}`);
  assert.match(r.response, /"jsonrpc":"2\.0"/);
  assert.equal(r.sendError, undefined, `the server reset the connection while the client was still sending the body (early answer: ${r.earlyAnswer}): ${r.sendError}`);
  assert.equal((await healthz(server)).status, 'ok', 'the server is still serving');
});

test('http: without --write only the six read tools are listed, and reads see the writer\'s commits', { timeout: TEST_TIMEOUT }, async () => {
  // A read-only server on the same root as the writing server runs beside it.
  const ro = await startHttpServer(['--root', root]);
  const { client: reader } = await connectStreamable(ro);
  assert.deepEqual(toolNames(await reader.listTools()), READ_TOOLS);
  const { client: sse } = await connectSse(ro);
  assert.deepEqual(toolNames(await sse.listTools()), READ_TOOLS);

  const { client: writer } = await connectStreamable(server);
  const rows = new Map<number, Row>();
  for (const r of makeRows(0, 60, 5, 71)) rows.set(r.id, r);
  await callOk(writer, 'rvf_create_store', { store: 'ro-view', dimensions: 5, metric: 'l2' });
  await callOk(writer, 'rvf_ingest', { store: 'ro-view', entries: [...rows.values()] });
  const queries = makeQueries(2, 5, 72);
  await checkQueries(reader, 'ro-view', rows, queries, 'l2', 6, 'read-only server');
  const st = await callOk<Status>(reader, 'rvf_status', { store: 'ro-view' });
  assert.equal(st.readOnly, true);
  assert.equal(st.epoch, 1);
  // A new commit by the writer is seen by the next read.
  const more = makeRows(60, 10, 5, 73);
  for (const r of more) rows.set(r.id, r);
  await callOk(writer, 'rvf_ingest', { store: 'ro-view', entries: more });
  await checkQueries(reader, 'ro-view', rows, queries, 'l2', 6, 'read-only after a new commit');

  // Write tools do not exist here.
  const attempt = await reader.callTool({ name: 'rvf_ingest', arguments: { store: 'ro-view', entries: more } }).then(
    (r) => r as { isError?: boolean },
    (e: unknown) => ({ thrown: e }),
  );
  assert.ok('thrown' in attempt || attempt.isError === true, `rvf_ingest on a read-only server: ${JSON.stringify(attempt)}`);
  assert.deepEqual(lockFiles(root).filter((f) => f.startsWith('ro-view')), ['ro-view.rvf.lock'], 'only the writer holds a lease');
  assert.deepEqual(await ro.stop(), { code: 0, signal: null });
  assert.ok(existsSync(join(root, 'ro-view.rvf.lock')), "the reader's exit leaves the writer's lease alone");
});

test('http: SIGTERM stops the server with exit 0 and releases the leases', { timeout: TEST_TIMEOUT }, async () => {
  const sRoot = tempDir('rvf-http-term-');
  const s = await startHttpServer(['--write', '--root', sRoot]);
  const { client } = await connectStreamable(s);
  const { client: sse } = await connectSse(s);
  const rows = makeRows(0, 50, 4, 81);
  await callOk(client, 'rvf_create_store', { store: 'one', dimensions: 4, metric: 'l2' });
  await callOk(client, 'rvf_ingest', { store: 'one', entries: rows });
  await callOk(sse, 'rvf_create_store', { store: 'two', dimensions: 4 });
  await callOk(sse, 'rvf_ingest', { store: 'two', entries: rows.slice(0, 20) });
  assert.deepEqual(lockFiles(sRoot).sort(), ['one.rvf.lock', 'two.rvf.lock']);

  // Two sessions still connected (one an open SSE stream) must not hold up the exit.
  const exit = await s.stop('SIGTERM', 10_000);
  assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM; stderr:\n${s.stderr()}`);
  assert.deepEqual(lockFiles(sRoot), [], 'every lease is released');
  assert.match(s.stderr(), /shutting down \(SIGTERM\)/);
  assert.equal(s.stdout(), '');
  // The stores are intact and another writer can take them now.
  const one = await RvfDatabase.open(join(sRoot, 'one.rvf'));
  assert.equal((await one.status()).totalVectors, 50);
  await one.close();
  const two = await RvfDatabase.open(join(sRoot, 'two.rvf'));
  assert.equal((await two.status()).totalVectors, 20);
  await two.close();
});

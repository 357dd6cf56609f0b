/**
 * HTTP sessions and bodies (issue 11, section 2), against the real server
 * process (dist/server/main.js --transport http) with real HTTP requests:
 * - --max-sessions caps the sessions (Streamable HTTP and legacy SSE together);
 * - --session-idle-timeout closes idle sessions, not busy ones;
 * - a refused initialize leaves no session and no memory behind;
 * - bodies are checked (method, session, content type) before they are read,
 *   and the bytes being read at once are bounded across all requests;
 * - Origin: null is refused; the Bearer scheme and Host in any case pass;
 * - each session gets the logs of its own calls only, never a stack trace.
 * Memory is read from /proc/<pid>/status of the server child.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { CAN_READ_PROCESS_MEMORY, peakRssMiB, rssMiB } from './helpers/process-memory.ts';
import { tempDir } from './helpers/temp.ts';
import {
  callError,
  callOk,
  connectStreamable,
  initializeBody,
  MCP_POST_HEADERS,
  openRawSse,
  rawRequest,
  spawnServer,
  startHttpServer,
  type HttpServerProcess,
  type RawResponse,
  waitFor,
} from './helpers/mcp-http.ts';

const TEST_TIMEOUT = 120_000;
const MiB = 1024 * 1024;

async function sessions(server: HttpServerProcess): Promise<number> {
  const res = await rawRequest(server.port, { path: '/healthz', headers: { host: `127.0.0.1:${server.port}` } });
  assert.equal(res.status, 200, `healthz: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { sessions: number }).sessions;
}

/** A raw initialize (Accept as a client sends it unless told otherwise); the answer and its session id. */
async function initialize(server: HttpServerProcess, headers: Record<string, string> = {}): Promise<RawResponse & { sessionId: string | undefined }> {
  const res = await rawRequest(server.port, {
    method: 'POST',
    path: '/mcp',
    headers: { ...MCP_POST_HEADERS, host: `127.0.0.1:${server.port}`, ...headers },
    body: initializeBody(),
  });
  const id = res.headers['mcp-session-id'];
  return { ...res, sessionId: typeof id === 'string' ? id : undefined };
}

function jsonRpcError(res: RawResponse): { code: number; message: string } {
  const body = JSON.parse(res.body) as { jsonrpc: string; error: { code: number; message: string }; id: unknown };
  assert.equal(body.jsonrpc, '2.0', `not a JSON-RPC error: ${res.body}`);
  return body.error;
}

/** A JSON-RPC initialize padded with spaces to `bytes`. */
function paddedInitialize(bytes: number): Buffer {
  const padded = Buffer.alloc(bytes, 0x20);
  Buffer.from(initializeBody()).copy(padded);
  return padded;
}

test('flags: --help shows --max-sessions (default 100) and --session-idle-timeout (default 1800); bad values are refused at start', { timeout: TEST_TIMEOUT }, async () => {
  const help = spawnServer(['--help']);
  assert.equal((await help.exited).code, 0);
  assert.match(help.out.stdout, /--max-sessions N\s+.*default 100\b/);
  assert.match(help.out.stdout, /--session-idle-timeout SECONDS\s+.*default 1800\b/);
  for (const [flag, value] of [['--max-sessions', '0'], ['--max-sessions', 'many'], ['--session-idle-timeout', '0'], ['--session-idle-timeout', '1.5']] as const) {
    const p = spawnServer(['--transport', 'http', '--port', '0', '--root', tempDir('rvf-hard-flag-'), flag, value]);
    const exit = await p.exited;
    assert.equal(exit.code, 2, `${flag} ${value}: exit ${exit.code}; stderr: ${p.out.stderr}`);
    assert.ok(p.out.stderr.includes(flag), `${flag} ${value}: the refusal names the flag: ${p.out.stderr}`);
    assert.doesNotMatch(p.out.stderr, /listening on/);
  }
});

test('--max-sessions: past the cap an initialize gets 503 naming the flag; legacy SSE sessions count; a freed slot is usable', { timeout: TEST_TIMEOUT }, async () => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-cap-'), '--max-sessions', '2']);
  const host = `127.0.0.1:${s.port}`;
  const a = await initialize(s);
  const b = await initialize(s);
  assert.equal(a.status, 200, a.body);
  assert.equal(b.status, 200, b.body);
  assert.equal(await sessions(s), 2);

  const refused = await initialize(s);
  assert.equal(refused.status, 503, `third initialize: ${refused.status} ${refused.body}`);
  assert.equal(refused.sessionId, undefined);
  assert.match(jsonRpcError(refused).message, /--max-sessions/);
  const sse = await rawRequest(s.port, { path: '/sse', headers: { host, accept: 'text/event-stream' } });
  assert.equal(sse.status, 503, `GET /sse at the cap: ${sse.status} ${sse.body}`);
  assert.match(jsonRpcError(sse).message, /--max-sessions/);
  assert.equal(await sessions(s), 2, 'refusals leave no session');

  // Free one slot: a legacy SSE session takes it and counts toward the cap.
  const del = await rawRequest(s.port, { method: 'DELETE', path: '/mcp', headers: { host, 'mcp-session-id': a.sessionId ?? '', 'mcp-protocol-version': '2025-06-18' } });
  assert.equal(del.status, 200, `DELETE: ${del.status} ${del.body}`);
  assert.equal(await sessions(s), 1);
  const legacy = await openRawSse(s.port);
  assert.equal(await sessions(s), 2);
  assert.equal((await initialize(s)).status, 503, 'the SSE session counts toward the cap');
  legacy.close();
  await waitFor(async () => (await sessions(s)) === 1, 'the closed SSE session to be dropped');
  const c = await initialize(s);
  assert.equal(c.status, 200, `initialize in the freed slot: ${c.status} ${c.body}`);
  assert.equal(await sessions(s), 2);
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('--session-idle-timeout: idle sessions close (Streamable, legacy SSE, an open GET stream without traffic); a call in flight is not cut', { timeout: TEST_TIMEOUT }, async () => {
  const s = await startHttpServer(['--write', '--root', tempDir('rvf-hard-idle-'), '--session-idle-timeout', '1']);
  // A raw session that never comes back.
  const raw = await initialize(s);
  assert.equal(raw.status, 200, raw.body);
  // A legacy SSE stream that stays open with no traffic.
  await openRawSse(s.port);
  // An SDK client: its GET stream stays open.
  const { client } = await connectStreamable(s);
  assert.equal(await sessions(s), 3);

  // A call that runs past the timeout (a SQL query killed at the 5 s query time limit) keeps its session.
  await callOk(client, 'rvf_create_store', { store: 'idle', dimensions: 2, metric: 'l2' });
  const started = Date.now();
  const slow = await callError(client, 'rvlite_sql', { store: 'idle', query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' });
  assert.match(slow, /^ELIMIT: .*time limit/, `the endless query: ${slow}`);
  assert.ok(Date.now() - started > 2000, 'the call ran past the idle timeout');
  assert.equal((await callOk<{ totalVectors: number }>(client, 'rvf_status', { store: 'idle' })).totalVectors, 0, 'the session lived through its long call');

  await waitFor(async () => (await sessions(s)) === 0, 'every idle session to close', 30_000);
  const stale = await rawRequest(s.port, {
    method: 'POST',
    path: '/mcp',
    headers: { ...MCP_POST_HEADERS, host: `127.0.0.1:${s.port}`, 'mcp-session-id': raw.sessionId ?? '', 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
  });
  assert.equal(stale.status, 404, `a request on the closed session: ${stale.status} ${stale.body}`);
  await assert.rejects(client.listTools(), 'the SDK client\'s closed session answers 404');
  // A new session starts as usual.
  const { client: again } = await connectStreamable(s);
  assert.equal((await again.listTools()).tools.length > 0, true);
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('a refused initialize (Accept: application/json only) leaves no session; 1,000 of them grow RSS by under 30 MB', { timeout: TEST_TIMEOUT, skip: !CAN_READ_PROCESS_MEMORY }, async (t) => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-406-')]);
  const pid = s.child.pid ?? 0;
  const refuse = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i += 10) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => initialize(s, { accept: 'application/json' })));
      for (const r of answers) {
        assert.equal(r.status, 406, `Accept: application/json only: ${r.status} ${r.body}`);
        assert.equal(r.sessionId, undefined);
        assert.match(jsonRpcError(r).message, /text\/event-stream/);
      }
    }
  };
  await refuse(100); // warm up: code paths compiled, buffers allocated
  await new Promise((r) => setTimeout(r, 500));
  const before = rssMiB(pid);
  await refuse(1000);
  await new Promise((r) => setTimeout(r, 1000));
  const growth = rssMiB(pid) - before;
  t.diagnostic(`RSS ${before.toFixed(1)} MB before 1,000 refused initializes, growth ${growth.toFixed(1)} MB`);
  assert.equal(await sessions(s), 0, 'no session is left behind');
  assert.ok(growth < 30, `1,000 refused initializes grew the server's RSS by ${growth.toFixed(1)} MB (from ${before.toFixed(1)})`);
  // The server still starts sessions.
  assert.equal((await initialize(s)).status, 200);
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('bodies: 16 concurrent 60 MB POSTs for an unknown session or of a non-JSON type are refused without being held; RSS stays under 300 MB', { timeout: TEST_TIMEOUT, skip: !CAN_READ_PROCESS_MEMORY }, async (t) => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-body-')]);
  const host = `127.0.0.1:${s.port}`;
  const body = paddedInitialize(60 * MiB);
  const unknown = { ...MCP_POST_HEADERS, host, 'mcp-session-id': '00000000-0000-4000-8000-000000000000', 'mcp-protocol-version': '2025-06-18' };
  const textPlain = { ...MCP_POST_HEADERS, host, 'content-type': 'text/plain' };
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) => rawRequest(s.port, { method: 'POST', path: '/mcp', headers: i % 2 === 0 ? unknown : textPlain, body, timeoutMs: 90_000 })),
  );
  for (const [i, r] of answers.entries()) {
    if (i % 2 === 0) {
      assert.equal(r.status, 404, `unknown session: ${r.status} ${r.body.slice(0, 200)}`);
      assert.match(jsonRpcError(r).message, /session/);
    } else {
      assert.equal(r.status, 415, `text/plain: ${r.status} ${r.body.slice(0, 200)}`);
      assert.match(jsonRpcError(r).message, /application\/json/);
    }
  }
  const peak = peakRssMiB(s.child.pid ?? 0);
  t.diagnostic(`peak RSS ${peak.toFixed(0)} MB under 16 x 60 MB refused bodies`);
  assert.ok(peak < 300, `the server's peak RSS was ${peak.toFixed(0)} MB while 16 x 60 MB bodies it refuses came in`);
  assert.equal(await sessions(s), 0);
  assert.equal((await initialize(s)).status, 200, 'the server still answers');
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('bodies: the bytes being read at once are bounded across requests; past the budget a request gets 503 and can retry', { timeout: TEST_TIMEOUT, skip: !CAN_READ_PROCESS_MEMORY }, async (t) => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-budget-')]);
  const host = `127.0.0.1:${s.port}`;
  const body = paddedInitialize(60 * MiB);
  const answers = await Promise.all(
    Array.from({ length: 16 }, () => rawRequest(s.port, { method: 'POST', path: '/mcp', headers: { ...MCP_POST_HEADERS, host }, body, timeoutMs: 90_000 })),
  );
  const statuses = answers.map((r) => r.status);
  assert.ok(statuses.every((st) => st === 200 || st === 503), `statuses: ${statuses.join(',')}`);
  const busy = answers.filter((r) => r.status === 503);
  assert.ok(busy.length >= 1, `16 x 60 MB at once were all read (${statuses.join(',')})`);
  assert.ok(busy.length < 16, `none of 16 x 60 MB was read (${statuses.join(',')})`);
  for (const r of busy) {
    assert.match(jsonRpcError(r).message, /retry/);
    assert.equal(r.headers['retry-after'], '1');
  }
  const peak = peakRssMiB(s.child.pid ?? 0);
  t.diagnostic(`peak RSS ${peak.toFixed(0)} MB reading 16 x 60 MB initializes at once; statuses ${statuses.join(',')}`);
  // Two 60 MB bodies fit the 128 MiB budget; each is held once as bytes and once as text while parsed.
  assert.ok(peak < 400, `the server's peak RSS was ${peak.toFixed(0)} MB while it read 16 x 60 MB bodies`);
  // One at a time, the same body is read.
  const alone = await rawRequest(s.port, { method: 'POST', path: '/mcp', headers: { ...MCP_POST_HEADERS, host }, body, timeoutMs: 90_000 });
  assert.equal(alone.status, 200, `a 60 MB initialize alone: ${alone.status} ${alone.body.slice(0, 200)}`);
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('bodies: two uploads that declare 64 MiB and then stall leave small requests answered, and a stalled body is dropped by its deadline', { timeout: TEST_TIMEOUT }, async () => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-stall-')]);
  const host = `127.0.0.1:${s.port}`;
  const stall = (length: number): { socket: Socket; closed: Promise<number> } => {
    const socket = connect(s.port, '127.0.0.1');
    const opened = Date.now();
    socket.on('error', () => undefined);
    socket.write(`POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${length}\r\n\r\n{`);
    return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(Date.now() - opened))) };
  };
  // together they declare the whole 128 MiB budget, then send nothing more
  const big = [stall(64 * MiB), stall(64 * MiB)];
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let i = 0; i < 3; i++) {
    const res = await initialize(s);
    assert.equal(res.status, 200, `a small initialize beside two stalled 64 MiB uploads: ${res.status} ${res.body.slice(0, 200)}`);
  }
  // a stalled body is dropped once it is late for its size (15 s + 1 s per MiB), its budget given back
  const small = stall(1000);
  const after = await small.closed;
  assert.ok(after >= 14_000 && after < 25_000, `the stalled 1000-byte body was dropped after ${after} ms`);
  for (const b of big) b.socket.destroy();
  assert.equal((await initialize(s)).status, 200, 'the server still answers');
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('legacy SSE: a client that posts calls and never reads its stream has its session closed, not every answer held', { timeout: TEST_TIMEOUT }, async () => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-sse-unread-'), '--write']);
  const host = `127.0.0.1:${s.port}`;
  const socket = connect(s.port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`GET /sse HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`);
  const path = await new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /event: endpoint\r?\ndata: (\S+)/.exec(text);
      if (m?.[1]) resolve(m[1]);
    });
  });
  socket.removeAllListeners('data');
  socket.pause(); // from here on the client reads nothing
  const post = (id: number, name: string, args: Record<string, unknown>): Promise<RawResponse> =>
    rawRequest(s.port, { method: 'POST', path, headers: { 'content-type': 'application/json', host }, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }) });
  await post(1, 'rvf_create_store', { store: 'big', dimensions: 2 });
  assert.equal(await sessions(s), 1);
  const rows = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT x, printf('%.200c', 'a') FROM c";
  // posted all at once, then nothing more: the server must not wait for a next POST to see the stream is not read
  const accepted = await Promise.all(Array.from({ length: 30 }, (_, i) => post(i + 2, 'rvlite_sql', { store: 'big', query: rows })));
  assert.ok(accepted.every((r) => r.status === 202 || r.status === 404), accepted.map((r) => r.status).join(','));
  // (a paused socket sees no close; the server's own count of sessions tells)
  const deadline = Date.now() + 60_000;
  while ((await sessions(s)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(await sessions(s), 0, 'the server closed the session whose client does not read its stream');
  const after = await post(99, 'rvlite_sql', { store: 'big', query: 'SELECT 1' });
  assert.equal(after.status, 404, `a POST to the closed session: ${after.status} ${after.body}`);
  socket.destroy();
  const fresh = await initialize(s);
  assert.equal(fresh.status, 200, 'the server still answers');
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('Streamable HTTP: calls whose POST connection the client closed are cancelled, so its next call does not wait behind them', { timeout: TEST_TIMEOUT }, async () => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-abandon-'), '--write']);
  const host = `127.0.0.1:${s.port}`;
  const init = await initialize(s);
  assert.equal(init.status, 200);
  const session = { ...MCP_POST_HEADERS, host, 'mcp-session-id': init.sessionId as string, 'mcp-protocol-version': '2025-06-18' };
  const message = (id: number | null, method: string, params: Record<string, unknown>): string => JSON.stringify({ jsonrpc: '2.0', ...(id === null ? {} : { id }), method, params });
  await rawRequest(s.port, { method: 'POST', path: '/mcp', headers: session, body: message(null, 'notifications/initialized', {}) });
  const created = await rawRequest(s.port, { method: 'POST', path: '/mcp', headers: session, body: message(2, 'tools/call', { name: 'rvf_create_store', arguments: { store: 'q', dimensions: 2 } }) });
  assert.equal(created.status, 200, created.body);
  // six queries that would each run to the 5 s limit, each on a connection the client then closes
  const runaway = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c';
  for (let id = 10; id < 16; id++) {
    const socket = connect(s.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const body = message(id, 'tools/call', { name: 'rvlite_sql', arguments: { store: 'q', query: runaway } });
    const head = Object.entries({ ...session, 'content-length': String(Buffer.byteLength(body)) }).map(([k, v]) => `${k}: ${v}`).join('\r\n');
    socket.write(`POST /mcp HTTP/1.1\r\n${head}\r\n\r\n${body}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
  }
  const started = Date.now();
  const next = await rawRequest(s.port, { method: 'POST', path: '/mcp', headers: session, body: message(20, 'tools/call', { name: 'rvlite_sql', arguments: { store: 'q', query: 'SELECT 1 AS one' } }) });
  const waited = Date.now() - started;
  assert.equal(next.status, 200, next.body);
  assert.match(next.body, /"one"/);
  // without the cancellation it queued behind 6 x 5 s, two at a time: 15 s
  assert.ok(waited < 8_000, `the next call waited ${waited} ms behind abandoned ones`);
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('Origin: null is refused with 403 on every route, the inspector API included', { timeout: TEST_TIMEOUT }, async () => {
  const s = await startHttpServer(['--root', tempDir('rvf-hard-origin-')]);
  const host = `127.0.0.1:${s.port}`;
  const legacy = await openRawSse(s.port);
  try {
    const requests: { method: string; path: string; headers?: Record<string, string>; body?: string }[] = [
      { method: 'GET', path: '/healthz' },
      { method: 'POST', path: '/mcp', headers: MCP_POST_HEADERS, body: initializeBody() },
      { method: 'GET', path: '/sse' },
      { method: 'POST', path: legacy.path, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) },
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/inspector/api/stores' },
      { method: 'POST', path: '/inspector/api/query', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ store: 'x', lang: 'sql', query: 'SELECT 1' }) },
    ];
    for (const r of requests) {
      const res = await rawRequest(s.port, { method: r.method, path: r.path, headers: { ...(r.headers ?? {}), host, origin: 'null' }, ...(r.body ? { body: r.body } : {}) });
      assert.equal(res.status, 403, `Origin: null ${r.method} ${r.path}: ${res.status} ${res.body.slice(0, 200)}`);
      assert.match(res.body, /Origin/);
    }
    // The same requests without an Origin are not refused by the gate.
    const ok = await rawRequest(s.port, { path: '/healthz', headers: { host } });
    assert.equal(ok.status, 200);
  } finally {
    legacy.close();
  }
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('header case: the Bearer scheme in any case, and Host in any case, on our gate and the SDK\'s', { timeout: TEST_TIMEOUT }, async () => {
  const token = 'header-case-token-0123456789';
  const s = await startHttpServer(['--root', tempDir('rvf-hard-case-'), '--token', token]);
  for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
    const res = await rawRequest(s.port, { path: '/healthz', headers: { host: `127.0.0.1:${s.port}`, authorization: `${scheme} ${token}` } });
    assert.equal(res.status, 200, `Authorization: ${scheme} <token>: ${res.status} ${res.body}`);
  }
  const wrong = await rawRequest(s.port, { path: '/healthz', headers: { host: `127.0.0.1:${s.port}`, authorization: `bearer ${token}x` } });
  assert.equal(wrong.status, 401, 'the token itself is still compared exactly');
  // A real client with a lower-case scheme runs a session end to end.
  const { client } = await connectStreamable(s, { Authorization: `bearer ${token}` });
  assert.ok((await client.listTools()).tools.length > 0);

  // Host in capitals passes our gate and the transport's, for the whole session.
  const host = `LocalHost:${s.port}`;
  const auth = { authorization: `Bearer ${token}` };
  const init = await initialize(s, { host, ...auth });
  assert.equal(init.status, 200, `initialize with Host ${host}: ${init.status} ${init.body}`);
  const list = await rawRequest(s.port, {
    method: 'POST',
    path: '/mcp',
    headers: { ...MCP_POST_HEADERS, ...auth, host, 'mcp-session-id': init.sessionId ?? '', 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
  });
  assert.equal(list.status, 200, `tools/list with Host ${host}: ${list.status} ${list.body.slice(0, 200)}`);
  assert.match(list.body, /rvf_query/);
  const legacy = await openRawSse(s.port, { ...auth, host });
  try {
    const ping = await rawRequest(s.port, {
      method: 'POST',
      path: legacy.path,
      headers: { ...auth, host, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }),
    });
    assert.equal(ping.status, 202, `legacy POST /messages with Host ${host}: ${ping.status} ${ping.body}`);
  } finally {
    legacy.close();
  }
  assert.equal((await rawRequest(s.port, { path: '/healthz', headers: { host: `EVIL.example:${s.port}`, ...auth } })).status, 403);
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

test('logs: each session gets only the logs of its own calls, and no stack trace; stderr keeps the stack', { timeout: TEST_TIMEOUT }, async () => {
  const root = tempDir('rvf-hard-logs-');
  // A directory named like a store: opening it fails with an internal error (EISDIR) and a stack.
  mkdirSync(join(root, 'a-broken.rvf'));
  mkdirSync(join(root, 'b-broken.rvf'));
  const s = await startHttpServer(['--write', '--root', root]);
  const a = await connectStreamable(s, {}, 'client-a');
  const b = await connectStreamable(s, {}, 'client-b');
  const logsOf = { a: [] as string[], b: [] as string[] };
  a.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logsOf.a.push(String(n.params.data)));
  b.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logsOf.b.push(String(n.params.data)));

  assert.match(await callError(a.client, 'rvf_status', { store: 'a-broken' }), /^EINTERNAL/);
  await waitFor(() => logsOf.a.some((l) => l.includes('a-broken')), 'session A to get the log of its own failed call');
  // A store warning from A's call (a torn tail cut on open) goes to A.
  await callOk(a.client, 'rvf_create_store', { store: 'a-torn', dimensions: 2, metric: 'l2' });
  await callOk(a.client, 'rvf_ingest', { store: 'a-torn', entries: [{ id: 1, vector: [1, 0] }] });
  await callOk(a.client, 'rvf_close_store', { store: 'a-torn' });
  appendFileSync(join(root, 'a-torn.rvf'), Buffer.alloc(100, 0xab));
  await callOk(a.client, 'rvf_open_store', { store: 'a-torn' });
  await waitFor(() => logsOf.a.some((l) => l.includes('cut 100 bytes')), 'session A to get the warning of its own call');

  // B's own failure reaches B; on B's stream it comes after anything sent to B before it.
  assert.match(await callError(b.client, 'rvf_status', { store: 'b-broken' }), /^EINTERNAL/);
  await waitFor(() => logsOf.b.some((l) => l.includes('b-broken')), 'session B to get the log of its own failed call');
  // And A once more, so that anything of B's sent to A has arrived.
  await callError(a.client, 'rvf_status', { store: 'a-broken' });
  await waitFor(() => logsOf.a.filter((l) => l.includes('a-broken')).length >= 2, 'session A to get its second log');

  assert.deepEqual(logsOf.b.filter((l) => l.includes('a-broken') || l.includes('a-torn')), [], 'B got logs of A\'s calls');
  assert.deepEqual(logsOf.a.filter((l) => l.includes('b-broken')), [], 'A got logs of B\'s calls');
  for (const line of [...logsOf.a, ...logsOf.b]) {
    assert.doesNotMatch(line, /\n\s+at /, `a logging notification carries a stack trace: ${line}`);
    assert.ok(!line.includes('\n'), `a logging notification is more than one line: ${line}`);
  }
  assert.match(s.stderr(), /a-broken[\s\S]*\n {4}at /, 'the stack trace stays on stderr');
  assert.deepEqual(await s.stop(), { code: 0, signal: null });
});

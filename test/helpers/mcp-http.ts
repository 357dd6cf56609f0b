/**
 * Helpers for the HTTP transport tests: start the real server process
 * (`node dist/server/main.js --transport http --port 0 ...`), learn its URL
 * from the "listening on http://HOST:PORT/mcp" line on stderr, and connect the
 * SDK's real clients (Streamable HTTP and legacy SSE) or send raw requests.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { distance } from './assertions.ts';

/** The package root (/work/main): the server runs from its build in dist/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HttpServerProcess {
  child: ChildProcess;
  /** The /mcp URL the server printed, e.g. http://127.0.0.1:40123/mcp. */
  url: URL;
  host: string;
  port: number;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Everything the server wrote to stdout so far (it should write nothing there). */
  stdout(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** Starts the server process with `args` (no --transport/--port needed) and no wait for a URL. */
export function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RVF_MCP_TOKEN: undefined, ...env } as NodeJS.ProcessEnv,
  });
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  // Never leave a server behind, whatever the test did.
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, out, exited };
}

/** Starts `--transport http --port 0` plus `args` and waits for the "listening on" line. */
export async function startHttpServer(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<HttpServerProcess> {
  const { child, out, exited } = spawnServer(['--transport', 'http', '--port', '0', ...args], env);
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no "listening on" line within ${timeoutMs} ms; stderr:\n${out.stderr}`));
    }, timeoutMs);
    const onData = (): void => {
      const m = /listening on (http:\/\/\S+?\/mcp)\b/.exec(out.stderr);
      if (m?.[1]) {
        cleanup();
        resolve(new URL(m[1]));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening; stderr:\n${out.stderr}`));
    };
    function cleanup(): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    }
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
  return {
    child,
    url,
    host: url.hostname,
    port: Number(url.port),
    stderr: () => out.stderr,
    stdout: () => out.stdout,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', stopTimeoutMs = 15_000): Promise<Exit> {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`server did not exit within ${stopTimeoutMs} ms of ${signal}; stderr:\n${out.stderr}`)), stopTimeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Same URL with another path (e.g. /sse, /healthz) on the server's origin. */
export function endpoint(server: HttpServerProcess, path: string): URL {
  return new URL(path, server.url);
}

/** A real SDK Client connected over Streamable HTTP to /mcp. */
export async function connectStreamable(
  server: HttpServerProcess | URL,
  headers: Record<string, string> = {},
  name = 'http-test',
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const url = server instanceof URL ? server : server.url;
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  after(() => client.close().catch(() => undefined));
  return { client, transport };
}

/** A real SDK Client connected over the legacy SSE pair (GET /sse, POST /messages). */
export async function connectSse(server: HttpServerProcess, headers: Record<string, string> = {}): Promise<{ client: Client; transport: SSEClientTransport }> {
  // The SDK sends requestInit's headers on the GET /sse stream and on every POST /messages.
  const transport = new SSEClientTransport(endpoint(server, '/sse'), { requestInit: { headers } });
  const client = new Client({ name: 'http-test-sse', version: '1.0.0' });
  await client.connect(transport);
  after(() => client.close().catch(() => undefined));
  return { client, transport };
}

export interface ToolResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

/** The text of a result's first text block. */
export function textOf(result: ToolResult): string {
  const block = result.content?.find((c) => c.type === 'text');
  return block?.text ?? '';
}

/** Calls a tool that must succeed; checks the text block carries the same JSON as structuredContent. */
export async function callOk<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as ToolResult;
  assert.notEqual(result.isError, true, `${name} failed: ${textOf(result)}`);
  assert.ok(result.structuredContent, `${name} returned no structuredContent`);
  assert.deepEqual(JSON.parse(textOf(result)), result.structuredContent, `${name}: the text block is not the structured JSON`);
  return result.structuredContent as T;
}

/** Calls a tool that must fail with an isError result; returns the text. */
export async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as ToolResult;
  assert.equal(result.isError, true, `${name} should have failed, got ${JSON.stringify(result.structuredContent ?? result.content)}`);
  return textOf(result);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One raw HTTP/1.1 request to 127.0.0.1:port with exactly the given headers
 * (Host included, so a test can lie about it). `body` may be a Buffer, or an
 * array of chunks sent with chunked encoding (no content-length).
 */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: string | Buffer | Buffer[]; host?: string; timeoutMs?: number; setHost?: boolean },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: options.host ?? '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers ?? {},
        agent: false,
        // false: send no Host header at all (node adds one otherwise, even over an empty value).
        setHost: options.setHost ?? true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`raw ${options.method ?? 'GET'} ${options.path} timed out`)));
    req.on('error', reject);
    const body = options.body;
    if (Array.isArray(body)) {
      // Chunked: write piece by piece, honouring backpressure.
      let i = 0;
      const pump = (): void => {
        while (i < body.length) {
          const ok = req.write(body[i++] as Buffer);
          if (!ok) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    } else {
      req.end(body);
    }
  });
}

/** A JSON-RPC initialize request body, as a client's first POST /mcp. */
export function initializeBody(id = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  });
}

/** Headers a Streamable HTTP POST needs besides Host. */
export const MCP_POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } as const;

export type Metric = 'cosine' | 'l2' | 'dotproduct';


export interface Row {
  id: number;
  vector: number[];
  metadata?: Record<string, unknown>;
}

/** Brute-force top k among `rows` that pass `keep`, nearest first (ties by id). */
export function bruteForce(rows: Iterable<Row>, query: number[], k: number, metric: Metric, keep: (r: Row) => boolean = () => true): { id: number; distance: number }[] {
  return [...rows]
    .filter(keep)
    .map((r) => ({ id: r.id, distance: distance(metric, r.vector, query) }))
    .sort((x, y) => x.distance - y.distance || x.id - y.id)
    .slice(0, k);
}

/**
 * Checks a query's results against brute force: same length, distances equal
 * within `tol`, and each returned id is one whose true distance matches its
 * rank (so near-ties in f32 may swap order but never change the answer set's
 * distances).
 */
export function assertMatchesBruteForce(
  got: { id: number | string; distance: number }[],
  want: { id: number; distance: number }[],
  rows: Map<number, Row>,
  query: number[],
  metric: Metric,
  label: string,
  tol = 1e-4,
): void {
  assert.equal(got.length, want.length, `${label}: ${got.length} results, brute force has ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    assert.ok(Math.abs(g.distance - w.distance) <= tol * Math.max(1, Math.abs(w.distance)), `${label}: rank ${i} distance ${g.distance}, brute force ${w.distance} (id ${w.id})`);
    const row = rows.get(Number(g.id));
    assert.ok(row, `${label}: rank ${i} returned id ${g.id}, which is not a live row`);
    const own = distance(metric, row.vector, query);
    assert.ok(Math.abs(own - g.distance) <= tol * Math.max(1, Math.abs(own)), `${label}: id ${g.id} reported distance ${g.distance}, its true distance is ${own}`);
  }
  const ids = got.map((g) => Number(g.id));
  assert.equal(new Set(ids).size, ids.length, `${label}: duplicate ids ${ids.join(',')}`);
}

/** Waits for `fn` to be true, polling every 50 ms. */
export async function waitFor(fn: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A raw legacy SSE stream (GET /sse): resolves with the POST path the server
 * announced in its "endpoint" event (/messages?sessionId=...) and a close().
 */
export function openRawSse(port: number, headers: OutgoingHttpHeaders = {}): Promise<{ path: string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/sse', headers: { accept: 'text/event-stream', host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /sse answered ${res.statusCode}`));
        req.destroy();
        return;
      }
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /event: endpoint\r?\ndata: (\S+)/.exec(text);
        if (m?.[1]) resolve({ path: m[1], close: () => req.destroy() });
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => reject(err));
    req.setTimeout(10_000, () => req.destroy(new Error('no endpoint event on GET /sse')));
    req.end();
  });
}

/**
 * POSTs `body` (with its Content-Length) over a plain TCP socket in two steps:
 * the head of the request and the first `head` body bytes, then, once the
 * server has answered or `pauseMs` passed, the rest. Reports the answer (status
 * line parsed from the raw bytes) and any error the client got while sending
 * the rest, so a test can tell whether the server let the client finish the
 * body it had announced (RFC 9112 9.6: a server that closes after an early
 * answer must not reset the connection under a client that is still sending).
 */
export function postInTwoSteps(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  head = 1024 * 1024,
  pauseMs = 1000,
): Promise<{ status?: number; response: string; earlyAnswer: boolean; sendError?: string }> {
  return new Promise((resolve) => {
    const out: { status?: number; response: string; earlyAnswer: boolean; sendError?: string } = { response: '', earlyAnswer: false };
    let sent = false;
    let settled = false;
    // Half-open allowed: the server's FIN must not end our sending side for us.
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      if (!sent) out.sendError ??= 'the connection closed before the client had sent the body';
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out.response);
      if (m?.[1]) out.status = Number(m[1]);
      socket.destroy();
      resolve(out);
    };
    const guard = setTimeout(() => {
      out.sendError ??= 'timeout';
      settle();
    }, 30_000);
    let answered!: () => void;
    const answer = new Promise<void>((r) => (answered = r));
    socket.on('data', (d: Buffer) => {
      out.response += d.toString('latin1');
      // The whole answer: headers and a body as long as its Content-Length.
      const split = out.response.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: (\d+)/i.exec(out.response)?.[1];
      if (split >= 0 && len !== undefined && out.response.length >= split + 4 + Number(len)) answered();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      out.sendError ??= err.code ?? err.message;
      settle();
    });
    socket.on('close', () => setImmediate(settle));
    socket.on('end', () => {
      // The server half-closed: its answer is complete. A client that has sent everything closes too.
      answered();
      if (sent) settle();
    });
    const lines = [`POST ${path} HTTP/1.1`, ...Object.entries({ ...headers, 'content-length': String(body.length) }).map(([k, v]) => `${k}: ${v}`), '', ''];
    socket.write(lines.join('\r\n'));
    socket.write(body.subarray(0, head));
    let paused = false;
    const pause = new Promise<void>((r) => setTimeout(r, pauseMs)).then(() => (paused = true));
    void Promise.race([answer.then(() => (out.earlyAnswer = !paused)), pause]).then(() => {
      let offset = head;
      const step = 1024 * 1024;
      const pump = (): void => {
        while (offset < body.length) {
          if (socket.destroyed) return;
          const ok = socket.write(body.subarray(offset, offset + step));
          offset += step;
          if (!ok) {
            socket.once('drain', pump);
            return;
          }
        }
        if (socket.destroyed) return;
        socket.write(Buffer.alloc(0), () => {
          sent = true;
          // Wait for the answer if it has not come yet, then for the server to close or 2 s.
          void answer.then(() => setTimeout(settle, 2000));
        });
      };
      pump();
    });
  });
}

export { distance };

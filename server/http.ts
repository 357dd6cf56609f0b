import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { LIMITS } from '../schemas/limits.ts';
import type { Logger } from '../tools/context.ts';
import type { BodyBudget } from './body-budget.ts';
import { HttpError, replyError } from './http-error.ts';
import { checkHostAndOrigin, checkOriginNotNull, checkToken, hostsFor } from './http-gates.ts';
import { SessionTable } from './http-sessions.ts';
import type { InspectorRoutes } from './inspector/routes.ts';
import { discardBody, readJsonBody } from './read-json-body.ts';
import { SessionActivity } from './session-activity.ts';

/**
 * HTTP transports on plain node:http:
 * - Streamable HTTP at /mcp, one McpServer per session;
 * - the legacy SSE pair (GET /sse, POST /messages?sessionId=) for old clients;
 * - GET /healthz.
 * Every request passes the gates first (server/http-gates.ts: Host, Origin,
 * token). A POST's method, session and content type are checked before its
 * body is read, and its bytes count against the process-wide body budget.
 * Sessions of both transports share one cap and one idle timeout
 * (server/http-sessions.ts).
 */

const MAX_BODY_BYTES = LIMITS.maxRequestBytes;

export interface HttpOptions {
  host: string;
  port: number;
  token: string | undefined;
  /** --max-sessions: Streamable HTTP and legacy SSE sessions together. */
  maxSessions: number;
  /** --session-idle-timeout, in milliseconds. */
  sessionIdleTimeoutMs: number;
  /** Shared with the inspector's API: the bytes of request bodies held at once. */
  bodyBudget: BodyBudget;
  /** Makes a session's McpServer and connects it to `transport`. */
  connectSession: (transport: Transport) => Promise<void>;
  log: Logger;
  /** The web inspector at / and /inspector/ (server/inspector/routes.ts); absent: no page. */
  inspector?: InspectorRoutes;
}

export interface HttpHandle {
  url: string;
  close(): Promise<void>;
}

/** Answers a legacy SSE session may leave unread on its stream before it is closed (about one largest result). */
const MAX_UNSENT_SSE_BYTES = 32 * 1024 * 1024;

export async function serveHttp(o: HttpOptions): Promise<HttpHandle> {
  const sessions = new SessionTable(o.maxSessions, o.sessionIdleTimeoutMs, o.log);
  let allowedHosts = new Set<string>();
  // A wildcard bind (0.0.0.0, ::) has no one name to check Host against; it requires a token instead (server/main.ts).
  const wildcard = o.host === '0.0.0.0' || o.host === '::';

  const http: Server = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => refuse(req, res, err));
  });

  async function refuse(req: IncomingMessage, res: ServerResponse, err: unknown): Promise<void> {
    let status = 500;
    let message = 'internal error; the server is still running, retry';
    let headers: Record<string, string> = {};
    let rpcCode: number | undefined;
    try {
      if (err instanceof HttpError) ({ status, message, headers, rpcCode } = err);
      // a client that hung up mid-upload (or sent too slowly) is not a server error: one line, no stack, or a
      // client could fill the log with stack traces by aborting uploads
      else if (req.destroyed || req.aborted) o.log.warn(`HTTP ${req.method} ${req.url}: the request ended before its body did (${err instanceof Error ? err.message : String(err)})`);
      else o.log.error(`HTTP ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`, err instanceof Error ? err.stack : undefined);
      await discardBody(req);
      replyError(res, status, message, headers, rpcCode);
    } catch {
      res.destroy();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkOriginNotNull(req);
    if (!wildcard) checkHostAndOrigin(req, allowedHosts);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const inspector = o.inspector?.matches(url.pathname) ? o.inspector : undefined;
    // The page and its static files load without the token (a browser navigation
    // cannot send one; they hold no store data); the inspector's API needs it.
    if (!inspector?.isPublic(url.pathname)) checkToken(req, o.token);
    if (inspector) return inspector.handle(req, res, url);
    if (url.pathname === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', sessions: sessions.size }));
      return;
    }
    if (url.pathname === '/mcp') return handleStreamable(req, res);
    if (url.pathname === '/sse' && req.method === 'GET') return openLegacy(res);
    if (url.pathname === '/messages' && req.method === 'POST') return postLegacy(req, res, url);
    throw new HttpError(404, 'not found; the MCP endpoint is /mcp (legacy SSE: /sse)');
  }

  async function handleStreamable(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      throw new HttpError(405, `${req.method} is not an MCP method; use POST, GET or DELETE on /mcp`, { allow: 'GET, POST, DELETE' });
    }
    const header = req.headers['mcp-session-id'];
    const sessionId = typeof header === 'string' ? header : undefined;
    const existing = sessionId === undefined ? undefined : sessions.streamable.get(sessionId);
    // Refused before the body is read: a body for a session that does not exist is never held.
    if (sessionId !== undefined && !existing) throw new HttpError(404, 'unknown or expired session; initialize a new one with POST /mcp');
    if (req.method !== 'POST') {
      if (!existing) throw new HttpError(400, 'missing mcp-session-id; initialize a session with POST /mcp');
      existing.activity.touch();
      return existing.transport.handleRequest(req, res);
    }
    checkJsonContentType(req);
    if (existing) {
      existing.activity.touch();
      const body = await readJson(req);
      cancelWhenAbandoned(res, body, existing.transport);
      return existing.transport.handleRequest(req, res, body);
    }
    checkAcceptsBoth(req);
    if (sessions.isFull()) throw new HttpError(503, sessions.fullMessage());
    const body = await readJson(req);
    if (!isInitializeRequest(body)) throw new HttpError(400, 'no session: send an initialize request first');
    return startStreamable(req, res, body);
  }

  async function startStreamable(req: IncomingMessage, res: ServerResponse, initialize: unknown): Promise<void> {
    // Checked again after the body: other initializes may have taken the places meanwhile.
    const release = sessions.reserve();
    if (!release) throw new HttpError(503, sessions.fullMessage());
    const activity = new SessionActivity();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Off: the gates in handle() have already checked Host and Origin on every
      // request, Host case-insensitively; the SDK's check compares Host exactly,
      // so it would refuse a Host (LocalHost:3333) that ours accepts.
      enableDnsRebindingProtection: false,
      onsessioninitialized: (id) => {
        sessions.streamable.set(id, { transport, activity, close: () => transport.close() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.streamable.delete(transport.sessionId);
    };
    activity.watch(transport);
    try {
      await o.connectSession(transport);
      await transport.handleRequest(req, res, initialize);
    } finally {
      release();
      // An initialize the SDK refused got no session id, and nothing would ever close its server: close it here.
      if (transport.sessionId === undefined) await transport.close();
    }
  }

  async function openLegacy(res: ServerResponse): Promise<void> {
    if (sessions.isFull()) throw new HttpError(503, sessions.fullMessage());
    const activity = new SessionActivity();
    // No DNS-rebinding check of the SDK's own: the gates in handle() ran first, and case-insensitively.
    const transport = new SSEServerTransport('/messages', res, { enableDnsRebindingProtection: false });
    sessions.legacy.set(transport.sessionId, { transport, activity, close: () => transport.close() });
    // The SDK's SSE transport writes every answer to the stream without waiting for it to drain: a client
    // that posts calls and never reads had the server hold every answer (208 MiB for 120 queries posted at
    // once). Past MAX_UNSENT_SSE_BYTES unread, the session is closed as the answer that went over is queued.
    const send = transport.send.bind(transport);
    transport.send = async (message) => {
      await send(message);
      if (res.writableLength > MAX_UNSENT_SSE_BYTES) {
        o.log.warn(`SSE session ${transport.sessionId}: its client left ${Math.round(res.writableLength / (1024 * 1024))} MiB of answers unread; closing it`);
        await transport.close();
        res.destroy(); // ending it would still hold what is queued until the client reads it
      }
    };
    transport.onclose = () => {
      sessions.legacy.delete(transport.sessionId);
    };
    activity.watch(transport);
    try {
      await o.connectSession(transport);
    } catch (err) {
      sessions.legacy.delete(transport.sessionId);
      throw err;
    }
  }

  async function postLegacy(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const entry = sessions.legacy.get(url.searchParams.get('sessionId') ?? '');
    if (!entry) throw new HttpError(404, 'unknown SSE session; open GET /sse first');
    checkJsonContentType(req);
    const body = await readJson(req);
    // the SDK's SSE transport answers anything but one message object with a plain-text "Invalid message: [object Object]"
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(400, 'the legacy SSE endpoint takes one JSON-RPC message object per POST, not a batch or another JSON value; send each message on its own', {}, -32600);
    }
    entry.activity.touch();
    await entry.transport.handlePostMessage(req, res, body);
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const body = await readJsonBody(req, MAX_BODY_BYTES, o.bodyBudget);
    if (body.ok) return body.value;
    if (body.reason === 'too-large') throw new HttpError(413, `request body is over the ${MAX_BODY_BYTES}-byte limit; send fewer entries per call`);
    if (body.reason === 'busy') {
      throw new HttpError(503, `the server is already reading ${o.bodyBudget.limitBytes / (1024 * 1024)} MiB of request bodies at once; retry in a moment`, { 'retry-after': '1' });
    }
    throw new HttpError(400, 'the request body is not JSON; send a JSON-RPC message', {}, -32700);
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  allowedHosts = hostsFor(o.host, port);
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    async close() {
      await sessions.closeAll();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * A POST whose connection closes before its answers went out: its calls are
 * cancelled as if the client had sent notifications/cancelled for each (the
 * SDK's Protocol then aborts their handlers, and a waiting query leaves its
 * queue). They kept running, so a client that timed out and retried waited
 * behind its own abandoned work, up to 64 queries of 5 s each.
 */
function cancelWhenAbandoned(res: ServerResponse, body: unknown, transport: Transport): void {
  const ids = (Array.isArray(body) ? body : [body]).flatMap((m: unknown) => {
    const message = m as { method?: unknown; id?: unknown } | null;
    return message !== null && typeof message === 'object' && typeof message.method === 'string' && (typeof message.id === 'string' || typeof message.id === 'number') ? [message.id] : [];
  });
  if (ids.length === 0) return;
  res.once('close', () => {
    if (res.writableFinished) return;
    for (const requestId of ids) {
      transport.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the client closed the connection of this request' } });
    }
  });
}

function checkJsonContentType(req: IncomingMessage): void {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new HttpError(415, 'the body must be a JSON-RPC message; send it with Content-Type: application/json');
  }
}

/**
 * The Accept rule of the MCP spec, checked as the SDK checks it, but before a
 * server is made: an initialize the SDK would refuse then costs no McpServer.
 */
function checkAcceptsBoth(req: IncomingMessage): void {
  const accept = req.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    throw new HttpError(406, 'the client must accept both application/json and text/event-stream; send Accept: application/json, text/event-stream');
  }
}

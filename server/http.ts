import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { LIMITS } from '../schemas/limits.ts';
import type { Logger } from '../tools/context.ts';
import type { InspectorRoutes } from './inspector/routes.ts';
import { readJsonBody } from './read-json-body.ts';

/**
 * HTTP transports on plain node:http:
 * - Streamable HTTP at /mcp, one McpServer per session;
 * - the legacy SSE pair (GET /sse, POST /messages?sessionId=) for old clients;
 * - GET /healthz.
 * Every request passes three gates first: the Host (and any Origin) must name
 * this server, against DNS rebinding; the bearer token when one is set; and a
 * body size limit.
 */

const MAX_BODY_BYTES = LIMITS.maxRequestBytes;

export interface HttpOptions {
  host: string;
  port: number;
  token: string | undefined;
  makeServer: () => McpServer;
  dropServer: (server: McpServer) => void;
  log: Logger;
  /** The web inspector at / and /inspector/ (server/inspector/routes.ts); absent: no page. */
  inspector?: InspectorRoutes;
}

export interface HttpHandle {
  url: string;
  close(): Promise<void>;
}

interface Session {
  server: McpServer;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function serveHttp(o: HttpOptions): Promise<HttpHandle> {
  const streamable = new Map<string, { transport: StreamableHTTPServerTransport; session: Session }>();
  const legacy = new Map<string, { transport: SSEServerTransport; session: Session }>();
  let allowedHosts = new Set<string>();
  // A wildcard bind (0.0.0.0, ::) has no one name to check Host against; it requires a token instead (server/main.ts).
  const wildcard = o.host === '0.0.0.0' || o.host === '::';

  const open = (server: McpServer, close: () => Promise<void>): Session => ({ server, close });

  const http: Server = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return reply(res, err.status, err.message);
      o.log.error(`HTTP ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      reply(res, 500, 'internal error; the server is still running, retry');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!wildcard) checkHostAndOrigin(req, allowedHosts);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const inspector = o.inspector?.matches(url.pathname) ? o.inspector : undefined;
    // The page and its static files load without the token (a browser navigation
    // cannot send one; they hold no store data); the inspector's API needs it.
    if (!inspector?.isPublic(url.pathname)) checkToken(req, o.token);
    if (inspector) return inspector.handle(req, res, url);
    if (url.pathname === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', sessions: streamable.size + legacy.size }));
      return;
    }
    if (url.pathname === '/mcp') return handleStreamable(req, res);
    if (url.pathname === '/sse' && req.method === 'GET') return openLegacy(res);
    if (url.pathname === '/messages' && req.method === 'POST') {
      const entry = legacy.get(url.searchParams.get('sessionId') ?? '');
      if (!entry) throw new HttpError(404, 'unknown SSE session; open GET /sse first');
      await entry.transport.handlePostMessage(req, res, await readJson(req));
      return;
    }
    throw new HttpError(404, 'not found; the MCP endpoint is /mcp (legacy SSE: /sse)');
  }

  async function handleStreamable(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? streamable.get(sessionId) : undefined;
    if (req.method === 'POST') {
      const body = await readJson(req);
      if (existing) return existing.transport.handleRequest(req, res, body);
      if (sessionId !== undefined) throw new HttpError(404, 'unknown or expired session; initialize a new one');
      if (!isInitializeRequest(body)) throw new HttpError(400, 'no session: send an initialize request first');
      const server = o.makeServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableDnsRebindingProtection: !wildcard,
        allowedHosts: [...allowedHosts],
        onsessioninitialized: (id) => {
          streamable.set(id, { transport, session: open(server, () => transport.close()) });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) streamable.delete(transport.sessionId);
        o.dropServer(server);
      };
      await server.connect(transport);
      return transport.handleRequest(req, res, body);
    }
    if (!existing) throw new HttpError(sessionId === undefined ? 400 : 404, 'unknown or missing mcp-session-id; initialize a session with POST /mcp');
    return existing.transport.handleRequest(req, res);
  }

  async function openLegacy(res: ServerResponse): Promise<void> {
    const server = o.makeServer();
    const transport = new SSEServerTransport('/messages', res, { enableDnsRebindingProtection: !wildcard, allowedHosts: [...allowedHosts] });
    legacy.set(transport.sessionId, { transport, session: open(server, () => transport.close()) });
    transport.onclose = () => {
      legacy.delete(transport.sessionId);
      o.dropServer(server);
    };
    await server.connect(transport);
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
      const sessions = [...streamable.values(), ...legacy.values()].map((e) => e.session);
      await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Host header values that name this server: the bound address and the loopback names, with the port. */
function hostsFor(host: string, port: number): Set<string> {
  const names = new Set([host, host.includes(':') ? `[${host}]` : host]);
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
    for (const n of ['127.0.0.1', 'localhost', '[::1]']) names.add(n);
  }
  return new Set([...names].map((n) => `${n}:${port}`));
}

/** Exact match, as the SDK transports check it too, so both gates agree. */
function checkHostAndOrigin(req: IncomingMessage, allowed: Set<string>): void {
  const host = req.headers.host ?? '';
  if (!allowed.has(host)) {
    throw new HttpError(403, `Host ${JSON.stringify(req.headers.host ?? '')} is not this server's; connect to ${[...allowed][0] ?? 'the bound address'}`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      throw new HttpError(403, 'the Origin header is not a URL');
    }
    if (!allowed.has(originHost)) throw new HttpError(403, `Origin ${origin} may not use this server`);
  }
}

function checkToken(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) return;
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new HttpError(401, 'missing or wrong bearer token; send Authorization: Bearer <the --token value>');
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readJsonBody(req, MAX_BODY_BYTES);
  if (body.ok) return body.value;
  if (body.reason === 'too-large') throw new HttpError(413, `request body is over the ${MAX_BODY_BYTES}-byte limit; send fewer entries per call`);
  throw new HttpError(400, 'the request body is not JSON; send a JSON-RPC message');
}

function reply(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  res.writeHead(status, headers).end(JSON.stringify({ jsonrpc: '2.0', error: { code: status === 413 ? -32600 : -32000, message }, id: null }));
}

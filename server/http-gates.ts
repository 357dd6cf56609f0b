import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.ts';

/**
 * The checks every HTTP request passes before anything else: the Host and
 * any Origin must name this server (against DNS rebinding), and the bearer
 * token when one is set. Host names and the auth scheme are case-insensitive
 * (RFC 9110); the token itself is compared exactly, in constant time.
 */

/** Host header values that name this server, lower-cased: the bound address and the loopback names, with the port. */
export function hostsFor(host: string, port: number): Set<string> {
  const names = new Set([host, host.includes(':') ? `[${host}]` : host]);
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
    for (const n of ['127.0.0.1', 'localhost', '[::1]']) names.add(n);
  }
  return new Set([...names].map((n) => `${n}:${port}`.toLowerCase()));
}

/**
 * `Origin: null` is what a browser sends from a sandboxed iframe, a data: URL
 * or a file:// page: it names no server, so it is refused whatever the bind
 * (a wildcard bind checks no names, but still refuses this).
 */
export function checkOriginNotNull(req: IncomingMessage): void {
  if (req.headers.origin === 'null') {
    throw new HttpError(403, 'Origin null (a sandboxed frame, a data: URL or a file:// page) may not use this server; open the page from this server\'s own address');
  }
}

export function checkHostAndOrigin(req: IncomingMessage, allowed: Set<string>): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.has(host)) {
    throw new HttpError(403, `Host ${JSON.stringify(req.headers.host ?? '')} is not this server's; connect to ${[...allowed][0] ?? 'the bound address'}`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let originHost: string;
  try {
    // The URL parser lower-cases the host.
    originHost = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'the Origin header is not a URL; send the page\'s own origin or none');
  }
  if (!allowed.has(originHost)) throw new HttpError(403, `Origin ${origin} may not use this server; open the page from ${[...allowed][0] ?? 'the bound address'}`);
}

export function checkToken(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) return;
  const given = /^bearer +(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new HttpError(401, 'missing or wrong bearer token; send Authorization: Bearer <the --token value>');
  }
}

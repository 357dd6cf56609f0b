import { closeSync, createReadStream, existsSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type QueryLanguage, runQuery } from '../../rvlite-bridge/run-query.ts';
import { LIMITS } from '../../schemas/limits.ts';
import type { StoreRegistry } from '../../store/registry.ts';
import type { BodyBudget } from '../body-budget.ts';
import { readJsonBody } from '../read-json-body.ts';
import type { StoreView } from './api-types.ts';
import type { SegmentInfo, StoreStatus } from '../../store/types.ts';
import type { Logger } from '../../tools/context.ts';

/**
 * The web inspector's HTTP side, behind server/http.ts's gates:
 * - `GET /` and `GET /inspector/<file>`: the page and its bundle from
 *   dist/inspector/. They carry no store data, so they load without the token
 *   (a browser navigation cannot send one); the page asks for it.
 * - `/inspector/api/...`: JSON (and the store bytes), token required when set.
 *   Everything here only reads: queries run with write: false even on a
 *   --write server.
 */

export interface InspectorOptions {
  /**
   * Where the page's stores come from: a read-only registry, so that looking
   * at a store never takes its writer lease (even on a --write server).
   */
  registry: StoreRegistry;
  /** Whether the server itself writes (the page says so; it only reads either way). */
  serverWrites: boolean;
  log: Logger;
  /** The process-wide budget of request-body bytes held at once, shared with /mcp. */
  bodyBudget: BodyBudget;
  /** Where the built page lives; default: dist/inspector of this package. */
  assetsDir?: string;
  /** With --replicate-to: each store's replication, shown beside its status. */
  replication?: { status(store: string, localEpoch: number): NonNullable<StoreView['replication']> };
}

export interface InspectorRoutes {
  /** Whether the inspector answers `pathname` (`/` and everything under `/inspector/`). */
  matches(pathname: string): boolean;
  /** Whether `pathname` may be fetched without the token (the page and its static files, never the API). */
  isPublic(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

const API = '/inspector/api/';
const MAX_QUERY_BODY = LIMITS.maxQueryTextBytes + 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** A failure the API reports as `{error: {code, message}}` with `status`. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function inspectorRoutes(o: InspectorOptions): InspectorRoutes {
  const assets = resolve(o.assetsDir ?? defaultAssetsDir());

  return {
    matches: (p) => p === '/' || p === '/inspector' || p.startsWith('/inspector/'),
    isPublic: (p) => !(p.startsWith(API) || p === API.slice(0, -1)),
    async handle(req, res, url) {
      try {
        if (url.pathname.startsWith(API) || url.pathname === API.slice(0, -1)) await api(req, res, url.pathname.slice(API.length));
        else serveAsset(req, res, url.pathname);
      } catch (err) {
        apiFailure(res, err, o.log, o.registry);
      }
    },
  };

  function serveAsset(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'EMETHOD', 'the inspector page is read with GET.');
    if (pathname === '/inspector' || pathname === '/inspector/') {
      res.writeHead(308, { location: '/' }).end();
      return;
    }
    let relative: string;
    try {
      relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice('/inspector/'.length));
    } catch {
      throw new ApiError(400, 'EINVAL', 'the path is not valid percent-encoding.');
    }
    // Only plain file names below the assets directory: no "..", no absolute paths, no NUL, no dot files.
    if (relative === '' || relative.includes('\0') || relative.split(/[/\\]/).some((part) => part === '' || part.startsWith('.'))) {
      throw new ApiError(404, 'ENOENT', 'no such inspector file.');
    }
    const file = resolve(assets, relative);
    if (!file.startsWith(assets + sep)) throw new ApiError(404, 'ENOENT', 'no such inspector file.');
    if (!existsSync(file) || !statSync(file).isFile()) {
      if (relative === 'index.html') {
        throw new ApiError(503, 'ENOTBUILT', `the inspector page is not built (${assets} has no index.html); build it with: npm run build`);
      }
      throw new ApiError(404, 'ENOENT', 'no such inspector file.');
    }
    const body = readFileSync(file);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(body.length),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // The page runs only its own scripts and talks only to this server.
      ...(relative === 'index.html'
        ? {
            'content-security-policy':
              "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            'referrer-policy': 'no-referrer',
          }
        : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function api(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    if (rest === 'stores') {
      requireMethod(req, 'GET');
      return sendJson(res, 200, await listStores());
    }
    const bytes = /^stores\/([^/]+)\/bytes$/.exec(rest);
    if (bytes?.[1] !== undefined) {
      requireMethod(req, 'GET');
      return sendBytes(req, res, decodeName(bytes[1]));
    }
    if (rest === 'query') {
      requireMethod(req, 'POST');
      const body = await readQueryBody(req, o.bodyBudget);
      return sendJson(res, 200, await query(body));
    }
    throw new ApiError(404, 'ENOENT', 'no such inspector API; it has GET stores, GET stores/<name>/bytes and POST query.');
  }

  async function listStores(): Promise<{ write: boolean; stores: StoreView[] }> {
    const stores: StoreView[] = [];
    for (const entry of await o.registry.list()) {
      try {
        const db = await o.registry.get(entry.store);
        const [status, segments] = await Promise.all([db.status(), db.segments()]);
        const view = viewOf(entry.store, status, segments, o.registry.root);
        stores.push(o.replication ? { ...view, replication: o.replication.status(entry.store, status.epoch) } : view);
      } catch (err) {
        // One store that cannot open (held by another writer, damaged) still shows what its file says.
        const e = errorOf(err, o.registry);
        stores.push({
          name: entry.store,
          status: {
            totalVectors: entry.totalVectors,
            dimensions: entry.dimensions,
            metric: entry.metric,
            epoch: entry.epoch,
            fileSizeBytes: entry.fileSizeBytes,
            totalSegments: 0,
            deadSpaceRatio: 0,
            fileId: '',
            lineage: null,
            embedder: null,
            index: { setting: 'auto', kind: 'none', indexed: 0, pending: 0 },
          },
          segments: [],
          error: { code: e.code, message: e.message },
        });
      }
    }
    return { write: o.serverWrites, stores };
  }

  /**
   * The committed bytes: the file up to the handle's committed end, never a
   * torn tail after it. A file replaced (compaction by another process)
   * between opening it and reading the status is opened again.
   */
  async function sendBytes(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const db = await o.registry.get(name);
    for (let attempt = 0; attempt < 3; attempt++) {
      const fd = openSync(db.path, 'r');
      let handedOver = false;
      try {
        const status = await db.status();
        const own = fstatSync(fd);
        const now = statSync(db.path);
        if (own.ino !== now.ino || own.dev !== now.dev || own.size < status.fileSizeBytes) {
          await db.refresh();
          continue;
        }
        const size = status.fileSizeBytes;
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(size),
          'content-disposition': `attachment; filename="${name}.rvf"`,
          'cache-control': 'no-store',
          'x-rvf-epoch': String(status.epoch),
          'x-rvf-file-id': status.fileId,
        });
        if (req.method === 'HEAD' || size === 0) {
          res.end();
          return;
        }
        const stream = createReadStream('', { fd, start: 0, end: size - 1, autoClose: true });
        handedOver = true;
        await new Promise<void>((done) => {
          stream.on('error', (err) => {
            o.log.error(`inspector: reading ${name}: ${err.message}`);
            res.destroy(err);
            done();
          });
          res.on('close', () => {
            stream.destroy();
            done();
          });
          stream.pipe(res);
        });
        return;
      } finally {
        if (!handedOver) closeSync(fd);
      }
    }
    throw new ApiError(409, 'EBUSY', `store ${name} kept being rewritten while it was read; try again.`);
  }

  async function query(body: unknown): Promise<unknown> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError(400, 'EINVAL', 'send a JSON object {store, lang, query, params?}.');
    }
    const { store, lang, query: text, params } = body as Record<string, unknown>;
    if (typeof store !== 'string') throw new ApiError(400, 'EINVAL', 'store must be a store name.');
    if (lang !== 'sql' && lang !== 'cypher' && lang !== 'sparql') throw new ApiError(400, 'EINVAL', 'lang must be "sql", "cypher" or "sparql".');
    if (typeof text !== 'string') throw new ApiError(400, 'EINVAL', 'query must be a string.');
    if (params !== undefined && params !== null && typeof params !== 'object') throw new ApiError(400, 'EINVAL', 'params must be an array or an object.');
    const db = await o.registry.get(store);
    // The inspector only reads, whatever --write says; a refused write says where writes go instead.
    const rows = await runQuery(db, lang as QueryLanguage, text, (params ?? undefined) as unknown[] | Record<string, unknown> | undefined, { write: false, readOnlyContext: 'inspector', asker: 'inspector' });
    return { store, lang, ...rows };
  }
}

export type { StoreView };

function viewOf(name: string, s: StoreStatus, segments: SegmentInfo[], root: string): StoreView {
  let lineage: StoreView['status']['lineage'] = null;
  if (s.lineage) {
    const { parentPath, ...rest } = s.lineage;
    const inRoot = parentPath !== '' && dirname(parentPath) === root && parentPath.endsWith('.rvf');
    lineage = { ...rest, parentStore: inRoot ? basename(parentPath, '.rvf') : null, parentName: parentPath === '' ? '' : basename(parentPath) };
  }
  return {
    name,
    status: {
      totalVectors: s.totalVectors,
      dimensions: s.dimensions,
      metric: s.metric,
      epoch: s.epoch,
      fileSizeBytes: s.fileSizeBytes,
      totalSegments: s.totalSegments,
      deadSpaceRatio: s.deadSpaceRatio,
      fileId: s.fileId,
      lineage,
      embedder: s.embedder,
      index: s.index,
    },
    segments,
  };
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, 'EINVAL', 'the store name is not valid percent-encoding.');
  }
}

function requireMethod(req: IncomingMessage, method: 'GET' | 'POST'): void {
  if (req.method === method || (method === 'GET' && req.method === 'HEAD')) return;
  throw new ApiError(405, 'EMETHOD', `use ${method} here.`);
}

async function readQueryBody(req: IncomingMessage, budget: BodyBudget): Promise<unknown> {
  const body = await readJsonBody(req, MAX_QUERY_BODY, budget);
  if (body.ok) return body.value;
  if (body.reason === 'too-large') throw new ApiError(413, 'ELIMIT', `the request is over ${MAX_QUERY_BODY} bytes; pass a shorter query.`);
  if (body.reason === 'busy') throw new ApiError(503, 'EBUSY', 'the server is reading too many request bodies at once; retry in a moment.');
  throw new ApiError(400, 'EINVAL', 'the request body is not JSON.');
}

function sendJson(res: ServerResponse, status: number, data: unknown): void {
  const body = JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body);
}

const STATUS_OF: Record<string, number> = {
  EINVAL: 400,
  EDIM: 400,
  ELIMIT: 400,
  EMETHOD: 405,
  EREADONLY: 403,
  ENOENT: 404,
  ELOCK: 409,
  ESTALE: 409,
  EBUSY: 409,
  ETIMEOUT: 408,
  ECORRUPT: 422,
  EVERSION: 422,
  ENOTBUILT: 503,
};

/** The code and message the page shows; like tool results, it names no absolute path. */
function errorOf(err: unknown, registry: StoreRegistry): { code: string; message: string } {
  const message = registry.withoutRoot(err instanceof Error ? err.message : String(err));
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? { code, message } : { code: 'EINTERNAL', message };
}

function apiFailure(res: ServerResponse, err: unknown, log: Logger, registry: StoreRegistry): void {
  const { code, message } = errorOf(err, registry);
  const status = err instanceof ApiError ? err.status : (STATUS_OF[code] ?? (code === 'EINTERNAL' ? 500 : 400));
  if (status >= 500 && !(err instanceof ApiError)) log.error(`inspector: ${message}`, err instanceof Error ? err.stack : undefined);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code, message } });
}

/** dist/inspector of this package, from the compiled (dist/server/inspector) or the source (server/inspector) location. */
function defaultAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, '..', '..', 'inspector');
  if (basename(resolve(here, '..', '..')) === 'dist') return compiled;
  return join(here, '..', '..', 'dist', 'inspector');
}

/**
 * `rvf-mcp-server --write --replicate-to <url>` as a client sees it, in a real
 * server process over stdio, against a real PostgreSQL + pgvector (PGlite over
 * pglite-socket):
 * - commits made through the tools reach Postgres in the background, and
 *   rvf_status shows replication (target without password, epoch, lag, last error);
 * - with the socket server stopped, writes still succeed, each in a few
 *   seconds; rvf_status shows the error and the lag; once it is back the
 *   backlog catches up;
 * - a SIGKILL of the server mid-replication, then a restart: Postgres ends
 *   with exactly the store's vectors, no duplicate and no gap;
 * - --replicate-prefix names every store in Postgres with the prefix;
 * - the status resource shows replication as rvf_status does;
 * - the inspector API shows replication too; an unreachable Postgres is a
 *   last error there while the server keeps serving;
 * - a bad URL or --replicate-to without --write is refused at start.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { RvfDatabase } from '../store/index.ts';
import { descendants, PACKAGE_ROOT } from './helpers/mcp.ts';
import { startPostgres, TEST_PASSWORD, type TestPostgres } from './helpers/pglite-server.ts';
import { randomVectors } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const root = tempDir('rvf-replicate-server-');
const TSX = import.meta.resolve('tsx');
const MAIN = join(PACKAGE_ROOT, 'server/main.ts');
let pg: TestPostgres;

before(async () => {
  pg = await startPostgres();
});

after(async () => {
  await pg?.close();
});

interface Server {
  client: Client;
  pid: number;
  stderr(): string;
  close(): Promise<void>;
}

async function startServer(url: string, ...more: string[]): Promise<Server> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', TSX, MAIN, '--write', '--root', root, '--replicate-to', url, ...more],
    cwd: PACKAGE_ROOT,
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'rvf-replicate-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid as number, stderr: () => stderr, close: () => client.close() };
}

async function call<T>(s: Server, name: string, args: Record<string, unknown>): Promise<T> {
  const r = await s.client.callTool({ name, arguments: args });
  assert.ok(!r.isError, `${name}: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}

interface Status {
  epoch: number;
  totalVectors: number;
  replication?: { target: string; name: string; epoch: number | null; lag: number | null; lastError: string | null };
}

async function ingest(s: Server, store: string, count: number, seed: number, firstId: number): Promise<number> {
  const entries = randomVectors(count, 16, seed).map((v, i) => ({ id: firstId + i, vector: Array.from(v), metadata: { seed } }));
  const started = Date.now();
  await call(s, 'rvf_ingest', { store, entries });
  return Date.now() - started;
}

/** Polls rvf_status until `done` holds, or fails after `ms`. */
async function statusUntil(s: Server, store: string, done: (st: Status) => boolean, ms = 90_000): Promise<Status> {
  const started = Date.now();
  for (;;) {
    const st = await call<Status>(s, 'rvf_status', { store });
    if (done(st)) return st;
    if (Date.now() - started > ms) assert.fail(`rvf_status never got there: ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const caughtUp = (st: Status): boolean => st.replication?.epoch === st.epoch && st.replication.lag === 0 && st.replication.lastError === null;

/** Postgres holds exactly the store's live ids, once each. */
async function assertSameIds(store: string): Promise<void> {
  const db = await RvfDatabase.openReadonly(join(root, `${store}.rvf`));
  try {
    const local: string[] = [];
    await db.forEachEntry((batch) => {
      for (const e of batch) local.push(String(e.id));
    });
    const remote = (await pg.query<{ id: string }>('SELECT id::text AS id FROM rvf.vectors WHERE store = $1', [store])).map((r) => r.id);
    assert.deepEqual(remote.sort(), local.sort());
    const held = await pg.query<{ epoch: string }>('SELECT epoch FROM rvf.stores WHERE store = $1', [store]);
    assert.equal(Number(held[0]?.epoch), (await db.status()).epoch);
  } finally {
    await db.close();
  }
}

test('commits ship in the background; with Postgres down writes stay fast and succeed, and the backlog catches up', async () => {
  const server = await startServer(pg.url);
  try {
    await call(server, 'rvf_create_store', { store: 'fleet', dimensions: 16 });
    await ingest(server, 'fleet', 200, 1, 1);
    const st = await statusUntil(server, 'fleet', caughtUp);
    assert.equal(st.replication?.target, `postgres://postgres@127.0.0.1:${pg.port}/postgres`);
    assert.ok(!JSON.stringify(st).includes(TEST_PASSWORD));
    // The status resource tells the same as the tool.
    const resource = await server.client.readResource({ uri: 'rvf://stores/fleet/status' });
    const shown = JSON.parse((resource.contents[0] as { text: string }).text) as Status;
    assert.deepEqual(shown.replication, st.replication);
    await assertSameIds('fleet');

    await pg.stopSocket();
    for (let i = 0; i < 5; i++) {
      const ms = await ingest(server, 'fleet', 50, 10 + i, 1000 + i * 50);
      assert.ok(ms < 3000, `a write took ${ms} ms while Postgres was down`);
    }
    const down = await statusUntil(server, 'fleet', (s) => s.replication?.lastError !== null && s.replication?.lastError !== undefined);
    assert.match(down.replication?.lastError ?? '', /cannot reach Postgres at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: the connection was refused/);
    assert.ok((down.replication?.lag ?? 0) >= 1, 'the commits made meanwhile are lag');
    assert.ok(!server.stderr().includes(TEST_PASSWORD));

    await pg.startSocket();
    await statusUntil(server, 'fleet', caughtUp);
    await assertSameIds('fleet');
  } finally {
    await pg.startSocket();
    await server.close();
  }
});

test('--replicate-prefix: each store lands in Postgres under the prefixed name, and status names it', async () => {
  const server = await startServer(pg.url, '--replicate-prefix', 'host1-');
  try {
    await call(server, 'rvf_create_store', { store: 'prefixed', dimensions: 16 });
    await ingest(server, 'prefixed', 30, 7, 1);
    const st = await statusUntil(server, 'prefixed', caughtUp);
    assert.equal(st.replication?.name, 'host1-prefixed');
    const rows = await pg.query<{ store: string; n: string }>("SELECT store, count(*)::text AS n FROM rvf.vectors WHERE store LIKE '%prefixed' GROUP BY store");
    assert.deepEqual(rows, [{ store: 'host1-prefixed', n: '30' }]);
    const held = await pg.query<{ epoch: string }>("SELECT epoch FROM rvf.stores WHERE store = 'host1-prefixed'");
    assert.equal(Number(held[0]?.epoch), st.epoch);
  } finally {
    await server.close();
  }
});

test('a SIGKILL of the server mid-replication, then a restart: no duplicate, no gap', async () => {
  let server = await startServer(pg.url);
  await call(server, 'rvf_create_store', { store: 'killed', dimensions: 16 });
  await ingest(server, 'killed', 100, 50, 1);
  await statusUntil(server, 'killed', caughtUp);
  // A backlog of commits while Postgres is away, then the kill once some of it has shipped.
  await pg.stopSocket();
  for (let i = 0; i < 200; i++) await ingest(server, 'killed', 100, 100 + i, 1 + i * 80);
  const local = (await call<Status>(server, 'rvf_status', { store: 'killed' })).epoch;
  const held = async (): Promise<number> => Number((await pg.query<{ epoch: string }>("SELECT epoch FROM rvf.stores WHERE store = 'killed'"))[0]?.epoch);
  const base = await (async () => {
    await pg.startSocket();
    return held();
  })();
  const poll = await pg.connect();
  const started = Date.now();
  const polled = async (): Promise<number> => Number((await poll.query<{ epoch: string }>("SELECT epoch FROM rvf.stores WHERE store = 'killed'")).rows[0]?.epoch);
  while ((await polled()) < base + 3 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 2));
  const nodePids = [server.pid, ...descendants(server.pid)];
  for (const pid of nodePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server.close().catch(() => undefined);
  await poll.end();
  const atKill = await held();
  assert.ok(atKill > base && atKill < local, `killed mid-way: Postgres at ${atKill}, from ${base} to ${local}`);

  server = await startServer(pg.url);
  try {
    await statusUntil(server, 'killed', caughtUp);
    await assertSameIds('killed');
  } finally {
    await server.close();
  }
});

test("the inspector API shows each store's replication; an unreachable Postgres is a last error while the server keeps serving", async () => {
  const closed = `postgres://postgres:${TEST_PASSWORD}@127.0.0.1:1/postgres`;
  await (await RvfDatabase.create(join(root, 'inspected.rvf'), { dimensions: 4 })).close();
  const child = spawn(process.execPath, ['--import', TSX, MAIN, '--write', '--root', root, '--transport', 'http', '--port', '0', '--replicate-to', closed], {
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const started = Date.now();
    while (!/listening on http:\/\/[^\s,]+/.test(stderr) && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
    const origin = new URL((/listening on (http:\/\/[^\s,]+)/.exec(stderr) as RegExpExecArray)[1] as string).origin;
    type View = { name: string; status: { epoch: number }; replication?: { target: string; epoch: number | null; lag: number | null; lastError: string | null } };
    let view: View | undefined;
    while (Date.now() - started < 30_000) {
      const body = (await (await fetch(`${origin}/inspector/api/stores`)).json()) as { stores: View[] };
      view = body.stores.find((s) => s.name === 'inspected');
      if (view?.replication?.lastError) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(view?.replication?.target, 'postgres://postgres@127.0.0.1:1/postgres');
    assert.match(view?.replication?.lastError ?? '', /^cannot reach Postgres at postgres:\/\/postgres@127\.0\.0\.1:1\/postgres: the connection was refused/);
    assert.ok(!stderr.includes(TEST_PASSWORD), 'no password in the server log');
    // The server keeps serving: the stores are all there and answer.
    assert.equal((await fetch(`${origin}/healthz`)).status, 200);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

test('--replicate-to is refused without --write, and with a URL that is not postgres://; --replicate-prefix without it or malformed', async () => {
  const run = promisify(execFile);
  const start = async (...args: string[]): Promise<{ code: number; stderr: string }> => {
    try {
      await run(process.execPath, ['--import', TSX, MAIN, '--root', root, ...args], { cwd: PACKAGE_ROOT });
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code?: number; stderr?: string };
      return { code: e.code ?? -1, stderr: e.stderr ?? '' };
    }
  };
  const readOnly = await start('--replicate-to', pg.url);
  assert.equal(readOnly.code, 2);
  assert.match(readOnly.stderr, /^rvf-mcp-server: --replicate-to ships the commits this server makes, so it needs --write; see --help\.\n$/);
  const bad = await start('--write', '--replicate-to', `mysql://u:${TEST_PASSWORD}@h/db`);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^rvf-mcp-server: --replicate-to: the target must be a postgres:\/\/ or postgresql:\/\/ URL, not a mysql:\/\/ one\.\n$/);
  assert.ok(!bad.stderr.includes(TEST_PASSWORD));
  const prefixAlone = await start('--write', '--replicate-prefix', 'host1-');
  assert.equal(prefixAlone.code, 2);
  assert.match(prefixAlone.stderr, /^rvf-mcp-server: --replicate-prefix names stores in the Postgres of --replicate-to, so it needs --replicate-to; see --help\.\n$/);
  const badPrefix = await start('--write', '--replicate-to', pg.url, '--replicate-prefix', '../x');
  assert.equal(badPrefix.code, 2);
  assert.match(badPrefix.stderr, /--replicate-prefix is 1 to 32 letters/);
});

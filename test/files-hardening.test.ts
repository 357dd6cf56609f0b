/**
 * Files under the root (issue 11, section 4), from where the user stands:
 * real server processes, the built `rvf` command, real files.
 *
 * - A read-only server (every read tool, the resources), the `rvf` command's
 *   read commands and the web inspector create and change no file under the
 *   root: after a writer closed cleanly (no cache side files left), nothing
 *   under the root differs in name, size or mtime, also after they exit;
 *   beside a live writer they read its side files but add no file.
 * - Hard links: a store file hardlinked to a file outside the root is refused
 *   with and without --write and the outside file keeps every byte (the
 *   library refuses it too, but not while create publishes a file); a
 *   hardlinked cache (or cache side file) is replaced, never written through;
 *   a hardlinked lock file is never written.
 * - Error results name the store and never an absolute path: an existing
 *   store, ELOCK from a second writer process, a symlink out of the root, a
 *   hard link, a damaged store, a missing store, a store deleted while open.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { RvfDatabase } from '../store/index.ts';
import { callErr, callOk, PACKAGE_ROOT, processAlive, startServer, type Json, type McpProcess, type ServerOptions } from './helpers/mcp.ts';
import { rawRequest, startHttpServer } from './helpers/mcp-http.ts';
import { spawnFixture, waitForLine } from './helpers/child.ts';
import { tempDir } from './helpers/temp.ts';

const CLI = join(PACKAGE_ROOT, 'dist/server/rvf-cli.js');
const runFile = promisify(execFile);

// ------------------------------------------------------------ helpers

/** Every file and folder under `dir` (relative), with its kind, size, mtime and inode: what "changed no file" compares. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const p = join(at, name);
      const st = lstatSync(p, { bigint: true });
      out.set(relative(dir, p), `${st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file'} size=${st.size} mtime=${st.mtimeNs} ino=${st.ino}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

function assertUnchanged(dir: string, before: Map<string, string>, when: string): void {
  assert.deepEqual(snapshot(dir), before, `${when}: a file under the root was created, removed or changed`);
}

/** Sha-256 of every file under `dir`: what "the outside file is unchanged" compares. */
function contents(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((f) => [f, `${statSync(join(dir, f)).size}:${createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')}`]));
}

/** Starts a server and learns its pid at once, before query children join it under npx. */
async function start(root: string, o: ServerOptions = {}): Promise<McpProcess> {
  const server = await startServer(root, o);
  const pid = server.serverPid();
  // A failed test must not leave its server running.
  after(() => {
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  return server;
}

/** Closes the client and waits until the server process itself has exited (its shutdown closes caches). */
async function stop(server: McpProcess): Promise<void> {
  const pid = server.serverPid();
  await server.close();
  const deadline = Date.now() + 20_000;
  while (processAlive(pid)) {
    assert.ok(Date.now() < deadline, `server pid ${pid} did not exit`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rvf(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await runFile(process.execPath, [CLI, ...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

const VECTORS = Array.from({ length: 12 }, (_, i) => [Math.cos(i), Math.sin(i), (i % 3) / 3, 1]);

/** Fills store `name` through a --write server: vectors with metadata, a SQL table, a graph node, a triple. */
async function fill(s: McpProcess, name: string): Promise<void> {
  await callOk(s.client, 'rvf_create_store', { store: name, dimensions: 4 });
  await callOk(s.client, 'rvf_ingest', { store: name, entries: VECTORS.map((vector, id) => ({ id, vector, metadata: { topic: id % 2 ? 'odd' : 'even' } })) });
  await callOk(s.client, 'rvlite_sql', { store: name, query: 'CREATE TABLE notes (x INTEGER)' });
  await callOk(s.client, 'rvlite_sql', { store: name, query: 'INSERT INTO notes VALUES (1), (2)' });
  await callOk(s.client, 'rvlite_cypher', { store: name, query: "CREATE (:Person {name: 'ada'})" });
  await callOk(s.client, 'rvlite_sparql', { store: name, query: 'INSERT DATA { <http://x/a> <http://x/b> "c" }' });
}

/** Every read a read-only server offers, on store `name` and text memory `memory`, each checked for its answer. */
async function readEverything(r: McpProcess, name: string, memory: string): Promise<void> {
  const c = r.client;
  const listed = (await callOk(c, 'rvf_list_stores', {}))['stores'] as Json[];
  assert.ok(listed.some((s) => s['store'] === name));
  await callOk(c, 'rvf_open_store', { store: name });
  assert.equal((await callOk(c, 'rvf_status', { store: name }))['totalVectors'], VECTORS.length);
  await callOk(c, 'rvf_segments', { store: name });
  const hits = (await callOk(c, 'rvf_query', { store: name, vector: VECTORS[3], k: 3, filter: { topic: 'odd' } }))['results'] as Json[];
  assert.equal(hits[0]?.['id'], 3);
  assert.deepEqual(hits[0]?.['metadata'], { topic: 'odd' });
  const recalled = (await callOk(c, 'rvf_recall', { store: memory, text: 'cats sleep' }))['results'] as Json[];
  assert.ok(recalled.length > 0);
  assert.deepEqual((await callOk(c, 'rvlite_sql', { store: name, query: 'SELECT sum(x) FROM notes' }))['rows'], [[3]]);
  assert.deepEqual((await callOk(c, 'rvlite_sql', { store: name, query: 'SELECT id FROM rvf_knn(?, 1)', params: [JSON.stringify(VECTORS[5])] }))['rows'], [[5]]);
  assert.deepEqual((await callOk(c, 'rvlite_cypher', { store: name, query: 'MATCH (p:Person) RETURN p.name' }))['rows'], [['ada']]);
  assert.equal(((await callOk(c, 'rvlite_sparql', { store: name, query: 'SELECT ?o WHERE { ?s ?p ?o }' }))['rows'] as unknown[]).length, 1);
  const resources = await c.listResources();
  assert.ok(resources.resources.length >= 1);
  for (const uri of ['rvf://stores', `rvf://stores/${name}/status`, `rvf://stores/${name}/segments`]) {
    assert.ok((await c.readResource({ uri })).contents.length === 1, uri);
  }
  await callOk(c, 'rvf_close_store', { store: name });
}

/** A root whose stores a --write server filled and then closed cleanly (its caches have no -wal or -shm left). */
async function cleanlyClosedRoot(): Promise<string> {
  const root = realpathSync(tempDir('rvf-files-ro-'));
  const w = await start(root, { write: true });
  await fill(w, 'notes');
  await callOk(w.client, 'rvf_remember', { store: 'memory', text: 'cats sleep most of the day', metadata: null });
  await stop(w);
  assert.deepEqual(readdirSync(root).sort(), ['memory.rvf', 'memory.rvf.sqlite', 'notes.rvf', 'notes.rvf.sqlite'], 'the writer closed cleanly: no side files, no lock');
  return root;
}

// ------------------------------------------------------------ 1. read-only servers write nothing

test('a --write server that only read its store through the query languages leaves no -wal or -shm after a clean shutdown', async () => {
  const root = realpathSync(tempDir('rvf-files-reads-'));
  const w = await start(root, { write: true });
  await callOk(w.client, 'rvf_create_store', { store: 'read', dimensions: 4 });
  await callOk(w.client, 'rvf_ingest', { store: 'read', entries: VECTORS.map((vector, id) => ({ id, vector })) });
  assert.deepEqual((await callOk(w.client, 'rvlite_sql', { store: 'read', query: 'SELECT count(*) FROM vectors' }))['rows'], [[VECTORS.length]]);
  await callOk(w.client, 'rvlite_cypher', { store: 'read', query: 'MATCH (n) RETURN count(n)' });
  await stop(w);
  // the query process's read-only connection was the last to close the cache, and only a read-write one removes them
  assert.deepEqual(readdirSync(root).sort(), ['read.rvf', 'read.rvf.sqlite']);
});

test('a read-only server changes no file under the root after the writer closed cleanly, while it runs and after it exits', async () => {
  const root = await cleanlyClosedRoot();
  const before = snapshot(root);
  const r = await start(root);
  try {
    await readEverything(r, 'notes', 'memory');
    assertUnchanged(root, before, 'while the read-only server runs');
  } finally {
    await stop(r);
  }
  assertUnchanged(root, before, 'after the read-only server exited');
});

test('the rvf command\'s read commands change no file under the root (and its writes leave no cache side files)', async () => {
  const root = await cleanlyClosedRoot();
  await rvf(root, 'sql', 'notes.rvf', 'INSERT INTO notes VALUES (0)', '--write');
  assert.deepEqual(readdirSync(root).sort(), ['memory.rvf', 'memory.rvf.sqlite', 'notes.rvf', 'notes.rvf.sqlite'], 'rvf sql --write left cache side files');
  const before = snapshot(root);
  await rvf(root, 'status', 'notes.rvf');
  await rvf(root, 'segments', 'notes.rvf');
  assert.match(await rvf(root, '--json', 'query', 'notes.rvf', '--vector', (VECTORS[2] as number[]).join(','), '--k', '2'), /"id":\s*2/);
  assert.match(await rvf(root, '--json', 'sql', 'notes.rvf', 'SELECT sum(x) AS s FROM notes'), /3/);
  assert.match(await rvf(root, '--json', 'cypher', 'notes.rvf', 'MATCH (p:Person) RETURN p.name'), /ada/);
  assert.match(await rvf(root, '--json', 'sparql', 'notes.rvf', 'SELECT ?o WHERE { ?s ?p ?o }'), /"c"/);
  assert.match(await rvf(root, '--json', 'recall', 'memory.rvf', 'cats sleep'), /cats/);
  assertUnchanged(root, before, 'after rvf status, segments, query, sql, cypher, sparql and recall');
});

test('the web inspector of a read-only HTTP server changes no file under the root', async () => {
  const root = await cleanlyClosedRoot();
  const before = snapshot(root);
  const server = await startHttpServer(['--root', root]);
  try {
    const host = `127.0.0.1:${server.port}`;
    const stores = await rawRequest(server.port, { path: '/inspector/api/stores', headers: { host } });
    assert.equal(stores.status, 200, stores.body);
    const bytes = await rawRequest(server.port, { path: '/inspector/api/stores/notes/bytes', headers: { host } });
    assert.equal(bytes.status, 200);
    const query = await rawRequest(server.port, {
      method: 'POST',
      path: '/inspector/api/query',
      headers: { host, 'content-type': 'application/json' },
      body: JSON.stringify({ store: 'notes', lang: 'sql', query: 'SELECT sum(x) FROM notes' }),
    });
    assert.equal(query.status, 200, query.body);
    assertUnchanged(root, before, 'while the inspector runs');
  } finally {
    await server.stop();
  }
  assertUnchanged(root, before, 'after the HTTP server exited');
});

test('a read-only server beside a live writer reads its cache side files but creates no file under the root', async () => {
  const root = realpathSync(tempDir('rvf-files-live-'));
  const w = await start(root, { write: true });
  try {
    await fill(w, 'notes');
    await callOk(w.client, 'rvf_remember', { store: 'memory', text: 'cats sleep most of the day', metadata: null });
    const names = readdirSync(root).sort();
    assert.ok(names.includes('notes.rvf.sqlite-wal') && names.includes('notes.rvf.lock'), `the writer holds the store: ${names.join(' ')}`);
    const r = await start(root);
    try {
      await readEverything(r, 'notes', 'memory');
      assert.deepEqual(readdirSync(root).sort(), names, 'while the read-only server runs');
    } finally {
      await stop(r);
    }
    assert.deepEqual(readdirSync(root).sort(), names, 'after the read-only server exited');
  } finally {
    await stop(w);
  }
});

// ------------------------------------------------------------ 2. hard links

test('a store file hardlinked to a file outside the root is refused, with and without --write, and the outside file keeps every byte', async () => {
  const parent = realpathSync(tempDir('rvf-files-hl-'));
  const root = join(parent, 'root');
  const outside = join(parent, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  const victim = await RvfDatabase.create(join(outside, 'victim.rvf'), { dimensions: 2 });
  await victim.ingestBatch([{ id: 1, vector: [1, 0], metadata: { secret: true } }]);
  await victim.close();
  linkSync(join(outside, 'victim.rvf'), join(root, 'notes.rvf'));
  const outsideBefore = contents(outside);

  const [w, r] = await Promise.all([start(root, { write: true, name: 'writer' }), start(root, { name: 'reader' })]);
  try {
    for (const [who, calls] of [
      [w, [['rvf_open_store', { store: 'notes' }], ['rvf_ingest', { store: 'notes', entries: [{ id: 2, vector: [0, 1] }] }], ['rvf_status', { store: 'notes' }], ['rvf_query', { store: 'notes', vector: [1, 0], k: 1 }], ['rvlite_sql', { store: 'notes', query: 'SELECT 1' }]]],
      [r, [['rvf_open_store', { store: 'notes' }], ['rvf_status', { store: 'notes' }], ['rvf_query', { store: 'notes', vector: [1, 0], k: 1 }], ['rvlite_sql', { store: 'notes', query: 'SELECT 1' }]]],
    ] as const) {
      for (const [tool, args] of calls) {
        const text = await callErr(who!.client, tool, args as Json);
        assert.match(text, /^EINVAL: store notes: notes\.rvf has 2 hard links; .*copy it/, `${tool}: ${text}`);
      }
      const listed = ((await callOk(who!.client, 'rvf_list_stores', {}))['stores'] as Json[]).map((s) => s['store']);
      assert.deepEqual(listed, [], 'a hardlinked store is not listed');
    }
  } finally {
    await Promise.all([stop(w!), stop(r!)]);
  }
  assert.deepEqual(contents(outside), outsideBefore, 'the outside file was changed through the link');
  assert.deepEqual(readdirSync(root), ['notes.rvf'], 'nothing was created beside the linked store');
});

test('the library refuses a hardlinked store file on open, for readers and writers, but not one being published under its temporary name', async () => {
  const dir = realpathSync(tempDir('rvf-files-hlib-'));
  const path = join(dir, 'notes.rvf');
  await (await RvfDatabase.create(path, { dimensions: 2 })).close();
  // create, derive and export link the finished temporary file to its name, then unlink the temporary name.
  linkSync(path, join(dir, '.notes.rvf.0123456789ab.tmp'));
  const reader = await RvfDatabase.openReadonly(path);
  await reader.close();
  rmSync(join(dir, '.notes.rvf.0123456789ab.tmp'));
  linkSync(path, join(dir, 'elsewhere.rvf'));
  for (const open of [() => RvfDatabase.open(path), () => RvfDatabase.openReadonly(path), () => RvfDatabase.open(path, { displayName: 'store notes' })]) {
    await assert.rejects(open(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'EINVAL');
      assert.match(err.message, /^(.*notes\.rvf|store notes) has 2 hard links; a store must be its own file, since writing it would change the other names too: copy it \(cp\) instead of linking\.$/);
      return true;
    });
  }
  assert.ok(!existsSync(`${path}.lock`), 'a refused writer leaves no lock');
});

test('a hardlinked cache or cache side file is replaced by a writer and ignored by a reader, never written through', async () => {
  const parent = realpathSync(tempDir('rvf-files-hlc-'));
  const root = join(parent, 'root');
  const outside = join(parent, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  for (const name of ['t', 'w']) {
    const db = await RvfDatabase.create(join(root, `${name}.rvf`), { dimensions: 2, metric: 'l2' });
    await db.ingestBatch([{ id: 1, vector: [1, 0], metadata: { k: 'one' } }, { id: 2, vector: [0, 1], metadata: { k: 'two' } }]);
    await db.close();
  }
  // t's cache is also an outside file; w's cache gets a -wal that is an outside file.
  linkSync(join(root, 't.rvf.sqlite'), join(outside, 't-cache.sqlite'));
  writeFileSync(join(outside, 'precious.txt'), 'precious bytes, not a WAL\n'.repeat(100));
  linkSync(join(outside, 'precious.txt'), join(root, 'w.rvf.sqlite-wal'));
  const outsideBefore = contents(outside);
  const rootBefore = snapshot(root);

  const r = await start(root);
  try {
    for (const store of ['t', 'w']) {
      const hits = (await callOk(r.client, 'rvf_query', { store, vector: [0.9, 0.1], k: 1, filter: { k: 'one' } }))['results'] as Json[];
      assert.deepEqual(hits.map((h) => [h['id'], h['metadata']]), [[1, { k: 'one' }]], `reader on ${store}`);
      assert.deepEqual((await callOk(r.client, 'rvlite_sql', { store, query: 'SELECT count(*) FROM vectors' }))['rows'], [[2]]);
    }
  } finally {
    await stop(r);
  }
  assertUnchanged(root, rootBefore, 'the read-only server');
  assert.deepEqual(contents(outside), outsideBefore, 'the reader changed an outside file');

  const w = await start(root, { write: true });
  try {
    for (const store of ['t', 'w']) {
      await callOk(w.client, 'rvf_ingest', { store, entries: [{ id: 3, vector: [1, 1], metadata: { k: 'three' } }] });
      const hits = (await callOk(w.client, 'rvf_query', { store, vector: [1, 1], k: 3, filter: { k: { $in: ['one', 'three'] } } }))['results'] as Json[];
      assert.deepEqual(hits.map((h) => h['id']), [3, 1], `writer on ${store}`);
      assert.equal(statSync(join(root, `${store}.rvf.sqlite`)).nlink, 1, `${store}'s cache is a file of its own now`);
    }
    assert.match(w.stderr(), /hard link/, 'the replacement is reported');
  } finally {
    await stop(w);
  }
  assert.deepEqual(contents(outside), outsideBefore, 'the writer wrote through a hardlinked cache file');
});

test('a lock file hardlinked to a file outside the root is never written', async () => {
  const parent = realpathSync(tempDir('rvf-files-hll-'));
  const root = join(parent, 'root');
  const outside = join(parent, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  const db = await RvfDatabase.create(join(root, 'notes.rvf'), { dimensions: 2 });
  await db.close();
  writeFileSync(join(outside, 'precious.txt'), 'not a lock record\n');
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(outside, 'precious.txt'), old, old);
  linkSync(join(outside, 'precious.txt'), join(root, 'notes.rvf.lock'));
  const outsideBefore = contents(outside);
  const w = await start(root, { write: true });
  try {
    await callOk(w.client, 'rvf_ingest', { store: 'notes', entries: [{ id: 1, vector: [1, 0] }] });
    assert.equal(statSync(join(root, 'notes.rvf.lock')).nlink, 1, 'the lease holds a lock file of its own');
  } finally {
    await stop(w);
  }
  assert.deepEqual(contents(outside), outsideBefore, 'the outside file was written through the lock');
});

// ------------------------------------------------------------ 3. no absolute paths in errors

/** A process holding the writer lease of `path` (test/fixtures/lease-writer.ts) until killed. */
async function holdLease(path: string): Promise<() => Promise<void>> {
  const child = spawnFixture('lease-writer.ts', [path]);
  await waitForLine(child, 'ready');
  return async () => {
    const closed = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await closed;
  };
}

test('error results name the store and never an absolute path', async () => {
  const parent = realpathSync(tempDir('rvf-files-abs-'));
  const root = join(parent, 'root');
  const outside = join(parent, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  for (const name of ['victim', 'victim2']) await (await RvfDatabase.create(join(outside, `${name}.rvf`), { dimensions: 2 })).close();
  symlinkSync(join(outside, 'victim.rvf'), join(root, 'evil.rvf'));
  linkSync(join(outside, 'victim2.rvf'), join(root, 'linked.rvf'));
  // A store damaged inside committed data: a later manifest still verifies.
  const damaged = await RvfDatabase.create(join(root, 'damaged.rvf'), { dimensions: 2 });
  await damaged.ingestBatch([{ id: 1, vector: [1, 0] }]);
  await damaged.ingestBatch([{ id: 2, vector: [0, 1] }]);
  const vec = (await damaged.segments()).find((s) => s.type === 'VEC');
  await damaged.close();
  const bytes = readFileSync(join(root, 'damaged.rvf'));
  const at = (vec?.offset ?? 0) + 64 + 12;
  bytes[at] = (bytes[at] as number) ^ 0xff;
  writeFileSync(join(root, 'damaged.rvf'), bytes);
  for (const name of ['notes', 'other', 'held', 'gone']) await (await RvfDatabase.create(join(root, `${name}.rvf`), { dimensions: 2 })).close();
  const release = await holdLease(join(root, 'held.rvf'));

  const absolute = [parent, root, tmpdir(), PACKAGE_ROOT.replace(/\/$/, '')];
  const check = (text: string, store: string, code: string, label: string): void => {
    assert.ok(text.startsWith(`${code}: `), `${label}: ${text}`);
    for (const p of absolute) assert.ok(!text.includes(p), `${label} names the absolute path ${p}: ${text}`);
    assert.doesNotMatch(text, /(^|[\s'"(=])\/[A-Za-z0-9._-]+\//, `${label} names an absolute path: ${text}`);
    assert.ok(text.includes(store), `${label} does not name the store ${store}: ${text}`);
  };
  const [w, r] = await Promise.all([start(root, { write: true, name: 'writer' }), start(root, { name: 'reader' })]);
  try {
    check(await callErr(w!.client, 'rvf_create_store', { store: 'notes', dimensions: 2 }), 'notes', 'EEXIST', 'create over an existing store');
    check(await callErr(w!.client, 'rvf_derive', { store: 'notes', child: 'other' }), 'other', 'EEXIST', 'derive onto an existing store');
    check(await callErr(w!.client, 'rvf_export', { store: 'notes', target: 'other' }), 'other', 'EEXIST', 'export onto an existing store');
    check(await callErr(w!.client, 'rvf_ingest', { store: 'held', entries: [{ id: 9, vector: [1, 0] }] }), 'held', 'ELOCK', 'a write to a store another process writes');
    for (const [who, c] of [['writer', w!.client], ['reader', r!.client]] as const) {
      check(await callErr(c, 'rvf_status', { store: 'evil' }), 'evil', 'EINVAL', `${who}: a symlink out of the root`);
      check(await callErr(c, 'rvf_status', { store: 'linked' }), 'linked', 'EINVAL', `${who}: a hard link`);
      check(await callErr(c, 'rvf_query', { store: 'damaged', vector: [1, 0], k: 1 }), 'damaged', 'ECORRUPT', `${who}: a damaged store`);
      check(await callErr(c, 'rvf_status', { store: 'missing' }), 'missing', 'ENOENT', `${who}: a missing store`);
    }
    await callOk(r!.client, 'rvf_status', { store: 'gone' });
    rmSync(join(root, 'gone.rvf'));
    check(await callErr(r!.client, 'rvf_status', { store: 'gone' }), 'gone', 'ENOENT', 'a store deleted while open');
  } finally {
    await release();
    await Promise.all([stop(w!), stop(r!)]);
  }
  assert.ok(existsSync(join(root, 'held.rvf')));
});

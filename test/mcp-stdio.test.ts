/**
 * The MCP server end to end over stdio: a real SDK Client drives the real
 * server process started with `npx rvf-mcp-server` (cwd = the package root).
 *
 * - tools/list with and without --write, with titles, schemas and annotations;
 * - the lifecycle of every tool, each answer checked against float64 brute force;
 * - the acceptance test (384-d, examples/vectors.json, restart, same top 10);
 * - the write gate: ELOCK between two writer processes, a read-only server beside
 *   a writer that never reads stale data and never takes the lease;
 * - every path escape (names, symlinks of the store and of its sidecars);
 * - resources and prompts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RvfDatabase } from '../store/index.ts';
import { decodeLock } from '../store/lease.ts';
import {
  assertTopK,
  callErr,
  callOk,
  descendants,
  PACKAGE_ROOT,
  QUERY_TOOLS,
  READ_TOOLS,
  startServer,
  startServers,
  vectors,
  WRITE_TOOLS,
  type Json,
  type Meta,
  type Metric,
  type Result,
  type Row,
} from './helpers/mcp.ts';
import { tempDir } from './helpers/temp.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_ID = '9223372036854775807'; // 2^63-1

function lockHolderPid(storeFile: string): number | undefined {
  const path = `${storeFile}.lock`;
  if (!existsSync(path)) return undefined;
  return decodeLock(readFileSync(path))?.pid;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Files in `dir` (recursively, relative), for "nothing was created" checks. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

// ------------------------------------------------------------ 1. tools/list

test('tools/list: exactly the 10 read tools without --write, the 19 with it, each titled, with schemas and annotations', async () => {
  const root = tempDir('rvf-mcp-');
  const [ro, rw] = await startServers([{ root, o: { name: 'ro' } }, { root, o: { write: true, name: 'rw' } }]);
  try {
    const roTools = (await ro!.client.listTools()).tools;
    const rwTools = (await rw!.client.listTools()).tools;
    assert.deepEqual(roTools.map((t) => t.name).sort(), [...READ_TOOLS].sort());
    assert.deepEqual(rwTools.map((t) => t.name).sort(), [...READ_TOOLS, ...WRITE_TOOLS].sort());
    assert.equal(rwTools.length, 19);
    for (const t of [...roTools, ...rwTools]) {
      assert.ok(typeof t.title === 'string' && t.title.length > 0, `${t.name}: no title`);
      assert.ok(typeof t.description === 'string' && t.description.length > 0, `${t.name}: no description`);
      assert.equal(t.inputSchema.type, 'object', `${t.name}: inputSchema`);
      assert.ok(t.outputSchema && t.outputSchema.type === 'object', `${t.name}: no outputSchema`);
      assert.ok(Object.keys(t.outputSchema.properties ?? {}).length > 0, `${t.name}: empty outputSchema`);
      const a = t.annotations;
      assert.ok(a, `${t.name}: no annotations`);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        assert.equal(typeof a[hint], 'boolean', `${t.name}: ${hint} missing`);
      }
      assert.equal(a.openWorldHint, false, `${t.name}: openWorldHint`);
    }
    for (const t of roTools) assert.equal(t.annotations?.readOnlyHint, true, `${t.name} only reads on a read-only server`);
    for (const t of rwTools) {
      // The query tools write under --write; the rvf_ read tools never do.
      const writes = WRITE_TOOLS.includes(t.name) || QUERY_TOOLS.includes(t.name);
      assert.equal(t.annotations?.readOnlyHint, !writes, `${t.name} readOnlyHint`);
    }
    // The argument names every client relies on.
    const props = (name: string): string[] => Object.keys(rwTools.find((t) => t.name === name)?.inputSchema.properties ?? {}).sort();
    assert.deepEqual(props('rvf_create_store'), ['dimensions', 'index', 'metric', 'store']);
    assert.deepEqual(props('rvf_ingest'), ['entries', 'ids', 'metadata', 'store', 'vectors_b64']);
    assert.deepEqual(props('rvf_query'), ['exact', 'filter', 'k', 'store', 'vector', 'vector_b64']);
    assert.deepEqual(props('rvf_delete'), ['ids', 'store']);
    assert.deepEqual(props('rvf_delete_filter'), ['filter', 'store']);
    assert.deepEqual(props('rvf_derive'), ['child', 'store']);
    assert.deepEqual(props('rvf_export'), ['store', 'target']);
    assert.deepEqual(props('rvlite_sql'), ['params', 'query', 'store']);
    for (const name of ['rvf_open_store', 'rvf_close_store', 'rvf_status', 'rvf_segments', 'rvf_compact', 'rvf_rebuild']) assert.deepEqual(props(name), ['store'], name);
    const queryOut = rwTools.find((t) => t.name === 'rvf_query')?.outputSchema?.properties as Json;
    assert.ok(queryOut['results'], 'rvf_query declares results');
    // A write tool does not exist on the read-only server: calling it is refused.
    const text = await callErr(ro!.client, 'rvf_create_store', { store: 'x', dimensions: 3 });
    assert.match(text, /rvf_create_store/);
    assert.ok(!existsSync(join(root, 'x.rvf')));
  } finally {
    await Promise.all([ro!.close(), rw!.close()]);
  }
});

// ------------------------------------------------------------ 2. lifecycle

/** Checks `segments` against the bytes of the file: magic, type byte and payload length at every offset. */
function assertSegmentsMatchFile(file: string, segments: Json[], status: Json): void {
  const bytes = readFileSync(file);
  assert.equal(bytes.length, status['fileSizeBytes'], 'fileSizeBytes is the file size');
  assert.equal(segments.length, status['totalSegments'], 'totalSegments');
  const codes: Record<string, number> = { vec: 1, journal: 4, manifest: 5, meta: 7, profile: 0x0b };
  let previous = -1;
  for (const s of segments) {
    assert.ok(s['offset'] > previous, 'segments in file order');
    previous = s['offset'];
    assert.equal(bytes.readUInt32LE(s['offset']), 0x52564653, `magic at ${s['offset']}`);
    assert.equal(bytes[s['offset'] + 5], codes[s['type']], `type byte of ${s['type']} at ${s['offset']}`);
    assert.equal(Number(bytes.readBigUInt64LE(s['offset'] + 0x10)), s['payloadLength'], `payload length at ${s['offset']}`);
    assert.ok(s['offset'] + 64 + s['payloadLength'] <= bytes.length);
    assert.ok(s['epoch'] <= status['epoch']);
  }
  assert.equal(segments.at(-1)?.['type'], 'manifest', 'a committed file ends with a manifest');
  assert.equal(segments.at(-1)?.['epoch'], status['epoch']);
}

test('lifecycle of every tool with --write, answers checked against brute force', async () => {
  const root = realpathSync(tempDir('rvf-mcp-'));
  // A store nobody has open: the listing must show it too.
  const coldRows = vectors(5, 3, 7);
  const cold = await RvfDatabase.create(join(root, 'cold.rvf'), { dimensions: 3, metric: 'l2' });
  await cold.ingestBatch(coldRows.map((vector, id) => ({ id, vector })));
  await cold.close();

  const s = await startServer(root, { write: true });
  const c = s.client;
  const DIM = 8;
  const metric: Metric = 'cosine';
  const model = new Map<string, Row>();
  try {
    // create: metric defaults to cosine; the store stays open and holds the lease.
    const created = await callOk(c, 'rvf_create_store', { store: 'main', dimensions: DIM });
    assert.deepEqual(
      { store: created['store'], file: created['file'], metric: created['metric'], dimensions: created['dimensions'], totalVectors: created['totalVectors'], epoch: created['epoch'], readOnly: created['readOnly'], lineage: created['lineage'] },
      { store: 'main', file: 'main.rvf', metric: 'cosine', dimensions: DIM, totalVectors: 0, epoch: 0, readOnly: false, lineage: null },
    );
    assert.equal(lockHolderPid(join(root, 'main.rvf')), s.serverPid(), 'the writer server holds the lease of the store it created');
    const geo = await callOk(c, 'rvf_create_store', { store: 'geo', dimensions: 3, metric: 'l2' });
    assert.equal(geo['metric'], 'l2');
    assert.match(await callErr(c, 'rvf_create_store', { store: 'main', dimensions: DIM }), /^EEXIST/);

    // list: open and unopened stores, with dimension, count and epoch.
    const list1 = await callOk(c, 'rvf_list_stores', {});
    assert.equal(list1['root'], root);
    const pick = (l: Json): Json[] => (l['stores'] as Json[]).map((x) => ({ store: x['store'], open: x['open'], dimensions: x['dimensions'], metric: x['metric'], totalVectors: x['totalVectors'], epoch: x['epoch'] }));
    assert.deepEqual(pick(list1), [
      { store: 'cold', open: false, dimensions: 3, metric: 'l2', totalVectors: 5, epoch: 1 },
      { store: 'geo', open: true, dimensions: 3, metric: 'l2', totalVectors: 0, epoch: 0 },
      { store: 'main', open: true, dimensions: DIM, metric: 'cosine', totalVectors: 0, epoch: 0 },
    ]);

    // ingest: integer ids, decimal-string ids (2^63-1 included), metadata or none.
    const vecs = vectors(60, DIM, 11);
    const topics = ['a', 'b', 'c'];
    const entries: Json[] = [];
    for (let i = 0; i < 50; i++) {
      const metadata: Meta = i % 7 === 6 ? null : { topic: topics[i % 3], n: i, nested: { x: i % 5 } };
      entries.push(i % 7 === 6 ? { id: i, vector: vecs[i] } : { id: i, vector: vecs[i], metadata });
      model.set(String(i), { vector: vecs[i] as number[], metadata });
    }
    const bigIds = [MAX_ID, '9007199254740992', String(MAX_SAFE), '123', '9223372036854775000'];
    bigIds.forEach((id, j) => {
      const metadata = { topic: 'big', n: 100 + j };
      entries.push({ id, vector: vecs[50 + j], metadata });
      model.set(String(BigInt(id)), { vector: vecs[50 + j] as number[], metadata });
    });
    const ing1 = await callOk(c, 'rvf_ingest', { store: 'main', entries });
    assert.deepEqual(ing1, { store: 'main', accepted: 55, replaced: 0, epoch: 1 });
    // Replace: the same ids again, with new vectors and metadata (one of them given as a number before, a string now).
    const repl = [
      { id: '5', vector: vecs[55], metadata: { topic: 'a', n: 5, replaced: true } },
      { id: MAX_ID, vector: vecs[56], metadata: { topic: 'big', n: 999 } },
    ];
    const ing2 = await callOk(c, 'rvf_ingest', { store: 'main', entries: repl });
    assert.deepEqual(ing2, { store: 'main', accepted: 2, replaced: 1 + 1, epoch: 2 });
    for (const e of repl) model.set(String(BigInt(e.id)), { vector: e.vector as number[], metadata: e.metadata });

    // query: k, filters; ids above 2^53-1 come back as strings.
    const queries = vectors(6, DIM, 12);
    const check = async (store: string, q: number[], k: number, filter?: Json, keep?: (m: Meta) => boolean, label = ''): Promise<Result[]> => {
      const r = await callOk(c, 'rvf_query', filter === undefined ? { store, vector: q, k } : { store, vector: q, k, filter });
      assert.equal(r['store'], store);
      assertTopK(r['results'] as Result[], model, q, k, metric, keep, `${store} ${label} k=${k} ${JSON.stringify(filter ?? {})}`);
      return r['results'] as Result[];
    };
    const filters: [Json, (m: Meta) => boolean][] = [
      [{ topic: 'a' }, (m) => m?.['topic'] === 'a'],
      [{ n: { $gte: 10, $lt: 30 } }, (m) => typeof m?.['n'] === 'number' && (m['n'] as number) >= 10 && (m['n'] as number) < 30],
      [{ 'nested.x': 2 }, (m) => (m?.['nested'] as Json | undefined)?.['x'] === 2],
      [{ $or: [{ topic: 'big' }, { topic: { $in: ['c'] } }] }, (m) => m?.['topic'] === 'big' || m?.['topic'] === 'c'],
      [{ topic: { $exists: false } }, (m) => m === null || !('topic' in m)],
    ];
    const runAll = async (store: string): Promise<Result[][]> => {
      const out: Result[][] = [];
      for (const [i, q] of queries.entries()) {
        out.push(await check(store, q, 5, undefined, undefined, `q${i}`));
        out.push(await check(store, q, 1000, undefined, undefined, `q${i}`));
        for (const [f, keep] of filters) out.push(await check(store, q, 4, f, keep, `q${i}`));
      }
      return out;
    };
    await runAll('main');
    const near = await callOk(c, 'rvf_query', { store: 'main', vector: vecs[56], k: 3 });
    const top = (near['results'] as Result[])[0] as Result;
    assert.equal(top.id, MAX_ID, 'the id 2^63-1 comes back as a decimal string');
    assert.deepEqual(top.metadata, { topic: 'big', n: 999 });
    assert.ok(Math.abs(top.distance) < 1e-5);
    const asNumber = await callOk(c, 'rvf_query', { store: 'main', vector: vecs[52], k: 1 });
    assert.equal((asNumber['results'] as Result[])[0]?.id, Number(MAX_SAFE), '2^53-1 comes back as a number');
    const defaultK = await callOk(c, 'rvf_query', { store: 'main', vector: queries[0] });
    assert.equal((defaultK['results'] as Result[]).length, 10, 'k defaults to 10');

    // status and segments.
    const st = await callOk(c, 'rvf_status', { store: 'main' });
    assert.equal(st['totalVectors'], model.size);
    assert.equal(st['epoch'], 2);
    assert.equal(st['dimensions'], DIM);
    assert.equal(st['metric'], 'cosine');
    assert.ok(st['deadSpaceRatio'] > 0, 'the two replaced rows are dead space');
    const segs = await callOk(c, 'rvf_segments', { store: 'main' });
    assert.equal(segs['store'], 'main');
    assertSegmentsMatchFile(join(root, 'main.rvf'), segs['segments'] as Json[], st);
    const types = (segs['segments'] as Json[]).map((x) => x['type']);
    assert.deepEqual(types.slice(0, 2), ['profile', 'manifest'], 'the create commit');
    assert.deepEqual(types.slice(2), ['vec', 'meta', 'manifest', 'vec', 'meta', 'manifest'], 'two ingest commits');

    // delete by id: strings and numbers, an absent id is skipped.
    const del = await callOk(c, 'rvf_delete', { store: 'main', ids: [3, '9007199254740992', 424242] });
    assert.deepEqual(del, { store: 'main', deleted: 2, epoch: 3 });
    model.delete('3');
    model.delete('9007199254740992');
    const segsAfterDelete = await callOk(c, 'rvf_segments', { store: 'main' });
    assert.deepEqual((segsAfterDelete['segments'] as Json[]).slice(-2).map((x) => x['type']), ['journal', 'manifest']);

    // delete by filter.
    const bCount = [...model.values()].filter((r) => r.metadata?.['topic'] === 'b').length;
    assert.ok(bCount > 0);
    const delf = await callOk(c, 'rvf_delete_filter', { store: 'main', filter: { topic: 'b' } });
    assert.deepEqual(delf, { store: 'main', deleted: bCount, epoch: 4 });
    for (const [id, r] of [...model]) if (r.metadata?.['topic'] === 'b') model.delete(id);
    const beforeCompact = await runAll('main');
    const statusBefore = await callOk(c, 'rvf_status', { store: 'main' });
    assert.equal(statusBefore['totalVectors'], model.size);

    // derive: the child appears in the list with its lineage, and answers like its parent.
    const derived = await callOk(c, 'rvf_derive', { store: 'main', child: 'kid' });
    assert.equal(derived['store'], 'main');
    assert.equal(derived['child'], 'kid');
    assert.equal(derived['totalVectors'], model.size);
    const lin = derived['lineage'] as Json;
    assert.equal(lin['parentPath'], 'main.rvf');
    assert.equal(lin['parentEpoch'], 4);
    assert.equal(lin['depth'], 1);
    assert.equal(lin['parentFileId'], statusBefore['fileId']);
    assert.match(lin['parentHash'], /^[0-9a-f]{64}$/);
    const list2 = await callOk(c, 'rvf_list_stores', {});
    const kidListed = (list2['stores'] as Json[]).find((x) => x['store'] === 'kid');
    assert.ok(kidListed, 'the child is listed');
    assert.equal(kidListed['totalVectors'], model.size);
    assert.equal(kidListed['dimensions'], DIM);
    const kidStatus = await callOk(c, 'rvf_status', { store: 'kid' });
    assert.equal(kidStatus['totalVectors'], model.size);
    assert.equal((kidStatus['lineage'] as Json)['parentFileId'], statusBefore['fileId']);
    assert.equal((kidStatus['lineage'] as Json)['parentHash'], lin['parentHash']);
    assert.equal((kidStatus['lineage'] as Json)['depth'], 1);
    assert.notEqual(kidStatus['fileId'], statusBefore['fileId']);
    assert.deepEqual(await runAll('kid'), beforeCompact, 'the child answers like its parent');
    assert.match(await callErr(c, 'rvf_derive', { store: 'main', child: 'kid' }), /^EEXIST/);

    // compact: dead rows go, answers stay.
    const compacted = await callOk(c, 'rvf_compact', { store: 'main' });
    assert.equal(compacted['store'], 'main');
    assert.equal(compacted['epoch'], 5);
    assert.ok(compacted['bytesReclaimed'] > 0, 'compaction reclaims the deleted and replaced rows');
    const statusAfter = await callOk(c, 'rvf_status', { store: 'main' });
    assert.equal(statusAfter['deadSpaceRatio'], 0);
    assert.equal(statusAfter['totalVectors'], model.size);
    assert.ok(statusAfter['fileSizeBytes'] < statusBefore['fileSizeBytes']);
    assertSegmentsMatchFile(join(root, 'main.rvf'), (await callOk(c, 'rvf_segments', { store: 'main' }))['segments'] as Json[], statusAfter);
    assert.deepEqual(await runAll('main'), beforeCompact, 'compaction changes no answer');
    assert.deepEqual(tempFiles(root), [], 'no temporary file left');

    // export: a standalone store under the root that opens and answers the same.
    const exported = await callOk(c, 'rvf_export', { store: 'main', target: 'copy' });
    assert.equal(exported['target'], 'copy');
    assert.equal(exported['totalVectors'], model.size);
    assert.equal(exported['fileSizeBytes'], readFileSync(join(root, 'copy.rvf')).length);
    const copyOpen = await callOk(c, 'rvf_open_store', { store: 'copy' });
    assert.equal(copyOpen['totalVectors'], model.size);
    assert.equal(copyOpen['epoch'], statusAfter['epoch']);
    assert.equal(copyOpen['lineage'], null);
    assert.deepEqual(await runAll('copy'), beforeCompact, 'the export answers the same');
    assert.match(await callErr(c, 'rvf_export', { store: 'main', target: 'kid' }), /^EEXIST/);

    // close: the lease goes; another process can then open the store as writer.
    assert.deepEqual(await callOk(c, 'rvf_close_store', { store: 'main' }), { store: 'main', closed: true });
    assert.equal(existsSync(join(root, 'main.rvf.lock')), false, 'closing releases the lease');
    assert.deepEqual(await callOk(c, 'rvf_close_store', { store: 'main' }), { store: 'main', closed: false });
    const list3 = await callOk(c, 'rvf_list_stores', {});
    assert.equal((list3['stores'] as Json[]).find((x) => x['store'] === 'main')?.['open'], false);
    const other = await RvfDatabase.open(join(root, 'main.rvf'));
    try {
      assert.equal((await other.status()).totalVectors, model.size);
      const extra = vectors(1, DIM, 99)[0] as number[];
      await other.ingestBatch([{ id: 777, vector: extra, metadata: { topic: 'outside' } }]);
      model.set('777', { vector: extra, metadata: { topic: 'outside' } });
    } finally {
      await other.close();
    }
    // The server opens it again on first use and sees the other writer's commit.
    await check('main', queries[1] as number[], 1000, undefined, undefined, 'after reopen');
    assert.equal(lockHolderPid(join(root, 'main.rvf')), s.serverPid());
  } finally {
    await s.close();
  }
  assert.deepEqual(readdirSync(root).filter((f) => f.endsWith('.lock')), [], 'the server released every lease on exit');
  assert.deepEqual(tempFiles(root), []);
});

// ------------------------------------------------------------ 3. acceptance

test('acceptance: 384-d store, examples/vectors.json, top 10, restart, the same top 10', async () => {
  const root = tempDir('rvf-mcp-');
  const examples = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'examples', 'vectors.json'), 'utf8')) as { id: number; vector: number[]; metadata?: Meta }[];
  assert.ok(examples.length >= 100);
  const model = new Map<string, Row>(examples.map((e) => [String(e.id), { vector: e.vector, metadata: e.metadata ?? null }]));
  // A query that is none of the stored vectors: the mean of two of them.
  const q = (examples[3] as { vector: number[] }).vector.map((x, i) => (x + ((examples[40] as { vector: number[] }).vector[i] as number)) / 2);

  const first = await startServer(root, { write: true });
  let before: Json;
  try {
    const created = await callOk(first.client, 'rvf_create_store', { store: 'accept', dimensions: 384 });
    assert.equal(created['dimensions'], 384);
    assert.equal(created['metric'], 'cosine');
    const ing = await callOk(first.client, 'rvf_ingest', { store: 'accept', entries: examples });
    assert.equal(ing['accepted'], examples.length);
    before = await callOk(first.client, 'rvf_query', { store: 'accept', vector: q, k: 10 });
    assertTopK(before['results'] as Result[], model, q, 10, 'cosine', undefined, 'before restart');
  } finally {
    await first.close();
  }
  const second = await startServer(root, { write: true });
  try {
    const after = await callOk(second.client, 'rvf_query', { store: 'accept', vector: q, k: 10 });
    assert.deepEqual(after, before, 'the same query gives the same results after a restart');
    const st = await callOk(second.client, 'rvf_status', { store: 'accept' });
    assert.equal(st['totalVectors'], examples.length);
    assert.equal(st['epoch'], 1);
  } finally {
    await second.close();
  }
});

// ------------------------------------------------------------ 4. the write gate

test('write gate: a second writer server gets ELOCK naming the holder; after close it can write', async () => {
  const root = realpathSync(tempDir('rvf-mcp-'));
  const [a, b] = await startServers([{ root, o: { write: true, name: 'A' } }, { root, o: { write: true, name: 'B' } }]);
  try {
    await callOk(a!.client, 'rvf_create_store', { store: 'shared', dimensions: 4, metric: 'l2' });
    await callOk(a!.client, 'rvf_ingest', { store: 'shared', entries: [{ id: 1, vector: [1, 0, 0, 0] }] });
    const holder = a!.serverPid();
    const bPid = b!.serverPid(); // learnt before B starts query processes of its own
    assert.equal(lockHolderPid(join(root, 'shared.rvf')), holder);
    // B reads the store A writes (it answered ELOCK to reads too, advising to open it read-only, which no tool does)
    const standIn = await callOk(b!.client, 'rvf_open_store', { store: 'shared' });
    assert.equal(standIn['readOnly'], true);
    assert.ok(String(standIn['writesRefused']).includes(`pid ${holder}`), `open names the holder: ${JSON.stringify(standIn)}`);
    const hit = (await callOk(b!.client, 'rvf_query', { store: 'shared', vector: [1, 0, 0, 0], k: 1 }))['results'] as { id: number }[];
    assert.equal(hit[0]?.id, 1);
    assert.deepEqual((await callOk(b!.client, 'rvlite_sql', { store: 'shared', query: 'SELECT count(*) FROM vectors' }))['rows'], [[1]]);
    for (const [name, args] of [
      ['rvf_ingest', { store: 'shared', entries: [{ id: 2, vector: [0, 1, 0, 0] }] }],
      ['rvlite_sql', { store: 'shared', query: 'CREATE TABLE t (x)' }],
      ['rvlite_cypher', { store: 'shared', query: 'CREATE (:N)' }],
    ] as const) {
      const text = await callErr(b!.client, name, args);
      assert.match(text, /^ELOCK: /, name);
      assert.ok(text.includes(`pid ${holder}`), `${name}: the message names the holder pid ${holder}: ${text}`);
      assert.ok(text.includes(hostname()), `${name}: the message names the host: ${text}`);
      assert.match(text, /this server reads it meanwhile, and writes to it once that writer has closed it/, `${name}: the message says what happens: ${text}`);
    }
    // A's later commit is seen by B's stand-in
    await callOk(a!.client, 'rvf_ingest', { store: 'shared', entries: [{ id: 5, vector: [0, 0, 0, 1] }] });
    assert.equal((await callOk(b!.client, 'rvf_status', { store: 'shared' }))['totalVectors'], 2);
    await callOk(a!.client, 'rvf_delete', { store: 'shared', ids: [5] });
    assert.equal(lockHolderPid(join(root, 'shared.rvf')), holder, 'the refused writer did not touch the lock');
    await callOk(a!.client, 'rvf_close_store', { store: 'shared' });
    const opened = await callOk(b!.client, 'rvf_open_store', { store: 'shared' });
    assert.equal(opened['totalVectors'], 1);
    assert.equal(lockHolderPid(join(root, 'shared.rvf')), bPid);
    await callOk(b!.client, 'rvf_ingest', { store: 'shared', entries: [{ id: 2, vector: [0, 1, 0, 0] }] });
    assert.match(await callErr(a!.client, 'rvf_ingest', { store: 'shared', entries: [{ id: 3, vector: [0, 0, 1, 0] }] }), /ELOCK/);
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

test('write gate: a read-only server beside a writer answers from the newest commit and never takes the lease', async () => {
  const root = tempDir('rvf-mcp-');
  const DIM = 6;
  const [w, r] = await startServers([{ root, o: { write: true, name: 'writer' } }, { root, o: { name: 'reader' } }]);
  const file = join(root, 'mem.rvf');
  const model = new Map<string, Row>();
  const q = vectors(1, DIM, 5)[0] as number[];
  const readerAgrees = async (label: string): Promise<void> => {
    // The reader's very next call after the writer's commit is the query.
    const rq = await callOk(r!.client, 'rvf_query', { store: 'mem', vector: q, k: 50 });
    assertTopK(rq['results'] as Result[], model, q, 50, 'l2', undefined, `reader ${label}`);
    const wst = await callOk(w!.client, 'rvf_status', { store: 'mem' });
    const rst = await callOk(r!.client, 'rvf_status', { store: 'mem' });
    assert.equal(rst['epoch'], wst['epoch'], `${label}: reader epoch`);
    assert.equal(rst['totalVectors'], model.size, `${label}: reader count`);
    assert.equal(rst['readOnly'], true);
    const listed = ((await callOk(r!.client, 'rvf_list_stores', {}))['stores'] as Json[]).find((x) => x['store'] === 'mem');
    assert.equal(listed?.['totalVectors'], model.size, `${label}: reader listing`);
    assert.equal(listed?.['epoch'], wst['epoch'], `${label}: reader listing epoch`);
    const holder = lockHolderPid(file);
    assert.equal(holder, w!.serverPid(), `${label}: the lock is the writer's`);
    assert.ok(!descendants(r!.launcherPid).includes(holder as number));
  };
  try {
    const names = (await r!.client.listTools()).tools.map((t) => t.name);
    assert.deepEqual(names.sort(), [...READ_TOOLS].sort(), 'the reader lists no write tool');
    await callOk(w!.client, 'rvf_create_store', { store: 'mem', dimensions: DIM, metric: 'l2' });
    const vecs = vectors(200, DIM, 6);
    const add = async (from: number, to: number): Promise<void> => {
      const entries = [];
      for (let i = from; i < to; i++) {
        entries.push({ id: i, vector: vecs[i], metadata: { i } });
        model.set(String(i), { vector: vecs[i] as number[], metadata: { i } });
      }
      await callOk(w!.client, 'rvf_ingest', { store: 'mem', entries });
    };
    await add(0, 50);
    await callOk(r!.client, 'rvf_open_store', { store: 'mem' });
    await readerAgrees('first ingest');
    await add(50, 120);
    await readerAgrees('second ingest');
    await callOk(w!.client, 'rvf_delete', { store: 'mem', ids: [0, 1, 2, 60, 61] });
    for (const id of ['0', '1', '2', '60', '61']) model.delete(id);
    await readerAgrees('delete');
    await callOk(w!.client, 'rvf_delete_filter', { store: 'mem', filter: { i: { $gte: 100 } } });
    for (let i = 100; i < 120; i++) model.delete(String(i));
    await readerAgrees('delete by filter');
    await callOk(w!.client, 'rvf_compact', { store: 'mem' });
    await readerAgrees('compaction (the file was replaced)');
    await add(120, 200);
    await readerAgrees('ingest after compaction');
    // The writer goes away: the reader still answers, and still takes no lease.
    await callOk(w!.client, 'rvf_close_store', { store: 'mem' });
    assert.equal(existsSync(`${file}.lock`), false);
    const rq = await callOk(r!.client, 'rvf_query', { store: 'mem', vector: q, k: 5 });
    assertTopK(rq['results'] as Result[], model, q, 5, 'l2', undefined, 'reader alone');
    await callOk(r!.client, 'rvf_close_store', { store: 'mem' });
    await callOk(r!.client, 'rvf_open_store', { store: 'mem' });
    assert.equal(existsSync(`${file}.lock`), false, 'a read-only server never creates the lock');
  } finally {
    await Promise.all([w!.close(), r!.close()]);
  }
});

// ------------------------------------------------------------ 5. path escapes

test('path escapes: bad names and symlinks out of the root are refused, and nothing is created outside it', async () => {
  const parent = realpathSync(tempDir('rvf-mcp-esc-'));
  const root = join(parent, 'root');
  const outside = join(parent, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  // A real store outside the root, and symlinks to it and to nowhere.
  const victim = await RvfDatabase.create(join(outside, 'victim.rvf'), { dimensions: 2 });
  await victim.ingestBatch([{ id: 1, vector: [1, 0] }]);
  await victim.close();
  symlinkSync(join(outside, 'victim.rvf'), join(root, 'evil.rvf'));
  symlinkSync(join(outside, 'ghost.rvf'), join(root, 'ghost.rvf')); // dangling, leads out
  symlinkSync(join(outside, 's.sqlite'), join(root, 's.rvf.sqlite')); // a sidecar that leads out
  symlinkSync(join(outside, 'u.lock'), join(root, 'u.rvf.lock'));
  // A store inside the root whose cache was moved out and linked back.
  const t = await RvfDatabase.create(join(root, 't.rvf'), { dimensions: 2 });
  await t.ingestBatch([{ id: 1, vector: [1, 0], metadata: { a: 1 } }]);
  await t.close();
  for (const f of ['t.rvf.sqlite-wal', 't.rvf.sqlite-shm']) rmSync(join(root, f), { force: true });
  renameSync(join(root, 't.rvf.sqlite'), join(outside, 't.sqlite'));
  symlinkSync(join(outside, 't.sqlite'), join(root, 't.rvf.sqlite'));
  const outsideBefore = new Map(tree(outside).map((f) => [f, sha256(join(outside, f))]));

  const s = await startServer(root, { write: true });
  const c = s.client;
  try {
    const badNames = ['..', '.', '../x', '../../x', `${outside}/y`, '/etc/passwd', 'a/b', 'a\\b', 'a\u0000b', '\u0000', '', 'x'.repeat(65), '.hidden', '.x.rvf', '-dash', 'sp ace', 'a\nb'];
    const refused = async (name: string, args: Json): Promise<void> => {
      const text = await callErr(c, name, args);
      assert.match(text, /store name/, `${name}(${JSON.stringify(args)}) is refused for its name: ${text}`);
    };
    for (const bad of badNames) {
      await refused('rvf_create_store', { store: bad, dimensions: 2 });
      await refused('rvf_open_store', { store: bad });
      await refused('rvf_status', { store: bad });
      await refused('rvf_query', { store: bad, vector: [1, 0], k: 1 });
      await refused('rvf_ingest', { store: bad, entries: [{ id: 1, vector: [1, 0] }] });
    }
    // The 64-character boundary is a valid name; use it as the source of derive and export.
    const longest = 'x'.repeat(64);
    await callOk(c, 'rvf_create_store', { store: longest, dimensions: 2 });
    assert.ok(existsSync(join(root, `${longest}.rvf`)));
    await callOk(c, 'rvf_ingest', { store: longest, entries: [{ id: 1, vector: [0, 1] }] });
    for (const bad of badNames) {
      await refused('rvf_derive', { store: longest, child: bad });
      await refused('rvf_export', { store: longest, target: bad });
    }

    // Symlinks that lead out of the root: the store file, and each sidecar.
    for (const [store, what] of [['evil', 'a link to a store outside'], ['ghost', 'a dangling link outside'], ['s', 'a cache link outside'], ['t', 'a store whose cache links outside'], ['u', 'a lock link outside']]) {
      for (const [tool, args] of [
        ['rvf_create_store', { store, dimensions: 2 }],
        ['rvf_open_store', { store }],
        ['rvf_query', { store, vector: [1, 0], k: 1 }],
        ['rvf_ingest', { store, entries: [{ id: 9, vector: [0, 1] }] }],
        ['rvf_status', { store }],
        ['rvf_derive', { store: longest, child: store }],
        ['rvf_export', { store: longest, target: store }],
      ] as const) {
        const text = await callErr(c, tool, args as Json);
        assert.match(text, /^EINVAL: .*symlink/, `${tool} on ${what}: ${text}`);
      }
    }
    const listed = ((await callOk(c, 'rvf_list_stores', {}))['stores'] as Json[]).map((x) => x['store']);
    assert.ok(!listed.includes('evil'), 'a symlink out of the root is not listed');
  } finally {
    await s.close();
  }
  assert.deepEqual(readdirSync(parent).sort(), ['outside', 'root'], 'nothing was created beside the root');
  assert.deepEqual(new Map(tree(outside).map((f) => [f, sha256(join(outside, f))])), outsideBefore, 'nothing outside the root was created or changed');
  assert.deepEqual(
    tree(root).filter((f) => !/\.sqlite-(wal|shm)$/.test(f)),
    ['evil.rvf', 'ghost.rvf', 's.rvf.sqlite', 't.rvf', 't.rvf.sqlite', 'u.rvf.lock', `${'x'.repeat(64)}.rvf`, `${'x'.repeat(64)}.rvf.sqlite`].sort(),
    'inside the root only the valid store was created',
  );
});

test('path escapes: a symlink inside the root is allowed', async () => {
  const root = realpathSync(tempDir('rvf-mcp-'));
  mkdirSync(join(root, 'sub'));
  const inner = await RvfDatabase.create(join(root, 'sub', 'inner.rvf'), { dimensions: 2, metric: 'l2' });
  await inner.ingestBatch([{ id: 1, vector: [1, 0], metadata: { k: 'one' } }, { id: 2, vector: [0, 1] }]);
  await inner.close();
  symlinkSync(join('sub', 'inner.rvf'), join(root, 'inner.rvf'));
  const [w, r] = await startServers([{ root, o: { write: true } }, { root }]);
  try {
    const q = await callOk(r!.client, 'rvf_query', { store: 'inner', vector: [0.9, 0.1], k: 2 });
    assert.deepEqual((q['results'] as Result[]).map((x) => x.id), [1, 2]);
    assert.deepEqual((q['results'] as Result[])[0]?.metadata, { k: 'one' });
    await callOk(w!.client, 'rvf_ingest', { store: 'inner', entries: [{ id: 3, vector: [0.95, 0.05] }] });
    const q2 = await callOk(r!.client, 'rvf_query', { store: 'inner', vector: [0.95, 0.05], k: 1 });
    assert.equal((q2['results'] as Result[])[0]?.id, 3, 'the write went through the link and the reader sees it');
  } finally {
    await Promise.all([w!.close(), r!.close()]);
  }
});

test('path escapes: a symlink inside the root to another store is the same file, so it gets no second writer', async () => {
  const root = realpathSync(tempDir('rvf-mcp-'));
  const [a, b] = await startServers([{ root, o: { write: true, name: 'A' } }, { root, o: { write: true, name: 'B' } }]);
  try {
    await callOk(a!.client, 'rvf_create_store', { store: 'main', dimensions: 2 });
    symlinkSync('main.rvf', join(root, 'alias.rvf'));
    // Either B is refused (one writer per file) or, if it may write, no acknowledged commit may be lost.
    const opened = await b!.client.callTool({ name: 'rvf_open_store', arguments: { store: 'alias' } });
    const acked: number[] = [];
    const ingest = async (who: typeof a, store: string, id: number): Promise<void> => {
      const res = await who!.client.callTool({ name: 'rvf_ingest', arguments: { store, entries: [{ id, vector: [1, id] }] } });
      if (!res.isError) acked.push(id);
    };
    await ingest(a, 'main', 1);
    await ingest(b, 'alias', 2);
    await ingest(a, 'main', 3);
    await Promise.all([a!.close(), b!.close()]);
    const check = await RvfDatabase.openReadonly(join(root, 'main.rvf'));
    const ids = (await check.query([1, 1], 10)).map((x) => Number(x.id)).sort((x, y) => x - y);
    await check.close();
    assert.deepEqual(ids, acked.sort((x, y) => x - y), 'every acknowledged ingest is in the file');
    // B may read it (a read-only stand-in) but not write it: alias is the same file as main, which A holds
    assert.ok(opened.isError === true || (opened.structuredContent as { readOnly?: unknown } | undefined)?.readOnly === true, `B opened alias as a second writer: ${JSON.stringify(opened)}`);
    assert.ok(!acked.includes(2), 'B\'s ingest through alias was refused');
  } finally {
    await Promise.all([a!.close(), b!.close()]);
  }
});

// ------------------------------------------------------------ 10. resources and prompts

test('resources: rvf://stores and the two templates with their list callbacks; prompts: list and get each', async () => {
  const root = tempDir('rvf-mcp-');
  const s = await startServer(root, { write: true });
  const c = s.client;
  try {
    await callOk(c, 'rvf_create_store', { store: 'alpha', dimensions: 3 });
    await callOk(c, 'rvf_create_store', { store: 'beta', dimensions: 2, metric: 'dotproduct' });
    await callOk(c, 'rvf_ingest', { store: 'beta', entries: [{ id: 1, vector: [1, 2] }, { id: 2, vector: [3, 4], metadata: { a: 1 } }] });

    const templates = (await c.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate).sort();
    assert.deepEqual(templates, ['rvf://stores/{store}/segments', 'rvf://stores/{store}/status']);
    const uris = (await c.listResources()).resources.map((r) => r.uri).sort();
    assert.deepEqual(uris, [
      'rvf://stores',
      'rvf://stores/alpha/segments',
      'rvf://stores/alpha/status',
      'rvf://stores/beta/segments',
      'rvf://stores/beta/status',
    ]);
    const read = async (uri: string): Promise<Json> => {
      const r = await c.readResource({ uri });
      assert.equal(r.contents.length, 1);
      const content = r.contents[0] as { uri: string; mimeType?: string; text?: string };
      assert.equal(content.uri, uri);
      assert.equal(content.mimeType, 'application/json');
      return JSON.parse(content.text as string) as Json;
    };
    const stores = await read('rvf://stores');
    const toolList = await callOk(c, 'rvf_list_stores', {});
    assert.deepEqual(stores['stores'], toolList['stores']);
    for (const name of ['alpha', 'beta']) {
      assert.deepEqual(await read(`rvf://stores/${name}/status`), await callOk(c, 'rvf_status', { store: name }));
      assert.deepEqual(await read(`rvf://stores/${name}/segments`), await callOk(c, 'rvf_segments', { store: name }));
    }
    assert.equal((await read('rvf://stores/beta/status'))['totalVectors'], 2);
    // Bad names through a resource URI are refused like tool arguments.
    for (const uri of ['rvf://stores/nope/status', 'rvf://stores/.hidden/status', 'rvf://stores/..%2F..%2Fetc/status', 'rvf://stores/%2Fetc%2Fpasswd/segments']) {
      await assert.rejects(c.readResource({ uri }), `${uri} must fail`);
    }

    const prompts = (await c.listPrompts()).prompts;
    assert.deepEqual(prompts.map((p) => p.name).sort(), ['choose-metric', 'remember', 'search-then-filter']);
    for (const p of prompts) assert.ok(p.description && p.description.length > 0, `${p.name}: description`);
    const text = async (name: string, args: Record<string, string>): Promise<string> => {
      const r = await c.getPrompt({ name, arguments: args });
      assert.ok(r.messages.length >= 1);
      return r.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
    };
    const metricText = await text('choose-metric', { model: 'all-MiniLM-L6-v2' });
    assert.match(metricText, /all-MiniLM-L6-v2/);
    assert.match(metricText, /rvf_create_store/);
    for (const m of ['cosine', 'dotproduct', 'l2']) assert.ok(metricText.includes(m), `choose-metric mentions ${m}`);
    assert.match(await text('choose-metric', {}), /cosine/);
    const search = await text('search-then-filter', { store: 'beta', question: 'what about rust?' });
    assert.match(search, /beta/);
    assert.match(search, /what about rust\?/);
    assert.match(search, /rvf_query/);
    assert.match(search, /filter/);
    const remember = await text('remember', { store: 'alpha' });
    assert.match(remember, /alpha/);
    assert.match(remember, /rvf_ingest/);
    await assert.rejects(c.getPrompt({ name: 'search-then-filter', arguments: {} }), 'required prompt arguments are checked');
    await assert.rejects(c.getPrompt({ name: 'no-such-prompt', arguments: {} }));
  } finally {
    await s.close();
  }
});

/**
 * SQL, Cypher and SPARQL through the MCP tools of real server processes, on
 * one store that holds vectors, a table, a graph and triples:
 * - writes under --write commit through the .rvf log (each returns an epoch);
 * - deleting the SQLite cache and restarting gives identical answers in all
 *   three languages, on a --write server and on a read-only one; so does
 *   compaction;
 * - the gate: a read-only server refuses 40+ write attempts across the three
 *   languages, none changes a byte of the store, and every read tool works.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CYPHER_WRITES, DIMENSIONS, GATE_ATTEMPTS, READS, SPARQL_WRITES, SQL_WRITES, VECTORS } from './fixtures/rvlite-store.ts';
import { callErr, callOk, startServer, type Json, type McpProcess } from './helpers/mcp.ts';
import { tempDir } from './helpers/temp.ts';

const STORE = 'mem';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function removeCache(root: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(root, `${STORE}.rvf.sqlite${suffix}`), { force: true });
}

async function answers(server: McpProcess): Promise<Json[]> {
  const out: Json[] = [];
  for (const r of READS) {
    const res = await callOk<Json>(server.client, r.tool, { store: STORE, query: r.query, ...(r.params ? { params: r.params } : {}) });
    out.push({ columns: res['columns'], rows: res['rows'], truncated: res['truncated'], ...(res['sparql'] ? { sparql: res['sparql'] } : {}) });
  }
  return out;
}

async function fill(server: McpProcess): Promise<number[]> {
  const c = server.client;
  await callOk(c, 'rvf_create_store', { store: STORE, dimensions: DIMENSIONS, metric: 'cosine' });
  await callOk(c, 'rvf_ingest', { store: STORE, entries: VECTORS });
  const epochs: number[] = [];
  const write = async (tool: string, query: string, params?: unknown): Promise<void> => {
    const res = await callOk<Json>(c, tool, { store: STORE, query, ...(params ? { params } : {}) });
    assert.equal(typeof res['epoch'], 'number', `${tool} ${query.slice(0, 60)}: a write that changes something reports its epoch`);
    epochs.push(res['epoch'] as number);
  };
  for (const w of SQL_WRITES) await write('rvlite_sql', w.query, w.params);
  for (const w of CYPHER_WRITES) await write('rvlite_cypher', w.query, w.params);
  for (const w of SPARQL_WRITES) await write('rvlite_sparql', w);
  return epochs;
}

test('three languages over one store: writes commit through the log; answers survive a deleted cache, a read-only server and compaction', async () => {
  const root = tempDir('rvf-rvlite-');
  const file = join(root, `${STORE}.rvf`);
  let server = await startServer(root, { write: true, name: 'writer' });
  let before: Json[];
  try {
    const epochs = await fill(server);
    assert.deepEqual(epochs, [...epochs].sort((a, b) => a - b), 'epochs rise with every write');
    assert.equal(new Set(epochs).size, epochs.length, 'one commit per write');
    const status = await callOk<Json>(server.client, 'rvf_status', { store: STORE });
    assert.equal(status['epoch'], epochs.at(-1));
    before = await answers(server);
    // The answers are what the writes say, not merely stable.
    const notes = before[0] as { rows: unknown[][] };
    assert.deepEqual(notes.rows.map((r) => [r[1], r[2], r[3], r[5]]), [[1, 'move semantics', 4.5, 'real'], [3, 'hash joins', 3.25, 'real'], [5, 'blank nodes', 5, 'real']]);
    const wrote = before[5] as { rows: unknown[][] };
    assert.deepEqual(wrote.rows, [['Bob', 'Joins', 2020], ['Ada', 'Ownership', 2021], ['Ada', 'Borrowing', 2022]]);
    const reach = before[6] as { rows: unknown[][] };
    assert.deepEqual(reach.rows, [['Bob'], ['Cy']]);
    const knnDocs = before[8] as { rows: unknown[][] };
    assert.deepEqual(knnDocs.rows.map((r) => r[0]), ['Ownership', 'Borrowing', 'Joins'], 'the 3 nearest vectors are the documents 1, 2 and 3');
    const path = before[9] as { rows: { value: string }[][] };
    assert.deepEqual(path.rows.map((r) => r[0]?.value), ['Bob', 'Cy']);
    const ages = before[10] as { rows: { value: string }[][] };
    assert.deepEqual(ages.rows.map((r) => r[1]?.value), ['31'], 'the DELETE/INSERT WHERE update ran once');
  } finally {
    await server.close();
  }

  // The cache is only a cache: delete it, and a --write server rebuilds it from the log.
  removeCache(root);
  server = await startServer(root, { write: true, name: 'rebuilt' });
  try {
    assert.deepEqual(await answers(server), before, 'answers after the cache was deleted (--write)');
  } finally {
    await server.close();
  }

  removeCache(root);
  server = await startServer(root, { name: 'reader' });
  try {
    assert.deepEqual(await answers(server), before, 'answers after the cache was deleted (read-only)');
  } finally {
    await server.close();
  }

  server = await startServer(root, { write: true, name: 'compactor' });
  try {
    const sizeBefore = readFileSync(file).length;
    await callOk(server.client, 'rvf_compact', { store: STORE });
    assert.ok(readFileSync(file).length < sizeBefore, 'compaction folded the history into a smaller snapshot');
    assert.deepEqual(await answers(server), before, 'answers after compaction');
  } finally {
    await server.close();
  }
  removeCache(root);
  server = await startServer(root, { write: true, name: 'after-compaction' });
  try {
    assert.deepEqual(await answers(server), before, 'answers after compaction and a deleted cache');
  } finally {
    await server.close();
  }
});

test('the gate: a read-only server refuses 40+ write attempts in three languages, changes no byte, and every read tool works', async () => {
  assert.ok(GATE_ATTEMPTS.length >= 40, `only ${GATE_ATTEMPTS.length} attempts`);
  const root = tempDir('rvf-gate-');
  const writer = await startServer(root, { write: true, name: 'writer' });
  try {
    await fill(writer);
    await callOk(writer.client, 'rvf_remember', { store: 'notes', text: 'the deploy key lives in the ops vault' });
  } finally {
    await writer.close();
  }
  const file = join(root, `${STORE}.rvf`);
  const cache = `${file}.sqlite`;
  const reader = await startServer(root, { name: 'reader' });
  try {
    const before = await answers(reader);
    const rvfHash = sha256(file);
    const cacheHash = sha256(cache);
    for (const a of GATE_ATTEMPTS) {
      const text = await callErr(reader.client, a.tool, { store: STORE, query: a.query, ...(a.params ? { params: a.params } : {}) });
      assert.doesNotMatch(text, /^\s*$/, `${a.tool}: ${a.query}`);
      assert.equal(sha256(file), rvfHash, `${a.tool} "${a.query}" changed the .rvf file`);
    }
    assert.equal(sha256(cache), cacheHash, 'the cache file is unchanged');
    for (const f of ['/tmp/rvf-gate-attach.db', '/tmp/rvf-gate-vacuum.db']) assert.ok(!existsSync(f), `${f} was created`);
    assert.deepEqual(await answers(reader), before, 'the answers are unchanged');

    // Every tool that only reads still works.
    const c = reader.client;
    const listed = await callOk<Json>(c, 'rvf_list_stores', {});
    assert.ok(JSON.stringify(listed).includes(STORE));
    await callOk(c, 'rvf_open_store', { store: STORE });
    const status = await callOk<Json>(c, 'rvf_status', { store: STORE });
    assert.equal(status['totalVectors'], VECTORS.length);
    const segs = await callOk<Json>(c, 'rvf_segments', { store: STORE });
    assert.ok((segs['segments'] as unknown[]).length > 0);
    const q = await callOk<Json>(c, 'rvf_query', { store: STORE, vector: [1, 0, 0, 0], k: 2 });
    assert.deepEqual((q['results'] as { id: number }[]).map((r) => r.id), [1, 2]);
    const recalled = await callOk<Json>(c, 'rvf_recall', { store: 'notes', text: 'where is the deploy key', k: 1 });
    assert.match(JSON.stringify(recalled), /ops vault/);
    await callOk(c, 'rvf_close_store', { store: STORE });
    assert.equal(sha256(file), rvfHash);
  } finally {
    await reader.close();
  }
});

/**
 * Group commit (store/database.ts, #ingestGroup): ingests that wait for the
 * store together go in as one commit. Each batch must still be checked on its
 * own, be all or none, and get the result it would have had alone, in order;
 * other operations keep their place; a failed commit fails every batch in it;
 * and a SIGKILL while writers race leaves every acknowledged batch whole and
 * no batch in part.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { failingSyncForTests } from '../store/commit-sync.ts';
import { RvfDatabase, type Entry, type IngestResult } from '../store/index.ts';
import { GROUP_BATCH_SIZE, vectorFor, WRITER_ID_SPAN } from './fixtures/crash-common.ts';
import { finished, spawnFixture, waitForLine } from './helpers/child.ts';
import { tempDir } from './helpers/temp.ts';
import { callOk } from './helpers/mcp.ts';
import { startHttpServer } from './helpers/mcp-http.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const DIM = 4;
const vec = (x: number): Float32Array => Float32Array.from([x, x + 1, x + 2, x + 3]);
const entry = (id: number, x: number, metadata: Record<string, unknown> | null = null): Entry => ({ id, vector: vec(x), metadata });

async function store(name: string): Promise<RvfDatabase> {
  return RvfDatabase.create(join(tempDir('rvf-group-'), name), { dimensions: DIM, metric: 'l2' });
}

/** Every live id with its vector's first value and its metadata, sorted by id. */
async function contents(db: RvfDatabase): Promise<[string, number, unknown][]> {
  const rows: [string, number, unknown][] = [];
  await db.forEachEntry((batch) => {
    for (const r of batch) rows.push([String(r.id), r.vector[0] as number, r.metadata]);
  });
  return rows.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
}

const batches: Entry[][] = [
  [entry(1, 100), entry(10, 110, { from: 'a' })], // replaces 1, adds 10
  [entry(10, 210, { from: 'b' }), entry(11, 211), entry(11, 311)], // replaces a's 10; 11 twice keeps the last
  [{ id: 12, vector: [1, 2, 3], metadata: null }], // wrong dimension: refused alone
  [],
  [entry(12, 412, { from: 'e' })],
  [{ id: -1, vector: vec(0), metadata: null }], // a bad id: refused alone
];

test('batches that arrive together go in as one commit, each checked alone, each result as if they went one after another', async () => {
  const grouped = await store('grouped.rvf');
  const serial = await store('serial.rvf');
  try {
    for (const db of [grouped, serial]) await db.ingestBatch([1, 2, 3, 4, 5].map((id) => entry(id, id)));
    const before = (await grouped.status()).epoch;
    // all in one tick: the first takes the store's turn, the rest wait with it
    const together = await Promise.allSettled(batches.map((b) => grouped.ingestBatch(b)));
    const oneByOne: PromiseSettledResult<IngestResult>[] = [];
    for (const b of batches) oneByOne.push(...(await Promise.allSettled([serial.ingestBatch(b)])));

    assert.deepEqual(together.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
    assert.deepEqual(oneByOne.map((r) => r.status), together.map((r) => r.status));
    for (let i = 0; i < batches.length; i++) {
      const g = together[i] as PromiseSettledResult<IngestResult>;
      const s = oneByOne[i] as PromiseSettledResult<IngestResult>;
      if (g.status === 'rejected' && s.status === 'rejected') {
        assert.equal((g.reason as Error).message, (s.reason as Error).message, `batch ${i}: the same refusal`);
        continue;
      }
      assert.ok(g.status === 'fulfilled' && s.status === 'fulfilled');
      assert.equal(g.value.accepted, s.value.accepted, `batch ${i} accepted`);
      assert.equal(g.value.replaced, s.value.replaced, `batch ${i} replaced`);
      assert.equal(g.value.epoch, before + 1, `batch ${i} went in the one commit`);
    }
    assert.equal((await grouped.status()).epoch, before + 1);
    assert.deepEqual(await contents(grouped), await contents(serial));
    assert.deepEqual((await grouped.query(vec(210), 1))[0]?.metadata, { from: 'b' });
  } finally {
    await grouped.close();
    await serial.close();
  }
  // and all of it is in the file
  const path = join(tempDir('rvf-group-'), 'reopen.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await Promise.all(batches.map((b) => db.ingestBatch(b).catch(() => undefined)));
  const written = await contents(db);
  await db.close();
  const again = await RvfDatabase.open(path);
  assert.deepEqual(await contents(again), written);
  await again.close();
});

test('other operations keep their place: an ingest queued after a delete goes after it, and starts a new commit', async () => {
  const db = await store('order.rvf');
  try {
    const before = (await db.status()).epoch;
    const ops = [
      db.ingestBatch([entry(20, 1), entry(30, 1)]),
      db.ingestBatch([entry(31, 1)]),
      db.delete([20, 30]),
      db.ingestBatch([entry(20, 2)]),
      db.ingestBatch([entry(21, 2)]),
    ];
    const results = await Promise.all(ops);
    const epochs = results.map((r) => r.epoch);
    assert.deepEqual(epochs, [before + 1, before + 1, before + 2, before + 3, before + 3]);
    assert.deepEqual((await contents(db)).map(([id, x]) => [id, x]), [['20', 2], ['21', 2], ['31', 1]]);
  } finally {
    await db.close();
  }
});

test('a large batch does not join a waiting group: it starts its own, which a small one after it may join', async () => {
  const db = await store('large.rvf');
  try {
    const before = (await db.status()).epoch;
    const big = Array.from({ length: 1500 }, (_, i) => entry(1000 + i, i));
    const results = await Promise.all([db.ingestBatch([entry(1, 1)]), db.ingestBatch(big), db.ingestBatch([entry(2, 2)])]);
    assert.deepEqual(results.map((r) => r.epoch), [before + 1, before + 2, before + 2]);
    assert.equal((await db.status()).totalVectors, 1502);
  } finally {
    await db.close();
  }
});

test('a group whose commit fails fails every batch in it, and none of them is in the store', async () => {
  const db = await store('fail.rvf');
  try {
    await db.ingestBatch([entry(1, 1)]);
    const before = await contents(db);
    failingSyncForTests.after = 0;
    const settled = await Promise.allSettled([db.ingestBatch([entry(2, 2)]), db.ingestBatch([entry(3, 3)]), db.ingestBatch([entry(1, 9)])]);
    failingSyncForTests.after = undefined;
    for (const r of settled) {
      assert.equal(r.status, 'rejected');
      assert.match(((r as PromiseRejectedResult).reason as Error).message, /nothing was committed/);
    }
    assert.deepEqual(await contents(db), before);
    // the store goes on: the same batches again, together
    const ok = await Promise.all([db.ingestBatch([entry(2, 2)]), db.ingestBatch([entry(3, 3)])]);
    assert.equal(ok[0]?.epoch, ok[1]?.epoch);
    assert.equal((await db.status()).totalVectors, 3);
  } finally {
    failingSyncForTests.after = undefined;
    await db.close();
  }
});

test('SIGKILL while eight writers race: every acknowledged batch is whole after reopen, and no batch is there in part', async () => {
  for (let round = 0; round < 3; round++) {
    const path = join(tempDir('rvf-group-crash-'), 's.rvf');
    const child = spawnFixture('crash-group.ts', [path, '8', String(DIM)]);
    const done = finished(child);
    const acked: string[] = [];
    let buffered = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('acked ')) acked.push(line.slice(6));
    });
    await waitForLine(child, 'ready');
    // kill at a different point each round, well into the racing
    const target = 60 + round * 70;
    while (acked.length < target) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    const out = await done;
    assert.equal(out.signal, 'SIGKILL', out.stderr.slice(-2000));
    const ackedNow = [...acked];

    const db = await RvfDatabase.open(path);
    try {
      const byBatch = new Map<string, number>();
      await db.forEachEntry((rows) => {
        for (const r of rows) {
          const id = Number(r.id);
          const w = Math.floor(id / WRITER_ID_SPAN);
          const b = Math.floor((id % WRITER_ID_SPAN) / GROUP_BATCH_SIZE);
          assert.deepEqual(r.metadata, { w, b });
          assert.deepEqual(Array.from(r.vector), Array.from(vectorFor(id, DIM)));
          byBatch.set(`${w} ${b}`, (byBatch.get(`${w} ${b}`) ?? 0) + 1);
        }
      });
      for (const [batch, count] of byBatch) assert.equal(count, GROUP_BATCH_SIZE, `batch ${batch} is there in part`);
      for (const batch of ackedNow) assert.equal(byBatch.get(batch), GROUP_BATCH_SIZE, `acknowledged batch ${batch} is missing`);
      assert.ok(byBatch.size >= ackedNow.length);
    } finally {
      await db.close();
    }
  }
});

test('through the MCP server over HTTP: four agents ingesting at once share commits, and every batch is whole', async () => {
  const server = await startHttpServer(['--write', '--root', tempDir('rvf-group-http-')]);
  const clients = await Promise.all(
    Array.from({ length: 4 }, async (_, c) => {
      const client = new Client({ name: `agent-${c}`, version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(server.url));
      return client;
    }),
  );
  try {
    await callOk(clients[0] as Client, 'rvf_create_store', { store: 'shared', dimensions: DIM, metric: 'l2', index: 'none' });
    const calls = clients.flatMap((client, c) =>
      Array.from({ length: 5 }, (_, k) => {
        const ids = Array.from({ length: 10 }, (_, j) => c * 1000 + k * 10 + j);
        return callOk<{ accepted: number; epoch: number }>(client, 'rvf_ingest', { store: 'shared', entries: ids.map((id) => ({ id, vector: Array.from(vec(id)), metadata: { c, k } })) });
      }),
    );
    const results = await Promise.all(calls);
    for (const r of results) assert.equal(r.accepted, 10);
    const epochs = new Set(results.map((r) => r.epoch));
    assert.ok(epochs.size < results.length, `20 concurrent calls made ${epochs.size} commits`);
    const status = await callOk<{ totalVectors: number; epoch: number }>(clients[1] as Client, 'rvf_status', { store: 'shared' });
    assert.equal(status.totalVectors, 200);
    for (const id of [0, 1019, 2040, 3049]) {
      const hit = (await callOk<{ results: { id: number; distance: number; metadata: unknown }[] }>(clients[2] as Client, 'rvf_query', { store: 'shared', vector: Array.from(vec(id)), k: 1 })).results[0];
      assert.equal(hit?.id, id);
      assert.equal(hit?.distance, 0);
      assert.deepEqual(hit?.metadata, { c: Math.floor(id / 1000), k: Math.floor((id % 1000) / 10) });
    }
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    await server.stop();
  }
});

/**
 * Vectors as base64 of little-endian float32 over MCP (issue 13): rvf_ingest
 * with ids + vectors_b64 (+ metadata per id), entries with vector_b64, and
 * rvf_query with vector_b64, on the real server over stdio (npx, the SDK's
 * Client) and Streamable HTTP.
 *
 * - the same vectors sent as JSON arrays and as base64 give the same store:
 *   identical top-k, ids and distances, and distance 0 to themselves;
 * - float32 values that JSON would print with many digits come back exact;
 * - damaged base64 (alphabet, padding, a length that is not whole float32s,
 *   NaN, a count that does not match ids x dimension, both forms at once) is
 *   refused with one sentence, and the store is unchanged afterwards.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { callErr, callOk, startServer, type McpProcess } from './helpers/mcp.ts';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttpServer, type HttpServerProcess } from './helpers/mcp-http.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 8;

function f32Base64(values: readonly number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

/** Deterministic vectors whose float32 values need all their digits. */
function sampleVectors(count: number, seed: number): number[][] {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  return Array.from({ length: count }, () => Array.from(new Float32Array(Array.from({ length: DIM }, next))));
}

interface Hit {
  id: number;
  distance: number;
  metadata: Record<string, unknown> | null;
}

async function totalVectors(client: SdkClient, store: string): Promise<number> {
  return (await callOk<{ totalVectors: number }>(client, 'rvf_status', { store })).totalVectors;
}

/** The scenarios as subtests of `t`, on a connected client. */
async function scenarios(t: TestContext, client: SdkClient): Promise<void> {
  for (const store of ['json', 'b64', 'entries64']) await callOk(client, 'rvf_create_store', { store, dimensions: DIM, metric: 'l2' });

  await t.test('base64 and JSON arrays make the same store, and float32 values come back exact', async () => {
    const vecs = sampleVectors(300, 7);
    const ids = vecs.map((_, i) => i + 1);
    const metadata = vecs.map((_, i) => (i % 3 === 0 ? null : { n: i }));
    await callOk(client, 'rvf_ingest', { store: 'json', entries: vecs.map((v, i) => ({ id: ids[i], vector: v, metadata: metadata[i] })) });
    const flat = await callOk<{ accepted: number }>(client, 'rvf_ingest', { store: 'b64', ids, vectors_b64: f32Base64(vecs.flat()), metadata });
    assert.equal(flat.accepted, 300);
    await callOk(client, 'rvf_ingest', { store: 'entries64', entries: vecs.map((v, i) => ({ id: ids[i], vector_b64: f32Base64(v), metadata: metadata[i] })) });

    for (const q of [0, 41, 299]) {
      const query = vecs[q] as number[];
      const asJson = await callOk<{ results: Hit[] }>(client, 'rvf_query', { store: 'json', vector: query, k: 10 });
      for (const store of ['b64', 'entries64']) {
        const viaB64 = await callOk<{ results: Hit[] }>(client, 'rvf_query', { store, vector_b64: f32Base64(query), k: 10 });
        assert.deepEqual(viaB64.results, asJson.results, `${store}, query ${q}`);
      }
      assert.equal(asJson.results[0]?.id, q + 1);
      assert.equal(asJson.results[0]?.distance, 0, 'a vector is at distance 0 from itself: no digit was lost');
      assert.deepEqual(asJson.results[0]?.metadata, metadata[q]);
    }
  });

  await t.test('damaged base64 is refused with one sentence and changes nothing', async () => {
    const before = await totalVectors(client, 'b64');
    const good = f32Base64(sampleVectors(2, 3).flat());
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['alphabet', { ids: [900, 901], vectors_b64: `${good.slice(0, 8)}@@@@${good.slice(12)}` }, /not base64/],
      ['url-safe alphabet', { ids: [900, 901], vectors_b64: good.replace(/[A-Z]/g, '-') }, /not base64/],
      ['missing padding', { ids: [900], vectors_b64: 'AAAAAAA' }, /not base64/],
      ['not whole float32s', { ids: [900], vectors_b64: 'AAAAAAA=' }, /5 bytes, not whole float32 values; send 4 bytes per value/],
      ['NaN', { ids: [900], vectors_b64: f32Base64([Number.NaN, 1, 2, 3, 4, 5, 6, 7]) }, /NaN or infinite/],
      ['count does not match ids', { ids: [900, 901, 902], vectors_b64: good }, /16 float32 values.*3 ids x dimension 8 needs 24/],
      ['metadata count', { ids: [900, 901], vectors_b64: good, metadata: [{ a: 1 }] }, /metadata has 1 items for 2 ids/],
      ['both forms', { ids: [900, 901], vectors_b64: good, entries: [{ id: 902, vector: [1, 2, 3, 4, 5, 6, 7, 8] }] }, /either entries, or ids with vectors_b64/],
      ['ids without vectors', { ids: [900] }, /ids together with vectors_b64/],
      ['entry with both vectors', { entries: [{ id: 900, vector: [1, 2, 3, 4, 5, 6, 7, 8], vector_b64: f32Base64([1, 2, 3, 4, 5, 6, 7, 8]) }] }, /exactly one of vector.*not both/],
      ['entry with neither', { entries: [{ id: 900 }] }, /exactly one of vector/],
      ['entry of the wrong dimension', { entries: [{ id: 900, vector_b64: f32Base64([1, 2, 3]) }] }, /dimension/],
    ];
    for (const [label, args, message] of cases) {
      const text = await callErr(client, 'rvf_ingest', { store: 'b64', ...args });
      assert.match(text, message, label);
    }
    assert.match(await callErr(client, 'rvf_query', { store: 'b64', vector_b64: f32Base64([1, 2, 3]), k: 1 }), /dimension/);
    assert.match(await callErr(client, 'rvf_query', { store: 'b64', vector_b64: '!!!!', k: 1 }), /not base64/);
    assert.match(await callErr(client, 'rvf_query', { store: 'b64', k: 1 }), /exactly one of vector/);
    assert.equal(await totalVectors(client, 'b64'), before, 'no refused call wrote anything');
  });

  // The message reader cuts vectors_b64 out of messages of 64 KiB and more before parsing the rest
  // (server/json-bytes.ts): a large batch must read the same, and damage inside it must still be refused.
  await t.test('a large batch reads the same through the reader\'s shortcut, and damage inside it is refused', async () => {
    await callOk(client, 'rvf_create_store', { store: 'large', dimensions: DIM, metric: 'l2' });
    const vecs = sampleVectors(3000, 11);
    const ids = vecs.map((_, i) => 10_000 + i);
    const good = f32Base64(vecs.flat());
    assert.ok(good.length > 64 * 1024);
    const control = `${good.slice(0, 1000)}\u0001${good.slice(1001)}`;
    assert.match(await callErr(client, 'rvf_ingest', { store: 'large', ids, vectors_b64: control }), /not base64/);
    const slash = good.indexOf('/');
    const urlSafe = `${good.slice(0, slash)}_${good.slice(slash + 1)}`;
    assert.match(await callErr(client, 'rvf_ingest', { store: 'large', ids, vectors_b64: urlSafe }), /not base64/);
    assert.equal(await totalVectors(client, 'large'), 0, 'no refused call wrote anything');
    assert.equal((await callOk<{ accepted: number }>(client, 'rvf_ingest', { store: 'large', ids, vectors_b64: good, metadata: ids.map((id) => ({ n: id })) })).accepted, 3000);
    // metadata naming vectors_b64 too: the reader must not take one for the other
    const half = ids.slice(0, 1500);
    const tagged = half.map((id) => ({ vectors_b64: `tag ${id}` }));
    assert.equal((await callOk<{ accepted: number }>(client, 'rvf_ingest', { store: 'large', ids: half, vectors_b64: f32Base64(vecs.slice(0, 1500).flat()), metadata: tagged })).accepted, 1500);
    for (const q of [0, 1499, 1500, 2999]) {
      const hit = (await callOk<{ results: Hit[] }>(client, 'rvf_query', { store: 'large', vector: vecs[q], k: 1 })).results[0];
      assert.equal(hit?.id, 10_000 + q);
      assert.equal(hit?.distance, 0);
      assert.deepEqual(hit?.metadata, q < 1500 ? { vectors_b64: `tag ${10_000 + q}` } : { n: 10_000 + q });
    }
  });

  await t.test('a JSON vector with a bad element names it', async () => {
    const text = await callErr(client, 'rvf_query', { store: 'json', vector: [0, 1, 2, 'x', 4, 5, 6, 7], k: 1 });
    assert.match(text, /element 3 is "x"/);
  });
}

test('base64 vectors over stdio (npx, the SDK Client)', async (t) => {
  const server: McpProcess = await startServer(tempDir('rvf-b64-stdio-'), { write: true });
  try {
    await scenarios(t, server.client);
  } finally {
    await server.close();
  }
});

test('base64 vectors over Streamable HTTP', async (t) => {
  const server: HttpServerProcess = await startHttpServer(['--write', '--root', tempDir('rvf-b64-http-')]);
  const client = new SdkClient({ name: 'rvf-b64-http', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(server.url));
  try {
    await scenarios(t, client);
  } finally {
    await client.close();
  }
});

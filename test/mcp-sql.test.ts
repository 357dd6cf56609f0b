/**
 * The rvlite_sql tool end to end: a real SDK Client drives the real server
 * (`npx rvf-mcp-server`, built dist/) over stdio, with and without --write,
 * over stores written beforehand with the library.
 *
 * - tools/list: rvlite_sql on both servers, its input and output schemas, readOnlyHint;
 * - reads of `vectors` and rvf_knn joins, equal to rvf_query and to brute force;
 * - refused writes: isError results starting with EREADONLY, worded per server,
 *   and nothing changed on disk;
 * - 20 concurrent calls;
 * - a runaway query stopped at 5 s with ELIMIT while other stores keep answering;
 * - a read-only server sees what a --write server committed;
 * - the row cap and a result of some hundred KB through the tool.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LIMITS, RvfDatabase } from '../store/index.ts';
import {
  assertTopK,
  callErr,
  callOk,
  callRaw,
  PACKAGE_ROOT,
  startServers,
  vectors,
  type Json,
  type McpProcess,
  type Meta,
  type Metric,
  type Result,
  type Row,
} from './helpers/mcp.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 8;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const BIG_IDS = ['9007199254740992', '9223372036854775807'];
const root = realpathSync(tempDir('rvf-mcp-sql-'));
const models: Record<string, { metric: Metric; rows: Map<string, Row> }> = {};
let ro: McpProcess;
let rw: McpProcess;

function wire(id: string): number | string {
  return BigInt(id) <= MAX_SAFE ? Number(id) : id;
}

function sortedIds(rows: Map<string, Row>): string[] {
  return [...rows.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function makeStore(name: string, metric: Metric, seed: number): Promise<void> {
  const db = await RvfDatabase.create(join(root, `${name}.rvf`), { dimensions: DIM, metric });
  const rows = new Map<string, Row>();
  const vecs = vectors(80, DIM, seed);
  const entries = vecs.map((vector, i) => {
    const id = i < BIG_IDS.length ? (BIG_IDS[i] as string) : String(i);
    const metadata: Meta = i % 9 === 4 ? null : { topic: ['a', 'b', 'c'][i % 3], n: i };
    rows.set(id, { vector, metadata });
    return { id, vector, metadata };
  });
  await db.ingestBatch(entries);
  await db.close();
  models[name] = { metric, rows };
}

type Rows = { store: string; columns: string[]; rows: unknown[][]; truncated: boolean };

function sqlOn(p: McpProcess, store: string, query: string, params?: unknown): Promise<Rows> {
  return callOk<Rows>(p.client, 'rvlite_sql', params === undefined ? { store, query } : { store, query, params });
}

/** rvf_knn rows [id, distance, metadata JSON] as rvf_query results. */
function asResults(rows: unknown[][]): Result[] {
  return rows.map((r) => ({ id: r[0] as number | string, distance: r[1] as number, metadata: r[2] === null ? null : (JSON.parse(r[2] as string) as Meta) }));
}

before(async () => {
  await makeStore('alpha', 'l2', 21);
  await makeStore('beta', 'cosine', 22);
  [ro, rw] = (await startServers([
    { root, o: { name: 'ro' } },
    { root, o: { write: true, name: 'rw' } },
  ])) as [McpProcess, McpProcess];
});

after(async () => {
  await Promise.all([ro?.close(), rw?.close()]);
});

test('tools/list: rvlite_sql with and without --write, {store, query, params} in, {store, columns, rows, truncated} out, read-only hint only without --write', async () => {
  for (const p of [ro, rw]) {
    const tool = (await p.client.listTools()).tools.find((t) => t.name === 'rvlite_sql');
    assert.ok(tool, 'rvlite_sql is listed');
    assert.deepEqual(Object.keys(tool.inputSchema.properties ?? {}).sort(), ['params', 'query', 'store']);
    // params is optional: listed as required and nullable, the form strict function calling takes (test/tool-schemas.test.ts).
    assert.deepEqual([...(tool.inputSchema.required ?? [])].sort(), ['params', 'query', 'store']);
    assert.ok(tool.outputSchema, 'an output schema');
    // Writes add epoch and changes, Cypher stats, SPARQL its JSON results: all optional.
    assert.deepEqual(Object.keys(tool.outputSchema.properties ?? {}).sort(), ['changes', 'columns', 'epoch', 'rows', 'sparql', 'stats', 'store', 'truncated']);
    assert.deepEqual([...(tool.outputSchema.required ?? [])].sort(), ['columns', 'rows', 'store', 'truncated']);
    // Under --write it can change tables, so it says so.
    assert.equal(tool.annotations?.readOnlyHint, p === ro);
    assert.equal(tool.annotations?.destructiveHint, p === rw);
    assert.equal(tool.annotations?.openWorldHint, false);
    assert.match(tool.description ?? '', /rvf_knn/);
  }
});

test('reads through the tool: every row of vectors with big ids as strings, aggregates, exactly the four result fields', async () => {
  for (const p of [ro, rw]) {
    for (const store of ['alpha', 'beta']) {
      const { rows } = models[store] as { rows: Map<string, Row> };
      const all = await sqlOn(p, store, 'SELECT id, metadata FROM vectors ORDER BY id');
      assert.deepEqual(Object.keys(all).sort(), ['columns', 'rows', 'store', 'truncated']);
      assert.equal(all.store, store);
      assert.deepEqual(all.columns, ['id', 'metadata']);
      assert.equal(all.truncated, false);
      assert.deepEqual(
        all.rows.map((r) => [r[0], r[1] === null ? null : JSON.parse(r[1] as string)]),
        sortedIds(rows).map((id) => [wire(id), (rows.get(id) as Row).metadata]),
      );
      const agg = await sqlOn(p, store, "SELECT json_extract(metadata, '$.topic') AS t, count(*) FROM vectors WHERE t IS NOT NULL GROUP BY t ORDER BY t");
      const counts = new Map<string, number>();
      for (const r of rows.values()) if (r.metadata) counts.set(r.metadata.topic as string, (counts.get(r.metadata.topic as string) ?? 0) + 1);
      assert.deepEqual(agg.rows, [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      const named = await sqlOn(p, store, 'SELECT :a AS a, @b AS b, $c AS c, json_extract(:doc, \'$.x\') AS x', { a: 1, b: 'two', c: null, doc: { x: [1] } });
      assert.deepEqual(named.rows, [[1, 'two', null, '[1]']]);
    }
  }
});

test('rvf_knn through the tool equals rvf_query (ids, distances, metadata), with and without a filter, and brute force', async () => {
  const probes = vectors(3, DIM, 23);
  for (const p of [ro, rw]) {
    for (const store of ['alpha', 'beta']) {
      const { rows, metric } = models[store] as { rows: Map<string, Row>; metric: Metric };
      // The vector of id 2^63-1 finds itself first.
      for (const q of [(rows.get('9223372036854775807') as Row).vector, ...probes]) {
        const viaQuery = await callOk(p.client, 'rvf_query', { store, vector: q, k: 10 });
        const viaSql = await sqlOn(p, store, 'SELECT k.id, k.distance, v.metadata FROM rvf_knn(?, 10) k JOIN vectors v ON v.id = k.id ORDER BY k.distance', [q]);
        assert.deepEqual(viaSql.columns, ['id', 'distance', 'metadata']);
        assert.deepEqual(asResults(viaSql.rows), viaQuery['results'], `${store}: rvf_knn vs rvf_query`);
        assertTopK(asResults(viaSql.rows), rows, q, 10, metric, undefined, `${store} rvlite_sql`);
        const filter = { topic: { $in: ['a', 'c'] }, n: { $gte: 10 } };
        const keep = (m: Meta): boolean => m !== null && ['a', 'c'].includes(m.topic as string) && (m.n as number) >= 10;
        const fq = await callOk(p.client, 'rvf_query', { store, vector: q, k: 6, filter });
        const fs = await sqlOn(p, store, 'SELECT k.id, k.distance, v.metadata FROM rvf_knn(:q, 6, :f) k JOIN vectors v ON v.id = k.id ORDER BY k.distance', { q, f: filter });
        assert.deepEqual(asResults(fs.rows), fq['results'], `${store}: filtered rvf_knn vs rvf_query`);
        assertTopK(asResults(fs.rows), rows, q, 6, metric, keep, `${store} filtered`);
      }
      const first = await sqlOn(p, store, 'SELECT id FROM rvf_knn(?, 1)', [(rows.get('9223372036854775807') as Row).vector]);
      assert.deepEqual(first.rows, [['9223372036854775807']]);
      const d = await sqlOn(p, store, 'SELECT k.distance, rvf_distance(k.id, :q) FROM rvf_knn(:q, 80) k', { q: probes[0] });
      for (const [a, b] of d.rows as [number, number][]) assert.ok(Object.is(a, b), `${store}: rvf_distance ${b} vs rvf_knn ${a}`);
    }
  }
  assert.match(await callErr(ro.client, 'rvlite_sql', { store: 'alpha', query: 'SELECT * FROM rvf_knn(?, 3)', params: [[1, 2]] }), /^EDIM/);
  assert.match(await callErr(ro.client, 'rvlite_sql', { store: 'alpha', query: 'SELECT * FROM rvf_knn(?, 0)', params: [probes[0]] }), /^ELIMIT/);
});

test('writes are refused with EREADONLY (worded with and without --write) and change nothing on disk', async () => {
  // Both servers have the stores open already (earlier tests), so their sidecar files exist.
  await sqlOn(ro, 'alpha', 'SELECT 1');
  await sqlOn(rw, 'alpha', 'SELECT 1');
  const file = join(root, 'alpha.rvf');
  const bytes = sha256(file);
  const files = readdirSync(root).sort();
  const roText = await callErr(ro.client, 'rvlite_sql', { store: 'alpha', query: 'DELETE FROM vectors' });
  const rwText = await callErr(rw.client, 'rvlite_sql', { store: 'alpha', query: 'DELETE FROM vectors' });
  assert.match(roText, /^EREADONLY/);
  assert.match(rwText, /^EREADONLY/);
  assert.notEqual(roText, rwText, 'the two servers word the refusal differently');
  assert.match(roText, /--write/);
  // Without --write, each language's refusal says the server is read-only and to start it with --write.
  const serverReadOnly = /^EREADONLY: this server is read-only: .+; start it with --write to change stores\.$/;
  assert.match(roText, serverReadOnly);
  assert.match(await callErr(ro.client, 'rvlite_cypher', { store: 'alpha', query: "CREATE (:P {name: 'a'})" }), serverReadOnly);
  assert.match(await callErr(ro.client, 'rvlite_sparql', { store: 'alpha', query: 'INSERT DATA { <a:s> <a:p> "o" }' }), serverReadOnly);
  assert.match(await callErr(ro.client, 'rvlite_sparql', { store: 'alpha', query: 'SELECT * { ?s ?p ?o } ; DROP ALL' }), serverReadOnly);
  for (const p of [ro, rw]) {
    for (const query of [
      "INSERT INTO vectors VALUES (1, '{}', 1)",
      '  /* x */ update vectors set metadata = null',
      'WITH x AS (SELECT 1) DELETE FROM vectors',
      'DROP TABLE vectors',
      'CREATE TEMP TABLE t (x)',
      `ATTACH '${join(root, 'evil.db')}' AS evil`,
      `VACUUM INTO '${join(root, 'evil2.db')}'`,
      'PRAGMA query_only = OFF',
      'PRAGMA locking_mode = EXCLUSIVE',
      'SELECT 1; DELETE FROM vectors',
      "SELECT load_extension('x')",
    ]) {
      const text = await callErr(p.client, 'rvlite_sql', { store: 'alpha', query });
      assert.match(text, /^(EREADONLY|EINVAL)\b/, `${query}: ${text}`);
      // On the --write server, TEMP objects, ATTACH, VACUUM and PRAGMA are refused as statements the
      // store does not take (EINVAL); everything else that writes, and all of it without --write, as EREADONLY.
      const unsupportedOnWriter = p === rw && /TEMP|^\s*(attach|vacuum|pragma)/i.test(query);
      if (unsupportedOnWriter) assert.match(text, /^EINVAL/, query);
      else if (/^\s*(\/\*.*?\*\/\s*)?(insert|update|drop|create|attach|vacuum|pragma)/i.test(query)) assert.match(text, /^EREADONLY/, query);
    }
  }
  assert.equal(sha256(file), bytes, 'the store file changed');
  assert.deepEqual(readdirSync(root).sort(), files, 'files appeared under the root');
  const count = await sqlOn(ro, 'alpha', 'SELECT count(*) FROM vectors');
  assert.deepEqual(count.rows, [[(models.alpha as { rows: Map<string, Row> }).rows.size]]);
});

test('20 concurrent rvlite_sql calls on two stores all answer right', async () => {
  const q = vectors(1, DIM, 24)[0] as number[];
  const expectedKnn = new Map<string, Result[]>();
  for (const store of ['alpha', 'beta']) expectedKnn.set(store, (await callOk(ro.client, 'rvf_query', { store, vector: q, k: 5 }))['results'] as Result[]);
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const store = i % 2 === 0 ? 'alpha' : 'beta';
      const { rows } = models[store] as { rows: Map<string, Row> };
      if (i % 4 < 2) {
        const r = await sqlOn(ro, store, "SELECT ?, count(*) FROM vectors WHERE json_extract(metadata, '$.n') % 5 = ?", [i, i % 5]);
        const n = [...rows.values()].filter((row) => row.metadata !== null && (row.metadata.n as number) % 5 === i % 5).length;
        assert.deepEqual(r.rows, [[i, n]], `call ${i}`);
      } else {
        const r = await sqlOn(ro, store, 'SELECT k.id, k.distance, v.metadata FROM rvf_knn(?, 5) k JOIN vectors v ON v.id = k.id ORDER BY k.distance', [q]);
        assert.deepEqual(asResults(r.rows), expectedKnn.get(store), `call ${i}`);
      }
    }),
  );
});

test('a runaway query is stopped at 5 s with ELIMIT; meanwhile another store answers at once; then the store answers again', async () => {
  const beta = models.beta as { rows: Map<string, Row>; metric: Metric };
  const q = vectors(1, DIM, 25)[0] as number[];
  const start = Date.now();
  const runaway = callRaw(ro.client, 'rvlite_sql', { store: 'alpha', query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' }).then((r) => ({
    r,
    ms: Date.now() - start,
  }));
  await new Promise((r) => setTimeout(r, 300));
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const v = await fn();
    assert.ok(Date.now() - t0 < 1500, `${label} took ${Date.now() - t0} ms while the runaway ran`);
    return v;
  };
  const count = await timed('rvlite_sql on beta', () => sqlOn(ro, 'beta', 'SELECT count(*) FROM vectors'));
  assert.deepEqual(count.rows, [[beta.rows.size]]);
  const knn = await timed('rvf_knn on beta', () => sqlOn(ro, 'beta', 'SELECT id, distance, NULL FROM rvf_knn(?, 4)', [q]));
  const viaQuery = await timed('rvf_query on beta', () => callOk(ro.client, 'rvf_query', { store: 'beta', vector: q, k: 4 }));
  assert.deepEqual(
    knn.rows.map((r) => [r[0], r[1]]),
    (viaQuery['results'] as Result[]).map((r) => [r.id, r.distance]),
  );
  await timed('rvf_status on beta', () => callOk(ro.client, 'rvf_status', { store: 'beta' }));
  await timed('rvlite_sql on the --write server', () => sqlOn(rw, 'alpha', 'SELECT 1'));
  assert.ok(Date.now() - start < 4000, 'the other calls were all made while the runaway ran');
  const { r, ms } = await runaway;
  assert.equal(r.isError, true, 'the runaway must fail');
  const text = (r.content[0] as { text: string }).text;
  assert.match(text, /^ELIMIT/);
  assert.match(text, /5000 ms/);
  assert.ok(ms >= 4500 && ms < 9000, `stopped after ${ms} ms`);
  const t0 = Date.now();
  assert.deepEqual((await sqlOn(ro, 'alpha', 'SELECT count(*) FROM vectors')).rows, [[(models.alpha as { rows: Map<string, Row> }).rows.size]]);
  assert.ok(Date.now() - t0 < 2000, 'alpha answers promptly after the kill');
});

test('rvf_list_stores is not held up by a runaway query on one store', async () => {
  const runaway = callRaw(ro.client, 'rvlite_sql', { store: 'alpha', query: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c' });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  const list = await callOk(ro.client, 'rvf_list_stores', {});
  const took = Date.now() - t0;
  assert.deepEqual((list['stores'] as Json[]).map((s) => s['store']), ['alpha', 'beta']);
  const r = await runaway;
  assert.equal(r.isError, true);
  assert.ok(took < 1500, `rvf_list_stores waited ${took} ms for the runaway query on alpha`);
});

test('a read-only server sees at once what a --write server committed (rvf_ingest, rvf_delete)', async () => {
  const alpha = models.alpha as { rows: Map<string, Row>; metric: Metric };
  const q = vectors(1, DIM, 26)[0] as number[];
  await callOk(rw.client, 'rvf_ingest', { store: 'alpha', entries: [{ id: 5000, vector: q, metadata: { topic: 'fresh', n: 5000 } }] });
  alpha.rows.set('5000', { vector: q, metadata: { topic: 'fresh', n: 5000 } });
  await callOk(rw.client, 'rvf_delete', { store: 'alpha', ids: [BIG_IDS[0], 10] });
  alpha.rows.delete(BIG_IDS[0] as string);
  alpha.rows.delete('10');
  const all = await sqlOn(ro, 'alpha', 'SELECT id FROM vectors ORDER BY id');
  assert.deepEqual(all.rows, sortedIds(alpha.rows).map((id) => [wire(id)]));
  const knn = await sqlOn(ro, 'alpha', "SELECT k.id, k.distance, json_extract(v.metadata, '$.topic') FROM rvf_knn(?, 1) k JOIN vectors v ON v.id = k.id", [q]);
  assert.deepEqual(knn.rows, [[5000, 0, 'fresh']]);
  const viaSql = await sqlOn(ro, 'alpha', 'SELECT k.id, k.distance, v.metadata FROM rvf_knn(?, 10) k JOIN vectors v ON v.id = k.id ORDER BY k.distance', [q]);
  assertTopK(asResults(viaSql.rows), alpha.rows, q, 10, alpha.metric, undefined, 'after the writer');
});

test('the row cap through the tool: maxQueryRows rows and truncated: true', async () => {
  const n = LIMITS.maxQueryRows;
  const r = await sqlOn(ro, 'beta', `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n + 10}) SELECT x FROM c`);
  assert.equal(r.rows.length, n);
  assert.equal(r.truncated, true);
  assert.deepEqual(r.rows.at(-1), [n]);
});

test('a result of some 600 KB comes back whole through the tool', async () => {
  const t0 = Date.now();
  const r = await callRaw(ro.client, 'rvlite_sql', { store: 'beta', query: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT x, printf('%.*c', 200, 'y') FROM c" });
  assert.notEqual(r.isError, true, `failed after ${Date.now() - t0} ms: ${JSON.stringify(r.content).slice(0, 300)}`);
  const s = r.structuredContent as Rows;
  assert.equal(s.rows.length, 3000);
  assert.equal(s.truncated, false);
  assert.deepEqual(s.rows[2999], [3000, 'y'.repeat(200)]);
});

const BYTE_CAP_CASES = [
  ['ASCII', "printf('%.*c', 100000, 'x')", 100_000],
  // 90 000 ASCII characters and 10 000 euro signs: 100 000 characters, 120 000 bytes of UTF-8.
  ['multi-byte', "printf('%.*c', 90000, 'x') || replace(printf('%.*c', 10000, 'x'), 'x', '€')", 120_000],
] as const;

function assertByteCap(r: Rows, label: string, bytesPerRow: number): void {
  const json = Buffer.byteLength(JSON.stringify(r.rows));
  assert.equal(r.truncated, true, label);
  assert.ok(json <= LIMITS.maxQueryResultBytes, `${label}: ${r.rows.length} rows, ${json} bytes of JSON; the cap is ${LIMITS.maxQueryResultBytes}`);
  assert.ok(r.rows.length >= Math.floor(LIMITS.maxQueryResultBytes / (bytesPerRow + 12)) - 1, `${label}: cut too early at ${r.rows.length} rows`);
}

test('the byte cap through the tool: a result past maxQueryResultBytes of JSON is cut below it, for ASCII and for multi-byte text (an SDK client with a 128 MiB read buffer)', async () => {
  // The SDK's own stdio client with a read buffer large enough for the answer.
  const transport = new StdioClientTransport({ command: 'npx', args: ['rvf-mcp-server', '--root', root], cwd: PACKAGE_ROOT, env: getDefaultEnvironment(), stderr: 'pipe', maxBufferSize: 128 * 1024 * 1024 });
  transport.stderr?.on('data', () => undefined);
  const client = new Client({ name: 'big-buffer', version: '1.0.0' });
  await client.connect(transport);
  try {
    for (const [label, text, bytesPerRow] of BYTE_CAP_CASES) {
      const r = await callOk<Rows>(client, 'rvlite_sql', { store: 'beta', query: `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200) SELECT x, ${text} FROM c` });
      assertByteCap(r, label, bytesPerRow);
    }
  } finally {
    await client.close();
  }
});

test('an answer cut at the byte cap reaches a default SDK stdio client (its read buffer holds 10 MiB) without closing the connection', async () => {
  const [p] = (await startServers([{ root, o: { name: 'default-client' } }])) as [McpProcess];
  try {
    let r: Rows | undefined;
    let failure: unknown;
    try {
      r = await sqlOn(p, 'beta', `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200) SELECT x, ${BYTE_CAP_CASES[0][1]} FROM c`);
    } catch (err) {
      failure = err;
    }
    assert.equal(failure, undefined, `the call failed: ${String(failure)}; server stderr: ${p.stderr().slice(-400)}`);
    assertByteCap(r as Rows, 'ASCII', BYTE_CAP_CASES[0][2]);
    assert.deepEqual((await sqlOn(p, 'beta', 'SELECT 1')).rows, [[1]], 'the connection still works');
  } finally {
    await p.close();
  }
});

test('bad input is an isError result: empty or over-long query, params of the wrong type, unknown store', async () => {
  assert.ok((await callErr(ro.client, 'rvlite_sql', { store: 'alpha', query: '' })).length > 0);
  assert.ok((await callErr(ro.client, 'rvlite_sql', { store: 'alpha', query: `SELECT 1 -- ${'x'.repeat(LIMITS.maxQueryTextBytes)}` })).length > 0);
  assert.ok((await callErr(ro.client, 'rvlite_sql', { store: 'alpha', query: 'SELECT ?', params: 'nope' })).length > 0);
  assert.match(await callErr(ro.client, 'rvlite_sql', { store: 'nosuch', query: 'SELECT 1' }), /^ENOENT/);
  assert.match(await callErr(ro.client, 'rvlite_sql', { store: 'alpha', query: 'SELEKT 1' }), /^(EINVAL|EREADONLY)/);
  // The server still answers.
  assert.deepEqual((await sqlOn(ro, 'alpha', 'VALUES (1)')).rows, [[1]]);
});

/**
 * One client must not stall the others (issue 11, part 1), on the real
 * server process:
 * - over HTTP, one session sends 8 runaway reads to a store; another
 *   session's SELECT 1, Cypher read and k-NN on that store still answer
 *   within one query time limit plus a margin (under 7 s), on a --write
 *   server and on a read-only one;
 * - one client with too many queries running or waiting gets EBUSY, which
 *   says to wait and retry;
 * - a query that needs more memory than a query may use (SQLite's heap, or
 *   oxigraph's WebAssembly memory seen as the process's resident set) gets
 *   ELIMIT naming memory, and the server keeps answering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LIMITS } from '../schemas/limits.ts';
import { callErr, callOk, callRaw, descendants, processAlive, startServer, until } from './helpers/mcp.ts';
import { connectStreamable, startHttpServer, type HttpServerProcess } from './helpers/mcp-http.ts';
import { tempDir } from './helpers/temp.ts';

const RUNAWAY = 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT count(*) FROM r';
const FAIR_WITHIN_MS = 7_000;

/** Fires `n` runaway reads from `client` without waiting for them; their outcomes are collected, never thrown. */
function fireRunaways(client: Client, store: string, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      callRaw(client, 'rvlite_sql', { store, query: RUNAWAY }, { timeout: 120_000 }).then(
        (r) => (r.isError ? String((r.content[0] as { text?: string } | undefined)?.text) : 'answered'),
        (err: unknown) => `client error: ${(err as Error).message}`,
      ),
    ),
  );
}

async function timed<T>(what: string, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const out = await call();
  const took = Date.now() - started;
  assert.ok(took < FAIR_WITHIN_MS, `${what} took ${took} ms while another session ran runaway queries (must be under ${FAIR_WITHIN_MS} ms)`);
  return out;
}

async function otherSessionAnswers(server: HttpServerProcess, store: string, awaitRunaways: boolean): Promise<void> {
  const { client: a } = await connectStreamable(server, {}, 'greedy');
  const { client: b } = await connectStreamable(server, {}, 'patient');
  const runaways = fireRunaways(a, store, 8);
  // Let the runaways take the query processes first.
  await new Promise((r) => setTimeout(r, 500));
  const one = await timed('SELECT 1', () => callOk<{ rows: unknown[][] }>(b, 'rvlite_sql', { store, query: 'SELECT 1' }));
  assert.deepEqual(one.rows, [[1]]);
  const count = await timed('a Cypher read', () => callOk<{ rows: unknown[][] }>(b, 'rvlite_cypher', { store, query: 'MATCH (n) RETURN count(n) AS n' }));
  assert.deepEqual(count.rows, [[0]]);
  const hits = await timed('rvf_query', () => callOk<{ results: { id: number }[] }>(b, 'rvf_query', { store, vector: [1, 0], k: 1 }));
  assert.deepEqual(hits.results.map((h) => h.id), [1]);
  if (!awaitRunaways) return; // the server is stopped with them still running
  // The greedy session's own queries still end, at their time limit, each with its own error.
  const outcomes = await runaways;
  assert.equal(outcomes.length, 8);
  for (const o of outcomes) assert.match(o, /^ELIMIT: .*time limit/, `a runaway ended with: ${o}`);
}

test('over HTTP, a session with 8 runaway reads does not hold up another session on the same store (--write server)', async () => {
  const root = tempDir();
  const server = await startHttpServer(['--write', '--root', root]);
  const { client } = await connectStreamable(server, {}, 'setup');
  await callOk(client, 'rvf_create_store', { store: 'notes', dimensions: 2, metric: 'l2' });
  await callOk(client, 'rvf_ingest', { store: 'notes', entries: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }] });
  await otherSessionAnswers(server, 'notes', true);
  await server.stop();
});

test('over HTTP, the same holds on a read-only server: a read-only client cannot stall the others either', async () => {
  const root = tempDir();
  const writer = await startHttpServer(['--write', '--root', root]);
  const { client } = await connectStreamable(writer, {}, 'setup');
  await callOk(client, 'rvf_create_store', { store: 'notes', dimensions: 2, metric: 'l2' });
  await callOk(client, 'rvf_ingest', { store: 'notes', entries: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }] });
  await writer.stop();
  const reader = await startHttpServer(['--root', root]);
  await otherSessionAnswers(reader, 'notes', false);
  await reader.stop();
});

test('one client with too many queries running or waiting gets EBUSY, which says to wait and retry; closing the server ends its running queries', async () => {
  const root = tempDir();
  const p = await startServer(root, { write: true });
  const serverPid = p.serverPid(); // now, while the server is the one node process under npx
  await callOk(p.client, 'rvf_create_store', { store: 'busy', dimensions: 2 });
  const n = LIMITS.queryProcessesPerClient + LIMITS.maxWaitingQueriesPerClient + 3;
  // Outcomes arrive as each call ends: the refusals come at once, long before any runaway ends.
  const refusals: string[] = [];
  for (let i = 0; i < n; i++) {
    callRaw(p.client, 'rvlite_sql', { store: 'busy', query: RUNAWAY }, { timeout: 600_000 }).then(
      (r) => {
        const text = String((r.content[0] as { text?: string } | undefined)?.text);
        if (text.startsWith('EBUSY')) refusals.push(text);
      },
      () => undefined, // the rest end when the server closes
    );
  }
  const deadline = Date.now() + 5_000;
  while (refusals.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(refusals.length, 3, `expected exactly the 3 calls past ${LIMITS.queryProcessesPerClient} running + ${LIMITS.maxWaitingQueriesPerClient} waiting to be refused`);
  for (const r of refusals) assert.match(r, /^EBUSY: this client already has \d+ queries running or waiting .*wait for their answers, then retry\.$/);
  // Two runaways are running in query processes; the server closing must end them too.
  const running = descendants(serverPid).filter((pid) => processAlive(pid));
  assert.ok(running.length >= 2, `expected the running queries' processes under the server, found ${running.join(', ')}`);
  await p.close();
  await until(() => running.every((pid) => !processAlive(pid)), 5_000, 'the query processes to end with the server');
});

test('a query over the memory cap gets ELIMIT naming memory, in SQL (SQLite heap) and SPARQL (process memory); the server keeps answering', async () => {
  const root = tempDir();
  const p = await startServer(root, { write: true });
  try {
    await callOk(p.client, 'rvf_create_store', { store: 'mem', dimensions: 2 });
    // About 440 MB of text, built by doubling: past SQLite's heap limit for a query process.
    const sql = await callErr(p.client, 'rvlite_sql', {
      store: 'mem',
      query: 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r LIMIT 220) SELECT length(group_concat(hex(zeroblob(1000000)))) FROM r',
    });
    assert.match(sql, /^ELIMIT: the query needed more memory than a query may use .*nothing was changed/);
    // 300 literals of 10 kB, joined with themselves and concatenated: about 900 MB inside oxigraph.
    const literal = 'x'.repeat(10_000);
    for (let batch = 0; batch < 15; batch++) {
      const triples = Array.from({ length: 20 }, (_, i) => `<urn:s${batch}-${i}> <urn:p> "${i}${literal}" .`).join(' ');
      await callOk(p.client, 'rvlite_sparql', { store: 'mem', query: `INSERT DATA { ${triples} }` });
    }
    const sparql = await callErr(p.client, 'rvlite_sparql', { store: 'mem', query: 'SELECT (STRLEN(GROUP_CONCAT(?c)) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }' });
    assert.match(sparql, /^ELIMIT: the query needed more memory than a query may use/);
    assert.deepEqual((await callOk<{ rows: unknown[][] }>(p.client, 'rvlite_sql', { store: 'mem', query: 'SELECT count(*) FROM rdf_quads' })).rows, [[300]]);
  } finally {
    await p.close();
  }
});

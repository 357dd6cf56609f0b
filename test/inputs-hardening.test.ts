/**
 * Inputs answered exactly (issue 11, section 3), through the compiled server
 * over raw stdio (test/helpers/raw-stdio.ts), the library and the CLI:
 *
 * - a key named `__proto__` in metadata or a filter is refused with the same
 *   sentence by every tool (rvf_ingest, rvf_remember, rvf_query, rvf_recall,
 *   rvf_delete_filter, SQL's rvf_knn, Cypher's rvf.knn) and by the library;
 * - malformed JSON-RPC lines each get one JSON-RPC error, with the id when
 *   it can be read and null otherwise;
 * - a request over 64 MiB is answered with its top-level id, wherever it is;
 * - params nested 100k deep are ELIMIT, not an internal error;
 * - query text holding NUL is refused before anything runs;
 * - a zero query vector on a cosine store is refused, saying why.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { findRequestId, HEAD_BYTES, TAIL_BYTES } from '../server/request-id.ts';
import { RvfBytes } from '../store/bytes-store.ts';
import { RvfDatabase } from '../store/index.ts';
import { expectRvfError } from './helpers/assertions.ts';
import { assertOneSentence, PACKAGE_ROOT, processAlive } from './helpers/mcp.ts';
import { RawStdioServer, type RawMessage, type ToolOutcome } from './helpers/raw-stdio.ts';
import { tempDir } from './helpers/temp.ts';

const METADATA_PROTO = 'EINVAL: entries[0]: metadata has a key named "__proto__", which many JSON tools drop or turn into a prototype; rename that key.';
const FILTER_PROTO = 'EINVAL: filter names the key "__proto__", which metadata may not hold because many JSON tools drop it or turn it into a prototype; remove that condition.';
const PARAMS_DEPTH = 'ELIMIT: params nest deeper than 64 levels; flatten them, or pass a deep document as JSON text in a string.';
const zeroVector = (where: string): string =>
  `EINVAL: ${where}: a zero vector has no direction under cosine, so its distance to every vector is undefined (this one's length is 0 in f32); send a non-zero query vector.`;

function ok(r: ToolOutcome, label: string): Record<string, unknown> {
  assert.equal(r.isError, false, `${label} failed: ${r.text}`);
  assert.ok(r.structured, `${label}: no structuredContent`);
  return r.structured;
}

function refused(r: ToolOutcome, label: string): string {
  assert.equal(r.isError, true, `${label} should have been refused, got ${r.text.slice(0, 300)}`);
  return r.text;
}

// ------------------------------------------------------------ __proto__

test('__proto__: every tool refuses the key, in metadata and in filters, at any depth, with one sentence per kind; nothing changes', async () => {
  const root = tempDir('rvf-inputs-');
  const s = await RawStdioServer.start(root, { write: true });
  try {
    ok(await s.call(1, 'rvf_create_store', { store: 'p', dimensions: 2, metric: 'l2' }), 'create');
    ok(await s.call(2, 'rvf_ingest', { store: 'p', entries: [{ id: 1, vector: [1, 0], metadata: { b: 1 } }, { id: 2, vector: [0, 1], metadata: { b: 2 } }] }), 'ingest');
    ok(await s.call(3, 'rvf_remember', { store: 'm', text: 'the first note', metadata: { b: 1 } }), 'remember');

    // Written as raw JSON text: JSON.parse makes "__proto__" an own key, as a client's message does.
    const metadataCases: [string, string, string][] = [
      ['rvf_ingest, top level', 'rvf_ingest', '{"store":"p","entries":[{"id":3,"vector":[1,1],"metadata":{"__proto__":{"x":1},"b":2}}]}'],
      ['rvf_ingest, nested', 'rvf_ingest', '{"store":"p","entries":[{"id":3,"vector":[1,1],"metadata":{"a":{"__proto__":{"x":1}},"b":2}}]}'],
      ['rvf_ingest, in an array', 'rvf_ingest', '{"store":"p","entries":[{"id":3,"vector":[1,1],"metadata":{"list":[{"__proto__":1}]}}]}'],
      ['rvf_remember, text', 'rvf_remember', '{"store":"m","text":"a second note","metadata":{"__proto__":{"x":1},"b":2}}'],
      ['rvf_remember, entries', 'rvf_remember', '{"store":"m","entries":[{"text":"a second note","metadata":{"__proto__":{"x":1}}}]}'],
      ['rvf_remember, first use', 'rvf_remember', '{"store":"fresh","text":"a note","metadata":{"__proto__":{"x":1}}}'],
    ];
    let id = 100;
    for (const [label, tool, args] of metadataCases) {
      assert.equal(refused(await s.callJson(id++, tool, args), label), METADATA_PROTO, label);
    }

    const filters = ['{"__proto__":{"x":1}}', '{"$and":[{"b":1},{"__proto__":{"$eq":1}}]}', '{"a.__proto__":1}', '{"b":{"__proto__":1}}'];
    for (const filter of filters) {
      const filterText = JSON.stringify(filter); // the filter as a JSON string, as rvf_knn takes it
      const calls: [string, string, string][] = [
        ['rvf_query', 'rvf_query', `{"store":"p","vector":[1,0],"k":5,"filter":${filter}}`],
        ['rvf_recall', 'rvf_recall', `{"store":"m","text":"note","filter":${filter}}`],
        ['rvf_delete_filter', 'rvf_delete_filter', `{"store":"p","filter":${filter}}`],
        ['SQL rvf_knn', 'rvlite_sql', `{"store":"p","query":"SELECT id FROM rvf_knn(?, 5, ?)","params":[[1,0],${filterText}]}`],
        ['Cypher rvf.knn', 'rvlite_cypher', `{"store":"p","query":"CALL rvf.knn($v, 5, $f) YIELD id RETURN id","params":{"v":[1,0],"f":${filter}}}`],
      ];
      for (const [label, tool, args] of calls) {
        assert.equal(refused(await s.callJson(id++, tool, args), `${label} ${filter}`), FILTER_PROTO, `${label} with filter ${filter}`);
      }
    }

    const p = ok(await s.call(6, 'rvf_status', { store: 'p' }), 'status p');
    assert.equal(p['totalVectors'], 2, 'no refused ingest or delete changed the store');
    assert.equal(p['epoch'], 1);
    const m = ok(await s.call(7, 'rvf_status', { store: 'm' }), 'status m');
    assert.equal(m['totalVectors'], 1, 'no refused remember changed the store');
    assert.equal(m['epoch'], 1);
    const listed = ok(await s.call(9, 'rvf_list_stores', {}), 'list');
    assert.deepEqual((listed['stores'] as { store: string }[]).map((x) => x.store).sort(), ['m', 'p'], 'a refused first remember leaves no store behind');
    const all = ok(await s.call(8, 'rvf_query', { store: 'p', vector: [1, 0], k: 5 }), 'query');
    assert.deepEqual(all['results'], [
      { id: 1, distance: 0, metadata: { b: 1 } },
      { id: 2, distance: 2, metadata: { b: 2 } },
    ]);
  } finally {
    await s.close();
  }
});

test('__proto__ in the library: ingestBatch, query, deleteByFilter and rvf_knn refuse it with the same sentences; keys and values that only look like it are data', async () => {
  const dir = tempDir('rvf-inputs-');
  const db = await RvfDatabase.create(join(dir, 'p.rvf'), { dimensions: 2, metric: 'l2' });
  try {
    await db.ingestBatch([{ id: 1, vector: [1, 0], metadata: { b: 1 } }]);
    for (const json of ['{"__proto__": {"x": 1}, "b": 2}', '{"a": {"b": {"__proto__": null}}}', '{"list": [1, {"__proto__": 1}]}']) {
      const err = await expectRvfError(db.ingestBatch([{ id: 2, vector: [0, 1], metadata: JSON.parse(json) as Record<string, unknown> }]), 'EINVAL', json);
      assert.equal(`EINVAL: ${err.message}`, METADATA_PROTO, json);
    }
    for (const json of ['{"__proto__": {"x": 1}}', '{"$or": [{"b": 1}, {"__proto__": 1}]}', '{"b.__proto__.c": 1}', '{"b": {"__proto__": 1}}']) {
      const filter = JSON.parse(json) as Record<string, unknown>;
      for (const [label, p] of [
        ['query', db.query([1, 0], 5, { filter })],
        ['deleteByFilter', db.deleteByFilter(filter)],
        ['rvf_knn', runQuery(db, 'sql', 'SELECT id FROM rvf_knn(?, 5, ?)', [[1, 0], json], { write: false })],
      ] as const) {
        const err = await expectRvfError(p, 'EINVAL', `${label} ${json}`);
        assert.equal(`EINVAL: ${err.message}`, FILTER_PROTO, `${label} ${json}`);
      }
    }
    assert.equal((await db.status()).epoch, 1, 'nothing refused committed');

    // Only a key named exactly __proto__ is refused: these are ordinary data.
    const lookalikes = { __proto__x: 1, 'q"__proto__': 2, note: ',"__proto__":1', nested: { ___proto__: 3 } };
    await db.ingestBatch([{ id: 3, vector: [1, 1], metadata: lookalikes }]);
    const hits = await db.query([1, 1], 5, { filter: { __proto__x: 1, 'nested.___proto__': 3 } });
    assert.deepEqual(hits.map((h) => [h.id, h.metadata]), [[3, lookalikes]]);
  } finally {
    await db.close();
  }
});

// ------------------------------------------------------------ malformed JSON-RPC

test('malformed JSON-RPC lines each get one JSON-RPC error, with the id when it can be read and null otherwise, and the server keeps serving', async () => {
  const s = await RawStdioServer.start(tempDir('rvf-inputs-'));
  try {
    const from = s.messages.length;
    s.writeLine('{"jsonrpc":"2.0","id":11}'); // an id but no method
    s.writeLine('{"jsonrpc":"2.0","id":12,"method":"tools/list","params":5}'); // params not an object
    s.writeLine('{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}'); // an id that is an object
    s.writeLine('this is not json'); // not JSON
    s.writeLine('{"jsonrpc":"2.0","id":"s-14","method":"tools/list","params":[1]}'); // a string id, params an array
    s.writeLine('{"jsonrpc":"1.0","id":15,"method":"tools/list"}'); // not JSON-RPC 2.0
    s.writeLine('[{"jsonrpc":"2.0","id":16,"method":"tools/list"}]'); // a batch, which MCP does not take
    s.writeLine('{"jsonrpc":"2.0","id":17,"result":5}'); // a malformed response: its id is one of the server's, never answered
    s.writeLine(''); // a blank line is no message
    const listed = await s.call(18, 'rvf_list_stores', {});
    assert.equal(listed.isError, false, 'a valid request after them is answered');

    const errors = s.messages.slice(from).filter((m): m is RawMessage & { error: { code: number; message: string } } => m.error !== undefined);
    assert.deepEqual(
      errors.map((m) => [m.id, m.error.code]),
      [
        [11, -32600],
        [12, -32600],
        [null, -32600],
        [null, -32700],
        ['s-14', -32600],
        [15, -32600],
        [null, -32600],
      ],
      'one error per malformed line, in order, with the id when it is a string or a number',
    );
    for (const m of errors) assert.equal(m.jsonrpc, '2.0');
    assert.equal(s.responses(17).length, 0, 'a response is never answered');
    const [noMethod, badParams, objectId, notJson, , oldVersion, batch] = errors.map((m) => m.error.message);
    assertOneSentence(noMethod as string, [/"method"/, /send/], 'no method');
    assertOneSentence(badParams as string, [/"params"/, /object/], 'params not an object');
    assertOneSentence(objectId as string, [/"id"/, /a string or an integer/], 'object id');
    assertOneSentence(notJson as string, [/not JSON/, /one JSON-RPC 2\.0 message per line/], 'not JSON');
    assertOneSentence(oldVersion as string, [/"jsonrpc"/, /"2\.0"/], 'jsonrpc 1.0');
    assertOneSentence(batch as string, [/batch/, /one JSON-RPC 2\.0 message per line/], 'a batch');
    assert.doesNotMatch(s.stderr, /invalid_union/, 'stderr gets one line per refused message, not a zod dump');
  } finally {
    await s.close();
  }
});

// ------------------------------------------------------------ oversized requests

test('a request over 64 MiB is answered with its top-level id: first (the Python SDK order), last, and after nested "id" keys', async () => {
  const root = tempDir('rvf-inputs-');
  const s = await RawStdioServer.start(root, { write: true });
  try {
    ok(await s.call(1, 'rvf_create_store', { store: 'big', dimensions: 2, metric: 'l2' }), 'create');
    const blob = `{"id":1,"vector":[1,0],"metadata":{"blob":"${'x'.repeat(64 * 1024 * 1024)}"}}`;
    const small = '{"id":2,"vector":[0,1]},{"id":3,"vector":[1,1]}';
    const params = (entries: string): string => `{"name":"rvf_ingest","arguments":{"store":"big","entries":[${entries}]}}`;
    const cases: [string, number | string, string][] = [
      ['id first, nested ids at the end', 7, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":${params(`${blob},${small}`)}}`],
      ['id last, nested ids just before it', 'big-8', `{"method":"tools/call","params":${params(`${blob},${small}`)},"jsonrpc":"2.0","id":"big-8"}`],
      ['id last, nested ids at the start', 9, `{"jsonrpc":"2.0","method":"tools/call","params":${params(`${small},${blob}`)},"id":9}`],
    ];
    for (const [label, id, message] of cases) {
      assert.ok(message.length > 64 * 1024 * 1024, label);
      const before = s.messages.length;
      s.writeLine(message);
      const reply = await s.next((m) => m.error !== undefined, before, 300_000, `the error for ${label}`);
      assert.equal(reply.id, id, `${label}: the reply carries the top-level id`);
      assert.equal(reply.error?.code, -32600, label);
      assert.match(reply.error?.message ?? '', /over the 67108864-byte limit; send fewer entries per call/, label);
      assert.equal(s.responses(id).length, 1, `${label}: one reply`);
    }
    const st = ok(await s.call(2, 'rvf_status', { store: 'big' }), 'status');
    assert.equal(st['totalVectors'], 0, 'nothing of the refused requests was ingested');
    assert.equal(st['epoch'], 0);
  } finally {
    await s.close();
  }
});

test('the id of an oversized request: only the top-level member, from the first or the last bytes, never a nested or quoted "id"', () => {
  // As the line splitter keeps them: at most HEAD_BYTES from the start, TAIL_BYTES from the end.
  const find = (head: string, tail = ''): unknown => findRequestId(Buffer.from(head).subarray(0, HEAD_BYTES), Buffer.from(tail).subarray(-TAIL_BYTES));
  const filler = 'x'.repeat(HEAD_BYTES);
  // The head: the first top-level "id", after any number of nested ones.
  assert.equal(find('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"entries":[{"id":1}'), 7);
  assert.equal(find('{"method":"m","params":{"entries":[{"id":1},{"id":2}]},"id":"a\\"b","jsonrpc":"2.0"}'), 'a"b');
  assert.equal(find('{ "jsonrpc" : "2.0" , "id" : -12 , "params": {}}'), -12);
  assert.equal(find('{"method":"say \\"id\\": 5","params":{"id":3,"x":{"id":4}},"id":6}'), 6);
  assert.equal(find('{"\\u0069d":8,"method":"m"}'), 8, 'a key spelt with an escape is still "id"');
  // Not in the head: nested only, a value cut off, not a string or number, a batch.
  assert.equal(find(`{"method":"m","params":{"entries":[{"id":1,"v":"${filler}`), null);
  assert.equal(find('{"jsonrpc":"2.0","id":"cut off'), null);
  assert.equal(find('{"jsonrpc":"2.0","id":{"a":1},"method":"m"'), null);
  assert.equal(find('[{"jsonrpc":"2.0","id":1,"method":"m"}'), null);
  // The tail: the id only when it is the outermost object's last member.
  const head = `{"method":"m","params":{"entries":[{"id":1,"v":"${filler}`;
  assert.equal(find(head, `${filler}"},{"id":2},{"id":3}]},"jsonrpc":"2.0","id":9}\n`), 9);
  assert.equal(find(head, `${filler}"},{"id":2},{"id":3}]},"jsonrpc":"2.0","id":"big-8"}`), 'big-8');
  assert.equal(find(head, `${filler}"},{"id":2},{"id":3}]}}\n`), null, 'a nested last "id" is not the request\'s');
  assert.equal(find(head, `${filler}"},{"id":2}]},"note":"a,\\"id\\":5}"}`), null, 'an "id" inside a string is not a key');
});

// ------------------------------------------------------------ deep params

const nestedArrays = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
const nestedObjects = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

test('params nested 100k deep to rvlite_sql and rvlite_cypher are ELIMIT, not an internal error, and the server keeps serving', async () => {
  const s = await RawStdioServer.start(tempDir('rvf-inputs-'), { write: true });
  try {
    ok(await s.call(1, 'rvf_create_store', { store: 'd', dimensions: 2 }), 'create');
    const deepArray = nestedArrays(100_000);
    const deepObject = nestedObjects(100_000);
    const cases: [string, string, string][] = [
      ['SQL, an array param', 'rvlite_sql', `{"store":"d","query":"SELECT ?","params":[${deepArray}]}`],
      ['SQL, a named object param', 'rvlite_sql', `{"store":"d","query":"SELECT :x","params":{"x":${deepObject}}}`],
      ['Cypher, an array param', 'rvlite_cypher', `{"store":"d","query":"RETURN $x AS x","params":{"x":${deepArray}}}`],
      ['Cypher, an object param', 'rvlite_cypher', `{"store":"d","query":"RETURN $x AS x","params":{"x":${deepObject}}}`],
    ];
    let id = 10;
    for (const [label, tool, args] of cases) {
      assert.equal(refused(await s.callJson(id++, tool, args), label), PARAMS_DEPTH, label);
    }
    const after = ok(await s.call(2, 'rvlite_sql', { store: 'd', query: 'SELECT 1 AS one' }), 'a query after them');
    assert.deepEqual(after['rows'], [[1]]);
    assert.ok(processAlive(s.child.pid as number));
  } finally {
    await s.close();
  }
});

test('the params depth limit: 64 levels pass, 65 are ELIMIT (library, SQL and Cypher)', async () => {
  const db = await RvfDatabase.create(join(tempDir('rvf-inputs-'), 'd.rvf'), { dimensions: 2 });
  try {
    // The params array is level 1, so a value of 63 nested arrays makes 64 levels.
    const inner = JSON.parse(nestedArrays(63)) as unknown;
    const sql = await runQuery(db, 'sql', 'SELECT ? AS v', [inner], { write: false });
    assert.deepEqual(sql.rows, [[JSON.stringify(inner)]]);
    const cypher = await runQuery(db, 'cypher', 'RETURN size($x) AS n', { x: inner }, { write: false });
    assert.deepEqual(cypher.rows, [[1]]);
    const tooDeep = JSON.parse(nestedArrays(64)) as unknown;
    const e1 = await expectRvfError(runQuery(db, 'sql', 'SELECT ? AS v', [tooDeep], { write: false }), 'ELIMIT');
    const e2 = await expectRvfError(runQuery(db, 'cypher', 'RETURN $x AS x', { x: tooDeep }, { write: false }), 'ELIMIT');
    for (const e of [e1, e2]) assert.equal(`ELIMIT: ${e.message}`, PARAMS_DEPTH);
  } finally {
    await db.close();
  }
});

// ------------------------------------------------------------ NUL in query text

test('a NUL in SQL text is refused before anything runs: the INSERT does not run, nothing is dropped, no commit', async () => {
  const s = await RawStdioServer.start(tempDir('rvf-inputs-'), { write: true });
  try {
    ok(await s.call(1, 'rvf_create_store', { store: 'n', dimensions: 2 }), 'create');
    const created = ok(await s.call(2, 'rvlite_sql', { store: 'n', query: 'CREATE TABLE t (x)' }), 'create table');
    const epoch = created['epoch'];
    assert.equal(typeof epoch, 'number');
    const text = refused(await s.call(3, 'rvlite_sql', { store: 'n', query: 'INSERT INTO t VALUES (1)\u0000; DROP TABLE t' }), 'the issue statement');
    assert.equal(text, 'EINVAL: the SQL query holds a NUL character at position 25, which query text may not hold; remove it, and pass a value that holds NUL as a param.');
    const cypher = refused(await s.call(4, 'rvlite_cypher', { store: 'n', query: 'CREATE (:A)\u0000 CREATE (:B)' }), 'Cypher');
    assert.match(cypher, /^EINVAL: the Cypher query holds a NUL character at position 12, /);
    const sparql = refused(await s.call(5, 'rvlite_sparql', { store: 'n', query: 'INSERT DATA { <a:s> <a:p> "x" }\u0000' }), 'SPARQL');
    assert.match(sparql, /^EINVAL: the SPARQL query holds a NUL character at position 32, .*\\u0000/);

    const rows = ok(await s.call(6, 'rvlite_sql', { store: 'n', query: 'SELECT count(*) FROM t' }), 'count');
    assert.deepEqual(rows['rows'], [[0]], 'the INSERT did not run, and t is still there');
    const nodes = ok(await s.call(7, 'rvlite_cypher', { store: 'n', query: 'MATCH (n) RETURN count(n) AS n' }), 'nodes');
    assert.deepEqual(nodes['rows'], [[0]]);
    const st = ok(await s.call(8, 'rvf_status', { store: 'n' }), 'status');
    assert.equal(st['epoch'], epoch, 'nothing committed');
  } finally {
    await s.close();
  }
});

// ------------------------------------------------------------ zero cosine query

test('a zero query vector on a cosine store is refused, saying why: rvf_query, SQL rvf_knn and rvf_distance, Cypher rvf.knn', async () => {
  const s = await RawStdioServer.start(tempDir('rvf-inputs-'), { write: true });
  try {
    ok(await s.call(1, 'rvf_create_store', { store: 'c', dimensions: 3, metric: 'cosine' }), 'create');
    ok(await s.call(2, 'rvf_create_store', { store: 'e', dimensions: 3, metric: 'l2' }), 'create l2');
    const entries = [
      { id: 1, vector: [1, 0, 0] },
      { id: 2, vector: [0, 1, 0] },
      { id: 3, vector: [0, 0, 1] },
    ];
    ok(await s.call(3, 'rvf_ingest', { store: 'c', entries }), 'ingest');
    ok(await s.call(4, 'rvf_ingest', { store: 'e', entries }), 'ingest l2');

    const cases: [string, string, Record<string, unknown>, string][] = [
      ['rvf_query, all zeros', 'rvf_query', { store: 'c', vector: [0, 0, 0], k: 3 }, 'query'],
      ['rvf_query, -0', 'rvf_query', { store: 'c', vector: [-0, 0, 0], k: 3 }, 'query'],
      ['rvf_query, 1e-46 rounds to 0 in f32', 'rvf_query', { store: 'c', vector: [1e-46, 0, 0], k: 3 }, 'query'],
      ['rvf_query, 1e-30 squares to 0 in f32', 'rvf_query', { store: 'c', vector: [1e-30, 0, 0], k: 3 }, 'query'],
      ['SQL rvf_knn', 'rvlite_sql', { store: 'c', query: 'SELECT id FROM rvf_knn(?, 3)', params: [[0, 0, 0]] }, 'rvf_knn'],
      ['SQL rvf_distance', 'rvlite_sql', { store: 'c', query: 'SELECT rvf_distance(1, ?)', params: [[0, 0, 0]] }, 'rvf_distance'],
      ['Cypher rvf.knn', 'rvlite_cypher', { store: 'c', query: 'CALL rvf.knn($v, 3) YIELD id, distance RETURN id, distance', params: { v: [0, 0, 0] } }, 'rvf_knn'],
    ];
    let id = 10;
    for (const [label, tool, args, where] of cases) {
      assert.equal(refused(await s.call(id++, tool, args), label), zeroVector(where), label);
    }
    // Under l2 a zero vector is an ordinary point.
    const l2 = ok(await s.call(5, 'rvf_query', { store: 'e', vector: [0, 0, 0], k: 3 }), 'l2 query');
    assert.deepEqual((l2['results'] as { distance: number }[]).map((r) => r.distance), [1, 1, 1]);
  } finally {
    await s.close();
  }
});

test('a zero query vector on a cosine store: the library (RvfDatabase, RvfBytes) and the rvf CLI refuse it; ingesting a zero vector stays allowed', async () => {
  const dir = tempDir('rvf-inputs-');
  const path = join(dir, 'c.rvf');
  const db = await RvfDatabase.create(path, { dimensions: 3, metric: 'cosine' });
  try {
    // A stored zero vector is accepted (the choice recorded in the README): it is at distance 1 from every query.
    await db.ingestBatch([{ id: 1, vector: [1, 0, 0] }, { id: 2, vector: [0, 0, 0] }]);
    const hits = await db.query([1, 0, 0], 2);
    assert.deepEqual(
      hits.map((h) => [h.id, h.distance]),
      [
        [1, 0],
        [2, 1],
      ],
    );
    for (const q of [[0, 0, 0], new Float32Array(3), [1e-46, -1e-46, 0]]) {
      const err = await expectRvfError(db.query(q, 2), 'EINVAL', JSON.stringify(Array.from(q)));
      assert.equal(`EINVAL: ${err.message}`, zeroVector('query'));
    }
  } finally {
    await db.close();
  }
  const bytes = await RvfBytes.open(new Uint8Array(readFileSync(path)));
  assert.throws(() => bytes.query([0, 0, 0], 2), (err: Error) => `EINVAL: ${err.message}` === zeroVector('query'));

  const cli = join(PACKAGE_ROOT, 'dist/server/rvf-cli.js');
  const outcome = await promisify(execFile)(process.execPath, [cli, 'query', path, '--vector', '0,0,0']).then(
    () => assert.fail('rvf query with a zero vector succeeded'),
    (err: { code?: number; stderr?: string }) => err,
  );
  assert.equal(outcome.code, 1, 'a user error');
  assert.match(outcome.stderr ?? '', /a zero vector has no direction under cosine/);
});

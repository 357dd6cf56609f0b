/**
 * The MCP server under stress, over stdio through `npx rvf-mcp-server`, with
 * a real SDK Client:
 *
 * - bad inputs: each an isError result with one actionable sentence, and the
 *   server answers the next valid call; 1,000 concurrent calls all correct;
 * - progress notifications of compact, derive, export and ingest; cancelling a
 *   long compaction leaves the store unchanged, usable, with no temporary file;
 * - logging to stderr and as MCP notifications, and nothing but JSON-RPC on stdout
 *   (the server spawned here with child_process, every stdout line checked);
 * - shutdown on SIGTERM and on stdin closing while an ingest is in flight: the
 *   commit completes, the lease goes, exit code 0.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { JSONRPCMessageSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { RvfDatabase } from '../store/index.ts';
import { decodeLock } from '../store/lease.ts';
import {
  assertOneSentence,
  assertTopK,
  callErr,
  callOk,
  callRaw,
  nodeDescendant,
  processAlive,
  startRecorded,
  startServer,
  until,
  vectors,
  type Json,
  type Meta,
  type Result,
  type Row,
} from './helpers/mcp.ts';
import { RawStdioServer } from './helpers/raw-stdio.ts';
import { tempDir } from './helpers/temp.ts';

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Creates a store with the library (fast for big fixtures) and returns its rows. */
async function makeStore(path: string, count: number, dim: number, seed: number, withMetadata = false): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  // Exact scans only: these tests check exact answers and temp files, with no index build beside them.
  const db = await RvfDatabase.create(path, { dimensions: dim, metric: 'l2', index: 'none' });
  try {
    const vecs = vectors(count, dim, seed);
    for (let from = 0; from < count; from += 50_000) {
      const entries = vecs.slice(from, from + 50_000).map((vector, j) => {
        const id = from + j;
        const metadata: Meta = withMetadata ? { i: id } : null;
        rows.set(String(id), { vector, metadata });
        return { id, vector, metadata };
      });
      await db.ingestBatch(entries);
    }
  } finally {
    await db.close();
  }
  return rows;
}

// ------------------------------------------------------------ 6. bad inputs

test('bad inputs: each is an isError result with one actionable sentence, and the server keeps answering', async (t) => {
  const root = tempDir('rvf-mcp-safe-');
  const s = await startServer(root, { write: true });
  const c = s.client;
  try {
    await callOk(c, 'rvf_create_store', { store: 'notes', dimensions: 4, metric: 'l2' });
    const model = new Map<string, Row>();
    const vecs = vectors(30, 4, 3);
    await callOk(c, 'rvf_ingest', { store: 'notes', entries: vecs.map((vector, id) => ({ id, vector, metadata: { tag: id % 2 ? 'odd' : 'even' } })) });
    vecs.forEach((vector, id) => model.set(String(id), { vector, metadata: { tag: id % 2 ? 'odd' : 'even' } }));
    const q = [0.1, -0.2, 0.3, 0.05];
    const validCall = async (after: string): Promise<void> => {
      const r = await callOk(c, 'rvf_query', { store: 'notes', vector: q, k: 5 });
      assertTopK(r['results'] as Result[], model, q, 5, 'l2', undefined, `the valid query after ${after}`);
    };
    const deep = (n: number): Json => (n === 0 ? { tag: 'odd' } : { $and: [deep(n - 1)] });
    const entry = (over: Json): Json => ({ id: 1000, vector: [1, 2, 3, 4], ...over });
    const ingest = (over: Json): Json => ({ store: 'notes', entries: [entry(over)] });
    const query = (over: Json): Json => ({ store: 'notes', vector: q, k: 3, ...over });
    const BOTH_DIMS = [/\b3\b/, /\b4\b/];
    const FILTER_HELP = /filter/i;
    const FILTER_FIX = /\$eq|\$gt|\$in|operator|use |syntax|README/;
    const ID_HELP = /2\^63-1|2\^53/;
    const cases: [string, string, Json, (string | RegExp)[]][] = [
      ['k 10001', 'rvf_query', query({ k: 10001 }), ['10000', /\bk\b/]],
      ['k 1e9', 'rvf_query', query({ k: 1e9 }), ['10000', /\bk\b/]],
      ['k 0', 'rvf_query', query({ k: 0 }), ['10000', /\bk\b/]],
      ['k 2.5', 'rvf_query', query({ k: 2.5 }), [/\bk\b/, /integer/]],
      ['k "5"', 'rvf_query', query({ k: '5' }), [/\bk\b/]],
      ['query of 3 dimensions', 'rvf_query', query({ vector: [1, 2, 3] }), ['EDIM', ...BOTH_DIMS]],
      ['ingest of 3 dimensions', 'rvf_ingest', ingest({ vector: [1, 2, 3] }), ['EDIM', ...BOTH_DIMS]],
      ['ingest of 5 dimensions', 'rvf_ingest', ingest({ vector: [1, 2, 3, 4, 5] }), ['EDIM', /\b5\b/, /\b4\b/]],
      ['empty vector', 'rvf_query', query({ vector: [] }), [/vector/, /empty/]],
      ['query "NaN"', 'rvf_query', query({ vector: [1, 'NaN', 3, 4] }), [/finite/]],
      ['query "Infinity"', 'rvf_query', query({ vector: [1, 'Infinity', 3, 4] }), [/finite/]],
      ['query null', 'rvf_query', query({ vector: [1, null, 3, 4] }), [/finite/]],
      ['ingest "NaN"', 'rvf_ingest', ingest({ vector: ['NaN', 2, 3, 4] }), [/finite/]],
      ['ingest null', 'rvf_ingest', ingest({ vector: [1, 2, null, 4] }), [/finite/]],
      ['query 1e39', 'rvf_query', query({ vector: [1, 1e39, 3, 4] }), [/finite|f32|range/]],
      ['query -1e39', 'rvf_query', query({ vector: [-1e39, 1, 3, 4] }), [/finite|f32|range/]],
      ['query 3.5e38', 'rvf_query', query({ vector: [3.5e38, 1, 3, 4] }), [/finite|f32|range/]],
      ['ingest 1e39', 'rvf_ingest', ingest({ vector: [1, 2, 3, 1e39] }), [/finite|f32|range/]],
      ['ingest 1e308', 'rvf_ingest', ingest({ vector: [1e308, 2, 3, 4] }), [/finite|f32|range/]],
      ['unknown store near a name', 'rvf_query', { store: 'note', vector: q, k: 1 }, ['ENOENT', 'notes']],
      ['unknown store, other case', 'rvf_status', { store: 'Notes' }, ['ENOENT', 'notes']],
      ['unknown store, far', 'rvf_status', { store: 'zzzzzz' }, ['ENOENT', 'notes']],
      ['name ../x', 'rvf_query', { store: '../x', vector: q, k: 1 }, [/store name/]],
      ['name /tmp/x', 'rvf_status', { store: '/tmp/x' }, [/store name/]],
      ['empty name', 'rvf_status', { store: '' }, [/store name/]],
      ['name of 65 characters', 'rvf_status', { store: 'n'.repeat(65) }, [/store name/]],
      ['name with NUL', 'rvf_status', { store: 'notes\u0000' }, [/store name/]],
      ['store not a string', 'rvf_status', { store: 42 }, [/store/]],
      ['batch of 100001 entries', 'rvf_ingest', { store: 'notes', entries: Array.from({ length: 100_001 }, (_, i) => ({ id: i, vector: [1, 0, 0, 0] })) }, ['100000', /split/]],
      ['delete of 100001 ids', 'rvf_delete', { store: 'notes', ids: Array.from({ length: 100_001 }, (_, i) => i) }, ['100000', /split/]],
      ['no entries', 'rvf_ingest', { store: 'notes', entries: [] }, [/at least one/]],
      ['entries not an array', 'rvf_ingest', { store: 'notes', entries: { id: 1, vector: [1, 2, 3, 4] } }, [/entries/]],
      ['metadata an array', 'rvf_ingest', ingest({ metadata: [1, 2] }), [/metadata/, /object/]],
      ['metadata a string', 'rvf_ingest', ingest({ metadata: 'hello' }), [/metadata/, /object/]],
      ['metadata a number', 'rvf_ingest', ingest({ metadata: 7 }), [/metadata/, /object/]],
      ['metadata over 64 KiB', 'rvf_ingest', ingest({ metadata: { blob: 'x'.repeat(70_000) } }), ['ELIMIT', /metadata/, /65536|64 KiB/]],
      ['id -1', 'rvf_ingest', ingest({ id: -1 }), [/id/, ID_HELP]],
      ['id 1.5', 'rvf_ingest', ingest({ id: 1.5 }), [/id/, ID_HELP]],
      ['id 2^53 as a number', 'rvf_ingest', ingest({ id: 2 ** 53 }), [/id/, ID_HELP]],
      ['id "abc"', 'rvf_ingest', ingest({ id: 'abc' }), [/id/, ID_HELP]],
      ['id 2^63 as a string', 'rvf_ingest', ingest({ id: '9223372036854775808' }), [/id/, ID_HELP]],
      ['id "-5"', 'rvf_delete', { store: 'notes', ids: ['-5'] }, [/id/, ID_HELP]],
      ['filter a string', 'rvf_query', query({ filter: 'tag = odd' }), [FILTER_HELP, FILTER_FIX]],
      ['filter unknown top-level operator', 'rvf_query', query({ filter: { $foo: 1 } }), [FILTER_HELP, FILTER_FIX]],
      ['filter unknown field operator', 'rvf_query', query({ filter: { tag: { $regex: 'o.*' } } }), [FILTER_HELP, FILTER_FIX]],
      ['filter $gt of an object', 'rvf_query', query({ filter: { tag: { $gt: {} } } }), [FILTER_HELP, FILTER_FIX]],
      ['filter $in not an array', 'rvf_query', query({ filter: { tag: { $in: 'odd' } } }), [FILTER_HELP, FILTER_FIX]],
      ['filter field holds an array', 'rvf_query', query({ filter: { tag: ['odd', 'even'] } }), [FILTER_HELP, FILTER_FIX]],
      ['filter $and empty', 'rvf_query', query({ filter: { $and: [] } }), [/\$and/]],
      ['filter nested 40 deep', 'rvf_query', query({ filter: deep(40) }), [FILTER_HELP, /16|deep|depth/]],
      ['filter $in of 10001 values', 'rvf_query', query({ filter: { tag: { $in: Array.from({ length: 10_001 }, (_, i) => i) } } }), [/\$in/, '10000']],
      ['delete_filter empty', 'rvf_delete_filter', { store: 'notes', filter: {} }, ['EINVAL', /at least one condition/, /\brvf_delete\b/]],
      ['delete_filter $and of an empty filter', 'rvf_delete_filter', { store: 'notes', filter: { $and: [{}] } }, ['EINVAL', /\brvf_delete\b/]],
      ['create: dimensions 0', 'rvf_create_store', { store: 'd0', dimensions: 0 }, ['65535', /dimensions/]],
      ['create: dimensions 65536', 'rvf_create_store', { store: 'd1', dimensions: 65536 }, ['65535', /dimensions/]],
      ['create: metric hamming', 'rvf_create_store', { store: 'd2', dimensions: 2, metric: 'hamming' }, [/cosine/, /l2/, /dotproduct/]],
      ['create: exists', 'rvf_create_store', { store: 'notes', dimensions: 4 }, ['EEXIST', 'notes']],
      ['export onto itself', 'rvf_export', { store: 'notes', target: 'notes' }, [/^E[A-Z]+: /]],
      ['derive onto itself', 'rvf_derive', { store: 'notes', child: 'notes' }, [/^E[A-Z]+: /]],
      ['unknown tool', 'rvf_drop_everything', { store: 'notes' }, [/rvf_drop_everything/]],
    ];
    // Every bad input is refused, changes nothing, and the next valid call is answered right.
    const answers: { label: string; hints: (string | RegExp)[]; text: string }[] = [];
    const refusals: string[] = [];
    for (const [label, tool, args, hints] of cases) {
      const r = await callRaw(c, tool, args);
      const text = r.content.map((x) => (x.type === 'text' ? x.text : '')).join('\n');
      if (r.isError !== true) refusals.push(`${label}: not an error: ${text.slice(0, 200)}`);
      else if (r.structuredContent !== undefined) refusals.push(`${label}: an error with structuredContent`);
      else if (/EINTERNAL/.test(text)) refusals.push(`${label}: an internal error: ${text}`);
      answers.push({ label, hints, text });
      await validCall(label);
    }
    await t.test('every bad input is an isError result, and the server keeps answering', async () => {
      assert.deepEqual(refusals, []);
      const st = await callOk(c, 'rvf_status', { store: 'notes' });
      assert.equal(st['totalVectors'], 30, 'no bad call changed the store');
      assert.equal(st['epoch'], 1, 'no bad call committed');
      assert.deepEqual(readdirSync(root).filter((f) => /^d[012]\.rvf/.test(f)), [], 'no refused create left a file');
    });
    await t.test('every refusal is one actionable sentence', () => {
      const failures: string[] = [];
      for (const { label, hints, text } of answers) {
        try {
          assertOneSentence(text, hints, label);
        } catch (err) {
          failures.push((err as Error).message.split('\n')[0] as string);
        }
      }
      assert.deepEqual(failures, [], `some bad inputs were not answered with one actionable sentence:\n${failures.join('\n')}`);
    });
    await t.test('an empty rvf_delete_filter names the tool rvf_delete, not the library call delete()', () => {
      const empty = answers.filter((a) => a.label.startsWith('delete_filter '));
      assert.equal(empty.length, 2);
      for (const { label, text } of empty) {
        assert.equal(text, 'EINVAL: filter has no condition, so it would delete every vector; give at least one condition, or delete by id with rvf_delete.', label);
        assert.doesNotMatch(text, /delete\(\)|deleteByFilter/, label);
      }
    });
  } finally {
    await s.close();
  }
});

test('stdio takes a 12 MiB request, refuses one over the 64 MiB limit with a protocol error naming it, and keeps running', async () => {
  const root = tempDir('rvf-mcp-safe-');
  const s = await startServer(root, { write: true });
  const c = s.client;
  try {
    await callOk(c, 'rvf_create_store', { store: 'big', dimensions: 64, index: 'none' });
    // About 12 MiB of JSON (above the SDK transport's own 10 MiB default): accepted whole.
    const entries = vectors(20_000, 64, 71).map((vector, id) => ({ id, vector, metadata: { note: 'n'.repeat(100) } }));
    assert.ok(JSON.stringify(entries).length > 11 * 1024 * 1024);
    const ok = await callOk(c, 'rvf_ingest', { store: 'big', entries });
    assert.equal(ok['accepted'], 20_000);

    // About 70 MiB: over the limit. The request is read to its end and answered with a JSON-RPC error.
    const huge = vectors(9_000, 64, 72).map((vector, id) => ({ id: 100_000 + id, vector, metadata: { note: 'n'.repeat(7_000) } }));
    const size = JSON.stringify(huge).length;
    assert.ok(size > 64 * 1024 * 1024, `request of ${size} bytes`);
    const refused = await callRaw(c, 'rvf_ingest', { store: 'big', entries: huge }).then(
      () => assert.fail('an oversized request was answered as a tool result'),
      (err: unknown) => err as Error,
    );
    assert.match(refused.message, /over the 67108864-byte limit; send fewer entries per call/);
    const st = await callOk(c, 'rvf_status', { store: 'big' });
    assert.equal(st['totalVectors'], 20_000, 'nothing of the refused request was committed');
    assert.equal(st['epoch'], 1);
    assert.match(s.stderr(), /refused a \d+-byte request over the 67108864-byte limit/);
  } finally {
    await s.close();
  }
});

test('1,000 concurrent tool calls (queries and ingests on two stores) all answer correctly', async () => {
  const root = tempDir('rvf-mcp-safe-');
  const DIM = 16;
  const fixed = await makeStore(join(root, 'fixed.rvf'), 300, DIM, 21, true);
  const s = await startServer(root, { write: true });
  const c = s.client;
  try {
    await callOk(c, 'rvf_create_store', { store: 'busy', dimensions: DIM, metric: 'l2' });
    const busy = new Map<string, Row>();
    const vecs = vectors(1000, DIM, 22);
    const qs = vectors(1000, DIM, 23);
    const calls: Promise<() => void>[] = [];
    let ingests = 0;
    const epochs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const q = qs[i] as number[];
      if (i % 2 === 0) {
        // Exact answers from the store nobody writes to.
        calls.push(callOk(c, 'rvf_query', { store: 'fixed', vector: q, k: 7, ...(i % 6 === 0 ? { filter: { i: { $lt: 150 } } } : {}) }).then((r) => () => {
          const keep = i % 6 === 0 ? (m: Meta) => (m?.['i'] as number) < 150 : undefined;
          assertTopK(r['results'] as Result[], fixed, q, 7, 'l2', keep, `call ${i}`);
        }));
      } else if (i % 4 === 1) {
        ingests++;
        const entries = [{ id: i, vector: vecs[i], metadata: { i } }, { id: i + 1_000_000, vector: vecs[(i + 500) % 1000], metadata: null }];
        busy.set(String(i), { vector: vecs[i] as number[], metadata: { i } });
        busy.set(String(i + 1_000_000), { vector: vecs[(i + 500) % 1000] as number[], metadata: null });
        calls.push(callOk(c, 'rvf_ingest', { store: 'busy', entries }).then((r) => () => {
          assert.equal(r['accepted'], 2);
          assert.equal(r['replaced'], 0);
          epochs.push(r['epoch'] as number);
        }));
      } else {
        // Queries racing the ingests: every answer must be a valid top k of some committed state.
        calls.push(callOk(c, 'rvf_query', { store: 'busy', vector: q, k: 5 }).then((r) => () => {
          const results = r['results'] as Result[];
          assert.ok(results.length <= 5);
          let last = -Infinity;
          for (const x of results) {
            const row = busy.get(String(x.id));
            assert.ok(row, `call ${i}: unknown id ${x.id}`);
            assert.deepEqual(x.metadata, row.metadata);
            assert.ok(x.distance >= last - 1e-6, `call ${i}: not sorted`);
            last = x.distance;
          }
        }));
      }
    }
    const settled = await Promise.allSettled(calls);
    const rejected = settled.filter((x) => x.status === 'rejected');
    assert.deepEqual(rejected.map((x) => String((x as PromiseRejectedResult).reason).slice(0, 200)), [], 'every call answered');
    for (const x of settled) (x as PromiseFulfilledResult<() => void>).value();
    assert.deepEqual(epochs.sort((a, b) => a - b), Array.from({ length: ingests }, (_, i) => i + 1), 'one commit per ingest, no epoch twice');
    const st = await callOk(c, 'rvf_status', { store: 'busy' });
    assert.equal(st['totalVectors'], busy.size);
    const q = qs[0] as number[];
    const final = await callOk(c, 'rvf_query', { store: 'busy', vector: q, k: 600 });
    assertTopK(final['results'] as Result[], busy, q, 600, 'l2', undefined, 'after the storm');
  } finally {
    await s.close();
  }
});

// ------------------------------------------------------------ 7. progress and cancellation

test('progress: compact, derive, export and ingest send progress notifications for a progressToken', async () => {
  const root = tempDir('rvf-mcp-safe-');
  const COUNT = 20_000;
  await makeStore(join(root, 'p.rvf'), COUNT, 128, 31);
  // The recording transport shows the wire: the SDK client runs notification handlers a
  // microtask late, so a last notification that shares a chunk with the response never
  // reaches `onprogress`; what the server sent, and in which order, is on stdout.
  const { client: c, transport } = await startRecorded(root, { write: true });
  const checkProgress = (seen: Progress[], total: number, label: string, atLeast: number): void => {
    const wire = transport.progressOfLastResponse();
    const events = wire.progress;
    assert.ok(seen.length >= 1, `${label}: onprogress was never called`);
    assert.ok(events.length >= atLeast, `${label}: ${events.length} progress notifications, expected at least ${atLeast}`);
    assert.ok(wire.beforeResponse, `${label}: a progress notification came after the response`);
    let last = -1;
    for (const e of events) {
      assert.equal(e.total, total, `${label}: total`);
      assert.ok(e.progress >= last, `${label}: progress goes backwards`);
      assert.ok(e.progress <= total);
      last = e.progress;
    }
    assert.equal(last, total, `${label}: the last notification reports completion (got ${JSON.stringify(events)})`);
  };
  try {
    const compactEvents: Progress[] = [];
    await callOk(c, 'rvf_compact', { store: 'p' }, { onprogress: (p) => compactEvents.push(p) });
    checkProgress(compactEvents, COUNT, 'compact', 2);
    const deriveEvents: Progress[] = [];
    const d = await callOk(c, 'rvf_derive', { store: 'p', child: 'p2' }, { onprogress: (p) => deriveEvents.push(p) });
    assert.equal(d['totalVectors'], COUNT);
    checkProgress(deriveEvents, COUNT, 'derive', 1);
    const exportEvents: Progress[] = [];
    await callOk(c, 'rvf_export', { store: 'p', target: 'p3' }, { onprogress: (p) => exportEvents.push(p) });
    checkProgress(exportEvents, COUNT, 'export', 1);
    const ingestEvents: Progress[] = [];
    const entries = vectors(500, 128, 32).map((vector, i) => ({ id: COUNT + i, vector }));
    await callOk(c, 'rvf_ingest', { store: 'p', entries }, { onprogress: (p) => ingestEvents.push(p) });
    checkProgress(ingestEvents, 500, 'ingest', 2);
    // Without a progressToken there are no progress notifications.
    const progressCount = (): number => transport.messages.filter((m) => 'method' in m && m.method === 'notifications/progress').length;
    const before = progressCount();
    await callOk(c, 'rvf_compact', { store: 'p' });
    assert.equal(progressCount(), before, 'no progress notification without a progressToken');
  } finally {
    await transport.close();
  }
});

test('cancellation: aborting a long compaction leaves the store unchanged and usable, with no temporary file', async () => {
  const root = tempDir('rvf-mcp-safe-');
  const file = join(root, 'big.rvf');
  // Big enough (75 MiB of rows, about 20 chunks) that the cancellation reaches the server while
  // the compaction is still writing, even on a loaded machine.
  const rows = await makeStore(file, 150_000, 128, 41);
  const s = await startServer(root, { write: true });
  const c = s.client;
  try {
    // Dead rows, so a finished compaction would visibly change the file.
    await callOk(c, 'rvf_delete', { store: 'big', ids: Array.from({ length: 1000 }, (_, i) => i * 7) });
    for (let i = 0; i < 1000; i++) rows.delete(String(i * 7));
    const before = await callOk(c, 'rvf_status', { store: 'big' });
    const hash = sha256(file);
    const controller = new AbortController();
    const seen: Progress[] = [];
    const call = callRaw(c, 'rvf_compact', { store: 'big' }, {
      signal: controller.signal,
      onprogress: (p) => {
        seen.push(p);
        if (p.progress < (p.total ?? 0)) controller.abort(new Error('the test cancels'));
      },
    });
    await assert.rejects(call, /the test cancels|abort/i);
    assert.ok(seen.length >= 1 && (seen[0] as Progress).progress < ((seen[0] as Progress).total ?? 0), 'cancelled after the first progress notification, mid-way');
    // Calls on a store run one at a time: this one waits for the cancelled compaction to end.
    const after = await callOk(c, 'rvf_status', { store: 'big' });
    assert.equal(after['epoch'], before['epoch'], 'the cancelled compaction committed nothing');
    assert.equal(after['fileSizeBytes'], before['fileSizeBytes']);
    assert.equal(after['deadSpaceRatio'], before['deadSpaceRatio']);
    assert.equal(sha256(file), hash, 'the store file is byte for byte unchanged');
    assert.deepEqual(tempFiles(root), [], 'no temporary file left');
    const q = vectors(1, 128, 42)[0] as number[];
    const r = await callOk(c, 'rvf_query', { store: 'big', vector: q, k: 10 });
    assertTopK(r['results'] as Result[], rows, q, 10, 'l2', undefined, 'after the cancelled compaction');
    // A cancelled derive leaves no child behind.
    const derive = new AbortController();
    const deriveCall = callRaw(c, 'rvf_derive', { store: 'big', child: 'big-child' }, {
      signal: derive.signal,
      onprogress: (p) => {
        if (p.progress < (p.total ?? 0)) derive.abort(new Error('the test cancels the derive'));
      },
    });
    await assert.rejects(deriveCall, /the test cancels|abort/i);
    await callOk(c, 'rvf_status', { store: 'big' }); // waits for the derive to end
    assert.equal(existsSync(join(root, 'big-child.rvf')), false, 'no child store after a cancelled derive');
    assert.deepEqual(tempFiles(root), [], 'no temporary file left by the derive');
    // Usable: a compaction that is not cancelled goes through.
    const done = await callOk(c, 'rvf_compact', { store: 'big' });
    assert.equal(done['epoch'], (before['epoch'] as number) + 1);
    assert.ok(done['bytesReclaimed'] > 0);
    const r2 = await callOk(c, 'rvf_query', { store: 'big', vector: q, k: 10 });
    assert.deepEqual(r2, r);
    assert.deepEqual(tempFiles(root), []);
  } finally {
    await s.close();
  }
});

// ------------------------------------------------------------ 8. logging

test('logging: warnings go to stderr and as MCP notifications; stdout carries only JSON-RPC', async () => {
  const root = tempDir('rvf-mcp-safe-');
  const file = join(root, 'torn.rvf');
  await makeStore(file, 50, 8, 51, true);
  appendFileSync(file, Buffer.alloc(100, 0xab)); // an uncommitted tail the writer cuts off, with a warning
  const { client, transport, logs } = await startRecorded(root, { write: true });
  try {
    await client.setLoggingLevel('info');
    await callOk(client, 'rvf_open_store', { store: 'torn' });
    await until(() => logs.some((l) => String(l.data).includes('cut 100 bytes')), 5000, 'the torn-tail warning over MCP');
    const warning = logs.find((l) => String(l.data).includes('cut 100 bytes'));
    assert.equal(warning?.level, 'warning');
    assert.equal(warning?.logger, 'rvf-mcp-server');
    assert.match(String(warning?.data), /off store torn \(/, 'the warning names the store');
    assert.ok(!String(warning?.data).includes(realpathSync(root)), 'the warning names no absolute path');
    await until(() => transport.stderr.includes('cut 100 bytes'), 5000, 'the warning on stderr');
    assert.match(transport.stderr, /rvf-mcp-server info: .*on stdio, read-write/);
    // A session of every kind of traffic: results, errors, progress.
    await callOk(client, 'rvf_ingest', { store: 'torn', entries: [{ id: 999, vector: [1, 2, 3, 4, 5, 6, 7, 8] }] }, { onprogress: () => undefined });
    await callErr(client, 'rvf_query', { store: 'torn', vector: [1, 2], k: 1 });
    await callErr(client, 'rvf_query', { store: 'nope', vector: [1, 2], k: 1 });
    await callOk(client, 'rvf_compact', { store: 'torn' }, { onprogress: () => undefined });
    await client.listResources();
    await client.listPrompts();
    // Garbage on stdin must not make the server print anything but JSON-RPC, nor stop it.
    transport.child.stdin.write('this is not JSON\n{"jsonrpc":"2.0","method":\n');
    const st = await callOk(client, 'rvf_status', { store: 'torn' });
    assert.equal(st['totalVectors'], 51);
    // A higher level silences warnings over MCP, not on stderr.
    await client.setLoggingLevel('error');
    await callOk(client, 'rvf_close_store', { store: 'torn' });
    appendFileSync(file, Buffer.alloc(77, 0xcd));
    const before = logs.length;
    await callOk(client, 'rvf_open_store', { store: 'torn' });
    await until(() => transport.stderr.includes('cut 77 bytes'), 5000, 'the second warning on stderr');
    await callOk(client, 'rvf_list_stores', {});
    assert.equal(logs.slice(before).filter((l) => l.level === 'warning').length, 0, 'no warning notification below the level the client set');
  } finally {
    transport.endStdin();
  }
  const exit = await transport.exited;
  assert.equal(exit.code, 0);
  assert.match(transport.stderr, /shutting down \(stdin closed\)/);
  assert.ok(transport.stdoutLines.length > 10);
  // Each garbage line is answered with a parse error whose id is null (JSON-RPC 2.0,
  // section 5), a reply the SDK's message schema leaves out, so it is checked apart.
  const isNullIdError = (m: unknown): boolean =>
    JSON.stringify(Object.keys(m as object)) === '["jsonrpc","id","error"]' && (m as { id: unknown }).id === null && (m as { error: { code: unknown } }).error.code === -32700;
  const parsed = transport.stdoutLines.map((line): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      return line;
    }
  });
  assert.equal(parsed.filter(isNullIdError).length, 2, 'the two garbage lines are answered with parse errors');
  const bad = transport.stdoutLines.filter((_line, i) => !isNullIdError(parsed[i]) && !JSONRPCMessageSchema.safeParse(parsed[i]).success);
  assert.deepEqual(bad, [], 'every other stdout line is a JSON-RPC message');
  assert.equal(transport.unterminated, '', 'no partial line on stdout');
});

// ------------------------------------------------------------ 9. shutdown

for (const how of ['SIGTERM', 'stdin closing'] as const) {
  test(`shutdown on ${how} while an ingest is in flight: the commit completes, the lease goes, exit code 0`, { timeout: 60_000 }, async () => {
    const root = tempDir('rvf-mcp-safe-');
    // Under the stdio transport's 10 MiB message limit (see the test of that limit).
    const DIM = 48;
    const N = 15_000;
    const { client, transport } = await startRecorded(root, { write: true });
    const lock = join(root, 'sd.rvf.lock');
    const vecs = vectors(N + 100, DIM, 61);
    let serverPid = 0;
    let outcome: Json | Error | undefined;
    try {
      await callOk(client, 'rvf_create_store', { store: 'sd', dimensions: DIM, metric: 'l2' });
      await callOk(client, 'rvf_ingest', { store: 'sd', entries: vecs.slice(0, 100).map((vector, id) => ({ id, vector })) });
      serverPid = nodeDescendant(transport.child.pid as number);
      assert.equal(decodeLock(readFileSync(lock))?.pid, serverPid);
      const entries = vecs.slice(100).map((vector, j) => ({ id: 100 + j, vector, metadata: { j, note: `entry number ${j}` } }));
      let triggered = false;
      outcome = await callOk(client, 'rvf_ingest', { store: 'sd', entries }, {
        onprogress: (p) => {
          // The first notification is sent when the server starts the ingest.
          if (triggered || p.progress !== 0) return;
          triggered = true;
          if (how === 'SIGTERM') process.kill(serverPid, 'SIGTERM');
          else transport.endStdin();
        },
      }).catch((err: unknown) => err as Error);
      assert.ok(triggered, 'the ingest reported its start');
    } finally {
      // On SIGTERM, stdin stays open until the process is gone: the signal alone must stop it.
      const exitedAlone = await Promise.race([transport.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), how === 'SIGTERM' ? 10_000 : 0))]);
      if (!exitedAlone) transport.endStdin();
      if (how === 'SIGTERM') assert.ok(exitedAlone, `the server did not exit within 10 s of SIGTERM (stderr: ${transport.stderr})`);
    }
    const exit = await transport.exited;
    assert.equal(exit.code, 0, `exit code (stderr: ${transport.stderr})`);
    assert.ok(!processAlive(serverPid), 'the server process is gone');
    assert.match(transport.stderr, how === 'SIGTERM' ? /shutting down \(SIGTERM\)/ : /shutting down \(stdin closed\)/);
    assert.equal(existsSync(lock), false, 'the lease was released');
    // The in-flight commit is there after a restart.
    const again = await startServer(root, { write: true });
    try {
      const st = await callOk(again.client, 'rvf_status', { store: 'sd' });
      assert.equal(st['totalVectors'], N + 100, `the in-flight ingest was committed (the call ended with ${outcome instanceof Error ? outcome.message : JSON.stringify(outcome)})`);
      assert.equal(st['epoch'], 2);
      if (outcome && !(outcome instanceof Error)) assert.equal(outcome['epoch'], 2);
      const last = vecs[N + 99] as number[];
      const r = await callOk(again.client, 'rvf_query', { store: 'sd', vector: last, k: 1 });
      assert.equal((r['results'] as Result[])[0]?.id, N + 99);
      assert.deepEqual((r['results'] as Result[])[0]?.metadata, { j: N - 1, note: `entry number ${N - 1}` });
    } finally {
      await again.close();
    }
  });
}

test('shutdown: a client that closed its end of stderr first still gets a server that serves, then exits when stdin closes', { timeout: 60_000 }, async () => {
  // A client that goes away may close the server's stderr before its stdin. Each log line then
  // fails with EPIPE; that error must not come back as an uncaught exception whose own log line
  // fails the same way: that loop once kept an orphaned server at full CPU for good.
  const root = tempDir('rvf-mcp-safe-');
  const server = await RawStdioServer.start(root, { write: true });
  const pid = server.child.pid as number;
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  try {
    server.child.stderr.destroy();
    // a line the server refuses is logged to stderr, now closed
    server.writeLine('this is not JSON');
    const created = await server.call('c1', 'rvf_create_store', { store: 'quiet', dimensions: 2 }, 10_000);
    assert.equal(created.isError, false, created.text);
    const listed = await server.call('c2', 'rvf_list_stores', {}, 10_000);
    assert.equal(listed.isError, false, listed.text);
    server.child.stdin.end();
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    assert.equal(code, 0, 'the server exits 0 within 15 s of stdin closing');
  } finally {
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  assert.equal(existsSync(join(root, 'quiet.rvf.lock')), false, 'the lease was released');
});

test('shutdown: SIGTERM during a stream of ingests: every acknowledged batch is there after a restart, no batch in part', { timeout: 60_000 }, async () => {
  const root = tempDir('rvf-mcp-safe-');
  const DIM = 8;
  const BATCH = 500;
  const { client, transport } = await startRecorded(root, { write: true });
  await callOk(client, 'rvf_create_store', { store: 'stream', dimensions: DIM, metric: 'l2' });
  const serverPid = nodeDescendant(transport.child.pid as number);
  const acked: number[] = [];
  const writer = (async () => {
    for (let b = 0; ; b++) {
      const entries = vectors(BATCH, DIM, 1000 + b).map((vector, j) => ({ id: b * BATCH + j, vector }));
      try {
        await callOk(client, 'rvf_ingest', { store: 'stream', entries });
      } catch {
        return; // the server went away
      }
      acked.push(b);
    }
  })();
  await until(() => acked.length >= 5, 20_000, 'a few acknowledged batches');
  process.kill(serverPid, 'SIGTERM');
  await writer;
  const exit = await transport.exited;
  assert.equal(exit.code, 0);
  assert.equal(existsSync(join(root, 'stream.rvf.lock')), false, 'the lease was released');
  const again = await startServer(root, { write: true });
  try {
    const st = await callOk(again.client, 'rvf_status', { store: 'stream' });
    const total = st['totalVectors'] as number;
    assert.equal(total % BATCH, 0, `${total} vectors: a batch was committed in part`);
    assert.ok(total / BATCH >= acked.length, `${acked.length} batches were acknowledged but only ${total / BATCH} are in the store`);
    assert.ok(total / BATCH <= acked.length + 1, 'at most the batch in flight beyond the acknowledged ones');
    assert.equal(st['epoch'], total / BATCH);
  } finally {
    await again.close();
  }
});

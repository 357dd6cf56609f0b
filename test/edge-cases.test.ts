/**
 * Edge cases of the library API: upsert semantics, id forms and ranges,
 * invalid vectors, k and batch limits, metadata limits, read-only and closed
 * handles, create/open errors, no-op deletes, empty stores. Every refused
 * write is checked to have written nothing (epoch, status, file bytes).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIMITS, RvfDatabase, type Entry } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors } from './helpers/random.ts';
import { assertTopK, expectedIdJson, fingerprint, Model, rankAll, rejectsWith, toBig } from './fixtures/api-model.ts';

const DIM = 8;

async function seeded(path: string, count = 50, seed = 1): Promise<{ db: RvfDatabase; model: Model }> {
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  const model = new Model();
  const entries = randomVectors(count, DIM, seed).map((vector, i) => ({ id: i + 1, vector, metadata: { i, tag: `t${i % 3}` } }));
  if (entries.length > 0) await db.ingestBatch(entries);
  entries.forEach((e) => model.upsert(e.id, e.vector, e.metadata));
  return { db, model };
}

/** Asserts the whole store equals the model: every live id once, right vector (via distances) and metadata. */
async function assertStore(db: RvfDatabase, model: Model, label: string, seed = 500): Promise<void> {
  assert.equal((await db.status()).totalVectors, model.size, `${label}: totalVectors`);
  for (const q of randomVectors(2, DIM, seed)) {
    assertTopK(await db.query(q, LIMITS.maxK), rankAll('l2', q, model.rows.values()), LIMITS.maxK, label, model);
  }
}

/** Runs `fn`, which must be refused, and checks that nothing was written. */
async function refusedWithoutWrite(db: RvfDatabase, path: string, fn: () => Promise<unknown>, codes: Parameters<typeof rejectsWith>[1], label: string): Promise<void> {
  const before = await db.status();
  const print = fingerprint(path);
  await rejectsWith(fn(), codes, label);
  const after = await db.status();
  assert.equal(after.epoch, before.epoch, `${label}: epoch unchanged`);
  assert.equal(after.totalVectors, before.totalVectors, `${label}: totalVectors unchanged`);
  assert.equal(after.fileSizeBytes, before.fileSizeBytes, `${label}: fileSizeBytes unchanged`);
  assert.deepEqual(fingerprint(path), print, `${label}: file bytes unchanged`);
}

// ------------------------------------------------------------------ upsert

test('upsert: re-ingesting an id replaces its vector and metadata (one copy, new distance), survives reopen', async () => {
  const dir = tempDir();
  const path = join(dir, 'upsert.rvf');
  const { db, model } = await seeded(path);
  const oldVector = model.rows.get(7n)?.vector as Float32Array;
  const newVector = randomVectors(1, DIM, 77)[0] as Float32Array;
  const res = await db.ingestBatch([{ id: 7, vector: newVector, metadata: { replaced: true } }]);
  assert.equal(res.accepted, 1);
  assert.equal(res.replaced, 1);
  model.upsert(7, newVector, { replaced: true });
  assert.equal((await db.status()).totalVectors, 50, 'replacing does not add a vector');

  const atNew = await db.query(newVector, LIMITS.maxK);
  assert.equal(atNew.filter((r) => r.id === 7).length, 1, 'exactly one copy of id 7');
  assert.equal(atNew[0]?.id, 7);
  assert.equal(atNew[0]?.distance, 0);
  assert.deepEqual(atNew[0]?.metadata, { replaced: true });
  // From the old vector, id 7 is now at the distance of the new one.
  const atOld = await db.query(oldVector, LIMITS.maxK);
  const seven = atOld.find((r) => r.id === 7);
  const exact = rankAll('l2', oldVector, [model.rows.get(7n)!])[0]!;
  assert.ok(seven && Math.abs(seven.distance - exact.distance) <= exact.tol, `id 7 from its old vector: ${seven?.distance} vs ${exact.distance}`);
  assert.ok(exact.distance > 0.01);
  // The old metadata is gone from filters too.
  assert.deepEqual(await db.query(oldVector, 10, { filter: { i: 6 } }), []);

  // Replacing with no metadata clears it (replace, not merge).
  await db.ingestBatch([{ id: 8, vector: model.rows.get(8n)!.vector }]);
  model.upsert(8, model.rows.get(8n)!.vector, null);
  // Re-ingesting a deleted id is an insert, not a replacement.
  await db.delete([9]);
  model.delete(9);
  const back = await db.ingestBatch([{ id: 9, vector: newVector.map((x) => -x), metadata: { back: 1 } }]);
  assert.equal(back.replaced, 0);
  model.upsert(9, newVector.map((x) => -x), { back: 1 });
  await assertStore(db, model, 'after upserts');
  await db.close();

  for (const open of [RvfDatabase.open, RvfDatabase.openReadonly]) {
    const again = await open(path);
    await assertStore(again, model, `reopened (${open.name})`);
    await again.close();
  }
});

test('the same id twice in one batch: the last entry wins, in any id form', async () => {
  const dir = tempDir();
  const path = join(dir, 'dup.rvf');
  const { db, model } = await seeded(path, 10);
  const [a, b, c] = randomVectors(3, DIM, 88) as [Float32Array, Float32Array, Float32Array];
  await db.ingestBatch([
    { id: 100, vector: a, metadata: { v: 'a' } },
    { id: 101, vector: b, metadata: { v: 'b' } },
    { id: '100', vector: b, metadata: { v: 'b-for-100' } },
    { id: 3, vector: a, metadata: { v: 'a-for-3' } },
    { id: 100n, vector: c, metadata: { v: 'c' } },
  ]);
  model.upsert(101, b, { v: 'b' });
  model.upsert(3, a, { v: 'a-for-3' });
  model.upsert(100, c, { v: 'c' });
  assert.equal((await db.status()).totalVectors, 12);
  const hits = await db.query(c, LIMITS.maxK);
  assert.equal(hits.filter((r) => r.id === 100).length, 1);
  assert.deepEqual(hits[0], { id: 100, distance: 0, metadata: { v: 'c' } });
  await assertStore(db, model, 'after duplicate ids');
  await db.close();
  const again = await RvfDatabase.openReadonly(path);
  await assertStore(again, model, 'duplicate ids, reopened');
  await again.close();
});

// ------------------------------------------------------------------ vectors

test('invalid vectors (NaN, Infinity, f32 overflow, non-numbers, wrong dimension) are refused and nothing is written', async () => {
  const dir = tempDir();
  const path = join(dir, 'vectors.rvf');
  const { db, model } = await seeded(path, 20);
  const good = (): number[] => Array.from({ length: DIM }, (_, i) => i / 10);
  const withAt = (value: unknown, at = 3): unknown[] => {
    const v: unknown[] = good();
    v[at] = value;
    return v;
  };
  const sparse = good();
  delete sparse[5];
  const cases: [string, unknown, 'EINVAL' | 'EDIM'][] = [
    ['NaN', withAt(NaN), 'EINVAL'],
    ['Infinity', withAt(Infinity), 'EINVAL'],
    ['-Infinity', withAt(-Infinity, 0), 'EINVAL'],
    ['1e39 (finite double, Infinity as f32)', withAt(1e39), 'EINVAL'],
    ['-1e39', withAt(-1e39, DIM - 1), 'EINVAL'],
    ['3.5e38 (just past the f32 maximum)', withAt(3.5e38), 'EINVAL'],
    ['NaN in a Float64Array', Float64Array.from(withAt(NaN) as number[]), 'EINVAL'],
    ['1e39 in a Float64Array', Float64Array.from(withAt(1e39) as number[]), 'EINVAL'],
    ['a numeric string element', withAt('1'), 'EINVAL'],
    ['a null element', withAt(null), 'EINVAL'],
    ['a boolean element', withAt(true), 'EINVAL'],
    ['a hole', sparse, 'EINVAL'],
    ['one dimension short', good().slice(1), 'EDIM'],
    ['one dimension long', [...good(), 0], 'EDIM'],
    ['empty', [], 'EDIM'],
    ['not an array (number)', 5, 'EINVAL'],
    ['not an array (string of 8 chars)', '12345678', 'EINVAL'],
    ['null', null, 'EINVAL'],
    ['missing', undefined, 'EINVAL'],
  ];
  const failures: string[] = [];
  for (const [name, vector, code] of cases) {
    // A good entry first: the whole batch must be refused, not just the bad entry.
    const batch = [
      { id: 9000, vector: good(), metadata: { good: true } },
      { id: 9001, vector, metadata: { bad: name } },
    ] as unknown as Entry[];
    try {
      await refusedWithoutWrite(db, path, () => db.ingestBatch(batch), code, `ingest with ${name}`);
    } catch (e) {
      failures.push((e as Error).message.split('\n')[0] as string);
    }
    if (vector !== undefined && typeof vector !== 'number' && typeof vector !== 'string' && vector !== null) {
      try {
        await rejectsWith(db.query(vector as ArrayLike<number>, 5), code, `query with ${name}`);
      } catch (e) {
        failures.push((e as Error).message.split('\n')[0] as string);
      }
    }
  }
  await assertStore(db, model, 'after refused vectors');
  await db.close();
  assert.deepEqual(failures, [], `vectors not refused as documented:\n${failures.join('\n')}`);
});

test('a bigint vector element is refused with RvfError EINVAL (not a raw TypeError), by ingest and query', async () => {
  const dir = tempDir();
  const path = join(dir, 'bigint-element.rvf');
  const { db, model } = await seeded(path, 5);
  const vector = [0, 1, 2, 1n, 4, 5, 6, 7] as unknown as number[];
  await refusedWithoutWrite(db, path, () => db.ingestBatch([{ id: 9001, vector }]), 'EINVAL', 'ingest with a bigint element');
  await rejectsWith(db.query(vector, 5), 'EINVAL', 'query with a bigint element');
  await assertStore(db, model, 'after a refused bigint element');
  await db.close();
});

test('vectors with finite f32 elements whose squares overflow f32 do not yield NaN distances', async () => {
  // 1e20 is a finite f32, but 1e20^2 is not: the engine computes in f32. Either
  // such vectors are refused up front, or distances must still be numbers
  // (Infinity is fine) so that results are ordered and JSON-safe.
  const dir = tempDir();
  const problems: string[] = [];
  for (const metric of ['l2', 'cosine', 'dotproduct'] as const) {
    const db = await RvfDatabase.create(join(dir, `${metric}.rvf`), { dimensions: 2, metric });
    await db.ingestBatch([{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }]);
    const huge = [1e20, -1e20];
    for (const [what, run] of [
      ['ingest', async () => { await db.ingestBatch([{ id: 3, vector: huge }]); return db.query([1, 0], 10); }],
      ['query', () => db.query([1e20, 1e20], 10)],
    ] as const) {
      try {
        const res = await run();
        const bad = res.filter((r) => Number.isNaN(r.distance));
        if (bad.length > 0) problems.push(`${metric} ${what}: accepted, then returned NaN distances for ids ${bad.map((r) => r.id).join(', ')}`);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EINVAL') problems.push(`${metric} ${what}: failed with ${String(err)}`);
      }
    }
    await db.close();
  }
  assert.deepEqual(problems, []);
});

// ------------------------------------------------------------------ ids

test('ids: 0, 2^53-1, 2^53+1 as string, 2^63-1 as string and bigint are accepted and returned in the documented form', async () => {
  const dir = tempDir();
  const path = join(dir, 'ids.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  const model = new Model();
  const vs = randomVectors(8, DIM, 5);
  const max = (1n << 63n) - 1n;
  const ids: [unknown, bigint][] = [
    [0, 0n],
    [Number.MAX_SAFE_INTEGER, 2n ** 53n - 1n],
    ['9007199254740992', 2n ** 53n],
    ['9007199254740993', 2n ** 53n + 1n],
    [max.toString(), max],
    [42n, 42n],
    ['17', 17n],
  ];
  await db.ingestBatch(ids.map(([id], i) => ({ id: id as Entry['id'], vector: vs[i] as Float32Array, metadata: { i } })));
  ids.forEach(([, big], i) => model.upsert(big, vs[i] as Float32Array, { i }));
  for (const [input, big] of ids) {
    const i = ids.findIndex(([x]) => x === input);
    const hit = (await db.query(vs[i] as Float32Array, 1))[0];
    assert.deepEqual(hit, { id: expectedIdJson(big), distance: 0, metadata: { i } }, `id ${String(input)}`);
  }
  assert.equal(typeof expectedIdJson(2n ** 53n - 1n), 'number');
  assert.equal(expectedIdJson(2n ** 53n), '9007199254740992');
  // 2^63-1 again as a bigint: the same id, replaced.
  const r = await db.ingestBatch([{ id: max, vector: vs[7] as Float32Array, metadata: { as: 'bigint' } }]);
  assert.equal(r.replaced, 1);
  model.upsert(max, vs[7] as Float32Array, { as: 'bigint' });
  const top = (await db.query(vs[7] as Float32Array, 1))[0];
  assert.deepEqual(top, { id: '9223372036854775807', distance: 0, metadata: { as: 'bigint' } });
  await assertStore(db, model, 'big ids');
  // Every form deletes the same id.
  const del = await db.delete([2n ** 53n + 1n, '0', Number.MAX_SAFE_INTEGER]);
  assert.equal(del.deleted, 3);
  [2n ** 53n + 1n, 0n, 2n ** 53n - 1n].forEach((id) => model.delete(id));
  await assertStore(db, model, 'big ids after delete');
  await db.close();
  const again = await RvfDatabase.openReadonly(path);
  await assertStore(again, model, 'big ids reopened');
  const res = await again.query(vs[7] as Float32Array, 1);
  assert.equal(res[0]?.id, '9223372036854775807');
  assert.equal(toBig(res[0]!.id), max);
  await again.close();
});

test('ids out of range or not canonical integers are refused (EINVAL) by ingest and delete, and nothing is written', async () => {
  const dir = tempDir();
  const path = join(dir, 'bad-ids.rvf');
  const { db, model } = await seeded(path, 10);
  const bad: [string, unknown][] = [
    ['-1', -1],
    ['-1n', -1n],
    ['2^63 as string', '9223372036854775808'],
    ['2^63 as bigint', 1n << 63n],
    ['2^64 as string', '18446744073709551616'],
    ['1.5', 1.5],
    ['"abc"', 'abc'],
    ['"01"', '01'],
    ['""', ''],
    ['" 1"', ' 1'],
    ['"1e3"', '1e3'],
    ['"+1"', '+1'],
    ['"-0"', '-0'],
    ['"0x10"', '0x10'],
    ['"1.0"', '1.0'],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['2^53 as a number (not safe)', 2 ** 53],
    ['null', null],
    ['undefined', undefined],
    ['an object', { id: 1 }],
  ];
  for (const [name, id] of bad) {
    const batch = [{ id: 500, vector: new Float32Array(DIM) }, { id, vector: new Float32Array(DIM).fill(1) }] as unknown as Entry[];
    await refusedWithoutWrite(db, path, () => db.ingestBatch(batch), 'EINVAL', `ingest id ${name}`);
    await refusedWithoutWrite(db, path, () => db.delete([1, id as Entry['id']]), 'EINVAL', `delete id ${name}`);
  }
  await assertStore(db, model, 'after refused ids');
  await db.close();
});

// ------------------------------------------------------------------ limits

test('k: 0, 10001, non-integers and non-finite numbers give ELIMIT; k = 10000 works; k above the live count returns every live vector', async () => {
  const dir = tempDir();
  const { db, model } = await seeded(join(dir, 'k.rvf'), 30);
  const q = randomVectors(1, DIM, 3)[0] as Float32Array;
  for (const k of [0, LIMITS.maxK + 1, 1.5, -1, NaN, Infinity, 2 ** 53]) {
    await rejectsWith(db.query(q, k), 'ELIMIT', `k = ${k}`);
    await rejectsWith(db.query(q, k, { filter: { tag: 't1' } }), 'ELIMIT', `k = ${k} with a filter`);
  }
  const ranked = rankAll('l2', q, model.rows.values());
  assertTopK(await db.query(q, LIMITS.maxK), ranked, LIMITS.maxK, 'k = maxK', model);
  assertTopK(await db.query(q, 31), ranked, 31, 'k = live + 1', model);
  assertTopK(await db.query(q, 30), ranked, 30, 'k = live', model);
  assertTopK(await db.query(q, 1), ranked, 1, 'k = 1', model);
  await db.delete([1, 2, 3]);
  [1, 2, 3].forEach((id) => model.delete(id));
  assertTopK(await db.query(q, 100), rankAll('l2', q, model.rows.values()), 100, 'k above live after deletes', model);
  await db.close();
});

test('a batch over maxBatchEntries gives ELIMIT and writes nothing; an empty batch writes nothing', async () => {
  const dir = tempDir();
  const path = join(dir, 'batch.rvf');
  const { db, model } = await seeded(path, 5);
  const vector = new Float32Array(DIM).fill(0.5);
  const tooMany = Array.from({ length: LIMITS.maxBatchEntries + 1 }, (_, i) => ({ id: 1000 + i, vector }));
  await refusedWithoutWrite(db, path, () => db.ingestBatch(tooMany), 'ELIMIT', `batch of ${tooMany.length}`);
  const before = await db.status();
  const print = fingerprint(path);
  const empty = await db.ingestBatch([]);
  assert.deepEqual(empty, { accepted: 0, replaced: 0, epoch: before.epoch });
  assert.deepEqual(fingerprint(path), print);
  await refusedWithoutWrite(db, path, () => db.ingestBatch('nope' as unknown as Entry[]), 'EINVAL', 'entries not an array');
  await refusedWithoutWrite(db, path, () => db.ingestBatch([null] as unknown as Entry[]), 'EINVAL', 'a null entry');
  await assertStore(db, model, 'after refused batches');
  await db.close();
});

test('metadata: over 64 KiB (in UTF-8 bytes) gives ELIMIT, exactly 64 KiB works; arrays and non-JSON values give EINVAL', async () => {
  const dir = tempDir();
  const path = join(dir, 'meta.rvf');
  const { db, model } = await seeded(path, 5);
  const vector = new Float32Array(DIM).fill(0.25);
  const ofBytes = (n: number, ch = 'x'): Record<string, unknown> => {
    const overhead = Buffer.byteLength(JSON.stringify({ s: '' }));
    const per = Buffer.byteLength(ch);
    const m = { s: ch.repeat(Math.floor((n - overhead) / per)) };
    return m;
  };
  const exact = ofBytes(LIMITS.maxMetadataBytes);
  assert.equal(Buffer.byteLength(JSON.stringify(exact)), LIMITS.maxMetadataBytes);
  await db.ingestBatch([{ id: 70, vector, metadata: exact }]);
  model.upsert(70, vector, exact);

  const over = ofBytes(LIMITS.maxMetadataBytes + 1);
  assert.equal(Buffer.byteLength(JSON.stringify(over)), LIMITS.maxMetadataBytes + 1);
  // 'é' is 2 bytes in UTF-8: fewer than 65,536 characters, more than 65,536 bytes.
  const wide = { s: 'é'.repeat(LIMITS.maxMetadataBytes / 2) };
  assert.ok(JSON.stringify(wide).length < LIMITS.maxMetadataBytes);
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const cases: [string, unknown, 'ELIMIT' | 'EINVAL'][] = [
    ['one byte over the limit', over, 'ELIMIT'],
    ['over the limit in UTF-8 bytes only', wide, 'ELIMIT'],
    ['an array', [1, 2, 3], 'EINVAL'],
    ['an empty array', [], 'EINVAL'],
    ['a string', 'meta', 'EINVAL'],
    ['a number', 5, 'EINVAL'],
    ['a circular object', circular, 'EINVAL'],
    ['a bigint member', { n: 1n }, 'EINVAL'],
  ];
  for (const [name, metadata, code] of cases) {
    const batch = [{ id: 71, vector, metadata: { ok: true } }, { id: 72, vector, metadata }] as unknown as Entry[];
    await refusedWithoutWrite(db, path, () => db.ingestBatch(batch), code, `metadata ${name}`);
  }
  await assertStore(db, model, 'after refused metadata');
  await db.close();
  const again = await RvfDatabase.openReadonly(path);
  await assertStore(again, model, 'reopened with 64 KiB metadata');
  await again.close();
});

// ------------------------------------------------------------------ handles

test('writes on a read-only handle give EREADONLY and change nothing; reads work', async () => {
  const dir = tempDir();
  const path = join(dir, 'ro.rvf');
  const { db, model } = await seeded(path, 20);
  await db.close();
  const ro = await RvfDatabase.openReadonly(path);
  assert.equal(ro.readOnly, true);
  assert.equal((await ro.status()).readOnly, true);
  const writes: [string, () => Promise<unknown>][] = [
    ['ingestBatch', () => ro.ingestBatch([{ id: 1000, vector: new Float32Array(DIM) }])],
    ['ingestBatch (empty)', () => ro.ingestBatch([])],
    ['delete', () => ro.delete([1])],
    ['delete (unknown id)', () => ro.delete([123456])],
    ['deleteByFilter', () => ro.deleteByFilter({ tag: 't1' })],
    ['compact', () => ro.compact()],
  ];
  for (const [name, fn] of writes) await refusedWithoutWrite(ro, path, fn, 'EREADONLY', `read-only ${name}`);
  assert.equal(existsSync(`${path}.lock`), false, 'a reader takes no lease');
  await assertStore(ro, model, 'read-only handle');
  await ro.close();
});

test('every call after close gives ECLOSED (writer and reader); close twice is fine; the lease is released', async () => {
  const dir = tempDir();
  const path = join(dir, 'closed.rvf');
  const { db } = await seeded(path, 5);
  assert.ok(existsSync(`${path}.lock`));
  await db.close();
  await db.close();
  assert.equal(existsSync(`${path}.lock`), false, 'close releases the lease');
  const ro = await RvfDatabase.openReadonly(path);
  await ro.close();
  for (const h of [db, ro]) {
    const calls: [string, () => Promise<unknown>][] = [
      ['query', () => h.query(new Float32Array(DIM), 1)],
      ['query with filter', () => h.query(new Float32Array(DIM), 1, { filter: { tag: 't1' } })],
      ['ingestBatch', () => h.ingestBatch([{ id: 1, vector: new Float32Array(DIM) }])],
      ['delete', () => h.delete([1])],
      ['deleteByFilter', () => h.deleteByFilter({ tag: 't1' })],
      ['status', () => h.status()],
      ['segments', () => h.segments()],
      ['compact', () => h.compact()],
      ['derive', () => h.derive(join(dir, `child-${h.readOnly}.rvf`))],
      ['export', () => h.export(join(dir, `export-${h.readOnly}.rvf`))],
    ];
    for (const [name, fn] of calls) await rejectsWith(fn(), 'ECLOSED', `${h.readOnly ? 'reader' : 'writer'} ${name} after close`);
  }
  assert.equal(existsSync(join(dir, 'child-false.rvf')), false);
  // Calls queued before close still run; calls after it do not.
  const w = await RvfDatabase.open(path);
  const pending = w.query(new Float32Array(DIM), 1);
  const closing = w.close();
  assert.equal((await pending).length, 1);
  await closing;
  await rejectsWith(w.status(), 'ECLOSED', 'status after an overlapping close');
});

test('create over an existing file gives EEXIST and leaves it untouched; open of a missing file gives ENOENT and creates nothing', async () => {
  const dir = tempDir();
  const path = join(dir, 'exists.rvf');
  const { db, model } = await seeded(path, 5);
  await db.close();
  const print = fingerprint(path);
  await rejectsWith(RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' }), 'EEXIST', 'create over an existing file');
  await rejectsWith(RvfDatabase.create(path, { dimensions: 3, metric: 'cosine' }), 'EEXIST', 'create over an existing file, other shape');
  assert.deepEqual(fingerprint(path), print);
  assert.equal(existsSync(`${path}.lock`), false, 'a refused create leaves no lease behind');
  const again = await RvfDatabase.open(path);
  await assertStore(again, model, 'existing store after refused creates');
  await again.close();

  const missing = join(dir, 'missing.rvf');
  await rejectsWith(RvfDatabase.open(missing), 'ENOENT', 'open missing');
  await rejectsWith(RvfDatabase.openReadonly(missing), 'ENOENT', 'openReadonly missing');
  for (const p of [missing, `${missing}.lock`, `${missing}.sqlite`]) assert.equal(existsSync(p), false, `${p} must not exist`);
});

test('deleting unknown or already deleted ids deletes 0 and commits nothing', async () => {
  const dir = tempDir();
  const path = join(dir, 'del.rvf');
  const { db, model } = await seeded(path, 10);
  await refusedWithoutWriteOk(db, path, () => db.delete([1000, '2000', 3000n]), 'unknown ids');
  await refusedWithoutWriteOk(db, path, () => db.delete([]), 'no ids');
  const first = await db.delete([4, 4, '4']);
  assert.equal(first.deleted, 1, 'one id given three times is one deletion');
  model.delete(4);
  await refusedWithoutWriteOk(db, path, () => db.delete([4]), 'an already deleted id');
  await refusedWithoutWriteOk(db, path, () => db.deleteByFilter({ tag: 'none' }), 'a filter matching nothing');
  const mixed = await db.delete([5, 99999, 6]);
  assert.equal(mixed.deleted, 2);
  model.delete(5);
  model.delete(6);
  await assertStore(db, model, 'after deletes');
  await db.close();
});

/** A call that must succeed with deleted 0, leaving epoch and file as they were. */
async function refusedWithoutWriteOk(db: RvfDatabase, path: string, fn: () => Promise<{ deleted: number; epoch: number }>, label: string): Promise<void> {
  const before = await db.status();
  const print = fingerprint(path);
  const res = await fn();
  assert.deepEqual(res, { deleted: 0, epoch: before.epoch }, label);
  assert.equal((await db.status()).epoch, before.epoch, `${label}: epoch`);
  assert.deepEqual(fingerprint(path), print, `${label}: file unchanged`);
}

test('an empty store answers []; after deleting everything it answers [] again', async () => {
  const dir = tempDir();
  const path = join(dir, 'empty.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'cosine' });
  const q = randomVectors(1, DIM, 4)[0] as Float32Array;
  assert.deepEqual(await db.query(q, 10), []);
  assert.deepEqual(await db.query(q, LIMITS.maxK, { filter: { a: 1 } }), []);
  const s = await db.status();
  assert.equal(s.totalVectors, 0);
  assert.equal(s.epoch, 0);
  assert.equal(s.dimensions, DIM);
  await db.ingestBatch([{ id: 1, vector: q }, { id: 2, vector: q.map((x) => -x) }]);
  assert.equal((await db.query(q, 10)).length, 2);
  await db.delete([1, 2]);
  assert.deepEqual(await db.query(q, 10), []);
  await db.close();
  const ro = await RvfDatabase.openReadonly(path);
  assert.deepEqual(await ro.query(q, 10), []);
  assert.equal((await ro.status()).totalVectors, 0);
  await ro.close();
});

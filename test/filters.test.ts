/**
 * Metadata filters: for many filters over ~1500 vectors with varied metadata,
 * query(v, k, {filter}) must equal the exact top-k among the vectors the
 * documented semantics select — computed here by brute force with an
 * independent JS implementation of those semantics (fixtures/api-model.ts
 * `matches`). deleteByFilter must remove exactly those ids. Invalid filters
 * must be refused with EINVAL/ELIMIT and change nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIMITS, RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors, rng } from './helpers/random.ts';
import { assertTopK, fingerprint, matchingRows, Model, rankAll, rejectsWith } from './fixtures/api-model.ts';

const DIM = 16;
const COUNT = 1500;
const STRINGS = ['alpha', 'beta', 'Beta', 'gamma', '', 'a b', 'ümlaut', '日本', '😀', 'zeta', '10', '9'];

/** Varied metadata: numbers (ints, full-precision floats, big ints), strings, booleans, nulls, missing fields, nested objects, arrays. */
function metadataFor(i: number, next: () => number): Record<string, unknown> | null {
  if (i % 10 === 0) return null;
  const m: Record<string, unknown> = { cat: `c${i % 7}`, score: next() };
  if (i % 17 === 0) m.n = null;
  else if (i % 13 !== 0) m.n = i % 4 === 0 ? Math.round(next() * 100 - 50) : next() * 100 - 50;
  if (i % 11 !== 0) m.s = STRINGS[i % STRINGS.length];
  if (i % 5 === 1) m.b = i % 3 === 0;
  else if (i % 5 === 2) m.b = null;
  const mixed = [1, '1', true, null, { x: 1 }, [1], 0, undefined][i % 8];
  if (mixed !== undefined) m.mixed = mixed;
  if (i % 4 === 0) m.nested = { level: i % 4 === 0 ? (i / 4) % 4 : 0, tag: `x${i % 6}`, deep: { v: i % 9 } };
  else if (i % 4 === 1) m.nested = { level: i % 3, tag: `x${i % 6}` };
  else if (i % 4 === 2) m.nested = 'flat';
  if (i % 19 === 0) m['x.y'] = 1; // a literal dotted key: "x.y" in a filter means nested x -> y, "x\\.y" this key
  if (i % 41 === 0) m['back\\slash'] = i % 3; // a key holding a backslash: named "back\\\\slash" in a filter
  if (i % 43 === 0) m['p\\q.r'] = { 's.t': i % 2 }; // a backslash and dots in keys at two levels
  if (i % 47 === 0) m['u\\u0041'] = 1; // must not be read as the JSON escape of "uA"
  if (i % 53 === 0) m.uA = 2;
  if (i % 23 === 0) m.x = { y: 2 };
  if (i % 9 === 0) m.tags = ['a', 'b'];
  if (i % 31 === 0) m.big = Number.MAX_SAFE_INTEGER - i;
  if (i % 29 === 0) m['with space'] = 1;
  if (i % 37 === 0) m['ключ'] = 'v';
  if (i === 101 || i === 702 || i === 1403) m.rare = 'needle';
  if (i % 300 === 7) m.code = `R${(i - 7) / 300}`; // R0..R4
  if (i >= 1300 && i < 1400) m.zone = 'far';
  return m;
}

function buildData(seed: number): { entries: { id: number; vector: Float32Array; metadata: Record<string, unknown> | null }[] } {
  const next = rng(seed);
  const vectors = randomVectors(COUNT, DIM, seed + 1);
  const entries = vectors.map((vector, i) => {
    // The "far" zone sits away from every query, so the filtered search must go past the near rows.
    if (i >= 1300 && i < 1400) vector = vector.map((x) => x + 6);
    return { id: i * 3 + 1, vector, metadata: metadataFor(i, next) };
  });
  return { entries };
}

async function buildStore(path: string, seed: number): Promise<{ db: RvfDatabase; model: Model }> {
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  const model = new Model();
  const { entries } = buildData(seed);
  for (let i = 0; i < entries.length; i += 500) {
    const batch = entries.slice(i, i + 500);
    await db.ingestBatch(batch);
    batch.forEach((e) => model.upsert(e.id, e.vector, e.metadata));
  }
  return { db, model };
}

interface Case {
  name: string;
  filter: Record<string, unknown>;
  /** Sanity bounds on how many vectors the model says match (keeps the cases meaningful). */
  count?: [number, number];
}

function cases(model: Model): Case[] {
  const meta = (i: number) => model.rows.get(BigInt(i * 3 + 1))?.metadata as Record<string, unknown>;
  const someScore = meta(123).score as number;
  const someFloatN = meta(125).n as number;
  const big = meta(31 * 7).big as number;
  return [
    { name: 'equality on a string', filter: { cat: 'c3' }, count: [150, 250] },
    { name: '$eq on a string', filter: { cat: { $eq: 'c3' } }, count: [150, 250] },
    { name: '$ne on a string (matches missing)', filter: { cat: { $ne: 'c3' } }, count: [1200, 1400] },
    { name: 'equality on an integer', filter: { n: 5 } },
    { name: 'equality on a full-precision float', filter: { n: someFloatN }, count: [1, 1] },
    { name: 'equality on a float (score)', filter: { score: someScore }, count: [1, 1] },
    { name: 'equality on a big integer', filter: { big }, count: [1, 1] },
    { name: '$gt number', filter: { n: { $gt: 10 } }, count: [300, 900] },
    { name: '$gte number at an existing value', filter: { n: { $gte: someFloatN } } },
    { name: '$gt number at an existing value', filter: { n: { $gt: someFloatN } } },
    { name: '$lt number', filter: { n: { $lt: -10 } } },
    { name: '$lte number', filter: { n: { $lte: -10 } } },
    { name: 'range on one field', filter: { n: { $gt: -5, $lt: 5 } } },
    { name: 'float range', filter: { score: { $gt: 0.25, $lte: 0.5 } }, count: [200, 500] },
    { name: 'null matches null or missing', filter: { n: null }, count: [200, 400] },
    { name: '$eq null', filter: { b: { $eq: null } } },
    { name: '$ne null (present and not null)', filter: { b: { $ne: null } } },
    { name: '$exists true (explicit null counts as present)', filter: { n: { $exists: true } } },
    { name: '$exists false', filter: { n: { $exists: false } } },
    { name: '$gt string', filter: { s: { $gt: 'beta' } } },
    { name: '$lt string (binary order: upper case first)', filter: { s: { $lt: 'Beta' } } },
    { name: '$gte empty string: every string', filter: { s: { $gte: '' } } },
    { name: '$lte string of digits', filter: { s: { $lte: '9' } } },
    { name: '$gt over non-ASCII (UTF-8 byte order)', filter: { s: { $gt: '日本' } } },
    { name: '$lt over non-ASCII', filter: { s: { $lt: 'ümlaut' } } },
    { name: '$in strings', filter: { s: { $in: ['alpha', '😀', ''] } } },
    { name: '$nin strings (matches missing)', filter: { s: { $nin: ['alpha', 'beta'] } } },
    { name: '$in numbers and a numeric string', filter: { mixed: { $in: [1, 0] } } },
    { name: '$in with null', filter: { b: { $in: [null, true] } } },
    { name: '$nin [null] (present and not null)', filter: { n: { $nin: [null] } } },
    { name: '$in empty list matches nothing', filter: { cat: { $in: [] } }, count: [0, 0] },
    { name: '$nin empty list matches everything', filter: { cat: { $nin: [] } }, count: [COUNT, COUNT] },
    { name: 'type-strict: number 1', filter: { mixed: 1 } },
    { name: 'type-strict: string "1"', filter: { mixed: '1' } },
    { name: 'type-strict: true', filter: { mixed: true } },
    { name: 'type-strict: null', filter: { mixed: null } },
    { name: 'type-strict: $ne 1', filter: { mixed: { $ne: 1 } } },
    { name: 'type-strict: $gt 0 excludes booleans', filter: { mixed: { $gt: 0 } } },
    { name: 'type-strict: $gte "" only strings', filter: { mixed: { $gte: '' } } },
    { name: 'type-strict: $exists on objects and arrays too', filter: { mixed: { $exists: true } } },
    { name: 'boolean true', filter: { b: true } },
    { name: 'boolean false', filter: { b: false } },
    { name: 'boolean $ne true', filter: { b: { $ne: true } } },
    { name: 'dotted field', filter: { 'nested.level': 2 } },
    { name: 'two-level dotted field', filter: { 'nested.deep.v': { $gte: 5 } } },
    { name: 'dotted field $in', filter: { 'nested.tag': { $in: ['x1', 'x3'] } } },
    { name: 'dotted field through a string is missing', filter: { 'nested.level': { $exists: false } } },
    { name: 'dotted $exists on an object', filter: { 'nested.deep': { $exists: true } } },
    { name: 'dotted name means nesting, not a literal key', filter: { 'x.y': 1 }, count: [0, 0] },
    { name: 'dotted name reaches the nested value', filter: { 'x.y': 2 }, count: [50, 80] },
    { name: 'nested path x.y exists', filter: { 'x.y': { $exists: true } }, count: [50, 80] },
    { name: 'escaped dot names the literal key x.y', filter: { 'x\\.y': 1 }, count: [60, 80] },
    { name: 'escaped dot: the literal key never holds the nested value', filter: { 'x\\.y': 2 }, count: [0, 0] },
    { name: 'escaped dot: $exists false on the literal key', filter: { 'x\\.y': { $exists: false } } },
    { name: 'literal key or nested path', filter: { $or: [{ 'x\\.y': 1 }, { 'x.y': 2 }] }, count: [110, 160] },
    { name: 'escaped backslash names a key holding a backslash', filter: { 'back\\\\slash': 0 }, count: [5, 20] },
    { name: 'escaped backslash: $exists', filter: { 'back\\\\slash': { $exists: true } }, count: [30, 40] },
    { name: 'escaped backslash: $gte', filter: { 'back\\\\slash': { $gte: 1 } }, count: [15, 30] },
    { name: 'backslash and dots in keys at two levels', filter: { 'p\\\\q\\.r.s\\.t': 1 }, count: [10, 25] },
    { name: 'a backslash before u is a backslash, not \\u0041', filter: { 'u\\\\u0041': 1 }, count: [25, 35] },
    { name: 'the key uA is not the key u\\u0041', filter: { uA: { $exists: true } }, count: [20, 30] },
    { name: 'arrays are not compared', filter: { tags: 'a' }, count: [0, 0] },
    { name: '$exists on an array', filter: { tags: { $exists: true } } },
    { name: '$ne against an array field', filter: { tags: { $ne: 'a' } }, count: [COUNT, COUNT] },
    { name: 'field name with a space', filter: { 'with space': 1 } },
    { name: 'non-ASCII field name', filter: { 'ключ': 'v' } },
    { name: '$and', filter: { $and: [{ cat: 'c1' }, { n: { $gt: 0 } }] } },
    { name: '$or', filter: { $or: [{ cat: 'c1' }, { b: true }] } },
    { name: 'nested $or of $and', filter: { $or: [{ $and: [{ cat: 'c2' }, { b: false }] }, { 'nested.level': 3 }] } },
    { name: 'keys beside $or (implicit and)', filter: { cat: 'c4', $or: [{ n: { $lt: 0 } }, { s: 'alpha' }] } },
    { name: '$and inside $or inside $and', filter: { $and: [{ $or: [{ s: { $in: ['gamma', 'zeta'] } }, { mixed: { $exists: false } }] }, { $and: [{ score: { $lt: 0.8 } }] }] } },
    { name: 'selective: 3 rare docs', filter: { rare: 'needle' }, count: [3, 3] },
    { name: 'selective: 1 doc', filter: { code: 'R2' }, count: [1, 1] },
    { name: 'selective: 3 docs by $in', filter: { code: { $in: ['R0', 'R1', 'R4', 'R9'] } }, count: [3, 3] },
    { name: 'selective: 5 docs', filter: { code: { $exists: true } }, count: [5, 5] },
    { name: 'selective and far: one far doc', filter: { zone: 'far', cat: 'c0', b: true } },
    { name: 'far zone (90 rows with metadata, beyond every near row)', filter: { zone: 'far' }, count: [90, 90] },
    { name: 'far zone narrowed', filter: { zone: 'far', n: { $gt: 0 } } },
    { name: 'broad: everything', filter: { n: { $ne: 123456 } }, count: [COUNT, COUNT] },
    { name: 'broad: all with metadata', filter: { cat: { $exists: true } }, count: [1350, 1350] },
    { name: 'matches nothing', filter: { cat: 'nope' }, count: [0, 0] },
  ];
}

test('filtered queries equal the exact top-k among the vectors the documented semantics select', async () => {
  const dir = tempDir();
  const { db, model } = await buildStore(join(dir, 'filters.rvf'), 7);
  const queries = randomVectors(2, DIM, 99);
  const all = cases(model);
  let nonEmpty = 0;
  for (const c of all) {
    const rows = matchingRows(model, c.filter);
    if (c.count) {
      assert.ok(rows.length >= c.count[0] && rows.length <= c.count[1], `${c.name}: the model selects ${rows.length}, the case expects ${c.count[0]}..${c.count[1]} (test data problem)`);
    }
    if (rows.length > 0) nonEmpty++;
    for (const [qi, q] of queries.entries()) {
      const ranked = rankAll('l2', q, rows);
      for (const k of [1, 10, LIMITS.maxK]) {
        const got = await db.query(q, k, { filter: c.filter });
        assertTopK(got, ranked, k, `${c.name} ${JSON.stringify(c.filter)} q${qi} k${k}`, model);
      }
    }
  }
  assert.ok(nonEmpty >= all.length - 5, 'most cases select something');

  // The same answers from a read-only handle (its own view of the cache) and after reopening.
  await db.close();
  const ro = await RvfDatabase.openReadonly(join(dir, 'filters.rvf'));
  for (const c of all.filter((_, i) => i % 3 === 0)) {
    const q = queries[0] as Float32Array;
    assertTopK(await ro.query(q, 10, { filter: c.filter }), rankAll('l2', q, matchingRows(model, c.filter)), 10, `read-only ${c.name}`, model);
  }
  await ro.close();
});

test('deleteByFilter removes exactly the matching ids, in one commit each, and the result survives reopen', async () => {
  const dir = tempDir();
  const path = join(dir, 'delete.rvf');
  const { db, model } = await buildStore(path, 8);
  const queries = randomVectors(2, DIM, 98);
  const filters: Record<string, unknown>[] = [
    { rare: 'needle' },
    { 'nested.level': 2, b: true },
    { mixed: { $in: [1, '1'] } },
    { s: { $lt: 'B' } },
    { cat: 'nope' },
    { $or: [{ n: null }, { 'x.y': 2 }] },
    { 'x\\.y': 1 },
    { 'back\\\\slash': { $gte: 1 } },
    { zone: 'far', score: { $gt: 0.5 } },
  ];
  for (const filter of filters) {
    const before = await db.status();
    const doomed = matchingRows(model, filter);
    const res = await db.deleteByFilter(filter);
    assert.equal(res.deleted, doomed.length, `deleteByFilter ${JSON.stringify(filter)}: deleted count`);
    if (doomed.length === 0) {
      assert.equal(res.epoch, before.epoch, 'nothing to delete: no commit');
      assert.equal((await db.status()).fileSizeBytes, before.fileSizeBytes);
    } else {
      assert.equal(res.epoch, before.epoch + 1, 'one commit');
    }
    doomed.forEach((r) => model.delete(r.id));
    assert.equal((await db.status()).totalVectors, model.size);
    assert.deepEqual(await db.query(queries[0] as Float32Array, 10, { filter }), [], 'nothing matching is left');
    // The whole remaining set, ranked: exactly the model's ids, nothing more, nothing less.
    for (const q of queries) assertTopK(await db.query(q, LIMITS.maxK), rankAll('l2', q, model.rows.values()), LIMITS.maxK, `after ${JSON.stringify(filter)}`, model);
  }
  await db.close();
  for (const open of [RvfDatabase.openReadonly, RvfDatabase.open]) {
    const again = await open(path);
    assert.equal((await again.status()).totalVectors, model.size);
    for (const q of queries) assertTopK(await again.query(q, LIMITS.maxK), rankAll('l2', q, model.rows.values()), LIMITS.maxK, 'reopened', model);
    const f = { cat: 'c5', b: false };
    assertTopK(await again.query(queries[1] as Float32Array, 10, { filter: f }), rankAll('l2', queries[1] as Float32Array, matchingRows(model, f)), 10, 'reopened filtered', model);
    await again.close();
  }
});

function nest(levels: number): Record<string, unknown> {
  return levels === 1 ? { cat: 'c1' } : { $and: [nest(levels - 1)] };
}

type Invalid = [string, unknown, 'EINVAL' | 'ELIMIT'];

/** Every filter must be refused by query and by deleteByFilter with its code; the store must not change. */
async function checkRefused(seed: number, invalid: Invalid[]): Promise<void> {
  const dir = tempDir();
  const path = join(dir, 'invalid.rvf');
  const { db } = await buildStore(path, seed);
  const q = randomVectors(1, DIM, 97)[0] as Float32Array;
  const before = await db.status();
  const print = fingerprint(path);
  const failures: string[] = [];
  for (const [name, filter, code] of invalid) {
    for (const [how, call] of [
      ['query', () => db.query(q, 10, { filter })],
      ['deleteByFilter', () => db.deleteByFilter(filter)],
    ] as const) {
      try {
        const err = await rejectsWith(call(), code, `${how} with ${name}`);
        if (code === 'ELIMIT') {
          assert.match(err.message, /\d/, `${how} with ${name}: the message names the limit`);
        }
      } catch (e) {
        failures.push((e as Error).message.split('\n')[0] as string);
      }
    }
  }
  const after = await db.status();
  assert.equal(after.epoch, before.epoch);
  assert.equal(after.totalVectors, before.totalVectors);
  assert.equal(after.fileSizeBytes, before.fileSizeBytes);
  assert.deepEqual(fingerprint(path), print, 'the file is byte-for-byte unchanged');
  await db.close();
  assert.deepEqual(failures, [], `invalid filters not refused as documented:\n${failures.join('\n')}`);
}

test('invalid filters are refused with EINVAL / ELIMIT and change nothing', async () => {
  await checkRefused(9, [
    ['unknown field operator $foo', { cat: { $foo: 1 } }, 'EINVAL'],
    ['an integer past 2^53, which JSON.parse had rounded', { id: JSON.parse('9007199254740993') as number }, 'EINVAL'],
    ['the same inside $in', { id: { $in: [1, JSON.parse('12345678901234567890') as number] } }, 'EINVAL'],
    ['unknown top-level operator $foo', { $foo: [{ cat: 'c1' }] }, 'EINVAL'],
    ['$not is not supported', { $not: { cat: 'c1' } }, 'EINVAL'],
    ['array as a value', { cat: ['c1', 'c2'] }, 'EINVAL'],
    ['array of filters under a field', { cat: [{ cat: 'c1' }] }, 'EINVAL'],
    ['object as a value', { nested: { level: 1 } }, 'EINVAL'],
    ['field name with a double quote', { 'a"b': 1 }, 'EINVAL'],
    ['field name that is a quote', { '"': 1 }, 'EINVAL'],
    ['dotted name with a quoted segment', { 'nested."level"': 1 }, 'EINVAL'],
    ['field name with a control character', { 'a\nb': 1 }, 'EINVAL'],
    ['empty field name', { '': 1 }, 'EINVAL'],
    ['empty segment', { 'nested..level': 1 }, 'EINVAL'],
    ['leading dot', { '.cat': 1 }, 'EINVAL'],
    ['backslash before a letter', { 'a\\b': 1 }, 'EINVAL'],
    ['backslash before u (no JSON escapes)', { 'u\\u0041': 1 }, 'EINVAL'],
    ['trailing backslash', { 'x\\': 1 }, 'EINVAL'],
    ['escaped double quote', { 'a\\"b': 1 }, 'EINVAL'],
    ['escaped dot beside a double quote', { 'a\\."': 1 }, 'EINVAL'],
    ['escaped dot then an empty name', { 'x\\..': 1 }, 'EINVAL'],
    ['$gt with a boolean', { n: { $gt: true } }, 'EINVAL'],
    ['$in with a non-array', { cat: { $in: 'c1' } }, 'EINVAL'],
    ['$in with an array element', { cat: { $in: [['c1']] } }, 'EINVAL'],
    ['$exists with a non-boolean', { cat: { $exists: 1 } }, 'EINVAL'],
    ['$and with an empty list', { $and: [] }, 'EINVAL'],
    ['$or with an object', { $or: { cat: 'c1' } }, 'EINVAL'],
    ['a string as the filter', 'cat', 'EINVAL'],
    ['an array as the filter', [{ cat: 'c1' }], 'EINVAL'],
    [`nesting deeper than ${LIMITS.maxFilterDepth}`, nest(LIMITS.maxFilterDepth + 1), 'ELIMIT'],
    [`more than ${LIMITS.maxFilterNodes} conditions`, { $or: Array.from({ length: 2 * LIMITS.maxFilterNodes }, (_, i) => ({ n: i })) }, 'ELIMIT'],
  ]);
});

test('a backslash that escapes neither a dot nor a backslash is refused with a sentence that explains the escape', async () => {
  const dir = tempDir();
  const db = await RvfDatabase.create(join(dir, 'escape.rvf'), { dimensions: DIM, metric: 'l2' });
  for (const field of ['a\\b', 'x\\', 'u\\u0041']) {
    const err = await rejectsWith(db.query(new Float32Array(DIM), 10, { filter: { [field]: 1 } }), 'EINVAL', `field ${field}`);
    assert.ok(err.message.includes(JSON.stringify(field)), `the message names the field: ${err.message}`);
    assert.ok(err.message.includes('\\.') && err.message.includes('\\\\'), `the message shows both escapes: ${err.message}`);
    assert.match(err.message, /plain dot separates nested names\.$/, err.message);
  }
  const quote = await rejectsWith(db.query(new Float32Array(DIM), 10, { filter: { 'a"b': 1 } }), 'EINVAL', 'a double quote');
  assert.match(quote.message, /double quote or a control character.*rename/, quote.message);
  await db.close();
});

test('a number or a boolean given as the filter is refused (EINVAL) by query as by deleteByFilter, not ignored', async () => {
  await checkRefused(12, [
    ['a number as the filter', 5, 'EINVAL'],
    ['a boolean as the filter', true, 'EINVAL'],
  ]);
});

test(`a $in / $nin list longer than maxFilterListValues (${LIMITS.maxFilterListValues}) gives ELIMIT naming the limit`, async () => {
  const tooLong = Array.from({ length: LIMITS.maxFilterListValues + 1 }, (_, i) => i);
  await checkRefused(13, [
    ['$in too long', { n: { $in: tooLong } }, 'ELIMIT'],
    ['$nin too long', { n: { $nin: tooLong } }, 'ELIMIT'],
  ]);
});

test('a filter at the documented depth limit works', async () => {
  const dir = tempDir();
  const { db, model } = await buildStore(join(dir, 'depth.rvf'), 10);
  const q = randomVectors(1, DIM, 96)[0] as Float32Array;
  const f = nest(LIMITS.maxFilterDepth);
  assertTopK(await db.query(q, 10, { filter: f }), rankAll('l2', q, matchingRows(model, f)), 10, 'depth at the limit', model);
  await db.close();
});

test('filters within the documented size limits ($in of 10,000 values, 1,000 conditions) work', async () => {
  const dir = tempDir();
  const path = join(dir, 'big-filters.rvf');
  const { db, model } = await buildStore(path, 11);
  const q = randomVectors(1, DIM, 95)[0] as Float32Array;
  const codes = Array.from({ length: LIMITS.maxFilterListValues }, (_, i) => `c${i}`); // c0..c6 exist
  const within: [string, Record<string, unknown>][] = [
    [`$in with ${LIMITS.maxFilterListValues} strings`, { cat: { $in: codes } }],
    [`$in with 1000 numbers`, { 'nested.deep.v': { $in: Array.from({ length: 1000 }, (_, i) => i * 2) } }],
    [`$nin with ${LIMITS.maxFilterListValues} strings`, { cat: { $nin: codes.slice(3) } }],
    [`$or of ${LIMITS.maxFilterNodes - 1} branches (${LIMITS.maxFilterNodes} conditions)`, { $or: Array.from({ length: LIMITS.maxFilterNodes - 1 }, (_, i) => ({ 'nested.deep.v': i * 2 })) }],
    [`two lists of ${LIMITS.maxFilterListValues}`, { cat: { $in: codes }, s: { $nin: Array.from({ length: LIMITS.maxFilterListValues }, (_, i) => `s${i}`) } }],
  ];
  const failures: string[] = [];
  for (const [name, filter] of within) {
    try {
      assertTopK(await db.query(q, 10, { filter }), rankAll('l2', q, matchingRows(model, filter)), 10, name, model);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // And the same as a delete: exactly the matching ids go.
  const delFilter = { 'nested.tag': { $in: ['x1', ...Array.from({ length: 1500 }, (_, i) => `none${i}`)] } };
  try {
    const doomed = matchingRows(model, delFilter);
    assert.equal((await db.deleteByFilter(delFilter)).deleted, doomed.length);
    doomed.forEach((r) => model.delete(r.id));
    assertTopK(await db.query(q, LIMITS.maxK), rankAll('l2', q, model.rows.values()), LIMITS.maxK, 'after a delete by a long $in', model);
  } catch (e) {
    failures.push(`deleteByFilter with a $in of 1501 values: ${(e as Error).message.split('\n')[0]}`);
  }
  assert.deepEqual(failures, [], `filters within the documented limits failed:\n${failures.join('\n')}`);
  await db.close();
});

test('an invalid filter is refused on an empty store too', async () => {
  const dir = tempDir();
  const db = await RvfDatabase.create(join(dir, 'empty.rvf'), { dimensions: DIM, metric: 'l2' });
  const q = new Float32Array(DIM);
  assert.deepEqual(await db.query(q, 10, { filter: { cat: 'c1' } }), []);
  await rejectsWith(db.deleteByFilter({ cat: { $foo: 1 } }), 'EINVAL', 'deleteByFilter with $foo on an empty store');
  await rejectsWith(db.query(q, 10, { filter: { cat: { $foo: 1 } } }), 'EINVAL', 'query with $foo on an empty store');
  await db.close();
});

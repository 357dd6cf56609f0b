import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { RvfDatabase, type QueryResult, type SegmentInfo } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors, rng } from './helpers/random.ts';
import { expectRvfError, squaredL2 } from './helpers/assertions.ts';

/**
 * Damaged files: a torn last commit (cut at every byte), flipped bytes inside
 * committed data and headers, a newer wire version, and garbage after the
 * last commit. Expected answers come from a JS model of the store (float64
 * brute force over the f32-rounded vectors), never from the store itself.
 */

const DIM = 4;

type Meta = Record<string, unknown> | null;
/** id -> vector and metadata: the live state the file should give back. */
type Model = Map<number, { vector: Float32Array; metadata: Meta }>;

function cloneModel(m: Model): Model {
  return new Map([...m].map(([id, v]) => [id, { vector: v.vector, metadata: v.metadata }]));
}


function bruteForce(model: Model, q: ArrayLike<number>, k: number): { id: number; distance: number; metadata: Meta }[] {
  return [...model]
    .map(([id, v]) => ({ id, distance: squaredL2(v.vector, q), metadata: v.metadata }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

function assertAnswers(got: QueryResult[], want: ReturnType<typeof bruteForce>, where: string): void {
  assert.deepEqual(got.map((r) => r.id), want.map((r) => r.id), `${where}: ids`);
  got.forEach((r, i) => {
    const w = want[i] as (typeof want)[number];
    assert.ok(Math.abs(r.distance - w.distance) <= 1e-5 * Math.max(1, w.distance), `${where}: distance of ${r.id} is ${r.distance}, expected ${w.distance}`);
    assert.deepEqual(r.metadata, w.metadata, `${where}: metadata of ${r.id}`);
  });
}

const require = createRequire(import.meta.url);
const native = require('@ruvector/rvf-node') as typeof import('@ruvector/rvf-node');

const QUERIES = randomVectors(3, DIM, 777);
/** Created at the top level so it lives until the file's tests are done. */
const ROOT = tempDir('rvf-dmg-');

/** Checks a store answers like `model` at `epoch`: status and k-NN over every live vector. */
async function assertState(db: RvfDatabase, model: Model, epoch: number, where: string): Promise<void> {
  const s = await db.status();
  assert.equal(s.epoch, epoch, `${where}: epoch`);
  assert.equal(s.totalVectors, model.size, `${where}: totalVectors`);
  for (const [i, q] of QUERIES.entries()) {
    assertAnswers(await db.query(q, model.size + 2), bruteForce(model, q, model.size + 2), `${where}, query ${i}`);
  }
}


interface Fixture {
  dir: string;
  path: string;
  bytes: Buffer;
  segments: SegmentInfo[];
  /** Live state after each epoch. */
  states: Model[];
}

/**
 * A store with four commits: create (epoch 0), an ingest of 6 (epoch 1), a
 * delete (epoch 2), and a small last ingest of 2 vectors of dim 4 (epoch 3).
 */
async function buildStore(name: string): Promise<Fixture> {
  const dir = ROOT;
  const path = join(dir, name);
  const vectors = randomVectors(8, DIM, 4242);
  const v = (i: number): Float32Array => vectors[i] as Float32Array;
  const model: Model = new Map();
  const states: Model[] = [cloneModel(model)];
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  const first = [0, 1, 2, 3, 4, 5].map((i) => ({ id: 100 + i, vector: v(i), metadata: i % 2 ? { n: i, tag: `t${i}` } : null }));
  const r1 = await db.ingestBatch(first);
  assert.equal(r1.epoch, 1);
  for (const e of first) model.set(e.id, { vector: e.vector, metadata: e.metadata });
  states.push(cloneModel(model));
  const r2 = await db.delete([102]);
  assert.equal(r2.epoch, 2);
  model.delete(102);
  states.push(cloneModel(model));
  const last = [
    { id: 200, vector: v(6), metadata: { k: 'x' } },
    { id: 201, vector: v(7), metadata: { k: 'y' } },
  ];
  const r3 = await db.ingestBatch(last);
  assert.equal(r3.epoch, 3);
  for (const e of last) model.set(e.id, { vector: e.vector, metadata: e.metadata });
  states.push(cloneModel(model));
  const segments = await db.segments();
  await db.close();
  const bytes = readFileSync(path);
  assert.equal(bytes.length, Math.max(...segments.map((s) => s.offset + 64 + s.payloadLength)), 'segments cover the file');
  return { dir, path, bytes, segments, states };
}

function commitBounds(f: Fixture, epoch: number): { start: number; end: number } {
  const segs = f.segments.filter((s) => s.epoch === epoch);
  assert.ok(segs.length > 0, `commit ${epoch} has segments`);
  return { start: Math.min(...segs.map((s) => s.offset)), end: Math.max(...segs.map((s) => s.offset + 64 + s.payloadLength)) };
}

function segmentOf(f: Fixture, type: string, epoch: number): SegmentInfo {
  const s = f.segments.find((x) => x.type === type && x.epoch === epoch);
  assert.ok(s, `a ${type} segment in commit ${epoch}`);
  return s;
}

let counter = 0;
/** Writes `bytes` as a fresh store file in the fixture's directory (no cache, no lock beside it). */
function damagedCopy(f: Fixture, bytes: Buffer, label: string): string {
  const p = join(f.dir, `${label}-${counter++}.rvf`);
  writeFileSync(p, bytes);
  return p;
}

function removeStore(p: string): void {
  for (const suffix of ['', '.lock', '.sqlite', '.sqlite-wal', '.sqlite-shm']) rmSync(p + suffix, { force: true });
}

function flipped(bytes: Buffer, at: number, xor = 0x01): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ xor;
  return copy;
}

/** Opening must fail with ECORRUPT naming the file and `offset`, as reader and as writer, and leave the file as it was. */
async function assertCorruptAt(p: string, offset: number, where: string): Promise<void> {
  const before = readFileSync(p);
  const ro = await expectRvfError(RvfDatabase.openReadonly(p), 'ECORRUPT');
  assert.ok(ro.message.includes(p), `${where}: message names the file: ${ro.message}`);
  assert.match(ro.message, new RegExp(`\\bbyte ${offset}\\b`), `${where}: message names byte ${offset}: ${ro.message}`);
  const rw = await expectRvfError(RvfDatabase.open(p, { onWarning: () => undefined }), 'ECORRUPT');
  assert.ok(rw.message.includes(p), `${where}: writer message names the file: ${rw.message}`);
  assert.match(rw.message, new RegExp(`\\bbyte ${offset}\\b`), `${where}: writer message names byte ${offset}: ${rw.message}`);
  assert.ok(readFileSync(p).equals(before), `${where}: a failed writer open must not change the file`);
  assert.equal(existsSync(`${p}.lock`), false, `${where}: a failed writer open releases the lease`);
}

describe('truncation inside the last commit', () => {
  let f: Fixture;
  before(async () => {
    f = await buildStore('trunc.rvf');
  });

  test('the fixture really is what the test assumes', async () => {
    const last = commitBounds(f, 3);
    assert.equal(last.end, f.bytes.length, 'the last commit ends the file');
    assert.deepEqual(f.segments.filter((s) => s.epoch === 3).map((s) => s.type), ['vec', 'meta', 'manifest']);
    assert.ok(last.end - last.start < 1024, `the last commit is small (${last.end - last.start} bytes)`);
    const db = await RvfDatabase.openReadonly(f.path);
    await assertState(db, f.states[3] as Model, 3, 'intact file');
    await db.close();
  });

  test('readers see the previous commit at every cut offset', async () => {
    const { start } = commitBounds(f, 3);
    const prev = f.states[2] as Model;
    const p = join(f.dir, 'cut-ro.rvf');
    for (let off = start; off < f.bytes.length; off++) {
      copyFileSync(f.path, p);
      truncateSync(p, off);
      const db = await RvfDatabase.openReadonly(p);
      try {
        await assertState(db, prev, 2, `cut at ${off}`);
      } finally {
        await db.close();
      }
      assert.equal(statSync(p).size, off, 'a reader never changes the file');
    }
    removeStore(p);
  });

  test('a writer cuts the torn tail at every offset, then commits and reopens', async () => {
    const { start } = commitBounds(f, 3);
    const prevEnd = commitBounds(f, 2).end;
    assert.equal(prevEnd, start);
    const extra = randomVectors(1, DIM, 99)[0] as Float32Array;
    const boundaries = f.segments.filter((s) => s.epoch === 3).map((s) => s.offset);
    let committed = 0;
    for (let off = start; off < f.bytes.length; off++) {
      const p = join(f.dir, `cut-rw-${off}.rvf`);
      copyFileSync(f.path, p);
      truncateSync(p, off);
      // A commit and a reopen after it: every 4th offset, and around every segment boundary.
      const commit = (off - start) % 4 === 0 || boundaries.some((b) => Math.abs(b - off) <= 1) || off === f.bytes.length - 1;
      const warnings: string[] = [];
      const db = await RvfDatabase.open(p, { onWarning: (m) => warnings.push(m) });
      try {
        assert.equal(statSync(p).size, prevEnd, `cut at ${off}: the writer truncates to the previous commit's end`);
        if (off > prevEnd) assert.ok(warnings.length > 0, `cut at ${off}: cutting a tail is reported`);
        await assertState(db, f.states[2] as Model, 2, `cut at ${off} (writer)`);
        if (commit) {
          const r = await db.ingestBatch([{ id: 300, vector: extra, metadata: { after: off } }]);
          assert.equal(r.epoch, 3, `cut at ${off}: the next commit is epoch 3`);
        }
      } finally {
        await db.close();
      }
      if (!commit) {
        removeStore(p);
        continue;
      }
      const expected = cloneModel(f.states[2] as Model);
      expected.set(300, { vector: extra, metadata: { after: off } });
      const again = await RvfDatabase.openReadonly(p);
      try {
        await assertState(again, expected, 3, `cut at ${off}, reopened after a new commit`);
      } finally {
        await again.close();
      }
      removeStore(p);
      committed++;
    }
    assert.ok(committed > 50, `commits were made after ${committed} cuts`);
  });
});

describe('truncation with the SQLite cache copied along (cache ahead of the file)', () => {
  let f: Fixture;
  before(async () => {
    f = await buildStore('trunc-cache.rvf');
  });

  test('reader and writer answer from the truncated file, not from the newer cache', async () => {
    assert.ok(existsSync(`${f.path}.sqlite`), 'the writer left a cache beside the store');
    const { start } = commitBounds(f, 3);
    const prev = f.states[2] as Model;
    const extra = randomVectors(1, DIM, 31)[0] as Float32Array;
    for (const off of [start, start + 1, start + 64, Math.floor((start + f.bytes.length) / 2), f.bytes.length - 1]) {
      const p = join(f.dir, `cut-cache-${off}.rvf`);
      for (const suffix of ['.sqlite', '.sqlite-wal', '.sqlite-shm']) {
        if (existsSync(f.path + suffix)) copyFileSync(f.path + suffix, p + suffix);
      }
      copyFileSync(f.path, p);
      truncateSync(p, off);
      const ro = await RvfDatabase.openReadonly(p);
      await assertState(ro, prev, 2, `cut at ${off} with the epoch-3 cache (reader)`);
      await ro.close();
      const rw = await RvfDatabase.open(p, { onWarning: () => undefined });
      await assertState(rw, prev, 2, `cut at ${off} with the epoch-3 cache (writer)`);
      assert.equal((await rw.query(extra, 10, { filter: { k: 'x' } })).length, 0, 'metadata of the lost commit is gone from filters');
      await rw.ingestBatch([{ id: 201, vector: extra, metadata: { k: 'z' } }]);
      await rw.close();
      const expected = cloneModel(prev);
      expected.set(201, { vector: extra, metadata: { k: 'z' } });
      const again = await RvfDatabase.openReadonly(p);
      await assertState(again, expected, 3, `cut at ${off}, reopened after a new commit`);
      assert.deepEqual((await again.query(extra, 10, { filter: { k: { $in: ['x', 'y', 'z'] } } })).map((r) => r.id), [201]);
      await again.close();
      removeStore(p);
    }
  });
});

describe('flipped bytes inside committed data', () => {
  let f: Fixture;
  before(async () => {
    f = await buildStore('flip.rvf');
  });

  test('a flipped byte in an earlier commit\'s VEC payload is ECORRUPT at that segment', async () => {
    const vec = segmentOf(f, 'vec', 1);
    // Inside the float data of the third row (not the shape prefix).
    const at = vec.offset + 64 + 6 + 2 * (8 + DIM * 4) + 8 + 5;
    const p = damagedCopy(f, flipped(f.bytes, at), 'dmg-vec1');
    await assertCorruptAt(p, vec.offset, 'VEC of epoch 1');
  });

  test('a flipped byte in the last commit\'s VEC payload is ECORRUPT at that segment', async () => {
    const vec = segmentOf(f, 'vec', 3);
    for (const rel of [6 + 8 + 1, 6 + (8 + DIM * 4) + 8 + DIM * 4 - 1]) {
      const p = damagedCopy(f, flipped(f.bytes, vec.offset + 64 + rel), 'dmg-vec3');
      await assertCorruptAt(p, vec.offset, `VEC of epoch 3, payload byte ${rel}`);
    }
  });

  test('a flipped byte in any committed payload (META, JOURNAL, PROFILE, earlier MANIFEST) is ECORRUPT', async () => {
    const committed = f.segments.filter((s) => !(s.type === 'manifest' && s.epoch === 3));
    assert.deepEqual(new Set(committed.map((s) => s.type)), new Set(['profile', 'manifest', 'vec', 'meta', 'journal']));
    for (const s of committed) {
      for (const rel of [0, Math.floor(s.payloadLength / 2), s.payloadLength - 1]) {
        const p = damagedCopy(f, flipped(f.bytes, s.offset + 64 + rel, 0x10), 'dmg-payload');
        await assertCorruptAt(p, s.offset, `${s.type} of epoch ${s.epoch}, payload byte ${rel}`);
        removeStore(p);
      }
    }
  });

  test('a flipped id byte in a VEC row is ECORRUPT too', async () => {
    const vec = segmentOf(f, 'vec', 1);
    const p = damagedCopy(f, flipped(f.bytes, vec.offset + 64 + 6, 0x40), 'dmg-vecid');
    await assertCorruptAt(p, vec.offset, 'VEC id byte');
  });
});

describe('flipped bytes in committed segment headers', () => {
  let f: Fixture;
  before(async () => {
    f = await buildStore('hdr.rvf');
  });

  /** Every segment followed by a later, intact manifest: all of them but the last manifest. */
  const committed = (): SegmentInfo[] => f.segments.filter((s) => !(s.type === 'manifest' && s.epoch === 3));

  test('a changed segment type byte is ECORRUPT, never a segment to skip', async () => {
    const types = [0x01, 0x04, 0x05, 0x07, 0x09, 0x0a, 0x0b];
    for (const s of committed()) {
      const original = f.bytes[s.offset + 5] as number;
      for (const t of types) {
        if (t === original) continue;
        const p = damagedCopy(f, flipped(f.bytes, s.offset + 5, original ^ t), 'dmg-type');
        await assertCorruptAt(p, s.offset, `${s.type} of epoch ${s.epoch} retyped as 0x${t.toString(16)}`);
        removeStore(p);
      }
    }
  });

  test('a flipped payload-length byte is ECORRUPT', async () => {
    for (const s of committed()) {
      // Low byte by 1 and by 64 (a whole header's worth), and the high byte.
      for (const [rel, xor] of [[0x10, 0x01], [0x10, 0x40], [0x11, 0x01], [0x17, 0x80]] as const) {
        const p = damagedCopy(f, flipped(f.bytes, s.offset + rel, xor), 'dmg-len');
        await assertCorruptAt(p, s.offset, `${s.type} of epoch ${s.epoch}, length byte 0x${rel.toString(16)} ^ 0x${xor.toString(16)}`);
        removeStore(p);
      }
    }
  });
});

describe('wire version gate', () => {
  let f: Fixture;
  before(async () => {
    f = await buildStore('ver.rvf');
  });

  test('a committed segment with wire version 2 is EVERSION with the exact message, for every segment', async () => {
    for (const s of f.segments) {
      const bytes = Buffer.from(f.bytes);
      assert.equal(bytes[s.offset + 4], 1, 'segments are written with wire version 1');
      bytes[s.offset + 4] = 2;
      const p = damagedCopy(f, bytes, 'dmg-ver');
      const expected = `${p} requires RVF wire version 2, but this build supports version 1. Run: npm update rvf-mcp-server`;
      const ro = await expectRvfError(RvfDatabase.openReadonly(p), 'EVERSION');
      assert.equal(ro.message, expected, `${s.type} of epoch ${s.epoch} (reader)`);
      const rw = await expectRvfError(RvfDatabase.open(p, { onWarning: () => undefined }), 'EVERSION');
      assert.equal(rw.message, expected, `${s.type} of epoch ${s.epoch} (writer)`);
      assert.ok(readFileSync(p).equals(bytes), 'a writer that refused the file left it untouched');
      assert.equal(existsSync(`${p}.lock`), false, 'the lease is released');
      removeStore(p);
    }
  });

  test('a relative path is reported as the absolute path', async () => {
    const bytes = Buffer.from(f.bytes);
    bytes[(f.segments[0] as SegmentInfo).offset + 4] = 2;
    const p = damagedCopy(f, bytes, 'dmg-ver-rel');
    const rel = relative(process.cwd(), p);
    assert.ok(!rel.startsWith('/'), 'the path given is relative');
    const err = await expectRvfError(RvfDatabase.openReadonly(rel), 'EVERSION');
    assert.equal(err.message, `${p} requires RVF wire version 2, but this build supports version 1. Run: npm update rvf-mcp-server`);
  });
});

describe('garbage after the last commit (torn tail)', () => {
  let f: Fixture;
  before(async () => {
    f = await buildStore('tail.rvf');
  });

  function tails(): { label: string; bytes: Buffer }[] {
    const next = rng(2024);
    const random = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
    const vec = segmentOf(f, 'vec', 3);
    const meta = segmentOf(f, 'meta', 3);
    const lastManifest = segmentOf(f, 'manifest', 3);
    const vecBytes = f.bytes.subarray(vec.offset, vec.offset + 64 + vec.payloadLength);
    const metaBytes = f.bytes.subarray(meta.offset, meta.offset + 64 + meta.payloadLength);
    const withMagic = random(200);
    Buffer.from([0x53, 0x46, 0x56, 0x52]).copy(withMagic, 0);
    withMagic[4] = 1;
    withMagic[5] = 0x05;
    return [
      { label: '1 random byte', bytes: random(1) },
      { label: '63 random bytes', bytes: random(63) },
      { label: '64 random bytes', bytes: random(64) },
      { label: '1000 random bytes', bytes: random(1000) },
      { label: '100 KiB of random bytes', bytes: random(100 * 1024) },
      { label: 'a fake manifest header and junk', bytes: withMagic },
      { label: 'a whole uncommitted VEC + META', bytes: Buffer.concat([vecBytes, metaBytes]) },
      { label: 'half a VEC segment', bytes: vecBytes.subarray(0, 90) },
      { label: 'a replay of the last manifest', bytes: f.bytes.subarray(lastManifest.offset, lastManifest.offset + 64 + lastManifest.payloadLength) },
      { label: 'zeros', bytes: Buffer.alloc(4096) },
    ];
  }

  test('readers see the last commit; the writer cuts the tail and goes on', async () => {
    const last = f.states[3] as Model;
    const extra = randomVectors(1, DIM, 5)[0] as Float32Array;
    for (const t of tails()) {
      const p = damagedCopy(f, Buffer.concat([f.bytes, t.bytes]), 'dmg-tail');
      const ro = await RvfDatabase.openReadonly(p);
      await assertState(ro, last, 3, `${t.label} (reader)`);
      await ro.close();
      assert.equal(statSync(p).size, f.bytes.length + t.bytes.length, `${t.label}: the reader left the file alone`);

      const warnings: string[] = [];
      const rw = await RvfDatabase.open(p, { onWarning: (m) => warnings.push(m) });
      assert.equal(statSync(p).size, f.bytes.length, `${t.label}: the writer cut the tail`);
      assert.ok(readFileSync(p).equals(f.bytes), `${t.label}: the committed bytes are untouched`);
      assert.ok(warnings.some((w) => w.includes(String(t.bytes.length))), `${t.label}: the cut is reported with its size: ${warnings.join(' | ')}`);
      await assertState(rw, last, 3, `${t.label} (writer)`);
      const r = await rw.ingestBatch([{ id: 400, vector: extra }]);
      assert.equal(r.epoch, 4);
      await rw.close();
      const expected = cloneModel(last);
      expected.set(400, { vector: extra, metadata: null });
      const again = await RvfDatabase.openReadonly(p);
      await assertState(again, expected, 4, `${t.label}, reopened`);
      await again.close();
      removeStore(p);
    }
  });
});

/**
 * The same store written by the native SDK: its commits are VEC + WITNESS +
 * MANIFEST, and its headers carry no header checksum (only the payload CRC).
 * Segment offsets and epochs come from the native SDK, not from our reader.
 */
async function buildNativeStore(name: string): Promise<Fixture> {
  const path = join(ROOT, name);
  const vectors = randomVectors(8, DIM, 4343);
  const v = (i: number): Float32Array => vectors[i] as Float32Array;
  const model: Model = new Map();
  const states: Model[] = [cloneModel(model)];
  const db = native.RvfDatabase.create(path, { dimension: DIM, metric: 'l2' });
  const ingest = (idx: number[], ids: number[]): void => {
    const flat = new Float32Array(idx.length * DIM);
    idx.forEach((i, k) => flat.set(v(i), k * DIM));
    db.ingestBatch(flat, ids);
    idx.forEach((i, k) => model.set(ids[k] as number, { vector: v(i), metadata: null }));
    states.push(cloneModel(model));
  };
  ingest([0, 1, 2, 3, 4, 5], [100, 101, 102, 103, 104, 105]);
  db.delete([102]);
  model.delete(102);
  states.push(cloneModel(model));
  ingest([6, 7], [200, 201]);
  let epoch = 0;
  const segments: SegmentInfo[] = db.segments().map((s) => {
    const info = { id: s.id, type: s.segType, offset: s.offset, payloadLength: s.payloadLength, epoch };
    if (s.segType === 'manifest') epoch++;
    return info;
  });
  assert.equal(db.status().currentEpoch, 3);
  db.close();
  const bytes = readFileSync(path);
  assert.equal(bytes.length, Math.max(...segments.map((s) => s.offset + 64 + s.payloadLength)), 'segments cover the file');
  return { dir: ROOT, path, bytes, segments, states };
}

describe('damage to a file the native SDK wrote', () => {
  let f: Fixture;
  before(async () => {
    f = await buildNativeStore('native-dmg.rvf');
  });

  test('intact, it opens at epoch 3 with the native answers', async () => {
    assert.deepEqual(f.segments.filter((s) => s.epoch === 3).map((s) => s.type), ['vec', 'witness', 'manifest']);
    const db = await RvfDatabase.openReadonly(f.path);
    await assertState(db, f.states[3] as Model, 3, 'intact native file');
    await db.close();
  });

  test('cut at every offset of the last commit: the previous commit, for readers and writers', async () => {
    const { start } = commitBounds(f, 3);
    const prev = f.states[2] as Model;
    for (let off = start; off < f.bytes.length; off++) {
      const p = join(f.dir, `native-cut-${off}.rvf`);
      copyFileSync(f.path, p);
      truncateSync(p, off);
      const ro = await RvfDatabase.openReadonly(p);
      await assertState(ro, prev, 2, `native file cut at ${off}`);
      await ro.close();
      if ((off - start) % 7 === 0 || off === f.bytes.length - 1) {
        const rw = await RvfDatabase.open(p, { onWarning: () => undefined });
        assert.equal(statSync(p).size, start, `native file cut at ${off}: the writer truncates to the previous commit`);
        await rw.close();
        // The native reader agrees with the truncated file.
        const nr = native.RvfDatabase.openReadonly(p);
        assert.equal(nr.status().totalVectors, prev.size);
        nr.close();
      }
      removeStore(p);
    }
  });

  test('a flipped byte in a native VEC payload (earlier and last commit) is ECORRUPT at that segment', async () => {
    for (const epoch of [1, 3]) {
      const vec = segmentOf(f, 'vec', epoch);
      const p = damagedCopy(f, flipped(f.bytes, vec.offset + 64 + 6 + 8 + 3, 0x20), 'dmg-native-vec');
      await assertCorruptAt(p, vec.offset, `native VEC of epoch ${epoch}`);
      removeStore(p);
    }
  });

  test('a flipped byte in a native JOURNAL or earlier MANIFEST payload is ECORRUPT at that segment', async () => {
    for (const s of [segmentOf(f, 'journal', 2), segmentOf(f, 'manifest', 1), segmentOf(f, 'witness', 2)]) {
      const p = damagedCopy(f, flipped(f.bytes, s.offset + 64 + Math.floor(s.payloadLength / 2), 0x04), 'dmg-native');
      await assertCorruptAt(p, s.offset, `native ${s.type} of epoch ${s.epoch}`);
      removeStore(p);
    }
  });
});

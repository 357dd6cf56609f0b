import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RvfDatabase, type QueryResult } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors, rng } from './helpers/random.ts';
import { squaredL2 } from './helpers/assertions.ts';

/**
 * Files written here read by the native SDK (@ruvector/rvf-node), files written
 * natively read (and appended to) here, and lineage recorded by either side
 * read by the other. Expected answers are float64 brute force over a JS model
 * of the live vectors; both engines must agree with it and with each other.
 */

const require = createRequire(import.meta.url);
const native = require('@ruvector/rvf-node') as typeof import('@ruvector/rvf-node');
type NativeDb = import('@ruvector/rvf-node').RvfDatabase;

const DIM = 32;
const K = 10;
const ROOT = tempDir('rvf-interop-');
const QUERIES = randomVectors(20, DIM, 9001);
/** Absolute tolerance between the two engines' f32 distances (relative above 1). */
const ENGINE_TOL = 1e-6;
/** Tolerance against the float64 brute force. */
const EXACT_TOL = 1e-5;

/** id -> vector of every live row. */
type Model = Map<number, Float32Array>;


function bruteForce(model: Model, q: Float32Array, k: number): { id: number; distance: number }[] {
  return [...model]
    .map(([id, v]) => ({ id, distance: squaredL2(v, q) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

function flat(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors.length * DIM);
  vectors.forEach((v, i) => out.set(v, i * DIM));
  return out;
}

function close(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

/**
 * Native and ours answer the same 20 queries with the brute-force top 10, the
 * same ids in the same order, and distances within ENGINE_TOL of each other.
 */
async function assertSameAnswers(nat: NativeDb, ours: RvfDatabase, model: Model, where: string): Promise<void> {
  assert.equal(nat.status().totalVectors, model.size, `${where}: native live count`);
  assert.equal((await ours.status()).totalVectors, model.size, `${where}: our live count`);
  for (const [qi, q] of QUERIES.entries()) {
    const want = bruteForce(model, q, K);
    const n = nat.query(q, K);
    const o: QueryResult[] = await ours.query(q, K);
    assert.deepEqual(n.map((r) => r.id), want.map((r) => r.id), `${where}, query ${qi}: native ids vs brute force`);
    assert.deepEqual(o.map((r) => r.id), want.map((r) => r.id), `${where}, query ${qi}: our ids vs brute force`);
    for (let i = 0; i < K; i++) {
      const nd = (n[i] as { distance: number }).distance;
      const od = (o[i] as QueryResult).distance;
      const wd = (want[i] as { distance: number }).distance;
      assert.ok(close(nd, od, ENGINE_TOL), `${where}, query ${qi}, rank ${i}: native ${nd} vs ours ${od}`);
      assert.ok(close(od, wd, EXACT_TOL), `${where}, query ${qi}, rank ${i}: ours ${od} vs exact ${wd}`);
    }
  }
}

/** A native query for every row returns each live id exactly once, and nothing else. */
function assertNativeLiveSet(nat: NativeDb, model: Model, where: string): void {
  const all = nat.query(QUERIES[0] as Float32Array, model.size + 50);
  const ids = all.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, `${where}: no id appears twice natively`);
  assert.deepEqual([...ids].sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b), `${where}: native live ids`);
}

/** An id's own vector finds it at distance 0 (native), so the vector read back is the newest one. */
function assertNativeVectors(nat: NativeDb, model: Model, ids: number[], where: string): void {
  for (const id of ids) {
    const v = model.get(id) as Float32Array;
    const hit = nat.query(v, 1)[0];
    assert.equal(hit?.id, id, `${where}: native nearest to ${id}'s vector`);
    assert.ok((hit?.distance ?? 1) < 1e-9, `${where}: ${id} natively holds its newest vector (distance ${hit?.distance})`);
  }
}

interface History {
  model: Model;
  upserted: number[];
  deleted: number[];
  /** Old vectors of upserted ids, which must not be found at distance 0 any more. */
  stale: Map<number, Float32Array>;
}

/** Builds a store here over several commits: 1000 ingests, upserts (one id twice in a batch), deletes, a re-add. */
async function writeHere(path: string, withCompaction: boolean): Promise<History> {
  const next = rng(withCompaction ? 11 : 12);
  const base = randomVectors(1000, DIM, withCompaction ? 21 : 22);
  const model: Model = new Map();
  const stale = new Map<number, Float32Array>();
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  for (let b = 0; b < 4; b++) {
    const batch = base.slice(b * 250, (b + 1) * 250).map((v, i) => ({ id: b * 250 + i, vector: v, metadata: { batch: b } }));
    const r = await db.ingestBatch(batch);
    assert.equal(r.accepted, 250);
    for (const e of batch) model.set(e.id, e.vector);
  }
  // Upserts of 50 existing ids; id 5 is given twice in the batch, the last entry wins.
  const fresh = randomVectors(52, DIM, 31);
  const upserted = Array.from({ length: 50 }, (_, i) => 5 + i * 19);
  const upserts = upserted.map((id, i) => ({ id, vector: fresh[i] as Float32Array }));
  upserts.unshift({ id: 5, vector: fresh[51] as Float32Array });
  for (const id of upserted) stale.set(id, model.get(id) as Float32Array);
  const ru = await db.ingestBatch(upserts);
  assert.equal(ru.replaced, 50);
  for (const u of upserts.slice(1)) model.set(u.id, u.vector);

  // Two delete commits (some of them upserted ids), then one deleted id comes back.
  const live = [...model.keys()];
  const pick = (count: number): number[] => {
    const out = new Set<number>();
    while (out.size < count) out.add(live[Math.floor(next() * live.length)] as number);
    return [...out];
  };
  const firstDeletes = pick(60);
  assert.equal((await db.delete(firstDeletes)).deleted, 60);
  for (const id of firstDeletes) model.delete(id);
  const secondDeletes = pick(40).filter((id) => model.has(id));
  assert.equal((await db.delete(secondDeletes)).deleted, secondDeletes.length);
  for (const id of secondDeletes) model.delete(id);
  const deleted = [...firstDeletes, ...secondDeletes];
  const back = deleted[0] as number;
  const backVector = randomVectors(1, DIM, 41)[0] as Float32Array;
  await db.ingestBatch([{ id: back, vector: backVector }]);
  model.set(back, backVector);
  deleted.shift();

  if (withCompaction) {
    await db.compact();
    const more = randomVectors(20, DIM, 51).map((v, i) => ({ id: 2000 + i, vector: v }));
    await db.ingestBatch(more);
    for (const e of more) model.set(e.id, e.vector);
    const after = [2003, ...upserted.slice(0, 3)].filter((id) => model.has(id));
    await db.delete(after);
    for (const id of after) {
      model.delete(id);
      deleted.push(id);
    }
  }
  await db.close();
  return { model, upserted: upserted.filter((id) => model.has(id)), deleted: deleted.filter((id) => !model.has(id)), stale };
}

describe('written here, read by the native SDK', () => {
  for (const withCompaction of [false, true]) {
    test(`l2, dim 32, ~1000 vectors, upserts and deletes${withCompaction ? ', and a compaction' : ''}`, async () => {
      const path = join(ROOT, `ours-${withCompaction ? 'compacted' : 'log'}.rvf`);
      const h = await writeHere(path, withCompaction);
      assert.ok(h.deleted.length >= 60 && h.upserted.length >= 30, 'the history has deletes and upserts to check');

      const nat = native.RvfDatabase.openReadonly(path);
      const ours = await RvfDatabase.openReadonly(path);
      try {
        await assertSameAnswers(nat, ours, h.model, 'native reader of our file');
        assertNativeLiveSet(nat, h.model, 'native reader of our file');
        assertNativeVectors(nat, h.model, h.upserted, 'upserted');
        for (const id of h.upserted) {
          const old = h.stale.get(id) as Float32Array;
          const hit = nat.query(old, 1)[0];
          assert.ok(!(hit?.id === id && hit.distance < 1e-9), `upserted ${id} no longer holds its old vector natively`);
        }
        for (const id of h.deleted.slice(0, 20)) {
          const hit = nat.query(QUERIES[1] as Float32Array, h.model.size + 50).find((r) => r.id === id);
          assert.equal(hit, undefined, `deleted ${id} never appears natively`);
        }
      } finally {
        nat.close();
        await ours.close();
      }
    });
  }
});

/** The newest manifest segment, header included, fits the native reader's 64 KiB tail window. */
async function assertManifestFits(db: RvfDatabase, where: string): Promise<void> {
  const segs = await db.segments();
  const last = segs.filter((s) => s.type === 'manifest').at(-1);
  assert.ok(last, `${where}: a manifest`);
  assert.ok(64 + last.payloadLength <= 64 * 1024, `${where}: the newest manifest is ${64 + last.payloadLength} bytes`);
  assert.equal(last.offset + 64 + last.payloadLength, (await db.status()).fileSizeBytes, `${where}: the manifest ends the file`);
}

describe('the @ruvector/rvf SDK (async API, string ids through its sidecar)', () => {
  test('the SDK reads our file (no sidecar: ids come back as decimal strings), and we read an SDK file', async () => {
    const sdk = (await import('@ruvector/rvf')).RvfDatabase;
    const ourPath = join(ROOT, 'for-sdk.rvf');
    const vectors = randomVectors(300, DIM, 151);
    const model: Model = new Map();
    const db = await RvfDatabase.create(ourPath, { dimensions: DIM, metric: 'l2' });
    await db.ingestBatch(vectors.map((v, i) => ({ id: 1000 + i, vector: v })));
    vectors.forEach((v, i) => model.set(1000 + i, v));
    await db.delete([1000, 1001, 1002]);
    for (const id of [1000, 1001, 1002]) model.delete(id);
    await db.close();

    const reader = await sdk.openReadonly(ourPath, 'node');
    try {
      assert.equal((await reader.status()).totalVectors, model.size);
      for (const q of QUERIES.slice(0, 5)) {
        const got = await reader.query(q, K);
        assert.deepEqual(got.map((r) => r.id), bruteForce(model, q, K).map((r) => String(r.id)));
      }
    } finally {
      await reader.close();
    }

    // The other way: string ids the SDK maps to u64 labels in <file>.idmap.json.
    const sdkPath = join(ROOT, 'by-sdk.rvf');
    const writer = await sdk.create(sdkPath, { dimensions: DIM, metric: 'l2' }, 'node');
    const names = vectors.slice(0, 50).map((_, i) => `doc-${i}`);
    await writer.ingestBatch(names.map((id, i) => ({ id, vector: vectors[i] as Float32Array })));
    await writer.delete(['doc-7']);
    await writer.close();
    const idmap = JSON.parse(readFileSync(`${sdkPath}.idmap.json`, 'utf8')) as { idToLabel: Record<string, number> };
    const sdkModel: Model = new Map();
    names.forEach((name, i) => {
      if (name !== 'doc-7') sdkModel.set(Number(idmap.idToLabel[name]), vectors[i] as Float32Array);
    });
    assert.equal(sdkModel.size, 49);
    const ours = await RvfDatabase.openReadonly(sdkPath);
    try {
      assert.equal((await ours.status()).totalVectors, 49);
      for (const q of QUERIES.slice(0, 5)) {
        assert.deepEqual((await ours.query(q, K)).map((r) => r.id), bruteForce(sdkModel, q, K).map((r) => r.id));
      }
    } finally {
      await ours.close();
    }
  });
});

describe('the native reader\'s 64 KiB manifest window', () => {
  test('9000 deleted ids (a deletion list far over 64 KiB) still open natively', async () => {
    const path = join(ROOT, 'many-deletes.rvf');
    const vectors = randomVectors(10_000, DIM, 131);
    const model: Model = new Map();
    const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
    await db.ingestBatch(vectors.map((v, id) => ({ id, vector: v })));
    vectors.forEach((v, id) => model.set(id, v));
    // Three delete commits of 3000 ids each: every id not divisible by 10.
    const doomed = [...model.keys()].filter((id) => id % 10 !== 0);
    for (let i = 0; i < doomed.length; i += 3000) {
      const part = doomed.slice(i, i + 3000);
      assert.equal((await db.delete(part)).deleted, part.length);
      for (const id of part) model.delete(id);
    }
    await db.close();
    const nat = native.RvfDatabase.openReadonly(path);
    const ours = await RvfDatabase.openReadonly(path);
    try {
      await assertSameAnswers(nat, ours, model, 'after 9000 deletes');
      await assertManifestFits(ours, 'after 9000 deletes');
      assertNativeLiveSet(nat, model, 'after 9000 deletes');
    } finally {
      nat.close();
      await ours.close();
    }
  });

  test('2700 one-vector commits (a VEC directory over 64 KiB at 25 bytes an entry) still open natively', async () => {
    const path = join(ROOT, 'many-segments.rvf');
    const vectors = randomVectors(2700, DIM, 141);
    const model: Model = new Map();
    const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
    for (const [id, v] of vectors.entries()) {
      await db.ingestBatch([{ id, vector: v }]);
      model.set(id, v);
    }
    await db.close();
    const nat = native.RvfDatabase.openReadonly(path);
    const ours = await RvfDatabase.openReadonly(path);
    try {
      await assertSameAnswers(nat, ours, model, 'after 2700 commits');
      await assertManifestFits(ours, 'after 2700 commits');
      assertNativeLiveSet(nat, model, 'after 2700 commits');
    } finally {
      nat.close();
      await ours.close();
    }
  });
});

describe('written by the native SDK, read and appended here', () => {
  test('native create, ingest and delete; ours reads, writes a commit; native and ours keep agreeing', async () => {
    const path = join(ROOT, 'native.rvf');
    const vectors = randomVectors(800, DIM, 61);
    const model: Model = new Map();
    const nw = native.RvfDatabase.create(path, { dimension: DIM, metric: 'l2' });
    for (let b = 0; b < 4; b++) {
      const ids = Array.from({ length: 200 }, (_, i) => 1 + b * 200 + i);
      const r = nw.ingestBatch(flat(vectors.slice(b * 200, (b + 1) * 200)), ids);
      assert.equal(r.accepted, 200);
      ids.forEach((id, i) => model.set(id, vectors[b * 200 + i] as Float32Array));
    }
    const nativeDeletes = Array.from({ length: 40 }, (_, i) => 3 + i * 17);
    assert.equal(nw.delete(nativeDeletes).deleted, 40);
    for (const id of nativeDeletes) model.delete(id);
    nw.close();

    // Read here, beside the native reader.
    let nat = native.RvfDatabase.openReadonly(path);
    const ro = await RvfDatabase.openReadonly(path);
    await assertSameAnswers(nat, ro, model, 'our reader of a native file');
    const status = await ro.status();
    assert.equal(status.dimensions, DIM);
    assert.equal(status.metric, 'l2');
    assert.equal(status.epoch, nat.status().currentEpoch, 'our epoch is the native epoch');
    await ro.close();

    // Our writer on the native file: same answers, then one commit of inserts, upserts and deletes.
    const warnings: string[] = [];
    const rw = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
    await assertSameAnswers(nat, rw, model, 'our writer of a native file');
    nat.close();
    const added = randomVectors(40, DIM, 71);
    const entries = [
      ...Array.from({ length: 30 }, (_, i) => ({ id: 5000 + i, vector: added[i] as Float32Array })),
      ...Array.from({ length: 10 }, (_, i) => ({ id: 2 + i * 50, vector: added[30 + i] as Float32Array })),
    ];
    const r = await rw.ingestBatch(entries);
    assert.equal(r.replaced, entries.filter((e) => model.has(e.id)).length);
    for (const e of entries) model.set(e.id, e.vector);
    const ourDeletes = [1, 100, 5001, 799];
    await rw.delete(ourDeletes);
    for (const id of ourDeletes) model.delete(id);
    await rw.close();

    nat = native.RvfDatabase.openReadonly(path);
    const after = await RvfDatabase.openReadonly(path);
    try {
      await assertSameAnswers(nat, after, model, 'native reader after our commits');
      assertNativeLiveSet(nat, model, 'native reader after our commits');
      assertNativeVectors(nat, model, entries.map((e) => e.id).filter((id) => model.has(id)), 'ids we wrote');
    } finally {
      nat.close();
      await after.close();
    }

    // And back: a native commit on top of ours, read here.
    const nw2 = native.RvfDatabase.open(path);
    const extra = randomVectors(5, DIM, 81);
    nw2.ingestBatch(flat(extra), [9000, 9001, 9002, 9003, 9004]);
    extra.forEach((v, i) => model.set(9000 + i, v));
    nw2.delete([2]);
    model.delete(2);
    nw2.close();
    nat = native.RvfDatabase.openReadonly(path);
    const last = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
    try {
      await assertSameAnswers(nat, last, model, 'ours after a native commit on top of ours');
    } finally {
      nat.close();
      await last.close();
    }
  });
});

describe('lineage across the two implementations', () => {
  test('a native derive child opens here with depth 1 and the native parent id', async () => {
    const parentPath = join(ROOT, 'np.rvf');
    const childPath = join(ROOT, 'np-child.rvf');
    const parent = native.RvfDatabase.create(parentPath, { dimension: DIM, metric: 'l2' });
    parent.ingestBatch(flat(randomVectors(10, DIM, 91)), Array.from({ length: 10 }, (_, i) => i + 1));
    const child = parent.derive(childPath);
    const parentId = parent.fileId();
    const childId = child.fileId();
    assert.equal(child.lineageDepth(), 1);
    assert.equal(child.parentId(), parentId);
    child.close();
    parent.close();

    const ours = await RvfDatabase.openReadonly(childPath);
    try {
      const s = await ours.status();
      assert.equal(s.lineage?.depth, 1);
      assert.equal(s.lineage?.parentFileId, parentId);
      assert.equal(s.fileId, childId, 'our file id is the native one');
    } finally {
      await ours.close();
    }
    const ourParent = await RvfDatabase.openReadonly(parentPath);
    assert.equal((await ourParent.status()).fileId, parentId);
    assert.equal((await ourParent.status()).lineage, null);
    await ourParent.close();
  });

  test('our derive child is read natively: parentId is the parent\'s fileId, depth 1', async () => {
    const parentPath = join(ROOT, 'op.rvf');
    const childPath = join(ROOT, 'op-child.rvf');
    const vectors = randomVectors(200, DIM, 101);
    const model: Model = new Map();
    const db = await RvfDatabase.create(parentPath, { dimensions: DIM, metric: 'l2' });
    await db.ingestBatch(vectors.map((v, id) => ({ id, vector: v })));
    vectors.forEach((v, id) => model.set(id, v));
    await db.delete([0, 1, 2]);
    for (const id of [0, 1, 2]) model.delete(id);
    const derived = await db.derive(childPath);
    assert.equal(derived.lineage.depth, 1);
    const ourParentId = (await db.status()).fileId;
    await db.close();

    const natParent = native.RvfDatabase.openReadonly(parentPath);
    const natChild = native.RvfDatabase.openReadonly(childPath);
    const ourChild = await RvfDatabase.openReadonly(childPath);
    try {
      assert.equal(natParent.fileId(), ourParentId, 'native reads the file id we wrote');
      assert.equal(natParent.lineageDepth(), 0);
      assert.equal(natChild.parentId(), natParent.fileId());
      assert.equal(natChild.lineageDepth(), 1);
      assert.notEqual(natChild.fileId(), natParent.fileId());
      assert.equal((await ourChild.status()).fileId, natChild.fileId());
      assert.equal((await ourChild.status()).lineage?.parentFileId, natParent.fileId());
      await assertSameAnswers(natChild, ourChild, model, 'our derive child');
    } finally {
      natParent.close();
      natChild.close();
      await ourChild.close();
    }
  });

});

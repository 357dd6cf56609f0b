import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { RvfDatabase, type Metric, type QueryResult } from '../store/index.ts';
import { RvfBytes } from '../store/bytes-store.ts';
import { buildInspector } from '../server/inspector/build.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors } from './helpers/random.ts';
import { distance } from './helpers/assertions.ts';

/**
 * RvfBytes (the store the browser runs, here on the real engine in Node)
 * against RvfDatabase, the native reader and a float64 brute force over a JS
 * model of the live rows, at every step of the failure mode 5: a file
 * written by the Node store, opened from bytes, changed there, exported,
 * opened by both Node readers, written again by the Node store, read back.
 */

const require = createRequire(import.meta.url);
const native = require('@ruvector/rvf-node') as typeof import('@ruvector/rvf-node');

const DIM = 24;
const K = 10;
const ROOT = tempDir('rvf-bytes-');
const QUERIES = randomVectors(12, DIM, 4242);
const ENGINE_TOL = 1e-6;
const EXACT_TOL = 1e-5;

interface Row {
  vector: Float32Array;
  metadata: Record<string, unknown> | null;
}
type Model = Map<number, Row>;

function close(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

function bruteForce(model: Model, metric: Metric, q: Float32Array): { id: number; distance: number }[] {
  return [...model]
    .map(([id, r]) => ({ id, distance: distance(metric, q, r.vector) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, K);
}

/** RvfBytes and the Node store give the brute-force top 10, with the same distances and metadata. */
async function assertAgree(bytes: RvfBytes, db: RvfDatabase, model: Model, metric: Metric, where: string): Promise<void> {
  const s = bytes.status();
  const d = await db.status();
  assert.equal(s.totalVectors, model.size, `${where}: bytes live count`);
  assert.equal(d.totalVectors, model.size, `${where}: Node live count`);
  assert.equal(s.epoch, d.epoch, `${where}: epoch`);
  assert.equal(s.fileId, d.fileId, `${where}: fileId`);
  assert.equal(s.metric, metric, `${where}: metric`);
  assert.equal(s.fileSizeBytes, d.fileSizeBytes, `${where}: committed size`);
  assert.deepEqual(s.segments, await db.segments(), `${where}: segment listing`);
  for (const [qi, q] of QUERIES.entries()) {
    const want = bruteForce(model, metric, q);
    const b = bytes.query(q, K);
    const n: QueryResult[] = await db.query(q, K);
    assert.deepEqual(b.map((r) => r.id), want.map((r) => r.id), `${where}, query ${qi}: bytes ids vs brute force`);
    assert.deepEqual(n.map((r) => r.id), want.map((r) => r.id), `${where}, query ${qi}: Node ids vs brute force`);
    b.forEach((r, i) => {
      const nr = n[i] as QueryResult;
      assert.ok(close(r.distance, nr.distance, ENGINE_TOL), `${where}, query ${qi}, rank ${i}: bytes ${r.distance} vs Node ${nr.distance}`);
      assert.ok(close(r.distance, (want[i] as { distance: number }).distance, EXACT_TOL), `${where}, query ${qi}, rank ${i}: vs exact`);
      assert.deepEqual(r.metadata, model.get(r.id as number)?.metadata ?? null, `${where}, query ${qi}, rank ${i}: bytes metadata`);
      assert.deepEqual(nr.metadata, r.metadata, `${where}, query ${qi}, rank ${i}: Node metadata`);
    });
  }
}

/** A store with several commits, replacements, deletes, a compaction and commits after it. */
async function writeHistory(path: string, metric: Metric): Promise<Model> {
  const model: Model = new Map();
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric });
  const vectors = randomVectors(400, DIM, metric === 'l2' ? 11 : 12);
  const put = async (ids: number[], from: number): Promise<void> => {
    const entries = ids.map((id, i) => ({ id, vector: vectors[from + i] as Float32Array, metadata: id % 3 === 0 ? null : { id, tag: `t${id % 7}`, nested: { even: id % 2 === 0 } } }));
    await db.ingestBatch(entries);
    for (const e of entries) model.set(e.id, { vector: e.vector, metadata: e.metadata });
  };
  const del = async (ids: number[]): Promise<void> => {
    await db.delete(ids);
    for (const id of ids) model.delete(id);
  };
  await put(Array.from({ length: 150 }, (_, i) => i), 0);
  await put(Array.from({ length: 100 }, (_, i) => 150 + i), 150);
  await put(Array.from({ length: 40 }, (_, i) => i * 5), 250); // replacements
  await del(Array.from({ length: 30 }, (_, i) => 1 + i * 7));
  await db.compact();
  await put(Array.from({ length: 50 }, (_, i) => 1000 + i), 290);
  await del([1000, 2, 150, 249]);
  await db.close();
  return model;
}

describe('RvfBytes reads what RvfDatabase wrote', () => {
  for (const metric of ['l2', 'cosine'] as const) {
    test(`${metric}: metadata, deletes and a compaction; same top 10 as the Node store`, async () => {
      const path = join(ROOT, `history-${metric}.rvf`);
      const model = await writeHistory(path, metric);
      const bytes = await RvfBytes.open(readFileSync(path));
      const db = await RvfDatabase.openReadonly(path);
      try {
        assert.equal(bytes.status().droppedTailBytes, 0);
        await assertAgree(bytes, db, model, metric, `${metric} store from bytes`);
      } finally {
        bytes.close();
        await db.close();
      }
    });
  }
});

describe('failure mode 5: bytes changed in memory, read by Node and native, written by Node, read back', () => {
  test('agreement at every step', async () => {
    const path = join(ROOT, 'roundtrip.rvf');
    const model = await writeHistory(path, 'l2');
    const original = readFileSync(path);
    const bytes = await RvfBytes.open(original);
    const added = randomVectors(60, DIM, 77);
    const big = '9007199254740993'; // over 2^53-1: results carry it as a string
    const entries = [
      ...Array.from({ length: 40 }, (_, i) => ({ id: 5000 + i, vector: added[i] as Float32Array, metadata: { from: 'browser', i } })),
      ...Array.from({ length: 19 }, (_, i) => ({ id: 3 + i * 10, vector: added[40 + i] as Float32Array, metadata: i % 2 ? null : { replaced: true } })),
    ];
    const before = bytes.status().epoch;
    const r = bytes.add([...entries, { id: big, vector: added[59] as Float32Array, metadata: { big: true } }]);
    assert.equal(r.epoch, before + 1, 'one commit');
    assert.equal(r.replaced, entries.filter((e) => model.has(e.id)).length);
    for (const e of entries) model.set(e.id, { vector: e.vector, metadata: e.metadata });
    const hit = bytes.query(added[59] as Float32Array, 1)[0];
    assert.equal(hit?.id, big, 'an id over 2^53-1 comes back as its decimal string');
    assert.deepEqual(hit?.metadata, { big: true });
    assert.equal(bytes.delete([big, 5000, 5001, 7, 999_999]).deleted, 4, 'ids that are not live are skipped');
    for (const id of [5000, 5001, 7]) model.delete(id);
    assert.equal(bytes.status().epoch, before + 2, 'one commit per call');

    const exported = bytes.bytes();
    assert.deepEqual(Buffer.from(exported.subarray(0, original.length)), original, 'append-only: the old bytes are a prefix');
    const out = join(ROOT, 'roundtrip-out.rvf');
    writeFileSync(out, exported);

    const ro = await RvfDatabase.openReadonly(out);
    await assertAgree(bytes, ro, model, 'l2', 'exported bytes in the Node reader');
    await ro.close();

    const nat = native.RvfDatabase.openReadonly(out);
    try {
      assert.equal(nat.status().totalVectors, model.size, 'native live count');
      const all = nat.query(QUERIES[0] as Float32Array, model.size + 20).map((x) => x.id);
      assert.deepEqual([...all].sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b), 'native live set');
      for (const [qi, q] of QUERIES.entries()) {
        const n = nat.query(q, K);
        const b = bytes.query(q, K);
        assert.deepEqual(n.map((x) => x.id), b.map((x) => x.id), `native vs bytes ids, query ${qi}`);
        n.forEach((x, i) => assert.ok(close(x.distance, (b[i] as { distance: number }).distance, ENGINE_TOL), `native vs bytes distance, query ${qi} rank ${i}`));
      }
    } finally {
      nat.close();
    }
    bytes.close();

    // The Node writer appends on top of what the bytes store wrote.
    const rw = await RvfDatabase.open(out);
    const more = randomVectors(10, DIM, 99);
    const moreEntries = more.map((v, i) => ({ id: 7000 + i, vector: v, metadata: { from: 'node' } }));
    await rw.ingestBatch(moreEntries);
    for (const e of moreEntries) model.set(e.id, { vector: e.vector, metadata: e.metadata });
    await rw.delete([5002, 3]);
    model.delete(5002);
    model.delete(3);
    await rw.close();

    const back = await RvfBytes.open(readFileSync(out));
    const ro2 = await RvfDatabase.openReadonly(out);
    try {
      await assertAgree(back, ro2, model, 'l2', 'Node writes read back from bytes');
    } finally {
      back.close();
      await ro2.close();
    }
  });
});

describe('damage', () => {
  test('a torn tail is dropped; a commit on top of it opens in the Node store', async () => {
    const path = join(ROOT, 'torn.rvf');
    const model = await writeHistory(path, 'l2');
    const good = readFileSync(path);
    const b1 = await RvfBytes.open(good);
    b1.add([{ id: 8000, vector: randomVectors(1, DIM, 5)[0] as Float32Array }]);
    const longer = b1.bytes();
    b1.close();
    // Everything but the last 5 bytes of the new commit's manifest: an unfinished commit.
    const torn = longer.subarray(0, longer.length - 5);
    const bytes = await RvfBytes.open(torn);
    assert.equal(bytes.status().droppedTailBytes, torn.length - good.length);
    assert.equal(bytes.status().fileSizeBytes, good.length);
    bytes.add([{ id: 8001, vector: randomVectors(1, DIM, 6)[0] as Float32Array, metadata: { after: 'tear' } }]);
    model.set(8001, { vector: randomVectors(1, DIM, 6)[0] as Float32Array, metadata: { after: 'tear' } });
    const out = join(ROOT, 'torn-out.rvf');
    writeFileSync(out, bytes.bytes());
    const ro = await RvfDatabase.openReadonly(out);
    try {
      await assertAgree(bytes, ro, model, 'l2', 'commit after a dropped tail');
    } finally {
      bytes.close();
      await ro.close();
    }
  });

  test('damaged committed bytes are ECORRUPT, as in the Node store', async () => {
    const path = join(ROOT, 'damaged.rvf');
    await writeHistory(path, 'l2');
    const db = await RvfDatabase.openReadonly(path);
    const vec = (await db.segments()).find((s) => s.type === 'vec');
    await db.close();
    assert.ok(vec);
    const damaged = Buffer.from(readFileSync(path));
    const at = vec.offset + 64 + 6 + 8 + 3; // inside the first row's floats
    damaged[at] = (damaged[at] as number) ^ 0x40;
    await assert.rejects(RvfBytes.open(damaged, { name: 'damaged.rvf' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ECORRUPT');
      assert.match(err.message, new RegExp(`damaged\\.rvf is damaged at byte ${vec.offset}\\b`));
      return true;
    });
    writeFileSync(join(ROOT, 'damaged-copy.rvf'), damaged);
    await assert.rejects(RvfDatabase.openReadonly(join(ROOT, 'damaged-copy.rvf')), { code: 'ECORRUPT' });
  });
});

describe('the browser bundle', () => {
  test('builds with one .wasm, no Node-only import, and its RvfBytes answers as the Node store does', async () => {
    const outdir = join(ROOT, 'bundle');
    const built = await buildInspector({ outdir });
    assert.equal(built.files.filter((f) => f.endsWith('.wasm')).length, 1, 'exactly one .wasm');
    for (const f of readdirSync(outdir).filter((x) => x.endsWith('.js'))) {
      const text = readFileSync(join(outdir, f), 'utf8');
      assert.doesNotMatch(text, /["']node:[a-z/_]+["']/, `${f} names no node: module`);
      assert.doesNotMatch(text, /better-sqlite3/, `${f} holds no SQLite`);
    }
    // Run the bundled code itself (shims for crc32, sha256 and Buffer included) on a store the Node side wrote.
    const path = join(ROOT, 'bundle.rvf');
    const model = await writeHistory(path, 'cosine');
    // The temp dir is outside the package: say the bundle is ESM, as dist/ (type: module) does.
    writeFileSync(join(ROOT, 'package.json'), '{"type":"module"}');
    const mod = (await import(pathToFileURL(join(outdir, 'rvf-browser.js')).href)) as typeof import('../server/inspector/page/rvf-browser.ts');
    await mod.loadEngine(readFileSync(join(outdir, 'rvf_wasm_bg.wasm')));
    const bytes = await mod.RvfBytes.open(readFileSync(path));
    const db = await RvfDatabase.openReadonly(path);
    try {
      await assertAgree(bytes, db, model, 'cosine', 'bundled RvfBytes');
      bytes.add([{ id: 9000, vector: QUERIES[0] as Float32Array, metadata: { bundled: true } }]);
      model.set(9000, { vector: QUERIES[0] as Float32Array, metadata: { bundled: true } });
      const out = join(ROOT, 'bundle-out.rvf');
      writeFileSync(out, bytes.bytes());
      const ro = await RvfDatabase.openReadonly(out);
      await assertAgree(bytes, ro, model, 'cosine', 'bundled commit in the Node reader');
      await ro.close();
    } finally {
      bytes.close();
      await db.close();
    }
  });

  test('a Node-only import fails the build, naming it', async () => {
    const dir = tempDir('rvf-bytes-bad-');
    const entry = join(dir, 'bad.ts');
    writeFileSync(entry, `import { MetadataCache } from ${JSON.stringify(join(process.cwd(), 'store/cache.ts'))};\nexport const c = MetadataCache;\n`);
    await assert.rejects(buildInspector({ outdir: join(dir, 'out'), entries: [entry] }), /Node-only module "(better-sqlite3|node:[a-z]+)"/);
  });
});

/**
 * The library API end to end, against real files, real SQLite and the real
 * WASM engine, with every expected answer computed by float64 brute force over
 * a JS model of what the store should hold (test/fixtures/api-model.ts).
 *
 * - persistence: answers survive close and a separate read-only process;
 * - metrics: l2 (squared), dotproduct (negative dot), cosine (1 - cos);
 * - derive (lineage and hash), export and compact;
 * - cache reconciliation: cache missing, garbage, behind, ahead of, and diverged from the file.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, openSync, closeSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { RvfDatabase, type Metric, type QueryResult, type StoreStatus } from '../store/index.ts';
import { finished, spawnFixture } from './helpers/child.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors, rng } from './helpers/random.ts';
import {
  assertSameResults,
  assertTopK,
  cacheFiles,
  matchingRows,
  Model,
  rankAll,
  rejectsWith,
  sha256File,
  type IdLike,
} from './fixtures/api-model.ts';

const DIM = 32;

interface ReaderOutput {
  status: StoreStatus;
  results: QueryResult[][];
  warnings: string[];
}

/** Runs test/fixtures/api-reader.ts: a new process that opens the store read-only. */
async function readInChild(dir: string, spec: { path: string; k: number; queries: Float32Array[]; filter?: object }): Promise<ReaderOutput> {
  const specPath = join(dir, `spec-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(specPath, JSON.stringify({ ...spec, queries: spec.queries.map((q) => Array.from(q)) }));
  const out = await finished(spawnFixture('api-reader.ts', [specPath]));
  assert.equal(out.code, 0, `reader child failed: ${out.stderr}`);
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `reader child printed no RESULT line; stdout=${out.stdout} stderr=${out.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as ReaderOutput;
}

async function queryAll(db: RvfDatabase, queries: Float32Array[], k: number, filter?: object): Promise<QueryResult[][]> {
  const out: QueryResult[][] = [];
  for (const q of queries) out.push(await db.query(q, k, filter ? { filter } : {}));
  return out;
}

function checkAgainstModel(results: QueryResult[][], queries: Float32Array[], k: number, metric: Metric, model: Model, label: string, filter?: Record<string, unknown>): void {
  const rows = filter ? matchingRows(model, filter) : [...model.rows.values()];
  queries.forEach((q, i) => assertTopK(results[i] as QueryResult[], rankAll(metric, q, rows), k, `${label} q${i}`, model));
}

function sameAll(a: QueryResult[][], b: QueryResult[][], eps: number, label: string): void {
  assert.equal(a.length, b.length, `${label}: query count`);
  a.forEach((r, i) => assertSameResults(r, b[i] as QueryResult[], eps, `${label} q${i}`));
}

/** Ingests entries in batches, mirroring them into the model. */
async function ingest(db: RvfDatabase, model: Model, entries: { id: IdLike; vector: Float32Array; metadata?: Record<string, unknown> | null }[], batch: number): Promise<void> {
  for (let i = 0; i < entries.length; i += batch) {
    const slice = entries.slice(i, i + batch);
    const res = await db.ingestBatch(slice);
    assert.equal(res.accepted, slice.length);
    for (const e of slice) model.upsert(e.id, e.vector, e.metadata);
  }
}

function metadataFor(i: number): Record<string, unknown> | null {
  if (i % 50 === 0) return null;
  return { i, name: `v${i}`, group: i % 5, flags: { even: i % 2 === 0 }, score: (i * 37) % 101 / 10 };
}

// ------------------------------------------------------------------ 1. persistence

for (const [metric, seed] of [['l2', 11], ['cosine', 12]] as const) {
  test(`persistence (${metric}): 2000 vectors in batches answer the same in a new read-only process and match brute force`, async () => {
    const dir = tempDir();
    const path = join(dir, `persist-${metric}.rvf`);
    const model = new Model();
    const db = await RvfDatabase.create(path, { dimensions: DIM, metric });
    const vectors = randomVectors(2000, DIM, seed);
    // Mostly small ids, some above 2^53 (returned as strings), given as strings and bigints.
    const entries = vectors.map((vector, i) => ({
      id: i < 1980 ? i * 7 + 3 : i % 2 === 0 ? (2n ** 62n + BigInt(i)).toString() : 2n ** 62n + BigInt(i),
      vector,
      metadata: metadataFor(i),
    }));
    await ingest(db, model, entries, 250);
    // Some deletes and replacements, so the file holds a journal and superseded rows.
    const doomed = entries.filter((_, i) => i % 97 === 5).map((e) => e.id);
    assert.equal((await db.delete(doomed)).deleted, doomed.length);
    doomed.forEach((id) => model.delete(id));
    const fresh = randomVectors(30, DIM, seed + 100);
    await ingest(db, model, fresh.map((vector, j) => ({ id: (entries[j * 13] as { id: IdLike }).id, vector, metadata: { replaced: j } })), 30);

    const status = await db.status();
    assert.equal(status.totalVectors, model.size);
    const queries = randomVectors(10, DIM, seed + 1);
    const here = await queryAll(db, queries, 10);
    checkAgainstModel(here, queries, 10, metric, model, `${metric} in-process`);
    const filter = { group: { $in: [1, 3] } };
    const hereFiltered = await queryAll(db, queries, 10, filter);
    checkAgainstModel(hereFiltered, queries, 10, metric, model, `${metric} in-process filtered`, filter);

    // A reader process while the writer still holds the store open.
    const during = await readInChild(dir, { path, k: 10, queries });
    assert.equal(during.status.readOnly, true);
    assert.equal(during.status.totalVectors, model.size);
    assert.equal(during.status.epoch, status.epoch);
    assert.equal(during.status.metric, metric);
    sameAll(here, during.results, 1e-6, `${metric} child while writer open`);

    await db.close();
    const after = await readInChild(dir, { path, k: 10, queries });
    assert.equal(after.status.epoch, status.epoch);
    assert.equal(after.status.totalVectors, model.size);
    assert.deepEqual(after.warnings, []);
    sameAll(here, after.results, 1e-6, `${metric} child after close`);
    const afterFiltered = await readInChild(dir, { path, k: 10, queries, filter });
    sameAll(hereFiltered, afterFiltered.results, 1e-6, `${metric} child after close, filtered`);

    // And a writer reopening in this process.
    const again = await RvfDatabase.open(path);
    checkAgainstModel(await queryAll(again, queries, 10), queries, 10, metric, model, `${metric} reopened`);
    assert.equal((await again.status()).metric, metric);
    await again.close();
  });
}

// ------------------------------------------------------------------ 2. metrics

test('metrics: l2 is squared euclidean, dotproduct is -dot, cosine is 1 - cos (full rankings vs float64 brute force)', async () => {
  const dir = tempDir();
  for (const metric of ['l2', 'dotproduct', 'cosine'] as const) {
    for (const dim of [7, 32]) {
      const next = rng(dim * 31 + metric.length);
      // Norms spread over two orders of magnitude, so the three metrics rank differently.
      const vectors = randomVectors(600, dim, dim + metric.length).map((v) => {
        const s = 10 ** (next() * 2 - 1);
        return v.map((x) => x * s);
      });
      const path = join(dir, `${metric}-${dim}.rvf`);
      const db = await RvfDatabase.create(path, { dimensions: dim, metric });
      const model = new Model();
      await ingest(db, model, vectors.map((vector, i) => ({ id: i, vector })), 600);
      const queries = randomVectors(4, dim, 1000 + dim).map((q, i) => q.map((x) => x * (i + 0.5)));
      for (const k of [600, 10]) {
        checkAgainstModel(await queryAll(db, queries, k), queries, k, metric, model, `${metric} dim ${dim} k ${k}`);
      }
      if (metric !== 'dotproduct') {
        // A stored vector is its own nearest neighbour, at distance ~0.
        const self = await db.query(vectors[5] as Float32Array, 1);
        assert.equal(self[0]?.id, 5);
        assert.ok(Math.abs(self[0]?.distance ?? 1) < 1e-5, `self distance ${self[0]?.distance}`);
      }
      await db.close();
      // The metric is recorded in the file; an open option cannot override it.
      const other: Metric = metric === 'l2' ? 'cosine' : 'l2';
      const reopened = await RvfDatabase.open(path, { metric: other });
      assert.equal((await reopened.status()).metric, metric);
      checkAgainstModel(await queryAll(reopened, queries, 50), queries, 50, metric, model, `${metric} dim ${dim} reopened`);
      await reopened.close();
    }
  }
});

// ------------------------------------------------------------------ 5. derive, export, compact

/** A parent store with deletes and replacements; returns it open with its model. */
async function buildParent(path: string, seed: number): Promise<{ db: RvfDatabase; model: Model }> {
  const db = await RvfDatabase.create(path, { dimensions: 16, metric: 'l2' });
  const model = new Model();
  const vectors = randomVectors(1000, 16, seed);
  await ingest(db, model, vectors.map((vector, i) => ({ id: i, vector, metadata: metadataFor(i) })), 200);
  const doomed = Array.from({ length: 100 }, (_, j) => j * 10 + 1);
  assert.equal((await db.delete(doomed)).deleted, 100);
  doomed.forEach((id) => model.delete(id));
  const fresh = randomVectors(50, 16, seed + 1);
  const res = await db.ingestBatch(fresh.map((vector, j) => ({ id: j * 10 + 2, vector, metadata: { replaced: j, nested: { deep: { x: j } } } })));
  assert.equal(res.replaced, 50);
  fresh.forEach((vector, j) => model.upsert(j * 10 + 2, vector, { replaced: j, nested: { deep: { x: j } } }));
  return { db, model };
}

test('derive: the child holds the same live vectors and metadata, and records parent path, epoch, file id and SHA-256', async () => {
  const dir = tempDir();
  const parentPath = join(dir, 'parent.rvf');
  const { db: parent, model } = await buildParent(parentPath, 21);
  const parentStatus = await parent.status();
  const parentHash = sha256File(parentPath);
  const childPath = join(dir, 'sub', 'child.rvf');
  const derived = await parent.derive(childPath);
  assert.equal(derived.totalVectors, model.size);
  assert.equal(sha256File(parentPath), parentHash, 'derive must not change the parent file');

  const child = await RvfDatabase.open(childPath);
  const cs = await child.status();
  assert.equal(cs.totalVectors, model.size);
  assert.notEqual(cs.fileId, parentStatus.fileId);
  assert.ok(cs.lineage, 'child has lineage');
  assert.equal(cs.lineage.parentPath, resolve(parentPath));
  assert.equal(cs.lineage.parentEpoch, parentStatus.epoch);
  assert.equal(cs.lineage.parentFileId, parentStatus.fileId);
  assert.equal(cs.lineage.parentHash, parentHash, 'parentHash is the SHA-256 of the parent file bytes');
  assert.equal(cs.lineage.depth, 1);
  assert.deepEqual(derived.lineage, cs.lineage);
  assert.equal(parentStatus.lineage, null);

  const queries = randomVectors(6, 16, 22);
  const fromParent = await queryAll(parent, queries, model.size);
  const fromChild = await queryAll(child, queries, model.size);
  checkAgainstModel(fromChild, queries, model.size, 'l2', model, 'child full ranking');
  sameAll(fromParent, fromChild, 0, 'parent vs child');
  const filter = { 'nested.deep.x': { $gte: 10 } };
  checkAgainstModel(await queryAll(child, queries, 20, filter), queries, 20, 'l2', model, 'child filtered', filter);

  // The child is independent of its parent.
  await child.ingestBatch([{ id: 5000, vector: new Float32Array(16).fill(0.5), metadata: { only: 'child' } }]);
  assert.equal((await parent.status()).totalVectors, model.size);
  assert.equal((await parent.query(new Float32Array(16).fill(0.5), 1))[0]?.id === 5000, false);

  // Grandchild: depth 2, hashed from the child's bytes at that moment.
  const childHash = sha256File(childPath);
  const childEpoch = (await child.status()).epoch;
  const grand = await child.derive(join(dir, 'grand.rvf'));
  assert.equal(grand.lineage.depth, 2);
  assert.equal(grand.lineage.parentHash, childHash);
  assert.equal(grand.lineage.parentEpoch, childEpoch);
  await child.close();

  // Lineage survives reopen (read-only too); deriving onto an existing file is refused.
  const childRo = await RvfDatabase.openReadonly(childPath);
  assert.deepEqual((await childRo.status()).lineage, cs.lineage);
  await childRo.close();
  await rejectsWith(parent.derive(childPath), 'EEXIST', 'derive onto an existing file');
  await parent.close();
});

test('export: the copy opens with identical answers, epoch and identity', async () => {
  const dir = tempDir();
  const path = join(dir, 'src.rvf');
  const { db, model } = await buildParent(path, 31);
  const status = await db.status();
  const exportPath = join(dir, 'out', 'copy.rvf');
  const res = await db.export(exportPath);
  assert.equal(res.totalVectors, model.size);
  assert.equal(res.fileSizeBytes, statSync(exportPath).size);
  await rejectsWith(db.export(path), 'EINVAL', 'export onto the store itself');
  await rejectsWith(db.export(exportPath), 'EEXIST', 'export onto an existing file');

  const copy = await RvfDatabase.openReadonly(exportPath);
  const cs = await copy.status();
  assert.equal(cs.totalVectors, model.size);
  assert.equal(cs.epoch, status.epoch);
  assert.equal(cs.fileId, status.fileId);
  assert.equal(cs.metric, 'l2');
  assert.equal(cs.deadSpaceRatio, 0);
  const queries = randomVectors(6, 16, 32);
  sameAll(await queryAll(db, queries, model.size), await queryAll(copy, queries, model.size), 0, 'source vs export');
  const filter = { $or: [{ group: 0 }, { replaced: { $lt: 5 } }] };
  const exported = await queryAll(copy, queries, 15, filter);
  sameAll(await queryAll(db, queries, 15, filter), exported, 0, 'source vs export, filtered');
  checkAgainstModel(exported, queries, 15, 'l2', model, 'export filtered', filter);
  await copy.close();
  await db.close();
});

test('compact: drops deleted and replaced rows (file shrinks, deadSpaceRatio 0) and keeps every live vector', async () => {
  const dir = tempDir();
  const path = join(dir, 'c.rvf');
  const { db, model } = await buildParent(path, 41);
  const before = await db.status();
  // 1000 original rows + 50 replacement rows in the file, 900 live.
  assert.ok(Math.abs(before.deadSpaceRatio - (1 - 900 / 1050)) < 1e-9, `deadSpaceRatio ${before.deadSpaceRatio}`);
  const queries = randomVectors(6, 16, 42);
  const answersBefore = await queryAll(db, queries, model.size);

  const res = await db.compact();
  const after = await db.status();
  assert.equal(after.totalVectors, model.size);
  assert.equal(after.deadSpaceRatio, 0);
  assert.ok(after.fileSizeBytes < before.fileSizeBytes, `file ${before.fileSizeBytes} -> ${after.fileSizeBytes}`);
  assert.equal(after.fileSizeBytes, statSync(path).size);
  assert.equal(res.bytesReclaimed, before.fileSizeBytes - after.fileSizeBytes);
  assert.ok(after.epoch > before.epoch, 'compaction is a commit');
  assert.equal(after.fileId, before.fileId);
  // The live rows alone: 900 x (8-byte id + 16 floats) must still be in the file.
  assert.ok(after.fileSizeBytes >= 900 * (8 + 16 * 4));

  const answersAfter = await queryAll(db, queries, model.size);
  sameAll(answersBefore, answersAfter, 0, 'before vs after compaction');
  checkAgainstModel(answersAfter, queries, model.size, 'l2', model, 'after compaction');

  // Writes keep working after compaction, and the result survives reopen.
  await db.ingestBatch([{ id: 77777, vector: new Float32Array(16).fill(0.25), metadata: { late: true } }]);
  model.upsert(77777, new Float32Array(16).fill(0.25), { late: true });
  await db.close();
  const ro = await RvfDatabase.openReadonly(path);
  assert.equal((await ro.status()).totalVectors, model.size);
  checkAgainstModel(await queryAll(ro, queries, model.size), queries, model.size, 'l2', model, 'compacted, reopened');
  await ro.close();
});

// ------------------------------------------------------------------ 6. cache reconciliation

const CQ = randomVectors(5, 16, 61);
const CFILTER = { group: { $in: [0, 2] } };

/** Every answer the cache takes part in: full ranking with metadata, and a filtered query. */
async function answers(db: RvfDatabase, model: Model): Promise<QueryResult[][]> {
  const full = await queryAll(db, CQ, model.size);
  const filtered = await queryAll(db, CQ, 10, CFILTER);
  checkAgainstModel(full, CQ, model.size, 'l2', model, 'full');
  checkAgainstModel(filtered, CQ, 10, 'l2', model, 'filtered', CFILTER);
  return [...full, ...filtered];
}

function removeCache(path: string): void {
  for (const f of cacheFiles(path)) rmSync(f);
}

function saveCache(path: string, tag: string): string[] {
  return cacheFiles(path).map((f) => {
    copyFileSync(f, `${f}.${tag}`);
    return f;
  });
}

function restoreCache(path: string, saved: string[], tag: string): void {
  removeCache(path);
  for (const f of saved) copyFileSync(`${f}.${tag}`, f);
}

test('cache: deleted cache files are rebuilt from the file (reader and writer) with identical answers', async () => {
  const dir = tempDir();
  const path = join(dir, 'cache-missing.rvf');
  const { db, model } = await buildParent(path, 51);
  const reference = await answers(db, model);
  await db.close();
  assert.ok(cacheFiles(path).length > 0, 'a writer leaves a cache beside the file');

  removeCache(path);
  const reader = await RvfDatabase.openReadonly(path);
  sameAll(reference, await answers(reader, model), 0, 'reader without cache');
  await reader.close();
  assert.equal(existsSync(`${path}.sqlite`), false, 'a reader does not create the cache');

  const warnings: string[] = [];
  const writer = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
  sameAll(reference, await answers(writer, model), 0, 'writer without cache');
  assert.ok(existsSync(`${path}.sqlite`), 'the writer recreated the cache');
  await writer.close();

  // The rebuilt cache is then shared by readers as is.
  const reader2 = await RvfDatabase.openReadonly(path);
  sameAll(reference, await answers(reader2, model), 0, 'reader with rebuilt cache');
  await reader2.close();
});

test('cache: a cache file with garbage in its first bytes is replaced; answers are identical', async () => {
  const dir = tempDir();
  const path = join(dir, 'cache-garbage.rvf');
  const { db, model } = await buildParent(path, 52);
  const reference = await answers(db, model);
  await db.close();

  const garbage = Buffer.alloc(512);
  const next = rng(53);
  for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(next() * 256);
  const smash = (): void => {
    const fd = openSync(`${path}.sqlite`, 'r+');
    writeSync(fd, garbage, 0, garbage.length, 0);
    closeSync(fd);
  };
  smash();
  const reader = await RvfDatabase.openReadonly(path);
  sameAll(reference, await answers(reader, model), 0, 'reader with garbage cache');
  await reader.close();

  const warnings: string[] = [];
  const writer = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
  sameAll(reference, await answers(writer, model), 0, 'writer with garbage cache');
  assert.ok(warnings.some((w) => /cache/.test(w)), `a rebuilt cache is reported: ${JSON.stringify(warnings)}`);
  // Writes after the rebuild land in the new cache.
  await writer.deleteByFilter({ group: 0 });
  for (const r of matchingRows(model, { group: 0 })) model.delete(r.id);
  const reference2 = await answers(writer, model);
  await writer.close();
  const reader2 = await RvfDatabase.openReadonly(path);
  sameAll(reference2, await answers(reader2, model), 0, 'reader after rebuild and delete');
  await reader2.close();
});

test('cache: a cache damaged past its header (pages overwritten) is rebuilt; answers are identical', async () => {
  const dir = tempDir();
  const path = join(dir, 'cache-pages.rvf');
  const { db, model } = await buildParent(path, 54);
  const reference = await answers(db, model);
  await db.close();
  const cachePath = `${path}.sqlite`;
  const size = statSync(cachePath).size;
  assert.ok(size > 8192, `cache is ${size} bytes`);
  // Keep the 100-byte SQLite header and the first page; overwrite everything after it.
  const fd = openSync(cachePath, 'r+');
  writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
  closeSync(fd);

  const reader = await RvfDatabase.openReadonly(path);
  sameAll(reference, await answers(reader, model), 0, 'reader with damaged cache pages');
  await reader.close();
  const writer = await RvfDatabase.open(path, { onWarning: () => undefined });
  sameAll(reference, await answers(writer, model), 0, 'writer with damaged cache pages');
  await writer.close();
});

test('cache: one overwritten page of the vectors table, the rest intact, is found at open and rebuilt', async () => {
  const dir = tempDir();
  const path = join(dir, 'cache-one-page.rvf');
  const { db, model } = await buildParent(path, 55);
  const reference = await answers(db, model);
  await db.close();
  const cachePath = `${path}.sqlite`;
  const probe = new Database(cachePath, { readonly: true });
  const pageSize = probe.pragma('page_size', { simple: true }) as number;
  const pages = (probe.prepare("SELECT pageno FROM dbstat WHERE name = 'vectors' ORDER BY pageno").pluck().all() as number[]).filter((p) => p > 1);
  probe.close();
  assert.ok(pages.length > 2, `the vectors table spans ${pages.length} pages`);
  const page = pages[pages.length >> 1] as number;
  const fd = openSync(cachePath, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
  // the header and cache_state read fine: only reading every page tells
  const check = new Database(cachePath, { readonly: true });
  assert.ok(check.prepare('SELECT epoch FROM cache_state').get(), 'cache_state still reads');
  check.close();
  const warnings: string[] = [];
  const writer = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
  assert.ok(warnings.some((w) => /cache/.test(w)), `the rebuild is reported: ${JSON.stringify(warnings)}`);
  sameAll(reference, await answers(writer, model), 0, 'writer after one damaged cache page');
  await writer.close();
});

test('cache: a cache behind the file is replayed forward (upserts, deletes, new ids)', async () => {
  const dir = tempDir();
  const path = join(dir, 'cache-behind.rvf');
  const { db, model } = await buildParent(path, 55);
  await db.close();
  const saved = saveCache(path, 'old');

  const writer = await RvfDatabase.open(path);
  await mutate(writer, model, 56);
  const reference = await answers(writer, model);
  await writer.close();

  restoreCache(path, saved, 'old');
  const reader = await RvfDatabase.openReadonly(path);
  sameAll(reference, await answers(reader, model), 0, 'reader with a cache behind the file');
  await reader.close();
  restoreCache(path, saved, 'old');
  const writer2 = await RvfDatabase.open(path);
  sameAll(reference, await answers(writer2, model), 0, 'writer with a cache behind the file');
  await writer2.close();
});

/**
 * Three commits that change what the cache must say: replaced metadata, deletes,
 * new ids. As many ids are added as deleted, so a row count alone cannot tell
 * a stale cache from a current one.
 */
async function mutate(db: RvfDatabase, model: Model, seed: number, extra = 0): Promise<void> {
  const vs = randomVectors(40 + extra, 16, seed);
  const live = [...model.rows.keys()].filter((id) => id % 3n === 0n).slice(0, 20);
  assert.equal(live.length, 20);
  const replacing = vs.slice(0, 20).map((vector, j) => ({ id: live[j] as bigint, vector, metadata: { group: 2, changedBy: seed, j } }));
  await db.ingestBatch(replacing);
  replacing.forEach((e) => model.upsert(e.id, e.vector, e.metadata));
  const doomed = [...model.rows.keys()].filter((id) => id % 7n === 3n).slice(0, 20 + extra);
  assert.equal((await db.delete(doomed)).deleted, doomed.length);
  doomed.forEach((id) => model.delete(id));
  const added = vs.slice(20).map((vector, j) => ({ id: 10_000 + seed * 100 + j, vector, metadata: { group: 0, addedBy: seed } }));
  await db.ingestBatch(added);
  added.forEach((e) => model.upsert(e.id, e.vector, e.metadata));
}

test('cache: a cache ahead of the file (older .rvf restored) is rolled back with a warning naming the epochs', async () => {
  const dir = tempDir();
  const path = join(dir, 'cache-ahead.rvf');
  const { db, model } = await buildParent(path, 57);
  const oldEpoch = (await db.status()).epoch;
  const oldReference = await answers(db, model);
  await db.close();
  const oldModel = model.clone();
  copyFileSync(path, `${path}.bak`);

  const writer = await RvfDatabase.open(path);
  await mutate(writer, model, 58);
  const newEpoch = (await writer.status()).epoch;
  assert.ok(newEpoch > oldEpoch);
  await writer.close();

  // Restore the older file, keep the newer cache.
  copyFileSync(`${path}.bak`, path);
  const saved = saveCache(path, 'new');

  const reader = await RvfDatabase.openReadonly(path);
  assert.equal((await reader.status()).epoch, oldEpoch);
  sameAll(oldReference, await answers(reader, oldModel), 0, 'reader with a cache ahead of the file');
  await reader.close();

  restoreCache(path, saved, 'new');
  const warnings: string[] = [];
  const reopened = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
  assert.equal((await reopened.status()).epoch, oldEpoch);
  sameAll(oldReference, await answers(reopened, oldModel), 0, 'writer with a cache ahead of the file');
  const w = warnings.find((m) => m.includes(String(newEpoch)) && m.includes(String(oldEpoch)));
  assert.ok(w, `a warning names cache epoch ${newEpoch} and file epoch ${oldEpoch}: ${JSON.stringify(warnings)}`);
  assert.match(w, /epoch/);
  // New commits after the rollback build on the older state.
  await mutate(reopened, oldModel, 59);
  const latest = await answers(reopened, oldModel);
  await reopened.close();
  const reader2 = await RvfDatabase.openReadonly(path);
  sameAll(latest, await answers(reader2, oldModel), 0, 'after rollback and new commits');
  await reader2.close();
});

for (const sameLayout of [false, true]) {
  const how = sameLayout
    ? 'same epoch and byte-identical manifests (equal-sized commits, different contents)'
    : 'same epoch, commits of different sizes';
  test(`cache: a cache that diverged from the file (${how}) is rebuilt from the file`, async () => {
    const dir = tempDir();
    const path = join(dir, 'cache-diverged.rvf');
    const { db, model } = await buildParent(path, 60);
    await db.close();
    copyFileSync(path, `${path}.bak`);
    const branchB = model.clone();

    // Branch A: three commits; keep its cache.
    const a = await RvfDatabase.open(path);
    await mutate(a, model, 61);
    const epochA = (await a.status()).epoch;
    await a.close();
    const savedA = saveCache(path, 'a');

    // Branch B from the same starting file: three different commits, same epoch.
    copyFileSync(`${path}.bak`, path);
    removeCache(path);
    const b = await RvfDatabase.open(path);
    await mutate(b, branchB, 62, sameLayout ? 0 : 3);
    assert.equal((await b.status()).epoch, epochA);
    const referenceB = await answers(b, branchB);
    await b.close();

    restoreCache(path, savedA, 'a');
    const reader = await RvfDatabase.openReadonly(path);
    sameAll(referenceB, await answers(reader, branchB), 0, 'reader with a diverged cache');
    await reader.close();
    restoreCache(path, savedA, 'a');
    const warnings: string[] = [];
    const writer = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
    sameAll(referenceB, await answers(writer, branchB), 0, 'writer with a diverged cache');
    assert.ok(warnings.some((m) => m.includes(String(epochA))), `diverged cache is reported: ${JSON.stringify(warnings)}`);
    await writer.close();
  });
}

/**
 * The exact-scan kernel (wasm/scan-kernel.wat, wasm/scan-store.ts) on real
 * files, the real engine and the real SQL child:
 * - the committed kernel bytes are what the source compiles to with wabt;
 * - distances within 1e-6 of a float64 brute force written here (absolute
 *   below 1, relative above: |d - ref| <= 1e-6 * max(1, |ref|)), for all three
 *   metrics, and the ranking is the float64 one with ties broken by id;
 * - near-ties and exact ties come out id for id the same from query,
 *   rvf_knn (SQL), rvf_distance and RvfBytes (the page's store);
 * - deleted and replaced rows never appear, filters give the exact filtered top k;
 * - the float32 error bound the re-ranking relies on holds on hard data;
 * - the engine ranks random data the same.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase, type QueryResult } from '../store/index.ts';
import { RvfBytes } from '../store/bytes-store.ts';
import type { Metric } from '../store/types.ts';
import { bytesModuleText, compileKernel, KERNEL_BYTES_MODULE } from '../wasm/build-kernel.ts';
import { kernelErrorBound, METRIC_CODE } from '../wasm/exact-distance.ts';
import { loadKernel } from '../wasm/kernel.ts';
import { ScanStore } from '../wasm/scan-store.ts';
import { candidates } from '../wasm/top-k.ts';
import { randomVectors, rng } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const METRICS: Metric[] = ['l2', 'dotproduct', 'cosine'];

/** The reference: float64 over the float32 values, written apart from the store's code. */
function reference(metric: Metric, a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    aa += x * x;
    bb += y * y;
    l2 += (x - y) * (x - y);
  }
  if (metric === 'l2') return l2;
  if (metric === 'dotproduct') return -dot;
  const denom = Math.sqrt(aa) * Math.sqrt(bb);
  return denom < 1e-10 ? 1 : 1 - dot / denom;
}

/** Exact top k of the model, float64, ties by id. */
function brute(model: Map<bigint, Float32Array>, q: Float32Array, k: number, metric: Metric, keep: (id: bigint) => boolean = () => true): { id: bigint; distance: number }[] {
  const all = [...model].filter(([id]) => keep(id)).map(([id, v]) => ({ id, distance: reference(metric, q, v) }));
  all.sort((x, y) => x.distance - y.distance || (x.id < y.id ? -1 : 1));
  return all.slice(0, k);
}

function assertMatches(actual: { id: bigint | string | number; distance: number }[], expected: { id: bigint; distance: number }[], label: string): void {
  assert.deepEqual(actual.map((r) => String(r.id)), expected.map((r) => String(r.id)), `${label}: ids`);
  actual.forEach((r, i) => {
    const want = (expected[i] as { distance: number }).distance;
    assert.ok(Math.abs(r.distance - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${label}: distance ${r.distance} vs float64 ${want}`);
  });
}

const asBig = (r: QueryResult): { id: bigint; distance: number } => ({ id: BigInt(r.id), distance: r.distance });

test('the committed kernel bytes are exactly what wasm/scan-kernel.wat compiles to with wabt, and hold SIMD instructions', async () => {
  const bytes = await compileKernel();
  assert.equal(readFileSync(KERNEL_BYTES_MODULE, 'utf8'), bytesModuleText(bytes), 'wasm/scan-kernel-bytes.ts is stale: npm run build:kernel');
  // 0xfd prefixes every simd128 instruction; v128.load is 0xfd 0x00.
  assert.ok(Buffer.from(bytes).includes(Buffer.from([0xfd, 0x00])), 'no v128.load in the kernel');
});

for (const dim of [384, 37]) {
  test(`ScanStore (dim ${dim}): all three metrics equal a float64 brute force, ids and distances, across several chunks`, async () => {
    const kernel = await loadKernel();
    const n = dim === 384 ? 6000 : 3000; // 6000 rows of 384 span three 4 MiB chunks
    const vectors = randomVectors(n, dim, 11);
    const queries = randomVectors(5, dim, 12);
    const ids = BigUint64Array.from({ length: n }, (_, i) => BigInt(i * 7 + 3));
    const model = new Map(Array.from(ids, (id, i) => [id, vectors[i] as Float32Array]));
    for (const metric of METRICS) {
      const store = new ScanStore(kernel, dim, metric);
      const flat = new Float32Array(n * dim);
      vectors.forEach((v, i) => flat.set(v, i * dim));
      store.ingest(flat, ids);
      for (const [qi, q] of queries.entries()) {
        const hits = store.query(q, 25);
        assertMatches(Array.from(hits.ids, (id, i) => ({ id, distance: hits.distances[i] as number })), brute(model, q, 25, metric), `${metric} q${qi}`);
      }
      // The raw engine (float32 throughout) ranks random data the same.
      const raw = kernel.engine.createStore(dim, metric);
      raw.ingest(flat, ids);
      const q = queries[0] as Float32Array;
      const a = store.query(q, 10);
      const b = raw.query(q, 10);
      assert.deepEqual(Array.from(a.ids), Array.from(b.ids), `${metric}: the engine ranks the same`);
      a.distances.forEach((d, i) => assert.ok(Math.abs(d - (b.distances[i] as number)) <= 1e-5 * Math.max(1, Math.abs(d)), `${metric}: engine distance ${b.distances[i]} vs ${d}`));
      raw.close();
      store.close();
    }
  });
}

test('two rows at a time or one: scan_range (every count, odd and even) and scan_list give each row the same float32 bits as a scan of that row alone', async () => {
  const kernel = await loadKernel();
  const engine = kernel.engine;
  for (const dim of [384, 37, 4, 1]) {
    const n4 = Math.ceil(dim / 4);
    const stride = n4 * 16;
    const n = 23;
    const rows = randomVectors(n, dim, 5 + dim);
    rows[3] = new Float32Array(dim); // a zero row: cosine's -inf case
    const q = (randomVectors(1, dim, 77)[0] as Float32Array);
    const qnorm = Math.fround(Math.sqrt(q.reduce((s, x) => s + x * x, 0)));
    for (const metric of METRICS) {
      engine.withAlloc(16 + stride * (n + 1) + n * 12 + 4, (raw) => {
        const base = (raw + 15) & ~15;
        const mem = new Float32Array(engine.wasm.memory.buffer);
        mem.fill(0, base >> 2, (base + stride * (n + 1)) >> 2);
        mem.set(q, base >> 2);
        rows.forEach((v, r) => mem.set(v, (base + stride * (r + 1)) >> 2));
        const first = base + stride;
        const out = base + stride * (n + 1);
        const ptrs = out + n * 4;
        const u32 = (): Uint32Array => new Uint32Array(engine.wasm.memory.buffer);
        const alone = rows.map((_v, r) => {
          u32()[ptrs >> 2] = first + r * stride;
          kernel.exports.scan_list(METRIC_CODE[metric], base, qnorm, ptrs, 1, n4, out);
          return new Uint32Array(engine.wasm.memory.buffer, out, 1)[0] as number;
        });
        for (let count = 1; count <= n; count++) {
          kernel.exports.scan_range(METRIC_CODE[metric], base, qnorm, first, count, n4, out);
          assert.deepEqual(Array.from(new Uint32Array(engine.wasm.memory.buffer, out, count)), alone.slice(0, count), `${metric} dim ${dim}: scan_range of ${count}`);
        }
        // a list in a scrambled order, even and odd lengths
        const order = Array.from({ length: n }, (_, i) => (i * 7) % n);
        for (const len of [n, n - 1, 2, 1]) {
          order.slice(0, len).forEach((r, i) => (u32()[(ptrs >> 2) + i] = first + r * stride));
          kernel.exports.scan_list(METRIC_CODE[metric], base, qnorm, ptrs, len, n4, out);
          assert.deepEqual(Array.from(new Uint32Array(engine.wasm.memory.buffer, out, len)), order.slice(0, len).map((r) => alone[r]), `${metric} dim ${dim}: scan_list of ${len}`);
        }
      });
    }
  }
  // sum_bytes (the bench's bandwidth floor) reads every 64-byte line once, whether their number is odd or even
  const values = randomVectors(1, 25 * 16, 3)[0] as Float32Array;
  engine.withAlloc(16 + values.byteLength, (raw) => {
    const base = (raw + 15) & ~15;
    new Float32Array(engine.wasm.memory.buffer).set(values, base >> 2);
    for (const lines of [1, 2, 3, 24, 25]) {
      const want = values.subarray(0, lines * 16).reduce((sum, x) => sum + x, 0);
      const got = kernel.exports.sum_bytes(base, lines * 64);
      assert.ok(Math.abs(got - want) <= 1e-4 * Math.max(1, Math.abs(want)), `sum_bytes of ${lines} lines: ${got} vs ${want}`);
    }
  });
});

test('the top-k pass over the kernel\'s not_above positions keeps exactly the rows the plain pass keeps', async () => {
  const kernel = await loadKernel();
  const engine = kernel.engine;
  const next = rng(4242);
  const shapes: [string, (i: number, n: number) => number][] = [
    ['random', () => 10 + next() * 50],
    ['falling (the first rows are the farthest)', (i, n) => n - i + next()],
    ['rising', (i) => i + next()],
    ['many ties', () => Math.floor(next() * 20)],
    ['NaN, infinities and huge values among them', () => {
      const r = next();
      return r < 0.01 ? Number.NaN : r < 0.02 ? Infinity : r < 0.03 ? -Infinity : r < 0.04 ? 3.4e38 : r * 100;
    }],
    ['mostly undecided', () => (next() < 0.9 ? Infinity : next())],
  ];
  const bounds = [{ relative: 1e-5, absolute: 0 }, { relative: 0, absolute: 0.5 }, { relative: 0, absolute: 0 }];
  for (const n of [4095, 4096, 4099, 10_007]) {
    for (const [name, value] of shapes) {
      const values = Float32Array.from({ length: n }, (_, i) => value(i, n));
      for (const k of [1, 10, 100]) {
        for (const bound of bounds) {
          engine.withAlloc(n * 8 + 16, (raw) => {
            const d = (raw + 15) & ~15;
            const d32 = new Float32Array(engine.wasm.memory.buffer, d, n);
            d32.set(values);
            let calls = 0;
            const notAbove = (limit: number): Uint32Array => {
              calls++;
              return new Uint32Array(engine.wasm.memory.buffer, d + n * 4, kernel.exports.not_above(d, n, limit, d + n * 4));
            };
            const fast = candidates(d32, k, bound, notAbove);
            assert.deepEqual(fast, candidates(d32, k, bound), `${name}, n ${n}, k ${k}, bound ${JSON.stringify(bound)}`);
            if (name === 'random' && n > 4096 && k === 10) assert.equal(calls, 1, 'the kernel pass was used');
          });
        }
      }
    }
  }
  // and the kernel's own test, lane by lane, against JavaScript's
  engine.withAlloc(64 * 8 + 16, (raw) => {
    const d = (raw + 15) & ~15;
    const special = [Number.NaN, Infinity, -Infinity, 0, -0, 1, 2, 2.5, 3, 3.4e38, 1e-40];
    for (let count = 0; count <= 23; count++) {
      const values = Float32Array.from({ length: count }, (_, i) => special[(i * 7 + count) % special.length] as number);
      new Float32Array(engine.wasm.memory.buffer, d, count).set(values);
      for (const limit of [2, 2.5, Infinity, -Infinity, 0]) {
        const got = Array.from(new Uint32Array(engine.wasm.memory.buffer, d + 64 * 4, kernel.exports.not_above(d, count, limit, d + 64 * 4)));
        const want = [...values.keys()].filter((i) => !((values[i] as number) > limit) || values[i] === Infinity);
        assert.deepEqual(got, want, `count ${count}, limit ${limit}`);
      }
    }
  });
});

test('the float32 error bound holds on hard data (wide magnitudes, cancellation), so re-ranking in float64 never misses a row', async () => {
  const kernel = await loadKernel();
  const dim = 384;
  const next = rng(99);
  const n = 400;
  // Elements over 12 orders of magnitude, and vectors that nearly cancel the query.
  const q = Float32Array.from({ length: dim }, () => (next() * 2 - 1) * 10 ** Math.floor(next() * 6 - 3));
  const rows = Array.from({ length: n }, (_, r) =>
    Float32Array.from({ length: dim }, (_, i) => (r % 3 === 0 ? -(q[i] as number) * (1 + next() * 1e-3) : (next() * 2 - 1) * 10 ** Math.floor(next() * 12 - 6))),
  );
  const maxNorm2 = Math.max(...rows.map((v) => v.reduce((s, x) => s + x * x, 0)));
  const engine = kernel.engine;
  const n4 = dim / 4;
  for (const metric of METRICS) {
    engine.withAlloc(16 + dim * 4 * (n + 1) + n * 4, (raw) => {
      const base = (raw + 15) & ~15;
      const mem = new Float32Array(engine.wasm.memory.buffer);
      mem.set(q, base >> 2);
      rows.forEach((v, r) => mem.set(v, (base >> 2) + (r + 1) * dim));
      const out = base + dim * 4 * (n + 1);
      const qnorm = Math.sqrt(q.reduce((s, x) => s + x * x, 0));
      kernel.exports.scan_range(METRIC_CODE[metric], base, Math.fround(qnorm), base + dim * 4, n, n4, out);
      const d32 = new Float32Array(engine.wasm.memory.buffer, out, n);
      const bound = kernelErrorBound(metric, dim, qnorm, Math.fround(maxNorm2));
      rows.forEach((v, r) => {
        const d = d32[r] as number;
        if (!Number.isFinite(d)) return; // undecided rows are always re-ranked
        const exact = reference(metric, q, v);
        assert.ok(Math.abs(d - exact) <= bound.relative * Math.abs(exact) + bound.absolute, `${metric} row ${r}: float32 ${d} vs ${exact}, bound ${JSON.stringify(bound)}`);
      });
    });
  }
});

/**
 * Rows that tie exactly (duplicates under shuffled ids) and rows a float32
 * ulp apart (near-ties whose order float32 summation could swap), plus noise.
 */
function tieRows(dim: number): { id: bigint; vector: Float32Array }[] {
  const next = rng(5);
  const base = Float32Array.from({ length: dim }, () => next() * 2 - 1);
  const out: { id: bigint; vector: Float32Array }[] = [];
  const ids = Array.from({ length: 60 }, (_, i) => BigInt(1000 - i * 13)); // descending: file order is not id order
  ids.forEach((id, i) => {
    const v = Float32Array.from(base);
    if (i >= 20) {
      // Nudge one element by one ulp, at a different place per row.
      const at = (i * 37) % dim;
      const x = v[at] as number;
      const bits = new Uint32Array(Float32Array.of(x).buffer);
      bits[0] = (bits[0] as number) + (i % 2 === 0 ? 1 : -1);
      v[at] = new Float32Array(bits.buffer)[0] as number;
    }
    out.push({ id, vector: v });
  });
  for (let i = 0; i < 200; i++) out.push({ id: BigInt(5000 + i), vector: Float32Array.from({ length: dim }, () => next() * 2 - 1) });
  return out;
}

for (const metric of METRICS) {
  test(`near-ties and exact ties (${metric}): query, rvf_knn, rvf_distance and RvfBytes agree id for id and bit for bit, in float64 order with ties by id`, async () => {
    const dir = tempDir();
    const dim = 64;
    const rows = tieRows(dim);
    const db = await RvfDatabase.create(join(dir, 'ties.rvf'), { dimensions: dim, metric });
    try {
      // Two commits, so rows come from two VEC segments.
      await db.ingestBatch(rows.slice(0, 130).map((r) => ({ id: r.id, vector: r.vector })));
      await db.ingestBatch(rows.slice(130).map((r) => ({ id: r.id, vector: r.vector })));
      const model = new Map(rows.map((r) => [r.id, r.vector]));
      // The query sits near the shared base, so the ties are the nearest rows.
      const q = Float32Array.from(rows[0]?.vector as Float32Array, (x, i) => x + (i % 5 === 0 ? 1e-3 : 0));
      const k = 50;
      const expected = brute(model, q, k, metric);
      const viaQuery = (await db.query(q, k)).map(asBig);
      assertMatches(viaQuery, expected, 'query');
      const sql = await runQuery(db, 'sql', 'SELECT id, distance FROM rvf_knn(?, ?)', [Array.from(q), k], { write: false });
      const viaSql = sql.rows.map((r) => ({ id: BigInt(r[0] as bigint), distance: Number(r[1]) }));
      assert.deepEqual(viaSql, viaQuery, 'rvf_knn equals query, id for id and bit for bit');
      for (const hit of viaQuery.slice(0, 10)) {
        const d = await runQuery(db, 'sql', 'SELECT rvf_distance(?, ?)', [hit.id.toString(), Array.from(q)], { write: false });
        assert.equal(Number(d.rows[0]?.[0]), hit.distance, `rvf_distance of ${hit.id} equals its rvf_knn distance`);
      }
      const bytes = await RvfBytes.open(readFileSync(join(dir, 'ties.rvf')), { name: 'ties.rvf' });
      try {
        assert.deepEqual(bytes.query(q, k).map(asBig), viaQuery, 'RvfBytes (the page) equals query');
      } finally {
        bytes.close();
      }
    } finally {
      await db.close();
    }
  });
}

test('deletes and upserts: a deleted or replaced row never appears, before and after reopen and compaction', async () => {
  const dir = tempDir();
  const dim = 48;
  const path = join(dir, 'churn.rvf');
  const vectors = randomVectors(3000, dim, 21);
  const db = await RvfDatabase.create(path, { dimensions: dim, metric: 'l2' });
  const model = new Map<bigint, Float32Array>();
  try {
    for (let start = 0; start < 3000; start += 1000) {
      const batch = vectors.slice(start, start + 1000).map((vector, j) => ({ id: start + j, vector }));
      await db.ingestBatch(batch);
      for (const e of batch) model.set(BigInt(e.id), e.vector);
    }
    const q = randomVectors(1, dim, 22)[0] as Float32Array;
    // Delete the current top 40 and every third id, then move 100 rows next to the query under new vectors.
    const doomed = [...brute(model, q, 40, 'l2').map((r) => r.id), ...Array.from({ length: 1000 }, (_, i) => BigInt(i * 3))];
    await db.delete(doomed.map(String));
    for (const id of doomed) model.delete(id);
    const moved = [...model.keys()].slice(0, 100);
    const near = moved.map((id, j) => ({ id: Number(id), vector: Float32Array.from(q, (x, i) => x + (i === j % dim ? 0.01 * (j + 1) : 0)) }));
    await db.ingestBatch(near);
    for (const e of near) model.set(BigInt(e.id), e.vector);
    const check = async (d: RvfDatabase, label: string): Promise<void> => {
      const got = (await d.query(q, 150)).map(asBig);
      assertMatches(got, brute(model, q, 150, 'l2'), label);
      for (const id of doomed) assert.ok(!got.some((r) => r.id === id), `${label}: deleted ${id} appeared`);
    };
    await check(db, 'after churn');
    await db.compact();
    await check(db, 'after compaction');
  } finally {
    await db.close();
  }
  const reader = await RvfDatabase.openReadonly(path);
  try {
    const q = randomVectors(1, dim, 22)[0] as Float32Array;
    assertMatches((await reader.query(q, 150)).map(asBig), brute(model, q, 150, 'l2'), 'reopened');
  } finally {
    await reader.close();
  }
});

test('filters: the filtered top k is exactly the float64 top k among matching rows, selective or broad, through query and rvf_knn', async () => {
  const dir = tempDir();
  const dim = 32;
  const vectors = randomVectors(2000, dim, 31);
  const db = await RvfDatabase.create(join(dir, 'filters.rvf'), { dimensions: dim, metric: 'cosine' });
  try {
    await db.ingestBatch(vectors.map((vector, i) => ({ id: i, vector, metadata: { group: i % 50, even: i % 2 === 0 } })));
    const model = new Map(vectors.map((v, i) => [BigInt(i), v]));
    const q = randomVectors(1, dim, 32)[0] as Float32Array;
    const cases: [unknown, (id: bigint) => boolean][] = [
      [{ group: 7 }, (id) => id % 50n === 7n],
      [{ even: true }, (id) => id % 2n === 0n],
      [{ group: { $in: [1, 2, 3] } }, (id) => [1n, 2n, 3n].includes(id % 50n)],
    ];
    for (const [filter, keep] of cases) {
      const expected = brute(model, q, 30, 'cosine', keep);
      const got = (await db.query(q, 30, { filter })).map(asBig);
      assertMatches(got, expected, `query ${JSON.stringify(filter)}`);
      const sql = await runQuery(db, 'sql', 'SELECT id, distance FROM rvf_knn(?, 30, ?)', [Array.from(q), JSON.stringify(filter)], { write: false });
      assert.deepEqual(sql.rows.map((r) => ({ id: BigInt(r[0] as bigint), distance: Number(r[1]) })), got, `rvf_knn ${JSON.stringify(filter)}`);
    }
  } finally {
    await db.close();
  }
});

test('cosine: a stored zero vector is at distance 1, as the engine has it', async () => {
  const kernel = await loadKernel();
  const store = new ScanStore(kernel, 8, 'cosine');
  store.ingest(new Float32Array(16).fill(0.5, 8), BigUint64Array.of(1n, 2n));
  const hits = store.query(Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0), 2);
  assert.deepEqual(Array.from(hits.ids), [2n, 1n]);
  assert.equal(hits.distances[1], 1);
  const raw = kernel.engine.createStore(8, 'cosine');
  raw.ingest(new Float32Array(16).fill(0.5, 8), BigUint64Array.of(1n, 2n));
  assert.equal(raw.query(Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0), 2).distances[1], 1);
  raw.close();
  store.close();
});

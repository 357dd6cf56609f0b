import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { RvfDatabase, RvfError } from '../store/index.ts';
import { engineExportOf } from './helpers/engine-export.ts';
import { tempDir } from './helpers/temp.ts';
import { rng } from './helpers/random.ts';

/** Exports a raw engine store of `count` vectors with the engine's own rvf_store_export. */
async function engineExport(count: number, dimensions: number, seed: number): Promise<{ bytes: Buffer; vectors: Float32Array }> {
  const next = rng(seed);
  const vectors = Float32Array.from({ length: count * dimensions }, () => next() * 2 - 1);
  const bytes = await engineExportOf(dimensions, 0, vectors, BigUint64Array.from({ length: count }, (_, i) => BigInt(i)));
  return { bytes, vectors };
}

test('an engine export of more than 65,535 vectors imports every vector, not the u16 count it states', async () => {
  const count = 70_000;
  const dim = 2;
  const { bytes, vectors } = await engineExport(count, dim, 7);
  assert.equal(bytes.readUInt16LE(64), count % 65_536, 'the export itself states the wrapped count');
  const path = join(tempDir(), 'imported.rvf');
  const db = await RvfDatabase.importEngineExport(bytes, path, { metric: 'l2' });
  try {
    assert.equal((await db.status()).totalVectors, count);
    for (const i of [0, 65_535, 65_536, 69_999]) {
      const v = vectors.subarray(i * dim, (i + 1) * dim);
      const [hit] = await db.query(v, 1);
      assert.equal(hit?.id, i);
      assert.ok((hit?.distance ?? 1) < 1e-12);
    }
  } finally {
    await db.close();
  }
});

test('a damaged or foreign buffer is refused as an engine export and creates nothing', async () => {
  const { bytes } = await engineExport(10, 3, 11);
  const dir = tempDir();
  const cases: [string, Buffer][] = [
    ['truncated', bytes.subarray(0, bytes.length - 30)],
    ['random', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff))],
    ['count disagrees', (() => { const b = Buffer.from(bytes); b.writeUInt16LE(9, 64); return b; })()],
    ['trailing bytes', Buffer.concat([bytes, Buffer.alloc(5)])],
  ];
  for (const [name, buf] of cases) {
    const path = join(dir, `${name.replace(/ /g, '-')}.rvf`);
    await assert.rejects(RvfDatabase.importEngineExport(buf, path), (err: unknown) => err instanceof RvfError && err.code === 'EINVAL', name);
    await assert.rejects(RvfDatabase.openReadonly(path), (err: unknown) => err instanceof RvfError && err.code === 'ENOENT', `${name}: nothing created`);
  }
});

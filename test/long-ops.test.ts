import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { test } from 'node:test';
import { RvfDatabase } from '../store/index.ts';
import { expectRvfError } from './helpers/assertions.ts';
import { randomVectors } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 256;
const COUNT = 12_000; // ~12 MiB of rows: several chunks, so the copy yields between them

async function storeWithData(): Promise<{ db: RvfDatabase; path: string }> {
  const path = join(tempDir(), 'long.rvf');
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  const vectors = randomVectors(COUNT, DIM, 99);
  for (let start = 0; start < COUNT; start += 4000) {
    await db.ingestBatch(vectors.slice(start, start + 4000).map((vector, i) => ({ id: start + i, vector, metadata: { n: start + i } })));
  }
  await db.delete(Array.from({ length: 1000 }, (_, i) => i * 3));
  return { db, path };
}

function tempFiles(path: string): string[] {
  return readdirSync(dirname(path)).filter((n) => n.startsWith(`.${basename(path)}.`) || n.startsWith(`.child.rvf.`));
}

test('compact, derive and export report progress up to the live count', async () => {
  const { db, path } = await storeWithData();
  try {
    const live = (await db.status()).totalVectors;
    for (const [name, run] of [
      ['derive', (p: (d: number, t: number) => void) => db.derive(join(dirname(path), 'child.rvf'), { onProgress: p })],
      ['export', (p: (d: number, t: number) => void) => db.export(join(dirname(path), 'copy.rvf'), { onProgress: p })],
      ['compact', (p: (d: number, t: number) => void) => db.compact({ onProgress: p })],
    ] as const) {
      const seen: [number, number][] = [];
      await run((done, total) => seen.push([done, total]));
      assert.ok(seen.length >= 2, `${name}: progress reported ${seen.length} times`);
      assert.ok(seen.every(([, total]) => total === live), `${name}: total is the live count`);
      assert.ok(seen.every(([d], i) => i === 0 || d >= (seen[i - 1] as [number, number])[0]), `${name}: progress never goes back`);
      assert.deepEqual(seen.at(-1), [live, live], `${name}: ends at the live count`);
    }
  } finally {
    await db.close();
  }
});

test('an aborted compaction, derive or export changes nothing and leaves no temporary file', async () => {
  const { db, path } = await storeWithData();
  try {
    const before = await db.status();
    const size = statSync(path).size;
    for (const when of ['before', 'midway'] as const) {
      const abortAt = (controller: AbortController) => (done: number) => {
        if (when === 'midway' && done > 0) controller.abort();
      };
      let c = new AbortController();
      if (when === 'before') c.abort();
      await expectRvfError(db.compact({ signal: c.signal, onProgress: abortAt(c) }), 'ECANCELED', `compact ${when}`);
      c = new AbortController();
      if (when === 'before') c.abort();
      await expectRvfError(db.derive(join(dirname(path), 'child.rvf'), { signal: c.signal, onProgress: abortAt(c) }), 'ECANCELED', `derive ${when}`);
      c = new AbortController();
      if (when === 'before') c.abort();
      await expectRvfError(db.export(join(dirname(path), 'copy.rvf'), { signal: c.signal, onProgress: abortAt(c) }), 'ECANCELED', `export ${when}`);
      assert.deepEqual(await db.status(), before, `${when}: status unchanged`);
      assert.equal(statSync(path).size, size, `${when}: file unchanged`);
      assert.equal(existsSync(join(dirname(path), 'child.rvf')), false, `${when}: no child`);
      assert.equal(existsSync(join(dirname(path), 'copy.rvf')), false, `${when}: no copy`);
      assert.deepEqual(tempFiles(path), [], `${when}: no temporary file left`);
    }
    // And the store still works: the next compaction completes.
    const done = await db.compact();
    assert.equal(done.epoch, before.epoch + 1);
  } finally {
    await db.close();
  }
});

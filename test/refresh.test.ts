import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RvfDatabase, type QueryResult } from '../store/index.ts';
import { randomVectors } from './helpers/random.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 12;
const vectors = randomVectors(400, DIM, 5150);
const probe = randomVectors(3, DIM, 77);

/** Everything a handle answers: every live vector ranked from three probes, with metadata. */
async function answers(db: RvfDatabase): Promise<{ epoch: number; live: number; results: QueryResult[][] }> {
  const s = await db.status();
  const results: QueryResult[][] = [];
  for (const q of probe) results.push(await db.query(q, Math.max(1, s.totalVectors)));
  return { epoch: s.epoch, live: s.totalVectors, results };
}

const entry = (id: number, version = 0) => ({ id, vector: vectors[(id + version * 37) % vectors.length] as Float32Array, metadata: { id, version } });

test('a reader catches up with a writer: appended commits, replacements, deletes, then a compaction', async () => {
  const path = join(tempDir(), 'shared.rvf');
  const writer = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await writer.ingestBatch(Array.from({ length: 100 }, (_, i) => entry(i)));
  const reader = await RvfDatabase.openReadonly(path);
  try {
    assert.equal(await reader.refresh(), false, 'nothing changed yet');
    assert.deepEqual(await answers(reader), await answers(writer));

    await writer.ingestBatch(Array.from({ length: 60 }, (_, i) => entry(80 + i, 1))); // 20 replaced, 40 new
    await writer.delete([1, 2, 3, 81]);
    await writer.deleteByFilter({ id: { $gte: 130 } });
    await writer.ingestBatch([entry(2, 2)]); // a deleted id comes back
    const before = await reader.status();
    assert.equal(before.totalVectors, 100, 'without refresh the reader still sees its epoch');
    assert.equal(await reader.refresh(), true);
    assert.deepEqual(await answers(reader), await answers(writer), 'after appended commits');
    assert.equal(await reader.refresh(), false, 'a second refresh finds nothing new');

    await writer.compact();
    assert.equal(await reader.refresh(), true, 'the compacted file is a new epoch');
    assert.deepEqual(await answers(reader), await answers(writer), 'after the file was replaced');

    await writer.ingestBatch([entry(300, 3)]);
    assert.equal(await reader.refresh(), true);
    assert.deepEqual(await answers(reader), await answers(writer), 'appending to the compacted file');
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a commit that is only partly written is invisible to refresh until it is whole', async () => {
  const dir = tempDir();
  const source = join(dir, 'source.rvf');
  const writer = await RvfDatabase.create(source, { dimensions: DIM, metric: 'cosine' });
  await writer.ingestBatch(Array.from({ length: 50 }, (_, i) => entry(i)));
  const base = readFileSync(source);
  await writer.ingestBatch(Array.from({ length: 30 }, (_, i) => entry(40 + i, 1)));
  const after = await answers(writer);
  const next = readFileSync(source).subarray(base.length);
  await writer.close();

  const copy = join(dir, 'copy.rvf');
  writeFileSync(copy, base);
  const reader = await RvfDatabase.openReadonly(copy);
  try {
    const start = await answers(reader);
    for (const cut of [1, 64, Math.floor(next.length / 2), next.length - 1]) {
      writeFileSync(copy, Buffer.concat([base, next.subarray(0, cut)]));
      assert.equal(await reader.refresh(), false, `${cut} bytes of the commit: nothing committed`);
      assert.deepEqual(await answers(reader), start, `${cut} bytes: answers unchanged`);
    }
    appendFileSync(copy, next.subarray(next.length - 1));
    assert.equal(await reader.refresh(), true, 'the whole commit is there');
    assert.deepEqual(await answers(reader), after);
  } finally {
    await reader.close();
  }
});

test('a reader sharing the writer cache follows it commit by commit', async () => {
  const path = join(tempDir(), 's.rvf');
  const writer = await RvfDatabase.create(path, { dimensions: DIM, metric: 'dotproduct' });
  await writer.ingestBatch(Array.from({ length: 40 }, (_, i) => entry(i)));
  const shared = await RvfDatabase.openReadonly(path);
  try {
    for (let round = 0; round < 5; round++) {
      await writer.ingestBatch(Array.from({ length: 10 }, (_, i) => entry(round * 7 + i, round + 1)));
      await writer.delete([round * 5]);
      assert.equal(await shared.refresh(), true, `round ${round}`);
      assert.deepEqual(await answers(shared), await answers(writer), `round ${round}`);
    }
  } finally {
    await shared.close();
    await writer.close();
  }
});

test('a private cache left in the temp directory by a killed reader is removed by the next private cache', async () => {
  const { spawnSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const orphan = join(tmpdir(), `rvf-private-${dead}-0123456789ab.sqlite`);
  const mine = join(tmpdir(), `rvf-private-${process.pid}-0123456789ab.sqlite`);
  writeFileSync(orphan, 'left by a killed reader');
  writeFileSync(mine, 'this process is alive');
  const dir = tempDir();
  const path = join(dir, 'p.rvf');
  const writer = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await writer.ingestBatch([entry(1)]);
  await writer.close();
  const { rmSync } = await import('node:fs');
  rmSync(`${path}.sqlite`); // the reader finds no shared cache: it makes a private one
  const reader = await RvfDatabase.openReadonly(path);
  try {
    assert.equal(existsSync(orphan), false, 'the dead reader\'s private cache is gone');
    assert.equal(existsSync(mine), true, 'a live process\'s private cache is left alone');
  } finally {
    await reader.close();
    rmSync(mine, { force: true });
  }
});

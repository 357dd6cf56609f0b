/**
 * The whole-store temp files that compaction, derive and export write before
 * giving them their names: none is left behind by a failure, and one a killed
 * process left is removed by the next writer in its directory (a derive's
 * temp is named after a store no writer would ever open).
 * Real stores, a real child process killed with SIGKILL.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { RvfDatabase } from '../store/index.ts';
import { lockPathFor } from '../store/lease.ts';
import { expectRvfError } from './helpers/assertions.ts';
import { finished, spawnFixture, waitForLine } from './helpers/child.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 64;
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const temps = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));

async function storeOf(path: string, rows: number): Promise<RvfDatabase> {
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  for (let start = 0; start < rows; start += 5_000) {
    await db.ingestBatch(Array.from({ length: 5_000 }, (_, i) => ({ id: start + i, vector: Float32Array.from({ length: DIM }, (_, d) => Math.sin(start + i + d)) })));
  }
  return db;
}

test('a compaction that finds its lease gone leaves no copy of the store behind', async () => {
  const dir = tempDir('rvf-temp-compact-');
  const path = join(dir, 's.rvf');
  const db = await storeOf(path, 5_000);
  // another process broke the lock (as a takeover does): the copy is written, then the lease check refuses it
  writeFileSync(lockPathFor(path), 'not our lock');
  await expectRvfError(db.compact(), 'ELOCK');
  assert.deepEqual(temps(dir), [], 'the compaction removed its temp file');
  await db.close().catch(() => undefined);
});

test('a derive killed midway leaves its temp file; the next derive in the directory removes it', async () => {
  const dir = tempDir('rvf-temp-derive-');
  const path = join(dir, 'parent.rvf');
  const db = await storeOf(path, 40_000);
  await db.close();
  const child = spawnFixture('derive-killed.ts', [path, join(dir, 'never.rvf')]);
  children.push(child);
  const done = finished(child);
  await waitForLine(child, 'copying');
  child.kill('SIGKILL');
  await done;
  const left = temps(dir);
  assert.equal(left.length, 1, `the killed derive left its half-written copy: ${left.join(', ')}`);
  const parent = await RvfDatabase.openReadonly(path);
  await parent.derive(join(dir, 'other.rvf'));
  await parent.close();
  assert.deepEqual(temps(dir), [], 'the dead process\'s temp file is gone');
  const other = await RvfDatabase.openReadonly(join(dir, 'other.rvf'));
  assert.equal((await other.status()).totalVectors, 40_000);
  await other.close();
});

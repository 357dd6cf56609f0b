/**
 * A full disk, made for real: a small tmpfs mounted for the test (root only;
 * skipped where mounting is not allowed). A --write registry whose store's
 * lock file cannot be created still reads the store through a read-only
 * stand-in, refuses its writes with a sentence naming the full disk, leaves
 * no empty staging file of the lock behind, and writes again once space is
 * freed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StoreRegistry } from '../store/registry.ts';
import { RvfDatabase } from '../store/index.ts';
import { expectRvfError } from './helpers/assertions.ts';

// not under tempDir: its cleanup would run before the unmount
const root = mkdtempSync(join(tmpdir(), 'rvf-disk-full-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root], { stdio: 'ignore' });
  mounted = true;
} catch {
  // not root, or no mount in this sandbox
}
after(() => {
  if (mounted) execFileSync('umount', [root], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

test('a --write registry on a full disk reads its store, refuses writes by name, and writes once space is freed', { skip: mounted ? false : 'cannot mount a tmpfs here' }, async () => {
  const db = await RvfDatabase.create(join(root, 'notes.rvf'), { dimensions: 4 });
  await db.ingestBatch([{ id: 1, vector: new Float32Array([1, 0, 0, 0]), metadata: { k: 'kept' } }]);
  await db.close();
  // fill what is left of the disk
  let size = 256 * 1024;
  for (let i = 0; size >= 1; i++) {
    try {
      writeFileSync(join(root, `filler-${i}`), Buffer.alloc(size));
    } catch {
      size = Math.floor(size / 2);
    }
  }
  const registry = new StoreRegistry({ root, write: true, onWarning: () => undefined });
  try {
    const reader = await registry.get('notes');
    assert.equal(reader.readOnly, true);
    const [hit] = await reader.query([1, 0, 0, 0], 1);
    assert.deepEqual([hit?.id, hit?.metadata], [1, { k: 'kept' }]);
    const refused = await expectRvfError(reader.ingestBatch([{ id: 2, vector: new Float32Array([0, 1, 0, 0]) }]), 'EIO');
    assert.match(refused.message, /the disk is full, so the writer lease could not be taken; reads work, and writes once space is freed/);
    assert.deepEqual(readdirSync(root).filter((n) => n.includes('.lock')), [], 'no lock file or empty staging file of one is left');
    for (const name of readdirSync(root)) if (name.startsWith('filler')) rmSync(join(root, name));
    const writer = await registry.get('notes');
    assert.equal(writer.readOnly, false, 'the lease is taken once there is room');
    await writer.ingestBatch([{ id: 2, vector: new Float32Array([0, 1, 0, 0]) }]);
    assert.equal((await writer.status()).totalVectors, 2);
  } finally {
    await registry.closeAll();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ACTIVE_MS, CommitCount, REST_FACTOR, WorkPacer } from '../store/ann-pacing.ts';

/**
 * The index worker's pacing (store/ann-pacing.ts): it rests between slices of
 * work only while the store is committing, and the commit count it watches
 * is the store thread's, seen from another thread.
 */

test('the worker rests REST_FACTOR times its slice while commits come, not before the first and not once they stop', () => {
  let now = 1000;
  const commits = new CommitCount();
  const pacer = new WorkPacer(commits, () => now);
  assert.equal(pacer.restAfter(10), 0, 'no commit yet: a build after open runs flat out');
  commits.committed();
  assert.equal(pacer.restAfter(10), 10 * REST_FACTOR);
  now += ACTIVE_MS / 2;
  assert.equal(pacer.restAfter(4), 4 * REST_FACTOR, 'within ACTIVE_MS of the last commit seen');
  commits.committed();
  now += ACTIVE_MS - 1;
  assert.equal(pacer.restAfter(4), 4 * REST_FACTOR, 'a newer commit restarts the window');
  now += ACTIVE_MS;
  assert.equal(pacer.restAfter(10), 0, 'commits stopped');
  commits.committed();
  assert.equal(pacer.restAfter(10_000), 100, 'a long step (a sidecar load) is not followed by a long pause');
  assert.equal(pacer.restAfter(-1), 0);
});

test('a worker thread sees the commits the store thread counts', async () => {
  const commits = new CommitCount();
  for (let i = 0; i < 3; i++) commits.committed();
  const tsx = import.meta.resolve('tsx/esm/api');
  const module = new URL('../store/ann-pacing.ts', import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(tsx)})
      .then(({ register }) => { register(); return import(${JSON.stringify(module)}); })
      .then(({ CommitCount }) => {
        const seen = new CommitCount(workerData);
        parentPort.postMessage(seen.read());
        parentPort.once('message', () => parentPort.postMessage(seen.read()));
      });`;
  const worker = new Worker(code, { eval: true, workerData: commits.buffer });
  const next = (): Promise<number> => new Promise((resolve) => worker.once('message', resolve));
  try {
    assert.equal(await next(), 3);
    commits.committed();
    const after = next();
    worker.postMessage('again');
    assert.equal(await after, 4);
  } finally {
    await worker.terminate();
  }
});

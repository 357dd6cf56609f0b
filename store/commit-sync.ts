import { fdatasync, fdatasyncSync } from 'node:fs';

/**
 * The fdatasyncs of a commit (store/commit-log.ts), and the one test hook
 * that makes them fail. A failing fdatasync is what a dying disk or a full
 * thin-provisioned volume gives; it cannot be produced on purpose on a real
 * file system, so test/fdatasync-failure.test.ts sets `failingSyncForTests`
 * to check that such a commit is rolled back whole.
 */

/** Tests only: when `after` is a number, that many commit syncs pass, and the next one fails with EIO. */
export const failingSyncForTests: { after: number | undefined } = { after: undefined };

function injectedFailure(): Error | undefined {
  const hook = failingSyncForTests;
  if (hook.after === undefined) return undefined;
  if (hook.after > 0) {
    hook.after--;
    return undefined;
  }
  hook.after = undefined;
  return Object.assign(new Error('EIO: i/o error, fdatasync (injected by failingSyncForTests)'), { code: 'EIO' });
}

export function commitSync(fd: number): void {
  const failure = injectedFailure();
  if (failure) throw failure;
  fdatasyncSync(fd);
}

/** fdatasync on libuv's thread pool, so the main thread can work while the disk flushes. */
export function commitSyncInBackground(fd: number): Promise<void> {
  const failure = injectedFailure();
  if (failure) return Promise.reject(failure);
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

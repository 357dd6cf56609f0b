import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { crc32 } from 'node:zlib';
import { RvfError } from './errors.ts';
import { writeAll } from './file-io.ts';

/**
 * The writer lease: `<file>.lock` in the native runtime's lock format
 * (rvf-facts.md §2b), created with O_CREAT|O_EXCL, so this code and a native
 * writer exclude each other.
 *
 * Staleness. Our holders rewrite the timestamp every few seconds (a
 * heartbeat) and mark their writer id with "RVFM". The native runtime never
 * refreshes its timestamp, so an old timestamp alone says nothing about it.
 * A lock is taken over when:
 * - its holder is on this host and its process is gone (or a zombie), or is
 *   one of ours whose heartbeat is older than 30 s and whose pid now belongs
 *   to a process started since (reused); a live holder is never stale;
 * - it is one of ours on another host and its heartbeat is older than 30 s;
 * - it is a native one from another host older than 300 s (the native rule);
 * - it is not a lock record at all and is older than 2 s (a foreign writer
 *   killed between its O_EXCL create and its write; ours link a complete file).
 */

const LOCK_BYTES = 104;
const LOCK_MAGIC = 0x52564c46; // "RVLF"
const LOCK_VERSION = 1;
const OUR_MARK = Buffer.from('RVFM', 'latin1');
export const HEARTBEAT_MS = 5_000;
export const STALE_HEARTBEAT_MS = 30_000;
const STALE_FOREIGN_MS = 300_000;
const STALE_GARBAGE_MS = 2_000;

export interface LockHolder {
  pid: number;
  host: string;
  timestampMs: number;
  writerId: Buffer;
  ours: boolean;
}

export function lockPathFor(storePath: string): string {
  return `${storePath}.lock`;
}

/** This host's name as a lock records it: at most 62 bytes, so compare the same cut on both sides. */
function lockHostname(): string {
  return Buffer.from(hostname(), 'utf8').subarray(0, 62).toString('utf8');
}

function encodeLock(writerId: Buffer, host: string): Buffer {
  const b = Buffer.alloc(LOCK_BYTES);
  b.writeUInt32LE(LOCK_MAGIC, 0x00);
  b.writeUInt32LE(process.pid, 0x04);
  Buffer.from(host, 'utf8').subarray(0, 62).copy(b, 0x08);
  b.writeBigUInt64LE(BigInt(Date.now()) * 1_000_000n, 0x48);
  writerId.copy(b, 0x50);
  b.writeUInt32LE(LOCK_VERSION, 0x60);
  b.writeUInt32LE(crc32(b.subarray(0, 0x64)) >>> 0, 0x64);
  return b;
}

export function decodeLock(b: Buffer): LockHolder | undefined {
  if (b.length < LOCK_BYTES || b.readUInt32LE(0) !== LOCK_MAGIC) return undefined;
  if ((crc32(b.subarray(0, 0x64)) >>> 0) !== b.readUInt32LE(0x64)) return undefined;
  const hostBytes = b.subarray(0x08, 0x48);
  const nul = hostBytes.indexOf(0);
  const writerId = Buffer.from(b.subarray(0x50, 0x60));
  return {
    pid: b.readUInt32LE(0x04),
    host: hostBytes.toString('utf8', 0, nul === -1 ? 64 : nul),
    timestampMs: Number(b.readBigUInt64LE(0x48) / 1_000_000n),
    writerId,
    ours: writerId.subarray(0, 4).equals(OUR_MARK),
  };
}

/** Is process `pid` on this host alive? A zombie (killed, not yet reaped) counts as dead. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Clock slack between a heartbeat's timestamp and a process start read from /proc (boot time is in whole seconds). */
const PID_REUSE_MARGIN_MS = 2_000;

/**
 * Whether process `pid` started after `timeMs` (Unix ms), from its start in
 * /proc/<pid>/stat (clock ticks after boot, at the kernel's fixed USER_HZ of
 * 100) and the boot time in /proc/stat. Without /proc it cannot tell, and
 * says no: the lease then stays with the live pid.
 */
function startedAfter(pid: number, timeMs: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    if (!boot || !Number.isFinite(startTicks)) return false;
    return Number(boot[1]) * 1000 + startTicks * 10 > timeMs;
  } catch {
    return false;
  }
}

function staleReason(holder: LockHolder | undefined, mtimeMs: number, now: number): string | undefined {
  if (!holder) return now - mtimeMs > STALE_GARBAGE_MS ? 'not a lock record' : undefined;
  const age = now - holder.timestampMs;
  const here = lockHostname();
  if (holder.host === here) {
    if (!processAlive(holder.pid)) return `process ${holder.pid} is gone`;
    // A live holder here keeps its lease however long it is silent: a stopped (SIGSTOP, a debugger) or busy
    // process resumes mid-commit and writes where it left off, over whatever a new holder appended, which
    // destroyed the store. Its heartbeat only tells when the pid is another process now, started since.
    if (holder.ours && age > STALE_HEARTBEAT_MS && startedAfter(holder.pid, holder.timestampMs + PID_REUSE_MARGIN_MS)) {
      return `no heartbeat for ${Math.round(age / 1000)} s, and pid ${holder.pid} is a process started since`;
    }
    return undefined;
  }
  if (holder.ours && age > STALE_HEARTBEAT_MS) return `no heartbeat for ${Math.round(age / 1000)} s`;
  if (!holder.ours && holder.host !== here && age > STALE_FOREIGN_MS) return `lock from ${holder.host} is ${Math.round(age / 1000)} s old`;
  return undefined;
}

/**
 * Whether a writer that is not stale holds the lease of `storePath` now (a
 * lock being created counts). A reader uses it to tell a live writer's cache
 * side files from those a killed writer left behind.
 */
export function heldByLiveWriter(storePath: string): boolean {
  try {
    const observed = readLock(lockPathFor(storePath));
    return observed !== undefined && staleReason(observed.holder, observed.mtimeMs, Date.now()) === undefined;
  } catch {
    return false; // an unreadable lock: the reader takes the path that touches nothing
  }
}

export class Lease {
  readonly #lockPath: string;
  /** How messages name the store: its path, or the name the caller gave it. */
  readonly #label: string;
  readonly #writerId: Buffer;
  readonly #host = lockHostname();
  #timer: NodeJS.Timeout | undefined;
  #lost = false;
  #released = false;
  /** Set when a stale lease was taken over, for the caller to log. */
  readonly tookOver: string | undefined;

  private constructor(storePath: string, label: string, writerId: Buffer, tookOver: string | undefined) {
    this.#label = label;
    this.#lockPath = lockPathFor(storePath);
    this.#writerId = writerId;
    this.tookOver = tookOver;
    this.#timer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  /**
   * Takes the lease of `storePath`, or throws ELOCK naming the holder.
   * `label` is how messages name the store (default: its path).
   *
   * A lock file found in place is only ever read, renamed and unlinked, never
   * written, so a lock that is a hard link to another file cannot change that
   * file; the lock this call creates is checked to be a file of its own.
   */
  static acquire(storePath: string, label = storePath): Lease {
    const lockPath = lockPathFor(storePath);
    const writerId = Buffer.concat([OUR_MARK, randomBytes(12)]);
    let tookOver: string | undefined;
    const record = encodeLock(writerId, lockHostname());
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createLockFile(lockPath, record)) {
        removeDeadStagingFiles(lockPath);
        const lease = new Lease(storePath, label, writerId, tookOver);
        lease.#assertOwnFile();
        return lease;
      }
      const observed = readLock(lockPath);
      if (!observed) continue; // vanished between the attempt and the read: try again
      const reason = staleReason(observed.holder, observed.mtimeMs, Date.now());
      if (!reason) throw lockedError(label, observed.holder);
      if (breakStaleLock(lockPath, observed.bytes)) tookOver = reason;
    }
    throw new RvfError('ELOCK', `could not take the writer lease of ${label}: other processes keep racing for it; try again.`);
  }

  /** The heartbeat writes the lock in place: a second name for it (linked by someone else) would be written too. */
  #assertOwnFile(): void {
    const links = statSync(this.#lockPath, { throwIfNoEntry: false })?.nlink ?? 1;
    if (links === 1) return;
    this.release();
    throw new RvfError('EINVAL', `the lock file of ${this.#label} got ${links} hard links as it was created, so the lease was not taken: remove the other names of ${basename(this.#lockPath)} and retry.`);
  }

  /** Throws ELOCK when the lock file no longer carries our writer id (it was taken over). */
  assertHeld(): void {
    if (this.#lost || !this.#stillOurs()) {
      this.#lost = true;
      const observed = readLock(this.#lockPath);
      throw new RvfError(
        'ELOCK',
        `lost the writer lease of ${this.#label}${observed?.holder ? ` to pid ${observed.holder.pid} on host ${observed.holder.host}` : ''}; nothing more was written, close the store and open it again.`,
      );
    }
  }

  /**
   * Refreshes the timestamp; long synchronous work calls it too. It opens the
   * lock by path each time and checks the writer id through that same
   * descriptor, so it always writes the file others read (a lock put back by a
   * racing opener is a new inode) and never overwrites another holder's lock.
   */
  heartbeat(): void {
    if (this.#lost || this.#released) return;
    let fd: number;
    try {
      fd = openSync(this.#lockPath, constants.O_RDWR);
    } catch (err) {
      // Only a lock file that is gone means someone broke it. Any other failure to open it (EMFILE when
      // clients hold every descriptor, EACCES, EIO) is a heartbeat missed, retried on the next tick: taken
      // as lost, the server refused every later write of a lease that was still its own.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.#lost = true;
      return;
    }
    try {
      const current = Buffer.alloc(LOCK_BYTES);
      readSync(fd, current, 0, LOCK_BYTES, 0);
      if (!decodeLock(current)?.writerId.equals(this.#writerId)) {
        this.#lost = true;
        return;
      }
      writeAll(fd, encodeLock(this.#writerId, this.#host), 0);
    } catch {
      // A failed heartbeat is retried on the next tick; the lease stays ours.
    } finally {
      closeSync(fd);
    }
  }

  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#released) return;
    this.#released = true;
    if (!this.#lost && this.#stillOurs()) {
      try {
        unlinkSync(this.#lockPath);
      } catch {
        // Already gone: nothing to release.
      }
    }
  }

  #stillOurs(): boolean {
    const observed = readLock(this.#lockPath);
    return observed?.holder?.writerId.equals(this.#writerId) ?? false;
  }
}

/**
 * Creates the lock file with its whole record, or returns false when one
 * exists. The record is written to a private file first and then linked into
 * place (link fails when the name exists, as O_CREAT|O_EXCL does), so a writer
 * killed mid-create never leaves an empty lock behind.
 */
function createLockFile(lockPath: string, record: Buffer): boolean {
  const staging = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(staging, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
  try {
    writeAll(fd, record, 0);
    fsyncSync(fd);
  } catch (err) {
    // a full disk fails the write: the empty staging file must not stay behind
    closeSync(fd);
    unlinkSync(staging);
    throw err;
  }
  closeSync(fd);
  try {
    linkSync(staging, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(staging);
  }
}

/** Staging files of processes killed between writing and linking their lock record. */
function removeDeadStagingFiles(lockPath: string): void {
  const prefix = `${basename(lockPath)}.`;
  for (const name of readdirSync(dirname(lockPath))) {
    const match = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (match && !processAlive(Number(match[1]))) rmSync(join(dirname(lockPath), name), { force: true });
  }
}

function readLock(lockPath: string): { bytes: Buffer; holder: LockHolder | undefined; mtimeMs: number } | undefined {
  try {
    const bytes = readFileSync(lockPath);
    return { bytes, holder: decodeLock(bytes), mtimeMs: statSync(lockPath).mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Removes a stale lock without racing another process that is doing the same:
 * the lock is first renamed to a private name (only one rename of that file can
 * succeed), and deleted only if it is still the lock judged stale. A fresh lock
 * moved by mistake is put back.
 */
function breakStaleLock(lockPath: string, staleBytes: Buffer): boolean {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return false;
  }
  const moved = readFileSync(aside);
  if (moved.equals(staleBytes)) {
    unlinkSync(aside);
    return true;
  }
  try {
    // Put back the lock we moved by mistake, unless someone else holds the name now.
    const fd = openSync(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    writeAll(fd, moved, 0);
    closeSync(fd);
  } catch {
    // Another process created a lock meanwhile; it is the holder now.
  }
  unlinkSync(aside);
  return false;
}

function lockedError(label: string, holder: LockHolder | undefined): RvfError {
  const who = holder
    ? `pid ${holder.pid} on host ${holder.host}, last heartbeat ${Math.max(0, Math.round((Date.now() - holder.timestampMs) / 1000))} s ago`
    : 'a process that is creating the lock right now';
  return new RvfError(
    'ELOCK',
    `${label} is locked by another writer (${who}); close that writer, or open the store read-only.`,
  );
}

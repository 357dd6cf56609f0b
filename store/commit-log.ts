import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, writevSync } from 'node:fs';
import { encodeCommit, type EncodedCommit, type PlacedSegment, segmentsOf } from './commit-encode.ts';
import { commitSync, commitSyncInBackground } from './commit-sync.ts';
import { RvfError } from './errors.ts';
import { readExactly, writeAll } from './file-io.ts';
import type { Manifest } from './payloads.ts';
import type { Commit, Scan } from './scan.ts';
import type { SegmentInfo } from './types.ts';

export type { PlacedSegment } from './commit-encode.ts';

/** What the commit being appended will be, once durable. */
export interface NextCommit {
  epoch: number;
  commitHash: string;
  placed: PlacedSegment[];
}

/**
 * The open .rvf file seen as a log of commits: where it ends, its epoch, the
 * hash of its history, its segments, and the append of one commit.
 *
 * A commit appends its data segments, fdatasyncs, appends the MANIFEST with
 * the next epoch and fdatasyncs again. The manifest is written only once the
 * data is durable, so a manifest that verifies on open proves its commit whole
 * (store/scan.ts relies on that to tell damage from a torn tail).
 */
export class CommitLog {
  /** How messages name the file (its path, or the name a caller gave the store). */
  readonly label: string;
  #fd: number;
  #epoch: number;
  #commitHash: string;
  #end: number;
  #nextSegId: bigint;
  #segments: SegmentInfo[];
  /** The commits as scanned at open; a reader never appends, so for readers this is the whole log. */
  #commits: Commit[];

  constructor(label: string, fd: number, scan: Scan) {
    this.label = label;
    this.#fd = fd;
    this.#epoch = 0;
    this.#commitHash = '';
    this.#end = 0;
    this.#nextSegId = 1n;
    this.#segments = [];
    this.#commits = [];
    this.#take(fd, scan);
  }

  #take(fd: number, scan: Scan): void {
    this.#fd = fd;
    const last = scan.commits.at(-1) as Commit;
    this.#epoch = last.epoch;
    this.#commitHash = last.commitHash;
    this.#end = scan.goodEnd;
    this.#nextSegId = scan.maxSegId + 1n;
    this.#segments = segmentsOf(scan.commits);
    this.#commits = scan.commits;
  }

  get fd(): number {
    return this.#fd;
  }

  get epoch(): number {
    return this.#epoch;
  }

  get commitHash(): string {
    return this.#commitHash;
  }

  /** Bytes of committed data: the append position. */
  get end(): number {
    return this.#end;
  }

  get segments(): readonly SegmentInfo[] {
    return this.#segments;
  }

  get scannedCommits(): readonly Commit[] {
    return this.#commits;
  }

  get maxSegId(): bigint {
    return this.#nextSegId - 1n;
  }

  /** Takes in commits another process appended after `end` (a reader catching up). */
  adopt(tail: Scan): void {
    const last = tail.commits.at(-1) as Commit;
    this.#epoch = last.epoch;
    this.#commitHash = last.commitHash;
    this.#end = tail.goodEnd;
    this.#nextSegId = tail.maxSegId + 1n;
    this.#segments.push(...segmentsOf(tail.commits));
    this.#commits = [...this.#commits, ...tail.commits];
  }

  /**
   * Appends one commit. `manifestFor` gets where the data segments will sit
   * and returns the manifest's content; the epoch is the log's next one. On a
   * write error the file is cut back to where it was and nothing is committed.
   */
  append(data: { type: number; payload: Buffer }[], manifestFor: (placed: PlacedSegment[]) => Omit<Manifest, 'epoch'>): { epoch: number; placed: PlacedSegment[] } {
    const commit = this.#encode(data, manifestFor);
    try {
      // Headers and payloads go to writev separately: no copy of a batch's vectors.
      writevAll(this.#fd, commit.data, commit.at);
      commitSync(this.#fd);
      writeAll(this.#fd, commit.manifest, commit.manifestOffset);
      commitSync(this.#fd);
    } catch (err) {
      throw this.#cutBack(commit.at, err);
    }
    return this.#advance(commit);
  }

  /**
   * append(), with both fdatasyncs on the thread pool and the caller's work on
   * this thread meanwhile: `whileDataSyncs` while the data segments sync,
   * `whileManifestSyncs` while the manifest syncs. The caller stages its memory
   * and cache work there, to be made visible only once this resolves. The
   * manifest is still written only after the data's fdatasync succeeds, so a
   * manifest still proves its data durable. If a write, a sync or either
   * callback fails, the file is cut back, nothing is committed, and the error
   * is thrown (an I/O failure as EIO, a callback's failure as itself): the
   * caller undoes what it staged.
   */
  async appendWhileSyncing(
    data: { type: number; payload: Buffer }[],
    manifestFor: (placed: PlacedSegment[]) => Omit<Manifest, 'epoch'>,
    work: { whileDataSyncs: (next: NextCommit) => void; whileManifestSyncs: (next: NextCommit) => void },
  ): Promise<{ epoch: number; placed: PlacedSegment[] }> {
    const commit = this.#encode(data, manifestFor);
    const next: NextCommit = { epoch: commit.epoch, commitHash: commit.after.commitHash, placed: commit.placed };
    await this.#overlapped(commit.at, () => writevAll(this.#fd, commit.data, commit.at), () => work.whileDataSyncs(next));
    await this.#overlapped(commit.at, () => writeAll(this.#fd, commit.manifest, commit.manifestOffset), () => work.whileManifestSyncs(next));
    return this.#advance(commit);
  }

  /** Runs `write`, then `work` while the write syncs in the background; on any failure cuts the file back to `at`. */
  async #overlapped(at: number, write: () => void, work: () => void): Promise<void> {
    let synced: Promise<void>;
    try {
      write();
      synced = commitSyncInBackground(this.#fd);
    } catch (err) {
      throw this.#cutBack(at, err);
    }
    try {
      work();
    } catch (err) {
      // The sync must settle before the file is cut under it.
      await synced.catch(() => undefined);
      this.#cutBack(at, err);
      throw err;
    }
    try {
      await synced;
    } catch (err) {
      throw this.#cutBack(at, err);
    }
  }

  #encode(data: { type: number; payload: Buffer }[], manifestFor: (placed: PlacedSegment[]) => Omit<Manifest, 'epoch'>): EncodedCommit & { at: number } {
    const at = this.#end;
    const commit = encodeCommit({ epoch: this.#epoch, commitHash: this.#commitHash, end: at, nextSegId: this.#nextSegId }, data, manifestFor);
    // Segment ids are spent even if the write fails, as before the encoder was factored out.
    this.#nextSegId = commit.after.nextSegId;
    return { ...commit, at };
  }

  /** Cuts a failed commit's bytes off the file; returns the error that says nothing was committed. */
  #cutBack(at: number, err: unknown): RvfError {
    try {
      ftruncateSync(this.#fd, at);
      commitSync(this.#fd);
    } catch {
      // The torn tail stays; it is invisible and the next writer cuts it off.
    }
    return new RvfError('EIO', `could not write ${this.label} (${(err as Error).message}); nothing was committed, free disk space and retry.`);
  }

  #advance(commit: EncodedCommit): { epoch: number; placed: PlacedSegment[] } {
    this.#end = commit.after.end;
    this.#epoch = commit.epoch;
    this.#commitHash = commit.after.commitHash;
    this.#segments.push(...commit.segments);
    return { epoch: commit.epoch, placed: commit.placed };
  }

  /** Switches to the file a compaction put in place of the old one (`fd` is open on it). */
  replaceFile(fd: number, scan: Scan): void {
    closeSync(this.#fd);
    this.#take(fd, scan);
  }

  /** SHA-256 of the committed bytes: a child's record of exactly which parent it came from. */
  hashCommittedBytes(): Buffer {
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (let pos = 0; pos < this.#end; pos += chunk.length) {
      hash.update(readExactly(this.#fd, Math.min(chunk.length, this.#end - pos), pos, chunk));
    }
    return hash.digest();
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function writevAll(fd: number, buffers: Buffer[], position: number): void {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const written = writevSync(fd, buffers, position);
  if (written !== total) writeAll(fd, Buffer.concat(buffers).subarray(written), position + written);
}

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { RvfError } from './errors.ts';
import { fsyncDirectoryOf, writeAll } from './file-io.ts';
import { processAlive } from './lease.ts';
import {
  encodeManifest,
  encodeMeta,
  encodeStoreInfo,
  type FileIdentity,
  type ManifestEntry,
  type StoreInfo,
  VEC_HEADER_BYTES,
} from './payloads.ts';
import { encodeHeader, encodeSegment, HEADER_BYTES, SegmentType } from './segment.ts';

/**
 * Writes a whole store file in one go: create, compaction, derive and export
 * all produce one. Layout: store info (PROFILE), VEC segments of live rows,
 * META segments of non-null metadata, META segments of effects records (the
 * tables, graph and triples), one MANIFEST. The file is written under
 * a temporary name in the destination directory and fsynced; only then does it
 * get its real name, so a crash at any point leaves either the old file or the
 * complete new one.
 */

export interface SnapshotSource {
  dimensions: number;
  storeInfo: StoreInfo;
  identity: FileIdentity;
  epoch: number;
  liveCount: number;
  /** Live rows in VEC layout; buffers may be reused between chunks. */
  rows: Iterable<{ ids: BigUint64Array; rows: Buffer }>;
  metadata: Iterable<{ id: bigint; metadata: string }>;
  /** The user tables, graph and triples as effects records (store/effects.ts). */
  effects: Iterable<Buffer>;
}

export interface SnapshotResult {
  bytes: number;
}

export interface SnapshotControl {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Called between chunks: long work keeps the writer lease fresh. */
  tick?: () => void;
}

const META_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Temp files are dot-named `.<name>.<pid>-<random>.tmp` beside the
 * destination: the pid lets any later writer in the directory tell one a
 * killed process left (removeDeadTemps) from one being written right now.
 * Files of the older form `.<name>.<random>.tmp` are still recognised.
 */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

const TEMP_TAIL = /^(?:(\d+)-)?[0-9a-f]{12}\.tmp$/;

export function isTempFor(dest: string, candidate: string): boolean {
  const prefix = `.${basename(dest)}.`;
  return candidate.startsWith(prefix) && TEMP_TAIL.test(candidate.slice(prefix.length));
}

/**
 * Removes, from `dir`, the temp files of any store whose writing process is
 * gone: a derive or export killed midway left one as large as the store,
 * under a name no writer would ever open, so nothing else removed it.
 */
export function removeDeadTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith('.tmp')) continue;
    const pid = /\.(\d+)-[0-9a-f]{12}\.tmp$/.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid))) rmSync(join(dir, name), { force: true });
  }
}

export async function writeSnapshot(tmpPath: string, src: SnapshotSource, control: SnapshotControl = {}): Promise<SnapshotResult> {
  if (control.signal?.aborted) throw cancelled();
  const fd = openSync(tmpPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
  let finished = false;
  let pos = 0;
  let segId = 1n;
  const put = (data: Uint8Array): void => {
    writeAll(fd, data, pos);
    pos += data.length;
  };
  try {
    put(encodeSegment(SegmentType.PROFILE, segId++, encodeStoreInfo(src.storeInfo)));

    // Few, large VEC segments keep the manifest's directory small: at most
    // about 512 of them, each 4 MiB to 255 MiB (the native reader refuses > 256).
    // Every segment's row count is fixed before it starts (the live count is
    // exact), so its prefix can be checksummed first; the header, which holds
    // the CRC, is written into its reserved place when the segment is full.
    const rowBytes = 8 + src.dimensions * 4;
    const targetBytes = Math.min(255 * 1024 * 1024, Math.max(4 * 1024 * 1024, Math.ceil((src.liveCount * rowBytes) / 512)));
    const rowsPerSegment = Math.max(1, Math.floor(targetBytes / rowBytes));
    const entries: ManifestEntry[] = [];
    let seg: { start: number; count: number; left: number; crc: number } | undefined;
    let done = 0;
    for (const chunk of src.rows) {
      let from = 0;
      while (from < chunk.ids.length) {
        if (!seg) {
          const count = Math.min(rowsPerSegment, src.liveCount - done);
          if (count <= 0) throw new Error('the store yielded more live rows than it counts');
          const prefix = Buffer.alloc(VEC_HEADER_BYTES);
          prefix.writeUInt16LE(src.dimensions, 0);
          prefix.writeUInt32LE(count, 2);
          seg = { start: pos, count, left: count, crc: crc32(prefix) >>> 0 };
          pos += HEADER_BYTES;
          put(prefix);
        }
        const take = Math.min(seg.left, chunk.ids.length - from);
        const rows = chunk.rows.subarray(from * rowBytes, (from + take) * rowBytes);
        put(rows);
        seg.crc = crc32(rows, seg.crc) >>> 0;
        seg.left -= take;
        from += take;
        done += take;
        if (seg.left === 0) {
          const id = segId++;
          const payloadLength = VEC_HEADER_BYTES + seg.count * rowBytes;
          writeAll(fd, encodeHeader(SegmentType.VEC, id, payloadLength, seg.crc), seg.start);
          entries.push({ segId: id, offset: seg.start, payloadLength, type: SegmentType.VEC });
          seg = undefined;
        }
      }
      // Between chunks (a few MiB each): keep the lease fresh, report, and let a cancellation in.
      control.tick?.();
      control.onProgress?.(done, src.liveCount);
      await yieldToEventLoop();
      if (control.signal?.aborted) throw cancelled();
    }
    if (seg || done !== src.liveCount) throw new Error(`the store yielded ${done} live rows but counts ${src.liveCount}`);

    let ids: bigint[] = [];
    let json: string[] = [];
    let bytes = 0;
    const flushMeta = (): void => {
      if (ids.length === 0) return;
      put(encodeSegment(SegmentType.META, segId++, encodeMeta(BigUint64Array.from(ids), json)));
      ids = [];
      json = [];
      bytes = 0;
    };
    for (const row of src.metadata) {
      ids.push(row.id);
      json.push(row.metadata);
      bytes += row.metadata.length + 12;
      if (bytes >= META_CHUNK_BYTES) flushMeta();
    }
    flushMeta();
    for (const payload of src.effects) {
      put(encodeSegment(SegmentType.META, segId++, payload));
      control.tick?.();
    }

    const manifest = encodeManifest({
      epoch: src.epoch,
      dimensions: src.dimensions,
      totalVectors: src.liveCount,
      profile: 0,
      entries,
      deleted: [],
      identity: src.identity,
    });
    put(encodeSegment(SegmentType.MANIFEST, segId++, manifest));
    fsyncSync(fd);
    control.onProgress?.(done, src.liveCount);
    finished = true;
    return { bytes: pos };
  } finally {
    closeSync(fd);
    if (!finished) rmSync(tmpPath, { force: true });
  }
}

/**
 * Gives a finished snapshot its name: replacing the old file (compaction) or
 * refusing to (create, derive, export). `label` is how a refusal names `dest`.
 */
export function publishSnapshot(tmpPath: string, dest: string, replace: boolean, label = dest): void {
  try {
    if (replace) {
      renameSync(tmpPath, dest);
    } else {
      // link() fails when dest exists, where rename() would silently replace it.
      linkSync(tmpPath, dest);
      unlinkSync(tmpPath);
    }
  } catch (err) {
    rmSync(tmpPath, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RvfError('EEXIST', `${label} already exists; choose another path or remove it first.`);
    }
    throw err;
  }
  fsyncDirectoryOf(dest);
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function cancelled(): RvfError {
  return new RvfError('ECANCELED', 'the operation was cancelled; nothing was changed.');
}

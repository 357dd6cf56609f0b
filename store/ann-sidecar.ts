import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SidecarExpectation } from './ann-protocol.ts';

/**
 * The index sidecar, `<store>.rvf.ann`: the index library's own save file,
 * followed by a trailer that says what it covers and lets it be checked whole
 * before the library reads a byte of it.
 *
 *   [library bytes][meta JSON][u32 LE meta length][8 bytes "RVFANN01"]
 *
 * The check matters: usearch trusts its input, and a damaged file crashes the
 * whole process (measured: a 1-bit flip or a foreign file is a SIGSEGV). So a
 * sidecar is read only after its length, its CRC-32 and its description
 * (store, shape, commit) all match; anything else is refused and rebuilt.
 */

const MAGIC = Buffer.from('RVFANN01', 'latin1');
const FORMAT = 1;
const TAIL_BYTES = 4 + MAGIC.length;
/** A trailer is small; one that claims more is not ours. */
const MAX_META_BYTES = 64 * 1024;
const READ_CHUNK = 8 * 1024 * 1024;

export interface SidecarMeta extends SidecarExpectation {
  format: number;
  library: string;
  /** Vectors in the index, deleted ones excluded. */
  count: number;
  blobBytes: number;
  blobCrc32: number;
}

export function sidecarPathFor(storePath: string): string {
  return `${storePath}.ann`;
}

/** The trailer of the sidecar at `path`: undefined when there is none, a reason when it is not one. */
export function readSidecarMeta(path: string): SidecarMeta | string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return readMeta(fd);
  } finally {
    closeSync(fd);
  }
}

/** The trailer of an open sidecar, or why it is not one. */
export function readMeta(fd: number): SidecarMeta | string {
  const size = fstatSync(fd).size;
  if (size < TAIL_BYTES) return 'it is too short to be an index';
  const tail = Buffer.alloc(TAIL_BYTES);
  readSync(fd, tail, 0, TAIL_BYTES, size - TAIL_BYTES);
  if (!tail.subarray(4).equals(MAGIC)) return 'it has no index trailer';
  const metaBytes = tail.readUInt32LE(0);
  if (metaBytes > MAX_META_BYTES || metaBytes > size - TAIL_BYTES) return 'its trailer is damaged';
  const raw = Buffer.alloc(metaBytes);
  readSync(fd, raw, 0, metaBytes, size - TAIL_BYTES - metaBytes);
  let meta: unknown;
  try {
    meta = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'its trailer is damaged';
  }
  if (!isMeta(meta)) return 'its trailer is damaged';
  if (meta.format !== FORMAT) return `it has index format ${meta.format}, this version reads ${FORMAT}`;
  if (meta.blobBytes !== size - TAIL_BYTES - metaBytes) return 'its length does not match its trailer (truncated or appended to)';
  return meta;
}

/** Why a sidecar does not describe what the store expects, or undefined when it does. */
export function mismatch(meta: SidecarMeta, expect: SidecarExpectation): string | undefined {
  if (meta.fileId !== expect.fileId) return 'it belongs to another store';
  if (meta.dimensions !== expect.dimensions || meta.metric !== expect.metric) return 'it has another dimension or metric';
  if (meta.epoch !== expect.epoch || meta.commitHash !== expect.commitHash) return 'it covers a commit this file does not have';
  return undefined;
}

/** Whether the library bytes still have the CRC-32 the trailer recorded. */
export function blobIntact(fd: number, meta: SidecarMeta): boolean {
  return crcOf(fd, meta.blobBytes) === meta.blobCrc32;
}

/**
 * Makes the library's save file at `tmpPath` a sidecar (trailer appended,
 * data synced) and renames it over `destPath`, then syncs the folder: a crash
 * at any point leaves the old sidecar or the new one, never a mix. The temp
 * name is one the writer's next open removes (store/snapshot.ts).
 */
export async function publishSidecar(tmpPath: string, destPath: string, describe: Omit<SidecarMeta, 'format' | 'blobBytes' | 'blobCrc32'>, delayMs: number): Promise<void> {
  const fd = openSync(tmpPath, 'r+');
  try {
    const blobBytes = fstatSync(fd).size;
    const meta: SidecarMeta = { format: FORMAT, ...describe, blobBytes, blobCrc32: crcOf(fd, blobBytes) };
    const json = Buffer.from(JSON.stringify(meta), 'utf8');
    const tail = Buffer.alloc(TAIL_BYTES);
    tail.writeUInt32LE(json.length, 0);
    MAGIC.copy(tail, 4);
    const trailer = Buffer.concat([json, tail]);
    writeSync(fd, trailer, 0, trailer.length, blobBytes);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  renameSync(tmpPath, destPath);
  const dir = openSync(dirname(destPath), 'r');
  try {
    fdatasyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function crcOf(fd: number, length: number): number {
  const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, length)));
  let crc = 0;
  for (let at = 0; at < length; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - at), at);
    if (n === 0) return -1;
    crc = crc32(buf.subarray(0, n), crc);
    at += n;
  }
  return crc;
}

function isMeta(m: unknown): m is SidecarMeta {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return typeof o['format'] === 'number' && typeof o['library'] === 'string' && typeof o['fileId'] === 'string' &&
    typeof o['dimensions'] === 'number' && typeof o['metric'] === 'string' && typeof o['epoch'] === 'number' &&
    typeof o['commitHash'] === 'string' && typeof o['count'] === 'number' && typeof o['blobBytes'] === 'number' &&
    typeof o['blobCrc32'] === 'number';
}

import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RvfDatabase } from '../../store/index.ts';
import type { ExportTarget } from './export-target.ts';
import { CliError } from './output.ts';

/**
 * Writes every live vector as one JSON line {id, vector, metadata}: to a
 * file under a temporary name first, so a failed export leaves no half file;
 * to standard output or a FIFO or device as it goes. Floats are written with
 * enough digits to read back as the same f32. Returns how many were written;
 * a reader that stops early (`| head`) ends the export quietly, `complete` false.
 */
export async function writeJsonlExport(db: RvfDatabase, target: ExportTarget): Promise<{ count: number; complete: boolean }> {
  if (target.kind === 'file') return { count: await toFile(db, target.path), complete: true };
  let fd: number;
  try {
    fd = target.kind === 'stdout' ? 1 : openSync(target.path, 'w');
  } catch (err) {
    throw new CliError(`cannot write ${target.kind === 'stream' ? target.path : 'standard output'} (${(err as NodeJS.ErrnoException).code}); check the path.`);
  }
  let written = 0;
  try {
    await db.forEachEntry((batch) => {
      writeAll(fd, `${lines(batch)}\n`);
      written += batch.length;
    });
    return { count: written, complete: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return { count: written, complete: false };
    throw err;
  } finally {
    if (target.kind === 'stream') closeSync(fd);
  }
}

async function toFile(db: RvfDatabase, output: string): Promise<number> {
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (err) {
    throw new CliError(`cannot write ${output} (${(err as NodeJS.ErrnoException).code}); check the directory exists and is writable.`);
  }
  let open = true;
  try {
    const count = await db.forEachEntry((batch) => writeAll(fd, `${lines(batch)}\n`));
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(tmp, output);
    return count;
  } catch (err) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}

function lines(batch: readonly { id: unknown; vector: Float32Array; metadata: unknown }[]): string {
  return batch.map((e) => JSON.stringify({ id: e.id, vector: Array.from(e.vector), metadata: e.metadata })).join('\n');
}

/** writeSync until all of it is out: a pipe takes part of a large write at a time, and EAGAIN means wait and retry. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

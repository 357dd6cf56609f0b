import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RvfDatabase } from '../../store/index.ts';
import { CliError } from './output.ts';

/**
 * Writes every live vector as one JSON line {id, vector, metadata}, under a
 * temporary name first, so a failed export leaves no half file. Floats are
 * written with enough digits to read back as the same f32.
 */
export async function writeJsonlExport(db: RvfDatabase, output: string): Promise<number> {
  const tmp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (err) {
    throw new CliError(`cannot write ${output} (${(err as NodeJS.ErrnoException).code}); check the directory exists and is writable.`);
  }
  let open = true;
  try {
    const count = await db.forEachEntry((batch) => {
      const lines = batch.map((e) => JSON.stringify({ id: e.id, vector: Array.from(e.vector), metadata: e.metadata })).join('\n');
      writeSync(fd, `${lines}\n`);
    });
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

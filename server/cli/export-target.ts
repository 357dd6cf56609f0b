import { fstatSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './output.ts';

/**
 * Where `rvf export --output X` writes. A file is written under a temporary
 * name and renamed over X, so a failed export leaves no half file; that is
 * wrong for anything else a shell user names as X: renamed over
 * `/dev/stdout` it replaced the device link with a regular file (as root),
 * and over a symlink it replaced the link, not the file it names.
 *
 * - `-`: standard output, streamed (JSON lines only);
 * - an existing FIFO or device (`/dev/stdout`, `<(...)`): written in place, streamed;
 *   `isStdout` when it is this process's standard output;
 * - a symlink: the file it names (created if missing);
 * - otherwise the path itself, a file to create or replace.
 */
export type ExportTarget = { kind: 'stdout' } | { kind: 'stream'; path: string; isStdout: boolean } | { kind: 'file'; path: string };

export function exportTarget(output: string, hops = 0): ExportTarget {
  if (output === '-') return { kind: 'stdout' };
  let link;
  try {
    link = lstatSync(output);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'file', path: output };
    throw new CliError(`cannot write ${output} (${(err as NodeJS.ErrnoException).code}); check the path.`);
  }
  if (link.isSymbolicLink()) {
    let target;
    try {
      target = statSync(output);
    } catch {
      // a link to a file not there yet: the file it names, as a shell's > would create it
      if (hops > 8) throw new CliError(`${output} is a chain of symlinks too long to follow; name the file itself.`);
      return exportTarget(resolve(dirname(output), readlinkSync(output)), hops + 1);
    }
    return fromStat(target, output, realpathSync(output));
  }
  return fromStat(link, output, output);
}

function fromStat(st: ReturnType<typeof statSync> & object, output: string, real: string): ExportTarget {
  if (st.isDirectory()) throw new CliError(`${output} is a directory; give --output a file name inside it.`);
  if (st.isFile()) return { kind: 'file', path: real };
  const out = fstatSync(1);
  return { kind: 'stream', path: output, isStdout: out.dev === st.dev && out.ino === st.ino };
}

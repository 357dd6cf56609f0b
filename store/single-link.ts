import { readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { RvfError } from './errors.ts';
import { isTempFor } from './snapshot.ts';

/**
 * A store file, its cache and its lock must each be a file of their own: a
 * file with another hard link is the same bytes under another name, perhaps
 * outside the root, so an append, a cache write or a lock write would change
 * that name too, and reading through it would reach outside the root.
 */

/**
 * How many names `path`'s file has besides `path` (0 when it is missing).
 * create, derive and export publish a finished file by linking its temporary
 * name and then unlinking that name (store/snapshot.ts), so for an instant the
 * new store has two names; a temporary name of that store is not counted.
 */
export function otherLinks(path: string, known?: Stats): number {
  let st: Stats;
  try {
    st = known ?? statSync(path);
  } catch {
    return 0;
  }
  if (!st.isFile() || st.nlink <= 1) return 0; // a directory counts its subdirectories in nlink
  let publishing = 0;
  try {
    for (const name of readdirSync(dirname(path))) {
      if (!isTempFor(path, name)) continue;
      const other = statSync(join(dirname(path), name), { throwIfNoEntry: false });
      if (other && other.ino === st.ino && other.dev === st.dev) publishing++;
    }
  } catch {
    // The folder cannot be listed: count every other name.
  }
  return Math.max(0, st.nlink - 1 - publishing);
}

/** The refusal of a store file with other names; `what` names it as the caller's user knows it. */
export function hardLinkedError(what: string, otherNames: number): RvfError {
  return new RvfError(
    'EINVAL',
    `${what} has ${otherNames + 1} hard links; a store must be its own file, since writing it would change the other names too: copy it (cp) instead of linking.`,
  );
}

import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { RvfDatabase } from './database.ts';
import { errorCode, isRvfError, RvfError } from './errors.ts';
import { peekStore, type StorePeek } from './peek.ts';
import { hardLinkedError, otherLinks } from './single-link.ts';
import type { CreateOptions } from './types.ts';
import { LIMITS } from '../schemas/limits.ts';
import { STORE_NAME_PATTERN } from '../schemas/store-name.ts';

/**
 * Named stores under one root directory: `notes` is `<root>/notes.rvf`, its
 * cache and lock beside it. Stores open on first use and stay open. A
 * read-only registry opens them without a lease and refreshes each before use,
 * so every answer comes from the newest committed epoch.
 *
 * Nothing outside the root is reachable: names are checked against a pattern
 * with no separators or leading dot, a store file (or its cache or lock) that
 * is a symlink must resolve inside the root, and a store file with another
 * hard link (the same bytes under another name, perhaps outside) is refused.
 * The cache's hard links are handled where it is opened (store/cache.ts); a
 * lock is never written unless this process created it (store/lease.ts), and
 * its name has two links for an instant while a writer creates it.
 *
 * Messages name stores as "store <name>" and files relative to the root,
 * never by absolute path: the library takes paths and names them, so stores
 * open here with a display name, and withoutRoot() guards what comes from
 * below (Node's file errors name absolute paths).
 */

export interface RegistryOptions {
  root: string;
  write: boolean;
  onWarning?: (message: string) => void;
}

export interface StoreListing extends StorePeek {
  store: string;
  open: boolean;
}

const SIDECARS = ['', '.sqlite', '.sqlite-wal', '.sqlite-shm', '.lock', '.ann'];

export class StoreRegistry {
  readonly root: string;
  readonly write: boolean;
  readonly #onWarning: ((message: string) => void) | undefined;
  /** Open stores by real file path: two names for one file (a symlink inside the root) share one handle. */
  readonly #open = new Map<string, Promise<RvfDatabase>>();
  /** Read-only handles standing in for writers' handles this server could not have (#readInstead). */
  readonly #standIns = new Map<string, Promise<RvfDatabase>>();
  /** Stand-ins whose writer's handle was had since, kept open for the reads still running on them. */
  readonly #retiring = new Set<Promise<RvfDatabase>>();

  constructor(options: RegistryOptions) {
    mkdirSync(options.root, { recursive: true });
    this.root = realpathSync(options.root);
    this.write = options.write;
    this.#onWarning = options.onWarning;
  }

  /** The file of store `name`, after checking that it and its sidecars stay inside the root. */
  pathFor(name: string): string {
    if (typeof name !== 'string' || !STORE_NAME_PATTERN.test(name)) {
      throw new RvfError('EINVAL', `${JSON.stringify(name)} is not a store name; use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.`);
    }
    const path = join(this.root, `${name}.rvf`);
    for (const suffix of SIDECARS) {
      const p = path + suffix;
      let isLink = false;
      try {
        isLink = lstatSync(p).isSymbolicLink();
      } catch {
        continue; // does not exist
      }
      if (!isLink) continue;
      let target: string;
      try {
        target = realpathSync(p);
      } catch {
        throw new RvfError('EINVAL', `store ${name}: ${basename(p)} is a dangling symlink; remove it from the root.`);
      }
      if (!target.startsWith(this.root + sep)) {
        throw new RvfError('EINVAL', `store ${name}: ${basename(p)} is a symlink that leads out of the root; move the file into the root, or remove the link.`);
      }
    }
    const links = otherLinks(path);
    if (links > 0) throw hardLinkedError(`${storeLabel(name)}: ${basename(path)}`, links);
    return path;
  }

  /** The file for a new store `name` that derive or export writes (`role`: 'child', 'copy'); EEXIST when the name is taken. */
  pathForNew(name: string, role: string): string {
    const path = this.pathFor(name);
    if (existsSync(path)) throw new RvfError('EEXIST', `a store named ${name} already exists; pick another name for the ${role}.`);
    return path;
  }

  /**
   * `text` with paths under this root made relative, and the root itself
   * called "the root": the last guard for messages from below the store's own.
   */
  withoutRoot(text: string): string {
    if (this.root === sep) return text; // every path is under "/": nothing to shorten
    return text.split(this.root + sep).join('').split(this.root).join('the root');
  }

  isOpen(name: string): boolean {
    return this.#open.has(this.#key(name));
  }

  /** The open store `name`, opening it on first use; a reader is brought to the newest commit first. */
  async get(name: string): Promise<RvfDatabase> {
    const key = this.#key(name);
    let opening = this.#open.get(key);
    if (!opening) {
      if (!existsSync(key)) throw this.#unknown(name);
      const options = { ...(this.#onWarning ? { onWarning: this.#onWarning } : {}), displayName: storeLabel(name) };
      opening = this.write ? RvfDatabase.open(key, options) : RvfDatabase.openReadonly(key, options);
      this.#open.set(key, opening);
      opening.catch(() => this.#open.delete(key));
    }
    let db: RvfDatabase;
    try {
      db = await opening;
    } catch (err) {
      const refusal = this.write ? writerUnavailable(err, storeLabel(name)) : undefined;
      if (!refusal) throw err;
      return this.#readInstead(key, name, refusal);
    }
    const standIn = this.#standIns.get(key);
    if (standIn) {
      // the writer's handle was had after all: the read-only one it stood in for goes, once the reads still
      // running on it are done (closed at once, a read in flight answered ECLOSED)
      this.#standIns.delete(key);
      this.#retiring.add(standIn);
      setTimeout(() => {
        this.#retiring.delete(standIn);
        void standIn.then((r) => r.close()).catch(() => undefined);
      }, LIMITS.queryTimeLimitMs + 5_000).unref();
    }
    if (!this.write) await db.refresh();
    return db;
  }

  /**
   * A --write server that cannot have a store's writer lease (another writer
   * holds it, or the disk is too full to create the lock) still reads it:
   * through a read-only handle whose writes get `refusal`, asked for the
   * lease again on every later use. It answered ELOCK to every read before,
   * advising to open the store read-only, which no tool can do.
   */
  async #readInstead(key: string, name: string, refusal: { code: 'ELOCK' | 'EIO'; message: string }): Promise<RvfDatabase> {
    let reading = this.#standIns.get(key);
    if (!reading) {
      const options = { ...(this.#onWarning ? { onWarning: this.#onWarning } : {}), displayName: storeLabel(name), writeRefusal: refusal };
      reading = RvfDatabase.openReadonly(key, options);
      this.#standIns.set(key, reading);
      reading.catch(() => this.#standIns.delete(key));
    }
    const db = await reading;
    db.refuseWritesWith(refusal); // as of this attempt: the holder's heartbeat age moves on
    await db.refresh();
    return db;
  }

  async create(name: string, options: CreateOptions): Promise<RvfDatabase> {
    if (!this.write) throw new RvfError('EREADONLY', 'this server is read-only; start it with --write to create stores.');
    const key = this.#key(name);
    if (this.#open.has(key) || existsSync(key)) {
      throw new RvfError('EEXIST', `a store named ${name} already exists; use it, or pick another name.`);
    }
    const creating = RvfDatabase.create(key, options, { ...(this.#onWarning ? { onWarning: this.#onWarning } : {}), displayName: storeLabel(name) });
    this.#open.set(key, creating);
    creating.catch(() => this.#open.delete(key));
    return creating;
  }

  /** Closes `name` if it is open (releasing its lease); false when it was not. */
  async close(name: string): Promise<boolean> {
    const key = this.#key(name);
    const standIn = this.#standIns.get(key);
    this.#standIns.delete(key);
    await (await standIn?.catch(() => undefined))?.close();
    const opening = this.#open.get(key);
    if (!opening) return standIn !== undefined;
    this.#open.delete(key);
    const db = await opening.catch(() => undefined);
    await db?.close();
    return db !== undefined;
  }

  async closeAll(): Promise<void> {
    const open = [...this.#open.values(), ...this.#standIns.values(), ...this.#retiring];
    this.#open.clear();
    this.#standIns.clear();
    this.#retiring.clear();
    await Promise.all(open.map(async (opening) => (await opening.catch(() => undefined))?.close()));
  }

  /**
   * Every store file under the root, open or not, in name order, as its file
   * says (the newest verifying manifest): the file is the truth, and reading it
   * never waits behind a busy handle.
   */
  async list(): Promise<StoreListing[]> {
    const out: StoreListing[] = [];
    for (const name of this.names()) {
      const key = this.#key(name);
      const peek = peekStore(key);
      if (peek) out.push({ store: name, open: this.#open.has(key), ...peek });
    }
    return out;
  }

  /** Names of the stores under the root; a file whose name or symlink breaks the rules is not one. */
  names(): string[] {
    return readdirSync(this.root)
      .filter((f) => f.endsWith('.rvf'))
      .map((f) => f.slice(0, -'.rvf'.length))
      .filter((n) => {
        try {
          this.pathFor(n);
          return true;
        } catch {
          return false;
        }
      })
      .sort();
  }

  /** The real file of `name` (symlinks followed, after pathFor checked they stay inside the root). */
  #key(name: string): string {
    const path = this.pathFor(name);
    try {
      return realpathSync(path);
    } catch {
      return path; // does not exist yet
    }
  }

  #unknown(name: string): RvfError {
    const names = this.names();
    const near = names.filter((n) => editDistance(n.toLowerCase(), name.toLowerCase()) <= 2 || n.startsWith(name) || name.startsWith(n)).slice(0, 5);
    const hint = near.length > 0
      ? `near names: ${near.join(', ')}`
      : names.length > 0 ? `stores here: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}` : 'there are no stores yet';
    const next = this.write ? 'create it with rvf_create_store or use one of those' : 'use one of those (this server is read-only)';
    return new RvfError('ENOENT', `no store named ${name} under the root (${hint}); ${next}.`);
  }
}

/** How messages name store `name` (OpenOptions.displayName). */
export function storeLabel(name: string): string {
  return `store ${name}`;
}

/** Levenshtein distance, for "did you mean" hints; names are at most 64 characters. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * When a --write server could not open a store as its writer for a reason
 * that leaves it readable: what its writes are told, or undefined for any
 * other failure.
 */
function writerUnavailable(err: unknown, label: string): { code: 'ELOCK' | 'EIO'; message: string } | undefined {
  if (isRvfError(err) && err.code === 'ELOCK') {
    return { code: 'ELOCK', message: `${err.message.replace(/[;.]? *close that writer, or open the store read-only\.$/, '')}; this server reads it meanwhile, and writes to it once that writer has closed it.` };
  }
  const code = errorCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return { code: 'EIO', message: `${label} cannot be written: the disk is full, so the writer lease could not be taken; reads work, and writes once space is freed.` };
  }
  return undefined;
}

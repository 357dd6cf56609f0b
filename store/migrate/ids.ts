import { createHash } from 'node:crypto';
import { RvfError } from '../errors.ts';
import { LIMITS } from '../../schemas/limits.ts';

/**
 * Source ids become the store's u64 ids. A canonical decimal id in
 * 0..2^63-1 ("0", "42", never "042") is that number, so stores keyed by
 * numbers keep their keys. Any other id ("doc-1", "042", a u64 above 2^63-1)
 * gets the first 63 bits of sha256(id): stable across runs, so a rerun
 * upserts the same rows, and the caller keeps the original in metadata.
 */

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;

export interface MappedId {
  id: bigint;
  /** True when the id was hashed (the original must be kept beside it). */
  hashed: boolean;
}

export function idKey(raw: string | number): string {
  return typeof raw === 'number' ? String(raw) : raw;
}

export function mapId(raw: string | number, at: string): MappedId {
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) {
      throw new RvfError('EINVAL', `${at}: id ${raw} is not a whole number in 0..2^53-1; write large or fractional ids as strings.`);
    }
    return { id: BigInt(raw), hashed: false };
  }
  if (typeof raw !== 'string' || raw === '') throw new RvfError('EINVAL', `${at}: id must be a non-empty string or a number; fix the file.`);
  if (DECIMAL.test(raw)) {
    const n = BigInt(raw);
    if (n <= LIMITS.maxId) return { id: n, hashed: false };
  }
  return { id: hashId(raw), hashed: true };
}

export function hashId(raw: string): bigint {
  return createHash('sha256').update(raw, 'utf8').digest().readBigUInt64BE(0) >> 1n;
}

/**
 * Remembers which source id took each u64, so two source ids landing on the
 * same u64 (a hash collision, or "7" next to a hashed id equal to 7) are an
 * error instead of one silently replacing the other. A repeated source id is
 * not a collision: the last entry wins, as in an ingest.
 */
export class IdRegistry {
  readonly #owner = new Map<bigint, string>();
  hashed = 0;

  add(raw: string | number, at: string): MappedId {
    const mapped = mapId(raw, at);
    const key = idKey(raw);
    const prev = this.#owner.get(mapped.id);
    if (prev === undefined) {
      this.#owner.set(mapped.id, key);
      if (mapped.hashed) this.hashed++;
    } else if (prev !== key) {
      throw new RvfError('EINVAL', `${at}: ids ${JSON.stringify(prev)} and ${JSON.stringify(key)} map to the same store id ${mapped.id}; rename one of them.`);
    }
    return mapped;
  }

  get size(): number {
    return this.#owner.size;
  }

  has(id: bigint): boolean {
    return this.#owner.has(id);
  }

  ids(): IterableIterator<bigint> {
    return this.#owner.keys();
  }
}

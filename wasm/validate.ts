import { RvfError } from '../store/errors.ts';
import { jsonHasProtoKey } from '../store/proto-key.ts';
import { findRoundedInteger, roundedIntegerText } from '../schemas/json-integers.ts';
import { LIMITS } from '../schemas/limits.ts';
import type { IdInput, Metric } from '../store/types.ts';

/**
 * Checks run before anything reaches WASM: the engine trusts its inputs (a NaN
 * ranks first in every query, a bad dimension reads past the buffer), so nothing
 * invalid may get in.
 */

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export function parseId(value: IdInput, where = 'id'): bigint {
  let id: bigint;
  if (typeof value === 'bigint') {
    id = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new RvfError(
        'EINVAL',
        `${where} ${value} is not a safe integer; pass ids above 2^53-1 as decimal strings.`,
      );
    }
    id = BigInt(value);
  } else if (typeof value === 'string' && DECIMAL.test(value) && value.length <= 20) {
    id = BigInt(value);
  } else {
    throw new RvfError(
      'EINVAL',
      `${where} ${JSON.stringify(value)} is not an id; use an integer from 0 to 2^63-1 or its decimal string.`,
    );
  }
  if (id < 0n || id > LIMITS.maxId) {
    throw new RvfError('EINVAL', `${where} ${id} is out of range; ids go from 0 to 2^63-1.`);
  }
  return id;
}

export function checkDimensions(dimensions: unknown): number {
  if (
    typeof dimensions !== 'number' ||
    !Number.isInteger(dimensions) ||
    dimensions < 1 ||
    dimensions > LIMITS.maxDimensions
  ) {
    throw new RvfError(
      'EINVAL',
      `dimensions must be an integer from 1 to ${LIMITS.maxDimensions}, got ${String(dimensions)}.`,
    );
  }
  return dimensions;
}

/** Largest squared length a vector may have: every distance between two such vectors stays finite in f32. */
const MAX_SQUARED_LENGTH = 3.4028234663852886e38 / 4;

/**
 * Copies `vector` into `out` at `offset` as f32 and checks it: the right length,
 * every value a finite number after rounding to f32 (1e39 is finite as a double
 * but Infinity as f32), and a squared length small enough that the engine's f32
 * arithmetic cannot overflow to Infinity or NaN distances.
 *
 * One test covers all three value checks: the squared length, summed in
 * doubles from the stored f32 values, is NaN or Infinity when any value is, so
 * `squared <= MAX_SQUARED_LENGTH` fails for every bad vector and only then are
 * the values looked at one by one, to name the bad one.
 */
export function writeVector(
  vector: ArrayLike<number>,
  dimensions: number,
  out: Float32Array,
  offset: number,
  where: string,
): void {
  if (vector === null || typeof vector !== 'object' || typeof vector.length !== 'number') {
    throw new RvfError('EINVAL', `${where}: vector must be an array of ${dimensions} numbers.`);
  }
  if (vector.length !== dimensions) {
    throw new RvfError(
      'EDIM',
      `${where}: vector has ${vector.length} dimensions but the store has ${dimensions}; send vectors of length ${dimensions}.`,
    );
  }
  if (vector instanceof Float32Array) {
    out.set(vector, offset); // a copy of f32 values: no element can be other than a number
  } else {
    for (let i = 0; i < dimensions; i++) {
      const raw: unknown = vector[i];
      if (typeof raw !== 'number') {
        throw new RvfError('EINVAL', `${where}: element ${i} is ${typeof raw === 'bigint' ? `${raw}n` : JSON.stringify(raw) ?? String(raw)}; vectors hold only numbers.`);
      }
      out[offset + i] = raw;
    }
  }
  const squared = squaredLength(out, offset, dimensions);
  if (squared <= MAX_SQUARED_LENGTH) return;
  for (let i = 0; i < dimensions; i++) {
    const stored = out[offset + i] as number;
    if (stored - stored !== 0) {
      throw new RvfError('EINVAL', `${where}: element ${i} is ${vector[i]}; vectors may hold only finite numbers within the f32 range.`);
    }
  }
  throw new RvfError('EINVAL', `${where}: the vector's squared length ${squared.toExponential(2)} would overflow f32 distances; scale it down (normalize it).`);
}

/**
 * The sum of squares of `values[offset .. offset + n)`, in four independent
 * partial sums: one running sum is a chain of dependent additions, each waiting
 * for the last (2.1 ms a 1000 x 384 batch); four let the CPU overlap them.
 */
function squaredLength(values: Float32Array, offset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = offset + n;
  let i = offset;
  for (; i + 3 < end; i += 4) {
    const a = values[i] as number;
    const b = values[i + 1] as number;
    const c = values[i + 2] as number;
    const d = values[i + 3] as number;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < end; i++) {
    const a = values[i] as number;
    s0 += a * a;
  }
  return s0 + s1 + s2 + s3;
}

/**
 * Refuses a query vector with no direction under cosine: length 0 in the
 * engine's f32 arithmetic (every element zero, or so small that its square
 * rounds to 0). The engine would rank such a query at distance 1 from every
 * vector, an answer that looks like a result and means nothing.
 */
export function checkQueryDirection(query: Float32Array, metric: Metric, where: string): void {
  if (metric !== 'cosine' || !query.every((x) => Math.fround(x * x) === 0)) return;
  throw new RvfError(
    'EINVAL',
    `${where}: a zero vector has no direction under cosine, so its distance to every vector is undefined (this one's length is 0 in f32); send a non-zero query vector.`,
  );
}

export function checkK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > LIMITS.maxK) {
    throw new RvfError(
      'ELIMIT',
      `k must be an integer from 1 to ${LIMITS.maxK} (the maximum), got ${String(k)}.`,
    );
  }
  return k;
}

/** True when every element of `values` is finite (NaN and ±Infinity fail). */
export function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x - x !== 0) return false;
  }
  return true;
}

/**
 * Metadata as it is stored: a JSON object or null, at most LIMITS.maxMetadataBytes
 * of UTF-8. Used by writers that run in a browser too (store/bytes-store.ts).
 */
export function encodeMetadata(metadata: unknown, where: string): string | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new RvfError('EINVAL', `${where}: metadata must be a JSON object or null.`);
  }
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch (err) {
    throw new RvfError('EINVAL', `${where}: metadata cannot be written as JSON (${(err as Error).message}).`);
  }
  if (Buffer.byteLength(json) > LIMITS.maxMetadataBytes) {
    throw new RvfError('ELIMIT', `${where}: metadata is over the ${LIMITS.maxMetadataBytes}-byte limit; store large content elsewhere and keep a reference.`);
  }
  if (jsonHasProtoKey(json)) {
    throw new RvfError('EINVAL', `${where}: metadata has a key named "__proto__", which many JSON tools drop or turn into a prototype; rename that key.`);
  }
  // only a run of 16 digits can be such a number, so most metadata is never walked
  const rounded = /\d{16}/.test(json) ? findRoundedInteger(metadata) : undefined;
  if (rounded !== undefined) throw new RvfError('EINVAL', `${where}: metadata holds ${roundedIntegerText(rounded)}; send integers that large as strings.`);
  return json;
}

const MAX_SAFE_ID = BigInt(Number.MAX_SAFE_INTEGER);

/** An id as results carry it: a number up to 2^53-1, beyond that its decimal string (JSON keeps every digit). */
export function idToJson(id: bigint): number | string {
  return id <= MAX_SAFE_ID ? Number(id) : id.toString();
}

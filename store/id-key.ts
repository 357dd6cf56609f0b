/**
 * Map and Set keys for ids: ids up to 2^53-1 (nearly all) as numbers, larger
 * ones as bigints. Each id has exactly one key, so lookups by key agree with
 * lookups by id; small-number keys hash and compare without touching a BigInt
 * (a BigInt-keyed map cost ~1.2 ms of a 1000-entry commit's bookkeeping).
 */
export type IdKey = number | bigint;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function idKey(id: bigint): IdKey {
  return id <= MAX_SAFE ? Number(id) : id;
}

export function idOfKey(key: IdKey): bigint {
  return typeof key === 'bigint' ? key : BigInt(key);
}

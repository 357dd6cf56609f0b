import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idKey, idKeys } from '../store/id-key.ts';

/** idKeys reads ids from their 32-bit halves; each key must be exactly the one idKey gives. */
test('idKeys gives the same key as idKey for every id, around 2^32 and 2^53, and for a view into a larger array', () => {
  const ids = [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 7n, 2n ** 53n - 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n];
  const whole = BigUint64Array.from([99n, ...ids, 98n]);
  const view = whole.subarray(1, 1 + ids.length);
  assert.equal(view.byteOffset, 8);
  const keys = idKeys(view);
  assert.deepEqual(keys, ids.map(idKey));
  // numbers exactly up to 2^53-1, bigints from 2^53: one key per id
  assert.equal(keys[7], Number.MAX_SAFE_INTEGER);
  assert.equal(keys[8], 2n ** 53n);
  assert.deepEqual(idKeys(new BigUint64Array(0)), []);
});

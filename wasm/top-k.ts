/**
 * Which rows may be in the exact top k, from the kernel's float32 distances
 * and a bound on their error (wasm/exact-distance.ts): every row whose
 * float32 distance is within twice the error of the k-th smallest, plus every
 * row the kernel could not decide (a non-finite value). The caller computes
 * those few in float64 and ranks them by (distance, id), so float32's
 * summation order never decides a result, nor a near-tie.
 *
 * Why the threshold holds: with |d32 - d| <= e(d), the k rows of smallest d32
 * all have d <= D + e, where D is the k-th smallest d32; so the exact k-th
 * smallest d is at most that, and any row that can beat it has
 * d32 <= d + e(d) <= (D + e) + e. For l2 (relative error c) the same argument
 * gives D (1 + c) / (1 - c).
 */
export function candidates(d32: Float32Array, k: number, bound: { relative: number; absolute: number }): number[] {
  const n = d32.length;
  const kth = kthSmallestFinite(d32, k);
  let limit = Infinity;
  if (kth !== undefined) {
    limit = bound.relative > 0 ? (kth * (1 + bound.relative)) / (1 - bound.relative) : kth + 2 * bound.absolute;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = d32[i] as number;
    // True for NaN and -Infinity too, and +Infinity is tested apart: the values the kernel could not decide.
    if (!(d > limit) || d === Infinity) out.push(i);
  }
  return out;
}

/** The k-th smallest finite value, undefined when fewer than k are finite (a max-heap of the k smallest so far). */
function kthSmallestFinite(values: Float32Array, k: number): number | undefined {
  const heap = new Float64Array(k);
  let size = 0;
  let i = 0;
  for (; i < values.length && size < k; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    // Sift up.
    let at = size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if ((heap[parent] as number) >= v) break;
      heap[at] = heap[parent] as number;
      at = parent;
    }
    heap[at] = v;
  }
  // The hot loop: most values are not below the largest kept one, and a NaN never is.
  let top = heap[0] as number;
  for (; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v < top) || v === -Infinity) continue;
    // Replace the largest and sift down.
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= k) break;
      const right = left + 1;
      const child = right < k && (heap[right] as number) > (heap[left] as number) ? right : left;
      if ((heap[child] as number) <= v) break;
      heap[at] = heap[child] as number;
      at = child;
    }
    heap[at] = v;
    top = heap[0] as number;
  }
  return size < k ? undefined : top;
}

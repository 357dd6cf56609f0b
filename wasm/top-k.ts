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
 *
 * One pass: the k smallest so far sit in a max-heap, and a row is kept when it
 * is under the limit of the heap's current top. The top only falls, so what
 * was kept early is checked once more against the final limit; in random
 * order only about k ln(n / k) rows are ever kept.
 */
export function candidates(d32: Float32Array, k: number, bound: { relative: number; absolute: number }): number[] {
  const limitOf = (kth: number): number => (bound.relative > 0 ? (kth * (1 + bound.relative)) / (1 - bound.relative) : kth + 2 * bound.absolute);
  const heap = new Float64Array(k);
  let size = 0;
  let top = Infinity;
  let limit = Infinity;
  const kept: number[] = [];
  for (let i = 0; i < d32.length; i++) {
    const d = d32[i] as number;
    // The common case, a far row. (+Infinity is a value the kernel could not decide: kept.)
    if (d > limit && d !== Infinity) continue;
    kept.push(i);
    if (!(d < top) || !Number.isFinite(d)) continue;
    if (size < k) {
      // Sift up.
      let at = size++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if ((heap[parent] as number) >= d) break;
        heap[at] = heap[parent] as number;
        at = parent;
      }
      heap[at] = d;
    } else {
      // Replace the largest and sift down.
      let at = 0;
      for (;;) {
        const left = 2 * at + 1;
        if (left >= k) break;
        const right = left + 1;
        const child = right < k && (heap[right] as number) > (heap[left] as number) ? right : left;
        if ((heap[child] as number) <= d) break;
        heap[at] = heap[child] as number;
        at = child;
      }
      heap[at] = d;
    }
    if (size === k) {
      top = heap[0] as number;
      limit = limitOf(top);
    }
  }
  // NaN, both infinities and rows under the final limit.
  return kept.filter((i) => {
    const d = d32[i] as number;
    return !(d > limit) || d === Infinity;
  });
}

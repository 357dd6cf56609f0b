/** Below this many rows one pass over them all costs about what the kernel's pass would. */
const PREFILTER_MIN_ROWS = 4096;
/** The rows whose k smallest set the first limit: about 1% of 100k rows then pass it. */
const SAMPLE_ROWS = 1024;

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
 *
 * With `notAbove` (the kernel's not_above: the positions, ascending, of the
 * distances not above a limit or +inf), the pass runs over those positions
 * only. The k-th smallest of the first rows is at least the k-th smallest of
 * all, so every row under the final limit is under that first one: the same
 * rows come out, with the far ones skipped four at a time by a vector compare
 * (0.3 ms of JavaScript over 100k distances after a scan).
 */
export function candidates(
  d32: Float32Array,
  k: number,
  bound: { relative: number; absolute: number },
  notAbove?: (limit: number) => Uint32Array,
): number[] {
  const limitOf = (kth: number): number => (bound.relative > 0 ? (kth * (1 + bound.relative)) / (1 - bound.relative) : kth + 2 * bound.absolute);
  if (notAbove === undefined || d32.length < PREFILTER_MIN_ROWS) return select(d32, k, limitOf).kept;
  const first = select(d32.subarray(0, SAMPLE_ROWS), k, limitOf).limit;
  if (first === Infinity) return select(d32, k, limitOf).kept;
  return select(d32, k, limitOf, notAbove(first)).kept;
}

/**
 * The pass itself, over `positions` of d32 (ascending) or all of it: the kept
 * rows, and the final limit (Infinity with fewer than k finite distances).
 */
function select(d32: Float32Array, k: number, limitOf: (kth: number) => number, positions?: Uint32Array): { kept: number[]; limit: number } {
  const heap = new Float64Array(k);
  let size = 0;
  let top = Infinity;
  let limit = Infinity;
  const kept: number[] = [];
  const n = positions ? positions.length : d32.length;
  for (let j = 0; j < n; j++) {
    const i = positions ? (positions[j] as number) : j;
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
  return {
    kept: kept.filter((i) => {
      const d = d32[i] as number;
      return !(d > limit) || d === Infinity;
    }),
    limit,
  };
}

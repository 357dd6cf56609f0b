import type { Metric } from '../types.ts';

/**
 * The store's distances computed in float64 over the float32 values it
 * stores (l2 = squared euclidean, dotproduct = -dot, cosine = 1 - cos), as
 * the reference a migrated store is checked against.
 */
export function exactDistance(metric: Metric, a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (metric === 'l2') {
      const d = x - y;
      l2 += d * d;
    } else {
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  }
  if (metric === 'l2') return l2;
  if (metric === 'dotproduct') return -dot;
  return 1 - dot / (Math.sqrt(na) * Math.sqrt(nb));
}

/** Equal within 1e-6, relative to the value when it is above 1. */
export function closeEnough(got: number, want: number): boolean {
  return Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want));
}

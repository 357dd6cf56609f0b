import type { Metric } from '../types.ts';
import { exactDistance as storeDistance } from '../../wasm/exact-distance.ts';

/**
 * The store's distances computed in float64 over the float32 values it
 * stores (l2 = squared euclidean, dotproduct = -dot, cosine = 1 - cos), as
 * the reference a migrated store is checked against: the function every
 * query path reports its distances with (wasm/exact-distance.ts).
 */
export function exactDistance(metric: Metric, a: Float32Array, b: Float32Array): number {
  return storeDistance(metric, a, b, 0, a.length);
}

/** Equal within 1e-6, relative to the value when it is above 1. */
export function closeEnough(got: number, want: number): boolean {
  return Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want));
}

import type { Metric } from '../store/types.ts';

/**
 * Distances in float64 over float32 vectors as stored: the values every
 * query path reports (query, rvf_query, rvf_knn, rvf_distance, the page), so
 * they agree to the bit, and the reference the float32 kernel is bounded
 * against. Semantics are the engine's (@ruvector/rvf-wasm): l2 is the squared
 * L2 distance, dotproduct the negated dot product, cosine 1 - cos, with 1 when
 * the product of the norms is under 1e-10.
 */

export const METRIC_CODE: Record<Metric, number> = { l2: 0, dotproduct: 1, cosine: 2 };

/** The engine's threshold on |q| |r| below which cosine distance is 1. */
const COSINE_MIN_DENOM = 1e-10;

/** The distance between `q` (dim values from 0) and the row at `at` in `rows`, in float64. */
export function exactDistance(metric: Metric, q: Float32Array, rows: Float32Array, at: number, dim: number): number {
  if (metric === 'l2') {
    let s = 0;
    for (let i = 0; i < dim; i++) {
      const d = (q[i] as number) - (rows[at + i] as number);
      s += d * d;
    }
    return s;
  }
  let dot = 0;
  if (metric === 'dotproduct') {
    for (let i = 0; i < dim; i++) dot += (q[i] as number) * (rows[at + i] as number);
    return -dot;
  }
  let qq = 0;
  let rr = 0;
  for (let i = 0; i < dim; i++) {
    const a = q[i] as number;
    const b = rows[at + i] as number;
    dot += a * b;
    qq += a * a;
    rr += b * b;
  }
  const denom = Math.sqrt(qq) * Math.sqrt(rr);
  return denom < COSINE_MIN_DENOM ? 1 : 1 - dot / denom;
}

/** float32's unit roundoff. */
const U = 2 ** -24;

/**
 * How far the kernel's float32 distance can be from the float64 one: at most
 * `relative * |d| + absolute`. Standard summation bounds: a sum whose every
 * term passes through at most L float32 additions is off by at most
 * gamma(L) = L u / (1 - L u) times the sum of the terms' magnitudes. The
 * kernel's longest chain is under dim/4 lane additions plus the final
 * reductions, so L = ceil(dim / 4) + 8 over-counts it, whatever the order.
 * - l2: the terms are the squares themselves, so the bound is relative;
 * - dotproduct: sum |q_i r_i| <= |q| |r| <= |q| * (largest stored norm);
 * - cosine: the dot product's error over |q| |r| plus the norms' and the
 *   division's, all absolute since 1 - cos lies in [0, 2].
 */
export function kernelErrorBound(metric: Metric, dim: number, qnorm: number, maxNorm2: number): { relative: number; absolute: number } {
  const gamma = (n: number): number => (n * U) / (1 - n * U);
  const L = Math.ceil(dim / 4) + 8;
  // A margin of 1% on every bound covers the float64 rounding of the reference.
  if (metric === 'l2') return { relative: gamma(L + 4) * 1.01, absolute: 0 };
  if (metric === 'dotproduct') {
    // maxNorm2 itself is a float32 sum (relative error <= gamma(L)).
    const rNorm = Math.sqrt(maxNorm2 * (1 + gamma(L)));
    return { relative: 0, absolute: gamma(L + 2) * qnorm * rNorm * 1.01 + Number.MIN_VALUE };
  }
  return { relative: 0, absolute: (2 * gamma(L + 4) + 8 * U) * 1.01 };
}

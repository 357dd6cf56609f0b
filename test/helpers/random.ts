/** Seeded data for tests; no node:test import, so fixtures in child processes can use it too. */
import { mulberry32 } from '../../bench/data.ts';

/** Deterministic pseudo-random numbers in [0, 1), the generator the benchmark uses, so failures reproduce. */
export const rng = mulberry32;

export function randomVectors(count: number, dimensions: number, seed: number): Float32Array[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: dimensions }, () => next() * 2 - 1));
}

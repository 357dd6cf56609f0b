/** Deterministic benchmark data: every process regenerates the same vectors from a seed. */

export const DIMENSIONS = 384;
export const BATCH = 1000;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Vectors for ids [start, start + count), flat. */
export function vectorsFor(start: number, count: number, dimensions = DIMENSIONS): Float32Array {
  const out = new Float32Array(count * dimensions);
  const next = mulberry32(start * 7919 + 17);
  for (let i = 0; i < out.length; i++) out[i] = next() * 2 - 1;
  return out;
}

export function queries(count: number, dimensions = DIMENSIONS): Float32Array[] {
  const next = mulberry32(424242);
  return Array.from({ length: count }, () => Float32Array.from({ length: dimensions }, () => next() * 2 - 1));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

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

/**
 * Clustered vectors for ids [start, start + count), flat: each id sits near one
 * of `clusters` centres (as text embeddings gather by topic), so an approximate
 * index is measured on data with structure, not uniform noise where every
 * neighbour is about as far as every other. Each id's vector depends on the id
 * alone, so any process regenerates it.
 */
export function clusteredFor(start: number, count: number, dimensions = DIMENSIONS, clusters = 1000): Float32Array {
  const centres = centresFor(dimensions, clusters);
  const out = new Float32Array(count * dimensions);
  for (let r = 0; r < count; r++) {
    const id = start + r;
    const next = mulberry32(id * 2654435761 + 99);
    const c = Math.floor(next() * clusters) * dimensions;
    const spread = 0.15 + 0.25 * next();
    for (let j = 0; j < dimensions; j++) out[r * dimensions + j] = (centres[c + j] as number) + spread * (next() * 2 - 1);
  }
  return out;
}

/** Queries from the same distribution as clusteredFor (ids far above any stored one). */
export function clusteredQueries(count: number, dimensions = DIMENSIONS, clusters = 1000): Float32Array[] {
  const flat = clusteredFor(1e9, count, dimensions, clusters);
  return Array.from({ length: count }, (_, i) => flat.slice(i * dimensions, (i + 1) * dimensions));
}

const centreCache = new Map<string, Float32Array>();
function centresFor(dimensions: number, clusters: number): Float32Array {
  const key = `${dimensions}x${clusters}`;
  let centres = centreCache.get(key);
  if (!centres) {
    const next = mulberry32(31337 + dimensions);
    centres = Float32Array.from({ length: dimensions * clusters }, () => next() * 2 - 1);
    centreCache.set(key, centres);
  }
  return centres;
}

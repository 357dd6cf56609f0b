import type { Metric } from '../types.ts';
import { RvfError } from '../errors.ts';

/** Metric names sources use (rvlite says "euclidean"), as the store's. */
const NAMES: Record<string, Metric> = {
  cosine: 'cosine',
  euclidean: 'l2',
  l2: 'l2',
  dotproduct: 'dotproduct',
  dot: 'dotproduct',
  dot_product: 'dotproduct',
  innerproduct: 'dotproduct',
  inner_product: 'dotproduct',
};

/** The store metric for a source's metric name; undefined when the source names none. */
export function mapMetric(name: unknown, where: string): Metric | undefined {
  if (name === undefined || name === null || name === '') return undefined;
  const m = typeof name === 'string' ? NAMES[name.toLowerCase()] : undefined;
  if (!m) {
    throw new RvfError('EINVAL', `${where} uses the metric ${JSON.stringify(name)}, which has no equivalent here (cosine, euclidean, dotproduct); pass a metric to migrate to explicitly.`);
  }
  return m;
}

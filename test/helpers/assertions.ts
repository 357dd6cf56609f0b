import assert from 'node:assert/strict';
import { RvfError, type RvfErrorCode } from '../../store/index.ts';

/** Awaits a rejection that must be an RvfError with one of `codes`; returns it for further checks. */
export async function expectRvfError(p: Promise<unknown>, codes: RvfErrorCode | RvfErrorCode[] | string, label = ''): Promise<RvfError> {
  const want = Array.isArray(codes) ? codes : [codes];
  const at = label ? `${label}: ` : '';
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `${at}expected ${want.join('/')}, but the call succeeded`);
  assert.ok(caught instanceof RvfError, `${at}expected RvfError ${want.join('/')}, got ${String(caught)}`);
  assert.ok((want as string[]).includes(caught.code), `${at}got ${caught.code} (${caught.message}), expected ${want.join('/')}`);
  return caught;
}

/** Squared euclidean distance in float64 over the f32 values (the store's l2). */
export function squaredL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.fround(a[i] as number) - Math.fround(b[i] as number);
    s += d * d;
  }
  return s;
}

export type Metric = 'cosine' | 'l2' | 'dotproduct';

/** The store's distance for `metric`, in float64 over the f32 values it stores. */
export function distance(metric: Metric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.fround(a[i] as number);
    const y = Math.fround(b[i] as number);
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (metric === 'l2') return squaredL2(a, b);
  if (metric === 'dotproduct') return -dot;
  return 1 - dot / (Math.sqrt(na) * Math.sqrt(nb));
}

import { createHash } from 'node:crypto';

/**
 * A hash chained over every commit's segment headers. Headers carry each
 * payload's CRC, length, type, id and write time, so two histories that reach
 * the same epoch with same-sized commits still hash apart; the cache records
 * it beside its epoch to recognise the history it was built from.
 */
export function chainCommit(previous: string, headers: readonly Buffer[]): string {
  const hash = createHash('sha256').update(previous);
  for (const h of headers) hash.update(h);
  return hash.digest('hex').slice(0, 32);
}

import { RvfError } from '../store/errors.ts';
import { LIMITS } from '../schemas/limits.ts';
import type { QueryParams } from './query-protocol.ts';

/**
 * Refuses params nested deeper than LIMITS.maxParamsDepth (the params array
 * or object itself is level 1). It must run before anything recurses into
 * them: JSON.stringify (encodeParams) overflows the stack on a value nested
 * 100k deep, which JSON.parse reads without trouble. It walks with its own
 * stack for the same reason, and a cyclic value ends at the limit too.
 */
export function checkParamsDepth(params: QueryParams): void {
  if (params === undefined) return;
  const pending: [unknown, number][] = [[params, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (depth > LIMITS.maxParamsDepth) {
      throw new RvfError('ELIMIT', `params nest deeper than ${LIMITS.maxParamsDepth} levels; flatten them, or pass a deep document as JSON text in a string.`);
    }
    for (const child of childrenOf(value)) pending.push([child, depth + 1]);
  }
}

/** The arrays and objects directly inside `value`; a typed array or Buffer holds only numbers. */
function childrenOf(value: unknown): unknown[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  return (Array.isArray(value) ? value : Object.values(value)).filter((v) => v !== null && typeof v === 'object');
}

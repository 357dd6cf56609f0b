import { RvfError } from '../store/errors.ts';
import { isRoundedInteger, roundedIntegerText } from '../schemas/json-integers.ts';
import { LIMITS } from '../schemas/limits.ts';
import { isBigIntParam, type QueryParams } from './query-protocol.ts';

/**
 * Refuses params nested deeper than LIMITS.maxParamsDepth (the params array
 * or object itself is level 1), and tells whether any bigint (or its wire
 * form, {"$bigint": "digits"}) is inside. It must run before anything
 * recurses into them: JSON.stringify overflows the stack on a value nested
 * 100k deep, which JSON.parse reads without trouble. It walks with its own
 * stack for the same reason, and a cyclic value ends at the limit too.
 *
 * Knowing about bigints here spares the common batch (10,000 rows of plain
 * JSON) a JSON round trip with a replacer in this process and one with a
 * reviver in the query child: each calls a function per value.
 */
export function checkParams(params: QueryParams): { bigints: boolean } {
  let bigints = false;
  if (params === undefined) return { bigints };
  const pending: [unknown, number][] = [[params, 1]];
  const visit = (child: unknown, depth: number): void => {
    if (typeof child === 'bigint') bigints = true;
    else if (typeof child === 'number') {
      if (isRoundedInteger(child)) {
        throw new RvfError('EINVAL', `params hold ${roundedIntegerText(child)}; pass it as a string and convert it in the query: toInteger($p) in Cypher, CAST(? AS INTEGER) in SQL.`);
      }
    } else if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
  };
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth] = next;
    if (depth > LIMITS.maxParamsDepth) {
      throw new RvfError('ELIMIT', `params nest deeper than ${LIMITS.maxParamsDepth} levels; flatten them, or pass a deep document as JSON text in a string.`);
    }
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue;
    if (!bigints && isBigIntParam(value)) bigints = true;
    if (Array.isArray(value)) {
      for (const child of value) visit(child, depth);
    } else {
      // for...in over an own-keys object, without the array Object.values makes for each of them
      for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) visit((value as Record<string, unknown>)[key], depth);
    }
  }
  return { bigints };
}

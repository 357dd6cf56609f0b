import { z } from 'zod';

/**
 * A free-form JSON object input (metadata, a filter), handed on as the very
 * object the client sent. zod's z.record builds a copy and leaves out a key
 * named "__proto__" (so that the copy's prototype cannot change), which would
 * turn {"__proto__": {...}, "b": 2} into {"b": 2} without a word. The library
 * refuses that key itself with a message naming it (store/proto-key.ts), so
 * it must get there. Listed in tools/list as `{"type": "object"}`, exactly as
 * a record of unknown values is.
 */
export function jsonObject(error: string) {
  return (
    z
      .unknown()
      .refine(isJsonObject, { error })
      // The refinement checked the shape; the transform only tells TypeScript.
      .transform((value) => value as Record<string, unknown>)
      .meta({ type: 'object' })
  );
}

function isJsonObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

import { z } from 'zod';

/**
 * Optional tool inputs in the shape every model provider takes. OpenAI's
 * strict function calling needs every property listed in `required`, so an
 * optional input is advertised as required and nullable (`anyOf: [T, null]`),
 * and null means "not given". Leaving the key out is still accepted, for
 * clients that never saw the schema. zod's own `.optional()` and `.default()`
 * would drop the key from `required` and add a `default` keyword, which strict
 * mode refuses; the default is stated in the description instead.
 */

/** Not given (missing or null) comes out as undefined. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => v ?? null, schema.nullable().transform((v) => v ?? undefined));
}

/** Not given (missing or null) comes out as `value`. */
export function withDefault<T extends z.ZodType>(schema: T, value: z.output<T>) {
  return z.preprocess((v) => v ?? null, schema.nullable().transform((v) => v ?? value));
}

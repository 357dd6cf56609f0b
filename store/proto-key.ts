/**
 * A key named "__proto__" is refused in metadata and in filters, at any depth,
 * by the library and therefore by every tool. JSON.parse keeps it as an own
 * key, but much that handles JSON afterwards does not: assigning it to an
 * object replaces the object's prototype, and zod's records and many JSON
 * tools leave it out. A metadata key of that name would be kept by one path
 * and silently lost by the next, so it gets one answer everywhere: rename it.
 */

export const PROTO_KEY = '__proto__';

/**
 * Whether JSON text as JSON.stringify writes it has a key named __proto__ at
 * any depth. Such a key follows `{` or `,` directly (no whitespace is
 * written); inside a string every quote is escaped, so `{"` and `,"` never
 * occur there, and a scan of the text is exact with no recursion.
 */
export function jsonHasProtoKey(json: string): boolean {
  return json.includes(`{"${PROTO_KEY}":`) || json.includes(`,"${PROTO_KEY}":`);
}

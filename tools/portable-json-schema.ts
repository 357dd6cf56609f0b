import { z } from 'zod';

/**
 * A tool's zod schema as JSON Schema in the subset that OpenAI's strict
 * function calling and Gemini's function declarations both read. zod writes
 * three things they do not, each rewritten here to a form that means the same:
 * - `$schema` at the root: dropped;
 * - `type: ["string", "null"]`, zod's form of a nullable plain type: written
 *   as `anyOf: [{type: "string", ...}, {type: "null"}]`, since only one type
 *   name per node is common to both;
 * - a free-form object (`z.record`) as `propertyNames: {type: "string"}` and
 *   `additionalProperties: {}`: neither says anything a JSON object does not
 *   already hold, so both are dropped and the object is left as `{type: "object"}`.
 * test/tool-schemas.test.ts holds every listed input schema to that subset.
 */

type Json = Record<string, unknown>;

/** Keywords that describe a node as a whole, kept beside `anyOf` rather than moved into a branch. */
const NODE_KEYWORDS = new Set(['description', 'title']);

export function portableJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'throw' }) as Json;
  delete json.$schema;
  return rewrite(json);
}

function rewrite(node: Json): Json {
  let out: Json = {};
  for (const [key, value] of Object.entries(node)) out[key] = rewriteValue(key, value);
  if (isStringKeys(out.propertyNames)) delete out.propertyNames;
  if (isEmptyObject(out.additionalProperties)) {
    delete out.additionalProperties;
    if (isEmptyObject(out.properties)) delete out.properties;
  }
  if (Array.isArray(out.type)) out = splitTypes(out, out.type as string[]);
  return out;
}

function rewriteValue(key: string, value: unknown): unknown {
  if (key === 'properties' && isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isObject(sub) ? rewrite(sub) : sub]));
  }
  if (Array.isArray(value)) return value.map((v) => (isObject(v) && key !== 'enum' ? rewrite(v) : v));
  if (isObject(value) && key !== 'default' && key !== 'const') return rewrite(value);
  return value;
}

/** `{type: [T, "null"], ...rest}` -> `{anyOf: [{type: T, ...rest}, {type: "null"}]}`, description kept outside. */
function splitTypes(node: Json, types: string[]): Json {
  const outer: Json = {};
  const inner: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type') continue;
    (NODE_KEYWORDS.has(key) ? outer : inner)[key] = value;
  }
  outer.anyOf = types.map((t) => (t === 'null' ? { type: 'null' } : { type: t, ...inner }));
  return outer;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}

function isStringKeys(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 1 && value.type === 'string';
}

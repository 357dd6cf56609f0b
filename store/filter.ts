import { RvfError } from './errors.ts';
import { LIMITS } from '../schemas/limits.ts';
import type { FilterScalar } from '../schemas/filter.ts';
import { PROTO_KEY } from './proto-key.ts';
import { findRoundedInteger, roundedIntegerText } from '../schemas/json-integers.ts';

/**
 * Compiles a metadata filter (schemas/filter.ts) to a SQL condition over the
 * cache's `vectors.metadata` JSON, with every value and path bound as a
 * parameter. Semantics, chosen to match MongoDB's:
 * - values compare only with values of the same JSON type (1 never equals "1");
 * - `{f: null}` matches an explicit null or a missing field;
 * - `$ne` and `$nin` match documents that lack the field;
 * - arrays and objects are not compared.
 *
 * A field name's dots separate nested names; `\.` is a dot inside a key and
 * `\\` a backslash, so that a metadata key holding a dot can be named too.
 * A key named __proto__ is refused wherever it appears (a key, an operator, a
 * name in a dotted path), as it is in metadata.
 *
 * SQLite parses `a OR b OR c` as a tree as deep as the list is long and stops
 * at depth 1000, so $and/$or are joined as balanced trees, and $in lists are
 * bound as one JSON array read with json_each.
 */

export interface CompiledFilter {
  where: string;
  params: unknown[];
  /** True when the filter has no condition at all (it matches everything). */
  empty: boolean;
}

/** A quoted label of a SQLite JSON path ends at `"`, and a key with control characters cannot be spelled in one. */
const UNNAMEABLE = /["\u0000-\u001f]/;
const MATCH_ALL = '1';

/**
 * Checked by hand rather than by the zod schema so that every refusal names
 * the field and says what to send instead (zod would say "Invalid input").
 */
export function compileFilter(input: unknown): CompiledFilter {
  // as in metadata (wasm/validate.ts): such a number was rounded by JSON.parse, and metadata never holds one
  const rounded = findRoundedInteger(input);
  if (rounded !== undefined) throw new RvfError('EINVAL', `filter holds ${roundedIntegerText(rounded)}; metadata cannot hold such a number either, so compare with the string it was stored as.`);
  const params: unknown[] = [];
  const where = compileNode(input, 'filter', params, 1, { nodes: 0 });
  return { where, params, empty: where === MATCH_ALL };
}

/** True when `input` is a valid filter with no condition at all, which matches every vector; throws as compileFilter does. */
export function isEmptyFilter(input: unknown): boolean {
  return compileFilter(input).empty;
}

const SYNTAX = 'e.g. {"topic": "rust", "year": {"$gte": 2020}}';
const OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists'];

/** Metadata never holds the key (store/proto-key.ts), so a filter naming it, anywhere, is a mistake to report. */
function refuseProtoKey(key: string): void {
  if (key === PROTO_KEY) {
    throw new RvfError('EINVAL', `filter names the key "${PROTO_KEY}", which metadata may not hold because many JSON tools drop it or turn it into a prototype; remove that condition.`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isScalar(value: unknown): value is FilterScalar {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function compileNode(filter: unknown, at: string, params: unknown[], depth: number, budget: { nodes: number }): string {
  if (!isPlainObject(filter)) {
    throw new RvfError('EINVAL', `${at} must be a JSON object of conditions, ${SYNTAX}.`);
  }
  if (depth > LIMITS.maxFilterDepth) {
    throw new RvfError('ELIMIT', `filter nests deeper than ${LIMITS.maxFilterDepth} levels; flatten it.`);
  }
  const clauses: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    refuseProtoKey(key);
    if (++budget.nodes > LIMITS.maxFilterNodes) {
      throw new RvfError('ELIMIT', `filter has more than ${LIMITS.maxFilterNodes} conditions; split the query.`);
    }
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) {
        throw new RvfError('EINVAL', `${key} takes a non-empty array of filters, e.g. {"${key}": [{"a": 1}, {"b": 2}]}.`);
      }
      clauses.push(balanced(value.map((f, i) => compileNode(f, `${key}[${i}]`, params, depth + 1, budget)), key === '$and' ? 'AND' : 'OR'));
    } else if (key.startsWith('$')) {
      throw new RvfError('EINVAL', `unknown filter operator ${key}; use $and or $or at this level, and ${OPERATORS.join(' ')} inside a field.`);
    } else if (Array.isArray(value)) {
      throw new RvfError('EINVAL', `filter field ${key} has an array; use {"$in": [...]} to match one of several values.`);
    } else if (isPlainObject(value)) {
      clauses.push(compileOperators(key, jsonPath(key), value, params));
    } else if (isScalar(value)) {
      clauses.push(equals(jsonPath(key), value, params));
    } else {
      throw new RvfError('EINVAL', `filter field ${key} must be a string, number, boolean, null or an operator object, ${SYNTAX}.`);
    }
  }
  return clauses.length === 0 ? MATCH_ALL : balanced(clauses, 'AND');
}

/** Joins clauses as a balanced tree, so its depth is log2 of their number. */
function balanced(clauses: string[], op: 'AND' | 'OR'): string {
  if (clauses.length === 1) return clauses[0] as string;
  const mid = Math.ceil(clauses.length / 2);
  return `(${balanced(clauses.slice(0, mid), op)} ${op} ${balanced(clauses.slice(mid), op)})`;
}

/**
 * The keys a field name walks through: a plain dot separates them, `\.` is a
 * dot and `\\` a backslash inside one. Any other backslash is refused, so
 * that a later escape (say `\"`) can never change what an accepted name means.
 */
function fieldKeys(field: string): string[] {
  const keys: string[] = [];
  let key = '';
  for (const [token, escaped] of field.matchAll(/\\(.?)|\.|[^\\.]+/gsu)) {
    if (token === '.') {
      keys.push(key);
      key = '';
    } else if (escaped === undefined) {
      key += token;
    } else if (escaped === '.' || escaped === '\\') {
      key += escaped;
    } else {
      throw new RvfError(
        'EINVAL',
        `filter field ${JSON.stringify(field)} has a backslash that starts neither \\. nor \\\\; write a dot inside a key as \\. and a backslash as \\\\ (in JSON text "a\\\\.b" is the key a.b), since a plain dot separates nested names.`,
      );
    }
  }
  keys.push(key);
  keys.forEach(refuseProtoKey);
  return keys;
}

/**
 * SQLite reads a quoted path label with JSON's escapes, so `$."a.b"` selects
 * the key a.b itself and a backslash in a key is written `\\` in the label.
 */
function jsonPath(field: string): string {
  const keys = fieldKeys(field);
  if (keys.some((k) => k === '')) {
    throw new RvfError('EINVAL', `filter field ${JSON.stringify(field)} has an empty name before, after or between dots; name every nested field, e.g. "author.name".`);
  }
  if (keys.some((k) => UNNAMEABLE.test(k))) {
    throw new RvfError('EINVAL', `filter field ${JSON.stringify(field)} holds a double quote or a control character, which a filter cannot name; rename that metadata key.`);
  }
  return '$' + keys.map((k) => `."${k.replaceAll('\\', '\\\\')}"`).join('');
}

function compileOperators(field: string, path: string, ops: Record<string, unknown>, params: unknown[]): string {
  const clauses: string[] = [];
  for (const [op, value] of Object.entries(ops)) {
    if (value === undefined) continue;
    refuseProtoKey(op);
    checkOperand(field, op, value);
    switch (op) {
      case '$eq':
        clauses.push(equals(path, value as FilterScalar, params));
        break;
      case '$ne':
        clauses.push(`NOT ${equals(path, value as FilterScalar, params)}`);
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        clauses.push(compare(path, op, value as number | string, params));
        break;
      case '$in':
        clauses.push(oneOf(path, value as FilterScalar[], params));
        break;
      case '$nin':
        clauses.push(`NOT ${oneOf(path, value as FilterScalar[], params)}`);
        break;
      case '$exists':
        params.push(path);
        clauses.push(value ? '(json_type(metadata, ?) IS NOT NULL)' : '(json_type(metadata, ?) IS NULL)');
        break;
    }
  }
  if (clauses.length === 0) {
    throw new RvfError('EINVAL', `filter field ${field} has an empty operator object; give a value or an operator such as {"$eq": ...}.`);
  }
  return balanced(clauses, 'AND');
}

function checkOperand(field: string, op: string, value: unknown): void {
  const bad = (want: string): RvfError => new RvfError('EINVAL', `filter field ${field}: ${op} takes ${want}, got ${JSON.stringify(value)}.`);
  switch (op) {
    case '$eq':
    case '$ne':
      if (!isScalar(value)) throw bad('a string, number, boolean or null');
      return;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) throw bad('a number or a string');
      return;
    case '$in':
    case '$nin':
      if (!Array.isArray(value) || !value.every(isScalar)) throw bad('an array of strings, numbers, booleans or nulls');
      if (value.length > LIMITS.maxFilterListValues) {
        throw new RvfError('ELIMIT', `a ${op} list holds at most ${LIMITS.maxFilterListValues} values, got ${value.length}; split the query.`);
      }
      return;
    case '$exists':
      if (typeof value !== 'boolean') throw bad('true or false');
      return;
    default:
      throw new RvfError('EINVAL', `filter field ${field}: unknown operator ${op}; use one of ${OPERATORS.join(' ')}.`);
  }
}

/** Always 0 or 1, never NULL, so NOT works as "does not match". */
function equals(path: string, value: FilterScalar, params: unknown[]): string {
  if (value === null) {
    params.push(path);
    return `(coalesce(json_type(metadata, ?), 'null') = 'null')`;
  }
  if (typeof value === 'boolean') {
    params.push(path);
    return `(coalesce(json_type(metadata, ?), '') = '${value ? 'true' : 'false'}')`;
  }
  if (typeof value === 'number') {
    params.push(path, path, value);
    return `(coalesce(json_type(metadata, ?), '') IN ('integer', 'real') AND json_extract(metadata, ?) = ?)`;
  }
  params.push(path, path, value);
  return `(coalesce(json_type(metadata, ?), '') = 'text' AND json_extract(metadata, ?) = ?)`;
}

/** $in: one condition per JSON type present, numbers and strings as bound JSON lists. */
function oneOf(path: string, values: FilterScalar[], params: unknown[]): string {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const strings = values.filter((v): v is string => typeof v === 'string');
  const parts: string[] = [];
  if (numbers.length > 0) {
    params.push(path, path, JSON.stringify(numbers));
    parts.push(`(coalesce(json_type(metadata, ?), '') IN ('integer', 'real') AND json_extract(metadata, ?) IN (SELECT value FROM json_each(?)))`);
  }
  if (strings.length > 0) {
    params.push(path, path, JSON.stringify(strings));
    parts.push(`(coalesce(json_type(metadata, ?), '') = 'text' AND json_extract(metadata, ?) IN (SELECT value FROM json_each(?)))`);
  }
  for (const special of [true, false, null] as const) {
    if (values.includes(special)) parts.push(equals(path, special, params));
  }
  return parts.length === 0 ? '(0)' : balanced(parts, 'OR');
}

const SQL_OP = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;

function compare(path: string, op: keyof typeof SQL_OP, value: number | string, params: unknown[]): string {
  const types = typeof value === 'number' ? `IN ('integer', 'real')` : `= 'text'`;
  params.push(path, path, value);
  return `(coalesce(json_type(metadata, ?), '') ${types} AND json_extract(metadata, ?) ${SQL_OP[op]} ?)`;
}

import { KIND } from './compare.ts';
import { isListType, type Sql, type VType } from './values.ts';

/**
 * The SQL of Cypher comparisons, IN, ORDER BY keys and grouping keys.
 *
 * Plain SQL where it already means what Cypher means: both sides of one known
 * scalar type (numbers, strings, booleans; SQLite compares integers and reals
 * exactly and strings by UTF-8 bytes, which is code point order), or one side
 * a known scalar and the other a value of unknown type (a property), with a
 * json_type test so a boolean property is not the number 1 and a list is not
 * its JSON text. That keeps `n.name = $x` one SQLite comparison and lets
 * `d.vector_id = id` use its index. Everything else goes through the JS
 * comparator (compare.ts), which knows lists, maps, nulls inside them, NaN
 * and mixed types.
 */

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

const SCALAR: ReadonlySet<VType> = new Set(['num', 'str', 'bool']);

/** The (kind, value) argument pair of a comparator function for a value. */
export function kindArgs(v: Sql): string {
  switch (v.type) {
    case 'num':
      return `${KIND.num}, ${v.native}`;
    case 'str':
      return `${KIND.str}, ${v.native}`;
    case 'bool':
      return `${KIND.bool}, ${v.native}`;
    case 'node':
      return `${KIND.node}, ${v.native}`;
    case 'rel':
      return `${KIND.rel}, ${v.native}`;
    case 'nodes':
      return `${KIND.nodes}, ${v.native}`;
    case 'rels':
      return `${KIND.rels}, ${v.native}`;
    case 'null':
      return `${KIND.json}, NULL`;
    default:
      return `${KIND.json}, ${v.json}`;
  }
}

/** A value whose native form plain SQL compares as Cypher does. */
export function plain(v: Sql): boolean {
  return SCALAR.has(v.type) && v.special !== true;
}

/** json_type of a value of unknown type: 'null' for a JSON null, NULL for a missing one. */
function typeOf(v: Sql): string {
  return v.jsonType ?? `json_type(${v.json})`;
}

/** SQL true when a value of unknown type holds a value of the scalar type `t`. */
function holds(v: Sql, t: VType): string {
  const types = t === 'num' ? `'integer', 'real'` : t === 'str' ? `'text'` : `'true', 'false'`;
  return `${typeOf(v)} IN (${types})`;
}

/** Cypher `l op r` as SQL giving 1, 0 or NULL. */
export function compareSql(op: CompareOp, l: Sql, r: Sql): string {
  if (l.type === 'null' || r.type === 'null') return 'NULL';
  const ordering = op !== '=' && op !== '<>';
  if (plain(l) && l.type === r.type) return `(${l.native} ${op} ${r.native})`;
  if (!ordering && ((l.type === 'node' && r.type === 'node') || (l.type === 'rel' && r.type === 'rel'))) return `(${l.native} ${op} ${r.native})`;
  // a property (unknown type) against a known scalar
  const [unknown, known] = l.type === 'any' && plain(r) ? [l, r] : r.type === 'any' && plain(l) ? [r, l] : [null, null];
  if (unknown && known) {
    const guard = holds(unknown, known.type);
    if (ordering) return `(CASE WHEN ${guard} THEN ${l.native} ${op} ${r.native} END)`;
    // the plain comparison first, so the json_type test only runs on a match
    const eq = `(${l.native} = ${r.native} AND (${guard} OR ${known.native} IS NULL))`;
    return op === '=' ? eq : `(NOT ${eq})`;
  }
  if (op === '=') return `cypher_eq(${kindArgs(l)}, ${kindArgs(r)})`;
  if (op === '<>') return `(NOT cypher_eq(${kindArgs(l)}, ${kindArgs(r)}))`;
  return `cypher_cmp('${op}', ${kindArgs(l)}, ${kindArgs(r)})`;
}

/** The elements of a JSON list whose json_each type can equal a scalar of type `t` (and nulls, which make IN null). */
function candidates(t: VType, list: string): string {
  const types = t === 'num' ? `'integer', 'real', 'null'` : t === 'str' ? `'text', 'null'` : `'true', 'false', 'null'`;
  return `(SELECT value FROM json_each(${list}) WHERE type IN (${types}))`;
}

/** Cypher `l IN r` as SQL giving 1, 0 or NULL (r a list value). */
export function inSql(l: Sql, r: Sql): string {
  if (r.type === 'null') return 'NULL';
  if ((l.type === 'node' && r.type === 'nodes') || (l.type === 'rel' && r.type === 'rels')) return `(${l.native} IN (SELECT value FROM json_each(${r.native})))`;
  const list = r.type === 'nodes' || r.type === 'rels' ? null : r.json;
  if (list !== null && (plain(l) || l.type === 'any')) {
    // a null list is null, and so is any value that is not a list (Cypher refuses it)
    const isArray = isListType(r.type) ? `${list} IS NOT NULL` : `json_type(${list}) = 'array'`;
    if (plain(l)) return `(CASE WHEN ${isArray} THEN ${l.native} IN ${candidates(l.type, list)} END)`;
    return (
      `(CASE WHEN NOT ${isArray} THEN NULL ` +
      `WHEN ${typeOf(l)} IN ('integer', 'real') THEN ${l.native} IN ${candidates('num', list)} ` +
      `WHEN ${typeOf(l)} = 'text' THEN ${l.native} IN ${candidates('str', list)} ` +
      `ELSE cypher_in(${kindArgs(l)}, ${kindArgs(r)}) END)`
    );
  }
  return `cypher_in(${kindArgs(l)}, ${kindArgs(r)})`;
}

/** `x IN [a, b, c]` with every item of x's known scalar type: plain SQL IN. */
export function inItemsSql(l: Sql, items: Sql[]): string | null {
  const t = items[0]?.type;
  if (t === undefined || !items.every((i) => plain(i) && i.type === t)) return null;
  if (plain(l) && l.type === t) return `(${l.native} IN (${items.map((i) => i.native).join(', ')}))`;
  if (l.type === 'any') return `(${l.native} IN (${items.map((i) => i.native).join(', ')}) AND ${holds(l, t)})`;
  return null;
}

/**
 * ORDER BY terms for a value, in Cypher's order across types, null last
 * ascending and first descending. Numbers, strings and booleans of a known
 * type sort natively (a NaN, the text 'NaN', sorts after every number, as
 * Cypher wants). A value of unknown type sorts by a type rank and its native
 * value when it is a scalar, so `ORDER BY n.name` calls no JS; lists, maps and
 * nodes inside JSON get the comparator's sort key.
 */
export function orderTerms(v: Sql, descending: boolean): string[] {
  const dir = descending ? 'DESC NULLS FIRST' : 'ASC NULLS LAST';
  const then = descending ? 'DESC' : 'ASC';
  switch (v.type) {
    case 'num':
    case 'str':
    case 'bool':
    case 'node':
    case 'rel':
      return [`${v.native} ${dir}`];
    case 'null':
      return [];
    case 'any': {
      // ranks as the sort key's type bytes: lists and maps (0) before strings, booleans, numbers
      const rank = `(CASE ${typeOf(v)} WHEN 'object' THEN 0 WHEN 'array' THEN 0 WHEN 'text' THEN 6 WHEN 'true' THEN 7 WHEN 'false' THEN 7 WHEN 'integer' THEN 8 WHEN 'real' THEN 8 END)`;
      const value = `(CASE WHEN ${typeOf(v)} IN ('object', 'array') THEN cypher_key(${kindArgs(v)}) ELSE ${v.native} END)`;
      return [`${rank} ${dir}`, `${value} ${then}`];
    }
    default:
      return [`cypher_key(${kindArgs(v)}) ${dir}`];
  }
}

/**
 * The key a value is grouped by (aggregation keys, DISTINCT): equal keys for
 * equivalent values. Numbers and strings of unknown type group by their
 * native value (1 and 1.0 are one key; a number and a string never are);
 * lists, maps and booleans by the comparator's sort key (a BLOB, so never
 * equal to a number or text).
 */
export function groupKey(v: Sql, carried: string): string {
  switch (v.type) {
    case 'any':
      return `(CASE ${typeOf(v)} WHEN 'integer' THEN ${v.native} WHEN 'real' THEN ${v.native} WHEN 'text' THEN ${v.native} ELSE cypher_key(${kindArgs(v)}) END)`;
    case 'list':
    case 'map':
      return `cypher_key(${kindArgs(v)})`;
    default:
      return carried;
  }
}

/** Whether grouping a value by its carried column would split equivalent values. */
export function needsGroupKey(t: VType): boolean {
  return t === 'any' || t === 'list' || t === 'map';
}

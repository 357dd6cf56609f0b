import { checkedArith } from './checked-arith.ts';
import { carry, embed, fromColumn, fromJson, fromNative, isListType, type Sql, type VType } from './values.ts';

/**
 * Cypher's `+`: null when either side is null; list concatenation when
 * either side is a list (the other side becomes one element); string
 * concatenation when either side is a string; number addition otherwise.
 *
 * Types known when compiling pick the SQL directly. A value of unknown type
 * (a property, a map entry, an UNWIND element: JSON in SQLite) is decided per
 * value from json_type, so `n.tags + 't3'` appends to the stored array rather
 * than gluing its JSON text to the string.
 *
 * The SQL uses each operand several times, so it runs as a scalar subquery
 * that computes each operand once; written inline, a chain `a + b + c` would
 * repeat its operands' SQL exponentially. Only an expression holding an
 * aggregate is written inline (`inline`), because count(*) inside a subquery
 * would count the subquery's one row.
 */
export function plus(l: Sql, r: Sql, inline: boolean): Sql {
  if (l.type === 'null' || r.type === 'null') return fromNative('null', 'NULL');
  if (l.type === 'any' || r.type === 'any') return fromJson(decidedAtRunTime(l, r, inline));
  if (isListType(l.type) || isListType(r.type)) return lists(l, r, inline);
  const scalar = (t: VType): boolean => t === 'str' || t === 'num';
  if (l.type === 'num' && r.type === 'num') return fromNative('num', checkedArith('+', l.native, r.native));
  if (scalar(l.type) && scalar(r.type)) return fromNative('str', `(${l.native} || ${r.native})`);
  // booleans, maps, nodes: their JSON decides (a boolean joins a string as 'true', not as 1)
  return fromJson(decidedAtRunTime(l, r, inline));
}

/** `body` over both operands, each computed once (see plus). */
function withOperands(l: Sql, r: Sql, inline: boolean, body: (x: Sql, y: Sql) => string): string {
  if (inline) return `(${body(l, r)})`;
  return `(SELECT ${body(fromColumn('plus_.x', l.type), fromColumn('plus_.y', r.type))} FROM (SELECT ${carry(l)} AS x, ${carry(r)} AS y) plus_)`;
}

/** Two compact JSON arrays as one: their texts spliced. */
function splice(a: string, b: string): string {
  return `(CASE WHEN json_array_length(${a}) = 0 THEN json(${b}) WHEN json_array_length(${b}) = 0 THEN json(${a}) ELSE json(substr(json(${a}), 1, length(json(${a})) - 1) || ',' || substr(json(${b}), 2)) END)`;
}

/**
 * Both types known, one a list. Nodes with lists of nodes (relationships
 * likewise) stay lists of ids, so the result is still a list of nodes; any
 * other mix is a list of values as RETURN shows them.
 */
function lists(l: Sql, r: Sql, inline: boolean): Sql {
  const idsOf = (t: VType): string | null => (t === 'nodes' || t === 'node' ? 'nodes' : t === 'rels' || t === 'rel' ? 'rels' : null);
  const ids = idsOf(l.type) !== null && idsOf(l.type) === idsOf(r.type) ? (idsOf(l.type) as 'nodes' | 'rels') : null;
  const form = (v: Sql): string => {
    if (ids) return isListType(v.type) ? v.native : `json_array(${v.native})`;
    return isListType(v.type) ? v.json : `json_array(${embed(v)})`;
  };
  const sql = withOperands(l, r, inline, (x, y) => `CASE WHEN ${x.native} IS NULL OR ${y.native} IS NULL THEN NULL ELSE ${splice(form(x), form(y))} END`);
  return fromNative(ids ?? 'list', sql);
}

/** The result's JSON text, from the operands' JSON. */
function decidedAtRunTime(l: Sql, r: Sql, inline: boolean): string {
  const text = (j: string): string => `(CASE json_type(${j}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract(${j}, '$') AS TEXT) END)`;
  const list = (j: string): string => `(CASE json_type(${j}) WHEN 'array' THEN json(${j}) ELSE json_array(json(${j})) END)`;
  return withOperands(l, r, inline, (xv, yv) => {
    const [x, y] = [xv.json, yv.json];
    return (
      `CASE WHEN ${x} IS NULL OR ${y} IS NULL THEN NULL ` +
      `WHEN json_type(${x}) = 'array' OR json_type(${y}) = 'array' THEN ${splice(list(x), list(y))} ` +
      `WHEN json_type(${x}) = 'text' OR json_type(${y}) = 'text' THEN json_quote(${text(x)} || ${text(y)}) ` +
      `ELSE json_quote(${checkedArith('+', `json_extract(${x}, '$')`, `json_extract(${y}, '$')`)}) END`
    );
  });
}

import type { Expr } from './ast.ts';
import { invalid } from './errors.ts';
import { keyPath, propertyOf, propsOf, type ExprContext, type Scope } from './compile-expr.ts';
import { carry, embed, fromColumn, fromNative, isListType, type Sql, type VType } from './values.ts';

/**
 * The expressions that walk a list or build a map from a variable: list
 * comprehensions, the quantifiers all/any/none/single, reduce(), slices, and
 * map projections. Each compiles to a correlated scalar subquery over
 * json_each of the list, so it works wherever an expression does (WHERE,
 * WITH, RETURN, ORDER BY, the values of SET).
 *
 * The list is computed once, as the column `v` of a one-row subquery `q`,
 * and tested for null there: a null list gives null, an empty one its empty
 * result. Elements keep their order (json_group_array ... ORDER BY key).
 *
 * Variables a comprehension introduces live only in a copy of the scope, so
 * they shadow an outer variable of the same name inside the expression and
 * are gone after it. SQL aliases are numbered by nesting depth, not by a
 * query-wide counter, so the same query compiles to the same SQL text (the
 * statement cache is keyed by it) and a nested comprehension never reuses an
 * alias of an enclosing one it may refer to.
 */

export type CompileIn = (e: Expr, scope: Scope, ctx: ExprContext) => Sql;

const depths = new WeakMap<Scope, number>();

function inner(scope: Scope): { scope: Scope; depth: number } {
  const depth = (depths.get(scope) ?? 0) + 1;
  const s: Scope = new Map(scope);
  depths.set(s, depth);
  return { scope: s, depth };
}

const TYPE_NAMES: Record<VType, string> = { node: 'node', rel: 'relationship', nodes: 'list', rels: 'list', path: 'path', num: 'number', str: 'string', bool: 'boolean', list: 'list', map: 'map', any: 'value', null: 'null', date: 'date', localtime: 'localtime', time: 'time', localdatetime: 'localdatetime', datetime: 'datetime', duration: 'duration' };

/** A list operand: refuses a value that is statically not a list (a list of unknown type is checked when it runs). */
function listOperand(v: Sql, what: string): void {
  if (!isListType(v.type) && v.type !== 'any' && v.type !== 'null') throw invalid(`${what} needs a list, not a ${TYPE_NAMES[v.type]}; pass a list.`);
}

/**
 * The element type of a list literal whose items are all numbers, all
 * strings or all booleans (`[x IN ['a', 'b'] WHERE x % 2 = 0]` is then a type
 * error when compiling, as in Cypher); undefined for anything else.
 */
function literalElementType(list: Expr, scope: Scope, ctx: ExprContext, compile: CompileIn): VType | undefined {
  if (list.kind !== 'list' || list.items.length === 0) return undefined;
  const types = new Set(list.items.map((i) => compile(i, scope, ctx).type));
  const [t] = [...types];
  return types.size === 1 && (t === 'num' || t === 'str' || t === 'bool') ? t : undefined;
}

/** The element of json_each row `e` of a list of type `t` (`scalar`: all its elements are of that type). */
export function elementOf(t: VType, e: string, scalar?: VType): Sql {
  if (scalar) return fromNative(scalar, `${e}.value`);
  if (t === 'nodes') return fromNative('node', `${e}.value`);
  if (t === 'rels') return fromNative('rel', `${e}.value`);
  return { type: 'any', native: `${e}.value`, json: `(CASE ${e}.type WHEN 'null' THEN NULL WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'array' THEN ${e}.value WHEN 'object' THEN ${e}.value ELSE json_quote(${e}.value) END)` };
}

/**
 * `body` over the list computed once: `(SELECT CASE WHEN q.v IS NULL THEN
 * NULL ... END FROM (SELECT list AS v) q)`. A list of unknown type that is
 * not an array when it runs is an error, as in Cypher. `extra` adds more
 * once-computed columns (slice bounds).
 */
function overList(list: Sql, depth: number, ctx: ExprContext, what: string, body: (v: string, q: string) => string, extra: [string, string][] = []): string {
  const q = `lq${depth}`;
  const v = list.type === 'nodes' || list.type === 'rels' ? list.native : list.json;
  const cols = [`${v} AS v`, ...extra.map(([name, sql]) => `${sql} AS ${name}`)];
  const check = list.type === 'any' ? ` WHEN json_type(${q}.v) <> 'array' THEN cypher_fail(${ctx.bind(`Cypher: ${what} needs a list; the value is not one.`)})` : '';
  return `(SELECT CASE WHEN ${q}.v IS NULL THEN NULL${check} ELSE ${body(`${q}.v`, q)} END FROM (SELECT ${cols.join(', ')}) ${q})`;
}

/** `[x IN list WHERE pred | expr]` */
export function listComprehension(e: Extract<Expr, { kind: 'listComp' }>, scope: Scope, ctx: ExprContext, compile: CompileIn): Sql {
  const list = compile(e.list, scope, ctx);
  if (list.type === 'null') return fromNative('null', 'NULL');
  listOperand(list, 'a list comprehension');
  const { scope: s, depth } = inner(scope);
  const je = `le${depth}`;
  s.set(e.variable, elementOf(list.type, je, literalElementType(e.list, scope, ctx, compile)));
  const bodyCtx = { ...ctx, aggregates: false };
  const where = e.where ? ` WHERE ${compile(e.where, s, bodyCtx).native}` : '';
  let type: VType;
  let item: string;
  if (e.map === null) {
    type = list.type === 'nodes' || list.type === 'rels' ? list.type : 'list';
    item = type === 'list' ? embed(s.get(e.variable) as Sql) : `${je}.value`;
  } else {
    const m = compile(e.map, s, bodyCtx);
    if (m.type === 'node' || m.type === 'rel') {
      type = m.type === 'node' ? 'nodes' : 'rels';
      item = m.native;
    } else {
      type = 'list';
      item = embed(m);
    }
  }
  const sql = overList(list, depth, ctx, 'a list comprehension', (v) => `(SELECT json_group_array(${item} ORDER BY ${je}.key) FROM json_each(${v}) ${je}${where})`);
  return fromNative(type, sql);
}

/**
 * all/any/none/single with Cypher's three-valued logic: a null predicate
 * result makes the answer null unless the true/false results already decide
 * it (all() with a false is false; any() with a true is true).
 */
export function quantifier(e: Extract<Expr, { kind: 'quantifier' }>, scope: Scope, ctx: ExprContext, compile: CompileIn): Sql {
  const list = compile(e.list, scope, ctx);
  if (list.type === 'null') return fromNative('bool', 'NULL');
  listOperand(list, `${e.op}()`);
  const { scope: s, depth } = inner(scope);
  const je = `le${depth}`;
  s.set(e.variable, elementOf(list.type, je, literalElementType(e.list, scope, ctx, compile)));
  const pred = compile(e.where, s, { ...ctx, aggregates: false }).native;
  const trues = 'total(CASE WHEN p THEN 1 END)';
  const falses = 'total(CASE WHEN NOT p THEN 1 END)';
  const nulls = 'total(p IS NULL)';
  const decide = {
    all: `CASE WHEN ${falses} > 0 THEN 0 WHEN ${nulls} > 0 THEN NULL ELSE 1 END`,
    any: `CASE WHEN ${trues} > 0 THEN 1 WHEN ${nulls} > 0 THEN NULL ELSE 0 END`,
    none: `CASE WHEN ${trues} > 0 THEN 0 WHEN ${nulls} > 0 THEN NULL ELSE 1 END`,
    single: `CASE WHEN ${trues} > 1 THEN 0 WHEN ${nulls} > 0 THEN NULL WHEN ${trues} = 1 THEN 1 ELSE 0 END`,
  }[e.op];
  const sql = overList(list, depth, ctx, `${e.op}()`, (v) => `(SELECT ${decide} FROM (SELECT (${pred}) AS p FROM json_each(${v}) ${je}))`);
  return fromNative('bool', sql);
}

/**
 * reduce(acc = init, x IN list | expr): a recursive CTE whose row i holds the
 * accumulator after i elements; the answer is the last row. The accumulator
 * is carried in one column (values.ts carry): natively when `expr` keeps the
 * type of `init`, else as JSON text (type decided per value).
 */
export function reduce(e: Extract<Expr, { kind: 'reduce' }>, scope: Scope, ctx: ExprContext, compile: CompileIn): Sql {
  const list = compile(e.list, scope, ctx);
  if (list.type === 'null') return fromNative('null', 'NULL');
  listOperand(list, 'reduce()');
  const init = compile(e.init, scope, ctx);
  const { scope: s, depth } = inner(scope);
  const je = `le${depth}`;
  const r = `lr${depth}`;
  s.set(e.variable, elementOf(list.type, je));
  const bodyCtx = { ...ctx, aggregates: false };
  const step = (accType: VType): Sql => {
    s.set(e.acc, fromColumn(`${r}.acc`, accType));
    return compile(e.expr, s, bodyCtx);
  };
  let type: VType = init.type === 'null' ? 'any' : init.type;
  let next = step(type);
  if (next.type !== type) {
    type = 'any';
    next = step(type);
  }
  const start = type === 'any' ? init.json : carry(init);
  const sql = overList(
    list,
    depth,
    ctx,
    'reduce()',
    (v) => `(WITH RECURSIVE ${r}(i, acc) AS (SELECT 0, ${start} UNION ALL SELECT ${r}.i + 1, ${type === 'any' ? next.json : carry(next)} FROM ${r}, json_each(${v}) ${je} WHERE ${je}.key = ${r}.i) SELECT acc FROM ${r} ORDER BY i DESC LIMIT 1)`,
  );
  return type === 'any' ? fromColumn(sql, 'any') : fromNative(type, sql);
}

/** `list[from..to]`: negative bounds count from the end, out-of-range bounds are clamped, a null bound gives null. */
export function slice(e: Extract<Expr, { kind: 'slice' }>, scope: Scope, ctx: ExprContext, compile: CompileIn): Sql {
  const list = compile(e.target, scope, ctx);
  const from = e.from ? compile(e.from, scope, ctx) : null;
  const to = e.to ? compile(e.to, scope, ctx) : null;
  if (list.type === 'null' || from?.type === 'null' || to?.type === 'null') return fromNative('null', 'NULL');
  listOperand(list, 'a slice [a..b]');
  for (const b of [from, to]) if (b && b.type !== 'num' && b.type !== 'any') throw invalid(`slice bounds must be integers, not a ${TYPE_NAMES[b.type]}; fix the [a..b].`);
  const depth = (depths.get(scope) ?? 0) + 1;
  const je = `le${depth}`;
  const q = `lq${depth}`;
  const extra: [string, string][] = [];
  if (from) extra.push(['f', from.native]);
  if (to) extra.push(['t', to.native]);
  const type: VType = list.type === 'nodes' || list.type === 'rels' ? list.type : 'list';
  const item = type === 'list' ? embed(elementOf('list', je)) : `${je}.value`;
  const sql = overList(
    list,
    depth,
    ctx,
    'a slice [a..b]',
    (v) => {
      const len = `json_array_length(${v})`;
      const bound = (b: string): string => `(CASE WHEN ${b} < 0 THEN ${len} + ${b} ELSE ${b} END)`;
      const conds = [...(from ? [`${je}.key >= ${bound(`${q}.f`)}`] : []), ...(to ? [`${je}.key < ${bound(`${q}.t`)}`] : [])];
      const nullBound = [...(from ? [`${q}.f IS NULL`] : []), ...(to ? [`${q}.t IS NULL`] : [])];
      const body = `(SELECT json_group_array(${item} ORDER BY ${je}.key) FROM json_each(${v}) ${je}${conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : ''})`;
      return nullBound.length > 0 ? `(CASE WHEN ${nullBound.join(' OR ')} THEN NULL ELSE ${body} END)` : body;
    },
    extra,
  );
  return fromNative(type, sql);
}

/** A list in reverse order (reverse() of a list). */
export function reverseList(list: Sql, scope: Scope, ctx: ExprContext): Sql {
  const depth = (depths.get(scope) ?? 0) + 1;
  const je = `le${depth}`;
  const type: VType = list.type === 'nodes' || list.type === 'rels' ? list.type : 'list';
  const item = type === 'list' ? embed(elementOf('list', je)) : `${je}.value`;
  return fromNative(type, overList(list, depth, ctx, 'reverse()', (v) => `(SELECT json_group_array(${item} ORDER BY ${je}.key DESC) FROM json_each(${v}) ${je})`));
}

/**
 * `n {.name, .*, key: expr, var}` on a node, relationship or map: later
 * entries override earlier ones; a property the value lacks is null in the
 * result, as in Neo4j; a null variable gives null.
 */
export function mapProjection(e: Extract<Expr, { kind: 'mapProjection' }>, scope: Scope, ctx: ExprContext, compile: CompileIn): Sql {
  const target = scope.get(e.variable);
  if (!target) throw invalid(`variable ${e.variable} is not defined; bind it before projecting it with ${e.variable} {...}.`);
  if (target.type === 'null') return fromNative('null', 'NULL');
  const entity = target.type === 'node' || target.type === 'rel';
  if (!entity && target.type !== 'map' && target.type !== 'any') throw invalid(`a map projection needs a node, relationship or map, not the ${TYPE_NAMES[target.type]} ${e.variable}.`);
  const all = e.items.some((i) => i.kind === 'allProperties');
  const base = all ? `json(${entity ? propsOf(target) : target.json})` : `'{}'`;
  const sets: string[] = [];
  for (const item of e.items) {
    if (item.kind === 'allProperties') continue;
    if (item.kind === 'property') sets.push(keyPath(item.key), embed(propertyOf(target, item.key)));
    else if (item.kind === 'variable') sets.push(keyPath(item.name), embed(compile({ kind: 'var', name: item.name }, scope, ctx)));
    else sets.push(keyPath(item.key), embed(compile(item.expr, scope, ctx)));
  }
  const built = sets.length > 0 ? `json_set(${base}, ${sets.join(', ')})` : base;
  const present = entity ? target.native : target.json;
  const check = target.type === 'any' ? ` WHEN json_type(${present}) <> 'object' THEN cypher_fail(${ctx.bind(`Cypher: the map projection ${e.variable} {...} needs a node, relationship or map; ${e.variable} is not one.`)})` : '';
  return fromNative('map', `(CASE WHEN ${present} IS NULL THEN NULL${check} ELSE ${built} END)`);
}

/**
 * The grouping keys hidden inside an aggregating item: `n {.name, friends:
 * collect(f.name)}` groups by n (and by any non-aggregate entry), as in
 * Neo4j, although n is no item of its own.
 */
export function implicitGroupKeys(e: Expr, isAggregate: (x: Expr) => boolean): Expr[] {
  if (e.kind !== 'mapProjection' || !isAggregate(e)) return [];
  const keys: Expr[] = [{ kind: 'var', name: e.variable }];
  for (const i of e.items) {
    if (i.kind === 'variable') keys.push({ kind: 'var', name: i.name });
    else if (i.kind === 'entry' && !isAggregate(i.expr)) keys.push(i.expr);
  }
  return keys;
}

/** The scope of a nested expression, for callers (functions.ts) that build their own json_each subqueries. */
export function nestedDepth(scope: Scope): number {
  return (depths.get(scope) ?? 0) + 1;
}

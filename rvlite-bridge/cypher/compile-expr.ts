import type { Expr, Pattern } from './ast.ts';
import { CypherError, invalid, unsupported } from './errors.ts';
import { compareSql, groupKey, inItemsSql, inSql, needsGroupKey, plain } from './compare-sql.ts';
import { pathFunction } from './paths.ts';
import { extraAggregate, extraFunction, regexMatch } from './functions.ts';
import { listComprehension, mapProjection, quantifier, reduce, slice } from './list-expr.ts';
import { checkedArith } from './checked-arith.ts';
import { plus } from './plus.ts';
import { temporalArith, temporalCall, temporalCompare, temporalProperty } from './temporal/sql.ts';
import { boolJson, embed, fromJson, fromNative, isListType, scalarJson, toJsonText, type Sql, type VType } from './values.ts';

/**
 * Compiles a Cypher expression to SQL over the variables in scope. Values
 * from the query text and from $parameters are bound as named parameters;
 * only integers and SQL keywords are ever written into the SQL text.
 */

export type Scope = Map<string, Sql>;

export interface ExprContext {
  bind(value: unknown): string;
  param(name: string): unknown;
  /** aggregates are allowed only in WITH/RETURN items */
  aggregates: boolean;
  /** a pattern used as a predicate, compiled by the read compiler */
  patternExists?: (pattern: Pattern, scope: Scope) => string;
  /** the number of matches of a pattern (`size((a)-->())`), compiled by the read compiler */
  patternCount?: (pattern: Pattern, scope: Scope) => string;
  /** a pattern comprehension `[(a)-->(b) WHERE ... | b.x]`, compiled by the read compiler */
  patternList?: (e: Extract<Expr, { kind: 'patternComprehension' }>, scope: Scope) => Sql;
  /** shortestPath(...) / allShortestPaths(...) as a value, compiled by the read compiler */
  shortestPath?: (e: Extract<Expr, { kind: 'shortestPath' }>, scope: Scope) => Sql;
  /** EXISTS { ... } / COUNT { ... }, compiled by the read compiler */
  subquery?: (e: Extract<Expr, { kind: 'subquery' }>, scope: Scope) => Sql;
  /** replaces a whole sub-expression (ORDER BY items that repeat a projected expression) */
  override?: (e: Expr) => Sql | undefined;
}

/**
 * The aggregates functions.ts compiles (as SQLite aggregates). Kept here, not
 * there: functions.ts imports this module through list-expr.ts, and a
 * constant read while modules load must not come back through that cycle.
 */
const EXTRA_AGGREGATES: ReadonlySet<string> = new Set(['percentilecont', 'percentiledisc', 'stdev', 'stdevp']);
const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'collect', ...EXTRA_AGGREGATES]);

export function isAggregate(e: Expr): boolean {
  switch (e.kind) {
    case 'countStar':
      return true;
    case 'call':
      return AGGREGATES.has(e.name) || e.args.some(isAggregate);
    case 'prop':
      return isAggregate(e.target);
    case 'list':
      return e.items.some(isAggregate);
    case 'map':
      return e.entries.some(([, v]) => isAggregate(v));
    case 'arith':
    case 'compare':
    case 'logic':
    case 'in':
    case 'string':
      return isAggregate(e.left) || isAggregate(e.right);
    case 'neg':
    case 'not':
    case 'isNull':
    case 'hasLabels':
      return isAggregate(e.expr);
    case 'index':
      return isAggregate(e.target) || isAggregate(e.index);
    case 'regex':
      return isAggregate(e.left) || isAggregate(e.right);
    // a comprehension's body runs per element; only its list can aggregate the rows
    case 'listComp':
    case 'quantifier':
      return isAggregate(e.list);
    case 'reduce':
      return isAggregate(e.init) || isAggregate(e.list);
    case 'slice':
      return isAggregate(e.target) || (e.from !== null && isAggregate(e.from)) || (e.to !== null && isAggregate(e.to));
    case 'mapProjection':
      return e.items.some((i) => i.kind === 'entry' && isAggregate(i.expr));
    case 'case':
      return (e.subject !== null && isAggregate(e.subject)) || (e.otherwise !== null && isAggregate(e.otherwise)) || e.branches.some((b) => isAggregate(b.when) || isAggregate(b.then));
    default:
      return false;
  }
}

/** A JSON path for one key, quoted so any name but one with `"` works. */
export function keyPath(key: string): string {
  if (/["\\\u0000-\u001f]/.test(key)) throw invalid(`the property name ${JSON.stringify(key)} has a quote, backslash or control character; rename the property.`);
  return `'$."${key.replace(/'/g, "''")}"'`;
}

const bool = (native: string): Sql => ({ type: 'bool', native, json: boolJson(native) });

/** Properties of a node or relationship: its row's column when matched here, else a lookup by id. */
export function propsOf(v: Sql): string {
  if (v.table) return `${v.table}.props`;
  // a missing row is null, or an error when this query deleted it (deleted.ts)
  return v.type === 'node'
    ? `coalesce((SELECT g.props FROM graph_nodes g WHERE g.id = ${v.native}), cypher_gone('node', ${v.native}))`
    : `coalesce((SELECT g.props FROM graph_rels g WHERE g.id = ${v.native}), cypher_gone('rel', ${v.native}))`;
}

export function propertyOf(v: Sql, key: string): Sql {
  if (v.type === 'node' && key === 'vector_id') {
    // the generated, indexed column: `d.vector_id = id` after rvf.knn uses its index
    const native = v.table ? `${v.table}.vector_id` : `(SELECT g.vector_id FROM graph_nodes g WHERE g.id = ${v.native})`;
    return { type: 'any', native, json: scalarJson(native) };
  }
  if (v.type === 'node' || v.type === 'rel') return jsonAt(propsOf(v), keyPath(key));
  if (v.type === 'map' || (v.type === 'any' && v.entityFree)) return { ...jsonAt(v.json, keyPath(key)), ...(v.entityFree ? { entityFree: true } : {}) };
  if (v.type === 'any') return entityOrMapAt(v.json, key);
  if (v.type === 'null') return fromNative('null', 'NULL');
  throw invalid(`cannot read property ${key} of a ${describe(v.type)}; use it on a node, relationship or map.`);
}

/**
 * A key of a value of unknown type: a map's entry, or the property of a node
 * or relationship met inside a list or map (`collect({node: n})`, `[n, 1][0]`,
 * `{n: n}.n`), which travels as the object RETURN shows, its properties one
 * level down; an object with exactly the keys of that form is read as one,
 * as the comparator reads it (compare.ts).
 */
const ENTITY_FORM_KEYS: ReadonlySet<string> = new Set(['id', 'labels', 'properties', 'type', 'start', 'end']);

function entityOrMapAt(json: string, key: string): Sql {
  const entity =
    `(json_type(${json}, '$.properties') = 'object' AND json_type(${json}, '$.id') = 'integer' AND ` +
    `((json_type(${json}, '$.labels') = 'array' AND (SELECT count(*) FROM json_each(${json})) = 3) OR ` +
    `(json_type(${json}, '$.type') = 'text' AND (SELECT count(*) FROM json_each(${json})) = 5)))`;
  const path = keyPath(key);
  const inProps = `'$.properties.${path.slice(3)}`;
  const asMap = jsonAt(json, path);
  const asEntity = jsonAt(json, inProps);
  // a key an entity's form does not have at its top is read from a map that has it without the entity
  // test (the common case, `r.name` of a row of $rows, pays one json_type); the form's own keys test first
  const pick = ENTITY_FORM_KEYS.has(key)
    ? (map: string, entityProp: string): string => `(CASE WHEN ${entity} THEN ${entityProp} ELSE ${map} END)`
    : (map: string, entityProp: string): string => `(CASE WHEN json_type(${json}, ${path}) IS NOT NULL THEN ${map} WHEN ${entity} THEN ${entityProp} END)`;
  return {
    type: 'any',
    native: pick(asMap.native, asEntity.native),
    json: pick(asMap.json, asEntity.json),
    jsonType: pick(asMap.jsonType as string, asEntity.jsonType as string),
  };
}

/**
 * The value at `path` in JSON text. A JSON null there is null in Cypher, and
 * in SQL its JSON form must be NULL too (`->` gives the text 'null'), or
 * `map.k IS NULL` would be false for {k: null}.
 */
function jsonAt(json: string, path: string): Sql {
  return { type: 'any', native: `json_extract(${json}, ${path})`, json: `nullif(${json} -> ${path}, 'null')`, jsonType: `json_type(${json}, ${path})` };
}

function describe(t: VType): string {
  return { node: 'node', rel: 'relationship', nodes: 'list of nodes', rels: 'list of relationships', path: 'path', num: 'number', str: 'string', bool: 'boolean', list: 'list', map: 'map', any: 'value', null: 'null', date: 'date', localtime: 'localtime', time: 'time', localdatetime: 'localdatetime', datetime: 'datetime', duration: 'duration' }[t];
}

/** The value of a JSON-able JS value as a bound parameter. */
export function bindValue(ctx: ExprContext, value: unknown, what: string): Sql {
  if (value === null || value === undefined) return fromNative('null', 'NULL');
  if (typeof value === 'boolean') return bool(value ? '1' : '0');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`${what} is not a finite number; pass a number.`);
    // a whole JSON number is an integer, as it is inside a list or map parameter (better-sqlite3 binds a JS number as REAL)
    return fromNative('num', ctx.bind(Number.isSafeInteger(value) ? BigInt(value) : value));
  }
  if (typeof value === 'bigint') return fromNative('num', ctx.bind(value));
  if (typeof value === 'string') return fromNative('str', ctx.bind(value));
  if (Array.isArray(value)) return { ...fromNative('list', `json(${ctx.bind(toJsonText(value))})`), entityFree: true };
  if (typeof value === 'object') return { ...fromNative('map', `json(${ctx.bind(toJsonText(value))})`), entityFree: true };
  throw invalid(`${what} has an unsupported type; pass JSON values.`);
}

/**
 * SQL true when the value is a string. A list or map property reads as JSON
 * text through json_extract, so a value of unknown type is tested on its JSON.
 */
function isText(v: Sql): string {
  if (v.type === 'str') return `typeof(${v.native}) = 'text'`;
  if (v.type === 'any') return `json_type(${v.json}) = 'text'`;
  return '0';
}

export function compileExpr(e: Expr, scope: Scope, ctx: ExprContext): Sql {
  const o = ctx.override?.(e);
  if (o) return o;
  const c = (x: Expr): Sql => compileExpr(x, scope, ctx);
  switch (e.kind) {
    case 'literal': {
      const v = e.value;
      if (v === null) return fromNative('null', 'NULL');
      if (typeof v === 'boolean') return bool(v ? '1' : '0');
      if (typeof v === 'bigint') return fromNative('num', v.toString());
      // a bound JS number is a REAL in SQLite; an integer is written as one
      if (typeof v === 'number') return fromNative('num', Number.isInteger(v) && e.float !== true ? String(v) : ctx.bind(v));
      return fromNative('str', ctx.bind(v));
    }
    case 'param':
      return bindValue(ctx, ctx.param(e.name), `$${e.name}`);
    case 'var': {
      const v = scope.get(e.name);
      if (!v) throw invalid(`variable ${e.name} is not defined; bind it in MATCH, UNWIND or WITH before using it.`);
      return v;
    }
    case 'prop': {
      const target = c(e.target);
      return temporalProperty(target, e.key, ctx, () => propertyOf(target, e.key)) ?? propertyOf(target, e.key);
    }
    case 'list': {
      const items = e.items.map(c);
      if (items.length > 0 && items.every((i) => i.type === 'node')) return fromNative('nodes', `json_array(${items.map((i) => i.native).join(', ')})`);
      if (items.length > 0 && items.every((i) => i.type === 'rel')) return fromNative('rels', `json_array(${items.map((i) => i.native).join(', ')})`);
      return fromNative('list', `json_array(${items.map(embed).join(', ')})`);
    }
    case 'map': {
      const parts = e.entries.flatMap(([k, v]) => [ctx.bind(k), embed(c(v))]);
      return fromNative('map', `json_object(${parts.join(', ')})`);
    }
    case 'arith': {
      const [l, r] = [c(e.left), c(e.right)];
      if (l.special === true || r.special === true) return specialArithmetic(e.op, l, r);
      const temporal = e.op === '%' || e.op === '^' ? undefined : temporalArith(e.op, l, r, ctx, isAggregate(e), (x, y) => plus(x, y, true), (x, y) => arithmetic(e.op as '-' | '*' | '/', x, y));
      if (temporal) return temporal;
      if (e.op === '+') return plus(l, r, isAggregate(e));
      return arithmetic(e.op, l, r);
    }
    case 'neg': {
      const v = c(e.expr);
      if (v.special === true) return specialArithmetic('-', fromNative('num', '0'), v);
      return fromNative(v.type === 'num' ? 'num' : 'any', checkedArith('-', '0', v.native));
    }
    case 'compare': {
      const l = c(e.left);
      const r = c(e.right);
      return temporalCompare(e.op, l, r, ctx) ?? bool(compareSql(e.op, l, r));
    }
    case 'logic': {
      const l = booleanOperand(c(e.left), e.op);
      const r = booleanOperand(c(e.right), e.op);
      if (e.op === 'XOR') return bool(`(CASE WHEN ${l} IS NULL OR ${r} IS NULL THEN NULL ELSE ((${l}) <> 0) <> ((${r}) <> 0) END)`);
      return bool(`(${l} ${e.op} ${r})`);
    }
    case 'not':
      return bool(`(NOT ${booleanOperand(c(e.expr), 'NOT')})`);
    case 'in': {
      const l = c(e.left);
      if (e.right.kind === 'list') {
        if (e.right.items.length === 0) return bool('0');
        const plainIn = inItemsSql(l, e.right.items.map(c));
        if (plainIn !== null) return bool(plainIn);
      }
      const r = c(e.right);
      if (r.type !== 'null' && r.type !== 'list' && r.type !== 'nodes' && r.type !== 'rels' && r.type !== 'any') throw invalid(`IN needs a list on its right, not a ${describe(r.type)}; write x IN [..] or x IN $list.`);
      return bool(inSql(l, r));
    }
    case 'string': {
      const lv = c(e.left);
      const rv = c(e.right);
      const [l, r] = [lv.native, rv.native];
      const test = e.op === 'STARTS WITH' ? `substr(${l}, 1, length(${r})) = ${r}` : e.op === 'ENDS WITH' ? `(length(${r}) = 0 OR substr(${l}, -length(${r})) = ${r})` : `instr(${l}, ${r}) > 0`;
      return bool(`(CASE WHEN ${isText(lv)} AND ${isText(rv)} THEN ${test} END)`);
    }
    case 'isNull': {
      const v = c(e.expr);
      const form = v.type === 'any' ? v.json : v.native;
      return bool(`(${form} IS ${e.negated ? 'NOT ' : ''}NULL)`);
    }
    case 'hasLabels': {
      const v = c(e.expr);
      if (v.type !== 'node' && v.type !== 'any' && v.type !== 'null') throw invalid(`label test on a ${describe(v.type)}; test labels of a node, e.g. n:Person.`);
      if (v.type !== 'node') return bool('NULL');
      const labels = e.labels.map((l) => ctx.bind(l)).join(', ');
      return bool(`(CASE WHEN ${v.native} IS NULL THEN NULL ELSE (SELECT count(*) FROM graph_labels l WHERE l.node_id = ${v.native} AND l.label IN (${labels})) = ${new Set(e.labels).size} END)`);
    }
    case 'index':
      return indexInto(c(e.target), c(e.index));
    case 'countStar':
      if (!ctx.aggregates) throw invalid('count(*) is only allowed in WITH or RETURN items; move it there.');
      return fromNative('num', 'count(*)');
    case 'call':
      return callFunction(e, c, ctx, scope);
    case 'case':
      return caseExpr(e, c);
    case 'pattern':
      if (!ctx.patternExists) throw unsupported('a pattern predicate here', 'use it in WHERE');
      return bool(ctx.patternExists(e.pattern, scope));
    case 'patternComprehension':
      if (!ctx.patternList) throw unsupported('a pattern comprehension here', 'use it in WHERE, WITH or RETURN');
      return ctx.patternList(e, scope);
    case 'shortestPath':
      if (!ctx.shortestPath) throw unsupported('shortestPath() here', 'use it in MATCH, WHERE, WITH or RETURN');
      return ctx.shortestPath(e, scope);
    case 'subquery':
      if (!ctx.subquery) throw unsupported('a subquery here', 'use EXISTS { } or COUNT { } in WHERE, WITH or RETURN');
      return ctx.subquery(e, scope);
    case 'listComp':
      return listComprehension(e, scope, ctx, compileExpr);
    case 'quantifier':
      return quantifier(e, scope, ctx, compileExpr);
    case 'reduce':
      return reduce(e, scope, ctx, compileExpr);
    case 'slice':
      return slice(e, scope, ctx, compileExpr);
    case 'mapProjection':
      return mapProjection(e, scope, ctx, compileExpr);
    case 'regex':
      return regexMatch(c(e.left), c(e.right));
  }
}

/**
 * AND, OR, XOR, NOT and WHERE take booleans. SQLite would read a number or a string
 * as a truth value, so a value whose type is known here and is not boolean is
 * refused, as openCypher's InvalidArgumentType; a property (type unknown
 * until run time) is left to SQLite's reading.
 */
export function booleanOperand(v: Sql, op: string): string {
  if (v.type !== 'bool' && v.type !== 'any' && v.type !== 'null') throw invalid(`${op} needs a boolean, not a ${describe(v.type)}; turn the value into a condition first, e.g. n.count > 0.`);
  return v.native;
}

/**
 * Arithmetic on a value that may be NaN or ±Infinity (see Sql.special), and
 * every `/` and `%`: in JS (compare.ts), because SQLite turns NaN into NULL,
 * x / 0 into NULL and takes % of reals as of integers. Integer division or
 * modulo by zero is an error, as in Neo4j.
 */
function specialArithmetic(op: '+' | '-' | '*' | '/' | '%' | '^', l: Sql, r: Sql): Sql {
  if (l.type === 'null' || r.type === 'null') return fromNative('null', 'NULL');
  const numeric = (v: Sql): boolean => v.type === 'num' || v.type === 'any';
  if (!numeric(l) || !numeric(r)) throw invalid(`${op} on a ${describe(numeric(l) ? r.type : l.type)}; use numbers${op === '+' ? ', strings or lists' : ''}.`);
  return { ...fromNative('num', `cypher_arith('${op}', ${l.native}, ${r.native})`), special: true };
}

function arithmetic(op: '-' | '*' | '/' | '%' | '^', l: Sql, r: Sql): Sql {
  // operands known not to be numbers are Cypher's type error, not SQLite's silent conversion
  for (const v of [l, r]) if (v.type !== 'num' && v.type !== 'any' && v.type !== 'null') throw invalid(`${op} needs numbers, not a ${describe(v.type)}; convert with toInteger() or toFloat().`);
  if (op === '/' || op === '%') return specialArithmetic(op, l, r);
  const type: VType = l.type === 'num' && r.type === 'num' ? 'num' : 'any';
  if (op === '^') return fromNative(type, `pow(${l.native}, ${r.native})`);
  return fromNative(type, checkedArith(op, l.native, r.native));
}

function indexInto(target: Sql, index: Sql): Sql {
  if (target.type === 'null' || index.type === 'null') return fromNative('null', 'NULL');
  // types known when compiling are checked as Cypher does (a TypeError there)
  if (target.type === 'num' || target.type === 'str' || target.type === 'bool') throw invalid(`cannot index a ${describe(target.type)} with [...]; index a list (list[0]) or a map (map['key']).`);
  const keyed = target.type === 'map' || target.type === 'node' || target.type === 'rel';
  if (isListType(target.type) && index.type !== 'num' && index.type !== 'any') throw invalid(`a list index must be an integer, not a ${describe(index.type)}.`);
  if (keyed && index.type !== 'str' && index.type !== 'any') throw invalid(`a map or property key in [...] must be a string, not a ${describe(index.type)}.`);
  if (target.type === 'node' || target.type === 'rel') return jsonAt(propsOf(target), `('$."' || ${index.native} || '"')`);
  if (index.type === 'str' || target.type === 'map') {
    return jsonAt(target.json, `('$."' || ${index.native} || '"')`);
  }
  // a whole number bound as a JS number arrives as a real (0.0), which is no JSON path index
  const i = `(CASE WHEN typeof(${index.native}) = 'real' AND ${index.native} = CAST(${index.native} AS INTEGER) THEN CAST(${index.native} AS INTEGER) ELSE ${index.native} END)`;
  const path = `(CASE WHEN ${i} < 0 THEN '$[#' || ${i} || ']' ELSE '$[' || ${i} || ']' END)`;
  if (target.type === 'nodes') return fromNative('node', `json_extract(${target.native}, ${path})`);
  if (target.type === 'rels') return fromNative('rel', `json_extract(${target.native}, ${path})`);
  return jsonAt(target.json, path);
}

function caseExpr(e: Extract<Expr, { kind: 'case' }>, c: (x: Expr) => Sql): Sql {
  const subject = e.subject ? c(e.subject) : null;
  const branches = e.branches.map((b) => ({ when: c(b.when), then: c(b.then) }));
  const otherwise = e.otherwise ? c(e.otherwise) : fromNative('null', 'NULL');
  const results = [...branches.map((b) => b.then), otherwise].filter((r) => r.type !== 'null');
  const first = results[0]?.type ?? 'null';
  const same = results.every((r) => r.type === first);
  const type: VType = same ? first : 'any';
  // CASE x WHEN v: SQLite's = where it agrees with Cypher's (both sides plain scalars of one type), else
  // Cypher equality per branch (CASE true WHEN 1 must not match: SQLite holds true as 1). That repeats x
  // in each branch, so a subject that draws a random value keeps SQLite's = and its single evaluation.
  const sqliteEquals = !subject || branches.every((b) => plain(subject) && plain(b.when) && b.when.type === subject.type) || drawsRandom(e.subject as Expr);
  const build = (form: (v: Sql) => string): string => {
    const head = subject && sqliteEquals ? `CASE ${subject.native}` : 'CASE';
    const whens = branches.map((b) => `WHEN ${subject && !sqliteEquals ? compareSql('=', subject, b.when) : b.when.native} THEN ${form(b.then)}`).join(' ');
    return `(${head} ${whens} ELSE ${form(otherwise)} END)`;
  };
  if (type === 'any') return fromJson(build((v) => (v.type === 'null' ? 'NULL' : v.json)));
  return fromNative(type, build((v) => v.native));
}

/** Whether an expression calls rand() or randomUUID(), whose value changes each time SQLite evaluates it. */
function drawsRandom(e: Expr): boolean {
  const visit = (x: unknown): boolean => {
    if (Array.isArray(x)) return x.some(visit);
    if (x === null || typeof x !== 'object') return false;
    const o = x as { kind?: unknown; name?: unknown };
    if (o.kind === 'call' && typeof o.name === 'string' && ['rand', 'randomuuid'].includes(o.name.toLowerCase())) return true;
    return Object.values(o).some(visit);
  };
  return visit(e);
}

function needArgs(e: Extract<Expr, { kind: 'call' }>, min: number, max = min): void {
  if (e.args.length < min || e.args.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw invalid(`${e.name}() takes ${want} argument${max === 1 ? '' : 's'}, got ${e.args.length}; fix the call ${e.text}.`);
  }
}

/** SQL that raises a Cypher error when SQLite evaluates it (functions.ts registers cypher_fail). */
function failCall(ctx: ExprContext, message: string): string {
  return `cypher_fail(${ctx.bind(`Cypher: ${message}`)})`;
}

function nodeOrRel(e: Extract<Expr, { kind: 'call' }>, v: Sql, want: 'node' | 'rel' | 'either'): Sql {
  const ok = want === 'either' ? v.type === 'node' || v.type === 'rel' : v.type === want;
  if (!ok && v.type !== 'null') throw invalid(`${e.name}() takes a ${want === 'either' ? 'node or relationship' : want === 'rel' ? 'relationship' : 'node'}, not a ${describe(v.type)}; fix ${e.text}.`);
  return v;
}

function callFunction(e: Extract<Expr, { kind: 'call' }>, c: (x: Expr) => Sql, ctx: ExprContext, scope: Scope): Sql {
  const args = (): Sql[] => e.args.map(c);
  const one = (): Sql => {
    needArgs(e, 1);
    return c(e.args[0] as Expr);
  };
  if (AGGREGATES.has(e.name)) {
    if (!ctx.aggregates) throw invalid(`the aggregate ${e.text} is only allowed in WITH or RETURN items; move it there.`);
    if (EXTRA_AGGREGATES.has(e.name)) {
      if (e.args.some(isAggregate)) throw invalid(`aggregates cannot be nested in ${e.text}; aggregate in two WITH steps.`);
      return extraAggregate(e, e.args.map((a) => compileExpr(a, scope, { ...ctx, aggregates: false })));
    }
    needArgs(e, 1);
    return aggregate(e, compileExpr(e.args[0] as Expr, scope, { ...ctx, aggregates: false }));
  }
  if (e.distinct) throw invalid(`DISTINCT is only allowed inside aggregates; remove it from ${e.text}.`);
  const onPath = pathFunction(e, c);
  if (onPath) return onPath;
  const temporal = temporalCall(e, c, ctx);
  if (temporal) return temporal;
  switch (e.name) {
    case 'id': {
      const v = nodeOrRel(e, one(), 'either');
      return fromNative('num', v.type === 'null' ? 'NULL' : v.native);
    }
    case 'elementid': {
      // Neo4j 5's name for an entity's id, as text; here the decimal id, so WHERE elementId(n) = $id finds it again
      const v = nodeOrRel(e, one(), 'either');
      return fromNative('str', v.type === 'null' ? 'NULL' : `CAST(${v.native} AS TEXT)`);
    }
    case 'labels': {
      const arg = one();
      // a node met as a value (an element of a list): its JSON form carries its labels, sorted as below
      if (arg.type === 'any') {
        const bad = failCall(ctx, `labels() takes a node; the value of ${e.text} is not one.`);
        return fromNative('list', `(CASE WHEN ${arg.json} IS NULL THEN NULL WHEN json_type(${arg.json}, '$.labels') = 'array' AND json_type(${arg.json}, '$.properties') = 'object' THEN json(${arg.json} -> '$.labels') ELSE ${bad} END)`);
      }
      const v = nodeOrRel(e, arg, 'node');
      if (v.type === 'null') return fromNative('null', 'NULL');
      return fromNative(
        'list',
        `(CASE WHEN ${v.native} IS NULL THEN NULL WHEN NOT EXISTS (SELECT 1 FROM graph_nodes g WHERE g.id = ${v.native}) THEN cypher_gone('node', ${v.native}) ELSE (SELECT json_group_array(label) FROM (SELECT l.label FROM graph_labels l WHERE l.node_id = ${v.native} ORDER BY l.label)) END)`,
      );
    }
    case 'type': {
      const arg = one();
      if (arg.type === 'any') {
        const bad = failCall(ctx, `type() takes a relationship; the value of ${e.text} is not one.`);
        return fromNative('str', `(CASE WHEN ${arg.json} IS NULL THEN NULL WHEN json_type(${arg.json}, '$.type') = 'text' AND json_type(${arg.json}, '$.start') = 'integer' THEN ${arg.json} ->> '$.type' ELSE ${bad} END)`);
      }
      const v = nodeOrRel(e, arg, 'rel');
      if (v.type === 'null') return fromNative('null', 'NULL');
      // a relationship this query deleted keeps its type (deleted.ts)
      return fromNative('str', v.table ? `${v.table}.type` : `coalesce((SELECT g.type FROM graph_rels g WHERE g.id = ${v.native}), cypher_gone_type(${v.native}))`);
    }
    case 'startnode':
    case 'endnode': {
      const v = nodeOrRel(e, one(), 'rel');
      if (v.type === 'null') return fromNative('null', 'NULL');
      const col = e.name === 'startnode' ? 'src' : 'dst';
      return fromNative('node', v.table ? `${v.table}.${col}` : `(SELECT g.${col} FROM graph_rels g WHERE g.id = ${v.native})`);
    }
    case 'properties': {
      const v = one();
      if (v.type === 'map' || v.type === 'null') return v;
      nodeOrRel(e, v, 'either');
      return fromNative('map', `json(${propsOf(v)})`);
    }
    case 'keys': {
      const v = one();
      if (v.type === 'null') return v;
      const obj = v.type === 'node' || v.type === 'rel' ? propsOf(v) : v.json;
      return fromNative('list', `(CASE WHEN ${obj} IS NULL THEN NULL ELSE (SELECT json_group_array(key) FROM json_each(${obj})) END)`);
    }
    case 'size':
    case 'length': {
      const arg = e.args[0];
      if (e.name === 'size' && e.args.length === 1 && arg?.kind === 'pattern') {
        if (!ctx.patternCount) throw unsupported('size() of a pattern here', 'use it in WHERE, WITH or RETURN');
        return fromNative('num', ctx.patternCount(arg.pattern, scope));
      }
      const v = one();
      // a path's size is not its length (openCypher: InvalidArgumentType); say which function counts it
      if (e.name === 'size' && v.type === 'path') throw invalid(`size() takes a string or a list, not a path; use length(p) for its relationships or size(nodes(p)) for its nodes; fix ${e.text}.`);
      if (v.type === 'str') return fromNative('num', `length(${v.native})`);
      if (v.type === 'nodes' || v.type === 'rels') return fromNative('num', `json_array_length(${v.native})`);
      if (v.type === 'list') return fromNative('num', `json_array_length(${v.json})`);
      if (v.type === 'null') return fromNative('null', 'NULL');
      return fromNative('num', `(CASE json_type(${v.json}) WHEN 'array' THEN json_array_length(${v.json}) WHEN 'text' THEN length(json_extract(${v.json}, '$')) END)`);
    }
    case 'head':
    case 'last': {
      const v = one();
      const path = e.name === 'head' ? `'$[0]'` : `'$[#-1]'`;
      if (v.type === 'nodes') return fromNative('node', `json_extract(${v.native}, ${path})`);
      if (v.type === 'rels') return fromNative('rel', `json_extract(${v.native}, ${path})`);
      return jsonAt(v.json, path);
    }
    case 'coalesce': {
      if (e.args.length === 0) throw invalid('coalesce() needs at least one argument.');
      const vs = args().filter((v) => v.type !== 'null');
      if (vs.length === 0) return fromNative('null', 'NULL');
      const t = (vs[0] as Sql).type;
      if (vs.every((v) => v.type === t)) return fromNative(t, `coalesce(${vs.map((v) => v.native).join(', ')}, NULL)`);
      return fromJson(`coalesce(${vs.map((v) => v.json).join(', ')}, NULL)`);
    }
    case 'toupper':
    case 'upper':
    case 'tolower':
    case 'lower': {
      // SQLite's upper() and lower() change ASCII letters only ('é' stays 'é'): text with other characters
      // (more UTF-8 bytes than characters) goes to JS's full Unicode case mapping (functions.ts)
      const x = one().native;
      const [sqlite, js] = e.name === 'toupper' || e.name === 'upper' ? ['upper', 'cypher_upper'] : ['lower', 'cypher_lower'];
      return fromNative('str', `(CASE WHEN length(${x}) = length(CAST(${x} AS BLOB)) THEN ${sqlite}(${x}) ELSE ${js}(${x}) END)`);
    }
    case 'trim':
    case 'ltrim':
    case 'rtrim':
      return fromNative('str', `${e.name}(${one().native})`);
    case 'replace': {
      needArgs(e, 3);
      const [s, a, b] = args() as [Sql, Sql, Sql];
      return fromNative('str', `replace(${s.native}, ${a.native}, ${b.native})`);
    }
    case 'substring': {
      needArgs(e, 2, 3);
      const [s, start, len] = args() as [Sql, Sql, Sql | undefined];
      return fromNative('str', len ? `substr(${s.native}, ${start.native} + 1, ${len.native})` : `substr(${s.native}, ${start.native} + 1)`);
    }
    case 'left':
    case 'right': {
      needArgs(e, 2);
      const [s, n] = args() as [Sql, Sql];
      return fromNative('str', e.name === 'left' ? `substr(${s.native}, 1, ${n.native})` : `(CASE WHEN ${n.native} = 0 THEN '' ELSE substr(${s.native}, -${n.native}) END)`);
    }
    case 'tostring': {
      const v = one();
      if (v.type === 'bool') return fromNative('str', `(CASE WHEN ${v.native} IS NULL THEN NULL WHEN ${v.native} THEN 'true' ELSE 'false' END)`);
      if (v.type === 'str' || v.type === 'num' || v.type === 'any' || v.type === 'null') {
        const x = v.native;
        // a list, map, node, relationship or path found at run time is refused, as a known one is below
        const refused = v.type === 'any' ? ` WHEN 'array' THEN ${failCall(ctx, `toString() takes a number, string or boolean, not a list, map, node or relationship; use toStringOrNull() to get null for them.`)} WHEN 'object' THEN ${failCall(ctx, `toString() takes a number, string or boolean, not a list, map, node or relationship; use toStringOrNull() to get null for them.`)}` : '';
        return fromNative('str', `(CASE json_type(${v.type === 'any' ? v.json : scalarJson(x)}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'${refused} ELSE CAST(${x} AS TEXT) END)`);
      }
      throw invalid(`toString() takes a number, string or boolean, not a ${describe(v.type)}.`);
    }
    case 'tointeger':
    case 'tofloat': {
      const v = one();
      const name = e.name === 'tointeger' ? 'toInteger' : 'toFloat';
      // toInteger(true) is 1 in Neo4j; toFloat of a boolean is an error, as are lists, maps and entities for both
      const takes = e.name === 'tointeger' ? 'a number, string or boolean' : 'a number or string';
      const badType = !['num', 'str', 'any', 'null', ...(e.name === 'tointeger' ? ['bool'] : [])].includes(v.type);
      if (badType) throw invalid(`${name}() takes ${takes}, not a ${describe(v.type)}; use ${name}OrNull() to get null for other values.`);
      const x = v.native;
      const target = e.name === 'tointeger' ? 'INTEGER' : 'REAL';
      // digits alone are read as an integer, exactly: through REAL, '9007199254740993' lost its last digit
      const t = `trim(${x})`;
      const exactDigits = `ltrim(${t}, '+-') <> '' AND ltrim(${t}, '+-') NOT GLOB '*[^0-9]*' AND (length(ltrim(${t}, '+-')) < 19 OR (length(ltrim(${t}, '+-')) = 19 AND ltrim(${t}, '+-') <= '9223372036854775807')) AND length(${t}) - length(ltrim(${t}, '+-')) <= 1`;
      // SQLite's CAST clamps a value past the 64-bit range to its end (toInteger('99999999999999999999') gave
      // 9223372036854775807): an error instead, as integer overflow is one elsewhere (checked-arith.ts)
      const inRange = (real: string): string =>
        `(CASE WHEN abs(${real}) >= 9223372036854775808.0 THEN ${failCall(ctx, 'toInteger(): the value is beyond the 64-bit integer range (about ±9.2e18); keep it a float with toFloat(), or as a string.')} ELSE CAST(${real} AS INTEGER) END)`;
      const textTo = e.name === 'tointeger' ? `(CASE WHEN ${exactDigits} THEN CAST(${t} AS INTEGER) ELSE ${inRange(`CAST(${t} AS REAL)`)} END)` : `CAST(${t} AS REAL)`;
      const fromReal = e.name === 'tointeger' ? inRange(x) : `CAST(${x} AS REAL)`;
      const converted = `(CASE typeof(${x}) WHEN 'integer' THEN CAST(${x} AS ${target}) WHEN 'real' THEN ${fromReal} WHEN 'text' THEN (CASE WHEN trim(${x}) <> '' AND trim(${x}) NOT GLOB '*[^0-9.eE+-]*' THEN ${textTo} END) END)`;
      if (v.type !== 'any') return fromNative('num', converted);
      const refusedJson = e.name === 'tointeger' ? `('array', 'object')` : `('array', 'object', 'true', 'false')`;
      return fromNative('num', `(CASE WHEN json_type(${v.json}) IN ${refusedJson} THEN ${failCall(ctx, `${name}() takes ${takes}; the value is not one. Use ${name}OrNull() to get null for other values.`)} ELSE ${converted} END)`);
    }
    case 'sqrt':
    case 'log':
    case 'log10':
      // NaN and -Infinity (sqrt(-1), log(0)) where SQLite's functions give NULL; special: NaN is carried as text
      return { ...fromNative('num', `cypher_math('${e.name}', ${one().native})`), special: true };
    case 'abs':
    case 'ceil':
    case 'floor':
    case 'sign':
    case 'exp': {
      const x = one().native;
      return fromNative('num', `${e.name}(${x})`);
    }
    case 'round': {
      needArgs(e, 1, 2);
      const [x, p] = args() as [Sql, Sql | undefined];
      return fromNative('num', p ? `round(${x.native}, ${p.native})` : `round(${x.native})`);
    }
    case 'exists': {
      const v = one();
      return bool(`(${v.type === 'any' ? v.json : v.native} IS NOT NULL)`);
    }
    case 'shortestpath':
    case 'allshortestpaths':
      throw unsupported('shortestPath', 'use a variable-length pattern such as -[*1..5]->');
    default: {
      const extra = extraFunction(e, c, scope, ctx, (x, s) => compileExpr(x, s, ctx));
      if (extra) return extra;
      throw unsupported(
        `the function ${e.name}()`,
        'see the README for the supported functions (e.g. id, elementId, labels, type, properties, keys, size, coalesce, toString, toInteger, toFloat, toBoolean, toUpper, toLower, trim, split, substring, replace, reverse, head, last, tail, range, abs, round, sqrt, rand, randomUUID) and aggregates (count, sum, avg, min, max, collect, percentileCont, percentileDisc, stDev, stDevP)',
      );
    }
  }
}

function aggregate(e: Extract<Expr, { kind: 'call' }>, v: Sql): Sql {
  if (e.args.some(isAggregate)) throw invalid(`aggregates cannot be nested in ${e.text}; aggregate in two WITH steps.`);
  const d = e.distinct ? 'DISTINCT ' : '';
  const value = v.native;
  const present = v.type === 'any' ? `${v.json} IS NOT NULL` : `${v.native} IS NOT NULL`;
  switch (e.name) {
    case 'count': {
      const form = v.type === 'any' || v.type === 'list' || v.type === 'map' ? v.json : v.native;
      // DISTINCT counts Cypher's equivalence classes (1 and 1.0 once), not JSON texts
      if (e.distinct && needsGroupKey(v.type)) return fromNative('num', `count(DISTINCT ${groupKey(v, form)})`);
      return fromNative('num', `count(${d}${form})`);
    }
    case 'sum':
      return fromNative('num', `coalesce(sum(${d}${value}), 0)`);
    case 'avg':
      return fromNative('num', `avg(${d}${value})`);
    case 'min':
    case 'max':
      // one known type: SQLite's min/max agree with Cypher's order (a NaN, the text 'NaN', is above every number)
      if (v.type === 'num' || v.type === 'str' || v.type === 'bool' || v.type === 'node' || v.type === 'rel') return fromNative(v.type, `${e.name}(${value})`);
      if (v.type === 'null') return fromNative('null', 'NULL');
      // mixed or structured values: Cypher's order across types (compare.ts)
      return fromJson(`cypher_${e.name}(${v.json})`);
    case 'collect': {
      if (v.type === 'node' || v.type === 'rel') return fromNative(v.type === 'node' ? 'nodes' : 'rels', `json_group_array(${d}${v.native}) FILTER (WHERE ${present})`);
      if (v.type === 'null') return fromNative('list', `json_array()`);
      return fromNative('list', `json_group_array(${d}${embed(v)}) FILTER (WHERE ${present})`);
    }
    default:
      throw new CypherError('EUNSUPPORTED', `Cypher: the aggregate ${e.name}() is not supported; use count, sum, avg, min, max or collect.`);
  }
}


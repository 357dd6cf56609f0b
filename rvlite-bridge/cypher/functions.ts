import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Expr } from './ast.ts';
import { CypherError, invalid } from './errors.ts';
import type { ExprContext, Scope } from './compile-expr.ts';
import { exactJsonText } from './exact-json.ts';
import { reverseList, slice } from './list-expr.ts';
import { fromJson, fromNative, isListType, type Sql } from './values.ts';
import { similarity } from './vector-similarity.ts';

/**
 * Cypher functions beyond the core set in compile-expr.ts, and the SQLite
 * functions (registered per connection with better-sqlite3) that the
 * compiled SQL calls where SQL alone has no answer: regular expressions,
 * range(), split(), randomUUID(), runtime errors, and the aggregates
 * percentileCont/percentileDisc/stDev/stDevP.
 *
 * They are registered by runCypher on the connection it is given (once per
 * connection), so every connection that runs Cypher has them: the query
 * child's reader and writer, a test's in-memory database, the TCK runner.
 * All are named cypher_* so they never change what plain SQL means.
 */

type Call = Extract<Expr, { kind: 'call' }>;

/** Largest list range() builds: a bigger one would hold the query child's memory for nothing an agent needs. */
const MAX_RANGE = 10_000_000;

const registered = new WeakSet<Database.Database>();

/** A SQLite integer (read as bigint with safeIntegers) or real as a JS number; undefined for anything else. */
function num(v: unknown): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  return undefined;
}

function isInt(v: unknown): v is bigint {
  return typeof v === 'bigint';
}

const regexCache = new Map<string, RegExp>();

/**
 * Java regex syntax mostly agrees with JavaScript's. Differences handled:
 * leading inline flags `(?i)`, `(?s)`, `(?m)`, `(?u)` become JS flags, and
 * the match is whole-string (Java's String.matches). Not handled: possessive
 * quantifiers, atomic groups, \A \Z \z, inline flags elsewhere than the start.
 */
function regex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re) return re;
  let body = pattern;
  let flags = '';
  const m = /^\(\?([imsux]+)\)/.exec(body);
  if (m) {
    body = body.slice(m[0].length);
    for (const f of new Set(m[1])) if (f === 'i' || f === 'm' || f === 's') flags += f;
  }
  try {
    re = new RegExp(`^(?:${body})$`, `${flags}u`);
  } catch {
    try {
      // Java accepts escapes the JS unicode mode refuses (\- outside a class, \_): try without it
      re = new RegExp(`^(?:${body})$`, flags);
    } catch (err) {
      throw invalid(`the regular expression ${JSON.stringify(pattern)} is not valid (${(err as Error).message}); fix the pattern.`);
    }
  }
  if (regexCache.size >= 200) regexCache.delete(regexCache.keys().next().value as string);
  regexCache.set(pattern, re);
  return re;
}

function rangeJson(start: unknown, end: unknown, step: unknown): string | null {
  if (start === null || end === null || step === null) return null;
  if (!isInt(start) || !isInt(end) || !isInt(step)) throw invalid('range() takes integers: range(start, end[, step]); convert with toInteger().');
  if (step === 0n) throw invalid('range() step must not be 0; use a positive or negative step.');
  const count = step > 0n ? (end >= start ? (end - start) / step + 1n : 0n) : start >= end ? (start - end) / -step + 1n : 0n;
  if (count > BigInt(MAX_RANGE)) throw new CypherError('ELIMIT', `Cypher: range() would build ${count} elements; at most ${MAX_RANGE} are allowed, use a smaller range.`);
  const n = Number(count);
  const safe = (x: bigint): boolean => x >= -BigInt(Number.MAX_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER);
  if (safe(start) && safe(start + step * (count > 0n ? count - 1n : 0n))) {
    // numbers, not bigints: ten million elements stay cheap
    const [a, s] = [Number(start), Number(step)];
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++) parts[i] = String(a + i * s);
    return `[${parts.join(',')}]`;
  }
  const out: bigint[] = [];
  for (let i = 0n, v = start; i < count; i++, v += step) out.push(v);
  return exactJsonText(out);
}

function percentile(kind: 'cont' | 'disc') {
  return {
    start: (): { values: { n: number; raw: unknown }[]; p: number | null } => ({ values: [], p: null }),
    step(state: { values: { n: number; raw: unknown }[]; p: number | null }, value: unknown, p: unknown): void {
      const pn = num(p);
      if (pn === undefined || !(pn >= 0 && pn <= 1)) throw invalid(`percentile${kind === 'cont' ? 'Cont' : 'Disc'}() takes a percentile between 0.0 and 1.0, got ${String(p)}; fix the second argument.`);
      state.p = pn;
      const n = num(value);
      if (n !== undefined) state.values.push({ n, raw: value });
    },
    result(state: { values: { n: number; raw: unknown }[]; p: number | null }): unknown {
      const vs = state.values.sort((a, b) => a.n - b.n);
      if (vs.length === 0 || state.p === null) return null;
      const p = state.p;
      if (kind === 'disc') {
        // Neo4j's rule: the value at ceil(p * n) - 1 (the first one for p = 0)
        const f = p * vs.length;
        let i = Math.floor(f);
        if (f === i && i !== 0) i--;
        return (vs[Math.min(i, vs.length - 1)] as { raw: unknown }).raw;
      }
      const f = p * (vs.length - 1);
      const lo = Math.floor(f);
      const hi = Math.ceil(f);
      const a = (vs[lo] as { n: number }).n;
      if (lo === hi) return a;
      return a * (hi - f) + (vs[hi] as { n: number }).n * (f - lo);
    },
  };
}

function deviation(sample: boolean) {
  return {
    start: (): number[] => [],
    step(state: number[], value: unknown): void {
      const n = num(value);
      if (n !== undefined) state.push(n);
    },
    result(state: number[]): number {
      const n = state.length;
      if (n < (sample ? 2 : 1)) return 0;
      const mean = state.reduce((s, x) => s + x, 0) / n;
      const sq = state.reduce((s, x) => s + (x - mean) ** 2, 0);
      return Math.sqrt(sq / (sample ? n - 1 : n));
    },
  };
}

/**
 * better-sqlite3's typings want step(total, next) with one argument; the
 * percentiles take two (value, percentile), and the arity comes from the
 * function's length at run time, so the options are typed loosely here.
 */
type AggregateOptions = Parameters<Database.Database['aggregate']>[1];
function aggregateOptions(o: { start: () => unknown; step: (...args: never[]) => void; result: (state: never) => unknown }): AggregateOptions {
  return { ...o, safeIntegers: true } as unknown as AggregateOptions;
}

/** Registers the cypher_* SQLite functions on `db` (once per connection). */
export function registerFunctionLibrary(db: Database.Database): void {
  if (registered.has(db)) return;
  const det = { deterministic: true, varargs: false, safeIntegers: true };
  db.function('cypher_regexp', det, (pattern: unknown, text: unknown) => {
    if (typeof pattern !== 'string' || typeof text !== 'string') return null;
    return regex(pattern).test(text) ? 1 : 0;
  });
  db.function('cypher_range', det, rangeJson);
  db.function('cypher_split', det, (s: unknown, d: unknown) => {
    if (typeof s !== 'string' || typeof d !== 'string') return null;
    return JSON.stringify(s.split(d));
  });
  // by code point, so a surrogate pair (an emoji) stays whole
  db.function('cypher_reverse', det, (s: unknown) => (typeof s === 'string' ? [...s].reverse().join('') : null));
  db.function('cypher_upper', det, (s: unknown) => (typeof s === 'string' ? s.toUpperCase() : s === null ? null : String(s)));
  db.function('cypher_lower', det, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s === null ? null : String(s)));
  db.function('cypher_uuid', { deterministic: false, varargs: false, safeIntegers: true }, () => randomUUID());
  db.function('cypher_rand', { deterministic: false, varargs: false, safeIntegers: true }, () => Math.random());
  // lists arrive as JSON text; safeIntegers off, since the numbers are read as float64 anyway
  db.function('cypher_similarity', { deterministic: true, varargs: false }, (kind: unknown, a: unknown, b: unknown) => similarity(kind === 'cosine' ? 'cosine' : 'euclidean', a, b));
  /** An error raised from inside the SQL, when a value's type is only known at run time. */
  db.function('cypher_fail', { deterministic: false, varargs: false, safeIntegers: true }, (message: unknown) => {
    throw new CypherError('EINVAL', String(message));
  });
  // integers arrive as bigint (safeIntegers); a float, even 2.0, is refused as in Cypher
  db.function('cypher_count', { deterministic: false, varargs: false, safeIntegers: true }, (value: unknown, what: unknown) => {
    if (typeof value === 'bigint' && value >= 0n) return value;
    throw invalid(`${String(what)} must be a non-negative integer, got ${value === null ? 'null' : String(value)}; fix the ${String(what)} expression.`);
  });
  db.aggregate('cypher_percentile_cont', aggregateOptions(percentile('cont')));
  db.aggregate('cypher_percentile_disc', aggregateOptions(percentile('disc')));
  db.aggregate('cypher_stdev', aggregateOptions(deviation(true)));
  db.aggregate('cypher_stdevp', aggregateOptions(deviation(false)));
  registered.add(db);
}

/**
 * A stage (CTE) whose values are random (rand(), randomUUID()) is
 * MATERIALIZED: SQLite otherwise inlines a stage into each place that reads
 * a column, computing `WITH rand() AS r RETURN r, r` as two different numbers.
 */
export function materializeVolatile(cte: string): string {
  if (!cte.includes('cypher_rand()') && !cte.includes('cypher_uuid()')) return cte;
  return cte.replace(/^(\w+) AS \(/, '$1 AS MATERIALIZED (');
}

// ------------------------------------------------------------ compiling calls


/** The SQL of percentileCont/Disc, stDev, stDevP (nulls skipped, as every aggregate does). */
export function extraAggregate(e: Call, args: Sql[]): Sql {
  const want = e.name.startsWith('percentile') ? 2 : 1;
  if (args.length !== want) throw invalid(`${e.name}() takes ${want} argument${want === 1 ? '' : 's'}, got ${args.length}; fix ${e.text}.`);
  const [v, p] = args as [Sql, Sql | undefined];
  if (e.distinct && p) throw invalid(`DISTINCT is not supported in ${e.text}; collect DISTINCT values first with WITH DISTINCT.`);
  const d = e.distinct ? 'DISTINCT ' : '';
  switch (e.name) {
    case 'percentilecont':
      return fromNative('num', `cypher_percentile_cont(${v.native}, ${(p as Sql).native})`);
    case 'percentiledisc':
      return fromNative(v.type === 'num' ? 'num' : 'any', `cypher_percentile_disc(${v.native}, ${(p as Sql).native})`);
    case 'stdev':
      return fromNative('num', `cypher_stdev(${d}${v.native})`);
    default:
      return fromNative('num', `cypher_stdevp(${d}${v.native})`);
  }
}

const bool = (native: string): Sql => fromNative('bool', native);

function arity(e: Call, min: number, max = min): void {
  if (e.args.length < min || e.args.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw invalid(`${e.name}() takes ${want} argument${max === 1 ? '' : 's'}, got ${e.args.length}; fix the call ${e.text}.`);
  }
}

/** A value's text when it is a string, else NULL: string functions are null on other types. */
function textOf(v: Sql): string {
  if (v.type === 'str') return v.native;
  if (v.type === 'any') return `(CASE WHEN json_type(${v.json}) = 'text' THEN ${v.native} END)`;
  return 'NULL';
}

/** toBoolean: strings 'true'/'false' (any case, trimmed), booleans, integers (0 is false); other strings null. */
function toBoolean(v: Sql, ctx: ExprContext, orNull: boolean): Sql {
  const fromText = (t: string): string => `(CASE lower(trim(${t})) WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)`;
  switch (v.type) {
    case 'bool':
    case 'null':
      return bool(v.native);
    case 'str':
      return bool(fromText(v.native));
    case 'num':
      return bool(`(CASE typeof(${v.native}) WHEN 'integer' THEN ${v.native} <> 0 END)`);
    case 'any': {
      const bad = orNull ? 'NULL' : `cypher_fail(${ctx.bind('Cypher: toBoolean() takes a boolean, string or integer; use toBooleanOrNull() to get null for other values.')})`;
      // a null value's JSON is SQL NULL, which no json_type branch matches
      return bool(`(CASE WHEN ${v.json} IS NULL THEN NULL ELSE CASE json_type(${v.json}) WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'text' THEN ${fromText(v.native)} WHEN 'integer' THEN ${v.native} <> 0 WHEN 'null' THEN NULL ELSE ${bad} END END)`);
    }
    default:
      if (orNull) return bool('NULL');
      throw invalid(`toBoolean() takes a boolean, string or integer, not a ${v.type === 'node' ? 'node' : v.type === 'rel' ? 'relationship' : isListType(v.type) ? 'list' : v.type === 'map' ? 'map' : 'value'}; use toBooleanOrNull() to get null instead.`);
  }
}

/**
 * Functions compile-expr.ts does not know; undefined when `e` is none of
 * them. `c` compiles an argument in the caller's scope.
 */
export function extraFunction(e: Call, c: (x: Expr) => Sql, scope: Scope, ctx: ExprContext, compileAt: (x: Expr, s: Scope) => Sql): Sql | undefined {
  const args = (): Sql[] => e.args.map(c);
  const one = (): Sql => {
    arity(e, 1);
    return c(e.args[0] as Expr);
  };
  const math = (sql: (x: string) => string): Sql => fromNative('num', sql(one().native));
  switch (e.name) {
    case 'vector.similarity.cosine':
    case 'vector.similarity.euclidean': {
      arity(e, 2);
      const [a, b] = args() as [Sql, Sql];
      for (const v of [a, b]) if (v.type !== 'list' && v.type !== 'any' && v.type !== 'null') throw invalid(`${e.text} takes two lists of numbers; pass vectors such as [0.1, 0.2].`);
      const kind = e.name.slice('vector.similarity.'.length);
      return fromNative('num', `cypher_similarity('${kind}', ${a.json}, ${b.json})`);
    }
    case 'range': {
      arity(e, 2, 3);
      const [a, b, s] = args() as [Sql, Sql, Sql | undefined];
      // a boolean is 1/0 in SQLite and would pass the integer check at run time
      for (const x of [a, b, s]) if (x && x.type !== 'num' && x.type !== 'any' && x.type !== 'null') throw invalid(`range() takes integers: range(start, end[, step]); fix ${e.text}.`);
      return fromNative('list', `cypher_range(${a.native}, ${b.native}, ${s ? s.native : '1'})`);
    }
    case 'split': {
      arity(e, 2);
      const [s, d] = args() as [Sql, Sql];
      return fromNative('list', `cypher_split(${textOf(s)}, ${textOf(d)})`);
    }
    case 'reverse': {
      const v = one();
      if (v.type === 'null') return v;
      if (v.type === 'str') return fromNative('str', `cypher_reverse(${v.native})`);
      if (isListType(v.type)) return reverseList(v, scope, ctx);
      if (v.type === 'any') {
        const list = reverseList(v, scope, ctx);
        return fromJson(`(CASE json_type(${v.json}) WHEN 'text' THEN json_quote(cypher_reverse(${v.native})) WHEN 'array' THEN ${list.json} END)`);
      }
      throw invalid(`reverse() takes a string or a list; fix ${e.text}.`);
    }
    case 'tail': {
      arity(e, 1);
      return slice({ kind: 'slice', target: e.args[0] as Expr, from: { kind: 'literal', value: 1 }, to: null }, scope, ctx, (x, s) => compileAt(x, s));
    }
    case 'isempty': {
      const v = one();
      if (v.type === 'null') return bool('NULL');
      if (v.type === 'str') return bool(`(length(${v.native}) = 0)`);
      if (isListType(v.type)) return bool(`(json_array_length(${v.type === 'list' ? v.json : v.native}) = 0)`);
      if (v.type === 'map') return bool(`(json(${v.json}) = '{}')`);
      if (v.type === 'any') return bool(`(CASE json_type(${v.json}) WHEN 'array' THEN json_array_length(${v.json}) = 0 WHEN 'object' THEN json(${v.json}) = '{}' WHEN 'text' THEN length(${v.native}) = 0 END)`);
      throw invalid(`isEmpty() takes a string, list or map; fix ${e.text}.`);
    }
    case 'randomuuid':
      arity(e, 0);
      return fromNative('str', 'cypher_uuid()');
    case 'rand':
      arity(e, 0);
      return fromNative('num', 'cypher_rand()');
    case 'e':
      arity(e, 0);
      return fromNative('num', 'exp(1)');
    case 'pi':
      arity(e, 0);
      return fromNative('num', 'pi()');
    case 'asin':
    case 'acos':
      // NaN outside [-1, 1], where SQLite gives NULL
      return { ...fromNative('num', `cypher_math('${e.name}', ${one().native})`), special: true };
    case 'sin':
    case 'cos':
    case 'tan':
    case 'atan':
    case 'degrees':
    case 'radians':
      return math((x) => `${e.name}(${x})`);
    case 'cot':
      return math((x) => `(1.0 / tan(${x}))`);
    case 'haversin':
      return math((x) => `((1.0 - cos(${x})) / 2)`);
    case 'atan2': {
      arity(e, 2);
      const [y, x] = args() as [Sql, Sql];
      return fromNative('num', `atan2(${y.native}, ${x.native})`);
    }
    case 'toboolean':
      return toBoolean(one(), ctx, false);
    case 'tobooleanornull':
      return toBoolean(one(), ctx, true);
    case 'tostringornull': {
      const v = one();
      if (v.type === 'bool') return fromNative('str', `(CASE WHEN ${v.native} IS NULL THEN NULL WHEN ${v.native} THEN 'true' ELSE 'false' END)`);
      if (v.type === 'str' || v.type === 'num') return fromNative('str', `CAST(${v.native} AS TEXT)`);
      if (v.type === 'any') return fromNative('str', `(CASE json_type(${v.json}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'integer' THEN CAST(${v.native} AS TEXT) WHEN 'real' THEN CAST(${v.native} AS TEXT) WHEN 'text' THEN ${v.native} END)`);
      return fromNative('str', 'NULL');
    }
    case 'tointegerornull':
    case 'tofloatornull': {
      const v = one();
      if (v.type !== 'num' && v.type !== 'str' && v.type !== 'any') return fromNative('num', 'NULL');
      const x = v.type === 'any' ? `(CASE json_type(${v.json}) WHEN 'integer' THEN ${v.native} WHEN 'real' THEN ${v.native} WHEN 'text' THEN ${v.native} END)` : v.native;
      return conversion(e.name === 'tointegerornull' ? 'INTEGER' : 'REAL', x);
    }
    default:
      return undefined;
  }
}

/** toInteger/toFloat of a number or numeric string (the OrNull forms: null for everything else). */
function conversion(target: 'INTEGER' | 'REAL', x: string): Sql {
  return fromNative('num', `(CASE typeof(${x}) WHEN 'integer' THEN CAST(${x} AS ${target}) WHEN 'real' THEN CAST(${x} AS ${target}) WHEN 'text' THEN (CASE WHEN trim(${x}) <> '' AND trim(${x}) NOT GLOB '*[^0-9.eE+-]*' THEN CAST(CAST(trim(${x}) AS REAL) AS ${target}) END) END)`);
}

/** `text =~ regex`: null unless both are strings; the whole text must match. */
export function regexMatch(l: Sql, r: Sql): Sql {
  return bool(`cypher_regexp(${textOf(r)}, ${textOf(l)})`);
}

/**
 * The row count of SKIP or LIMIT written as an expression (`LIMIT 1 + 1`,
 * `LIMIT toInteger($n)`): evaluated once by SQLite, and refused at run time
 * unless it is a non-negative integer.
 */
export function pagingCount(e: Expr, what: 'SKIP' | 'LIMIT', ctx: ExprContext, compile: (x: Expr, s: Scope, ctx: ExprContext) => Sql): string {
  let v: Sql;
  try {
    v = compile(e, new Map(), ctx);
  } catch (err) {
    if (err instanceof CypherError && err.message.startsWith('Cypher: variable ')) throw invalid(`${what} cannot use variables; give a constant expression or a $parameter.`);
    throw err;
  }
  return `(SELECT cypher_count(${v.native}, ${ctx.bind(what)}))`;
}

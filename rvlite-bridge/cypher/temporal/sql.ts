/**
 * Temporal values in the SQL that Cypher compiles to.
 *
 * A temporal value is its ISO text in SQL (what a client gets back and what
 * a property stores), with a static type (VType 'date', 'datetime', ...)
 * while the compiler knows it: a temporal function's result, carried through
 * WITH. With a known type, `+`, `-`, comparison and `.year` compile to a call
 * of one SQLite function, cypher_temporal(op, ...), registered on every
 * connection that runs Cypher (registerTemporal). A value of unknown type (a
 * property read back) that is shaped like a temporal's text is recognised at
 * run time (model.ts sniffKind), so `n.createdAt.year` and
 * `n.createdAt + duration('P1D')` work on stored values too.
 */
import type Database from 'better-sqlite3';
import type { Expr } from '../ast.ts';
import { invalid } from '../errors.ts';
import { fromNative, type Sql, type TemporalType, type VType } from '../values.ts';
import { temporalOp } from './ops.ts';

const FN = 'cypher_temporal';
const registered = new WeakSet<Database.Database>();

/** Adds cypher_temporal to a connection (once). */
export function registerTemporal(db: Database.Database): void {
  if (registered.has(db)) return;
  registered.add(db);
  db.function(FN, { varargs: true, deterministic: true }, (op: unknown, ...args: unknown[]) => temporalOp(String(op), args));
}

let statementNs: bigint | null = null;

/** Fixes "now" for one statement: every datetime() in it is the same instant, as in Neo4j. */
export function beginStatement(): void {
  statementNs = BigInt(Date.now()) * 1_000_000n;
}

function clockNs(): string {
  return String(statementNs ?? BigInt(Date.now()) * 1_000_000n);
}

const TEMPORAL: ReadonlySet<VType> = new Set<VType>(['date', 'localtime', 'time', 'localdatetime', 'datetime', 'duration']);

export function isTemporal(t: VType): t is TemporalType {
  return TEMPORAL.has(t);
}

interface Ctx {
  bind(value: unknown): string;
}

/** The text form handed to cypher_temporal for a value argument (temporal text, or JSON for maps and the unknown). */
function jsonArg(v: Sql): string {
  return v.type === 'null' ? 'NULL' : v.json;
}

function call(ctx: Ctx, op: string, ...args: string[]): string {
  return `${FN}(${ctx.bind(op)}${args.map((a) => `, ${a}`).join('')})`;
}

const CONSTRUCTORS = new Set(['date', 'localtime', 'time', 'localdatetime', 'datetime', 'duration']);
const NOW_SUFFIXES = new Set(['statement', 'transaction', 'realtime']);

type CallExpr = Extract<Expr, { kind: 'call' }>;

function argCount(e: CallExpr, min: number, max: number): void {
  if (e.args.length < min || e.args.length > max) throw invalid(`${e.name}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${e.args.length}; fix the call ${e.text}.`);
}

/**
 * A temporal function call (`date(...)`, `datetime.truncate(...)`,
 * `duration.between(...)`, `timestamp()`, toString of a temporal), or
 * undefined for any other function.
 */
export function temporalCall(e: CallExpr, c: (x: Expr) => Sql, ctx: Ctx): Sql | undefined {
  const name = e.name;
  if (name === 'tostring' && e.args.length === 1) {
    const v = c(e.args[0] as Expr);
    return isTemporal(v.type) ? fromNative('str', v.native) : undefined;
  }
  if (name === 'timestamp') {
    argCount(e, 0, 0);
    return fromNative('num', `(${ctx.bind(clockNs())} / 1000000)`);
  }
  const dot = name.indexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const member = dot < 0 ? '' : name.slice(dot + 1);
  if (!CONSTRUCTORS.has(base)) return undefined;
  const kind = base as TemporalType;
  const now = ctx.bind(clockNs());
  if (member === '') {
    argCount(e, 0, 1);
    if (e.args.length === 0) {
      if (kind === 'duration') throw invalid('duration() needs an argument, e.g. duration({days: 7}) or duration(\'P7D\').');
      return fromNative(kind, call(ctx, 'now', ctx.bind(kind), 'NULL', now));
    }
    const arg = c(e.args[0] as Expr);
    if (arg.type === 'null') return fromNative('null', 'NULL');
    if (!(arg.type === 'str' || arg.type === 'map' || arg.type === 'any' || isTemporal(arg.type))) throw invalid(`${kind}() takes a string, a map or a temporal value, not this argument; fix ${e.text}.`);
    return fromNative(kind, call(ctx, 'make', ctx.bind(kind), jsonArg(arg), now));
  }
  if (NOW_SUFFIXES.has(member)) {
    if (kind === 'duration') return undefined;
    argCount(e, 0, 1);
    if (e.args.length === 0) return fromNative(kind, call(ctx, 'now', ctx.bind(kind), 'NULL', now));
    const zone = c(e.args[0] as Expr);
    if (zone.type === 'null') return fromNative('null', 'NULL');
    // a zone that is null at run time gives null, as Neo4j
    return fromNative(kind, `(CASE WHEN ${jsonArg(zone)} IS NULL THEN NULL ELSE ${call(ctx, 'now', ctx.bind(kind), jsonArg(zone), now)} END)`);
  }
  if (member === 'truncate' && kind !== 'duration') {
    argCount(e, 2, 3);
    const [unit, value, map] = e.args.map(c) as [Sql, Sql, Sql | undefined];
    return fromNative(kind, call(ctx, 'truncate', ctx.bind(kind), unit.native, value.native, map ? jsonArg(map) : 'NULL', now));
  }
  if (kind === 'duration' && (member === 'between' || member === 'inmonths' || member === 'indays' || member === 'inseconds')) {
    argCount(e, 2, 2);
    const [a, b] = e.args.map(c) as [Sql, Sql];
    if (a.type === 'null' || b.type === 'null') return fromNative('null', 'NULL');
    const unit = { between: 'all', inmonths: 'months', indays: 'days', inseconds: 'seconds' }[member];
    return fromNative('duration', call(ctx, 'between', ctx.bind(unit), a.native, b.native));
  }
  if (kind === 'datetime' && (member === 'fromepoch' || member === 'fromepochmillis')) {
    argCount(e, member === 'fromepoch' ? 2 : 1, member === 'fromepoch' ? 2 : 1);
    const [a, b] = e.args.map(c) as [Sql, Sql | undefined];
    return fromNative('datetime', member === 'fromepoch' ? call(ctx, 'epoch', a.native, (b as Sql).native) : call(ctx, 'epoch', a.native, 'NULL', ctx.bind('millis')));
  }
  throw invalid(`the function ${e.name}() does not exist; temporal functions are date, localtime, time, localdatetime, datetime and duration, with .truncate, .statement, .transaction, .realtime, duration.between / inMonths / inDays / inSeconds and datetime.fromepoch / fromepochmillis.`);
}

const COMPONENTS = new Set(
  [
    'year', 'quarter', 'month', 'week', 'weekYear', 'day', 'ordinalDay', 'dayOfWeek', 'weekDay', 'dayOfQuarter',
    'hour', 'minute', 'second', 'millisecond', 'microsecond', 'nanosecond',
    'timezone', 'offset', 'offsetMinutes', 'offsetSeconds', 'epochSeconds', 'epochMillis',
    'years', 'quarters', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds', 'nanoseconds',
    'quartersOfYear', 'monthsOfQuarter', 'monthsOfYear', 'daysOfWeek', 'minutesOfHour', 'secondsOfMinute', 'millisecondsOfSecond', 'microsecondsOfSecond', 'nanosecondsOfSecond',
  ].map((k) => k.toLowerCase()),
);

/**
 * `v.year` and friends. For a known temporal type the component is read
 * directly; for a string or a value of unknown type whose text is a
 * temporal's, at run time (a map keeps its ordinary key lookup).
 */
export function temporalProperty(v: Sql, key: string, ctx: Ctx, plain: () => Sql): Sql | undefined {
  const lower = key.toLowerCase();
  if (isTemporal(v.type)) {
    if (!COMPONENTS.has(lower)) throw invalid(`a ${v.type} has no component ${key}; use e.g. .year, .month, .day, .hour, .epochMillis, .timezone (durations: .days, .seconds, .minutesOfHour).`);
    const native = call(ctx, 'get', v.native, ctx.bind(key));
    return fromNative(lower === 'timezone' || lower === 'offset' ? 'str' : 'num', native);
  }
  if (!COMPONENTS.has(lower)) return undefined;
  if (v.type === 'str') return fromNative('any', call(ctx, 'get', v.native, ctx.bind(key)));
  if (v.type === 'any') {
    const p = plain();
    const native = `(CASE WHEN json_type(${v.json}) = 'text' THEN ${call(ctx, 'get', `json_extract(${v.json}, '$')`, ctx.bind(key))} ELSE ${p.native} END)`;
    return fromNative('any', native);
  }
  return undefined;
}

/**
 * `+ - * /` where a side's type is known only at run time (a property): when
 * both are texts shaped like temporal values (a stored datetime and a stored
 * duration), temporal arithmetic; otherwise what the operator does without
 * temporals. Each operand is computed once, in a subquery, as plus.ts does
 * (inline when the expression holds an aggregate).
 */
/**
 * `*` or `/` where a side's type is known only at run time: a stored duration
 * text is scaled; numbers take Cypher's numeric rules from `numeric`
 * (compile-expr.ts: division by zero, NaN), whose result keeps its marks.
 */
function scaleOrNumeric(op: string, l: Sql, r: Sql, ctx: Ctx, numeric: (l: Sql, r: Sql) => Sql): Sql | undefined {
  const ok = (t: VType): boolean => t === 'any' || t === 'num';
  if (!ok(l.type) || !ok(r.type)) return undefined;
  const n = numeric(l, r);
  const text = (v: Sql): string => (v.type === 'any' ? `typeof(${v.native}) = 'text'` : '0');
  const native = `(CASE WHEN ${text(l)} OR ${text(r)} THEN ${call(ctx, 'arith', ctx.bind(op), l.native, r.native)} ELSE ${n.native} END)`;
  // a division keeps the number type and NaN mark of Cypher's division, so NaN and the infinities
  // sort and compare as numbers; a scaled duration is text either way
  return n.special === true ? { ...fromNative(n.type, native), special: true } : fromNative('any', native);
}

function unknownArith(op: string, l: Sql, r: Sql, ctx: Ctx, inline: boolean, plus: (l: Sql, r: Sql) => Sql): Sql {
  const ok = (t: VType): boolean => t === 'any' || t === 'str' || t === 'num';
  if (!ok(l.type) || !ok(r.type)) return op === '+' ? plus(l, r) : fromNative('any', `(${l.native} ${op} ${r.native})`);
  const body = (x: Sql, y: Sql): string => {
    const [xn, yn] = [x.native, y.native];
    const temporal = call(ctx, 'arith', ctx.bind(op), xn, yn);
    if (op === '+') {
      // both texts and temporal-shaped: arithmetic; otherwise Cypher's + (concatenation, lists, numbers)
      // a value of unknown type is a string when its JSON is one (json_extract gives a list's JSON as text too): lists skip the call into JS
      const isText = (v: Sql): string => (v.type === 'any' ? `json_type(${v.json}) = 'text'` : `typeof(${v.native}) = 'text'`);
      return `(CASE WHEN ${isText(x)} AND ${isText(y)} AND ${call(ctx, 'isarith', xn, yn)} THEN json_quote(${temporal}) ELSE ${plus(x, y).json} END)`;
    }
    return `(CASE WHEN typeof(${xn}) = 'text' OR typeof(${yn}) = 'text' THEN json_quote(${temporal}) ELSE json_quote(${xn} ${op} ${yn}) END)`;
  };
  const col = (name: string, v: Sql): Sql => (v.type === 'any' ? { type: 'any', native: `json_extract(${name}, '$')`, json: name } : fromNative(v.type, name));
  const carried = (v: Sql): string => (v.type === 'any' ? v.json : v.native);
  const json = inline ? body(l, r) : `(SELECT ${body(col('t_.x', l), col('t_.y', r))} FROM (SELECT ${carried(l)} AS x, ${carried(r)} AS y) t_)`;
  return { type: 'any', native: `json_extract(${json}, '$')`, json };
}

/** The static type of `l op r` when one side is a temporal value. */
function arithType(op: string, l: VType, r: VType): VType {
  if (op === '+' || op === '-') {
    if (r === 'duration' && isTemporal(l)) return l;
    if (op === '+' && l === 'duration' && isTemporal(r)) return r;
  }
  if ((op === '*' || op === '/') && (l === 'duration' || r === 'duration')) return 'duration';
  return 'str';
}

/**
 * `+ - * /` with a temporal operand (or `-`, `*`, `/` with a string, which
 * Cypher has no other meaning for): temporal ± duration, duration ± duration,
 * duration * or / number, computed at run time on the values' text.
 */
export function temporalArith(op: string, l: Sql, r: Sql, ctx: Ctx, inline: boolean, plus: (l: Sql, r: Sql) => Sql, numeric: (l: Sql, r: Sql) => Sql): Sql | undefined {
  const involved = isTemporal(l.type) || isTemporal(r.type) || (op !== '+' && op !== '%' && op !== '^' && (l.type === 'str' || r.type === 'str'));
  if (!involved) {
    if (l.type !== 'any' && r.type !== 'any') return undefined;
    if (op === '+' || op === '-') return unknownArith(op, l, r, ctx, inline, plus);
    if (op === '*' || op === '/') return scaleOrNumeric(op, l, r, ctx, numeric);
    return undefined;
  }
  if (l.type === 'null' || r.type === 'null') return fromNative('null', 'NULL');
  if (op === '%' || op === '^') throw invalid(`${op} does not apply to temporal values; use + or - with a duration.`);
  const bad = (t: VType): boolean => t === 'node' || t === 'rel' || t === 'nodes' || t === 'rels' || t === 'list' || t === 'map' || t === 'bool';
  if (bad(l.type) || bad(r.type)) throw invalid(`${op} cannot combine these values; add or subtract a duration to a temporal value, or multiply or divide a duration by a number.`);
  const type = arithType(op, l.type, r.type);
  return fromNative(type, call(ctx, 'arith', ctx.bind(op), l.native, r.native));
}

/**
 * A comparison with a temporal operand. Two values of one temporal type are
 * equal when their canonical texts are (same instant, offset and zone, as
 * Neo4j); ordering and mixed or unknown types go to run time, where time
 * order (not text order) decides and unlike kinds compare as null.
 */
export function temporalCompare(op: string, l: Sql, r: Sql, ctx: Ctx): Sql | undefined {
  if (!isTemporal(l.type) && !isTemporal(r.type)) return undefined;
  if (l.type === 'null' || r.type === 'null') return bool('NULL');
  if (l.type === r.type && (op === '=' || op === '<>')) return bool(`(${l.native} ${op} ${r.native})`);
  const scalar = (t: VType): boolean => isTemporal(t) || t === 'str' || t === 'any';
  if (!scalar(l.type) || !scalar(r.type)) return bool(op === '=' ? '0' : op === '<>' ? '1' : 'NULL');
  const side = (v: Sql): string => (v.type === 'any' ? `json_extract(${v.json}, '$')` : v.native);
  return bool(call(ctx, 'compare', ctx.bind(op), side(l), side(r)));
}

function bool(native: string): Sql {
  return fromNative('bool', native);
}

/**
 * A value as ORDER BY should see it: temporal values, and text shaped like
 * one, replaced by their sort key, so they sort in time order; the rest as is.
 */
export function orderedByTime(v: Sql, ctx: Ctx): Sql {
  // NaN and the infinities travel as text too (compare.ts); they are numbers, not temporal text
  if (v.special === true) return v;
  if (isTemporal(v.type)) return { ...fromNative('str', call(ctx, 'key', v.native)) };
  if (v.type === 'any' || v.type === 'str') return { ...v, native: orderKey(v, ctx) };
  return v;
}

/**
 * The ORDER BY key of a value: temporal text sorts in time order (ahead of
 * other strings, kinds apart); anything else is its own key.
 */
export function orderKey(v: Sql, ctx: Ctx): string {
  if (isTemporal(v.type)) return call(ctx, 'key', v.native);
  if (v.type === 'any' || v.type === 'str') return `(CASE WHEN typeof(${v.native}) = 'text' THEN ${call(ctx, 'key', v.native)} ELSE ${v.native} END)`;
  return v.native;
}

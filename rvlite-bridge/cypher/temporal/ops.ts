/**
 * What Cypher does with temporal values once it has them: components,
 * arithmetic with durations, comparison, ordering keys and duration.between.
 * The SQL layer (sql.ts) calls `temporalOp` through one SQLite function.
 */
import { Temporal } from 'temporal-polyfill';
import { fromMap, hasDate, now, select, timeOf, dateOf, truncate, zoneOfValue, type Clock } from './construct.ts';
import { addDurations, duration, durationComponent, durationFromMap, durationsEqual, negate, scaleDuration, totalNanos, type Duration } from './duration.ts';
import { temporalError } from './errors.ts';
import { atInstant, epochNs, formatOffset, formatTemporal, inZone, localEpochNs, nanoOfDay, parseAs, parseZone, sniff, sniffKind, timeFromNanoOfDay, zoneOf, type DateTimeV, type TemporalKind, type TValue, type Zone } from './model.ts';

// ------------------------------------------------------------ components

function dateComponent(d: Temporal.PlainDate, key: string): number | undefined {
  switch (key) {
    case 'year':
      return d.year;
    case 'quarter':
      return Math.ceil(d.month / 3);
    case 'month':
      return d.month;
    case 'week':
      return d.weekOfYear;
    case 'weekyear':
      return d.yearOfWeek;
    case 'day':
      return d.day;
    case 'ordinalday':
      return d.dayOfYear;
    case 'dayofweek':
    case 'weekday':
      return d.dayOfWeek;
    case 'dayofquarter':
      return d.since(new Temporal.PlainDate(d.year, Math.ceil(d.month / 3) * 3 - 2, 1)).days + 1;
    default:
      return undefined;
  }
}

function timeComponent(t: Temporal.PlainTime, key: string): number | undefined {
  switch (key) {
    case 'hour':
      return t.hour;
    case 'minute':
      return t.minute;
    case 'second':
      return t.second;
    case 'millisecond':
      return t.millisecond;
    case 'microsecond':
      return t.millisecond * 1000 + t.microsecond;
    case 'nanosecond':
      return t.millisecond * 1e6 + t.microsecond * 1000 + t.nanosecond;
    default:
      return undefined;
  }
}

/** `v.key`; undefined when the kind has no such component. */
export function component(v: TValue, keyText: string): number | string | undefined {
  const key = keyText.toLowerCase();
  if (v.kind === 'duration') return durationComponent(v, key);
  const d = dateOf(v);
  const t = timeOf(v);
  const fromDate = d ? dateComponent(d, key) : undefined;
  if (fromDate !== undefined) return fromDate;
  const fromTime = t ? timeComponent(t, key) : undefined;
  if (fromTime !== undefined) return fromTime;
  if (v.kind === 'time' || v.kind === 'datetime') {
    switch (key) {
      case 'timezone':
        return v.kind === 'datetime' && v.zone !== null ? v.zone : formatOffset(v.offset);
      case 'offset':
        return formatOffset(v.offset);
      case 'offsetminutes':
        return Math.trunc(v.offset / 60);
      case 'offsetseconds':
        return v.offset;
    }
  }
  if (v.kind === 'datetime') {
    const ns = epochNs(v);
    if (key === 'epochseconds') return Number(ns / NS - (ns < 0n && ns % NS !== 0n ? 1n : 0n));
    if (key === 'epochmillis') return Number(ns / 1_000_000n - (ns < 0n && ns % 1_000_000n !== 0n ? 1n : 0n));
  }
  return undefined;
}

const NS = 1_000_000_000n;

// ------------------------------------------------------------ arithmetic

function addToDateTime(dt: Temporal.PlainDateTime, d: Duration): Temporal.PlainDateTime {
  // one field at a time: Temporal refuses a duration whose fields have mixed signs
  return dt.add({ months: d.months }).add({ days: d.days }).add({ seconds: d.seconds }).add({ nanoseconds: d.nanos });
}

/** temporal + duration, as Neo4j: months, then days, on the calendar; then the exact seconds. */
export function plusDuration(v: TValue, d: Duration): TValue {
  try {
    switch (v.kind) {
      case 'duration':
        return addDurations(v, d);
      case 'date': {
        // a date takes the seconds part as whole days (toward zero), as Neo4j does
        const days = d.days + Math.trunc((d.seconds + d.nanos / 1e9) / 86_400);
        return { kind: 'date', date: v.date.add({ months: d.months }).add({ days }) };
      }
      case 'localtime':
        return { kind: 'localtime', time: timeFromNanoOfDay(nanoOfDay(v.time) + totalNanos(d)) };
      case 'time':
        return { kind: 'time', time: timeFromNanoOfDay(nanoOfDay(v.time) + totalNanos(d)), offset: v.offset };
      case 'localdatetime':
        return { kind: 'localdatetime', dt: addToDateTime(v.dt, d) };
      case 'datetime': {
        const wall = v.dt.add({ months: d.months }).add({ days: d.days });
        const moved = inZone(wall, zoneOf(v));
        return atInstant(epochNs(moved) + totalNanos(d), zoneOf(v));
      }
    }
  } catch (err) {
    if (err instanceof RangeError) throw temporalError(`${formatTemporal(v)} + ${formatTemporal(d)} is out of range: ${err.message}.`);
    throw err;
  }
}

type Operand = TValue | number | null;

function operand(x: unknown): Operand {
  if (x === null || x === undefined) return null;
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'string') {
    const t = sniff(x);
    if (t) return t;
  }
  if (typeof x === 'object' && 'kind' in (x as object)) return x as TValue;
  throw temporalError(`${JSON.stringify(x)} is not a temporal value or a number here.`);
}

export function arith(op: string, lx: unknown, rx: unknown): TValue | number | null {
  const l = operand(lx);
  const r = operand(rx);
  if (l === null || r === null) return null;
  const what = (x: Operand): string => (typeof x === 'number' ? 'number' : (x as TValue).kind);
  const fail = (): never => {
    throw temporalError(`cannot apply ${op} to a ${what(l)} and a ${what(r)}; add or subtract a duration to a temporal value, multiply or divide a duration by a number, or use duration.between(a, b).`);
  };
  if (typeof l === 'number' && typeof r === 'number') {
    switch (op) {
      case '+':
        return l + r;
      case '-':
        return l - r;
      case '*':
        return l * r;
      default:
        return l / r;
    }
  }
  if (op === '+') {
    if (typeof r !== 'number' && r.kind === 'duration' && typeof l !== 'number') return plusDuration(l, r);
    if (typeof l !== 'number' && l.kind === 'duration' && typeof r !== 'number') return plusDuration(r, l);
    return fail();
  }
  if (op === '-') {
    if (typeof l !== 'number' && typeof r !== 'number' && r.kind === 'duration') return plusDuration(l, negate(r));
    return fail();
  }
  if (op === '*') {
    if (typeof l !== 'number' && l.kind === 'duration' && typeof r === 'number') return scaleDuration(l, r);
    if (typeof r !== 'number' && r.kind === 'duration' && typeof l === 'number') return scaleDuration(r, l);
    return fail();
  }
  if (op === '/' && typeof l !== 'number' && l.kind === 'duration' && typeof r === 'number') {
    if (r === 0) throw temporalError('a duration divided by zero; divide by a non-zero number.');
    return scaleDuration(l, 1 / r);
  }
  return fail();
}

// ------------------------------------------------------------ comparison and ordering

/** An ordering of values of one kind, as Neo4j: the instant first, then the wall clock. */
function orderOf(v: TValue): [bigint, bigint] {
  switch (v.kind) {
    case 'date':
      return [localEpochNs(v.date.toPlainDateTime()), 0n];
    case 'localtime':
      return [nanoOfDay(v.time), 0n];
    case 'time':
      return [nanoOfDay(v.time) - BigInt(v.offset) * NS, nanoOfDay(v.time)];
    case 'localdatetime':
      return [localEpochNs(v.dt), 0n];
    case 'datetime':
      return [epochNs(v), localEpochNs(v.dt)];
    case 'duration':
      // Neo4j orders durations by an average length (a month of 30.436875 days)
      return [BigInt(Math.round(v.months * 2_629_746)) * NS + BigInt(v.days) * 86_400n * NS + totalNanos(v), 0n];
  }
}

/**
 * `l op r` with at least one side temporal: 1, 0 or null. Equal means the
 * same value (same instant, offset and zone, as Neo4j); values of different
 * kinds are unequal and unordered; durations have equality only.
 */
export function compare(op: string, lx: unknown, rx: unknown): number | null {
  if (lx === null || rx === null || lx === undefined || rx === undefined) return null;
  const l = typeof lx === 'string' ? sniff(lx) : null;
  const r = typeof rx === 'string' ? sniff(rx) : null;
  const equalityOp = op === '=' || op === '<>';
  if (!l || !r || l.kind !== r.kind) {
    if (!equalityOp) return null;
    // not two temporals of one kind: the plain values decide equality (a string equal to a stored temporal's text)
    const same = l && r ? false : lx === rx;
    return (op === '=') === same ? 1 : 0;
  }
  if (l.kind === 'duration' || r.kind === 'duration') {
    if (!equalityOp) return null;
    return (op === '=') === durationsEqual(l as Duration, r as Duration) ? 1 : 0;
  }
  const [a1, a2] = orderOf(l);
  const [b1, b2] = orderOf(r);
  const c = a1 < b1 ? -1 : a1 > b1 ? 1 : a2 < b2 ? -1 : a2 > b2 ? 1 : 0;
  const sameValue = c === 0 && formatTemporal(l) === formatTemporal(r);
  switch (op) {
    case '=':
      return sameValue ? 1 : 0;
    case '<>':
      return sameValue ? 0 : 1;
    case '<':
      return c < 0 ? 1 : 0;
    case '<=':
      return c <= 0 ? 1 : 0;
    case '>':
      return c > 0 ? 1 : 0;
    default:
      return c >= 0 ? 1 : 0;
  }
}

const KIND_RANK: Record<TemporalKind, string> = { datetime: 'a', localdatetime: 'b', date: 'c', time: 'd', localtime: 'e', duration: 'f' };
const BIAS = 10n ** 32n;

/**
 * A text that sorts temporal values of one kind in time order (and the
 * kinds in Cypher's order: datetime, localdatetime, date, time, localtime,
 * duration), ahead of other strings; any other value is its own key.
 */
export function sortKey(x: unknown): unknown {
  if (typeof x !== 'string') return x;
  const v = sniff(x);
  if (!v) return x;
  const [a, b] = orderOf(v);
  return `\u0001${KIND_RANK[v.kind]}${(a + BIAS).toString().padStart(34, '0')}${(b + BIAS).toString().padStart(34, '0')}`;
}

// ------------------------------------------------------------ duration.between

interface Sides {
  from: Temporal.PlainDateTime;
  to: Temporal.PlainDateTime;
  /** resolves a wall-clock time in `from`'s zone to an instant (identity for local values) */
  instant: (dt: Temporal.PlainDateTime) => bigint;
  toNs: bigint;
}

/** Both values on one wall clock: a local value is read in the other's zone, `to` is moved into `from`'s zone. */
function sides(a: TValue, b: TValue): Sides {
  const za = zoneOfValue(a);
  const zb = zoneOfValue(b);
  const zone: Zone | null = za ?? zb;
  const wall = (v: TValue): Temporal.PlainDateTime => (dateOf(v) ?? new Temporal.PlainDate(1970, 1, 1)).toPlainDateTime(timeOf(v) ?? undefined);
  const instant = (dt: Temporal.PlainDateTime): bigint => (zone ? epochNs(inZone(dt, zone)) : localEpochNs(dt));
  const from = wall(a);
  let to = wall(b);
  let toNs = instant(to);
  if (za && zb) {
    const bAsDateTime: DateTimeV = b.kind === 'datetime' ? b : inZone(to, zb);
    toNs = epochNs(bAsDateTime);
    to = atInstant(toNs, za).dt;
  }
  return { from, to, instant, toNs };
}

export function between(unit: 'all' | 'months' | 'days' | 'seconds', a: TValue, b: TValue): Duration {
  if (a.kind === 'duration' || b.kind === 'duration') throw temporalError('duration.between() takes two temporal values, not durations.');
  if (!hasDate(a) || !hasDate(b)) {
    // a time of day on one side: no months or days; the clocks are compared on the other side's date (or any one day)
    if (unit === 'months' || unit === 'days') return duration(0, 0, 0, 0);
    const day = dateOf(a) ?? dateOf(b) ?? new Temporal.PlainDate(1970, 1, 1);
    a = onDate(a, day);
    b = onDate(b, day);
  }
  const s = sides(a, b);
  if (unit === 'seconds') return fromNanos(0, 0, s.toNs - s.instant(s.from));
  if (unit === 'days') {
    const days = s.from.until(s.to, { largestUnit: 'days' }).days;
    return duration(0, days, 0, 0);
  }
  const months = untilMonths(s.from, s.to);
  if (unit === 'months') return duration(months, 0, 0, 0);
  const mid = s.from.add({ months });
  const days = mid.until(s.to, { largestUnit: 'days' }).days;
  const mid2 = mid.add({ days });
  return fromNanos(months, days, s.toNs - s.instant(mid2));
}

/** A time of day as a date-time on `day` (a time keeps its offset); other values as they are. */
function onDate(v: TValue, day: Temporal.PlainDate): TValue {
  if (v.kind === 'localtime') return { kind: 'localdatetime', dt: day.toPlainDateTime(v.time) };
  if (v.kind === 'time') return { kind: 'datetime', dt: day.toPlainDateTime(v.time), offset: v.offset, zone: null };
  return v;
}

function untilMonths(from: Temporal.PlainDateTime, to: Temporal.PlainDateTime): number {
  const d = from.until(to, { largestUnit: 'months' });
  return d.years * 12 + d.months;
}

function fromNanos(months: number, days: number, ns: bigint): Duration {
  const s = ns / NS;
  return duration(months, days, Number(s), Number(ns - s * NS));
}

// ------------------------------------------------------------ the SQL entry point

function valueArg(x: unknown): TValue | null {
  if (x === null || x === undefined) return null;
  if (typeof x === 'string') {
    const t = sniff(x);
    if (t) return t;
  }
  throw temporalError(`${JSON.stringify(x)} is not a temporal value; build one with date(), datetime(), duration() and the like.`);
}

function jsonArg(x: unknown): unknown {
  if (x === null || x === undefined) return null;
  return JSON.parse(String(x));
}

function asMap(x: unknown, fn: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw temporalError(`${fn}() takes a map here, not ${JSON.stringify(x)}.`);
  return x as Record<string, unknown>;
}

function out(v: TValue | number | string | null | undefined): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  return formatTemporal(v);
}

const KINDS = new Set<string>(['date', 'localtime', 'time', 'localdatetime', 'datetime', 'duration']);

/**
 * The one SQLite function behind temporal Cypher: `cypher_temporal(op, ...)`.
 * Temporal values travel as their ISO text; maps and other arguments as
 * JSON text; the statement's clock as a decimal string of epoch nanoseconds.
 */
export function temporalOp(op: string, args: unknown[]): string | number | null {
  const clockOf = (x: unknown): Clock => ({ nowNs: BigInt(String(x ?? Date.now() * 1e6)) });
  switch (op) {
    case 'make': {
      // make(kind, argJson, nowNs)
      const kind = String(args[0]);
      if (!KINDS.has(kind)) throw temporalError(`unknown temporal type ${kind}.`);
      const k = kind as TemporalKind;
      const arg = jsonArg(args[1]);
      const clock = clockOf(args[2]);
      if (arg === null) return null;
      if (typeof arg === 'string') {
        const t = sniff(arg);
        if (t && t.kind !== k && !(k === 'duration')) return out(select(k, t, clock));
        return out(parseAs(k, arg));
      }
      const m = asMap(arg, kind);
      if (k === 'duration') return out(durationFromMap(m));
      return out(fromMap(k, m, clock));
    }
    case 'now': {
      // now(kind, zoneJson, nowNs): kind() or kind.statement/transaction/realtime([zone])
      const z = jsonArg(args[1]);
      if (z !== null && typeof z !== 'string') throw temporalError('the time zone must be a string such as \'Europe/Stockholm\'.');
      return out(now(String(args[0]) as TemporalKind, clockOf(args[2]), z === null ? null : parseZone(z)));
    }
    case 'truncate': {
      // truncate(kind, unit, value, mapJson, nowNs)
      const kind = String(args[0]) as Exclude<TemporalKind, 'duration'>;
      const v = valueArg(args[2]);
      if (v === null || args[1] === null) return null;
      const m = jsonArg(args[3]);
      return out(truncate(kind, String(args[1]), v, m === null ? {} : asMap(m, `${kind}.truncate`), clockOf(args[4])));
    }
    case 'between': {
      // between(unit, a, b)
      const a = valueArg(args[1]);
      const b = valueArg(args[2]);
      if (a === null || b === null) return null;
      return out(between(String(args[0]) as 'all', a, b));
    }
    case 'epoch': {
      // epoch(seconds, nanos) / epoch(millis, null, 'millis')
      if (args[0] === null || args[0] === undefined) return null;
      const n = BigInt(Math.trunc(Number(args[0])));
      const ns = args[2] === 'millis' ? n * 1_000_000n : n * NS + BigInt(Math.trunc(Number(args[1] ?? 0)));
      return out(atInstant(ns, { offset: 0, zone: null }));
    }
    case 'get': {
      // get(value, key): null when the value is not temporal or has no such component
      if (typeof args[0] !== 'string') return null;
      const v = sniff(args[0]);
      if (!v) return null;
      const c = component(v, String(args[1]));
      if (c === undefined) throw temporalError(`a ${v.kind} has no component ${String(args[1])}.`);
      return c;
    }
    case 'arith':
      return out(arith(String(args[0]), args[1], args[2]));
    case 'isarith': {
      // two stored texts that + treats as temporal arithmetic: a duration and a temporal value (or two durations)
      const a = typeof args[0] === 'string' ? sniffKind(args[0]) : null;
      const b = typeof args[1] === 'string' ? sniffKind(args[1]) : null;
      return a !== null && b !== null && (a === 'duration' || b === 'duration') ? 1 : 0;
    }
    case 'compare':
      return compare(String(args[0]), args[1], args[2]);
    case 'key': {
      const k = sortKey(args[0]);
      return typeof k === 'bigint' ? Number(k) : (k as string | number | null);
    }
    case 'tostring':
      return args[0] === null || args[0] === undefined ? null : String(args[0]);
    default:
      throw temporalError(`unknown temporal operation ${op}.`);
  }
}

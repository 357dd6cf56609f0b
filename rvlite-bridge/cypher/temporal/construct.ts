/**
 * Building temporal values: from a map of components (`date({year: 1984,
 * week: 10, dayOfWeek: 3})`), from other temporal values (`{date: d, time:
 * t, day: 28}`), and `.truncate(unit, value, map)`.
 *
 * Hand-written on top of Temporal because these are Cypher's rules: which
 * fields select which calendar (calendar, week, ordinal, quarter), what a
 * source value lends to the new one, and how a `timezone` converts a time
 * that already has one. The calendar arithmetic itself is Temporal's.
 */
import { Temporal } from 'temporal-polyfill';
import { durationFromMap } from './duration.ts';
import { temporalError } from './errors.ts';
import {
  atInstant,
  epochNs,
  inZone,
  localEpochNs,
  MIDNIGHT,
  ordinalDate,
  parseZone,
  sniff,
  weekDate,
  weekOneMonday,
  zoneOf,
  type DateTimeV,
  type TemporalKind,
  type TValue,
  type Zone,
} from './model.ts';

const DATE_KEYS = ['year', 'month', 'day', 'week', 'weekyear', 'dayofweek', 'ordinalday', 'quarter', 'dayofquarter'];
const TIME_KEYS = ['hour', 'minute', 'second', 'millisecond', 'microsecond', 'nanosecond'];
const ALLOWED: Record<Exclude<TemporalKind, 'duration'>, string[]> = {
  date: [...DATE_KEYS, 'date'],
  localtime: [...TIME_KEYS, 'time'],
  time: [...TIME_KEYS, 'time', 'timezone'],
  localdatetime: [...DATE_KEYS, ...TIME_KEYS, 'date', 'time', 'datetime'],
  datetime: [...DATE_KEYS, ...TIME_KEYS, 'date', 'time', 'datetime', 'timezone', 'epochseconds', 'epochmillis'],
};

export function hasDate(v: TValue): v is Extract<TValue, { kind: 'date' | 'localdatetime' | 'datetime' }> {
  return v.kind === 'date' || v.kind === 'localdatetime' || v.kind === 'datetime';
}
export function hasTime(v: TValue): v is Extract<TValue, { kind: 'localtime' | 'time' | 'localdatetime' | 'datetime' }> {
  return v.kind === 'localtime' || v.kind === 'time' || v.kind === 'localdatetime' || v.kind === 'datetime';
}
export function dateOf(v: TValue): Temporal.PlainDate | null {
  if (v.kind === 'date') return v.date;
  if (v.kind === 'localdatetime' || v.kind === 'datetime') return v.dt.toPlainDate();
  return null;
}
export function timeOf(v: TValue): Temporal.PlainTime | null {
  if (v.kind === 'localtime' || v.kind === 'time') return v.time;
  if (v.kind === 'localdatetime' || v.kind === 'datetime') return v.dt.toPlainTime();
  return null;
}
/** The zone a value carries: time's offset, datetime's zone; null for local values. */
export function zoneOfValue(v: TValue): Zone | null {
  if (v.kind === 'time' || v.kind === 'datetime') return zoneOf(v);
  return null;
}

/** A map entry or argument that must be a temporal value: a value built here, or its stored text. */
function temporalArg(v: unknown, what: string): TValue {
  if (typeof v === 'object' && v !== null && 'kind' in v) return v as TValue;
  if (typeof v === 'string') {
    const t = sniff(v);
    if (t) return t;
  }
  throw temporalError(`${what} must be a temporal value, not ${JSON.stringify(v)}.`);
}

function intField(map: Record<string, unknown>, key: string, fn: string): number | undefined {
  const v = map[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw temporalError(`${fn}(): ${key} must be an integer, not ${JSON.stringify(v)}.`);
  return v;
}

export interface Clock {
  /** the statement's time, nanoseconds since the epoch */
  nowNs: bigint;
}

/** `kind(map)` (and the map part of truncate). Keys are matched case-insensitively, as Neo4j does. */
export function fromMap(kind: Exclude<TemporalKind, 'duration'>, raw: Record<string, unknown>, clock: Clock): TValue {
  const map: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) map[k.toLowerCase()] = v;
  const fn = kind;
  for (const k of Object.keys(map)) if (!ALLOWED[kind].includes(k)) throw temporalError(`${fn}(): unknown key ${k}; ${fn} takes ${ALLOWED[kind].join(', ')}.`);
  const int = (k: string): number | undefined => intField(map, k, fn);

  const srcDateTime = map.datetime !== undefined && map.datetime !== null ? temporalArg(map.datetime, `${fn}(): datetime`) : null;
  const srcDate = map.date !== undefined && map.date !== null ? temporalArg(map.date, `${fn}(): date`) : srcDateTime;
  const srcTime = map.time !== undefined && map.time !== null ? temporalArg(map.time, `${fn}(): time`) : srcDateTime;
  const tz = typeof map.timezone === 'string' ? parseZone(map.timezone) : map.timezone === undefined || map.timezone === null ? null : (() => {
    throw temporalError(`${fn}(): timezone must be a string such as '+01:00' or 'Europe/Stockholm'.`);
  })();

  if (kind === 'datetime' && (map.epochseconds !== undefined || map.epochmillis !== undefined)) {
    const ns = map.epochmillis !== undefined ? BigInt(int('epochmillis') ?? 0) * 1_000_000n : BigInt(int('epochseconds') ?? 0) * 1_000_000_000n + BigInt(int('nanosecond') ?? 0);
    return atInstant(ns, tz ?? { offset: 0, zone: null });
  }

  const wantsDate = kind === 'date' || kind === 'localdatetime' || kind === 'datetime';
  const wantsTime = kind !== 'date';
  const anyDateField = DATE_KEYS.some((k) => map[k] !== undefined);
  const anyTimeField = TIME_KEYS.some((k) => map[k] !== undefined);

  // Only a time zone (or nothing): the current time there.
  if (!anyDateField && !anyTimeField && !srcDate && !srcTime) return now(kind, clock, tz);

  // ---- the date
  let date: Temporal.PlainDate | null = null;
  if (wantsDate) {
    const base = srcDate ? dateOf(srcDate) : null;
    if (srcDate && !base) throw temporalError(`${fn}(): date must be a date, localdatetime or datetime.`);
    const year = int('year');
    const checkedDate = (make: () => Temporal.PlainDate): Temporal.PlainDate => {
      try {
        return make();
      } catch (err) {
        if (err instanceof RangeError) throw temporalError(`${fn}(): ${err.message}; fix the map ${JSON.stringify(raw)}.`);
        throw err;
      }
    };
    date = checkedDate(() => {
      if (map.week !== undefined || map.dayofweek !== undefined || map.weekyear !== undefined) {
        const wy = int('weekyear') ?? year ?? base?.yearOfWeek;
        if (wy === undefined) throw temporalError(`${fn}(): a week date needs year; add year to ${JSON.stringify(raw)}.`);
        return weekDate(wy, int('week') ?? base?.weekOfYear ?? 1, int('dayofweek') ?? base?.dayOfWeek ?? 1, `${fn}()`);
      }
      if (map.ordinalday !== undefined) {
        const y = year ?? base?.year;
        if (y === undefined) throw temporalError(`${fn}(): ordinalDay needs year; add year to ${JSON.stringify(raw)}.`);
        return ordinalDate(y, int('ordinalday') as number, `${fn}()`);
      }
      if (map.quarter !== undefined || map.dayofquarter !== undefined) {
        const y = year ?? base?.year;
        if (y === undefined) throw temporalError(`${fn}(): quarter needs year; add year to ${JSON.stringify(raw)}.`);
        const q = int('quarter') ?? (base ? Math.ceil(base.month / 3) : 1);
        if (q < 1 || q > 4) throw temporalError(`${fn}(): quarter must be 1 to 4, not ${q}.`);
        const first = new Temporal.PlainDate(y, q * 3 - 2, 1);
        const doq = int('dayofquarter') ?? (base ? base.since(new Temporal.PlainDate(base.year, Math.ceil(base.month / 3) * 3 - 2, 1)).days + 1 : 1);
        const days = first.add({ months: 3 }).since(first).days;
        if (doq < 1 || doq > days) throw temporalError(`${fn}(): dayOfQuarter ${doq} does not exist in quarter ${q} of ${y}.`);
        return first.add({ days: doq - 1 });
      }
      const y = year ?? base?.year;
      if (y === undefined) throw temporalError(`${fn}(): year is required; add year to ${JSON.stringify(raw)}.`);
      if (!base && map.day !== undefined && map.month === undefined) throw temporalError(`${fn}(): day needs month; add month to ${JSON.stringify(raw)}.`);
      return Temporal.PlainDate.from({ year: y, month: int('month') ?? base?.month ?? 1, day: int('day') ?? base?.day ?? 1 }, { overflow: 'reject' });
    });
  } else if (anyDateField) throw temporalError(`${fn}(): a ${fn} has no date; remove ${DATE_KEYS.filter((k) => map[k] !== undefined).join(', ')}.`);

  if (!wantsTime) return { kind: 'date', date: date as Temporal.PlainDate };

  // ---- the time, and the zone it is in
  let time: Temporal.PlainTime = MIDNIGHT;
  let zone: Zone | null = null;
  if (srcTime) {
    const t = timeOf(srcTime);
    if (!t) throw temporalError(`${fn}(): time must be a time, localtime, localdatetime or datetime.`);
    time = t;
    const srcZone = zoneOfValue(srcTime);
    if (srcZone && tz && (kind === 'time' || kind === 'datetime')) {
      // the source's instant seen in the new zone
      // the source's wall clock on the new date (its zone's offset there), seen in the new zone
      const day = date ?? dateOf(srcTime) ?? new Temporal.PlainDate(1970, 1, 1);
      const src: DateTimeV = inZone(day.toPlainDateTime(t), srcZone);
      time = atInstant(epochNs(src), tz).dt.toPlainTime();
    }
    zone = srcZone;
  }
  if (anyTimeField) {
    const sub = map.millisecond !== undefined || map.microsecond !== undefined || map.nanosecond !== undefined;
    // With a source time, the sub-second fields the map leaves out come from it (truncate('millisecond', t, {nanosecond: 2}) keeps the milliseconds).
    const fromBase = srcTime !== null && (int('nanosecond') ?? 0) < 1000 && (int('microsecond') ?? 0) < 1000;
    const ms = int('millisecond') ?? (fromBase ? time.millisecond : 0);
    const us = int('microsecond') ?? (fromBase && map.millisecond === undefined ? time.microsecond : 0);
    const ns = int('nanosecond') ?? (fromBase && map.millisecond === undefined && map.microsecond === undefined ? time.nanosecond : 0);
    if (sub && (ms < 0 || ms > 999 || us < 0 || us > (ms !== 0 || map.millisecond !== undefined ? 999 : 999_999) || ns < 0 || ns > (ms !== 0 || us !== 0 || map.millisecond !== undefined || map.microsecond !== undefined ? 999 : 999_999_999))) {
      throw temporalError(`${fn}(): millisecond, microsecond or nanosecond is out of range in ${JSON.stringify(raw)}.`);
    }
    const nanos = ms * 1e6 + us * 1e3 + ns;
    if (!srcTime && map.hour === undefined && (map.minute !== undefined || map.second !== undefined || sub)) throw temporalError(`${fn}(): hour is required when minute or second is given; add hour to ${JSON.stringify(raw)}.`);
    try {
      time = Temporal.PlainTime.from(
        {
          hour: int('hour') ?? time.hour,
          minute: int('minute') ?? (srcTime ? time.minute : 0),
          second: int('second') ?? (srcTime ? time.second : 0),
          millisecond: sub ? Math.floor(nanos / 1e6) : time.millisecond,
          microsecond: sub ? Math.floor(nanos / 1e3) % 1000 : time.microsecond,
          nanosecond: sub ? nanos % 1000 : time.nanosecond,
        },
        { overflow: 'reject' },
      );
    } catch (err) {
      if (err instanceof RangeError) throw temporalError(`${fn}(): ${err.message}; fix the map ${JSON.stringify(raw)}.`);
      throw err;
    }
  }
  zone = tz ?? zone ?? { offset: 0, zone: null };

  switch (kind) {
    case 'localtime':
      return { kind, time };
    case 'time':
      return { kind, time, offset: zone.zone !== null ? inZone(Temporal.Now.plainDateISO(zone.zone).toPlainDateTime(time), zone).offset : zone.offset };
    case 'localdatetime':
      return { kind, dt: (date as Temporal.PlainDate).toPlainDateTime(time) };
    default:
      return inZone((date as Temporal.PlainDate).toPlainDateTime(time), zone);
  }
}

/** The statement's current time as a value of `kind`, in `zone` (UTC by default). */
export function now(kind: TemporalKind, clock: Clock, zone: Zone | null): TValue {
  const dt = atInstant(clock.nowNs, zone ?? { offset: 0, zone: null });
  switch (kind) {
    case 'date':
      return { kind, date: dt.dt.toPlainDate() };
    case 'localtime':
      return { kind, time: dt.dt.toPlainTime() };
    case 'time':
      return { kind, time: dt.dt.toPlainTime(), offset: dt.offset };
    case 'localdatetime':
      return { kind, dt: dt.dt };
    case 'datetime':
      return dt;
    case 'duration':
      throw temporalError('duration() needs an argument, e.g. duration({days: 7}) or duration(\'P7D\').');
  }
}

/** `kind(other)`: another temporal value seen as this kind (its date, its time, its zone). */
export function select(kind: TemporalKind, v: TValue, clock: Clock): TValue {
  if (kind === 'duration') {
    if (v.kind !== 'duration') throw temporalError(`duration() cannot be made from a ${v.kind}; use duration.between(a, b).`);
    return v;
  }
  if (v.kind === 'duration') throw temporalError(`${kind}() cannot be made from a duration.`);
  if (v.kind === kind) return v;
  const map: Record<string, unknown> = {};
  if (hasDate(v) && hasTime(v)) map.datetime = v;
  else if (hasDate(v)) map.date = v;
  else map.time = v;
  if ((kind === 'date' && !hasDate(v)) || ((kind === 'localtime' || kind === 'time') && !hasTime(v))) throw temporalError(`${kind}() cannot be made from a ${v.kind}.`);
  if (kind === 'date') return fromMap(kind, { date: v }, clock);
  if (kind === 'localtime' || kind === 'time') return fromMap(kind, { time: v }, clock);
  if (!hasDate(v)) throw temporalError(`${kind}() cannot be made from a ${v.kind}; give a date too, e.g. ${kind}({date: d, time: t}).`);
  return fromMap(kind, map, clock);
}

export function durationFrom(map: Record<string, unknown>): TValue {
  return durationFromMap(map);
}

const UNITS = ['millennium', 'century', 'decade', 'year', 'weekyear', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond'];

/** `kind.truncate(unit, value[, map])`: the value cut to the unit, then the map's fields set. */
export function truncate(kind: Exclude<TemporalKind, 'duration'>, unitText: string, v: TValue, map: Record<string, unknown>, clock: Clock): TValue {
  const unit = unitText.toLowerCase();
  if (!UNITS.includes(unit)) throw temporalError(`${kind}.truncate(): unknown unit ${JSON.stringify(unitText)}; use ${UNITS.join(', ')}.`);
  if (v.kind === 'duration') throw temporalError(`${kind}.truncate() takes a date or time, not a duration.`);
  const date = dateOf(v);
  const time = timeOf(v);
  const dateUnit = UNITS.indexOf(unit) <= UNITS.indexOf('day');
  if ((kind === 'date' && !dateUnit) || ((kind === 'date' || kind === 'localdatetime' || kind === 'datetime') && !date)) throw temporalError(`${kind}.truncate(): cannot truncate a ${v.kind} to ${unit} as a ${kind}.`);
  let d = date;
  if (d) {
    const y = d.year;
    const floorTo = (n: number): number => Math.floor(y / n) * n;
    switch (unit) {
      case 'millennium':
        d = new Temporal.PlainDate(floorTo(1000), 1, 1);
        break;
      case 'century':
        d = new Temporal.PlainDate(floorTo(100), 1, 1);
        break;
      case 'decade':
        d = new Temporal.PlainDate(floorTo(10), 1, 1);
        break;
      case 'year':
        d = new Temporal.PlainDate(y, 1, 1);
        break;
      case 'weekyear':
        d = weekOneMonday(d.yearOfWeek ?? y);
        break;
      case 'quarter':
        d = new Temporal.PlainDate(y, Math.ceil(d.month / 3) * 3 - 2, 1);
        break;
      case 'month':
        d = d.with({ day: 1 });
        break;
      case 'week':
        d = d.subtract({ days: d.dayOfWeek - 1 });
        break;
    }
  }
  let t = time ?? MIDNIGHT;
  if (dateUnit) t = MIDNIGHT;
  else t = t.round({ smallestUnit: unit as 'hour' | 'minute' | 'second' | 'millisecond' | 'microsecond', roundingMode: 'trunc' });
  const src = zoneOfValue(v);
  const lower: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(map)) lower[k.toLowerCase()] = val;
  const base: Record<string, unknown> = {};
  if (d && kind !== 'localtime' && kind !== 'time') base.date = { kind: 'date', date: d } satisfies TValue;
  if (kind !== 'date') {
    // the truncated time keeps the source's zone unless the map names another
    base.time = src && src.offset !== null ? { kind: 'time', time: t, offset: src.offset } : { kind: 'localtime', time: t };
    if (src && src.zone !== null && d) base.time = inZone(d.toPlainDateTime(t), src);
  }
  // A new timezone on a truncated value replaces the zone, keeping the wall-clock fields (as Neo4j does).
  if (lower.timezone !== undefined && base.time && typeof base.time === 'object') {
    const bt = base.time as TValue;
    const tt = timeOf(bt);
    if (tt) base.time = { kind: 'localtime', time: tt } satisfies TValue;
  }
  return fromMap(kind, { ...base, ...lower }, clock);
}

/** Local date-time nanoseconds for ordering values without an offset. */
export function localKey(dt: Temporal.PlainDateTime): bigint {
  return localEpochNs(dt);
}

/**
 * Cypher's temporal values in JS, their ISO text (Neo4j's canonical form),
 * and reading them back from text.
 *
 * Calendar and clock arithmetic, time zones and epoch conversion come from
 * temporal-polyfill (TC39 Temporal). Hand-written here, and why:
 * - the parser: Temporal.X.from reads RFC 9557 text only, while Cypher also
 *   takes week dates (2015-W30-2), ordinal dates (2015-202), reduced
 *   precision ('2015', '21'), basic forms ('214032') and hour-only offsets
 *   ('-02');
 * - `time` (a time of day with an offset) and offsets with seconds
 *   (+02:05:59), which Temporal has no type or zone for;
 * - the text: Neo4j prints fractions in groups of three digits, omits zero
 *   seconds, and prints offset 0 as Z.
 */
import { Temporal } from 'temporal-polyfill';
import { formatDuration, parseDuration, type Duration } from './duration.ts';
import { temporalError } from './errors.ts';

export type TemporalKind = 'date' | 'localtime' | 'time' | 'localdatetime' | 'datetime' | 'duration';
export const TEMPORAL_KINDS: readonly TemporalKind[] = ['date', 'localtime', 'time', 'localdatetime', 'datetime', 'duration'];

export interface DateV {
  kind: 'date';
  date: Temporal.PlainDate;
}
export interface LocalTimeV {
  kind: 'localtime';
  time: Temporal.PlainTime;
}
export interface TimeV {
  kind: 'time';
  time: Temporal.PlainTime;
  /** seconds east of UTC */
  offset: number;
}
export interface LocalDateTimeV {
  kind: 'localdatetime';
  dt: Temporal.PlainDateTime;
}
export interface DateTimeV {
  kind: 'datetime';
  /** the wall-clock date and time at `offset` */
  dt: Temporal.PlainDateTime;
  offset: number;
  /** an IANA zone name, or null for a fixed offset */
  zone: string | null;
}
export type TValue = DateV | LocalTimeV | TimeV | LocalDateTimeV | DateTimeV | Duration;

export const MIDNIGHT = new Temporal.PlainTime();

// ------------------------------------------------------------ zones

export type Zone = { offset: number; zone: null } | { offset: null; zone: string };

/** 'Z', '+01:00', '+0100', '-02', '+02:05:59', or an IANA name such as 'Europe/Stockholm'. */
export function parseZone(text: string): Zone {
  if (/^z$/i.test(text)) return { offset: 0, zone: null };
  const m = /^([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?$/.exec(text);
  if (m) {
    const offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
    if (Math.abs(offset) > 18 * 3600) throw temporalError(`the offset ${text} is out of range; offsets go from -18:00 to +18:00.`);
    return { offset, zone: null };
  }
  try {
    return { offset: null, zone: new Temporal.ZonedDateTime(0n, text).timeZoneId };
  } catch {
    throw temporalError(`unknown time zone ${JSON.stringify(text)}; use an offset such as '+01:00' or an IANA name such as 'Europe/Stockholm'.`);
  }
}

/** The wall-clock time `dt` in `zone` as a datetime value (a skipped wall time moves forward, as in Neo4j). */
export function inZone(dt: Temporal.PlainDateTime, zone: Zone): DateTimeV {
  if (zone.zone === null) return { kind: 'datetime', dt, offset: zone.offset, zone: null };
  const z = dt.toZonedDateTime(zone.zone, { disambiguation: 'compatible' });
  return { kind: 'datetime', dt: z.toPlainDateTime(), offset: z.offsetNanoseconds / 1e9, zone: zone.zone };
}

/** Nanoseconds since the epoch of a wall-clock time read as UTC. */
export function localEpochNs(dt: Temporal.PlainDateTime): bigint {
  return dt.toZonedDateTime('UTC').epochNanoseconds;
}

export function epochNs(v: DateTimeV): bigint {
  return localEpochNs(v.dt) - BigInt(v.offset) * 1_000_000_000n;
}

/** The instant `ns` seen in a zone (or at a fixed offset). */
export function atInstant(ns: bigint, zone: Zone): DateTimeV {
  if (zone.zone !== null) {
    const z = new Temporal.ZonedDateTime(ns, zone.zone);
    return { kind: 'datetime', dt: z.toPlainDateTime(), offset: z.offsetNanoseconds / 1e9, zone: zone.zone };
  }
  const dt = new Temporal.ZonedDateTime(ns + BigInt(zone.offset) * 1_000_000_000n, 'UTC').toPlainDateTime();
  return { kind: 'datetime', dt, offset: zone.offset, zone: null };
}

export function zoneOf(v: DateTimeV | TimeV): Zone {
  return v.kind === 'datetime' && v.zone !== null ? { offset: null, zone: v.zone } : { offset: v.offset, zone: null };
}

/** Nanoseconds of a time of day since midnight. */
export function nanoOfDay(t: Temporal.PlainTime): bigint {
  return BigInt(((t.hour * 60 + t.minute) * 60 + t.second) * 1e9 + t.millisecond * 1e6 + t.microsecond * 1e3 + t.nanosecond);
}

export function timeFromNanoOfDay(ns: bigint): Temporal.PlainTime {
  const day = 86_400_000_000_000n;
  const n = ((ns % day) + day) % day;
  return MIDNIGHT.add({ nanoseconds: Number(n % 1000n), microseconds: Number((n / 1000n) % 1000n), milliseconds: Number((n / 1_000_000n) % 1000n), seconds: Number(n / 1_000_000_000n) });
}

// ------------------------------------------------------------ text

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function formatDate(d: Temporal.PlainDate): string {
  const y = d.year;
  const year = y > 9999 ? `+${y}` : y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
  return `${year}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
}

/** HH:MM, then :SS when seconds or a fraction are set, the fraction in groups of three digits (as Java prints it). */
export function formatTime(t: Temporal.PlainTime): string {
  let out = `${pad(t.hour, 2)}:${pad(t.minute, 2)}`;
  const nanos = t.millisecond * 1e6 + t.microsecond * 1e3 + t.nanosecond;
  if (t.second === 0 && nanos === 0) return out;
  out += `:${pad(t.second, 2)}`;
  if (nanos === 0) return out;
  const digits = pad(nanos, 9);
  return `${out}.${nanos % 1e6 === 0 ? digits.slice(0, 3) : nanos % 1e3 === 0 ? digits.slice(0, 6) : digits}`;
}

export function formatOffset(offset: number): string {
  if (offset === 0) return 'Z';
  const a = Math.abs(offset);
  const s = a % 60;
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(a / 3600), 2)}:${pad(Math.floor(a / 60) % 60, 2)}${s !== 0 ? `:${pad(s, 2)}` : ''}`;
}

export function formatTemporal(v: TValue): string {
  switch (v.kind) {
    case 'date':
      return formatDate(v.date);
    case 'localtime':
      return formatTime(v.time);
    case 'time':
      return formatTime(v.time) + formatOffset(v.offset);
    case 'localdatetime':
      return `${formatDate(v.dt.toPlainDate())}T${formatTime(v.dt.toPlainTime())}`;
    case 'datetime':
      return `${formatDate(v.dt.toPlainDate())}T${formatTime(v.dt.toPlainTime())}${formatOffset(v.offset)}${v.zone !== null ? `[${v.zone}]` : ''}`;
    case 'duration':
      return formatDuration(v);
  }
}

// ------------------------------------------------------------ parsing

const YEAR = '([+-]\\d{4,9}|\\d{4})';
const WEEK_DATE = new RegExp(`^${YEAR}-?W(\\d{2})(?:-?(\\d))?$`, 'i');
const ORDINAL_DATE = new RegExp(`^${YEAR}-?(\\d{3})$`);
const CALENDAR_DATE = new RegExp(`^${YEAR}(?:-?(\\d{2})(?:-?(\\d{2}))?)?$`);
const TIME = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?$/;
const ZONE_SUFFIX = /(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(?:\[([^\]]+)\])?$/i;

function checked<T>(what: string, text: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof RangeError) throw temporalError(`${JSON.stringify(text)} is not a valid ${what}: ${err.message}.`);
    throw err;
  }
}

/** The Monday of ISO week 1 of a week-based year. */
export function weekOneMonday(weekYear: number): Temporal.PlainDate {
  const jan4 = new Temporal.PlainDate(weekYear, 1, 4);
  return jan4.subtract({ days: jan4.dayOfWeek - 1 });
}

export function weekDate(weekYear: number, week: number, dayOfWeek: number, text: string): Temporal.PlainDate {
  const weeks = new Temporal.PlainDate(weekYear, 12, 28).weekOfYear ?? 52;
  if (week < 1 || week > weeks) throw temporalError(`${text}: week ${week} does not exist in ${weekYear} (it has ${weeks} weeks).`);
  if (dayOfWeek < 1 || dayOfWeek > 7) throw temporalError(`${text}: dayOfWeek must be 1 (Monday) to 7 (Sunday), not ${dayOfWeek}.`);
  return weekOneMonday(weekYear).add({ days: (week - 1) * 7 + dayOfWeek - 1 });
}

export function ordinalDate(year: number, day: number, text: string): Temporal.PlainDate {
  const first = new Temporal.PlainDate(year, 1, 1);
  if (day < 1 || day > first.daysInYear) throw temporalError(`${text}: day ${day} does not exist in ${year} (it has ${first.daysInYear} days).`);
  return first.add({ days: day - 1 });
}

export function parseDateText(text: string): Temporal.PlainDate | null {
  return checked('date', text, () => {
    let m = WEEK_DATE.exec(text);
    if (m) return weekDate(Number(m[1]), Number(m[2]), Number(m[3] ?? 1), JSON.stringify(text));
    m = ORDINAL_DATE.exec(text);
    if (m) return ordinalDate(Number(m[1]), Number(m[2]), JSON.stringify(text));
    m = CALENDAR_DATE.exec(text);
    if (m) return Temporal.PlainDate.from({ year: Number(m[1]), month: Number(m[2] ?? 1), day: Number(m[3] ?? 1) }, { overflow: 'reject' });
    return null;
  });
}

export function parseTimeText(text: string): Temporal.PlainTime | null {
  const m = TIME.exec(text);
  if (!m) return null;
  const frac = Number(((m[4] ?? '') + '000000000').slice(0, 9));
  return checked('time', text, () =>
    Temporal.PlainTime.from(
      { hour: Number(m[1]), minute: Number(m[2] ?? 0), second: Number(m[3] ?? 0), millisecond: Math.floor(frac / 1e6), microsecond: Math.floor(frac / 1e3) % 1000, nanosecond: frac % 1000 },
      { overflow: 'reject' },
    ),
  );
}

/** A time (or date-time) text split into its clock part and its offset / [zone] suffix. */
function splitZone(text: string): { clock: string; offset: string | null; zone: string | null } {
  const m = ZONE_SUFFIX.exec(text);
  if (!m || m[0] === '') return { clock: text, offset: null, zone: null };
  return { clock: text.slice(0, text.length - m[0].length), offset: m[1] ?? null, zone: m[2] ?? null };
}

function zoneFrom(offset: string | null, zone: string | null): Zone | null {
  if (zone !== null) return parseZone(zone);
  if (offset !== null) return parseZone(offset);
  return null;
}

const bad = (kind: string, text: string): Error =>
  temporalError(
    `cannot read ${JSON.stringify(text)} as a ${kind}; write ISO 8601 such as ${
      { date: "'2015-07-21'", localtime: "'21:40:32'", time: "'21:40:32+01:00'", localdatetime: "'2015-07-21T21:40:32'", datetime: "'2015-07-21T21:40:32+01:00' or '2015-07-21T21:40:32[Europe/Stockholm]'", duration: "'P1Y2M10DT12H45M30.5S'" }[kind]
    }.`,
  );

/** Cypher's `kind('text')`, with every form Neo4j reads; null for text that is not of this kind. */
export function parseAs(kind: TemporalKind, text: string, defaultZone: Zone = { offset: 0, zone: null }): TValue {
  const t = text.trim();
  switch (kind) {
    case 'duration': {
      const d = parseDuration(t);
      if (!d) throw bad(kind, text);
      return d;
    }
    case 'date': {
      const d = parseDateText(t.split('T')[0] ?? '');
      if (!d || (t.includes('T') && !parseDateTimeParts(t))) throw bad(kind, text);
      return { kind, date: d };
    }
    case 'localtime':
    case 'time': {
      const timePart = t.includes('T') ? t.slice(t.indexOf('T') + 1) : t;
      const { clock, offset, zone } = splitZone(timePart);
      const time = parseTimeText(clock);
      if (!time) throw bad(kind, text);
      if (kind === 'localtime') return { kind, time };
      const z = zoneFrom(offset, zone) ?? defaultZone;
      const off = z.zone !== null ? inZone(t.includes('T') ? (parseDateTimeParts(t)?.date ?? Temporal.Now.plainDateISO()).toPlainDateTime(time) : Temporal.Now.plainDateTimeISO(z.zone), z).offset : z.offset;
      return { kind, time, offset: off };
    }
    case 'localdatetime':
    case 'datetime': {
      const parts = parseDateTimeParts(t);
      if (!parts) throw bad(kind, text);
      const dt = parts.date.toPlainDateTime(parts.time);
      if (kind === 'localdatetime') return { kind, dt };
      return inZone(dt, parts.zone ?? defaultZone);
    }
  }
}

function parseDateTimeParts(t: string): { date: Temporal.PlainDate; time: Temporal.PlainTime; zone: Zone | null } | null {
  const at = t.search(/T/i);
  if (at < 0) {
    const date = parseDateText(t);
    return date ? { date, time: MIDNIGHT, zone: null } : null;
  }
  const date = parseDateText(t.slice(0, at));
  const { clock, offset, zone } = splitZone(t.slice(at + 1));
  const time = parseTimeText(clock);
  if (!date || !time) return null;
  return { date, time, zone: zoneFrom(offset, zone) };
}

// Canonical shapes only (separators required), so a stored string is recognised without guessing.
const SNIFF_DATE = /^[+-]?\d{4,9}-\d{2}-\d{2}$/;
const SNIFF_TIME = /^\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;
const SNIFF_ZONE = /^(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)(?:\[[^\]]+\])?$/;

/**
 * The kind of a stored temporal text (what this layer wrote, or the same
 * ISO shape from elsewhere): used where a value's type is unknown until run
 * time, such as a property read back. null for any other text.
 */
export function sniffKind(text: string): TemporalKind | null {
  if (text.length < 3 || text.length > 80) return null;
  const c = text.charCodeAt(0);
  if (c === 80 || (c === 45 && text.charCodeAt(1) === 80)) return parseDuration(text) ? 'duration' : null; // P, -P
  const at = text.indexOf('T');
  if (at > 0) {
    if (!SNIFF_DATE.test(text.slice(0, at))) return null;
    const rest = text.slice(at + 1);
    const z = /[Z+-]/.exec(rest.slice(5));
    const clock = z ? rest.slice(0, 5 + z.index) : rest;
    if (!SNIFF_TIME.test(clock)) return null;
    if (!z) return 'localdatetime';
    return SNIFF_ZONE.test(rest.slice(clock.length)) ? 'datetime' : null;
  }
  if (SNIFF_DATE.test(text)) return 'date';
  const z = /[Z+-]/.exec(text.slice(5));
  const clock = z ? text.slice(0, 5 + z.index) : text;
  if (!SNIFF_TIME.test(clock)) return null;
  if (!z) return 'localtime';
  return /^(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)$/.test(text.slice(clock.length)) ? 'time' : null;
}

/** A stored temporal text as its value, or null when it is not one (see sniffKind). */
export function sniff(text: string): TValue | null {
  const kind = sniffKind(text);
  if (!kind) return null;
  try {
    return parseAs(kind, text);
  } catch {
    return null;
  }
}

/**
 * Cypher durations.
 *
 * Hand-written rather than Temporal.Duration because Cypher's duration is a
 * different value: four fields (months, days, seconds, nanoseconds) that are
 * never balanced into each other (P1M is not P30D, PT36H is not P1DT12H),
 * fractions cascade down through average lengths (a month is 30.436875 days,
 * as in Neo4j), equality compares the fields, and the ISO text is Neo4j's
 * (hours and minutes come from the seconds field, signs per component).
 * Temporal.Duration balances and rounds by its own rules, so it cannot hold
 * `P12Y5M-14DT16H` or give `PT-1M-0.001S`.
 */
import { temporalError } from './errors.ts';

export interface Duration {
  kind: 'duration';
  months: number;
  days: number;
  /** whole seconds; with nanos the signed total is seconds + nanos / 1e9 */
  seconds: number;
  /** always 0 ..< 1e9 */
  nanos: number;
}

export const NANOS = 1_000_000_000;
const SECONDS_PER_DAY = 86_400;
/** Neo4j's average month: 365.2425 / 12 days */
const AVG_DAYS_PER_MONTH = 30.436875;

/** A duration from whole fields, nanos brought into 0 ..< 1e9. */
export function duration(months: number, days: number, seconds: number, nanos: number): Duration {
  const carry = Math.floor(nanos / NANOS);
  const d: Duration = { kind: 'duration', months, days, seconds: seconds + carry, nanos: nanos - carry * NANOS };
  for (const v of [d.months, d.days, d.seconds]) if (!Number.isSafeInteger(v)) throw temporalError('the duration is too large; use smaller values.');
  return d;
}

/** Fractions of months become days, fractions of days seconds, fractions of seconds nanoseconds (Neo4j's rule). */
export function approximate(months: number, days: number, seconds: number, nanos: number): Duration {
  const m = Math.trunc(months);
  days += (months - m) * AVG_DAYS_PER_MONTH;
  const d = Math.trunc(days);
  seconds += (days - d) * SECONDS_PER_DAY;
  const s = Math.trunc(seconds);
  nanos += (seconds - s) * NANOS;
  // Neo4j truncates a fraction of a nanosecond; a value within float noise of a whole nanosecond is that nanosecond
  const whole = Math.round(nanos);
  return duration(m, d, s, Math.abs(nanos - whole) < 1e-3 ? whole : Math.trunc(nanos));
}

const DURATION_KEYS = new Set(['years', 'quarters', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds', 'nanoseconds']);

export function durationFromMap(map: Record<string, unknown>): Duration {
  const n = (k: string): number => {
    const v = map[k];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw temporalError(`duration(): ${k} must be a number, not ${JSON.stringify(v)}.`);
    return v;
  };
  for (const k of Object.keys(map)) if (!DURATION_KEYS.has(k)) throw temporalError(`duration(): unknown key ${k}; use years, quarters, months, weeks, days, hours, minutes, seconds, milliseconds, microseconds or nanoseconds.`);
  return approximate(n('years') * 12 + n('quarters') * 3 + n('months'), n('weeks') * 7 + n('days'), n('hours') * 3600 + n('minutes') * 60 + n('seconds'), n('milliseconds') * 1e6 + n('microseconds') * 1e3 + n('nanoseconds'));
}

const NUM = '([-+]?\\d+(?:[.,]\\d+)?)';
const DURATION_RE = new RegExp(`^([-+]?)P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`, 'i');
const DURATION_DATE_RE = /^([-+]?)P(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d{1,9}))?$/i;

/** Seconds text such as `-10.000000001` as exact [seconds, nanos]. */
function secondsText(text: string): [number, number] {
  const m = /^([-+]?)(\d+)(?:[.,](\d+))?$/.exec(text);
  if (!m) return [0, 0];
  const sign = m[1] === '-' ? -1 : 1;
  const frac = Number(((m[3] ?? '') + '000000000').slice(0, 9));
  return [sign * Number(m[2]), sign * frac];
}

export function parseDuration(text: string): Duration | null {
  const m = DURATION_RE.exec(text);
  if (m && text.length > 1 && !/T$/i.test(text) && m.slice(2).some((g) => g !== undefined)) {
    const sign = m[1] === '-' ? -1 : 1;
    const f = (i: number): number => (m[i] === undefined ? 0 : Number((m[i] as string).replace(',', '.')));
    const [s, ns] = m[8] !== undefined && !/[.,]/.test(m[8]) ? [f(8), 0] : m[8] !== undefined ? secondsText(m[8].replace(',', '.')) : [0, 0];
    const d = approximate(f(2) * 12 + f(3), f(4) * 7 + f(5), f(6) * 3600 + f(7) * 60 + s, ns);
    return sign === 1 ? d : negate(d);
  }
  const a = DURATION_DATE_RE.exec(text);
  if (a) {
    const sign = a[1] === '-' ? -1 : 1;
    const g = (i: number): number => Number(a[i]);
    const d = duration(g(2) * 12 + g(3), g(4), g(5) * 3600 + g(6) * 60 + g(7), Number(((a[8] ?? '') + '000000000').slice(0, 9)));
    return sign === 1 ? d : negate(d);
  }
  return null;
}

/** The fraction digits of nanos, trailing zeros dropped. */
function fraction(nanos: number): string {
  return String(nanos).padStart(9, '0').replace(/0+$/, '');
}

/** Neo4j's text: P[nY][nM][nD][T[nH][nM][n[.f]S]], each component with its own sign; PT0S for zero. */
export function formatDuration(d: Duration): string {
  let out = 'P';
  const part = (q: number, unit: string): void => {
    if (q !== 0) out += `${q}${unit}`;
  };
  part(Math.trunc(d.months / 12), 'Y');
  part(d.months % 12, 'M');
  part(d.days, 'D');
  if (d.seconds !== 0 || d.nanos !== 0) {
    let s = d.seconds;
    let n = d.nanos;
    if (s < 0 && n !== 0) {
      s += 1;
      n -= NANOS;
    }
    out += 'T';
    part(Math.trunc(s / 3600), 'H');
    s %= 3600;
    part(Math.trunc(s / 60), 'M');
    s %= 60;
    if (s !== 0) out += `${s}${n !== 0 ? `.${fraction(Math.abs(n))}` : ''}S`;
    else if (n !== 0) out += `${n < 0 ? '-' : ''}0.${fraction(Math.abs(n))}S`;
  }
  return out === 'P' ? 'PT0S' : out.replace(/-0(?=[HM])/g, '0');
}

export function negate(d: Duration): Duration {
  return duration(-d.months, -d.days, -d.seconds, -d.nanos);
}

export function addDurations(a: Duration, b: Duration): Duration {
  return duration(a.months + b.months, a.days + b.days, a.seconds + b.seconds, a.nanos + b.nanos);
}

export function scaleDuration(d: Duration, factor: number): Duration {
  return approximate(d.months * factor, d.days * factor, d.seconds * factor, d.nanos * factor);
}

export function durationsEqual(a: Duration, b: Duration): boolean {
  return a.months === b.months && a.days === b.days && a.seconds === b.seconds && a.nanos === b.nanos;
}

/** Total nanoseconds of the seconds field, as a bigint (exact beyond 2^53). */
export function totalNanos(d: Duration): bigint {
  return BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos);
}

/** The components Cypher reads from a duration (`d.days`, `d.minutesOfHour`, ...). */
export function durationComponent(d: Duration, key: string): number | undefined {
  const ns = totalNanos(d);
  switch (key) {
    case 'years':
      return Math.trunc(d.months / 12);
    case 'quarters':
      return Math.trunc(d.months / 3);
    case 'months':
      return d.months;
    case 'weeks':
      return Math.trunc(d.days / 7);
    case 'days':
      return d.days;
    case 'hours':
      return Math.trunc(d.seconds / 3600);
    case 'minutes':
      return Math.trunc(d.seconds / 60);
    case 'seconds':
      return d.seconds;
    case 'milliseconds':
      return Number(ns / 1_000_000n) - (ns < 0n && ns % 1_000_000n !== 0n ? 1 : 0);
    case 'microseconds':
      return Number(ns / 1_000n) - (ns < 0n && ns % 1_000n !== 0n ? 1 : 0);
    case 'nanoseconds':
      return Number(ns);
    case 'quartersofyear':
      return Math.trunc(d.months / 3) % 4;
    case 'monthsofquarter':
      return d.months % 3;
    case 'monthsofyear':
      return d.months % 12;
    case 'daysofweek':
      return d.days % 7;
    case 'minutesofhour':
      return Math.trunc(d.seconds / 60) % 60;
    case 'secondsofminute':
      return d.seconds % 60;
    case 'millisecondsofsecond':
      return Math.floor(d.nanos / 1e6);
    case 'microsecondsofsecond':
      return Math.floor(d.nanos / 1e3);
    case 'nanosecondsofsecond':
      return d.nanos;
    default:
      return undefined;
  }
}

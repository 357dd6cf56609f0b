import type Database from 'better-sqlite3';
import { invalid } from './errors.ts';
import { parseExactJson } from './exact-json.ts';
import { sortKey as temporalSortKey } from './temporal/ops.ts';

/**
 * Cypher's comparison, equality and ordering of values, in JS, registered as
 * SQLite functions (registerComparator, via register.ts). SQLite compares by storage class
 * and JSON text, which is not Cypher: `'1' < 1` must be null, `[1, null] =
 * [1, null]` null, `1 = 1.0` true, ORDER BY must follow Cypher's global order
 * across types. The compiler keeps plain SQL where both sides have a known
 * scalar type (compare-sql.ts) and calls these functions for the rest.
 *
 * Every function takes each value as a pair (kind, sql value): the kind is a
 * constant the compiler writes from the value's static type (values.ts), so a
 * native string is never mistaken for JSON text, nor a boolean's 1 for a
 * number. Integers arrive as bigints (safeIntegers) and reals as numbers, so
 * integer/float comparisons are exact beyond 2^53.
 *
 * Values of unknown type arrive as JSON text. There a node or relationship is
 * the object RETURN shows ({id, labels, properties} / {id, type, start, end,
 * properties}); an object with exactly those keys is read as one, which is
 * the only way to order a list that mixes nodes and maps.
 *
 * NaN: SQLite has no NaN (a NaN double becomes NULL), so a NaN is carried as
 * the text 'NaN' in a number's native form (kind NUM) and shown to callers
 * as the string "NaN" (execute-sql.ts). Inside JSON (a list, a map, a stored
 * property) it is that string.
 */

export const KIND = {
  /** JSON text, SQL NULL for null (lists, maps, values of unknown type) */
  json: 0,
  /** a native number: integer, real, or the text 'NaN' */
  num: 1,
  str: 2,
  /** 0 / 1 */
  bool: 3,
  node: 4,
  rel: 5,
  /** a JSON array of node ids */
  nodes: 6,
  rels: 7,
} as const;

export type Kind = (typeof KIND)[keyof typeof KIND];

/** A node or relationship, equal by id. */
class Entity {
  constructor(
    readonly rel: boolean,
    readonly id: bigint,
  ) {}
}

type MapValue = { readonly [key: string]: Value };
export type Value = null | boolean | string | number | bigint | Entity | Value[] | MapValue;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function small(n: bigint): number | bigint {
  return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n;
}

function toId(raw: unknown): bigint {
  return typeof raw === 'bigint' ? raw : BigInt(raw as number);
}

/** Parsed JSON texts: the same list (an IN list, a parameter) comes once per row. */
const parsed = new Map<string, Value>();
const PARSED_MAX = 64;

function fromJsonText(text: string): Value {
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const v = fromPlain(parseExactJson(text));
  if (text.length > 32) {
    if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value as string);
    parsed.set(text, v);
  }
  return v;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function hasExactly(o: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => k in o);
}

const NODE_KEYS = ['id', 'labels', 'properties'] as const;
const REL_KEYS = ['id', 'type', 'start', 'end', 'properties'] as const;

/** A parsed JSON value as a Value: node-shaped objects become entities, safe bigints numbers. */
function fromPlain(x: unknown): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === 'bigint') return small(x);
  if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean') return x;
  if (Array.isArray(x)) return x.map(fromPlain);
  if (isPlainObject(x)) {
    const id = x.id;
    if ((typeof id === 'number' || typeof id === 'bigint') && isPlainObject(x.properties)) {
      if (hasExactly(x, NODE_KEYS) && Array.isArray(x.labels)) return new Entity(false, toId(id));
      if (hasExactly(x, REL_KEYS) && typeof x.type === 'string') return new Entity(true, toId(id));
    }
    const out: Record<string, Value> = {};
    for (const [k, v] of Object.entries(x)) out[k] = fromPlain(v);
    return out;
  }
  return null;
}

/** One argument pair as a Value. */
export function decode(kind: unknown, raw: unknown): Value {
  if (raw === null || raw === undefined) return null;
  switch (Number(kind)) {
    case KIND.num:
      if (typeof raw === 'bigint') return small(raw);
      if (typeof raw === 'number') return raw;
      return raw === 'NaN' ? Number.NaN : Number(raw);
    case KIND.str:
      return String(raw);
    case KIND.bool:
      return Number(raw) !== 0;
    case KIND.node:
      return new Entity(false, toId(raw));
    case KIND.rel:
      return new Entity(true, toId(raw));
    case KIND.nodes:
    case KIND.rels: {
      const ids = parseExactJson(String(raw));
      if (!Array.isArray(ids)) return null;
      return ids.map((id) => (id === null ? null : new Entity(Number(kind) === KIND.rels, toId(id))));
    }
    default:
      if (typeof raw === 'string') return fromJsonText(raw);
      // a native scalar passed as JSON kind (a value json_each unwrapped)
      if (typeof raw === 'bigint') return small(raw);
      if (typeof raw === 'number') return raw;
      return null;
  }
}

// ------------------------------------------------------------ types

type Tag = 'null' | 'map' | 'node' | 'rel' | 'list' | 'string' | 'boolean' | 'number';

function tagOf(v: Value): Tag {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Entity) return v.rel ? 'rel' : 'node';
  if (Array.isArray(v)) return 'list';
  return 'map';
}

/**
 * Two numbers, exactly: -1, 0, 1, or NaN when either is NaN. A bigint and a
 * double are compared without rounding the bigint to a double.
 */
export function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint') return -compareNumbers(b, a);
  // a is a double, b a bigint
  const d = a;
  const i = b as bigint;
  if (Number.isNaN(d)) return Number.NaN;
  if (d === Number.POSITIVE_INFINITY) return 1;
  if (d === Number.NEGATIVE_INFINITY) return -1;
  const floor = BigInt(Math.floor(d));
  if (i > floor) return -1; // i >= floor + 1 > d
  if (i < floor) return 1;
  return d === Math.floor(d) ? 0 : 1; // i = floor(d) <= d
}

/** Code point order of two JS strings (UTF-16 code unit order puts U+10000.. below U+E000..U+FFFF). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) < fixup(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

function fixup(u: number): number {
  if (u >= 0xd800 && u <= 0xdfff) return u + 0x2000;
  if (u >= 0xe000) return u - 0x800;
  return u;
}

// ------------------------------------------------------------ equality

/** Cypher `=`: true, false, or null (unknown: a null somewhere that decides it). */
export function equals(a: Value, b: Value): boolean | null {
  if (a === null || b === null) return null;
  const ta = tagOf(a);
  if (ta !== tagOf(b)) return false;
  switch (ta) {
    case 'number':
      return compareNumbers(a as number | bigint, b as number | bigint) === 0;
    case 'string':
    case 'boolean':
      return a === b;
    case 'node':
    case 'rel':
      return (a as Entity).id === (b as Entity).id;
    case 'list': {
      const x = a as Value[];
      const y = b as Value[];
      if (x.length !== y.length) return false;
      let unknown = false;
      for (let i = 0; i < x.length; i++) {
        const r = equals(x[i] as Value, y[i] as Value);
        if (r === false) return false;
        if (r === null) unknown = true;
      }
      return unknown ? null : true;
    }
    default: {
      const x = a as MapValue;
      const y = b as MapValue;
      const kx = Object.keys(x);
      if (kx.length !== Object.keys(y).length || !kx.every((k) => Object.prototype.hasOwnProperty.call(y, k))) return false;
      let unknown = false;
      for (const k of kx) {
        const r = equals(x[k] as Value, y[k] as Value);
        if (r === false) return false;
        if (r === null) unknown = true;
      }
      return unknown ? null : true;
    }
  }
}

/** Cypher `IN`: true when some element equals, else null when some comparison was null, else false. */
export function contains(list: Value, v: Value): boolean | null {
  if (list === null) return null;
  if (!Array.isArray(list)) throw invalid('IN needs a list on its right; wrap a single value in [ ].');
  let unknown = false;
  for (const item of list) {
    const r = equals(v, item);
    if (r === true) return true;
    if (r === null) unknown = true;
  }
  return unknown ? null : false;
}

// ------------------------------------------------------------ comparability (<, <=, >, >=)

/**
 * The order of two comparable values: -1, 0, 1; null when they are not
 * comparable (null, different types, maps, nodes); NaN when a NaN makes
 * every ordering comparison false.
 */
export function compareValues(a: Value, b: Value): number | null {
  if (a === null || b === null) return null;
  const ta = tagOf(a);
  if (ta !== tagOf(b)) return null;
  switch (ta) {
    case 'number':
      return compareNumbers(a as number | bigint, b as number | bigint);
    case 'string':
      return compareTemporalTexts(a as string, b as string) ?? compareStrings(a as string, b as string);
    case 'boolean':
      return a === b ? 0 : a ? 1 : -1;
    case 'list': {
      // lexicographic; an element pair that cannot be compared makes the whole comparison null
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const r = compareValues(x[i] as Value, y[i] as Value);
        if (r === null || Number.isNaN(r) || r !== 0) return r;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    default:
      return null;
  }
}

/**
 * Two texts that both hold temporal values of one kind (a stored datetime
 * property, a list element), in time order, as ORDER BY sorts them
 * (temporal/sql.ts orderKey): as text, 10:00+05:00 would follow 06:00Z,
 * which is an hour later. Durations, which Cypher does not order, and
 * texts of two kinds or none stay compared as text.
 */
function compareTemporalTexts(a: string, b: string): number | undefined {
  const ka = timeKey(a);
  if (ka === undefined) return undefined;
  const kb = timeKey(b);
  // the key's second character is its kind (temporal/ops.ts KIND_RANK)
  if (kb === undefined || ka[1] !== kb[1]) return undefined;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The time-order key of a text holding a temporal value other than a duration (which Cypher does not order); undefined for any other text. */
function timeKey(s: string): string | undefined {
  const key = temporalSortKey(s);
  // 'f' is the duration kind (temporal/ops.ts KIND_RANK)
  return typeof key === 'string' && key !== s && key[1] !== 'f' ? key : undefined;
}

export function compareOp(op: string, a: Value, b: Value): boolean | null {
  const r = compareValues(a, b);
  if (r === null) return null;
  if (Number.isNaN(r)) return false;
  switch (op) {
    case '<':
      return r < 0;
    case '<=':
      return r <= 0;
    case '>':
      return r > 0;
    case '>=':
      return r >= 0;
    default:
      throw new Error(`cypher_cmp: unknown operator ${op}`);
  }
}

// ------------------------------------------------------------ orderability (ORDER BY, min, max, DISTINCT)

/**
 * Type bytes of the sort key in Cypher's global order: MAP < NODE <
 * RELATIONSHIP < LIST < PATH < STRING < BOOLEAN < NUMBER < NaN < null.
 * END (0) closes a list or map, so a shorter list sorts first.
 */
const T = { end: 0x00, map: 0x10, node: 0x20, rel: 0x30, list: 0x40, path: 0x50, string: 0x60, boolean: 0x70, number: 0x80, nan: 0x90, null: 0xa0 } as const;

class KeyWriter {
  private buf = Buffer.allocUnsafe(64);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** A double whose bytes sort as its value (sign flipped; all bits flipped for negatives). */
  double(d: number): void {
    this.room(8);
    this.buf.writeDoubleBE(d === 0 ? 0 : d, this.at);
    if ((this.buf[this.at] as number) & 0x80) for (let i = 0; i < 8; i++) this.buf[this.at + i] = ~(this.buf[this.at + i] as number) & 0xff;
    else this.buf[this.at] = (this.buf[this.at] as number) | 0x80;
    this.at += 8;
  }

  int64(n: bigint): void {
    this.room(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, n) ^ (1n << 63n), this.at);
    this.at += 8;
  }

  /** UTF-8 (whose byte order is code point order), 0x00 escaped as 00 FF, closed by 00 00. */
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.room(bytes.length * 2 + 2);
    for (const b of bytes) {
      this.buf[this.at++] = b;
      if (b === 0) this.buf[this.at++] = 0xff;
    }
    this.buf[this.at++] = 0;
    this.buf[this.at++] = 0;
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.at));
  }
}

function writeKey(w: KeyWriter, v: Value): void {
  if (v === null) return w.byte(T.null);
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (typeof v === 'number' && Number.isNaN(v)) return w.byte(T.nan);
    // the double nearest the value, then what the double is off by: exact for
    // integers beyond 2^53, and 1 and 1.0 get the same key
    w.byte(T.number);
    if (typeof v === 'number') {
      w.double(v);
      w.int64(0n);
    } else {
      const d = Number(v);
      w.double(d);
      w.int64(v - BigInt(d));
    }
    return;
  }
  if (typeof v === 'string') {
    w.byte(T.string);
    // temporal text in time order, as ORDER BY and compareValues have it (min, max, lists sorted or
    // grouped), then the text itself, so two texts of one instant stay two keys; durations as text
    const time = timeKey(v);
    if (time !== undefined) w.string(time);
    return w.string(v);
  }
  if (typeof v === 'boolean') {
    w.byte(T.boolean);
    return w.byte(v ? 1 : 0);
  }
  if (v instanceof Entity) {
    w.byte(v.rel ? T.rel : T.node);
    return w.int64(v.id);
  }
  if (Array.isArray(v)) {
    w.byte(T.list);
    for (const item of v) writeKey(w, item);
    return w.byte(T.end);
  }
  w.byte(T.map);
  for (const k of Object.keys(v).sort(compareStrings)) {
    w.string(k);
    writeKey(w, v[k] as Value);
  }
  w.byte(T.end);
}

/**
 * A BLOB whose byte order (SQLite compares BLOBs with memcmp) is Cypher's
 * order, and whose equality is Cypher's equivalence (1 ~ 1.0, NaN ~ NaN,
 * lists and maps by value): for ORDER BY, DISTINCT, grouping, min and max.
 * Null is SQL NULL, so NULLS LAST / FIRST place it.
 */
export function sortKey(v: Value): Buffer | null {
  if (v === null) return null;
  const w = new KeyWriter();
  writeKey(w, v);
  return w.done();
}

// ------------------------------------------------------------ arithmetic that can give NaN or Infinity

/** A number from a native argument; anything else is a type error. */
function numberArg(op: string, raw: unknown): number | bigint | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'bigint' || typeof raw === 'number') return raw;
  if (raw === 'NaN') return Number.NaN;
  throw invalid(`${op} needs numbers, got ${JSON.stringify(raw)}; convert with toInteger() or toFloat().`);
}

/** A result for SQLite: NaN as the text 'NaN' (SQLite would make it NULL), ±Infinity as a real. */
function numberResult(n: number | bigint): number | bigint | string {
  if (typeof n === 'number' && Number.isNaN(n)) return 'NaN';
  return n;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function integerResult(op: string, n: bigint): bigint {
  if (n < INT64_MIN || n > INT64_MAX) throw invalid(`integer overflow in ${op}; use floats (e.g. toFloat(x)) for numbers beyond 64 bits.`);
  return n;
}

/**
 * `/`, `%`, and `+ - * ^` on values that may be NaN or Infinity. Integer
 * division and modulo by zero are an error, as in Neo4j; with a float on
 * either side the IEEE result (±Infinity, NaN) is given.
 */
export function arithmetic(op: string, rawA: unknown, rawB: unknown): number | bigint | string | null {
  const a = numberArg(op, rawA);
  const b = numberArg(op, rawB);
  if (a === null || b === null) return null;
  if (typeof a === 'bigint' && typeof b === 'bigint' && op !== '^') {
    switch (op) {
      case '/':
        if (b === 0n) throw invalid('integer division by zero; divide by a float (x / 0.0 is Infinity or NaN) or test the divisor first.');
        return a / b;
      case '%':
        if (b === 0n) throw invalid('integer modulo by zero; use a float or test the divisor first.');
        return a % b;
      case '+':
        return integerResult(op, a + b);
      case '-':
        return integerResult(op, a - b);
      case '*':
        return integerResult(op, a * b);
    }
  }
  const x = Number(a);
  const y = Number(b);
  switch (op) {
    case '/':
      return numberResult(x / y);
    case '%':
      return numberResult(x % y);
    case '+':
      return numberResult(x + y);
    case '-':
      return numberResult(x - y);
    case '*':
      return numberResult(x * y);
    case '^':
      return numberResult(x ** y);
    default:
      throw new Error(`cypher_arith: unknown operator ${op}`);
  }
}

/** The math functions whose result may be NaN or ±Infinity where SQLite's give NULL: sqrt(-1) is NaN, log(0) -Infinity. */
const IEEE_MATH: Readonly<Record<string, (x: number) => number>> = { sqrt: Math.sqrt, log: Math.log, log10: Math.log10, asin: Math.asin, acos: Math.acos };

export function ieeeMath(name: string, raw: unknown): number | bigint | string | null {
  const f = IEEE_MATH[name];
  if (!f) throw new Error(`cypher_math: unknown function ${name}`);
  const x = numberArg(`${name}()`, raw);
  return x === null ? null : numberResult(f(Number(x)));
}

// ------------------------------------------------------------ registration

const registered = new WeakSet<Database.Database>();

/** Registers the functions once per connection; every connection that runs Cypher needs them. */
export function registerComparator(db: Database.Database): void {
  if (registered.has(db)) return;
  registered.add(db);
  const pure = { deterministic: true, safeIntegers: true, varargs: false } as const;
  const bit = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);
  db.function('cypher_eq', pure, (ka: unknown, a: unknown, kb: unknown, b: unknown) => bit(equals(decode(ka, a), decode(kb, b))));
  db.function('cypher_cmp', pure, (op: unknown, ka: unknown, a: unknown, kb: unknown, b: unknown) => bit(compareOp(String(op), decode(ka, a), decode(kb, b))));
  db.function('cypher_in', pure, (ka: unknown, a: unknown, kb: unknown, list: unknown) => bit(contains(decode(kb, list), decode(ka, a))));
  db.function('cypher_key', pure, (k: unknown, v: unknown) => sortKey(decode(k, v)));
  db.function('cypher_arith', pure, (op: unknown, a: unknown, b: unknown) => arithmetic(String(op), a, b));
  db.function('cypher_math', pure, (name: unknown, x: unknown) => ieeeMath(String(name), x));
  // min / max over values of unknown type, in the sort key's order; the value comes back as its JSON text
  for (const [name, sign] of [
    ['cypher_min', -1],
    ['cypher_max', 1],
  ] as const) {
    db.aggregate(name, {
      ...pure,
      start: () => ({ key: null as Buffer | null, text: null as unknown }),
      step: (state: { key: Buffer | null; text: unknown }, text: unknown) => {
        const key = sortKey(decode(KIND.json, text));
        if (key === null) return state;
        if (state.key === null || Buffer.compare(key, state.key) * sign > 0) return { key, text };
        return state;
      },
      result: (state: { key: Buffer | null; text: unknown }) => state.text as string | null,
    });
  }
}

/**
 * JSON that keeps integers beyond 2^53 exact, for values on their way back
 * into SQLite: property maps a write stores, rows carried between the clauses
 * of a write, lists bound as parameters. JSON.parse would round such an
 * integer to a double and JSON.stringify refuses a bigint, while SQLite's JSON
 * functions read it exactly as a 64-bit integer. (Results shown to a caller
 * are another matter: there such integers become decimal strings, values.ts.)
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A float whose value is whole (1.0), as a write carries it in JS: a JS
 * number cannot tell 1.0 from 1, and a property stored from it came back an
 * integer (`CREATE (n {score: 1.0})`, then `n.score / 2` gave 0). Made where
 * the write path learns a value's type (a REAL from SQLite, a float in stored
 * JSON: parseExactJson with keepFloats), written back by exactJsonText as a
 * float ("1.0"). Code that inspects values in JS sees an object that is no
 * map (isWholeFloat) and leaves such a value to the SQL.
 */
export class WholeFloat {
  constructor(readonly value: number) {}

  valueOf(): number {
    return this.value;
  }

  /** JSON.stringify must not write it as {"value": 1}: the throw sends exactJsonText to its slow path. */
  toJSON(): never {
    throw new TypeError('a WholeFloat is written by exactJsonText');
  }
}

export function isWholeFloat(v: unknown): v is WholeFloat {
  return v instanceof WholeFloat;
}

/** A number SQLite gave as REAL (read with safeIntegers, so integers are bigints): a whole one is kept a float. */
export function realValue(raw: number): number | WholeFloat {
  return Number.isInteger(raw) ? new WholeFloat(raw) : raw;
}

/** JSON text of a float with a whole value: with a fraction or an exponent, so SQLite reads it as REAL. */
function floatText(v: number): string {
  const text = String(v);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/** JSON text of a JSON-able value; a bigint is written as a bare integer. */
export function exactJsonText(value: unknown): string {
  // Most values hold no bigint, and JSON.stringify writes them alike (it throws on a bigint); a write
  // serializes every row it carries, so this is the common path.
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
  }
  return exactJsonTextSlow(value);
}

function exactJsonTextSlow(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof WholeFloat) return floatText(value.value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : exactJsonText(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${exactJsonText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A SQLite integer read with safeIntegers: a number when that is exact, else the bigint. */
export function exactInteger(value: unknown): unknown {
  return typeof value === 'bigint' && value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value;
}

/**
 * JSON.parse, except that an integer outside the safe range becomes a bigint,
 * and with `keepFloats` a number written with a fraction or exponent whose
 * value is whole (1.0, 2e3) becomes a WholeFloat.
 */
export function parseExactJson(text: string, keepFloats = false): unknown {
  // only a run of 16 or more digits can be such an integer; only a digit before `.0` or an exponent, such a float
  if (!/\d{16}/.test(text) && !(keepFloats && WHOLE_FLOAT_HINT.test(text))) return JSON.parse(text);
  const reader = new Reader(text, keepFloats);
  const value = reader.value();
  reader.end();
  return value;
}

const NUMBER = /-?\d+(\.\d+)?([eE][-+]?\d+)?/y;

const WHOLE_FLOAT_HINT = /\d\.0*(?![0-9])|\d[eE]/;

class Reader {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly keepFloats = false,
  ) {}

  value(): unknown {
    this.space();
    const ch = this.text[this.at];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"') return this.string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return v;
      }
    }
    return this.number();
  }

  end(): void {
    this.space();
    if (this.at !== this.text.length) this.fail();
  }

  private space(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at] as string)) this.at++;
  }

  private expect(ch: string): void {
    this.space();
    if (this.text[this.at] !== ch) this.fail();
    this.at++;
  }

  private fail(): never {
    throw new SyntaxError(`malformed JSON at offset ${this.at}`);
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.expect('{');
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.space();
      const key = this.string();
      this.expect(':');
      // as JSON.parse does: an own property even for "__proto__"
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.text[this.at] === '}') {
        this.at++;
        return out;
      }
      this.expect(',');
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.expect('[');
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      if (this.text[this.at] === ']') {
        this.at++;
        return out;
      }
      this.expect(',');
    }
  }

  private string(): string {
    if (this.text[this.at] !== '"') this.fail();
    let end = this.at + 1;
    while (end < this.text.length && this.text[end] !== '"') end += this.text[end] === '\\' ? 2 : 1;
    if (end >= this.text.length) this.fail();
    const s = JSON.parse(this.text.slice(this.at, end + 1)) as string;
    this.at = end + 1;
    return s;
  }

  private number(): number | bigint | WholeFloat {
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail();
    this.at += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return this.keepFloats ? realValue(Number(m[0])) : Number(m[0]);
    const big = BigInt(m[0]);
    return big <= MAX_SAFE && big >= -MAX_SAFE ? Number(big) : big;
  }
}

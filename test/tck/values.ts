/**
 * Values as the openCypher TCK writes them in its result and parameter
 * tables (tck/README.adoc, "Format of the expected results"): Cypher literal
 * syntax for primitives, lists and maps, plus `(:L {k: 1})` for a node,
 * `[:T {k: 1}]` for a relationship and `<(:A)-[:T]->(:B)>` for a path.
 *
 * There is no npm library for this notation (the TCK's own parser is the
 * Scala tck-api), so this is a small recursive-descent parser for it.
 */

export type TckValue =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  /** Written without a decimal point or exponent. */
  | { kind: 'int'; value: bigint }
  /** Written with a decimal point or exponent, or NaN / Inf / -Inf; `text` keeps how it was written. */
  | { kind: 'float'; value: number; text?: string }
  /**
   * A number whose integer-or-float kind is unknown: what an engine returns
   * through JSON or a JS number, where 1 and 1.0 are the same value.
   */
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'list'; items: TckValue[] }
  | { kind: 'map'; entries: Record<string, TckValue> }
  | TckNode
  | TckRel
  | TckPath;

export interface TckNode {
  kind: 'node';
  labels: string[];
  properties: Record<string, TckValue>;
}

export interface TckRel {
  kind: 'rel';
  type: string;
  properties: Record<string, TckValue>;
}

export interface TckPathStep {
  rel: TckRel;
  /** true for `-[r]->` (the relationship points from the previous node to the next one). */
  forward: boolean;
  node: TckNode;
}

export interface TckPath {
  kind: 'path';
  start: TckNode;
  steps: TckPathStep[];
}

export class TckValueSyntaxError extends Error {
  constructor(text: string, at: number, what: string) {
    super(`cannot read TCK value ${JSON.stringify(text)} at ${at}: ${what}`);
    this.name = 'TckValueSyntaxError';
  }
}

/** Parses one TCK value; throws TckValueSyntaxError on anything else. */
export function parseTckValue(text: string): TckValue {
  const p = new Reader(text);
  const v = p.value();
  p.skipSpace();
  if (!p.done()) p.fail('unexpected text after the value');
  return v;
}

const IDENT_START = /[A-Za-z_\u00C0-\uFFFF]/;
const IDENT_PART = /[A-Za-z0-9_\u00C0-\uFFFF]/;

class Reader {
  #at = 0;
  constructor(readonly text: string) {}

  done(): boolean {
    return this.#at >= this.text.length;
  }

  fail(what: string): never {
    throw new TckValueSyntaxError(this.text, this.#at, what);
  }

  skipSpace(): void {
    while (!this.done() && /\s/.test(this.text[this.#at] as string)) this.#at++;
  }

  #peek(offset = 0): string {
    return this.text[this.#at + offset] ?? '';
  }

  #startsWith(s: string): boolean {
    return this.text.startsWith(s, this.#at);
  }

  #expect(s: string): void {
    this.skipSpace();
    if (!this.#startsWith(s)) this.fail(`expected ${JSON.stringify(s)}`);
    this.#at += s.length;
  }

  /** A keyword such as `null` that is not the start of a longer name. */
  #word(w: string): boolean {
    if (!this.#startsWith(w)) return false;
    const next = this.#peek(w.length);
    if (next !== '' && IDENT_PART.test(next)) return false;
    this.#at += w.length;
    return true;
  }

  value(): TckValue {
    this.skipSpace();
    const c = this.#peek();
    if (c === "'" || c === '"') return { kind: 'string', value: this.#string() };
    if (c === '[') {
      // `[:T ...]` is a relationship, `[` anything else a list.
      const save = this.#at;
      this.#at++;
      this.skipSpace();
      const isRel = this.#peek() === ':';
      this.#at = save;
      return isRel ? this.#rel() : this.#list();
    }
    if (c === '{') return { kind: 'map', entries: this.#map() };
    if (c === '(') return this.#node();
    if (c === '<') return this.#path();
    if (this.#word('null')) return { kind: 'null' };
    if (this.#word('true')) return { kind: 'bool', value: true };
    if (this.#word('false')) return { kind: 'bool', value: false };
    if (this.#word('NaN')) return { kind: 'float', value: Number.NaN, text: 'NaN' };
    if (this.#word('Infinity') || this.#word('Inf')) return { kind: 'float', value: Number.POSITIVE_INFINITY, text: 'Inf' };
    if (this.#startsWith('-Infinity') || this.#startsWith('-Inf')) {
      this.#at++;
      if (this.#word('Infinity') || this.#word('Inf')) return { kind: 'float', value: Number.NEGATIVE_INFINITY, text: '-Inf' };
      this.#at--;
    }
    return this.#number();
  }

  #number(): TckValue {
    const m = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(this.text.slice(this.#at));
    if (!m) this.fail('expected a value');
    const token = m[0];
    this.#at += token.length;
    if (m[2] === undefined && m[3] === undefined && !token.includes('.')) return { kind: 'int', value: BigInt(token) };
    return { kind: 'float', value: Number(token), text: token };
  }

  #string(): string {
    const quote = this.#peek();
    this.#at++;
    let out = '';
    for (;;) {
      if (this.done()) this.fail('unterminated string');
      const c = this.#peek();
      this.#at++;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.#peek();
      this.#at++;
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          const hex = this.text.slice(this.#at, this.#at + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.#at += 4;
          break;
        }
        default:
          // \\, \', \" and anything else stand for the character itself.
          out += e;
      }
    }
  }

  #list(): TckValue {
    this.#expect('[');
    const items: TckValue[] = [];
    this.skipSpace();
    if (this.#peek() === ']') {
      this.#at++;
      return { kind: 'list', items };
    }
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      if (this.#peek() === ',') {
        this.#at++;
        continue;
      }
      this.#expect(']');
      return { kind: 'list', items };
    }
  }

  #name(): string {
    this.skipSpace();
    if (this.#peek() === '`') {
      let out = '';
      this.#at++;
      for (;;) {
        if (this.done()) this.fail('unterminated `name`');
        const c = this.#peek();
        this.#at++;
        if (c === '`') {
          // A doubled backtick stands for one backtick inside the name.
          if (this.#peek() === '`') {
            out += '`';
            this.#at++;
            continue;
          }
          return out;
        }
        out += c;
      }
    }
    const start = this.#at;
    if (!IDENT_START.test(this.#peek())) this.fail('expected a name');
    while (!this.done() && IDENT_PART.test(this.#peek())) this.#at++;
    return this.text.slice(start, this.#at);
  }

  #map(): Record<string, TckValue> {
    this.#expect('{');
    const entries: Record<string, TckValue> = {};
    this.skipSpace();
    if (this.#peek() === '}') {
      this.#at++;
      return entries;
    }
    for (;;) {
      const key = this.#name();
      this.#expect(':');
      entries[key] = this.value();
      this.skipSpace();
      if (this.#peek() === ',') {
        this.#at++;
        continue;
      }
      this.#expect('}');
      return entries;
    }
  }

  /** `:A:B` labels, or a `:T` type, then optional `{...}` properties. */
  #labelsAndProps(): { names: string[]; properties: Record<string, TckValue> } {
    const names: string[] = [];
    for (;;) {
      this.skipSpace();
      if (this.#peek() !== ':') break;
      this.#at++;
      names.push(this.#name());
    }
    this.skipSpace();
    const properties = this.#peek() === '{' ? this.#map() : {};
    return { names, properties };
  }

  #node(): TckNode {
    this.#expect('(');
    const { names, properties } = this.#labelsAndProps();
    this.#expect(')');
    return { kind: 'node', labels: names, properties };
  }

  #rel(): TckRel {
    this.#expect('[');
    const { names, properties } = this.#labelsAndProps();
    if (names.length !== 1) this.fail('a relationship has exactly one type');
    this.#expect(']');
    return { kind: 'rel', type: names[0] as string, properties };
  }

  #path(): TckPath {
    this.#expect('<');
    const start = this.#node();
    const steps: TckPathStep[] = [];
    for (;;) {
      this.skipSpace();
      if (this.#peek() === '>') {
        this.#at++;
        return { kind: 'path', start, steps };
      }
      const backward = this.#startsWith('<-');
      this.#expect(backward ? '<-' : '-');
      const rel = this.#rel();
      this.#expect(backward ? '-' : '->');
      steps.push({ rel, forward: !backward, node: this.#node() });
    }
  }
}

/** The TCK notation of a value, for reports (floats as written, maps keys in order). */
export function formatTckValue(v: TckValue): string {
  switch (v.kind) {
    case 'null':
      return 'null';
    case 'bool':
      return String(v.value);
    case 'int':
      return v.value.toString();
    case 'float':
      return v.text ?? formatFloat(v.value);
    case 'number':
      return formatFloat(v.value);
    case 'string':
      return `'${v.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
    case 'list':
      return `[${v.items.map(formatTckValue).join(', ')}]`;
    case 'map':
      return formatProps(v.entries) || '{}';
    case 'node':
      return `(${v.labels.map((l) => `:${l}`).join('')}${spaced(formatProps(v.properties), v.labels.length > 0)})`;
    case 'rel':
      return `[:${v.type}${spaced(formatProps(v.properties), true)}]`;
    case 'path':
      return `<${formatTckValue(v.start)}${v.steps.map((s) => (s.forward ? `-${formatTckValue(s.rel)}->` : `<-${formatTckValue(s.rel)}-`) + formatTckValue(s.node)).join('')}>`;
  }
}

function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return 'Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

function formatProps(p: Record<string, TckValue>): string {
  const keys = Object.keys(p);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `\`${k.replace(/`/g, '``')}\``}: ${formatTckValue(p[k] as TckValue)}`).join(', ')}}`;
}

function spaced(s: string, afterName: boolean): string {
  return s === '' ? '' : afterName ? ` ${s}` : s;
}

/**
 * Equality of TCK values and result tables, by the TCK's rules
 * (tck/README.adoc): rows are a bag unless the scenario says "in order";
 * nodes and relationships are equal by labels / type and properties, never
 * by id; "ignoring element order for lists" compares lists as bags.
 *
 * Two allowances, the same for every engine, because results cross a JS
 * boundary that cannot keep these distinctions:
 * - an integer and a float are compared by value (JSON and JS numbers have
 *   one number type, so 1 and 1.0 come back alike);
 * - an integer outside JS's safe range may come back as its decimal string
 *   (rvf returns big integers that way), which matches it digit for digit;
 * - NaN, Infinity and -Infinity may come back as those strings (JSON has no
 *   such numbers; rvf returns them that way).
 */
import { formatTckValue, type TckNode, type TckRel, type TckValue } from './values.ts';

export interface CompareOptions {
  /** Compare lists as bags, at every depth ("ignoring element order for lists"). */
  unorderedLists: boolean;
}

export function valuesEqual(expected: TckValue, actual: TckValue, opts: CompareOptions): boolean {
  switch (expected.kind) {
    case 'null':
      return actual.kind === 'null';
    case 'bool':
      return actual.kind === 'bool' && actual.value === expected.value;
    case 'string':
      return actual.kind === 'string' && actual.value === expected.value;
    case 'int':
      return intMatches(expected.value, actual);
    case 'float':
      return floatMatches(expected.value, expected.text, actual);
    case 'number':
      return numberOf(actual) === expected.value || (Number.isNaN(expected.value) && Number.isNaN(numberOf(actual) ?? 0));
    case 'list':
      return actual.kind === 'list' && listsEqual(expected.items, actual.items, opts);
    case 'map':
      return actual.kind === 'map' && propsEqual(expected.entries, actual.entries, opts);
    case 'node':
      return actual.kind === 'node' && nodesEqual(expected, actual, opts);
    case 'rel':
      return actual.kind === 'rel' && relsEqual(expected, actual, opts);
    case 'path':
      return (
        actual.kind === 'path' &&
        nodesEqual(expected.start, actual.start, opts) &&
        expected.steps.length === actual.steps.length &&
        expected.steps.every((s, i) => {
          const a = actual.steps[i];
          return a !== undefined && s.forward === a.forward && relsEqual(s.rel, a.rel, opts) && nodesEqual(s.node, a.node, opts);
        })
      );
  }
}

function numberOf(v: TckValue): number | undefined {
  if (v.kind === 'number' || v.kind === 'float') return v.value;
  if (v.kind === 'string' && (v.value === 'NaN' || v.value === 'Infinity' || v.value === '-Infinity')) return Number(v.value);
  if (v.kind === 'int') return Number(v.value);
  return undefined;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function intMatches(expected: bigint, actual: TckValue): boolean {
  if (actual.kind === 'int') return actual.value === expected;
  if (actual.kind === 'number' || actual.kind === 'float') return Number.isInteger(actual.value) && BigInt(actual.value) === expected;
  if (actual.kind === 'string' && (expected > SAFE || expected < -SAFE)) return actual.value === expected.toString();
  return false;
}

/**
 * A float as the TCK prints it: the same double, NaN for NaN. An expected
 * value written with 12 or more significant digits also matches an actual
 * value that rounds to it (engines print the last digits differently).
 */
function floatMatches(expected: number, text: string | undefined, actual: TckValue): boolean {
  const a = numberOf(actual);
  if (a === undefined) return false;
  if (Number.isNaN(expected)) return Number.isNaN(a);
  if (a === expected) return true;
  if (text === undefined || !Number.isFinite(a)) return false;
  const digits = significantDigits(text);
  return digits >= 12 && Number(a.toPrecision(digits)) === expected;
}

function significantDigits(text: string): number {
  const mantissa = text.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '');
  return mantissa.replace(/^0+/, '').length;
}

function listsEqual(expected: TckValue[], actual: TckValue[], opts: CompareOptions): boolean {
  if (expected.length !== actual.length) return false;
  if (!opts.unorderedLists) return expected.every((e, i) => valuesEqual(e, actual[i] as TckValue, opts));
  return bagsEqual(expected, actual, (e, a) => valuesEqual(e, a, opts));
}

/** Whether each expected item pairs with its own actual item (greedy: equality here is exact but for float rounding). */
export function bagsEqual<E, A>(expected: readonly E[], actual: readonly A[], eq: (e: E, a: A) => boolean): boolean {
  if (expected.length !== actual.length) return false;
  const used = new Array<boolean>(actual.length).fill(false);
  return expected.every((e) => {
    const i = actual.findIndex((a, j) => !used[j] && eq(e, a));
    if (i === -1) return false;
    used[i] = true;
    return true;
  });
}

function propsEqual(expected: Record<string, TckValue>, actual: Record<string, TckValue>, opts: CompareOptions): boolean {
  const ek = Object.keys(expected);
  if (ek.length !== Object.keys(actual).length) return false;
  return ek.every((k) => k in actual && valuesEqual(expected[k] as TckValue, actual[k] as TckValue, opts));
}

function nodesEqual(e: TckNode, a: TckNode, opts: CompareOptions): boolean {
  const labels = new Set(a.labels);
  return e.labels.length === labels.size && e.labels.every((l) => labels.has(l)) && propsEqual(e.properties, a.properties, opts);
}

function relsEqual(e: TckRel, a: TckRel, opts: CompareOptions): boolean {
  return e.type === a.type && propsEqual(e.properties, a.properties, opts);
}

// ------------------------------------------------------------ tables

export interface Table {
  columns: string[];
  rows: TckValue[][];
}

export interface TableCompareOptions extends CompareOptions {
  /** "in order": rows compared position by position. */
  ordered: boolean;
}

/** Why `actual` is not the expected table, or undefined when it is. Columns are matched by name. */
export function tableMismatch(expected: Table, actual: Table, opts: TableCompareOptions): string | undefined {
  const sameColumns = expected.columns.length === actual.columns.length && expected.columns.every((c) => actual.columns.includes(c));
  if (!sameColumns) return `columns differ: expected ${JSON.stringify(expected.columns)}, got ${JSON.stringify(actual.columns)}`;
  // Put the actual values in the expected column order.
  const order = expected.columns.map((c) => actual.columns.indexOf(c));
  const rows = actual.rows.map((r) => order.map((i) => r[i] ?? ({ kind: 'null' } as TckValue)));
  if (expected.rows.length !== rows.length) return `row count differs: expected ${expected.rows.length}, got ${rows.length}`;
  const rowEq = (e: TckValue[], a: TckValue[]): boolean => e.every((v, i) => valuesEqual(v, a[i] as TckValue, opts));
  if (opts.ordered) {
    const at = expected.rows.findIndex((e, i) => !rowEq(e, rows[i] as TckValue[]));
    return at === -1 ? undefined : `row ${at + 1} differs (in order): expected ${formatRow(expected.rows[at] as TckValue[])}, got ${formatRow(rows[at] as TckValue[])}`;
  }
  if (bagsEqual(expected.rows, rows, rowEq)) return undefined;
  const missing = expected.rows.find((e) => !rows.some((a) => rowEq(e, a)));
  return missing ? `values differ: no actual row matches expected ${formatRow(missing)}` : 'values differ: rows repeat a different number of times';
}

export function formatRow(row: readonly TckValue[]): string {
  return `| ${row.map(formatTckValue).join(' | ')} |`;
}

export function formatTable(t: Table): string {
  return [`| ${t.columns.join(' | ')} |`, ...t.rows.map(formatRow)].join('\n');
}

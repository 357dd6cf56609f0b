import type { Expr } from './ast.ts';
import { isWholeFloat, WholeFloat } from './exact-json.ts';
import type { OutputColumn } from './compile-read.ts';
import type { VType } from './values.ts';

/**
 * The values a write batch needs (MERGE keys, SET values), computed in JS,
 * row by row, for the few expression forms whose Cypher meaning is the same
 * in JS values as in the SQL the read compiler makes: literals, parameters,
 * variables holding values, properties of maps and of nodes whose stored
 * properties the caller has read, list and map literals, coalesce(), and `+`
 * on lists and on integers. The SQL defines the semantics; anything else,
 * at compile time or in a row's values (text + text may be temporal
 * arithmetic, a float sum is printed as SQLite prints it), is left to it
 * whole. Taken through SQL, a batch of 10,000 rows crossed into SQLite and
 * back as JSON text for each clause that needed a value (about 50 ms each).
 */

/** What a row function returns for a value it does not take: the caller uses the SQL for the whole batch. */
export const NOT_HERE: unique symbol = Symbol('not evaluated in JS');

export type RowFn = (row: readonly unknown[]) => unknown;

/** `f` returning NOT_HERE for a value holding broken text. */
export function wholeTextOnly(f: RowFn): RowFn {
  return (row) => {
    const v = f(row);
    return v === NOT_HERE || holdsOnlyWholeText(v) ? v : NOT_HERE;
  };
}

export interface RowScope {
  vars: readonly OutputColumn[];
  params: Record<string, unknown>;
  /** a node's stored properties (parsed), or undefined when they were not read (the SQL then decides) */
  nodeProps?: (id: number) => Record<string, unknown> | undefined;
}

/** Variable types whose bindings are plain JSON-like values (temporal ones are text that `.year` reads). */
const VALUE_TYPES: ReadonlySet<VType> = new Set<VType>(['any', 'map', 'list', 'str', 'num', 'bool', 'null']);

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !isWholeFloat(v);
}

function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Text that is not whole UTF-16 (a lone surrogate): SQLite's JSON functions turn it into other text, so only the SQL may say what it becomes. */
export function isBrokenText(s: string): boolean {
  // String.prototype.isWellFormed (ES2024, in Node 20 and current browsers; the lib here is ES2023) is 3-5x a regular expression
  return !(s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** Whether a value computed in JS holds no broken text (isBrokenText), at any depth. */
export function holdsOnlyWholeText(v: unknown): boolean {
  if (typeof v === 'string') return !isBrokenText(v);
  if (Array.isArray(v)) return v.every(holdsOnlyWholeText);
  if (isMap(v)) return Object.values(v).every(holdsOnlyWholeText);
  return true;
}

/** A function computing `e` for a row, or undefined when `e` has a form only the SQL takes. */
export function rowFunction(e: Expr, scope: RowScope): RowFn | undefined {
  switch (e.kind) {
    case 'literal': {
      const v = e.value;
      if (typeof v === 'number' && !Number.isFinite(v)) return undefined;
      // 1.0 stays a float (WholeFloat), which the rest of this file hands to the SQL wherever it matters
      if (typeof v === 'number' && e.float === true && Number.isInteger(v)) {
        const float = new WholeFloat(v);
        return () => float;
      }
      return () => v;
    }
    case 'param': {
      if (!Object.prototype.hasOwnProperty.call(scope.params, e.name)) return undefined; // the SQL reports it missing
      const v = scope.params[e.name];
      if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return undefined;
      return () => v;
    }
    case 'var': {
      const at = scope.vars.findIndex((c) => c.name === e.name);
      const column = scope.vars[at];
      if (!column || !VALUE_TYPES.has(column.type)) return undefined;
      return (row) => row[at] ?? null;
    }
    case 'prop': {
      if (e.target.kind === 'var') {
        const at = scope.vars.findIndex((c) => c.name === (e.target as { name: string }).name);
        const column = scope.vars[at];
        const read = scope.nodeProps;
        // vector_id is a column of its own, not a stored property
        if (column?.type === 'node' && read && e.key !== 'vector_id') {
          return (row) => {
            const id = row[at];
            if (id === null || id === undefined) return null;
            const props = read(Number(id));
            if (!props) return NOT_HERE;
            return Object.prototype.hasOwnProperty.call(props, e.key) ? (props[e.key] ?? null) : null;
          };
        }
      }
      const target = rowFunction(e.target, scope);
      if (!target) return undefined;
      return (row) => {
        const t = target(row);
        if (t === NOT_HERE) return NOT_HERE;
        if (t === null) return null;
        // text may be a temporal value with components (.year); lists and numbers are an error in SQL
        if (!isMap(t)) return NOT_HERE;
        return Object.prototype.hasOwnProperty.call(t, e.key) ? (t[e.key] ?? null) : null;
      };
    }
    case 'list': {
      const items = allOf(e.items, scope);
      if (!items) return undefined;
      return (row) => {
        const out: unknown[] = [];
        for (const item of items) {
          const v = item(row);
          if (v === NOT_HERE) return NOT_HERE;
          out.push(v);
        }
        return out;
      };
    }
    case 'map': {
      if (e.entries.some(([key]) => key === '__proto__')) return undefined;
      const values = allOf(e.entries.map(([, v]) => v), scope);
      if (!values) return undefined;
      const keys = e.entries.map(([key]) => key);
      return (row) => {
        const out: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) {
          const v = (values[i] as RowFn)(row);
          if (v === NOT_HERE) return NOT_HERE;
          out[keys[i] as string] = v;
        }
        return out;
      };
    }
    case 'call': {
      if (e.name.toLowerCase() !== 'coalesce' || e.distinct || e.args.length === 0) return undefined;
      const args = allOf(e.args, scope);
      if (!args) return undefined;
      return (row) => {
        for (const arg of args) {
          const v = arg(row);
          if (v !== null) return v;
        }
        return null;
      };
    }
    case 'arith': {
      if (e.op !== '+') return undefined;
      const l = rowFunction(e.left, scope);
      const r = rowFunction(e.right, scope);
      if (!l || !r) return undefined;
      return (row) => plus(l(row), r(row));
    }
    default:
      return undefined;
  }
}

function allOf(exprs: readonly Expr[], scope: RowScope): RowFn[] | undefined {
  const out: RowFn[] = [];
  for (const x of exprs) {
    const f = rowFunction(x, scope);
    if (!f) return undefined;
    out.push(f);
  }
  return out;
}

/** Cypher's `+` where JS gives what the SQL gives (plus.ts): null, lists, safe integers. */
function plus(l: unknown, r: unknown): unknown {
  if (l === NOT_HERE || r === NOT_HERE) return NOT_HERE;
  if (l === null || r === null) return null;
  if (Array.isArray(l) || Array.isArray(r)) return [...(Array.isArray(l) ? l : [l]), ...(Array.isArray(r) ? r : [r])];
  if (isInteger(l) && isInteger(r) && Math.abs(l + r) <= MAX_SAFE) return l + r;
  return NOT_HERE;
}

/**
 * Every row's values of `exprs` computed in JS, or undefined when an
 * expression or a row's value is one only the SQL takes.
 */
export function rowValues(exprs: readonly Expr[], scope: RowScope, rows: readonly (readonly unknown[])[]): unknown[][] | undefined {
  const fns = allOf(exprs, scope)?.map(wholeTextOnly);
  if (!fns) return undefined;
  const out: unknown[][] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as readonly unknown[];
    const values: unknown[] = new Array(fns.length);
    for (let k = 0; k < fns.length; k++) {
      const v = (fns[k] as RowFn)(row);
      if (v === NOT_HERE) return undefined;
      values[k] = v;
    }
    out[i] = values;
  }
  return out;
}

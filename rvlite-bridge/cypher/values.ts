/**
 * How Cypher values live in SQL, and how they come back to JS.
 *
 * Every compiled expression has a static type and two SQL forms: `native`
 * (what comparisons and arithmetic use: an id for a node or relationship,
 * a plain SQLite value for scalars, JSON text for lists and maps) and `json`
 * (JSON text of the value as it is returned, SQL NULL for null). Keeping the
 * type at compile time is what lets true stay a boolean, a list stay a list
 * and a node come back as {id, labels, properties} although SQLite has none
 * of these types.
 *
 * Between stages (CTEs) a value is carried in one column (`carry`): ids for
 * nodes, relationships and lists of them, natives for scalars, JSON text for
 * the rest; `fromColumn` rebuilds both forms from it.
 */

import { exactJsonText } from './exact-json.ts';

/** Temporal values are their ISO text in SQL, typed so operators dispatch when compiling (temporal/sql.ts). */
export type TemporalType = 'date' | 'localtime' | 'time' | 'localdatetime' | 'datetime' | 'duration';

export type VType = 'node' | 'rel' | 'nodes' | 'rels' | 'path' | 'num' | 'str' | 'bool' | 'list' | 'map' | 'any' | 'null' | TemporalType;

const TEXT_TYPES: ReadonlySet<VType> = new Set<VType>(['str', 'date', 'localtime', 'time', 'localdatetime', 'datetime', 'duration']);

export interface Sql {
  type: VType;
  native: string;
  json: string;
  /** for a node or relationship matched in the current SELECT: its table alias, so properties read the row directly */
  table?: string;
  /**
   * a number that may be NaN (carried as the text 'NaN', which SQLite has no
   * number for) or ±Infinity, from `/` or `%`: its comparisons and
   * arithmetic go through the JS comparator (compare.ts). Lost when the value
   * is carried to the next stage.
   */
  special?: boolean;
  /**
   * SQL giving json_type of the value, when cheaper than json_type(json): for
   * a property, json_type(props, path) reads the type without extracting
   * the value's JSON text and parsing it again (compare-sql.ts type guards)
   */
  jsonType?: string;
  /**
   * JSON that can hold no node or relationship (a parameter's value, its
   * elements and entries), so a key of it is a map's key and needs no test
   * for a node's form (compile-expr.ts entityOrMapAt). Lost at the next stage.
   */
  entityFree?: boolean;
}

export const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function nodeJson(id: string): string {
  return `(SELECT json_object('id', g.id, 'labels', (SELECT json_group_array(label) FROM (SELECT l.label FROM graph_labels l WHERE l.node_id = g.id ORDER BY l.label)), 'properties', json(g.props)) FROM graph_nodes g WHERE g.id = ${id})`;
}

export function relJson(id: string): string {
  return `(SELECT json_object('id', g.id, 'type', g.type, 'start', g.src, 'end', g.dst, 'properties', json(g.props)) FROM graph_rels g WHERE g.id = ${id})`;
}

/** A list of nodes or relationships from its ids; null stays null (json_each(NULL) would give []). */
function listOf(ids: string, element: (id: string) => string): string {
  return `(CASE WHEN ${ids} IS NULL THEN NULL ELSE (SELECT json_group_array(json(${element('e.value')})) FROM json_each(${ids}) e) END)`;
}

/**
 * A path is carried as the JSON text {"nodes":[ids],"rels":[ids]} (paths.ts
 * builds it) and returned as {"nodes": [node, ...], "relationships": [rel,
 * ...]}, each element as a node or relationship is returned on its own; the
 * direction of each step is its relationship's start/end against the nodes.
 */
export function pathJson(native: string): string {
  const part = (key: string, element: (id: string) => string): string => `(SELECT json_group_array(json(${element('e.value')})) FROM json_each(${native}, '$.${key}') e)`;
  return `(CASE WHEN ${native} IS NULL THEN NULL ELSE json_object('nodes', ${part('nodes', nodeJson)}, 'relationships', ${part('rels', relJson)}) END)`;
}

export function boolJson(native: string): string {
  return `(CASE WHEN ${native} IS NULL THEN NULL WHEN ${native} THEN 'true' ELSE 'false' END)`;
}

export function scalarJson(native: string): string {
  return `nullif(json_quote(${native}), 'null')`;
}

/** Both forms of a value whose native form is known. */
export function fromNative(type: VType, native: string): Sql {
  switch (type) {
    case 'node':
      return { type, native, json: nodeJson(native) };
    case 'rel':
      return { type, native, json: relJson(native) };
    case 'nodes':
      return { type, native, json: listOf(native, nodeJson) };
    case 'rels':
      return { type, native, json: listOf(native, relJson) };
    case 'path':
      return { type, native, json: pathJson(native) };
    case 'bool':
      return { type, native, json: boolJson(native) };
    case 'num':
    case 'str':
    case 'date':
    case 'localtime':
    case 'time':
    case 'localdatetime':
    case 'datetime':
    case 'duration':
      return { type, native, json: scalarJson(native) };
    case 'list':
    case 'map':
      return { type, native, json: native };
    case 'null':
      return { type, native: 'NULL', json: 'NULL' };
    case 'any':
      return { type, native, json: scalarJson(native) };
  }
}

/** A value of unknown type given by its JSON text. */
export function fromJson(json: string): Sql {
  return { type: 'any', native: `json_extract(${json}, '$')`, json };
}

/** Whether values of type `t` are lists (of anything, of nodes, of relationships). */
export function isListType(t: VType): boolean {
  return t === 'list' || t === 'nodes' || t === 'rels';
}

/** The one column a value is carried in between stages. */
export function carry(v: Sql): string {
  if (TEXT_TYPES.has(v.type)) return v.native;
  switch (v.type) {
    case 'node':
    case 'rel':
    case 'nodes':
    case 'rels':
    case 'path':
    case 'num':
    case 'str':
    case 'bool':
      return v.native;
    case 'null':
      return 'NULL';
    default:
      return v.json;
  }
}

export function fromColumn(col: string, type: VType): Sql {
  if (type === 'any') return fromJson(col);
  return fromNative(type, col);
}

/** The form a value is embedded in with json_array / json_object. */
export function embed(v: Sql): string {
  if (TEXT_TYPES.has(v.type)) return v.native;
  switch (v.type) {
    case 'num':
    case 'str':
      return v.native;
    case 'null':
      return 'NULL';
    default:
      return `json(${v.json})`;
  }
}

/** Whether a final output column is read as a native value (true) or as JSON text. */
export function outputsNative(type: VType): boolean {
  return type === 'num' || TEXT_TYPES.has(type);
}

// ------------------------------------------------------------ back to JS

/** A SQLite integer (read with safeIntegers) as a JS number, or a decimal string outside the safe range. */
export function fromSqlite(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
  return value;
}

/**
 * JSON.parse, except that integers outside the safe range become decimal
 * strings instead of losing digits. Quotes are tracked so numbers inside
 * strings are left alone.
 */
export function parseJsonValue(text: string | null): unknown {
  if (text === null) return null;
  let needsCare = false;
  let inString = false;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch >= 48 && ch <= 57) {
      if (++digits >= 16) {
        needsCare = true;
        break;
      }
      continue;
    }
    digits = 0;
  }
  if (!needsCare) return JSON.parse(text);
  // Quote long integers (outside strings), then turn them back into numbers where they are safe.
  let out = '';
  inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 40));
    if (m && (ch === '-' || /\d/.test(ch))) {
      const token = m[0];
      if (!m[1] && !m[2] && token.replace('-', '').length >= 16) {
        const big = BigInt(token);
        out += big <= MAX_SAFE && big >= -MAX_SAFE ? token : JSON.stringify(token);
      } else out += token;
      i += token.length - 1;
      continue;
    }
    out += ch;
  }
  return JSON.parse(out);
}

/** JSON text for binding (rows for @input, lists, properties): integers beyond 2^53 stay exact (exact-json.ts). */
export const toJsonText = exactJsonText;

import type { Expr } from './ast.ts';
import { invalid } from './errors.ts';
import { fromJson, fromNative, type Sql } from './values.ts';

/**
 * Path values: `p = (a)-[:R*1..3]->(b)`, shortestPath(...), and the path
 * functions nodes(p), relationships(p) and length(p).
 *
 * While a pattern is matched, its path is kept as two SQL text expressions,
 * the node ids and the relationship ids, each a run of `,id` pieces (a fixed
 * hop adds one id, a variable-length walk adds the ids it kept in its
 * `,1,5,9,` strings). The finished path is the JSON text
 * {"nodes":[ids],"rels":[ids]}: ids stay ids between stages, like nodes and
 * relationships, and values.ts turns it into the returned form
 * {"nodes": [node...], "relationships": [rel...]}.
 */

/** A piece holding one id: `,42`. */
export function idPiece(id: string): string {
  return `(',' || ${id})`;
}

/** A walk's `,1,5,9,` string (`,` when empty) as a piece `,1,5,9` ('' when empty). */
export function walkPiece(ids: string): string {
  return `rtrim(${ids}, ',')`;
}

/** Appends a piece to the text so far. */
export function appendPiece(sofar: string, piece: string): string {
  return sofar === "''" ? piece : `${sofar} || ${piece}`;
}

/** The path value from its node and relationship pieces. */
export function pathValue(nodes: string, rels: string): Sql {
  return fromNative('path', `('{"nodes":[' || substr(${nodes}, 2) || '],"rels":[' || substr(${rels}, 2) || ']}')`);
}

/**
 * nodes(p), relationships(p) and length(p) of a path; undefined for any
 * other call, or when the argument is not a path, so compile-expr goes on
 * with its own functions (size/length of strings and lists).
 * A value of unknown type (a path taken out of a list) is read in its
 * returned form.
 */
export function pathFunction(e: Extract<Expr, { kind: 'call' }>, compile: (x: Expr) => Sql): Sql | undefined {
  const name = e.name;
  if (name !== 'nodes' && name !== 'relationships' && name !== 'rels' && name !== 'length') return undefined;
  if (e.args.length !== 1) {
    if (name === 'length') return undefined;
    throw invalid(`${name}() takes 1 argument, got ${e.args.length}; fix the call ${e.text}.`);
  }
  const v = compile(e.args[0] as Expr);
  if (v.type === 'null') return fromNative('null', 'NULL');
  if (v.type === 'path') {
    if (name === 'nodes') return fromNative('nodes', `(${v.native} -> '$.nodes')`);
    if (name === 'length') return fromNative('num', `json_array_length(${v.native}, '$.rels')`);
    return fromNative('rels', `(${v.native} -> '$.rels')`);
  }
  if (v.type === 'any' && name === 'length') {
    // a path in its returned form counts its relationships; a list or a string keeps length() as before
    const j = v.json;
    return fromNative('num', `(CASE json_type(${j}) WHEN 'object' THEN json_array_length(${j}, '$.relationships') WHEN 'array' THEN json_array_length(${j}) WHEN 'text' THEN length(json_extract(${j}, '$')) END)`);
  }
  if (v.type === 'any') {
    // a path in its returned form: {"nodes": [...], "relationships": [...]}
    return fromJson(`(CASE WHEN json_type(${v.json}, '$.nodes') = 'array' THEN ${v.json} -> '$.${name === 'nodes' ? 'nodes' : 'relationships'}' END)`);
  }
  if (name === 'length') {
    // length() is for paths (and, kept from before, strings and lists); a node or relationship has none
    if (v.type === 'node' || v.type === 'rel') throw invalid(`length() takes a path, not a ${v.type === 'node' ? 'node' : 'relationship'}; fix ${e.text}.`);
    return undefined;
  }
  throw invalid(`${name}() takes a path, e.g. MATCH p = (a)-->(b) RETURN ${name}(p); fix ${e.text}.`);
}

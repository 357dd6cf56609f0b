import type Database from 'better-sqlite3';
import type { Clause } from './ast.ts';
import { propertyVariables, ReadCompiler, type CompiledRead, type OutputColumn } from './compile-read.ts';
import { invalid } from './errors.ts';
import { outputCell, runCompiled } from './execute-sql.ts';
import { runWrite } from './run-write.ts';
import type { CypherResult, CypherStats } from './types.ts';
import { outputsNative, scalarJson, type VType } from './values.ts';

/**
 * `q1 UNION q2`, `q1 UNION ALL q2`: every part must return the same column
 * names (openCypher; in any order, the first part's order is kept), and one
 * query uses either UNION or UNION ALL (parse.ts).
 *
 * - A read is ONE SQL statement: each part is compiled by the same
 *   ReadCompiler (so its CTE and parameter names never clash) into a CTE with
 *   named columns, and the parts are joined with SQL UNION / UNION ALL. The
 *   values compared are the returned forms (a node's JSON holds its id, so
 *   two nodes with the same properties stay two rows).
 * - A query where some part writes runs its parts one after another, in the
 *   caller's transaction, each seeing what the earlier ones wrote (as Neo4j
 *   does); UNION then drops repeated rows in JS, comparing the returned
 *   values, and the stats are the sum of the parts'.
 */

export interface UnionOptions {
  maxRows: number;
  maxPathLength: number;
}

/** The columns of every part, in the first part's order; refuses parts whose names differ. */
function alignColumns(parts: { columns: string[] }[]): number[][] {
  const first = (parts[0] as { columns: string[] }).columns;
  return parts.map((p, i) => {
    const same = p.columns.length === first.length && first.every((c) => p.columns.includes(c));
    if (!same) {
      throw invalid(`all parts of a UNION must return the same column names; part 1 returns ${JSON.stringify(first)} but part ${i + 1} returns ${JSON.stringify(p.columns)}, so alias them alike with AS.`);
    }
    return first.map((c) => p.columns.indexOf(c));
  });
}

/** One type per output column: the parts' type when they agree (null aside), else a value read from its JSON. */
function unifiedType(types: VType[]): VType {
  const known = [...new Set(types.filter((t) => t !== 'null'))];
  if (known.length === 0) return 'null';
  return known.length === 1 ? (known[0] as VType) : 'any';
}

export function compileUnion(parts: readonly Clause[][], all: boolean, compiler: ReadCompiler): CompiledRead {
  const bodies = parts.map((clauses) => compiler.compileBody(clauses, null, 'return'));
  const order = alignColumns(bodies.map((b) => ({ columns: b.columns.map((c) => c.name) })));
  const names = (bodies[0] as { columns: OutputColumn[] }).columns.map((c) => c.name);
  const types = names.map((_n, j) => unifiedType(bodies.map((b, i) => (b.columns[(order[i] as number[])[j] as number] as OutputColumn).type)));
  const selects = bodies.map((b, i) => {
    const cols = b.columns.map((_c, k) => `k${k}`);
    const cte = compiler.define(cols, b.sql);
    const picked = (order[i] as number[]).map((k, j) => {
      const own = (b.columns[k] as OutputColumn).type;
      // a part returning a number or string natively, where another returns JSON, joins it as JSON text
      return types[j] === 'any' && outputsNative(own) ? scalarJson(`k${k}`) : `k${k}`;
    });
    return `SELECT ${picked.join(', ')} FROM ${cte}`;
  });
  const sql = compiler.finish(selects.join(all ? ' UNION ALL ' : ' UNION '));
  return { sql, binds: compiler.binds, columns: names.map((name, j) => ({ name, type: types[j] as VType })) };
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

export function runUnion(db: Database.Database, union: { all: boolean; parts: Clause[][] }, writes: boolean, params: Record<string, unknown>, options: UnionOptions, noStats: () => CypherStats): CypherResult {
  if (!writes) {
    const clauses = union.parts.flat();
    const compiler = new ReadCompiler({ maxPathLength: options.maxPathLength, params, propertyVariables: propertyVariables(clauses) });
    const compiled = compileUnion(union.parts, union.all, compiler);
    const r = runCompiled(db, compiled, outputCell, options.maxRows);
    return { columns: compiled.columns.map((c) => c.name), rows: r.rows, truncated: r.truncated, stats: noStats() };
  }
  const stats = noStats();
  const results = union.parts.map((clauses) => {
    const r = runWrite(db, clauses, params, { maxRows: options.maxRows, maxPathLength: options.maxPathLength, batchWrites: true });
    for (const key of Object.keys(stats) as (keyof CypherStats)[]) stats[key] += r.stats[key];
    if (r.columns.length === 0) throw invalid('every part of a UNION must end with RETURN; add RETURN to each part.');
    return r;
  });
  const order = alignColumns(results);
  const rows: unknown[][] = [];
  const seen = new Set<string>();
  let truncated = false;
  results.forEach((r, i) => {
    truncated ||= r.truncated;
    for (const raw of r.rows) {
      const row = (order[i] as number[]).map((k) => raw[k]);
      if (!union.all) {
        const key = JSON.stringify(row, bigintSafe);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      rows.push(row);
    }
  });
  if (rows.length > options.maxRows) {
    rows.length = options.maxRows;
    truncated = true;
  }
  return { columns: (results[0] as { columns: string[] }).columns, rows, truncated, stats };
}

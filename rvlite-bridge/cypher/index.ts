import type Database from 'better-sqlite3';
import { propertyVariables, ReadCompiler } from './compile-read.ts';
import { CypherError } from './errors.ts';
import { outputCell, runCompiled } from './execute-sql.ts';
import { registerCypherFunctions } from './register.ts';
import { isStackOverflow } from '../stack-overflow.ts';
import { bracketsTooDeep, MAX_BRACKET_DEPTH } from './query-text.ts';
import { errorWrites, isWriteText, parseQuery } from './parse.ts';
import { runWrite } from './run-write.ts';
import { runUnion } from './union.ts';
import { beginStatement } from './temporal/sql.ts';
import type { CypherOptions, CypherResult, CypherStats } from './types.ts';

/**
 * Cypher over the store's property graph (graph_nodes, graph_labels,
 * graph_rels), compiled to SQL. Modules: parse-tree.ts (the openCypher
 * grammar) → parse.ts (typed AST, ast.ts) → compile-expr.ts and
 * compile-read.ts (one SQL statement per read) → execute-sql.ts; writes run
 * in run-write.ts.
 */

export { CypherError } from './errors.ts';
export { registerCypherFunctions } from './register.ts';
export type { CypherErrorCode } from './errors.ts';
export type { CypherOptions, CypherResult, CypherStats } from './types.ts';

const DEFAULT_MAX_PATH_LENGTH = 10;

function noStats(): CypherStats {
  return { nodesCreated: 0, nodesDeleted: 0, relationshipsCreated: 0, relationshipsDeleted: 0, propertiesSet: 0, labelsAdded: 0, labelsRemoved: 0 };
}

const READ_ONLY_MESSAGE = 'Cypher: this query writes (CREATE, MERGE, SET, REMOVE, DELETE or FOREACH) but runs read-only; send a read query, or run it where writes are enabled.';

/** true when the query has any write clause (CREATE, MERGE, SET, REMOVE, DELETE, DETACH DELETE, FOREACH), in any UNION part, decided by the parser */
export function isCypherWrite(query: string): boolean {
  return isWriteText(query);
}

const TOO_DEEP_MESSAGE = `Cypher: the query nests too deeply to compile (parentheses, lists, maps or operators more than ${MAX_BRACKET_DEPTH} levels deep); flatten it, or pass such values as $parameters.`;

export function runCypher(db: Database.Database, query: string, params: Record<string, unknown>, options: CypherOptions): CypherResult {
  if (typeof query === 'string' && bracketsTooDeep(query)) throw new CypherError('ELIMIT', TOO_DEEP_MESSAGE);
  try {
    return run(db, query, params, options);
  } catch (err) {
    // parsing and compiling recurse over the query's nesting; JavaScript's stack ends a few hundred levels down
    if (isStackOverflow(err)) throw new CypherError('ELIMIT', TOO_DEEP_MESSAGE);
    throw err;
  }
}

function run(db: Database.Database, query: string, params: Record<string, unknown>, options: CypherOptions): CypherResult {
  if (!Number.isInteger(options.maxRows) || options.maxRows < 0) throw new CypherError('EINVAL', 'Cypher: maxRows must be a non-negative integer; pass a row cap.');
  const maxPathLength = options.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH;
  if (!Number.isInteger(maxPathLength) || maxPathLength < 0) throw new CypherError('EINVAL', 'Cypher: maxPathLength must be a non-negative integer.');
  const safeParams = params ?? {};
  if (typeof safeParams !== 'object' || Array.isArray(safeParams)) throw new CypherError('EINVAL', 'Cypher: params must be an object such as {"name": "Ada"} for $name.');
  let ast;
  try {
    ast = parseQuery(query);
  } catch (err) {
    // a refused statement that would write is reported as a write to a read-only caller
    if (err instanceof CypherError && !options.write && errorWrites(err)) throw new CypherError('EREADONLY', READ_ONLY_MESSAGE);
    throw err;
  }
  if (ast.writes && !options.write) throw new CypherError('EREADONLY', READ_ONLY_MESSAGE);
  // the SQL functions the compiled SQL calls (register.ts); once per connection
  registerCypherFunctions(db);
  // datetime() and friends read one clock per statement
  beginStatement();
  if (ast.union) return runUnion(db, ast.union, ast.writes, safeParams, { maxRows: options.maxRows, maxPathLength }, noStats);
  // a CALL { } body runs once per row, which the write path does for reads too (nothing is written unless the query writes)
  if (ast.writes || ast.clauses.some((c) => c.kind === 'callSubquery')) {
    return runWrite(db, ast.clauses, safeParams, { maxRows: options.maxRows, maxPathLength, batchWrites: options.batchWrites ?? true });
  }
  const compiled = new ReadCompiler({ maxPathLength, params: safeParams, propertyVariables: propertyVariables(ast.clauses) }).compile(ast.clauses, null, 'return');
  const r = runCompiled(db, compiled, outputCell, options.maxRows);
  return { columns: compiled.columns.map((c) => c.name), rows: r.rows, truncated: r.truncated, stats: noStats() };
}

import { createInterface } from 'node:readline';
import { closeAll } from './child-connections.ts';
import { forgetAnswers, QueryError, writeLine } from './child-rpc.ts';
import type { QueryRequest, QueryResponse, QueryRows } from './query-protocol.ts';
import { runCypherRequest } from './cypher-exec.ts';
import { runSparqlRequest } from './sparql-exec.ts';
import { runSqlRequest } from './sql-exec.ts';

/**
 * The query child process: runs one query at a time (SQL, Cypher or SPARQL)
 * against a store's SQLite cache, where the parent can kill it. SQLite has no
 * interrupt that better-sqlite3 exposes, and a worker thread stuck in a
 * runaway recursive CTE could not be terminated. Requests come on stdin,
 * answers go to stdout; calls to the parent go through child-rpc.ts.
 */

const ENGINE_NAMES: Record<string, string> = { sql: 'SQLite', cypher: 'Cypher', sparql: 'SPARQL' };

function run(req: QueryRequest): QueryRows {
  switch (req.lang) {
    case 'sql':
      return runSqlRequest(req);
    case 'cypher':
      return runCypherRequest(req);
    case 'sparql':
      return runSparqlRequest(req);
    default:
      throw new QueryError('EINVAL', `unknown query language ${String(req.lang)}`);
  }
}

function answer(res: QueryResponse): void {
  writeLine(1, JSON.stringify(res));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as QueryRequest;
  try {
    answer({ id: req.id, ok: run(req) });
  } catch (err) {
    if (err instanceof QueryError) answer({ id: req.id, error: { code: err.code, message: err.message } });
    else answer({ id: req.id, error: { code: 'EINVAL', message: `${ENGINE_NAMES[req.lang] ?? 'the engine'} refused the query: ${(err as Error).message}; fix it and retry.` } });
  } finally {
    forgetAnswers();
  }
});
process.stdin.on('end', () => {
  closeAll();
  process.exit(0);
});

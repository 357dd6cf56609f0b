import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { LIMITS } from '../schemas/limits.ts';
import { closeAll, noteWritable } from './child-connections.ts';
import { cacheTroubleError, isCacheTrouble } from './cache-trouble.ts';
import { forgetAnswers, QueryError, writeLine } from './child-rpc.ts';
import { isOutOfMemory, memoryMessage } from './memory-limit.ts';
import { READY, type QueryRequest, type QueryResponse, type QueryRows } from './query-protocol.ts';
import { runCypherRequest } from './cypher-exec.ts';
import { runSparqlRequest } from './sparql-exec.ts';
import { oxigraphTrapped } from './sparql/index.ts';
import { runSqlRequest } from './sql-exec.ts';

/**
 * The query child process: runs one query at a time (SQL, Cypher or SPARQL)
 * against a store's SQLite cache, where the parent can kill it. SQLite has no
 * interrupt that better-sqlite3 exposes, and a worker thread stuck in a
 * runaway recursive CTE could not be terminated. Requests come on stdin,
 * answers go to stdout; calls to the parent go through child-rpc.ts.
 */

// The main thread may be deep in one long SQLite statement, deaf to stdin
// closing; a thread of its own notices when the parent is gone (the server
// was killed, or exited mid-query) and ends the process, so no runaway query
// outlives the server. The parent names itself: this process's own ppid may
// already be 1 if the parent died while it started.
const parentPid = Number(process.env.RVF_QUERY_PARENT_PID ?? process.ppid);
new Worker(
  `const { workerData } = require('node:worker_threads');
   setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 500);`,
  { eval: true, workerData: parentPid },
).unref();

// SQLite's heap limit is one setting for the whole process: past it, a statement fails with SQLITE_NOMEM instead of growing.
new Database(':memory:').pragma(`hard_heap_limit = ${LIMITS.queryHeapBytes}`);

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
  // oxigraph's WebAssembly broke on this request (sparql/wasm-store.ts): the parent replaces this process
  writeLine(1, JSON.stringify(oxigraphTrapped() ? { ...res, retire: true } : res));
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as QueryRequest;
  if (req.cacheWritable) noteWritable(req.db);
  try {
    answer({ id: req.id, ok: run(req) });
  } catch (err) {
    if (isCacheTrouble(err)) {
      const trouble = cacheTroubleError(err);
      answer({ id: req.id, error: { code: trouble.code, message: trouble.message } });
    } else if (err instanceof QueryError) answer({ id: req.id, error: { code: err.code, message: err.message } });
    else if (isOutOfMemory(err)) answer({ id: req.id, error: { code: 'ELIMIT', message: memoryMessage() } });
    else answer({ id: req.id, error: { code: 'EINVAL', message: `${ENGINE_NAMES[req.lang] ?? 'the engine'} refused the query: ${(err as Error).message}; fix it and retry.` } });
  } finally {
    forgetAnswers();
  }
});
process.stdin.on('end', () => {
  closeAll();
  process.exit(0);
});
// Loading the engines takes seconds on a busy machine (longer still from TypeScript sources): the
// parent starts a query's time limit only once this line says the process can take it.
writeLine(1, JSON.stringify(READY));

import { LIMITS } from '../schemas/limits.ts';
import { reader, writer } from './child-connections.ts';
import { QueryError } from './child-rpc.ts';
import { CypherError, isCypherWrite, runCypher, type CypherResult } from './cypher/index.ts';
import { isBigIntParam, type QueryRequest, type QueryRows } from './query-protocol.ts';
import { capRows } from './result-rows.ts';
import { atExpectedCommit } from './expected-commit.ts';
import { inWriteTransaction } from './write-transaction.ts';
import { readOnlyMessage } from './read-only-words.ts';

/**
 * Cypher in the query child: compiled to SQL over the graph tables
 * (rvlite-bridge/cypher). Whether a query writes is decided from its parse
 * tree; a read runs on the read-only connection behind the same guard as SQL,
 * a write only on a --write server's writer handle, through the log.
 */

function cypherParams(req: QueryRequest): Record<string, unknown> {
  const params = req.params;
  if (params === undefined) return {};
  if (Array.isArray(params)) throw new QueryError('EINVAL', 'Cypher params are named: pass an object such as {"name": "Ada"} for $name.');
  // The request was parsed for this query alone, so its params need no copy. A reviver costs a
  // call per value (a batch of 10,000 rows is 50,000 calls): only when the parent saw a $bigint.
  if (!req.bigints) return params;
  return JSON.parse(JSON.stringify(params), (_key, value: unknown) => (isBigIntParam(value) ? BigInt(value.$bigint) : value)) as Record<string, unknown>;
}

function asQueryError(err: unknown): never {
  if (err instanceof CypherError) throw new QueryError(err.code === 'EUNSUPPORTED' ? 'EINVAL' : err.code, err.message);
  throw err;
}

function toRows(r: CypherResult, req: QueryRequest): QueryRows {
  const capped = capRows(r.rows, req.rowCap, req.byteCap);
  return { columns: r.columns, rows: capped.rows, truncated: r.truncated || capped.truncated };
}

export function runCypherRequest(req: QueryRequest): QueryRows {
  const params = cypherParams(req);
  const options = { maxRows: req.rowCap, maxPathLength: LIMITS.maxPathLength };
  let writes: boolean;
  try {
    writes = isCypherWrite(req.text);
  } catch (err) {
    asQueryError(err);
  }
  if (!writes) {
    const db = reader(req.db);
    return atExpectedCommit(db, req, () => {
      try {
        return toRows(runCypher(db, req.text, params, { ...options, write: false }), req);
      } catch (err) {
        asQueryError(err);
      }
    });
  }
  if (!req.write) {
    throw new QueryError('EREADONLY', readOnlyMessage(req.readOnlyContext, 'Cypher CREATE, MERGE, SET, REMOVE and DELETE are refused'));
  }
  const w = writer(req.db);
  return inWriteTransaction(w, req, undefined, () => {
    try {
      const r = runCypher(w.db, req.text, params, { ...options, write: true });
      return { ...toRows(r, req), stats: r.stats as unknown as Record<string, number> };
    } catch (err) {
      asQueryError(err);
    }
  });
}

import type { RvfDatabase } from '../store/database.ts';
import { RvfError, isRvfError } from '../store/errors.ts';
import { LIMITS } from '../schemas/limits.ts';
import { CACHE_TROUBLE_START } from '../store/cache-files.ts';
import { checkParams } from './params-check.ts';
import { encodeParams, type QueryLanguage, type QueryParams, type QueryRows } from './query-protocol.ts';
import { queryRunner } from './query-runner.ts';
import type { ReadOnlyContext } from './read-only-words.ts';

/**
 * SQL, Cypher and SPARQL over a store, run in a query child process
 * (rvlite-bridge/query-child.ts) against the store's SQLite cache:
 * - `vectors(id, metadata, epoch)`, the user tables, the graph tables and the
 *   triples (store/cache-schema.ts);
 * - rvf_knn(query_vector_json, k [, filter_json [, exact]]) and
 *   rvf_distance(id, query_vector_json), answered by the store (its
 *   approximate index unless exact = 1, and its exact scan).
 * Writes run only for a writer handle of a server started with --write, and
 * commit through the .rvf log (RvfDatabase.writeSession).
 */

export type { QueryLanguage, QueryParams, QueryRows, ReadOnlyContext };

export interface QueryOptions {
  /** Whether the server was started with --write. */
  write: boolean;
  /**
   * Who runs the query when it may not write, so that a refused write says
   * what to do there: 'server' (the default) says to start the server with
   * --write, 'cli' to add --write to the command, 'inspector' to write
   * through the MCP tools or the command line instead.
   */
  readOnlyContext?: ReadOnlyContext;
  timeLimitMs?: number;
  /**
   * Who asks (an MCP session id, "stdio", "inspector"): queries wait for a
   * query process fairly across askers, so one asker's slow queries never
   * hold up the others' (rvlite-bridge/fair-slots.ts), and one asker may have
   * only so many waiting. Absent for the library's own caller.
   */
  asker?: string;
  /** Aborts a query still waiting for a query process (the client cancelled or went away). */
  signal?: AbortSignal;
}

/** Query texts the engines refused as writes, by language (see runQuery); cleared when full, as a bound. */
const KNOWN_WRITES = new Set<string>();
const KNOWN_WRITES_MAX = 1000;

const LANGUAGE_NAMES: Record<QueryLanguage, string> = { sql: 'SQL', cypher: 'Cypher', sparql: 'SPARQL' };

/** Where a value holding NUL goes instead of the query text. */
const NUL_INSTEAD: Record<QueryLanguage, string> = {
  sql: 'pass a value that holds NUL as a param',
  cypher: 'pass a value that holds NUL as a $param',
  sparql: 'write a NUL inside a literal as \\u0000',
};

export async function runQuery(db: RvfDatabase, lang: QueryLanguage, text: string, params: QueryParams, options: QueryOptions): Promise<QueryRows> {
  if (typeof text !== 'string' || text.trim() === '') throw new RvfError('EINVAL', `query must be a non-empty ${LANGUAGE_NAMES[lang]} string.`);
  if (Buffer.byteLength(text) > LIMITS.maxQueryTextBytes) {
    throw new RvfError('ELIMIT', `the query text is over the ${LIMITS.maxQueryTextBytes}-byte limit; pass large values as params.`);
  }
  // SQLite reads statement text only up to a NUL, so whatever follows it would be dropped
  // unseen; Cypher becomes SQL, and SPARQL is refused alike so the three languages agree.
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    throw new RvfError('EINVAL', `the ${LANGUAGE_NAMES[lang]} query holds a NUL character at position ${nul + 1}, which query text may not hold; remove it, and ${NUL_INSTEAD[lang]}.`);
  }
  const { bigints } = checkParams(params);
  const sentParams = encodeParams(params, bigints);
  const timeLimit = options.timeLimitMs ?? LIMITS.queryTimeLimitMs;
  const request = (s: { cachePath: string; epoch: number; commitHash: string }, write: boolean) => ({
    lang,
    db: s.cachePath,
    text,
    params: sentParams,
    bigints,
    rowCap: LIMITS.maxQueryRows,
    byteCap: LIMITS.maxQueryResultBytes,
    expect: { epoch: s.epoch, commitHash: s.commitHash },
    write,
    cacheWritable: options.write && !db.readOnly,
    readOnlyContext: options.readOnlyContext ?? 'server',
  });
  const ticket = { ...(options.asker === undefined ? {} : { asker: options.asker }), ...(options.signal ? { signal: options.signal } : {}) };
  const read = async (): Promise<QueryRows> => {
    // A reader sharing the writer's cache retries when the writer commits
    // meanwhile; the later tries use a private cache, which cannot move. A
    // cache file that went away under the query process (the writer closed it
    // and removed its side files, or a private copy was replaced) is the same
    // race, not damage: it was answered "damaged or gone" beside a busy writer.
    for (let attempt = 0; ; attempt++) {
      try {
        return await db.readSnapshot((s) => queryRunner().run(request(s, false), s, timeLimit, ticket), { privateCache: attempt >= 2 });
      } catch (err) {
        const racing = isRvfError(err) && (err.code === 'ESTALE' || (err.code === 'EIO' && err.message.startsWith(CACHE_TROUBLE_START)));
        if (!racing || attempt === 3) throw err;
        await db.refresh();
      }
    }
  };
  if (!options.write) return read();
  if (db.readOnly) {
    // a --write server reading a store it could not have as writer: a write is told why (another writer holds it)
    const refusal = db.writeRefusal;
    return refusal ? read().catch((err: unknown) => Promise.reject(isRvfError(err) && err.code === 'EREADONLY' ? refusal : err)) : read();
  }
  // On a writer, a query runs as a read first: reads then run beside the
  // store's other calls instead of in turn with its writes. Only what the
  // engines refuse as a write (EREADONLY, decided before anything runs) goes
  // on to the write path, which takes the store's writes in turn. A text
  // refused once goes straight there the next time: whether a text writes
  // depends on the text alone, and the try would send a batch's params to
  // the child twice.
  const known = `${lang}\u0000${text}`;
  if (!KNOWN_WRITES.has(known)) {
    try {
      return await read();
    } catch (err) {
      if (!isRvfError(err) || err.code !== 'EREADONLY') throw err;
    }
    if (KNOWN_WRITES.size >= KNOWN_WRITES_MAX) KNOWN_WRITES.clear();
    KNOWN_WRITES.add(known);
  }
  return db.writeSession((s) => queryRunner().run(request(s, true), s, timeLimit, ticket));
}

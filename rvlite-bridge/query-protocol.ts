import type { ReadOnlyContext } from './read-only-words.ts';

/** Messages between the query runner (parent) and its child process. One JSON object per line. */

export type QueryLanguage = 'sql' | 'cypher' | 'sparql';

export type QueryParams = unknown[] | Record<string, unknown> | undefined;

/**
 * JSON has no bigint: a bigint param crosses to the child as {"$bigint": "digits"} and binds as an
 * integer. `bigints` is what checkParams found; without any, the params go as they are.
 */
export function encodeParams(params: QueryParams, bigints: boolean): QueryParams {
  if (params === undefined || !bigints) return params;
  return JSON.parse(JSON.stringify(params, (_key, value: unknown) => (typeof value === 'bigint' ? { $bigint: value.toString() } : value))) as QueryParams;
}

export function isBigIntParam(value: unknown): value is { $bigint: string } {
  // the property first: Object.keys of every object of a 10,000-row batch cost more than the walk around it
  return value !== null && typeof value === 'object' && typeof (value as { $bigint?: unknown }).$bigint === 'string' && Object.keys(value).length === 1;
}

export interface QueryRequest {
  id: number;
  lang: QueryLanguage;
  /** The store's SQLite cache file. */
  db: string;
  text: string;
  params: QueryParams;
  /** Whether the params hold {"$bigint": ...} values to revive (params-check.ts). */
  bigints: boolean;
  rowCap: number;
  byteCap: number;
  /** The cache must be at this commit, or the child answers ESTALE. */
  expect: { epoch: number; commitHash: string };
  /** Whether a write may run (a writer's handle on a server started with --write). */
  write: boolean;
  /** Whether the cache is a writer's own (`db` is not a reader's private copy), which the child may open read-write even for a read. */
  cacheWritable: boolean;
  /** Where a read-only query runs, for the wording of a refused write. */
  readOnlyContext: ReadOnlyContext;
}

export interface QueryRows {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  /** The epoch a write committed at; absent for reads and for writes that changed nothing. */
  epoch?: number;
  /** Rows a SQL write changed (SQLite's count). */
  changes?: number;
  /** What a Cypher write did. */
  stats?: Record<string, number>;
  /** SPARQL results in the SPARQL 1.1 JSON results shape. */
  sparql?: unknown;
}

/** `retire`: the process can take no more queries (its oxigraph broke); the parent replaces it. */
export type QueryResponse = ({ id: number; ok: QueryRows } | { id: number; error: { code: string; message: string } }) & { retire?: true };

/** The query process's first line on stdout, once it has loaded and can take a query. */
export const READY = { ready: true } as const;

/**
 * Calls from inside a running query to the parent: rvf_knn and rvf_distance
 * on the engine, and the commit of a write's effects, all answered
 * synchronously. Each is one JSON line; a commit's line is followed by its
 * effects record, `bytes` raw bytes (rpc-frames.ts).
 */
export type RpcCall =
  | { call: 'knn'; vector: unknown; k: unknown; filter: unknown; exact?: unknown }
  | { call: 'distance'; id: string; vector: unknown }
  | { call: 'commit'; bytes: number };

export type RpcReply = { ok: unknown } | { error: { code: string; message: string } };

/** Messages between the SQL runner (parent) and its child process. One JSON object per line. */

export type SqlParams = unknown[] | Record<string, unknown> | undefined;

/** JSON has no bigint: a bigint param crosses to the child as {"$bigint": "digits"} and binds as an integer. */
export function encodeParams(params: SqlParams): SqlParams {
  if (params === undefined) return undefined;
  return JSON.parse(JSON.stringify(params, (_key, value: unknown) => (typeof value === 'bigint' ? { $bigint: value.toString() } : value))) as SqlParams;
}

export function isBigIntParam(value: unknown): value is { $bigint: string } {
  return value !== null && typeof value === 'object' && Object.keys(value).length === 1 && typeof (value as { $bigint?: unknown }).$bigint === 'string';
}

export interface SqlRequest {
  id: number;
  /** The store's SQLite cache file. */
  db: string;
  sql: string;
  params: SqlParams;
  rowCap: number;
  byteCap: number;
  /** The cache must be at this commit, or the child answers ESTALE. */
  expect: { epoch: number; commitHash: string };
}

export interface SqlRows {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

export type SqlResponse = { id: number; ok: SqlRows } | { id: number; error: { code: string; message: string } };

/** Calls from inside a running query (rvf_knn, rvf_distance) to the parent's engine, answered synchronously. */
export type RpcCall =
  | { call: 'knn'; vector: unknown; k: unknown; filter: unknown }
  | { call: 'distance'; id: string; vector: unknown };

export type RpcReply = { ok: unknown } | { error: { code: string; message: string } };

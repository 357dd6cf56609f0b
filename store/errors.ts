/**
 * Every failure the store reports carries a stable `code` beside a message that
 * says what to do next, so callers (the MCP tools, the CLI) can branch on the
 * code and show the message as is.
 */
export type RvfErrorCode =
  | 'EINVAL' // bad argument: shape, type, range
  | 'EDIM' // vector dimension does not match the store
  | 'ELIMIT' // a documented limit was exceeded
  | 'ELOCK' // another process holds the writer lease
  | 'EREADONLY' // a write on a store opened read-only
  | 'ECLOSED' // the store was closed
  | 'EEXIST' // create over an existing file
  | 'ENOENT' // open of a missing file
  | 'ECORRUPT' // committed data failed verification
  | 'EVERSION' // written by a newer wire version
  | 'ECANCELED' // the caller's AbortSignal stopped a long operation; nothing was changed
  | 'ESTALE' // a query saw the cache move under it (retried inside; rarely seen)
  | 'EBUSY' // one client has too many queries running or waiting; retry once its answers are in
  | 'EIO'; // the file system refused a write; nothing was committed

export class RvfError extends Error {
  readonly code: RvfErrorCode;

  constructor(code: RvfErrorCode, message: string) {
    super(message);
    this.name = 'RvfError';
    this.code = code;
  }
}

export function isRvfError(err: unknown): err is RvfError {
  return err instanceof RvfError;
}

/** The `code` of an error from Node (ENOSPC), SQLite (SQLITE_FULL) or ours, when it has one. */
export function errorCode(err: unknown): unknown {
  return err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
}

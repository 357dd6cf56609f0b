import { cacheTroubleMessage } from '../store/cache-files.ts';
import { QueryError } from './child-rpc.ts';

export { isCacheTrouble } from '../store/cache-files.ts';

/** A query that failed on the cache itself (isCacheTrouble), told as that rather than as a fault of its text. */
export function cacheTroubleError(err: unknown): QueryError {
  return new QueryError('EIO', cacheTroubleMessage(err));
}

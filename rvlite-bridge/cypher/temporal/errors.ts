import { CypherError } from '../errors.ts';

/** A bad temporal string, map or operation: the query's fault, so EINVAL with what to write instead. */
export function temporalError(message: string): CypherError {
  return new CypherError('EINVAL', `Cypher: ${message}`);
}

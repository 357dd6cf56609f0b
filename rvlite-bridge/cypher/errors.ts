/**
 * The one error type the Cypher layer throws. Every message is a single
 * sentence that names the construct and says what to do next, because the
 * reader is usually an agent that will retry with a changed query.
 */
export type CypherErrorCode = 'EINVAL' | 'EREADONLY' | 'EUNSUPPORTED' | 'ELIMIT';

export class CypherError extends Error {
  constructor(
    readonly code: CypherErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CypherError';
  }
}

export function unsupported(construct: string, instead: string): CypherError {
  return new CypherError('EUNSUPPORTED', `Cypher: ${construct} is not supported; ${instead}.`);
}

export function invalid(message: string): CypherError {
  return new CypherError('EINVAL', `Cypher: ${message}`);
}

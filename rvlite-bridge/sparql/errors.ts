/**
 * The one error type of the SPARQL layer. Every message is one sentence that
 * ends with what to do next, because it goes straight back to an agent.
 */

export type SparqlErrorCode = 'EINVAL' | 'EREADONLY' | 'EUNSUPPORTED' | 'ELIMIT';

export class SparqlError extends Error {
  constructor(
    readonly code: SparqlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SparqlError';
  }
}

export function isSparqlError(err: unknown): err is SparqlError {
  return err instanceof SparqlError;
}

/** Worded for any caller: the query child says who refused and what to do there (rvlite-bridge/read-only-words.ts). */
export const READONLY_MESSAGE =
  'this text is or holds a SPARQL update, which a query cannot run; send the update on its own where writes are allowed.';

export const SERVICE_MESSAGE =
  'SERVICE (federated query) is not supported: this server makes no network requests; query only the local store.';

export const LOAD_MESSAGE =
  'LOAD is not supported: this server fetches no URLs or files; put the data in an INSERT DATA update instead.';

export const TRAP_MESSAGE =
  'the SPARQL engine ran out of stack on this text (too many nested or chained patterns, OPTIONALs, path steps or operators to parse or evaluate); split it into smaller queries or updates.';

/** oxigraph's message for an error thrown by its WASM code, on one line and of bounded length. */
export function oxigraphMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const oneLine = raw.replace(/\s+/g, ' ').trim();
  return oneLine.length > 400 ? `${oneLine.slice(0, 400)}...` : oneLine;
}

/** oxigraph's parsers report "error at LINE:COLUMN: ..."; evaluation errors never start that way. */
export function isSyntaxError(message: string): boolean {
  return /^error at \d+:\d+/.test(message);
}

/** oxigraph's evaluation error for any SERVICE call (the WASM build has no HTTP client). */
export function isServiceError(message: string): boolean {
  return /^The service .* is not supported/.test(message);
}

/** oxigraph's evaluation error for LOAD (no HTTP client, so no fetching). */
export function isLoadError(message: string): boolean {
  return message.startsWith('HTTP client is not available');
}

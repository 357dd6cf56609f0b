import { checkDepth } from './depth-check.ts';
import { isSyntaxError, oxigraphMessage } from './errors.ts';
import { prologueLength, tokenize } from './lexer.ts';
import { rethrowTrap, withScratchStore } from './wasm-store.ts';

/**
 * Parse-only checks built on oxigraph's own parsers, which its JS API exposes
 * only by running the text.
 */

const PROBE_GRAPH = '<urn:x-rvf-sparql:parse-probe>';

/**
 * Whether oxigraph parses `text` as a SPARQL Update with at least one
 * operation. The text runs on a new empty store behind two CREATE GRAPH of the
 * same graph: oxigraph parses the whole request before running any of it, so
 * a text that parses fails on the second CREATE with none of it evaluated,
 * while a text that does not parse fails with a syntax error. The probe goes
 * after the text's prologue because oxigraph accepts a prologue only at the
 * start.
 */
export function parsesAsUpdate(text: string): boolean {
  const tokens = tokenize(text);
  // the first call into oxigraph for most requests (the query child asks it before query or update)
  checkDepth(tokens);
  const body = tokens[prologueLength(tokens)];
  if (body === undefined) return false; // only a prologue: an empty update, which changes nothing
  const probe = `CREATE GRAPH ${PROBE_GRAPH} ; CREATE GRAPH ${PROBE_GRAPH} ;\n`;
  const probed = text.slice(0, body.start) + probe + text.slice(body.start);
  return withScratchStore((scratch) => {
    try {
      scratch.update(probed);
      return false; // not reached: the second CREATE always fails
    } catch (err) {
      rethrowTrap(err);
      return oxigraphMessage(err).includes(`${PROBE_GRAPH} already exists`);
    }
  });
}

/**
 * Whether oxigraph parses `text` as a query. No probe stops a query before
 * evaluation, so it runs on a new empty store, where every pattern matches
 * nothing; only a syntax error means it did not parse.
 */
export function parsesAsQuery(text: string): boolean {
  return withScratchStore((scratch) => {
    try {
      scratch.query(text);
      return true;
    } catch (err) {
      rethrowTrap(err);
      return !isSyntaxError(oxigraphMessage(err));
    }
  });
}

/**
 * oxigraph's syntax error for `text` read as an update, or undefined when it
 * parses as one. It runs on a new empty store: oxigraph parses the whole
 * request before running any of it, so a text that does not parse runs
 * nothing, and one that does changes only that scratch store.
 */
export function updateSyntaxError(text: string): string | undefined {
  return withScratchStore((scratch) => {
    try {
      scratch.update(text);
      return undefined;
    } catch (err) {
      rethrowTrap(err);
      const message = oxigraphMessage(err);
      return isSyntaxError(message) ? message : undefined;
    }
  });
}

import type Database from 'better-sqlite3';
import type { Quad, Store } from 'oxigraph';
import { LIMITS } from '../../schemas/limits.ts';
import { diff, snapshot, type QuadSnapshot } from './delta.ts';
import {
  isLoadError,
  isServiceError,
  isSyntaxError,
  LOAD_MESSAGE,
  oxigraphMessage,
  READONLY_MESSAGE,
  SERVICE_MESSAGE,
  SparqlError,
} from './errors.ts';
import { checkDepth } from './depth-check.ts';
import { hasKeyword, prologueLength, queryForm, semicolonOffsets, tokenize, type Token } from './lexer.ts';
import { loadQuads } from './load.ts';
import { parsesAsQuery, parsesAsUpdate, updateSyntaxError } from './parse-check.ts';
import { askResult, solutionsResult } from './results.ts';
import { jsonTermToSparql, termToSparql } from './terms.ts';
import type { QuadDelta, QueryLimits, SparqlBinding, SparqlQueryResult } from './types.ts';
import { freeStore, rethrowTrap } from './wasm-store.ts';

/**
 * SPARQL over the quads of rdf_quads, answered by an in-memory oxigraph store
 * loaded from them. Queries go only through store.query(), which cannot
 * write. Updates go through store.update() and come back as the net quads
 * they inserted and deleted, for the caller to write to rdf_quads with
 * applyQuadDelta.
 *
 * oxigraph runs each update in one transaction, so an update that fails leaves
 * the store as it was (tested); the engine stays usable.
 */
export class SparqlEngine {
  /** The store's quads as of the last update, kept so the next update needs one dump, not two. */
  private lastSnapshot: QuadSnapshot | null = null;
  private freed = false;

  private constructor(
    private readonly store: Store,
    /** rdf_version.v at load time. */
    readonly version: number,
  ) {}

  /** Loads every quad of rdf_quads (read through `db`, any better-sqlite3 connection) into a new oxigraph store. */
  static load(db: Database.Database): SparqlEngine {
    const { store, version } = loadQuads(db);
    return new SparqlEngine(store, version);
  }

  /** Quads in the store now (updates change it). */
  get quadCount(): number {
    return this.live().size;
  }

  /** Runs a query (SELECT, ASK, CONSTRUCT, DESCRIBE); every update form is refused with EREADONLY. */
  query(text: string, limits: QueryLimits): SparqlQueryResult {
    const store = this.live();
    checkText(text);
    checkLimits(limits);
    const tokens = tokenize(text);
    checkDepth(tokens);
    if (hasKeyword(tokens, 'SERVICE')) throw refusal(text, tokens, SERVICE_MESSAGE);
    const form = queryForm(tokens);
    let answer: ReturnType<Store['query']>;
    try {
      answer = store.query(text, form === 'SELECT' || form === 'ASK' ? { results_format: 'json' } : {});
    } catch (err) {
      rethrowTrap(err);
      const message = oxigraphMessage(err);
      if (isSyntaxError(message)) throw syntaxRefusal(text, tokens, message);
      if (isServiceError(message)) throw new SparqlError('EUNSUPPORTED', SERVICE_MESSAGE);
      throw new SparqlError('EINVAL', `the query failed (${message}); fix the query.`);
    }
    if (typeof answer === 'string') {
      const json = JSON.parse(answer) as { head: { vars?: string[] }; boolean?: boolean; results?: { bindings: Record<string, unknown>[] } };
      if (typeof json.boolean === 'boolean') return askResult(json.boolean);
      return solutionsResult(json.head.vars ?? [], normalizedBindings(json.results?.bindings ?? []), limits);
    }
    if (Array.isArray(answer) && answer.every(isQuad)) return quadsResult(answer, limits);
    throw new SparqlError('EINVAL', `the query gave an unexpected kind of result (${typeof answer}); write it as SELECT, ASK, CONSTRUCT or DESCRIBE.`);
  }

  /** Runs a SPARQL Update on this in-memory store and returns the net quads it inserted and deleted. */
  update(text: string): QuadDelta {
    const store = this.live();
    checkText(text);
    const tokens = tokenize(text);
    checkDepth(tokens);
    // LOAD SILENT and SERVICE SILENT would succeed doing nothing; refuse them before oxigraph sees them.
    if (hasKeyword(tokens, 'LOAD')) throw new SparqlError('EUNSUPPORTED', LOAD_MESSAGE);
    if (hasKeyword(tokens, 'SERVICE')) throw new SparqlError('EUNSUPPORTED', SERVICE_MESSAGE);
    const before = this.lastSnapshot ?? snapshot(store);
    try {
      store.update(text);
    } catch (err) {
      rethrowTrap(err);
      this.lastSnapshot = before; // the failed update changed nothing
      const message = oxigraphMessage(err);
      if (isSyntaxError(message)) {
        if (parsesAsQuery(text)) throw new SparqlError('EINVAL', 'this is a query, not an update; run it as a query.');
        throw new SparqlError('EINVAL', `SPARQL update syntax error (${message}); fix the update.`);
      }
      if (isLoadError(message)) throw new SparqlError('EUNSUPPORTED', LOAD_MESSAGE);
      if (isServiceError(message)) throw new SparqlError('EUNSUPPORTED', SERVICE_MESSAGE);
      throw new SparqlError('EINVAL', `the update failed and changed nothing (${message}); fix the update, or add SILENT to ignore a missing or existing graph.`);
    }
    const after = snapshot(store);
    this.lastSnapshot = after;
    return diff(before, after);
  }

  /** Whether oxigraph's update parser accepts `text` (with at least one operation). */
  isUpdate(text: string): boolean {
    return parsesAsUpdate(text);
  }

  /** Releases the WASM memory of the store; the engine is unusable afterwards. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.lastSnapshot = null;
    freeStore(this.store);
  }

  private live(): Store {
    if (this.freed) throw new SparqlError('EINVAL', 'this SPARQL engine was freed; load a new one.');
    return this.store;
  }
}

function checkText(text: string): void {
  if (typeof text !== 'string' || text.trim() === '') throw new SparqlError('EINVAL', 'the SPARQL text is empty; pass a query or update.');
  if (Buffer.byteLength(text) > LIMITS.maxQueryTextBytes) {
    throw new SparqlError('ELIMIT', `the SPARQL text is over the ${LIMITS.maxQueryTextBytes}-byte limit; shorten it or split it into several requests.`);
  }
}

function checkLimits(limits: QueryLimits): void {
  for (const key of ['maxRows', 'maxBytes'] as const) {
    const v = limits[key];
    if (!Number.isSafeInteger(v) || v < 0) throw new SparqlError('EINVAL', `${key} must be a non-negative integer; pass a valid limit.`);
  }
}

/**
 * The error for text store.query() did not run: EREADONLY if oxigraph parses
 * it as an update, or if an update follows a ';' in it (a query and an update
 * in one text, which neither parser accepts); otherwise `fallback`, with
 * EUNSUPPORTED for SERVICE and EINVAL for the rest.
 */
function refusal(text: string, tokens: Token[], fallback: string): SparqlError {
  if (parsesAsUpdate(text)) return new SparqlError('EREADONLY', READONLY_MESSAGE);
  const bodyStart = tokens[prologueLength(tokens)]?.start ?? text.length;
  const prologue = text.slice(0, bodyStart);
  for (const at of semicolonOffsets(tokens)) {
    if (at > bodyStart && parsesAsUpdate(prologue + text.slice(at + 1))) return new SparqlError('EREADONLY', READONLY_MESSAGE);
  }
  return new SparqlError(fallback === SERVICE_MESSAGE ? 'EUNSUPPORTED' : 'EINVAL', fallback);
}

/** The words an update's first operation starts with (after PREFIX and BASE). */
const UPDATE_WORDS: ReadonlySet<string> = new Set(['INSERT', 'DELETE', 'LOAD', 'CLEAR', 'CREATE', 'DROP', 'COPY', 'MOVE', 'ADD', 'WITH']);

/**
 * The error for text that neither parser took (text oxigraph parses as an
 * update never gets here). It went to the query parser, so an update with a
 * typo got the query parser's complaint ("expected CONSTRUCT"): a text that
 * starts like an update gets the update parser's error instead, and one that
 * starts like neither is told which words begin each.
 */
function syntaxRefusal(text: string, tokens: Token[], queryMessage: string): SparqlError {
  const first = tokens[prologueLength(tokens)];
  const word = first?.kind === 'word' ? first.text.toUpperCase() : '';
  if (UPDATE_WORDS.has(word)) {
    const updateMessage = updateSyntaxError(text);
    if (updateMessage !== undefined) return new SparqlError('EINVAL', `SPARQL update syntax error (${shortened(updateMessage)}); fix the update.`);
  }
  if (queryForm(tokens) === 'OTHER' && !UPDATE_WORDS.has(word)) {
    return refusal(
      text,
      tokens,
      `SPARQL syntax error: the text starts with ${JSON.stringify(first?.text ?? '')}, where a query starts with SELECT, CONSTRUCT, ASK or DESCRIBE and an update with INSERT, DELETE, CLEAR, CREATE, DROP, COPY, MOVE or ADD (after any PREFIX and BASE); fix the first word.`,
    );
  }
  return refusal(text, tokens, `SPARQL syntax error (${shortened(queryMessage)}); fix the query.`);
}

/** A parser message cut to a sentence's length: some list every token the parser expected. */
function shortened(message: string): string {
  return message.length <= 240 ? message : `${message.slice(0, 240)}…`;
}

function* normalizedBindings(raw: Record<string, unknown>[]): Generator<SparqlBinding> {
  for (const b of raw) {
    const out: SparqlBinding = {};
    for (const [k, v] of Object.entries(b)) out[k] = jsonTermToSparql(v);
    yield out;
  }
}

function isQuad(x: unknown): x is Quad {
  return typeof x === 'object' && x !== null && (x as { termType?: unknown }).termType === 'Quad';
}

/** CONSTRUCT/DESCRIBE quads in the solutions shape: subject, predicate, object (and graph if a quad has one). */
function quadsResult(quads: Quad[], limits: QueryLimits): SparqlQueryResult {
  const withGraph = quads.some((q) => q.graph.termType !== 'DefaultGraph');
  const columns = withGraph ? ['subject', 'predicate', 'object', 'graph'] : ['subject', 'predicate', 'object'];
  function* bindings(): Generator<SparqlBinding> {
    for (const q of quads) {
      const b: SparqlBinding = { subject: termToSparql(q.subject), predicate: termToSparql(q.predicate), object: termToSparql(q.object) };
      if (q.graph.termType !== 'DefaultGraph') b.graph = termToSparql(q.graph);
      yield b;
    }
  }
  return solutionsResult(columns, bindings(), limits);
}

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
  TRAP_MESSAGE,
} from './errors.ts';
import { hasKeyword, prologueLength, queryForm, semicolonOffsets, tokenize, type Token } from './lexer.ts';
import { loadQuads } from './load.ts';
import { parsesAsQuery, parsesAsUpdate } from './parse-check.ts';
import { askResult, solutionsResult } from './results.ts';
import { jsonTermToSparql, termToSparql } from './terms.ts';
import type { QuadDelta, QueryLimits, SparqlBinding, SparqlQueryResult } from './types.ts';
import { freeStore, noteTrap } from './wasm-store.ts';

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
    checkNesting(tokens);
    if (hasKeyword(tokens, 'SERVICE')) throw refusal(text, tokens, SERVICE_MESSAGE);
    const form = queryForm(tokens);
    let answer: ReturnType<Store['query']>;
    try {
      answer = store.query(text, form === 'SELECT' || form === 'ASK' ? { results_format: 'json' } : {});
    } catch (err) {
      if (noteTrap(err)) throw new SparqlError('ELIMIT', TRAP_MESSAGE);
      const message = oxigraphMessage(err);
      if (isSyntaxError(message)) throw refusal(text, tokens, `SPARQL syntax error (${message}); fix the query.`);
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
    checkNesting(tokens);
    // LOAD SILENT and SERVICE SILENT would succeed doing nothing; refuse them before oxigraph sees them.
    if (hasKeyword(tokens, 'LOAD')) throw new SparqlError('EUNSUPPORTED', LOAD_MESSAGE);
    if (hasKeyword(tokens, 'SERVICE')) throw new SparqlError('EUNSUPPORTED', SERVICE_MESSAGE);
    const before = this.lastSnapshot ?? snapshot(store);
    try {
      store.update(text);
    } catch (err) {
      if (noteTrap(err)) throw new SparqlError('ELIMIT', TRAP_MESSAGE);
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
    if (typeof text === 'string') checkNesting(tokenize(text));
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

/**
 * How deep brackets may nest before oxigraph sees the text. Its parser
 * recurses per level: at 10,000 levels it overflowed the JavaScript stack,
 * and at 100,000 it overflowed its WebAssembly stack into its heap ("memory
 * access out of bounds"), after which every later query in that process
 * failed the same way, for every store. Real queries nest a few levels.
 */
const MAX_NESTING = 200;

/**
 * How many patterns, filters, OPTIONALs, path steps and operators one text
 * may chain (arithmetic operators too). oxigraph also recurses once per element of such a chain: 1,000
 * OPTIONALs, BINDs or MINUSes, or 3,000 triple patterns or FILTERs, trapped
 * its WebAssembly as deep nesting does; 800 of each ran. Data does not count:
 * INSERT DATA / DELETE DATA blocks and VALUES lists are read without
 * recursion (20,000 triples or values ran).
 */
const MAX_CHAIN = 500;
const CHAIN_WORDS = new Set(['OPTIONAL', 'MINUS', 'BIND', 'FILTER', 'UNION', 'GRAPH', 'SERVICE', 'EXISTS']);
const CHAIN_PUNCT = new Set(['.', ';', ',', '/', '|', '&', '+', '-', '*']);

/** Refuses, before oxigraph parses it, a text nested or chained deep enough to trap its WebAssembly (see sparql/wasm-store.ts). */
function checkNesting(tokens: readonly Token[]): void {
  let depth = 0;
  let chain = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'word' && (t.text.toUpperCase() === 'VALUES' || (t.text.toUpperCase() === 'DATA' && tokens[i + 1]?.text === '{'))) {
      i = blockEnd(tokens, i); // data, read without recursion
      continue;
    }
    if (t.kind === 'word' && CHAIN_WORDS.has(t.text.toUpperCase())) chain++;
    if (t.kind !== 'punct') continue;
    if (CHAIN_PUNCT.has(t.text)) chain++;
    if (t.text === '(' || t.text === '{' || t.text === '[') {
      if (++depth > MAX_NESTING) throw new SparqlError('ELIMIT', `the SPARQL text nests brackets more than ${MAX_NESTING} levels deep; flatten it (several FILTERs instead of one nested expression, VALUES for long lists).`);
    } else if (t.text === ')' || t.text === '}' || t.text === ']') depth = Math.max(0, depth - 1);
  }
  if (chain > MAX_CHAIN) {
    throw new SparqlError(
      'ELIMIT',
      `the SPARQL text chains ${chain} patterns, filters, OPTIONALs, path steps and operators, over the ${MAX_CHAIN} this engine takes; split it into smaller queries (INSERT DATA and VALUES lists do not count).`,
    );
  }
}

/** The index of the '}' that closes the first '{' at or after `from` (the last token if there is none). */
function blockEnd(tokens: readonly Token[], from: number): number {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const text = (tokens[i] as Token).text;
    if ((tokens[i] as Token).kind !== 'punct') continue;
    if (text === '{') depth++;
    else if (text === '}' && --depth === 0) return i;
  }
  return tokens.length - 1;
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

/**
 * SPARQL for rvf-mcp-server: an oxigraph store loaded from rdf_quads answers
 * queries, and updates come back as quad deltas for rdf_quads.
 */
export { SparqlEngine } from './engine.ts';
export { applyQuadDelta } from './apply-delta.ts';
export { SparqlError, isSparqlError, type SparqlErrorCode } from './errors.ts';
export { oxigraphTrapped } from './wasm-store.ts';
export type { QuadDelta, QuadRow, QueryLimits, SparqlBinding, SparqlJson, SparqlQueryResult, SparqlTerm } from './types.ts';

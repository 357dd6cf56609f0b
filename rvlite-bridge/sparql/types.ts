/**
 * The shapes the SPARQL layer hands out: SPARQL 1.1 Query Results JSON for
 * answers, and rdf_quads rows (N-Triples strings) for the quads an update
 * changed.
 */

/**
 * One RDF term in the SPARQL 1.1 Query Results JSON shape. Two additions the
 * store can produce: `its:dir` for RDF 1.2 directional language strings, and
 * type 'triple' for RDF 1.2 triple terms, whose value is their N-Triples text
 * (`<<( <s> <p> <o> )>>`) so that `value` stays a string everywhere.
 */
export interface SparqlTerm {
  type: 'uri' | 'literal' | 'bnode' | 'triple';
  value: string;
  datatype?: string;
  'xml:lang'?: string;
  'its:dir'?: 'ltr' | 'rtl';
}

export type SparqlBinding = Record<string, SparqlTerm>;

/** SPARQL 1.1 Query Results JSON: solutions (also used for CONSTRUCT/DESCRIBE quads) or an ASK answer. */
export type SparqlJson =
  | { head: { vars: string[] }; results: { bindings: SparqlBinding[] } }
  | { head: Record<string, never>; boolean: boolean };

export interface SparqlQueryResult {
  json: SparqlJson;
  /** head.vars; for CONSTRUCT/DESCRIBE subject, predicate, object (and graph if a quad has one); [] for ASK. */
  columns: string[];
  /** One array per solution, aligned with `columns`; null where a variable is unbound. [] for ASK. */
  rows: (SparqlTerm | null)[][];
  /** True when rows were left out to stay within maxRows or maxBytes. */
  truncated: boolean;
}

export interface QueryLimits {
  /** Most solutions returned. */
  maxRows: number;
  /** Most UTF-8 bytes of JSON.stringify(json). */
  maxBytes: number;
}

/** One row of rdf_quads: terms in N-Triples syntax, g = '' for the default graph. */
export interface QuadRow {
  s: string;
  p: string;
  o: string;
  g: string;
}

/** The net effect of an update: quads that are in the store after it and not before, and the reverse. */
export interface QuadDelta {
  inserted: QuadRow[];
  deleted: QuadRow[];
}

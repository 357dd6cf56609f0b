import type { Quad, Term } from 'oxigraph';
import type { QuadRow, SparqlTerm } from './types.ts';

/**
 * Conversions between oxigraph terms, rdf_quads strings and SPARQL JSON terms.
 * oxigraph's toString() is its canonical N-Triples form (the same text
 * store.dump writes), so rdf_quads rows written from it read back unchanged.
 */

const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';
const RDF_DIR_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString';

/** A quad as an rdf_quads row. */
export function quadToRow(q: Quad): QuadRow {
  return {
    s: q.subject.toString(),
    p: q.predicate.toString(),
    o: q.object.toString(),
    g: q.graph.termType === 'DefaultGraph' ? '' : q.graph.toString(),
  };
}

/** The N-Quads line of a row, as store.load reads it. */
export function rowToNQuad(r: QuadRow): string {
  return r.g === '' ? `${r.s} ${r.p} ${r.o} .` : `${r.s} ${r.p} ${r.o} ${r.g} .`;
}

/** A term as SPARQL JSON, the way oxigraph's JSON writer puts it (no datatype on plain and language strings). */
export function termToSparql(t: Term): SparqlTerm {
  switch (t.termType) {
    case 'NamedNode':
      return { type: 'uri', value: t.value };
    case 'BlankNode':
      return { type: 'bnode', value: t.value };
    case 'Literal': {
      const term: SparqlTerm = { type: 'literal', value: t.value };
      if (t.language !== '') {
        term['xml:lang'] = t.language;
        if (t.direction !== '') term['its:dir'] = t.direction;
      } else if (t.datatype.value !== XSD_STRING) {
        term.datatype = t.datatype.value;
      }
      return term;
    }
    case 'Quad':
      return { type: 'triple', value: t.toString() };
    default:
      throw new Error(`unexpected ${t.termType} in a result`);
  }
}

/**
 * A term of oxigraph's JSON results as a SparqlTerm. Only RDF 1.2 triple
 * terms differ: their JSON value is an object, turned into N-Triples text.
 */
export function jsonTermToSparql(raw: unknown): SparqlTerm {
  const t = raw as { type: string; value: unknown };
  if (t.type !== 'triple') return raw as SparqlTerm;
  const v = t.value as { subject: unknown; predicate: unknown; object: unknown };
  const parts = [v.subject, v.predicate, v.object].map((x) => sparqlToNTriples(jsonTermToSparql(x)));
  return { type: 'triple', value: `<<( ${parts.join(' ')} )>>` };
}

/** N-Triples text of a SPARQL JSON term (used only inside triple terms). */
export function sparqlToNTriples(t: SparqlTerm): string {
  switch (t.type) {
    case 'uri':
      return `<${t.value}>`;
    case 'bnode':
      return `_:${t.value}`;
    case 'triple':
      return t.value;
    case 'literal': {
      const lexical = `"${escapeLiteral(t.value)}"`;
      if (t['xml:lang'] !== undefined) return `${lexical}@${t['xml:lang']}${t['its:dir'] ? `--${t['its:dir']}` : ''}`;
      if (t.datatype !== undefined && t.datatype !== XSD_STRING && t.datatype !== RDF_LANG_STRING && t.datatype !== RDF_DIR_LANG_STRING) {
        return `${lexical}^^<${t.datatype}>`;
      }
      return lexical;
    }
  }
}

function escapeLiteral(s: string): string {
  return s.replace(/[\\"\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
}

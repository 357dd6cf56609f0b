import { blankNode, literal, namedNode } from 'oxigraph';

/**
 * rvlite RDF terms as rdf_quads strings. Terms are built with oxigraph, the
 * SPARQL engine that later reads the rows, and written with its toString(),
 * its canonical N-Triples form: literals are escaped the way it parses them,
 * IRIs are checked, and a migrated quad is byte-equal to the same quad
 * written by a SPARQL update (so rdf_quads' UNIQUE sees them as one).
 * Each function throws on a term oxigraph refuses; the caller skips that
 * triple and says so.
 */

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

function expand(iri: string): string {
  if (iri.startsWith('xsd:')) return XSD + iri.slice(4);
  if (iri.startsWith('rdf:')) return RDF + iri.slice(4);
  return iri;
}

export function iriTerm(iri: string): string {
  return namedNode(expand(iri)).toString();
}

/** A blank node label as N-Triples allows it; other characters are hex-escaped so distinct labels stay distinct. */
export function blankTerm(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9_]/g, (c) => `x${c.codePointAt(0)?.toString(16)}x`);
  return blankNode(/^[0-9]/.test(safe) ? `b${safe}` : safe || 'b').toString();
}

export function literalTerm(value: string, language?: string, datatype?: string): string {
  if (language) return literal(value, language).toString();
  if (datatype) {
    const dt = expand(datatype);
    if (dt !== `${XSD}string` && dt !== `${RDF}langString`) return literal(value, namedNode(dt)).toString();
  }
  return literal(value).toString();
}

function field(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Record<string, unknown>)['value'] === 'string') return (v as Record<string, string>)['value'];
  return undefined;
}

/**
 * One rvlite term: the Rust core's tagged object ({type: "Iri", value},
 * {type: "Literal", value, datatype, language}, {type: "BlankNode", id}), a
 * string in N-Triples style ("<iri>", "_:b1", "\"text\"@en"), a bare IRI
 * ("http://..."), or, for an object, any other string (a plain literal) or a
 * JSON number or boolean (typed literal).
 */
export function rvliteTerm(t: unknown, position: 'subject' | 'predicate' | 'object'): string {
  if (typeof t === 'string') return stringTerm(t, position);
  if (typeof t === 'number' && position === 'object') {
    return literalTerm(String(t), undefined, Number.isInteger(t) ? `${XSD}integer` : `${XSD}double`);
  }
  if (typeof t === 'boolean' && position === 'object') return literalTerm(String(t), undefined, `${XSD}boolean`);
  if (t && typeof t === 'object') {
    const o = t as Record<string, unknown>;
    const type = String(o['type'] ?? o['termType'] ?? '').toLowerCase();
    if (type === 'iri' || type === 'namednode' || type === 'uri') return iriTerm(field(o, 'value') ?? field(o, 'iri') ?? '');
    if (type === 'blanknode' || type === 'bnode' || type === 'blank') return blankTerm(String(o['id'] ?? o['value'] ?? ''));
    if (type === 'literal' && position === 'object') {
      return literalTerm(String(o['value'] ?? ''), field(o, 'language') ?? field(o, 'lang'), field(o, 'datatype'));
    }
  }
  throw new Error(`${JSON.stringify(t)} is not a valid ${position}`);
}

function stringTerm(s: string, position: string): string {
  if (s.startsWith('<') && s.endsWith('>')) return iriTerm(s.slice(1, -1));
  if (s.startsWith('_:')) return blankTerm(s.slice(2));
  if (position === 'object' && s.startsWith('"')) {
    const lit = parseNTriplesLiteral(s);
    if (lit) return literalTerm(lit.value, lit.language, lit.datatype);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]*$/.test(s)) return iriTerm(s);
  if (position === 'object') return literalTerm(s);
  throw new Error(`${JSON.stringify(s)} is not an IRI or blank node`);
}

const ESCAPES: Record<string, string> = { t: '\t', b: '\b', n: '\n', r: '\r', f: '\f', '"': '"', "'": "'", '\\': '\\' };

/** "text"@lang or "text"^^<dt> in N-Triples syntax; undefined when it is not one. */
function parseNTriplesLiteral(s: string): { value: string; language?: string; datatype?: string } | undefined {
  let value = '';
  let i = 1;
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') break;
    if (c !== '\\') {
      value += c;
      continue;
    }
    const e = s[i + 1] ?? '';
    if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = s.slice(i + 2, i + 2 + len);
      if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) return undefined;
      value += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + len;
    } else if (ESCAPES[e] !== undefined) {
      value += ESCAPES[e];
      i++;
    } else {
      return undefined;
    }
  }
  if (i >= s.length) return undefined;
  const rest = s.slice(i + 1);
  if (rest === '') return { value };
  if (rest.startsWith('@')) return { value, language: rest.slice(1) };
  if (rest.startsWith('^^<') && rest.endsWith('>')) return { value, datatype: rest.slice(3, -1) };
  return undefined;
}

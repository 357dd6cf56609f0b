import { SparqlError } from './errors.ts';
import type { Token } from './lexer.ts';

/**
 * How deep brackets may nest before oxigraph sees the text. Its parser
 * recurses per level: at 10,000 levels it overflowed the JavaScript stack,
 * and at 100,000 it overflowed its WebAssembly stack into its heap ("memory
 * access out of bounds"), after which every later query in that process
 * failed the same way, for every store. Real queries nest a few levels.
 */
const MAX_NESTING = 200;

/**
 * How many patterns, filters, OPTIONALs, path steps and operators (arithmetic
 * too) one text may chain. oxigraph also recurses once per element of such a
 * chain: 1,000 OPTIONALs, BINDs or MINUSes, or 3,000 triple patterns or
 * FILTERs, trapped its WebAssembly as deep nesting does; 800 of each ran.
 * Data does not count: INSERT DATA / DELETE DATA blocks and VALUES lists are
 * read without recursion (20,000 triples or values ran).
 */
const MAX_CHAIN = 500;
const CHAIN_WORDS = new Set(['OPTIONAL', 'MINUS', 'BIND', 'FILTER', 'UNION', 'GRAPH', 'SERVICE', 'EXISTS']);
const CHAIN_PUNCT = new Set(['.', ';', ',', '/', '|', '&', '+', '-', '*']);

/** Refuses, before oxigraph parses it, a text nested or chained deep enough to trap its WebAssembly (see sparql/wasm-store.ts). */
export function checkDepth(tokens: readonly Token[]): void {
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

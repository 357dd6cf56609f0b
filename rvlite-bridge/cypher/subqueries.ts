/**
 * `EXISTS { ... }`, `COUNT { ... }`, `COLLECT { ... }` and `CALL { ... }`
 * subqueries. The openCypher grammar of @neo4j-cypher/antlr4 predates them (they are a
 * syntax error there), so a pre-pass finds them in the text, outside
 * strings, comments and `names`, takes each body out by matching braces, and
 * puts a placeholder in its place: the function call `rvf.subquery(i)`, or
 * the procedure call `CALL rvf.callsubquery(i)`; parse.ts parses the rest as
 * usual and each body on its own, as `MATCH <body> RETURN 1` when an EXISTS
 * or COUNT body is a bare pattern.
 *
 * Only the forms that are one MATCH (patterns and WHERE, optionally with a
 * RETURN; COLLECT's RETURN of one value is required) are compiled; anything
 * else inside the braces is refused by parse.ts with a message.
 */

import { rewriteOutsideQuoted, skipQuoted } from './query-text.ts';

export const SUBQUERY_FUNCTION = 'rvf.subquery';
/** The procedure a `CALL { ... }` subquery becomes, `CALL rvf.callsubquery(i)`, which the grammar reads as a procedure call. */
export const CALL_SUBQUERY_PROCEDURE = 'rvf.callsubquery';

export interface Extracted {
  text: string;
  bodies: { kind: 'exists' | 'count' | 'collect' | 'call'; body: string }[];
}

const OPENER = /^(exists|count|collect|call)\s*\{/i;
/**
 * Neo4j 5's scoped CALL: `CALL (a, b) { ... }` imports a and b, `CALL (*) { ... }`
 * everything, `CALL () { ... }` nothing. Its body may not start with an importing
 * WITH, so the body is given one (`WITH a, b` / `WITH *`) and read as CALL { } is.
 */
const SCOPED_CALL = /^call\s*\(\s*(\*|[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)?\s*\)\s*\{/i;

/**
 * The text with every outermost EXISTS { } / COUNT { } / COLLECT { } / CALL { } replaced, or null
 * when it has none (the usual case: the text is then parsed untouched). An
 * unbalanced brace leaves the text as it is, for the grammar to report.
 */
export function extractSubqueries(text: string): Extracted | null {
  const bodies: Extracted['bodies'] = [];
  let unbalanced = false;
  const out = rewriteOutsideQuoted(text, (i) => {
    // every opener starts with c (CALL, COUNT, COLLECT) or e (EXISTS): other words cost no slice
    const first = text[i];
    if (unbalanced || (first !== 'c' && first !== 'C' && first !== 'e' && first !== 'E')) return null;
    const head = text.slice(i, i + 400);
    const m = OPENER.exec(head);
    const scoped = m ? null : SCOPED_CALL.exec(head);
    const opener = m ?? scoped;
    if (!opener) return null;
    const open = i + opener[0].length - 1;
    const close = matchingBrace(text, open);
    if (close === -1) {
      unbalanced = true;
      return null;
    }
    const kind = m ? ((m[1] as string).toLowerCase() as Extracted['bodies'][number]['kind']) : 'call';
    const imports = scoped?.[1] === undefined ? '' : `WITH ${scoped[1]} `;
    bodies.push({ kind, body: imports + text.slice(open + 1, close) });
    return { write: kind === 'call' ? `CALL ${CALL_SUBQUERY_PROCEDURE}(${bodies.length - 1})` : `${SUBQUERY_FUNCTION}(${bodies.length - 1})`, next: close + 1 };
  });
  if (unbalanced) return null;
  return bodies.length > 0 ? { text: out, bodies } : null;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    const skip = skipQuoted(text, i);
    if (skip > 0) {
      i += skip;
      continue;
    }
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
    i++;
  }
  return -1;
}

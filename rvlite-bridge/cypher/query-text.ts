/**
 * Scanning Cypher text outside strings, comments and `quoted names`, for the
 * pre-passes that run before the grammar (subqueries.ts, and octal literals
 * below).
 */

/** Length of the string, comment or quoted name starting at i, or 0. */
export function skipQuoted(text: string, i: number): number {
  const ch = text[i];
  if (ch === "'" || ch === '"' || ch === '`') {
    let j = i + 1;
    while (j < text.length && text[j] !== ch) j += text[j] === '\\' && ch !== '`' ? 2 : 1;
    return j + 1 - i;
  }
  if (ch === '/' && text[i + 1] === '/') {
    const end = text.indexOf('\n', i);
    return (end === -1 ? text.length : end) - i;
  }
  if (ch === '/' && text[i + 1] === '*') {
    const end = text.indexOf('*/', i + 2);
    return (end === -1 ? text.length : end + 2) - i;
  }
  return 0;
}

/**
 * `text` rewritten outside strings, comments and quoted names: at each
 * position where a word may start (not after a letter, digit, `_`, `$` or
 * `.`), `at(i)` gives the text to write there and the position to go on
 * from, or null to keep the character. Strings and comments are copied as
 * they are.
 */
export function rewriteOutsideQuoted(text: string, at: (i: number) => { write: string; next: number } | null): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const skip = skipQuoted(text, i);
    if (skip > 0) {
      out += text.slice(i, i + skip);
      i += skip;
      continue;
    }
    const hit = /[A-Za-z0-9_$.]/.test(i === 0 ? '' : (text[i - 1] as string)) ? null : at(i);
    if (hit) {
      out += hit.write;
      i = hit.next;
      continue;
    }
    out += text[i];
    i++;
  }
  return out;
}

/**
 * The text with openCypher's `0o17` octal literals written as the grammar of
 * @neo4j-cypher/antlr4 reads octal (`00017`, a leading zero): it predates
 * the `0o` prefix. The length stays the same, so syntax error positions
 * still point into the caller's text.
 */
export function octalForGrammar(text: string): string {
  if (!/0o/i.test(text)) return text;
  return rewriteOutsideQuoted(text, (i) => {
    const m = /^0[oO]([0-7]+)(?![A-Za-z0-9_$])/.exec(text.slice(i, i + 64));
    return m ? { write: `00${m[1] as string}`, next: i + m[0].length } : null;
  });
}

/** Brackets nested deeper than this are refused before the grammar reads the text (see bracketsTooDeep). */
export const MAX_BRACKET_DEPTH = 200;

/**
 * Whether `(`, `[` and `{` nest deeper than MAX_BRACKET_DEPTH outside strings,
 * comments and quoted names. The grammar's parser takes time that grows
 * faster than the depth (300 levels: 1.5 s, 500: past the 5 s query limit),
 * so such a text met the time limit with advice to add a LIMIT, where it
 * should be told it nests too deeply.
 */
export function bracketsTooDeep(text: string): boolean {
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const skip = skipQuoted(text, i);
    if (skip > 0) {
      i += skip;
      continue;
    }
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{') {
      if (++depth > MAX_BRACKET_DEPTH) return true;
    } else if (ch === ')' || ch === ']' || ch === '}') depth--;
    i++;
  }
  return false;
}

/**
 * A token scanner for SPARQL text, just precise enough to find keywords that
 * oxigraph cannot be trusted to refuse (SERVICE SILENT and LOAD SILENT succeed
 * quietly), the prologue (oxigraph rejects PREFIX after ';', so the update
 * probe has to go after it), the query form and top-level ';'. It never
 * decides whether text is valid: oxigraph's parsers do.
 *
 * Strings, IRIs and comments are skipped whole so that a keyword inside them
 * is not one; prefixed names, variables, blank node labels and language tags
 * are single tokens so that `ex:service` or `?load` are not keywords either.
 */

export type TokenKind = 'word' | 'pname' | 'var' | 'iri' | 'string' | 'lang' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

// Characters of names: ASCII letters, digits, '_', '-', '.', ':', '%', '\' (PN_LOCAL_ESC) and all non-ASCII.
const NAME_CHAR = /[A-Za-z0-9_\-.:%\\\u00B7\u00C0-\uFFFF]/;
const IRIREF = /<[^<>"{}|^`\\\u0000-\u0020]*>/y;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (c === '"' || c === "'") {
      const end = stringEnd(text, i);
      tokens.push({ kind: 'string', text: text.slice(i, end), start: i, end });
      i = end;
    } else if (c === '<' && iriAt(text, i) !== null) {
      const iri = iriAt(text, i) as string;
      tokens.push({ kind: 'iri', text: iri, start: i, end: i + iri.length });
      i += iri.length;
    } else if ((c === '?' || c === '$' || c === '@') && i + 1 < text.length && NAME_CHAR.test(text[i + 1] as string)) {
      const end = nameEnd(text, i + 1);
      tokens.push({ kind: c === '@' ? 'lang' : 'var', text: text.slice(i, end), start: i, end });
      i = end;
    } else if (NAME_CHAR.test(c)) {
      const end = nameEnd(text, i);
      const word = text.slice(i, end);
      tokens.push({ kind: word.includes(':') ? 'pname' : 'word', text: word, start: i, end });
      i = end;
    } else {
      tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

function iriAt(text: string, at: number): string | null {
  IRIREF.lastIndex = at;
  return IRIREF.exec(text)?.[0] ?? null;
}

/** End of the string literal starting at `start` (one of ' " ''' """), or the text's end if unterminated. */
function stringEnd(text: string, start: number): number {
  const q = text[start] as string;
  const long = text.startsWith(q.repeat(3), start);
  const close = long ? q.repeat(3) : q;
  let i = start + close.length;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (text.startsWith(close, i)) return i + close.length;
    else if (!long && (c === '\n' || c === '\r')) return i;
    else i++;
  }
  return text.length;
}

/** End of a name; a name never ends with '.', which is then the triple terminator. */
function nameEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length && NAME_CHAR.test(text[i] as string)) i += text[i] === '\\' ? 2 : 1;
  while (i > start + 1 && text[i - 1] === '.') i--;
  return Math.min(i, text.length);
}

function isWord(t: Token | undefined, word: string): boolean {
  return t !== undefined && t.kind === 'word' && t.text.toUpperCase() === word;
}

/** Index of the first token after the prologue (BASE <iri> and PREFIX ns: <iri> declarations). */
export function prologueLength(tokens: Token[]): number {
  let i = 0;
  for (;;) {
    if (isWord(tokens[i], 'BASE') && tokens[i + 1]?.kind === 'iri') i += 2;
    else if (isWord(tokens[i], 'PREFIX') && tokens[i + 1]?.kind === 'pname' && tokens[i + 2]?.kind === 'iri') i += 3;
    else return i;
  }
}

export type QueryForm = 'SELECT' | 'CONSTRUCT' | 'DESCRIBE' | 'ASK' | 'OTHER';

/** The query form named by the first keyword after the prologue. */
export function queryForm(tokens: Token[]): QueryForm {
  const t = tokens[prologueLength(tokens)];
  const word = t?.kind === 'word' ? t.text.toUpperCase() : '';
  return word === 'SELECT' || word === 'CONSTRUCT' || word === 'DESCRIBE' || word === 'ASK' ? word : 'OTHER';
}

/** Whether `keyword` (upper case) appears as a keyword, not inside a string, IRI, comment or name. */
export function hasKeyword(tokens: Token[], keyword: string): boolean {
  return tokens.some((t) => isWord(t, keyword));
}

/** Offsets of ';' tokens outside strings, IRIs and comments. */
export function semicolonOffsets(tokens: Token[]): number[] {
  return tokens.filter((t) => t.kind === 'punct' && t.text === ';').map((t) => t.start);
}

/**
 * Constructs of newer Neo4j Cypher that the openCypher grammar (parse-tree.ts)
 * does not know, recognised from the tokens around a syntax error so the
 * refusal can name them and say what to write instead. Agents write them out
 * of habit (a Neo4j memory server starts with CREATE CONSTRAINT ... REQUIRE and
 * sets labels with `e:$(entity.type)`); a bare syntax error with a list of
 * 150 expected tokens tells them nothing.
 */
/** `SHOW ...` only reads; the other schema commands would write. */
export type UnparsedConstruct = 'schema command' | 'show command' | 'dynamic label';

const INDEX_KINDS = new Set(['FULLTEXT', 'TEXT', 'RANGE', 'POINT', 'VECTOR', 'LOOKUP', 'BTREE']);

/**
 * `words`: the query's tokens the parser reads, in order (whitespace and
 * comments left out); `offending`: the position in `words` of the token the
 * first syntax error is at, or -1 when the lexer failed.
 */
export function unparsedConstruct(words: readonly string[], offending: number): UnparsedConstruct | null {
  const [a, b, c] = words.slice(0, 3).map((w) => w.toUpperCase());
  if (a === 'SHOW') return 'show command';
  if ((a === 'CREATE' || a === 'DROP') && (b === 'CONSTRAINT' || b === 'INDEX' || (b !== undefined && INDEX_KINDS.has(b) && c === 'INDEX'))) return 'schema command';
  if (a === 'CREATE' && b === 'OR' && c === 'REPLACE') return 'schema command';
  // `n:$(expr)`, `n:$param`, `[r:$(expr)]`: a label or type chosen at run time (Neo4j 5.26)
  if (offending > 0 && words[offending] === '$' && words[offending - 1] === ':') return 'dynamic label';
  return null;
}

/** ANTLR's message without its list of expected tokens when the list is too long to help. */
export function shortSyntaxMessage(message: string): string {
  return message.replace(/ expecting \{([^}]*)\}/, (whole, list: string) => (list.split(',').length > 6 ? '' : whole));
}

/**
 * What to write instead, for a syntax error at a word people bring from SQL or
 * GQL: the grammar's own message only says the word was not expected.
 */
export function syntaxHint(words: readonly string[], offending: number): string | null {
  const word = words[offending]?.toUpperCase();
  const next = words[offending + 1]?.toUpperCase();
  if (word === 'OFFSET') return 'Cypher skips rows with SKIP: write SKIP n (before LIMIT)';
  if (word === 'ILIKE' || word === 'LIKE') return "Cypher has no LIKE: use toLower(x) CONTAINS toLower($s), STARTS WITH, or a regular expression x =~ '(?i)ann.*'";
  if (word === 'NULLS' && (next === 'LAST' || next === 'FIRST')) return 'Cypher sorts null after every value (first when DESC) and has no NULLS FIRST/LAST: sort by coalesce(x, fallback) or by x IS NULL first';
  return null;
}

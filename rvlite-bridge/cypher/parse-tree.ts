import { createRequire } from 'node:module';
import { octalForGrammar } from './query-text.ts';
import { shortSyntaxMessage, syntaxHint, unparsedConstruct, type UnparsedConstruct } from './unparsed-constructs.ts';

/**
 * Runs the openCypher grammar of `@neo4j-cypher/antlr4` (the grammar of
 * Neo4j's cypher-editor) and returns a plain, typed copy of its parse tree.
 *
 * Measured before choosing it: the package parses every construct this layer
 * needs, names every clause type, and costs about 200 ms on the first parse
 * (building its ATN tables) and a few ms after; queries are also cached by
 * text in parse.ts. It ships CommonJS plus an ES build whose imports lack
 * file extensions (Node cannot load it), so it is loaded with require, and it
 * has no type declarations, so the few members used are typed here.
 *
 * The grammar keeps whitespace and comments as SP tokens in the tree; they
 * are dropped here so the AST builder only sees meaningful tokens.
 */

/** The ANTLR channel the parser does not read. */
const HIDDEN_CHANNEL = 1;

interface AntlrToken {
  type: number;
  /** 0 for tokens the parser reads; any other channel hides a token from it */
  channel: number;
  start: number;
  stop: number;
  line: number;
  column: number;
}

interface AntlrTree {
  ruleIndex?: number;
  symbol?: AntlrToken;
  children?: AntlrTree[] | null;
  start?: AntlrToken;
  stop?: AntlrToken | null;
}

interface ErrorListener {
  syntaxError(recognizer: unknown, offending: unknown, line: number, column: number, message: string): void;
  reportAmbiguity(): void;
  reportAttemptingFullContext(): void;
  reportContextSensitivity(): void;
}

interface Recognizer {
  removeErrorListeners(): void;
  addErrorListener(listener: ErrorListener): void;
}

interface AntlrParser extends Recognizer {
  ruleNames: string[];
  symbolicNames: (string | null)[];
  literalNames: (string | null)[];
  cypher(): AntlrTree;
}

interface AntlrModule {
  CypherLexer: new (input: unknown) => Recognizer;
  CypherParser: (new (tokens: unknown) => AntlrParser) & Record<string, number>;
}

interface TokenStream {
  fill(): void;
  tokens: (AntlrToken & { text: string })[];
}

interface AntlrRuntime {
  InputStream: new (text: string) => unknown;
  CommonTokenStream: new (lexer: unknown) => TokenStream;
}

/**
 * Function names the grammar lexes as keywords, so `labels(n)`, `type(r)` or
 * `replace(s, a, b)` would not parse as calls. When such a token is directly
 * followed by `(` it is re-typed as a plain name before parsing.
 */
const KEYWORD_FUNCTIONS = new Set(['labels', 'type', 'replace', 'nodes', 'relationships', 'keys', 'properties', 'range', 'index']);

const require = createRequire(import.meta.url);
let loaded: { grammar: AntlrModule; runtime: AntlrRuntime } | undefined;

function antlr(): { grammar: AntlrModule; runtime: AntlrRuntime } {
  if (!loaded) {
    const grammar = require('@neo4j-cypher/antlr4') as AntlrModule;
    const runtimeModule = require('@neo4j-cypher/antlr4-browser') as { default?: AntlrRuntime } & AntlrRuntime;
    loaded = { grammar, runtime: runtimeModule.default ?? runtimeModule };
  }
  return loaded;
}

/** A node of the parse tree: a rule with children, or a token. */
export interface PTree {
  /** the grammar rule name, for rule nodes */
  rule: string | null;
  /** the token name (e.g. `MATCH`, `StringLiteral`, `(`), for tokens */
  token: string | null;
  /** the source text this node covers */
  text: string;
  children: PTree[];
}

export interface ParsedTree {
  tree: PTree;
  /** syntax errors as "line:column message" */
  errors: string[];
  /** a construct of newer Cypher the first syntax error is at, when it is one the grammar lacks */
  unparsed: UnparsedConstruct | null;
  /** what to write instead, when the first syntax error is at a word from SQL or GQL (OFFSET, LIKE) */
  hint: string | null;
}

export function parseTree(query: string): ParsedTree {
  const { grammar, runtime } = antlr();
  const errors: string[] = [];
  let offending: AntlrToken | null = null;
  const listener: ErrorListener = {
    syntaxError: (_r, o, line, column, message) => {
      if (errors.length === 0) offending = (o as AntlrToken | null) ?? null;
      errors.push(`line ${line}:${column + 1} ${shortSyntaxMessage(message)}`);
    },
    reportAmbiguity: () => {},
    reportAttemptingFullContext: () => {},
    reportContextSensitivity: () => {},
  };
  const lexer = new grammar.CypherLexer(new runtime.InputStream(octalForGrammar(query)));
  lexer.removeErrorListeners();
  lexer.addErrorListener(listener);
  const stream = new runtime.CommonTokenStream(lexer);
  stream.fill();
  const nameType = grammar.CypherParser.UnescapedSymbolicName as number;
  const spType = grammar.CypherParser.SP as number;
  const all = stream.tokens;
  for (let i = 0; i < all.length; i++) {
    const t = all[i] as AntlrToken & { text: string };
    if (!KEYWORD_FUNCTIONS.has(t.text.toLowerCase())) continue;
    let j = i + 1;
    while (j < all.length && (all[j] as AntlrToken).type === spType) j++;
    if (all[j]?.text === '(') t.type = nameType;
  }
  hideToleratedSpace(all, spType, grammar.CypherParser.EOF as number);
  const parser = new grammar.CypherParser(stream);
  parser.removeErrorListeners();
  parser.addErrorListener(listener);
  const root = parser.cypher();

  const tokenName = (type: number): string => {
    if (type === -1) return 'EOF';
    const symbolic = parser.symbolicNames[type];
    if (symbolic) return symbolic;
    const literal = parser.literalNames[type];
    return literal ? literal.replace(/^'|'$/g, '') : `#${type}`;
  };

  const convert = (node: AntlrTree): PTree | null => {
    if (node.symbol) {
      const name = tokenName(node.symbol.type);
      if (name === 'SP' || name === 'EOF') return null;
      const text = node.symbol.start >= 0 ? query.slice(node.symbol.start, node.symbol.stop + 1) : '';
      return { rule: null, token: name, text, children: [] };
    }
    const children: PTree[] = [];
    for (const c of node.children ?? []) {
      const converted = convert(c);
      if (converted) children.push(converted);
    }
    const start = node.start?.start ?? 0;
    const stop = node.stop ? node.stop.stop + 1 : start;
    const rule = node.ruleIndex !== undefined ? (parser.ruleNames[node.ruleIndex] ?? '?') : '?';
    return { rule, token: null, text: query.slice(start, Math.max(start, stop)).trim(), children };
  };
  const tree = convert(root) ?? { rule: 'cypher', token: null, text: '', children: [] };
  let unparsed: UnparsedConstruct | null = null;
  let hint: string | null = null;
  if (errors.length > 0) {
    const read = all.filter((t) => t.channel === 0 && t.type !== spType && t.type !== (grammar.CypherParser.EOF as number));
    const words = read.map((t) => t.text);
    const at = offending === null ? -1 : read.indexOf(offending);
    unparsed = unparsedConstruct(words, at);
    hint = syntaxHint(words, at);
  }
  return { tree, errors, unparsed, hint };
}

/**
 * Hides whitespace the grammar refuses but people and agents write all the
 * time, so it parses as if it were not there: after a colon (`(n: Label)`,
 * `[r: TYPE]`, `n: Label`; the grammar allows none there, and no construct
 * needs whitespace after a colon), and after a final `;` (the grammar takes
 * `;` followed by whitespace as the start of a second statement).
 */
function hideToleratedSpace(tokens: (AntlrToken & { text: string })[], spType: number, eofType: number): void {
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i] as AntlrToken;
    if (t.type === spType && tokens[i - 1]?.text === ':') t.channel = HIDDEN_CHANNEL;
  }
  let last = tokens.length - 1;
  while (last >= 0 && ((tokens[last] as AntlrToken).type === eofType || (tokens[last] as AntlrToken).type === spType)) last--;
  if (last < 0 || tokens[last]?.text !== ';') return;
  for (let i = last + 1; i < tokens.length; i++) {
    const t = tokens[i] as AntlrToken;
    if (t.type === spType) t.channel = HIDDEN_CHANNEL;
  }
}

import { isStackOverflow } from '../stack-overflow.ts';
import { isAggregate } from './compile-expr.ts';
import { checkQuery } from './semantic-check.ts';
import type { Clause, Direction, Expr, MapProjectionItem, NodePattern, Pattern, Projection, ProjectionItem, Query, RelPattern, RemoveItem, SetItem, SortItem } from './ast.ts';
import { WRITE_CLAUSE_KINDS } from './ast.ts';
import { CypherError, invalid, unsupported } from './errors.ts';
import { parseTree, type PTree } from './parse-tree.ts';
import { bracketsTooDeep } from './query-text.ts';
import { CALL_SUBQUERY_PROCEDURE, extractSubqueries, SUBQUERY_FUNCTION, type Extracted } from './subqueries.ts';

/**
 * Turns Cypher text into the typed AST of ast.ts by walking the openCypher
 * parse tree (parse-tree.ts). Every grammar construct this layer does not
 * compile is refused here by name, so nothing is dropped later.
 *
 * Whether a query writes is decided from the tree (isWriteTree), never from
 * the text: a write clause is a write wherever it sits (after MATCH, WITH,
 * UNWIND, in any letter case, behind comments), and so are schema and admin
 * commands.
 */

const WRITE_RULES = new Set(['createClause', 'createUniqueClause', 'mergeClause', 'setClause', 'deleteClause', 'removeClause', 'foreachClause', 'command', 'systemCommand', 'mergeAction']);
const WRITE_TOKENS = new Set(['CREATE', 'MERGE', 'SET', 'DELETE', 'DETACH', 'REMOVE', 'FOREACH', 'DROP', 'LOAD']);

// ------------------------------------------------------------ tree helpers

function kids(n: PTree, rule: string): PTree[] {
  return n.children.filter((c) => c.rule === rule);
}

function kid(n: PTree, rule: string): PTree | null {
  return n.children.find((c) => c.rule === rule) ?? null;
}

function need(n: PTree, rule: string): PTree {
  const c = kid(n, rule);
  if (!c) throw invalid(`could not read ${JSON.stringify(n.text)} (expected ${rule}); check the syntax.`);
  return c;
}

function hasToken(n: PTree, token: string): boolean {
  return n.children.some((c) => c.token === token);
}

function containsRule(n: PTree, rules: ReadonlySet<string>): boolean {
  if (n.rule !== null && rules.has(n.rule)) return true;
  return n.children.some((c) => containsRule(c, rules));
}

function containsToken(n: PTree, tokens: ReadonlySet<string>): boolean {
  if (n.token !== null && tokens.has(n.token)) return true;
  return n.children.some((c) => containsToken(c, tokens));
}

/** A name: plain, or in backticks with `` for a backtick. */
function symbolicName(n: PTree): string {
  const t = n.text;
  if (t.startsWith('`') && t.endsWith('`') && t.length >= 2) return t.slice(1, -1).replace(/``/g, '`');
  return t;
}

function nameOf(n: PTree, rule: string): string {
  return symbolicName(need(n, rule));
}

// ------------------------------------------------------------ entry points

/**
 * True when the query has a write clause. A query the grammar cannot parse
 * counts as a write when it holds any write keyword token, so a malformed
 * write is never routed as a read.
 */
export function isWriteText(query: string): boolean {
  // the query child asks this before it runs the query: a repeated query (a batch sent again) is parsed once
  let hit = writesCache.get(query);
  // too deep to run at all, which runCypher says; parsing it here would take seconds
  if (hit === undefined && bracketsTooDeep(query)) hit = false;
  if (hit === undefined) {
    try {
      hit = isWriteTextUncached(query);
    } catch (err) {
      // nested too deeply to parse: it cannot run at all, and runCypher says why (tooDeep)
      if (!isStackOverflow(err)) throw err;
      hit = false;
    }
    if (writesCache.size >= CACHE_SIZE) writesCache.delete(writesCache.keys().next().value as string);
    writesCache.set(query, hit);
  }
  return hit;
}

const writesCache = new Map<string, boolean>();

function isWriteTextUncached(query: string): boolean {
  const ex = extractSubqueries(query);
  if (ex) return isWriteText(ex.text) || ex.bodies.some((b) => isWriteText(b.body));
  const { tree, errors, unparsed } = parseTree(query);
  // refused either way, but as what it is: SHOW reads, so a read-only server should not suggest --write
  if (unparsed === 'show command') return false;
  if (containsRule(tree, WRITE_RULES)) return true;
  return errors.length > 0 && containsToken(tree, WRITE_TOKENS);
}

const cache = new Map<string, Query | CypherError>();
const CACHE_SIZE = 200;

/** The AST of `query`; throws CypherError for syntax errors and unsupported constructs. */
export function parseQuery(query: string): Query {
  let hit = cache.get(query);
  if (hit === undefined) {
    try {
      hit = build(query);
    } catch (err) {
      if (!(err instanceof CypherError)) throw err;
      hit = err;
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(query, hit);
  }
  if (hit instanceof CypherError) {
    const copy = new CypherError(hit.code, hit.message);
    if (errorWrites(hit)) (copy as CypherError & { writes?: boolean }).writes = true;
    throw copy;
  }
  return hit;
}

/** The bodies of the EXISTS { } / COUNT { } subqueries of the query being built, innermost last. */
const subqueryStack: Extracted['bodies'][] = [];

/**
 * `check` runs the scope and type pass (semantic-check.ts) on the clauses; a
 * CALL { } body is built without it, since its imported variables are
 * defined outside it: the pass checks the body as part of the whole query.
 */
function build(query: string, check = true): Query {
  const ex = extractSubqueries(query);
  if (!ex) return buildText(query, false, check);
  subqueryStack.push(ex.bodies);
  try {
    // a subquery that writes makes the query a write, so a read-only caller refuses it as one
    return buildText(ex.text, ex.bodies.some((b) => isWriteText(b.body)), check);
  } finally {
    subqueryStack.pop();
  }
}

/**
 * `CALL { ... }` number `index` of the query being built. A leading `WITH a,
 * b` of plain variables (or `WITH *`) imports them from the outer row;
 * anything else at the start is the body's own. The body may read and
 * write, and ends with a RETURN of named columns or with none.
 */
function callSubquery(index: number): Clause {
  const found = subqueryStack[subqueryStack.length - 1]?.[index];
  if (!found || found.kind !== 'call') throw unsupported(`the procedure ${CALL_SUBQUERY_PROCEDURE}`, 'write the subquery as CALL { ... }');
  const text = found.body.trim();
  const inner = build(text, false);
  if (inner.union) throw unsupported('UNION inside CALL { }', 'run the UNION as a query of its own, or put UNION between whole queries');
  let body = inner.clauses;
  let imports: string[] | null = [];
  const first = body[0];
  if (first?.kind === 'with' && isImport(first)) {
    imports = first.projection.star ? null : first.projection.items.map((i) => i.name);
    body = body.slice(1);
  }
  const last = body[body.length - 1];
  let returns: string[] | null = null;
  if (last?.kind === 'return') {
    if (last.projection.star) throw unsupported('RETURN * at the end of CALL { }', 'name the columns the subquery returns');
    returns = last.projection.items.map((i) => i.name);
  }
  for (const c of body.slice(0, -1)) if (c.kind === 'return') throw invalid('RETURN must be the last clause of CALL { }; use WITH between the clauses.');
  return { kind: 'callSubquery', imports, body, returns };
}

/** `WITH a, b` (or `WITH *`) of plain variables, nothing else: what imports variables into CALL { }. */
function isImport(c: Extract<Clause, { kind: 'with' }>): boolean {
  const p = c.projection;
  if (c.where || p.distinct || p.order.length > 0 || p.skip || p.limit) return false;
  if (p.star) return p.items.length === 0;
  return p.items.length > 0 && p.items.every((i) => i.expr.kind === 'var' && i.expr.name === i.name);
}

/** `EXISTS { ... }` / `COUNT { ... }` number `index` of the query being built: one MATCH, as a pattern or a query. */
function subquery(index: number): Expr {
  const bodies = subqueryStack[subqueryStack.length - 1];
  const found = bodies?.[index];
  if (!found) throw unsupported(`the function ${SUBQUERY_FUNCTION}`, 'use EXISTS { MATCH ... } or COUNT { MATCH ... }');
  const body = found.body.trim();
  if (found.kind === 'call') throw unsupported(`the function ${SUBQUERY_FUNCTION}`, 'use EXISTS { MATCH ... } or COUNT { MATCH ... }');
  // COLLECT's body is always a query (it must RETURN); EXISTS and COUNT may be a bare pattern
  if (found.kind === 'collect') {
    if (!/^MATCH\b/i.test(body)) throw unsupported(`the subquery COLLECT { ${body} }`, COLLECT_FORM);
    return collectSubquery(body, build(body));
  }
  const inner = build(/^MATCH\b/i.test(body) || /^OPTIONAL\s+MATCH\b/i.test(body) ? body : `MATCH ${body}`);
  const count = found.kind === 'count';
  const what = count ? 'COUNT { }' : 'EXISTS { }';
  if (inner.writes) throw invalid(`${what} cannot write; move the write out of the subquery.`);
  const [match, ret, ...rest] = inner.clauses;
  const simpleReturn = ret === undefined || (ret.kind === 'return' && !ret.projection.distinct && ret.projection.order.length === 0 && !ret.projection.skip && !ret.projection.limit);
  if (inner.union || !match || match.kind !== 'match' || match.optional || rest.length > 0 || !simpleReturn) {
    throw unsupported(`the subquery ${count ? 'COUNT' : 'EXISTS'} { ${body} }`, `write it as ${what.replace('{ }', '{ MATCH pattern WHERE condition }')} (one MATCH, an optional plain RETURN)`);
  }
  return { kind: 'subquery', count, patterns: match.patterns, where: match.where };
}

/** The refusal of CREATE INDEX / CONSTRAINT, SHOW and the other schema and administration commands. */
function schemaCommand(): CypherError {
  return new CypherError(
    'EUNSUPPORTED',
    'Cypher: schema and administration commands (CREATE INDEX or CONSTRAINT, SHOW, DROP, databases, users) are not supported; the graph is schemaless and needs none (node names are indexed, and MERGE on a key creates each entity once), so skip the command.',
  );
}

const COLLECT_FORM =
  'write it as COLLECT { MATCH pattern WHERE condition RETURN value } (one MATCH of one pattern, a RETURN of one value without DISTINCT, ORDER BY or LIMIT), or as a pattern comprehension [pattern WHERE condition | value]';

/**
 * `COLLECT { MATCH pattern [WHERE ...] RETURN value }`: the list of the value over
 * the pattern's matches, which is what the pattern comprehension
 * `[pattern WHERE ... | value]` gives, so it becomes one.
 */
function collectSubquery(body: string, inner: Query): Expr {
  if (inner.writes) throw invalid('COLLECT { } cannot write; move the write out of the subquery.');
  const [match, ret, ...rest] = inner.clauses;
  const p = ret?.kind === 'return' ? ret.projection : null;
  const plain = p !== null && !p.star && !p.distinct && p.order.length === 0 && !p.skip && !p.limit && p.items.length === 1 && !isAggregate(p.items[0]?.expr as Expr);
  if (inner.union || match?.kind !== 'match' || match.optional || match.patterns.length !== 1 || rest.length > 0 || !plain) {
    throw unsupported(`the subquery COLLECT { ${body} }`, COLLECT_FORM);
  }
  return { kind: 'patternComprehension', pattern: match.patterns[0] as Pattern, where: match.where, project: (p as Projection).items[0]?.expr as Expr };
}

function buildText(query: string, innerWrites: boolean, check = true): Query {
  const { tree, errors, unparsed, hint } = parseTree(query);
  const writes = innerWrites || containsRule(tree, WRITE_RULES) || (errors.length > 0 && containsToken(tree, WRITE_TOKENS));
  if (unparsed === 'schema command' || unparsed === 'show command') return failWith(schemaCommand(), writes && unparsed === 'schema command');
  if (unparsed === 'dynamic label') {
    return failWith(
      unsupported(`a label or relationship type chosen at run time (:$(...), at line ${(errors[0] as string).split(' ')[1]})`, 'write labels and types literally, e.g. store the kind as a property (SET e.type = row.type) or run one query per type'),
      writes,
    );
  }
  if (errors.length > 0) {
    const err = invalid(`syntax error at ${errors[0]}; ${hint ?? 'fix the query text'}.`);
    // A malformed write is reported as a write so a read-only caller refuses it the same way.
    (err as CypherError & { writes?: boolean }).writes = writes;
    throw err;
  }
  const parts = kids(tree, 'cypherPart');
  if (parts.length !== 1) throw invalid('send exactly one statement per call (no semicolon-separated list).');
  const part = parts[0] as PTree;
  if (kid(part, 'cypherConsoleCommand')) throw unsupported('a console command (:command)', 'send a Cypher query');
  const cq = need(part, 'cypherQuery');
  const options = kid(cq, 'queryOptions');
  if (options && options.children.length > 0) throw unsupported(`the query option ${JSON.stringify(options.text)}`, 'send the query without EXPLAIN, PROFILE or CYPHER options');
  const statement = need(cq, 'statement');
  if (kid(statement, 'command') || kid(statement, 'systemCommand')) {
    return failWith(schemaCommand(), writes);
  }
  const q = need(statement, 'query');
  if (kid(q, 'bulkImportQuery')) return failWith(unsupported('USING PERIODIC COMMIT / LOAD CSV', 'pass rows as a $parameter list and UNWIND it'), writes);
  const regular = need(q, 'regularQuery');
  const unions = kids(regular, 'union');
  let queryParts: Clause[][];
  try {
    // openCypher: one query may not mix UNION and UNION ALL (their meaning together would depend on grouping)
    const alls = new Set(unions.map((u) => hasToken(u, 'ALL')));
    if (alls.size > 1) throw invalid('a query cannot mix UNION and UNION ALL; use one of them between all parts.');
    queryParts = [need(regular, 'singleQuery'), ...unions.map((u) => need(u, 'singleQuery'))].map((single) => kids(single, 'clause').map(clause));
    // scope and type errors are the query's own, whatever the graph holds: find them before anything runs
    if (check) for (const clauses of queryParts) checkQuery(clauses);
    // a CALL { } runs row by row in run-write.ts; UNION parts are compiled as one SQL statement
    if (unions.length > 0 && queryParts.some((clauses) => clauses.some((c) => c.kind === 'callSubquery'))) {
      throw unsupported('CALL { } in a part of a UNION', 'run that part as a query of its own');
    }
  } catch (err) {
    if (err instanceof CypherError) failWith(err, writes);
    throw err;
  }
  const hasWrite = queryParts.some((clauses) => clauses.some((c) => WRITE_CLAUSE_KINDS.has(c.kind)));
  const result: Query = { clauses: queryParts[0] as Clause[], writes: writes || hasWrite };
  if (unions.length > 0) result.union = { all: hasToken(unions[0] as PTree, 'ALL'), parts: queryParts };
  return result;
}

/** Unsupported write-ish statements still report that they write, for the read-only gate. */
function failWith(err: CypherError, writes: boolean): never {
  (err as CypherError & { writes?: boolean }).writes = writes;
  throw err;
}

/** Whether a CypherError came from a query that would write (set by build for refused statements). */
export function errorWrites(err: CypherError): boolean {
  return (err as CypherError & { writes?: boolean }).writes === true;
}

// ------------------------------------------------------------ clauses

function clause(c: PTree): Clause {
  const n = c.children[0];
  if (!n || n.rule === null) throw invalid(`could not read clause ${JSON.stringify(c.text)}; check the syntax.`);
  switch (n.rule) {
    case 'matchClause': {
      if (kids(n, 'hint').length > 0) throw unsupported('USING hints', 'remove the USING clause');
      const where = kid(n, 'where');
      return { kind: 'match', optional: hasToken(n, 'OPTIONAL'), patterns: pattern(need(n, 'pattern')), where: where ? expression(need(where, 'expression')) : null };
    }
    case 'unwindClause':
      return { kind: 'unwind', expr: expression(need(n, 'expression')), variable: nameOf(n, 'variable') };
    case 'withClause': {
      const where = kid(n, 'where');
      return { kind: 'with', projection: projection(n), where: where ? expression(need(where, 'expression')) : null };
    }
    case 'returnClause':
      return { kind: 'return', projection: projection(n) };
    case 'call':
      return call(n);
    case 'createClause':
      return { kind: 'create', patterns: pattern(need(n, 'pattern')) };
    case 'mergeClause': {
      const onCreate: SetItem[] = [];
      const onMatch: SetItem[] = [];
      for (const action of kids(n, 'mergeAction')) {
        const items = kids(need(action, 'setClause'), 'setItem').map(setItem);
        (hasToken(action, 'CREATE') ? onCreate : onMatch).push(...items);
      }
      return { kind: 'merge', pattern: patternPart(need(n, 'patternPart')), onCreate, onMatch };
    }
    case 'setClause':
      return { kind: 'set', items: kids(n, 'setItem').map(setItem) };
    case 'removeClause':
      return { kind: 'remove', items: kids(n, 'removeItem').map(removeItem) };
    case 'deleteClause':
      return { kind: 'delete', detach: hasToken(n, 'DETACH'), exprs: kids(n, 'expression').map(expression) };
    case 'createUniqueClause':
      throw unsupported('CREATE UNIQUE', 'use MERGE');
    case 'foreachClause': {
      const inner = kids(n, 'clause').map(clause);
      for (const c of inner) {
        if (!WRITE_CLAUSE_KINDS.has(c.kind)) throw invalid(`FOREACH may only hold CREATE, MERGE, SET, REMOVE, DELETE or FOREACH, not ${c.kind.toUpperCase()}; move the read before FOREACH.`);
      }
      return { kind: 'foreach', variable: nameOf(n, 'variable'), list: expression(need(n, 'expression')), clauses: inner };
    }
    case 'loadCSVClause':
      throw unsupported('LOAD CSV', 'pass rows as a $parameter list and UNWIND it');
    case 'startClause':
      throw unsupported('START', 'use MATCH');
    default:
      throw unsupported(`the clause ${JSON.stringify(n.text.split(/\s/)[0])}`, 'use MATCH, OPTIONAL MATCH, UNWIND, WITH, RETURN, CALL rvf.knn, CREATE, MERGE, SET, REMOVE or DELETE');
  }
}

function projection(n: PTree): Projection {
  const body = need(n, 'returnBody');
  const itemsNode = need(body, 'returnItems');
  if (kid(itemsNode, 'func')) throw unsupported('a procedure call inside RETURN', 'use CALL ... YIELD before RETURN');
  const items: ProjectionItem[] = kids(itemsNode, 'returnItem').map((item) => {
    const expr = expression(need(item, 'expression'));
    const alias = kid(item, 'variable');
    return { expr, name: alias ? symbolicName(alias) : need(item, 'expression').text, aliased: alias !== null };
  });
  const order: SortItem[] = [];
  const orderNode = kid(body, 'order');
  if (orderNode) {
    for (const s of kids(orderNode, 'sortItem')) {
      order.push({ expr: expression(need(s, 'expression')), descending: hasToken(s, 'DESC') || hasToken(s, 'DESCENDING') });
    }
  }
  const skip = kid(body, 'skip');
  const limit = kid(body, 'limit');
  return {
    distinct: hasToken(n, 'DISTINCT'),
    star: hasToken(itemsNode, '*'),
    items,
    order,
    skip: skip ? expression(need(skip, 'expression')) : null,
    limit: limit ? expression(need(limit, 'expression')) : null,
  };
}

function call(n: PTree): Clause {
  const inv = need(n, 'procedureInvocation');
  const name = need(inv, 'procedureInvocationBody').text.replace(/\s+/g, '');
  const argsNode = kid(inv, 'procedureArguments');
  if (name.toLowerCase() === CALL_SUBQUERY_PROCEDURE && argsNode && /^\d+$/.test(argsNode.text.replace(/[()\s]/g, ''))) {
    if (kid(n, 'procedureResults')) throw invalid('CALL { } takes no YIELD; its RETURN names the columns.');
    return callSubquery(Number(argsNode.text.replace(/[()\s]/g, '')));
  }
  const args = argsNode ? kids(argsNode, 'expression').map(expression) : [];
  const results = kid(n, 'procedureResults');
  let yields: { name: string; alias: string }[] | null = null;
  let where: Expr | null = null;
  if (results) {
    yields = kids(results, 'procedureResult').map((r) => {
      const aliased = kid(r, 'aliasedProcedureResult');
      if (aliased) return { name: nameOf(aliased, 'procedureOutput'), alias: nameOf(aliased, 'variable') };
      const simple = need(r, 'simpleProcedureResult');
      const out = nameOf(simple, 'procedureOutput');
      return { name: out, alias: out };
    });
    const w = kid(results, 'where');
    if (w) where = expression(need(w, 'expression'));
  }
  return { kind: 'call', procedure: name, args, yields, where };
}

function propertyTarget(n: PTree): { variable: string; key: string } {
  // propertyExpression: atom propertyLookup+
  const target = need(n, 'atom');
  const lookups = kids(n, 'propertyLookup');
  // `(n).name` is `n.name`: the parentheses only group, so read the atom as an expression
  const v = atom(target);
  if (v.kind !== 'var' || lookups.length !== 1) {
    throw unsupported(`setting the nested property ${JSON.stringify(n.text)}`, 'set a property of a variable, e.g. SET n.name = $v');
  }
  return { variable: v.name, key: nameOf(lookups[0] as PTree, 'propertyKeyName') };
}

function setItem(n: PTree): SetItem {
  const prop = kid(n, 'propertyExpression');
  if (prop) {
    const { variable, key } = propertyTarget(prop);
    return { kind: 'setProp', variable, key, value: expression(need(n, 'expression')) };
  }
  const variable = nameOf(n, 'variable');
  const labels = kid(n, 'nodeLabels');
  if (labels) return { kind: 'setLabels', variable, labels: nodeLabels(labels) };
  return { kind: 'setAll', variable, value: expression(need(n, 'expression')), merge: hasToken(n, '+=') };
}

function removeItem(n: PTree): RemoveItem {
  const prop = kid(n, 'propertyExpression');
  if (prop) return { kind: 'removeProp', ...propertyTarget(prop) };
  return { kind: 'removeLabels', variable: nameOf(n, 'variable'), labels: nodeLabels(need(n, 'nodeLabels')) };
}

// ------------------------------------------------------------ patterns

function pattern(n: PTree): Pattern[] {
  return kids(n, 'patternPart').map(patternPart);
}

function patternPart(n: PTree): Pattern {
  const v = kid(n, 'variable');
  const anon = need(n, 'anonymousPatternPart');
  const sp = kid(anon, 'shortestPathPatternFunction');
  const p = sp ? shortestPattern(sp) : patternElement(need(anon, 'patternElement'));
  if (v) p.path = symbolicName(v);
  return p;
}

/** The pattern inside shortestPath(...) / allShortestPaths(...), marked as such. */
function shortestPattern(n: PTree): Pattern {
  const p = patternElement(need(n, 'patternElement'));
  p.shortest = kid(n, 'allShortestPathFunctionName') ? 'all' : 'one';
  return p;
}

function patternElement(n: PTree): Pattern {
  const inner = kid(n, 'patternElement');
  if (inner) return patternElement(inner);
  const nodes: NodePattern[] = [nodePattern(need(n, 'nodePattern'))];
  const rels: RelPattern[] = [];
  for (const chain of kids(n, 'patternElementChain')) {
    rels.push(relPattern(need(chain, 'relationshipPattern')));
    nodes.push(nodePattern(need(chain, 'nodePattern')));
  }
  return { nodes, rels };
}

function nodeLabels(n: PTree): string[] {
  return kids(n, 'nodeLabel').map((l) => nameOf(l, 'labelName'));
}

function properties(n: PTree | null): Expr | null {
  if (!n) return null;
  const map = kid(n, 'mapLiteral');
  if (map) return mapLiteral(map);
  return parameter(need(n, 'parameter'));
}

function nodePattern(n: PTree): NodePattern {
  const v = kid(n, 'variable');
  const labels = kid(n, 'nodeLabels');
  return { variable: v ? symbolicName(v) : null, labels: labels ? nodeLabels(labels) : [], properties: properties(kid(n, 'properties')) };
}

function relPattern(n: PTree): RelPattern {
  const left = kid(need(n, 'relationshipPatternStart'), 'leftArrowHead') !== null;
  const right = kid(need(n, 'relationshipPatternEnd'), 'rightArrowHead') !== null;
  const direction: Direction = left === right ? 'both' : left ? 'in' : 'out';
  const detail = kid(n, 'relationshipDetail');
  if (!detail) return { variable: null, types: [], direction, range: null, properties: null };
  const v = kid(detail, 'variable');
  const typesNode = kid(detail, 'relationshipTypes');
  const types: string[] = [];
  if (typesNode) {
    for (const t of typesNode.children) {
      if (t.rule === 'relationshipType' || t.rule === 'relationshipTypeOptionalColon') types.push(nameOf(t, 'relTypeName'));
    }
  }
  const rangeNode = kid(detail, 'rangeLiteral');
  return { variable: v ? symbolicName(v) : null, types, direction, range: rangeNode ? range(rangeNode) : null, properties: properties(kid(detail, 'properties')) };
}

/** `*`, `*n`, `*a..b`, `*..b`, `*a..`: an exact `*n` is n..n. */
function range(n: PTree): { min: number; max: number | null } {
  let min: number | null = null;
  let max: number | null = null;
  let dots = false;
  for (const c of n.children) {
    if (c.token === '..') dots = true;
    else if (c.rule === 'integerLiteral') {
      const v = Number(integerValue(c));
      if (dots) max = v;
      else min = v;
    }
  }
  if (!dots) return min === null ? { min: 1, max: null } : { min, max: min };
  return { min: min ?? 1, max };
}

// ------------------------------------------------------------ expressions

function expression(n: PTree): Expr {
  return orExpression(need(n, 'orExpression'));
}

function fold(n: PTree, operand: (p: PTree) => Expr, make: (op: string, left: Expr, right: Expr) => Expr): Expr {
  let result: Expr | null = null;
  let op = '';
  for (const c of n.children) {
    if (c.rule !== null) {
      const value = operand(c);
      result = result === null ? value : make(op, result, value);
    } else {
      op = c.token ?? '';
    }
  }
  if (result === null) throw invalid(`could not read ${JSON.stringify(n.text)}; check the syntax.`);
  return result;
}

function orExpression(n: PTree): Expr {
  return fold(n, xorExpression, (_op, left, right) => ({ kind: 'logic', op: 'OR', left, right }));
}

function xorExpression(n: PTree): Expr {
  return fold(n, andExpression, (_op, left, right) => ({ kind: 'logic', op: 'XOR', left, right }));
}

function andExpression(n: PTree): Expr {
  return fold(n, notExpression, (_op, left, right) => ({ kind: 'logic', op: 'AND', left, right }));
}

function notExpression(n: PTree): Expr {
  const nots = n.children.filter((c) => c.token === 'NOT').length;
  let e = comparisonExpression(need(n, 'comparisonExpression'));
  for (let i = 0; i < nots; i++) e = { kind: 'not', expr: e };
  return e;
}

const COMPARE_OPS: Record<string, '=' | '<>' | '<' | '<=' | '>' | '>='> = { '=': '=', '<>': '<>', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** `a < b < c` means `a < b AND b < c`, as in Cypher. */
function comparisonExpression(n: PTree): Expr {
  let left = addOrSubtract(need(n, 'addOrSubtractExpression'));
  let result: Expr | null = null;
  for (const p of kids(n, 'partialComparisonExpression')) {
    const opText = p.children.find((c) => c.token !== null)?.text ?? '';
    const op = COMPARE_OPS[opText];
    if (!op) throw invalid(`unknown comparison ${JSON.stringify(opText)}; use =, <>, <, <=, > or >=.`);
    const right = addOrSubtract(need(p, 'addOrSubtractExpression'));
    const cmp: Expr = { kind: 'compare', op, left, right };
    result = result === null ? cmp : { kind: 'logic', op: 'AND', left: result, right: cmp };
    left = right;
  }
  return result ?? left;
}

function addOrSubtract(n: PTree): Expr {
  return fold(n, multiplyDivide, (op, left, right) => arithmetic(op === '-' ? '-' : '+', left, right));
}

function multiplyDivide(n: PTree): Expr {
  return fold(n, power, (op, left, right) => arithmetic(op === '/' ? '/' : op === '%' ? '%' : '*', left, right));
}

function power(n: PTree): Expr {
  return fold(n, unary, (_op, left, right) => arithmetic('^', left, right));
}

/**
 * IN, STARTS WITH, ENDS WITH, CONTAINS, =~ and IS NULL made by the grammar's
 * postfix rule (stringListNull). That rule sits below arithmetic in this
 * grammar, so `[1] + 2 IN [3] + 4` arrives as `[1] + (2 IN [3]) + 4`;
 * openCypher puts these predicates between arithmetic and comparison, so
 * arithmetic() and unary() move them back out: `([1] + 2) IN ([3] + 4)`.
 * A parenthesized predicate is not loose: `[1] + (2 IN [3])` stays.
 */
const loosePredicates = new WeakSet<Expr>();

type Predicate = Extract<Expr, { kind: 'in' | 'regex' | 'string' | 'isNull' }>;

function isLoose(e: Expr): e is Predicate {
  return loosePredicates.has(e);
}

function loose(e: Predicate): Predicate {
  loosePredicates.add(e);
  return e;
}

/** `left op right`, with a loose predicate operand taking the arithmetic into its own operands. */
function arithmetic(op: Extract<Expr, { kind: 'arith' }>['op'], left: Expr, right: Expr): Expr {
  // A op (x IN L) is (A op x) IN L
  if (isLoose(right)) {
    if (right.kind === 'isNull') return loose({ ...right, expr: arithmetic(op, left, right.expr) });
    return loose({ ...right, left: arithmetic(op, left, right.left) });
  }
  // (x IN L) op B is x IN (L op B); nothing follows IS NULL in openCypher, so that stays as written
  if (isLoose(left) && left.kind !== 'isNull') return loose({ ...left, right: arithmetic(op, left.right, right) });
  return { kind: 'arith', op, left, right };
}

function unary(n: PTree): Expr {
  const minus = n.children.filter((c) => c.token === '-').length;
  const operand = need(n, 'stringListNullOperatorExpression');
  // -9223372036854775808 is a 64-bit integer although its magnitude alone is not
  if (minus % 2 === 1 && integerText(operand.text.trim()) === 9223372036854775808n) return { kind: 'literal', value: -9223372036854775808n };
  const e = stringListNull(operand);
  if (minus % 2 === 0) return e;
  return negate(e);
}

/** `-e`; a loose predicate (see arithmetic) negates its left operand: `-x IN L` is `(-x) IN L`. */
function negate(e: Expr): Expr {
  if (isLoose(e)) return e.kind === 'isNull' ? loose({ ...e, expr: negate(e.expr) }) : loose({ ...e, left: negate(e.left) });
  if (e.kind === 'literal' && typeof e.value === 'number') return { ...e, value: -e.value };
  if (e.kind === 'literal' && typeof e.value === 'bigint') {
    const v = -e.value;
    return { kind: 'literal', value: v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v };
  }
  return { kind: 'neg', expr: e };
}

function stringListNull(n: PTree): Expr {
  const cs = n.children;
  const first = cs[0];
  if (!first || first.rule !== 'propertyOrLabelsExpression') throw invalid(`could not read ${JSON.stringify(n.text)}; check the syntax.`);
  let e = propertyOrLabels(first);
  let i = 1;
  while (i < cs.length) {
    const c = cs[i] as PTree;
    const tok = c.token;
    if (tok === '[') {
      const indexed = indexing(n, i, e);
      e = indexed.expr;
      i = indexed.next;
      continue;
    }
    if (tok === 'IN' || tok === '=~' || tok === 'CONTAINS' || tok === 'STARTS' || tok === 'ENDS') {
      let j = i + 1;
      while (j < cs.length && (cs[j] as PTree).rule !== 'propertyOrLabelsExpression') j++;
      const rightNode = cs[j];
      if (!rightNode) throw invalid(`missing operand after ${tok} in ${JSON.stringify(n.text)}.`);
      let right = propertyOrLabels(rightNode);
      i = j + 1;
      // indexing binds tighter: `3 IN list[0]` is `3 IN (list[0])`
      while (i < cs.length && (cs[i] as PTree).token === '[') {
        const indexed = indexing(n, i, right);
        right = indexed.expr;
        i = indexed.next;
      }
      if (tok === 'IN') e = loose({ kind: 'in', left: e, right });
      else if (tok === '=~') e = loose({ kind: 'regex', left: e, right });
      else e = loose({ kind: 'string', op: tok === 'CONTAINS' ? 'CONTAINS' : tok === 'STARTS' ? 'STARTS WITH' : 'ENDS WITH', left: e, right });
      continue;
    }
    if (tok === 'IS') {
      let j = i + 1;
      let negated = false;
      while (j < cs.length && (cs[j] as PTree).token !== 'NULL') {
        if ((cs[j] as PTree).token === 'NOT') negated = true;
        j++;
      }
      e = loose({ kind: 'isNull', expr: e, negated });
      i = j + 1;
      continue;
    }
    i++;
  }
  return e;
}

/** `target[expression]` or the slice `target[from..to]`, starting at the `[` child `at` of `n`. */
function indexing(n: PTree, at: number, target: Expr): { expr: Expr; next: number } {
  const cs = n.children;
  let j = at + 1;
  const inside: PTree[] = [];
  while (j < cs.length && (cs[j] as PTree).token !== ']') inside.push(cs[j++] as PTree);
  const dots = inside.findIndex((x) => x.token === '..');
  if (dots !== -1) {
    const from = inside.slice(0, dots).find((x) => x.rule === 'expression');
    const to = inside.slice(dots + 1).find((x) => x.rule === 'expression');
    return { expr: { kind: 'slice', target, from: from ? expression(from) : null, to: to ? expression(to) : null }, next: j + 1 };
  }
  const idx = inside.find((x) => x.rule === 'expression');
  if (!idx) throw invalid(`empty index in ${JSON.stringify(n.text)}; give an index.`);
  return { expr: { kind: 'index', target, index: expression(idx) }, next: j + 1 };
}

function propertyOrLabels(n: PTree): Expr {
  let e = atom(need(n, 'atom'));
  for (const c of n.children.slice(1)) {
    if (c.rule === 'propertyLookup') e = { kind: 'prop', target: e, key: nameOf(c, 'propertyKeyName') };
    else if (c.rule === 'nodeLabels') e = { kind: 'hasLabels', expr: e, labels: nodeLabels(c) };
  }
  return e;
}

const UNSUPPORTED_ATOMS: Record<string, [string, string]> = {
  // removed from Cypher (Neo4j 4.0); the comprehension is the replacement
  filterFunction: ['filter()', 'use the list comprehension [x IN list WHERE pred]'],
  extractFunction: ['extract()', 'use the list comprehension [x IN list | expr]'],
};

function atom(n: PTree): Expr {
  const c = n.children[0];
  if (!c) throw invalid(`empty expression ${JSON.stringify(n.text)}.`);
  if (c.token === 'COUNT') return { kind: 'countStar' };
  switch (c.rule) {
    case 'literal':
      return literal(c);
    case 'parameter':
      return parameter(c);
    case 'variable':
      return { kind: 'var', name: symbolicName(c) };
    case 'parenthesizedExpression': {
      const inner = expression(need(c, 'expression'));
      loosePredicates.delete(inner);
      return inner;
    }
    case 'functionInvocation': {
      // backticks allowed around a name: the grammar misreads e() (a one-letter hex name) unless written `e`()
      const name = need(c, 'functionInvocationBody').text.replace(/\s+/g, '').replace(/`/g, '');
      const args = kids(c, 'expression');
      if (name.toLowerCase() === SUBQUERY_FUNCTION && args.length === 1 && /^\d+$/.test((args[0] as PTree).text)) return subquery(Number((args[0] as PTree).text));
      return { kind: 'call', name: name.toLowerCase(), distinct: hasToken(c, 'DISTINCT'), args: kids(c, 'expression').map(expression), text: c.text };
    }
    case 'existsFunction': {
      const inner = expression(need(c, 'expression'));
      if (inner.kind === 'pattern') return inner;
      return { kind: 'isNull', expr: inner, negated: true };
    }
    case 'patternComprehension': {
      // `[ (p =)? pattern (WHERE e)? | e ]`: the WHERE token tells the filter from the projection
      const v = kid(c, 'variable');
      const exprs = kids(c, 'expression');
      const hasWhere = hasToken(c, 'WHERE');
      const project = exprs[hasWhere ? 1 : 0];
      if (!project) throw invalid(`a pattern comprehension needs "| expression"; fix ${JSON.stringify(c.text)}.`);
      const pattern = relationshipsPattern(need(c, 'relationshipsPattern'));
      if (v) pattern.path = symbolicName(v);
      return { kind: 'patternComprehension', pattern, where: hasWhere ? expression(exprs[0] as PTree) : null, project: expression(project) };
    }
    case 'shortestPathPatternFunction': {
      const pattern = shortestPattern(c);
      return { kind: 'shortestPath', all: pattern.shortest === 'all', pattern };
    }
    case 'relationshipsPattern':
      return { kind: 'pattern', pattern: relationshipsPattern(c) };
    case 'listComprehension': {
      const f = filterExpression(need(c, 'filterExpression'));
      const map = kid(c, 'expression');
      return { kind: 'listComp', ...f, map: map ? expression(map) : null };
    }
    case 'allFunction':
    case 'anyFunction':
    case 'noneFunction':
    case 'singleFunction': {
      const f = filterExpression(need(c, 'filterExpression'));
      const op = c.rule === 'allFunction' ? 'all' : c.rule === 'anyFunction' ? 'any' : c.rule === 'noneFunction' ? 'none' : 'single';
      if (f.where === null) throw invalid(`${op}() needs a WHERE predicate, e.g. ${op}(x IN list WHERE x > 0).`);
      return { kind: 'quantifier', op, variable: f.variable, list: f.list, where: f.where };
    }
    case 'reduceFunction': {
      const exprs = kids(c, 'expression');
      const inColl = need(c, 'idInColl');
      if (exprs.length !== 2) throw invalid(`reduce() is reduce(acc = init, x IN list | expr); fix ${JSON.stringify(c.text)}.`);
      return { kind: 'reduce', acc: nameOf(c, 'variable'), init: expression(exprs[0] as PTree), variable: nameOf(inColl, 'variable'), list: expression(need(inColl, 'expression')), expr: expression(exprs[1] as PTree) };
    }
    case 'caseExpression': {
      let subject: Expr | null = null;
      let otherwise: Expr | null = null;
      const branches: { when: Expr; then: Expr }[] = [];
      let afterElse = false;
      for (const x of c.children) {
        if (x.token === 'ELSE') afterElse = true;
        else if (x.rule === 'caseAlternatives') {
          const [w, t] = kids(x, 'expression');
          if (!w || !t) throw invalid(`incomplete WHEN ... THEN in ${JSON.stringify(c.text)}.`);
          branches.push({ when: expression(w), then: expression(t) });
        } else if (x.rule === 'expression') {
          if (afterElse) otherwise = expression(x);
          else subject = expression(x);
        }
      }
      return { kind: 'case', subject, branches, otherwise };
    }
    default: {
      const u = c.rule ? UNSUPPORTED_ATOMS[c.rule] : undefined;
      if (u) throw unsupported(u[0], u[1]);
      throw unsupported(`the expression ${JSON.stringify(n.text)}`, 'rewrite it with the supported operators and functions');
    }
  }
}

function relationshipsPattern(c: PTree): Pattern {
  const nodes: NodePattern[] = [nodePattern(need(c, 'nodePattern'))];
  const rels: RelPattern[] = [];
  for (const chain of kids(c, 'patternElementChain')) {
    rels.push(relPattern(need(chain, 'relationshipPattern')));
    nodes.push(nodePattern(need(chain, 'nodePattern')));
  }
  return { nodes, rels };
}

function parameter(n: PTree): Expr {
  const p = kid(n, 'newParameter');
  if (!p) throw unsupported(`the legacy parameter syntax ${n.text}`, 'write parameters as $name');
  return { kind: 'param', name: symbolicName(need(p, 'parameterName')) };
}

/** The value of an integer literal's text: decimal, 0x hex, or 0o / leading-zero octal; null for other text. */
function integerText(t: string): bigint | null {
  if (/^0x[0-9a-f]+$/i.test(t) || /^0o[0-7]+$/i.test(t) || /^[0-9]+$/.test(t)) {
    return /^0[0-7]+$/.test(t) ? BigInt('0o' + t.slice(1)) : BigInt(t);
  }
  return null;
}

function integerValue(n: PTree): number | bigint {
  const t = n.text;
  const v = integerText(t) ?? BigInt(t);
  if (v > 9223372036854775807n) throw invalid(`the integer ${t} is larger than a 64-bit integer; use a smaller number.`);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function literal(n: PTree): Expr {
  const c = n.children[0];
  if (!c) throw invalid(`empty literal ${JSON.stringify(n.text)}.`);
  if (c.token === 'NULL') return { kind: 'literal', value: null };
  switch (c.rule) {
    case 'numberLiteral': {
      const int = kid(c, 'integerLiteral');
      if (int) return { kind: 'literal', value: integerValue(int) };
      const value = Number(c.text);
      // openCypher's FloatingPointOverflow: a literal beyond the largest double is refused, not read as Infinity
      if (!Number.isFinite(value)) throw invalid(`the number ${c.text} is too large for a float (the largest is about 1.8e308); write a smaller number.`);
      return { kind: 'literal', value, float: true };
    }
    case 'stringLiteral':
      return { kind: 'literal', value: unescapeString(c.text) };
    case 'booleanLiteral':
      return { kind: 'literal', value: hasToken(c, 'TRUE') };
    case 'mapLiteral':
      return mapLiteral(c);
    case 'listLiteral': {
      const items = kids(c, 'expression').map(expression);
      // the grammar reads `[x IN list]` as a one-item list literal; Cypher means the comprehension
      const only = items.length === 1 ? (items[0] as Expr) : null;
      if (only?.kind === 'in' && only.left.kind === 'var') return { kind: 'listComp', variable: only.left.name, list: only.right, where: null, map: null };
      return { kind: 'list', items };
    }
    case 'mapProjection':
      return mapProjection(c);
    default:
      throw unsupported(`the literal ${JSON.stringify(n.text)}`, 'use numbers, strings, booleans, null, lists or maps');
  }
}

/** `x IN list [WHERE pred]`, shared by comprehensions and quantifiers. */
function filterExpression(n: PTree): { variable: string; list: Expr; where: Expr | null } {
  const inColl = need(n, 'idInColl');
  const where = kid(n, 'where');
  return { variable: nameOf(inColl, 'variable'), list: expression(need(inColl, 'expression')), where: where ? expression(need(where, 'expression')) : null };
}

function mapProjection(n: PTree): Expr {
  const items: MapProjectionItem[] = kids(n, 'mapProjectionVariants').map((v) => {
    const x = v.children[0];
    switch (x?.rule) {
      case 'propertySelector':
        return { kind: 'property', key: nameOf(x, 'variable') };
      case 'allPropertiesSelector':
        return { kind: 'allProperties' };
      case 'literalEntry':
        return { kind: 'entry', key: nameOf(x, 'propertyKeyName'), expr: expression(need(x, 'expression')) };
      case 'variableSelector':
        return { kind: 'variable', name: nameOf(x, 'variable') };
      default:
        throw invalid(`could not read the map projection item ${JSON.stringify(v.text)}; use .key, .*, key: expr or a variable.`);
    }
  });
  return { kind: 'mapProjection', variable: nameOf(n, 'variable'), items };
}

function mapLiteral(n: PTree): Expr {
  return { kind: 'map', entries: kids(n, 'literalEntry').map((e) => [nameOf(e, 'propertyKeyName'), expression(need(e, 'expression'))] as [string, Expr]) };
}

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function unescapeString(quoted: string): string {
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[i + 1] ?? '';
    const simple = ESCAPES[next] ?? ESCAPES[next.toLowerCase()];
    if (simple !== undefined && next.toLowerCase() !== 'u') {
      out += simple;
      i++;
    } else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(body.slice(i + 2, i + 6), 16));
      i += 5;
    } else if (next === 'U' && /^[0-9a-fA-F]{8}$/.test(body.slice(i + 2, i + 10)) && parseInt(body.slice(i + 2, i + 10), 16) <= 0x10ffff) {
      out += String.fromCodePoint(parseInt(body.slice(i + 2, i + 10), 16));
      i += 9;
    } else if (next === 'u' || next === 'U') {
      // openCypher's InvalidUnicodeLiteral (a lone backslash before other letters is kept as written)
      throw invalid(`${quoted.length > 40 ? 'a string' : quoted} holds \\${next} without ${next === 'u' ? 'four' : 'eight'} hex digits${next === 'U' ? ' of a code point up to 10FFFF' : ''}; write \\u00e9 or \\U0001F600, or \\\\ for a backslash.`);
    } else {
      out += ch;
    }
  }
  return out;
}

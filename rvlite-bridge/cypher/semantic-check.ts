import type { Clause, Expr, Pattern, Projection, SetItem } from './ast.ts';
import { isAggregate } from './compile-expr.ts';
import { invalid } from './errors.ts';

/**
 * A scope and type pass over the AST, run before anything executes. The
 * compilers find most mistakes only when they compile a clause, and a write
 * query compiles its later clauses row by row: on an empty graph (no rows)
 * `MATCH (a) CREATE (a)` or `SET a.x = missing` would never be looked at.
 * Neo4j and the openCypher TCK reject these queries whatever the graph
 * holds, so they are rejected here, from the query text alone.
 *
 * The pass is deliberately conservative: it tracks which variables each
 * clause binds and checks only what it can decide without types it cannot
 * know. Undefined variables are checked in write clauses only (the read
 * compiler already checks reads when it compiles them, before SQL runs).
 */

type Kind = 'node' | 'rel' | 'path' | 'value';
type Scope = Map<string, Kind>;

export function checkQuery(clauses: readonly Clause[]): void {
  checkClauses(clauses, new Map());
}

function checkClauses(clauses: readonly Clause[], scope: Scope): Scope {
  for (const c of clauses) scope = checkClause(c, scope);
  return scope;
}

function checkClause(c: Clause, scope: Scope): Scope {
  switch (c.kind) {
    case 'match': {
      uniqueRelationships(c.patterns);
      const next = new Map(scope);
      for (const p of c.patterns) bindPattern(p, next);
      return next;
    }
    case 'unwind': {
      const next = new Map(scope);
      next.set(c.variable, 'value');
      return next;
    }
    case 'with':
      return projectionScope(c.projection, scope, 'WITH');
    case 'return':
      projectionScope(c.projection, scope, 'RETURN');
      return scope;
    case 'call': {
      const next = new Map(scope);
      for (const y of c.yields ?? []) next.set(y.alias, 'value');
      return next;
    }
    case 'create': {
      const next = new Map(scope);
      const declared = new Set<string>();
      for (const p of c.patterns) {
        creatable(p, next, declared, 'CREATE');
        definedInPattern(p, next, 'CREATE');
        bindPattern(p, next);
      }
      return next;
    }
    case 'merge': {
      const next = new Map(scope);
      creatable(c.pattern, next, new Set(), 'MERGE');
      definedInPattern(c.pattern, next, 'MERGE');
      bindPattern(c.pattern, next);
      for (const item of [...c.onCreate, ...c.onMatch]) checkSetItem(item, next);
      return next;
    }
    case 'set':
      for (const item of c.items) checkSetItem(item, scope);
      return scope;
    case 'remove':
      for (const item of c.items) defined(item.variable, scope, 'REMOVE');
      return scope;
    case 'delete':
      for (const e of c.exprs) {
        deletable(e);
        definedIn(e, scope, 'DELETE');
      }
      return scope;
    case 'foreach': {
      definedIn(c.list, scope, 'FOREACH');
      const inner = new Map(scope);
      inner.set(c.variable, 'value');
      checkClauses(c.clauses, inner);
      // FOREACH binds nothing outside its body
      return scope;
    }
    case 'callSubquery': {
      // the body sees only what its leading WITH imports, and adds what its RETURN names
      for (const name of c.imports ?? []) defined(name, scope, 'CALL { WITH ... }');
      const inner = c.imports === null ? new Map(scope) : new Map(c.imports.map((name) => [name, scope.get(name) as Kind]));
      const before = checkClauses(c.body, inner);
      const last = c.body[c.body.length - 1];
      const returned = last?.kind === 'return' ? projectionScope(last.projection, before, 'RETURN') : new Map<string, Kind>();
      const next = new Map(scope);
      for (const [name, kind] of returned) {
        if (scope.has(name)) throw invalid(`variable ${name} is already bound outside CALL { }; RETURN it AS another name.`);
        next.set(name, kind);
      }
      return next;
    }
  }
}

// ------------------------------------------------------------ patterns

function bindPattern(p: Pattern, scope: Scope): void {
  for (const n of p.nodes) if (n.variable !== null) scope.set(n.variable, 'node');
  for (const r of p.rels) if (r.variable !== null) scope.set(r.variable, 'rel');
  if (p.path) scope.set(p.path, 'path');
}

/** openCypher: one MATCH never binds one relationship twice, so naming it twice can match nothing. */
function uniqueRelationships(patterns: readonly Pattern[]): void {
  const seen = new Set<string>();
  for (const p of patterns) {
    for (const r of p.rels) {
      if (r.variable === null || r.range) continue;
      if (seen.has(r.variable)) throw invalid(`the relationship ${r.variable} appears twice in one MATCH, which can never match; give the second one another name.`);
      seen.add(r.variable);
    }
  }
}

/**
 * What CREATE and MERGE may name: a bound node only as an endpoint without
 * labels or properties (they would describe a new node), a relationship
 * never bound before, and exactly one type per relationship.
 */
function creatable(p: Pattern, scope: Scope, declared: Set<string>, what: 'CREATE' | 'MERGE'): void {
  if (p.path && scope.has(p.path)) throw invalid(`variable ${p.path} is already defined; give the path of ${what} a new name.`);
  for (const n of p.nodes) {
    const v = n.variable;
    if (v === null) continue;
    const bound = scope.get(v) ?? (declared.has(v) ? 'node' : undefined);
    if (bound === undefined) {
      declared.add(v);
      continue;
    }
    // a value (UNWIND, an alias of an expression) may hold a node at run time; only a relationship or path cannot
    if (bound === 'rel' || bound === 'path') throw invalid(`variable ${v} is a ${bound === 'rel' ? 'relationship' : 'path'}, not a node; use a new name for the node in ${what}.`);
    if (p.rels.length === 0) throw invalid(`variable ${v} is already bound, so ${what} (${v}) would not create it; use a new name or drop the clause.`);
    if (n.labels.length > 0 || n.properties !== null) throw invalid(`variable ${v} is already bound, so ${what} cannot give it labels or properties; use SET ${v}:Label or SET ${v}.key = value instead.`);
  }
  for (const r of p.rels) {
    if (r.variable !== null && (scope.has(r.variable) || declared.has(r.variable))) throw invalid(`variable ${r.variable} is already bound, and ${what} always makes a new relationship; give it a new name.`);
    if (r.variable !== null) declared.add(r.variable);
    if (r.types.length !== 1) throw invalid(`${what} needs exactly one type per relationship, got ${r.types.length === 0 ? 'none' : r.types.join('|')}; write -[:TYPE]->.`);
  }
}

/** The property maps of CREATE / MERGE read variables bound before the clause (or earlier in it). */
function definedInPattern(p: Pattern, scope: Scope, what: string): void {
  const local = new Map(scope);
  for (const n of p.nodes) if (n.variable !== null) local.set(n.variable, 'node');
  for (const r of p.rels) if (r.variable !== null) local.set(r.variable, 'rel');
  for (const n of p.nodes) if (n.properties) definedIn(n.properties, local, what);
  for (const r of p.rels) if (r.properties) definedIn(r.properties, local, what);
}

function checkSetItem(item: SetItem, scope: Scope): void {
  defined(item.variable, scope, 'SET');
  if (item.kind !== 'setLabels') definedIn(item.value, scope, 'SET');
}

/** DELETE takes a node, relationship or path (or a list / map entry holding one), never a computed value. */
function deletable(e: Expr): void {
  if (e.kind === 'hasLabels') throw invalid('DELETE takes nodes and relationships, not a label; use REMOVE n:Label to take a label off.');
  const ok = e.kind === 'var' || e.kind === 'prop' || e.kind === 'index' || e.kind === 'call' || e.kind === 'case' || e.kind === 'param';
  if (!ok) throw invalid('DELETE takes a node, relationship or path, not a computed value; DELETE a variable, list element or map entry that holds one.');
}

function defined(name: string, scope: Scope, what: string): void {
  if (!scope.has(name)) throw invalid(`variable ${name} is not defined; bind it with MATCH, CREATE, UNWIND or WITH before ${what}.`);
}

/** Every free variable of `e` is in scope; variables an expression binds itself (x IN list, pattern names) are local. */
function definedIn(e: Expr, scope: Scope, what: string): void {
  for (const name of freeVariables(e)) defined(name, scope, what);
}

function freeVariables(e: Expr): Set<string> {
  const out = new Set<string>();
  const use = (name: string, local: ReadonlySet<string>): void => {
    if (!local.has(name)) out.add(name);
  };
  const walk = (x: Expr, local: ReadonlySet<string>): void => {
    const sub = (y: Expr | null, extra: readonly string[] = []): void => {
      if (y) walk(y, extra.length > 0 ? new Set([...local, ...extra]) : local);
    };
    switch (x.kind) {
      case 'var':
        return use(x.name, local);
      // patterns may introduce names of their own; only their property maps are checked
      case 'pattern':
      case 'shortestPath':
        return patternExprs(x.pattern, local, walk);
      case 'patternComprehension': {
        const names = patternNames(x.pattern);
        patternExprs(x.pattern, new Set([...local, ...names]), walk);
        sub(x.where, names);
        return sub(x.project, names);
      }
      case 'subquery': {
        const names = x.patterns.flatMap(patternNames);
        for (const p of x.patterns) patternExprs(p, new Set([...local, ...names]), walk);
        return sub(x.where, names);
      }
      case 'mapProjection':
        use(x.variable, local);
        for (const item of x.items) if (item.kind === 'variable') use(item.name, local);
        break;
    }
    // the rest, and a map projection's entries: the sub-expressions, with the names each binds (children)
    for (const [child, binds] of children(x)) sub(child, binds);
  };
  walk(e, new Set());
  return out;
}

function patternNames(p: Pattern): string[] {
  const names: string[] = [];
  for (const n of p.nodes) if (n.variable !== null) names.push(n.variable);
  for (const r of p.rels) if (r.variable !== null) names.push(r.variable);
  if (p.path) names.push(p.path);
  return names;
}

function patternExprs(p: Pattern, local: ReadonlySet<string>, walk: (x: Expr, local: ReadonlySet<string>) => void): void {
  const inner = new Set([...local, ...patternNames(p)]);
  for (const n of p.nodes) if (n.properties) walk(n.properties, inner);
  for (const r of p.rels) if (r.properties) walk(r.properties, inner);
}

// ------------------------------------------------------------ WITH, RETURN

function projectionScope(proj: Projection, scope: Scope, what: 'WITH' | 'RETURN'): Scope {
  if (what === 'WITH') {
    for (const item of proj.items) {
      if (!item.aliased && item.expr.kind !== 'var') throw invalid(`the WITH item ${item.name} needs a name; write ${item.name} AS name.`);
    }
  }
  aggregationKeys(proj);
  const next: Scope = proj.star ? new Map(scope) : new Map();
  for (const item of proj.items) next.set(item.name, item.expr.kind === 'var' ? (scope.get(item.expr.name) ?? 'value') : 'value');
  return next;
}

/**
 * openCypher: beside its aggregates, an item that aggregates may only use
 * grouping keys that are a variable or a property of one (`n`, `n.age`),
 * so its groups are clear; `me.age + count(*)` without `me.age` as a key of
 * its own is ambiguous. ORDER BY of an aggregating projection too.
 */
function aggregationKeys(proj: Projection): void {
  const aggregating = proj.items.some((i) => isAggregate(i.expr));
  if (!aggregating) return;
  const keys = proj.items.filter((i) => !isAggregate(i.expr));
  const keyVars = new Set(keys.filter((k) => k.expr.kind === 'var').map((k) => (k.expr as { name: string }).name));
  const keyTexts = new Set(keys.map((k) => exprKey(k.expr)));
  const aliases = new Set(proj.items.map((i) => i.name));
  const check = (e: Expr, inOrder: boolean, text: string): void => {
    const bad = (): never => {
      throw invalid(`${text} mixes an aggregate with values that are not grouping keys; add them as items of their own (e.g. RETURN n.age, n.age + count(*)) or aggregate them too.`);
    };
    const walk = (x: Expr, local: ReadonlySet<string>): void => {
      if (isAggregate(x) && (x.kind === 'call' || x.kind === 'countStar')) {
        if (x.kind === 'call' && isAggregateCall(x) && x.args.some(nondeterministic)) {
          throw invalid(`the aggregate ${x.text} has an argument that changes on each call (rand()); aggregate a value of the rows instead.`);
        }
        if (x.kind === 'countStar' || isAggregateCall(x)) return;
      }
      if (keyTexts.has(exprKey(x)) && (x.kind === 'var' || x.kind === 'prop')) return;
      switch (x.kind) {
        case 'var':
          if (local.has(x.name) || keyVars.has(x.name) || (inOrder && aliases.has(x.name))) return;
          return bad();
        case 'prop':
          if (x.target.kind === 'var' && (local.has(x.target.name) || keyVars.has(x.target.name))) return;
          return walk(x.target, local);
        case 'mapProjection':
          // n {.name, to: collect(x)} groups by n itself, as Neo4j does
          for (const item of x.items) if (item.kind === 'entry') walk(item.expr, local);
          return;
        case 'pattern':
        case 'patternComprehension':
        case 'shortestPath':
        case 'subquery':
          // patterns bind their own names; leave them to the compiler
          return;
        default:
          for (const [child, extra] of children(x)) walk(child, extra.length > 0 ? new Set([...local, ...extra]) : local);
      }
    };
    walk(e, new Set());
  };
  for (const item of proj.items) if (isAggregate(item.expr)) check(item.expr, false, item.name);
  for (const s of proj.order) if (isAggregate(s.expr)) check(s.expr, true, 'ORDER BY');
}

function isAggregateCall(e: Expr & { kind: 'call' }): boolean {
  return isAggregate(e) && !e.args.some(isAggregate);
}

function nondeterministic(e: Expr): boolean {
  if (e.kind === 'call' && e.name === 'rand') return true;
  return children(e).some(([c]) => nondeterministic(c));
}

/** The sub-expressions of `e`, each with the names it binds for them. */
function children(e: Expr): [Expr, string[]][] {
  const c = (...xs: (Expr | null)[]): [Expr, string[]][] => xs.filter((x): x is Expr => x !== null).map((x) => [x, []]);
  switch (e.kind) {
    case 'prop':
      return c(e.target);
    case 'list':
      return c(...e.items);
    case 'map':
      return c(...e.entries.map(([, v]) => v));
    case 'arith':
    case 'compare':
    case 'logic':
    case 'in':
    case 'string':
    case 'regex':
      return c(e.left, e.right);
    case 'neg':
    case 'not':
    case 'isNull':
    case 'hasLabels':
      return c(e.expr);
    case 'index':
      return c(e.target, e.index);
    case 'slice':
      return c(e.target, e.from, e.to);
    case 'call':
      return c(...e.args);
    case 'case':
      return c(e.subject, ...e.branches.flatMap((b) => [b.when, b.then]), e.otherwise);
    case 'listComp':
      return [...c(e.list), ...c(e.where, e.map).map(([x]): [Expr, string[]] => [x, [e.variable]])];
    case 'quantifier':
      return [...c(e.list), [e.where, [e.variable]]];
    case 'reduce':
      return [...c(e.init, e.list), [e.expr, [e.acc, e.variable]]];
    case 'mapProjection':
      return e.items.flatMap((i): [Expr, string[]][] => (i.kind === 'entry' ? [[i.expr, []]] : []));
    default:
      return [];
  }
}

/** A structural key for comparing expressions (grouping keys against parts of an aggregate item). */
function exprKey(e: Expr): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

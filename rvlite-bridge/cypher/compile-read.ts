import type { Clause, Expr, NodePattern, Pattern, Projection, ReadClause, RelPattern } from './ast.ts';
import { bindValue, booleanOperand, compileExpr, isAggregate, propertyOf, type ExprContext, type Scope } from './compile-expr.ts';
import { groupKey, needsGroupKey, orderTerms } from './compare-sql.ts';
import { CypherError, invalid, unsupported } from './errors.ts';
import { materializeVolatile, pagingCount } from './functions.ts';
import { implicitGroupKeys } from './list-expr.ts';
import { orderedByTime } from './temporal/sql.ts';
import { catalogProcedure, type CatalogProcedure, unknownProcedure } from './procedures.ts';
import { appendPiece, idPiece, pathValue, walkPiece } from './paths.ts';
import { carry, embed, fromColumn, fromNative, outputsNative, type Sql, type VType } from './values.ts';

/**
 * Compiles the read clauses of a query (MATCH, OPTIONAL MATCH, UNWIND, WITH,
 * CALL rvf.knn, RETURN) to ONE SQL statement: a chain of CTE stages, each a
 * SELECT whose columns carry the variables bound so far (values.ts).
 *
 * - A MATCH is one SELECT joining graph_nodes / graph_labels / graph_rels
 *   with comma joins, so SQLite's planner picks the order and the indexes
 *   (graph_labels (label, node_id), graph_rels (src, type) and (dst, type)).
 *   A named node gets a graph_nodes row only when its properties are read
 *   somewhere in the query; otherwise the id from a label or an edge is enough.
 * - A variable-length hop splits the MATCH: the part before it becomes a
 *   stage, a recursive CTE walks from that stage's distinct start nodes,
 *   keeping the relationship ids of each path in a ',1,5,9,' string so a path
 *   never reuses a relationship, and the rest of the pattern joins its ends.
 * - Relationship uniqueness inside one MATCH is a set of `<>` / instr
 *   conditions between all relationship columns of that MATCH.
 * - OPTIONAL MATCH numbers the incoming rows, matches them, and LEFT JOINs the
 *   matches back by row number (SQLite has no LATERAL join).
 *
 * Write queries reuse this compiler for their read parts: the incoming rows
 * are then a JSON array bound as @input (the `input` stage).
 */

export interface StageVar {
  type: VType;
  col: string;
  /** a number that may be NaN or ±Infinity (Sql.special), so its comparisons stay Cypher's in later clauses */
  special?: boolean;
  /** JSON that can hold no node or relationship (Sql.entityFree), carried so `r.name` of a row of $rows stays a plain read */
  entityFree?: boolean;
}

/** A stage's column as a value, keeping the flags a stage carries (carriedFlags). */
function restore(col: string, v: { type: VType; special?: boolean; entityFree?: boolean }): Sql {
  return { ...fromColumn(col, v.type), ...carriedFlags(v) };
}

/** The flags of a value that a stage's column keeps for the next clause: Sql.special and Sql.entityFree. */
function carriedFlags(v: { special?: boolean; entityFree?: boolean }): { special?: true; entityFree?: true } {
  return { ...(v.special === true ? { special: true } : {}), ...(v.entityFree === true ? { entityFree: true } : {}) };
}

export interface Stage {
  name: string | null;
  vars: Map<string, StageVar>;
}

interface Builder {
  from: string[];
  where: string[];
  vars: Scope;
  /**
   * Set for a pattern matched inside one expression (a pattern predicate, a
   * pattern comprehension, shortestPath() as a value): the correlated
   * subquery cannot use the query's stages, so a variable-length walk is a
   * recursive CTE of the subquery itself, started from the rows of the
   * pattern so far (SQLite lets such a CTE read the outer row).
   */
  ctes?: string[];
}

export interface OutputColumn {
  name: string;
  type: VType;
}

export interface CompiledRead {
  sql: string;
  binds: Record<string, unknown>;
  /** the result columns: RETURN items, or (for `bindings`) the variables in scope */
  columns: OutputColumn[];
}

/** Hidden variables (anonymous relationships, path starts) start with NUL and are never user-visible. */
const HIDDEN = '\u0000';
/** The row number of an OPTIONAL MATCH, kept through its inner MATCH. */
const ROW_KEY = '\u0001rk';
/** The name under which write queries pass their incoming rows. */
export const INPUT_PARAM = 'input';

export interface ReadOptions {
  maxPathLength: number;
  params: Record<string, unknown>;
  /** variables whose properties the query reads (they get a graph_nodes join) */
  propertyVariables: ReadonlySet<string>;
}

export class ReadCompiler {
  private readonly ctes: string[] = [];
  readonly binds: Record<string, unknown> = {};
  private counter = 0;

  constructor(private readonly options: ReadOptions) {}

  private next(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  bind(value: unknown): string {
    const key = this.next('p');
    this.binds[key] = value;
    return `@${key}`;
  }

  exprContext(aggregates: boolean): ExprContext {
    return {
      bind: (v) => this.bind(v),
      param: (name) => {
        if (!Object.prototype.hasOwnProperty.call(this.options.params, name)) throw invalid(`missing parameter $${name}; pass it in params.`);
        return this.options.params[name];
      },
      aggregates,
      patternExists: (p, scope) => {
        // a predicate only tests the variables it is given: a new name there would be bound nowhere (openCypher UndefinedVariable)
        for (const name of patternNames(p)) if (!scope.has(name)) throw invalid(`variable ${name} is not defined; a pattern predicate cannot introduce new variables, so leave it anonymous or MATCH it.`);
        const m = this.patternMatches(p, scope);
        return `EXISTS (${m.with}SELECT 1${m.tail})`;
      },
      patternCount: (p, scope) => {
        const m = this.patternMatches(p, scope);
        return `(${m.with}SELECT count(*)${m.tail})`;
      },
      patternList: (e, scope) => this.patternList(e, scope),
      shortestPath: (e, scope) => this.shortestValue(e, scope),
      subquery: (e, scope) => {
        // unlike a pattern predicate, a subquery may name new variables: they are its own
        const m = this.patternMatches(e.patterns, scope, e.where);
        return e.count ? fromNative('num', `(${m.with}SELECT count(*)${m.tail})`) : fromNative('bool', `EXISTS (${m.with}SELECT 1${m.tail})`);
      },
    };
  }

  private expr(e: Expr, scope: Scope, aggregates = false): Sql {
    return compileExpr(e, scope, this.exprContext(aggregates));
  }

  // ---------------------------------------------------------- stages

  private builder(stage: Stage): Builder {
    const vars: Scope = new Map();
    for (const [name, v] of stage.vars) vars.set(name, restore(`${stage.name}.${v.col}`, v));
    return { from: stage.name ? [stage.name] : [], where: [], vars };
  }

  private flush(b: Builder, keepHidden: boolean, distinct = false): Stage {
    const name = this.next('s');
    const vars = new Map<string, StageVar>();
    const select: string[] = [];
    for (const [varName, v] of b.vars) {
      if (!keepHidden && varName.startsWith(HIDDEN)) continue;
      const col = this.next('c');
      select.push(`${carry(v)} AS ${col}`);
      vars.set(varName, { type: v.type, col, ...carriedFlags(v) });
    }
    if (select.length === 0) select.push(`1 AS ${this.next('c')}`);
    this.ctes.push(`${name} AS (SELECT ${distinct ? 'DISTINCT ' : ''}${select.join(', ')}${clauses(b)})`);
    return { name, vars };
  }

  /** The stage of a write query's incoming rows: @input is a JSON array of rows, each an array of values. */
  inputStage(vars: OutputColumn[]): Stage {
    const name = this.next('s');
    const stageVars = new Map<string, StageVar>();
    const select: string[] = [];
    vars.forEach((v, i) => {
      const col = this.next('c');
      const path = `'$[${i}]'`;
      const native = v.type === 'node' || v.type === 'rel' || v.type === 'bool' || outputsNative(v.type);
      select.push(`${native ? `json_extract(r.value, ${path})` : `nullif(r.value -> ${path}, 'null')`} AS ${col}`);
      stageVars.set(v.name, { type: v.type, col });
    });
    if (select.length === 0) select.push(`1 AS ${this.next('c')}`);
    this.ctes.push(`${name} AS (SELECT ${select.join(', ')} FROM json_each(@${INPUT_PARAM}) r)`);
    return { name, vars: stageVars };
  }

  // ---------------------------------------------------------- the query

  compile(clauseList: readonly Clause[], input: OutputColumn[] | null, mode: 'return' | 'bindings'): CompiledRead {
    const body = this.compileBody(clauseList, input, mode);
    return { sql: this.finish(body.sql), binds: this.binds, columns: body.columns };
  }

  /** The statement `sql` with every CTE compiled so far in front of it. */
  finish(sql: string): string {
    return (this.ctes.length > 0 ? `WITH RECURSIVE ${this.ctes.map(materializeVolatile).join(',\n')}\n` : '') + sql;
  }

  /** Adds a CTE with named columns over a compiled body (union.ts); returns its name. */
  define(columns: string[], sql: string): string {
    const name = this.next('u');
    this.ctes.push(`${name}(${columns.join(', ')}) AS (${sql})`);
    return name;
  }

  /** The final SELECT of a query (without its CTEs, see finish) and its columns. */
  compileBody(clauseList: readonly Clause[], input: OutputColumn[] | null, mode: 'return' | 'bindings'): { sql: string; columns: OutputColumn[] } {
    let stage: Stage = input ? this.inputStage(input) : { name: null, vars: new Map() };
    let final: { sql: string; columns: OutputColumn[] } | null = null;
    clauseList.forEach((clause, i) => {
      if (final) throw invalid('RETURN must be the last clause; move it to the end or use WITH.');
      switch (clause.kind) {
        case 'match':
          stage = clause.optional ? this.optionalMatch(stage, clause) : this.match(stage, clause);
          break;
        case 'unwind':
          stage = this.unwind(stage, clause);
          break;
        case 'call':
          stage = this.call(stage, clause);
          break;
        case 'with':
          stage = this.with(stage, clause.projection, clause.where);
          break;
        case 'return':
          if (mode !== 'return' || i !== clauseList.length - 1) throw invalid('RETURN must be the last clause; move it to the end or use WITH.');
          final = this.finalReturn(stage, clause.projection);
          break;
        default:
          throw new CypherError('EINVAL', `Cypher: ${clause.kind.toUpperCase()} is a write clause; run the query with write enabled.`);
      }
    });
    let result = final as { sql: string; columns: OutputColumn[] } | null;
    if (!result && mode === 'return' && clauseList.length === 1 && clauseList[0]?.kind === 'call') {
      // a procedure called alone (CALL db.labels()) returns what it yields, in YIELD order, as in Neo4j
      const items = [...(stage as Stage).vars.keys()].filter((n) => !n.startsWith(HIDDEN)).map((name) => ({ expr: { kind: 'var', name } as Expr, name, aliased: true }));
      result = this.finalReturn(stage, { distinct: false, star: false, items, order: [], skip: null, limit: null });
    }
    if (!result) {
      if (mode === 'return') throw invalid('a read query must end with RETURN; add RETURN with the values you want.');
      const columns: OutputColumn[] = [];
      const select: string[] = [];
      for (const [name, v] of stage.vars) {
        if (name.startsWith(HIDDEN)) continue;
        columns.push({ name, type: v.type });
        select.push(`${stage.name}.${v.col}`);
      }
      if (select.length === 0) select.push('1');
      result = { sql: `SELECT ${select.join(', ')}${stage.name ? ` FROM ${stage.name}` : ''}`, columns };
    }
    return result;
  }

  /**
   * MERGE's lookup keys (run-write.ts): each expression over the input rows,
   * in the SQL form a pattern's property equality compares it in
   * (propertyConditions: the native value, or json() of a list or map), so a
   * lookup by these values matches what the MATCH would. `structured` says
   * which side of that choice each took.
   */
  compileKeys(input: OutputColumn[] | null, exprs: readonly Expr[]): { sql: string; binds: Record<string, unknown>; structured: boolean[] } {
    const stage: Stage = input ? this.inputStage(input) : { name: null, vars: new Map() };
    const b = this.builder(stage);
    const values = exprs.map((e) => this.expr(e, b.vars));
    const structured = values.map((v) => v.type === 'list' || v.type === 'map');
    const select = values.map((v, i) => (structured[i] ? `json(${v.json})` : v.native));
    const sql = (this.ctes.length > 0 ? `WITH RECURSIVE ${this.ctes.join(',\n')}\n` : '') + `SELECT ${select.join(', ')}${clauses(b)}`;
    return { sql, binds: this.binds, structured };
  }

  // ---------------------------------------------------------- MATCH

  match(stage: Stage, clause: Extract<Clause, { kind: 'match' }>): Stage {
    let b = this.builder(stage);
    const rels: { name: string; path: boolean }[] = [];
    // WHERE conjuncts are applied as soon as their variables are bound, so a
    // variable-length walk starts only from the nodes that pass them.
    this.pendingWhere = clause.where ? conjuncts(clause.where) : [];
    for (const p of clause.patterns) b = this.pattern(b, p, rels);
    for (const w of this.pendingWhere) b.where.push(this.predicate(w, b.vars));
    this.pendingWhere = [];
    b.where.push(...this.uniqueness(b, rels));
    return this.flush(b, false);
  }

  private pendingWhere: Expr[] = [];

  /** A WHERE condition: a node, relationship or path is not a truth value (openCypher InvalidArgumentType). */
  private predicate(w: Expr, scope: Scope): string {
    const v = this.expr(w, scope);
    if (v.type === 'node' || v.type === 'rel' || v.type === 'path') throw invalid(`WHERE needs a boolean, not a ${v.type === 'rel' ? 'relationship' : v.type}; compare it or test a property.`);
    return booleanOperand(v, 'WHERE');
  }

  private applyReadyWhere(b: Builder): void {
    const later: Expr[] = [];
    for (const w of this.pendingWhere) {
      if ([...freeVariables(w)].every((name) => b.vars.has(name))) b.where.push(this.predicate(w, b.vars));
      else later.push(w);
    }
    this.pendingWhere = later;
  }

  private optionalMatch(stage: Stage, clause: Extract<Clause, { kind: 'match' }>): Stage {
    const numbered = this.next('s');
    const rk = this.next('c');
    if (stage.name) this.ctes.push(`${numbered} AS MATERIALIZED (SELECT row_number() OVER () AS ${rk}, * FROM ${stage.name})`);
    else this.ctes.push(`${numbered} AS (SELECT 1 AS ${rk})`);
    const numberedStage: Stage = { name: numbered, vars: new Map(stage.vars) };
    numberedStage.vars.set(ROW_KEY, { type: 'num', col: rk });
    const matched = this.match(numberedStage, { ...clause, optional: false });
    const name = this.next('s');
    const vars = new Map<string, StageVar>();
    const select: string[] = [];
    for (const [varName, v] of stage.vars) {
      const col = this.next('c');
      select.push(`${numbered}.${v.col} AS ${col}`);
      vars.set(varName, { ...v, col });
    }
    for (const [varName, v] of matched.vars) {
      if (varName === ROW_KEY || stage.vars.has(varName)) continue;
      const col = this.next('c');
      select.push(`${matched.name}.${v.col} AS ${col}`);
      vars.set(varName, { ...v, col });
    }
    if (select.length === 0) select.push(`1 AS ${this.next('c')}`);
    const mrk = (matched.vars.get(ROW_KEY) as StageVar).col;
    this.ctes.push(`${name} AS (SELECT ${select.join(', ')} FROM ${numbered} LEFT JOIN ${matched.name} ON ${matched.name}.${mrk} = ${numbered}.${rk})`);
    return { name, vars };
  }

  /**
   * Adds one pattern to the builder; returns the builder to continue with (a
   * new one after a variable-length hop). A named path (`p = ...`) collects
   * the ids of its nodes and relationships as it goes (paths.ts), in hidden
   * variables so they are carried through the stage a walk starts from.
   */
  private pattern(b: Builder, p: Pattern, rels: { name: string; path: boolean }[]): Builder {
    const first = p.nodes[0] as NodePattern;
    const firstRel = p.rels[0];
    if (p.shortest) checkShortest(p);
    const pathName = p.path ?? null;
    if (pathName !== null && (b.vars.has(pathName) || patternNames(p).includes(pathName))) throw invalid(`variable ${pathName} is already defined; give the path a new name.`);
    const nodeIds = `${HIDDEN}${this.next('pn')}`;
    const relIds = `${HIDDEN}${this.next('pr')}`;
    const add = (key: string, piece: string): void => {
      if (pathName === null) return;
      b.vars.set(key, fromNative('str', appendPiece(b.vars.get(key)?.native ?? "''", piece)));
    };
    let cur: Sql | null = null;
    p.rels.forEach((rel, i) => {
      const next = p.nodes[i + 1] as NodePattern;
      let endpoint: string;
      let walked = false;
      if (cur === null && !p.shortest && this.startsAtRel(b, first, rel)) {
        // the start node is the hop's own src/dst column (see startsAtRel)
        const ends = this.hop(b, null, rel, rels);
        add(nodeIds, idPiece(this.node(b, first, ends.start).native));
        add(relIds, idPiece(ends.id));
        endpoint = ends.end;
      } else {
        if (cur === null) {
          cur = this.node(b, first, null);
          add(nodeIds, idPiece(cur.native));
        }
        if (rel.range || p.shortest) {
          const walk = this.varLength(b, cur, rel, rels, { nodes: pathName !== null, shortest: p.shortest ?? null });
          b = walk.builder;
          endpoint = walk.endpoint;
          // the walk's node list already ends with its last node
          add(nodeIds, walkPiece(walk.nodes));
          add(relIds, walkPiece(walk.rels));
          walked = true;
        } else {
          const ends = this.hop(b, cur, rel, rels);
          add(relIds, idPiece(ends.id));
          endpoint = ends.end;
        }
      }
      cur = this.node(b, next, endpoint);
      if (!walked) add(nodeIds, idPiece(cur.native));
    });
    if (firstRel === undefined) add(nodeIds, idPiece(this.node(b, first, null).native));
    if (pathName !== null) {
      b.vars.set(pathName, pathValue(b.vars.get(nodeIds)?.native ?? "''", b.vars.get(relIds)?.native ?? "''"));
      b.vars.delete(nodeIds);
      b.vars.delete(relIds);
    }
    return b;
  }

  /**
   * Whether a pattern's start node can be read off its first relationship
   * instead of being a row of its own: a new variable (or an anonymous node)
   * with no property map, whose properties the query never reads, before a
   * single directed hop. Relationships cannot dangle (DELETE refuses a node
   * that has some, DETACH DELETE removes them), so joining graph_nodes on the
   * src/dst column would filter nothing; labels still join graph_labels on
   * that column (node()). An undirected hop would need each relationship
   * twice (once per end) and a variable-length one may have zero hops, so
   * both keep the node's own row.
   */
  private startsAtRel(b: Builder, np: NodePattern, rel: RelPattern): boolean {
    if (rel.range !== null || rel.direction === 'both' || np.properties !== null) return false;
    return np.variable === null || (!b.vars.has(np.variable) && !this.options.propertyVariables.has(np.variable));
  }

  private node(b: Builder, np: NodePattern, endpoint: string | null): Sql {
    const name = np.variable;
    const bound = name !== null ? b.vars.get(name) : undefined;
    if (bound) {
      if (bound.type !== 'node' && bound.type !== 'null') throw invalid(`variable ${name} is a ${bound.type === 'rel' ? 'relationship' : 'value'}, not a node; use another name in the pattern.`);
      if (bound.type === 'null') {
        b.where.push('0');
        return bound;
      }
      if (endpoint !== null) b.where.push(`${bound.native} = ${endpoint}`);
      for (const label of np.labels) b.where.push(`EXISTS (SELECT 1 FROM graph_labels l WHERE l.node_id = ${bound.native} AND l.label = ${this.bind(label)})`);
      this.propertyConditions(b, bound, np.properties);
      return bound;
    }
    const needsRow = np.properties !== null || (name !== null && this.options.propertyVariables.has(name)) || (endpoint === null && np.labels.length === 0);
    let id: string;
    let table: string | undefined;
    let labels = np.labels;
    if (needsRow) {
      table = this.next('n');
      b.from.push(`graph_nodes ${table}`);
      id = `${table}.id`;
      if (endpoint !== null) b.where.push(`${id} = ${endpoint}`);
    } else if (endpoint !== null) {
      id = endpoint;
    } else {
      const l = this.next('l');
      b.from.push(`graph_labels ${l}`);
      b.where.push(labelTerm(l, this.bind(labels[0]), false));
      id = `${l}.node_id`;
      labels = labels.slice(1);
    }
    for (const label of new Set(labels)) {
      const l = this.next('l');
      b.from.push(`graph_labels ${l}`);
      b.where.push(`${l}.node_id = ${id} AND ${labelTerm(l, this.bind(label), np.properties !== null)}`);
    }
    const v: Sql = { ...fromNative('node', id), ...(table ? { table } : {}) };
    this.propertyConditions(b, v, np.properties);
    if (name !== null) b.vars.set(name, v);
    return v;
  }

  /** `{k: v, ...}` in a pattern: one equality per key (a $map parameter is expanded). */
  private propertyConditions(b: Builder, target: Sql, props: Expr | null): void {
    if (!props) return;
    let entries: [string, Sql][];
    if (props.kind === 'map') entries = props.entries.map(([k, e]) => [k, this.expr(e, b.vars)]);
    else if (props.kind === 'param') {
      const value = this.exprContext(false).param(props.name);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`$${props.name} must be a map of properties to match, e.g. {"name": "Ann"}.`);
      entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, bindValue(this.exprContext(false), v, `$${props.name}.${k}`)]);
    } else throw invalid('pattern properties must be a map or a $parameter.');
    for (const [key, value] of entries) {
      const prop = propertyOf(target, key);
      // merge-index.ts looks MERGE rows up by these same two forms: change them together
      const structured = value.type === 'list' || value.type === 'map';
      b.where.push(structured ? `json(${prop.json}) = json(${value.json})` : `${prop.native} = ${value.native}`);
    }
  }

  private relConditions(r: string, rel: RelPattern, scope: Scope): string[] {
    const where: string[] = [];
    if (rel.types.length === 1) where.push(`${r}.type = ${this.bind(rel.types[0])}`);
    else if (rel.types.length > 1) where.push(`${r}.type IN (${rel.types.map((t) => this.bind(t)).join(', ')})`);
    if (rel.properties) {
      const b: Builder = { from: [], where: [], vars: scope };
      this.propertyConditions(b, { ...fromNative('rel', `${r}.id`), table: r }, rel.properties);
      where.push(...b.where);
    }
    return where;
  }

  /** One fixed hop from `from`, or (null) from any node; returns the SQL of its start and end node ids and its own id. */
  private hop(b: Builder, from: Sql | null, rel: RelPattern, rels: { name: string; path: boolean }[]): { start: string; end: string; id: string } {
    const r = this.next('r');
    b.from.push(`graph_rels ${r}`);
    const bound = rel.variable !== null ? b.vars.get(rel.variable) : undefined;
    if (bound) {
      if (bound.type !== 'rel') throw invalid(`variable ${rel.variable} is not a relationship; use another name in the pattern.`);
      b.where.push(`${r}.id = ${bound.native}`);
    }
    b.where.push(...this.relConditions(r, rel, b.vars));
    let ends: { start: string; end: string; id: string };
    if (rel.direction === 'out') ends = { start: `${r}.src`, end: `${r}.dst`, id: `${r}.id` };
    else if (rel.direction === 'in') ends = { start: `${r}.dst`, end: `${r}.src`, id: `${r}.id` };
    else if (from !== null) {
      b.where.push(`(${r}.src = ${from.native} OR ${r}.dst = ${from.native})`);
      ends = { start: from.native, end: `(CASE WHEN ${r}.src = ${from.native} THEN ${r}.dst ELSE ${r}.src END)`, id: `${r}.id` };
    } else throw new Error('an undirected hop needs its start node bound');
    if (from !== null && rel.direction !== 'both') b.where.push(`${ends.start} = ${from.native}`);
    const v: Sql = { ...fromNative('rel', `${r}.id`), table: r };
    if (rel.variable !== null && !bound) b.vars.set(rel.variable, v);
    const hidden = `${HIDDEN}${this.next('h')}`;
    b.vars.set(hidden, fromNative('rel', `${r}.id`));
    rels.push({ name: hidden, path: false });
    return ends;
  }

  /**
   * A variable-length hop: a recursive CTE walks from the distinct start
   * nodes, keeping each path's relationship ids (and, for a named path, its
   * node ids) in `,1,5,9,` strings so a path never reuses a relationship.
   *
   * shortestPath / allShortestPaths first compute, by a breadth-first CTE
   * (UNION keeps one row per start, node and depth, so it stays within
   * nodes x max length rows per start), the distance of every node from each
   * start; the walk then only steps to a node one hop farther than the last,
   * so it keeps exactly the paths of minimal length. A shortest path's
   * prefixes are shortest paths too, which is why its minimum length may only
   * be 0 or 1 (checkShortest). shortestPath keeps one of them per start and
   * end: the one with the smallest relationship id string.
   */
  private varLength(b: Builder, from: Sql, rel: RelPattern, rels: { name: string; path: boolean }[], opts: { nodes: boolean; shortest: 'one' | 'all' | null }): { builder: Builder; endpoint: string; rels: string; nodes: string } {
    const cap = this.options.maxPathLength;
    const written = rel.range ?? { min: 1, max: 1 };
    if ((written.max ?? written.min) > cap) {
      throw new CypherError('ELIMIT', `Cypher: variable-length patterns walk at most ${cap} hops; give bounds of at most ${cap}, like -[*1..${Math.min(cap, 5)}]->, or leave the upper bound out (-[*]-> walks up to ${cap}).`);
    }
    // without an upper bound, a walk goes as far as the path-length limit (and the query time limit) allow
    const range = { min: written.min, max: written.max ?? cap };
    if (rel.variable !== null && b.vars.has(rel.variable)) throw unsupported(`reusing the bound variable ${rel.variable} as a variable-length relationship`, 'use a new name');
    const inline = b.ctes !== undefined;
    let nb: Builder;
    let startCol: string;
    let starts: string;
    if (inline) {
      this.applyReadyWhere(b);
      nb = b;
      startCol = from.native;
      starts = `SELECT DISTINCT ${startCol} AS s${clauses({ ...b, where: [...b.where, `${startCol} IS NOT NULL`] })}`;
    } else {
      const startName = `${HIDDEN}${this.next('start')}`;
      b.vars.set(startName, from);
      this.applyReadyWhere(b);
      const stage = this.flush(b, true);
      startCol = `${stage.name}.${(stage.vars.get(startName) as StageVar).col}`;
      starts = `SELECT DISTINCT ${startCol} AS s FROM ${stage.name} WHERE ${startCol} IS NOT NULL`;
      nb = this.builder(stage);
      nb.vars.delete(startName);
    }
    const ctes = inline ? (b.ctes as string[]) : this.ctes;
    const conditions = this.relConditions('r', rel, new Map()).map((c) => ` AND ${c}`).join('');
    // each step: [join condition, the next node]; an undirected self-loop is taken once
    const steps: [string, string, string][] =
      rel.direction === 'out' ? [['r.src = w.node', 'r.dst', '']] : rel.direction === 'in' ? [['r.dst = w.node', 'r.src', '']] : [['r.src = w.node', 'r.dst', ''], ['r.dst = w.node', 'r.src', ' AND r.src <> r.dst']];
    let nearest = '';
    if (opts.shortest) {
      const d = this.next('d');
      const dm = this.next('dm');
      const bfs = steps.map(([join, nextNode, extra]) => `SELECT w.start, ${nextNode}, w.depth + 1 FROM ${d} w JOIN graph_rels r ON ${join} WHERE w.depth < ${range.max}${extra}${conditions}`);
      ctes.push(`${d}(start, node, depth) AS (SELECT s, s, 0 FROM (${starts})${range.max > 0 ? ` UNION ${bfs.join(' UNION ')}` : ''})`);
      ctes.push(`${dm}(start, node, depth) AS (SELECT start, node, min(depth) FROM ${d} GROUP BY start, node)`);
      nearest = dm;
    }
    const w = this.next('w');
    const step = ([join, nextNode, extra]: [string, string, string]): string =>
      `SELECT w.start, ${nextNode}, w.rels || r.id || ',', w.depth + 1${opts.nodes ? `, w.nodes || ${nextNode} || ','` : ''} FROM ${w} w JOIN graph_rels r ON ${join} WHERE w.depth < ${range.max} AND instr(w.rels, ',' || r.id || ',') = 0${extra}${conditions}` +
      (nearest ? ` AND EXISTS (SELECT 1 FROM ${nearest} m WHERE m.start = w.start AND m.node = ${nextNode} AND m.depth = w.depth + 1)` : '');
    const parts = [`SELECT s, s, ',', 0${opts.nodes ? ", ','" : ''} FROM (${starts})`];
    if (range.max > 0) parts.push(...steps.map(step));
    ctes.push(`${w}(start, node, rels, depth${opts.nodes ? ', nodes' : ''}) AS (${parts.join(' UNION ALL ')})`);
    let walk = w;
    if (opts.shortest === 'one') {
      // SQLite takes the bare columns of a min() query from the row holding the minimum
      walk = this.next('w');
      ctes.push(`${walk} AS (SELECT start, node, min(rels) AS rels, depth${opts.nodes ? ', nodes' : ''} FROM ${w}${range.min > 0 ? ` WHERE depth >= ${range.min}` : ''} GROUP BY start, node)`);
    }
    nb.from.push(walk);
    nb.where.push(`${walk}.start = ${startCol}`);
    if (range.min > 0) nb.where.push(`${walk}.depth >= ${range.min}`);
    // trim, not substr: substr(',', 2, -1) is ',' (a negative length counts backwards), so a zero-length walk made '[,]'
    if (rel.variable !== null) nb.vars.set(rel.variable, fromNative('rels', `('[' || trim(${walk}.rels, ',') || ']')`));
    const hidden = `${HIDDEN}${this.next('h')}`;
    nb.vars.set(hidden, fromNative('str', `${walk}.rels`));
    rels.push({ name: hidden, path: true });
    return { builder: nb, endpoint: `${walk}.node`, rels: `${walk}.rels`, nodes: `${walk}.nodes` };
  }

  /** Within one MATCH no relationship is used twice: between hops, paths and patterns. */
  private uniqueness(b: Builder, rels: { name: string; path: boolean }[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < rels.length; i++) {
      for (let j = i + 1; j < rels.length; j++) {
        const x = rels[i] as { name: string; path: boolean };
        const y = rels[j] as { name: string; path: boolean };
        const a = (b.vars.get(x.name) as Sql).native;
        const c = (b.vars.get(y.name) as Sql).native;
        if (!x.path && !y.path) out.push(`${a} <> ${c}`);
        else if (x.path && y.path) out.push(`NOT EXISTS (SELECT 1 FROM json_each('[' || trim(${a}, ',') || ']') u WHERE instr(${c}, ',' || u.value || ',') > 0)`);
        else out.push(x.path ? `instr(${a}, ',' || ${c} || ',') = 0` : `instr(${c}, ',' || ${a} || ',') = 0`);
      }
    }
    return out;
  }

  /**
   * The FROM and WHERE of a pattern's matches, correlated with the variables
   * in scope: `WHERE (a)-[:KNOWS]->(b)` is EXISTS over them, `size((a)-->())`
   * their count. `with` is the WITH RECURSIVE of its variable-length walks
   * (or ''), to put before the SELECT.
   */
  private patternMatches(p: Pattern | Pattern[], scope: Scope, where: Expr | null = null): { with: string; tail: string; b: Builder } {
    let b: Builder = { from: [], where: [], vars: new Map(scope), ctes: [] };
    const saved = this.pendingWhere;
    this.pendingWhere = [];
    const rels: { name: string; path: boolean }[] = [];
    try {
      for (const one of Array.isArray(p) ? p : [p]) b = this.pattern(b, one, rels);
    } finally {
      this.pendingWhere = saved;
    }
    b.where.push(...this.uniqueness(b, rels));
    if (where) b.where.push(this.expr(where, b.vars).native);
    const ctes = b.ctes ?? [];
    return { with: ctes.length > 0 ? `WITH RECURSIVE ${ctes.join(', ')} ` : '', tail: clauses(b), b };
  }

  /** `[(a)-->(b) WHERE ... | expr]`: a correlated subquery collecting expr over every match (duplicates kept). */
  private patternList(e: Extract<Expr, { kind: 'patternComprehension' }>, scope: Scope): Sql {
    const m = this.patternMatches(e.pattern, scope, e.where);
    const v = this.expr(e.project, m.b.vars);
    const list = (type: VType, element: string): Sql => fromNative(type, `(${m.with}SELECT json_group_array(${element})${m.tail})`);
    if (v.type === 'node') return list('nodes', v.native);
    if (v.type === 'rel') return list('rels', v.native);
    return list('list', embed(v));
  }

  /** shortestPath(...) as a value: the path (null when there is none); allShortestPaths(...): the list of them. */
  private shortestValue(e: Extract<Expr, { kind: 'shortestPath' }>, scope: Scope): Sql {
    const name = `${HIDDEN}${this.next('sp')}`;
    const m = this.patternMatches({ ...e.pattern, path: name }, scope);
    const path = m.b.vars.get(name) as Sql;
    if (e.all) return fromNative('list', `(${m.with}SELECT json_group_array(json(${path.json}))${m.tail})`);
    return fromNative('path', `(${m.with}SELECT ${path.native}${m.tail} LIMIT 1)`);
  }

  // ---------------------------------------------------------- UNWIND, CALL

  private unwind(stage: Stage, clause: Extract<Clause, { kind: 'unwind' }>): Stage {
    const b = this.builder(stage);
    if (b.vars.has(clause.variable)) throw invalid(`variable ${clause.variable} is already defined; UNWIND into a new name.`);
    const list = this.expr(clause.expr, b.vars);
    const j = this.next('j');
    let v: Sql;
    if (list.type === 'nodes' || list.type === 'rels') {
      b.from.push(`json_each(${list.native}) ${j}`);
      v = fromNative(list.type === 'nodes' ? 'node' : 'rel', `${j}.value`);
    } else if (list.type === 'bool' || list.type === 'node' || list.type === 'rel' || outputsNative(list.type)) {
      v = list;
    } else {
      b.from.push(`json_each(${list.json}) ${j}`);
      v = { type: 'any', native: `${j}.value`, json: `(CASE ${j}.type WHEN 'null' THEN NULL WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'array' THEN ${j}.value WHEN 'object' THEN ${j}.value ELSE json_quote(${j}.value) END)` };
      if (list.entityFree) v.entityFree = true;
    }
    b.vars.set(clause.variable, v);
    return this.flush(b, false);
  }

  private call(stage: Stage, clause: Extract<Clause, { kind: 'call' }>): Stage {
    const catalog = catalogProcedure(clause.procedure);
    if (catalog) return this.catalogCall(stage, clause, catalog);
    if (clause.procedure.toLowerCase() !== 'rvf.knn') throw unknownProcedure(clause.procedure);
    if (clause.args.length < 2 || clause.args.length > 3) throw invalid('rvf.knn takes ($vector, k) or ($vector, k, filter); fix the CALL arguments.');
    const b = this.builder(stage);
    const [vector, k, filter] = clause.args.map((a) => this.expr(a, b.vars)) as [Sql, Sql, Sql | undefined];
    if (vector.type !== 'list' && vector.type !== 'any') throw invalid('rvf.knn needs the query vector as a list of numbers, e.g. $vector; pass it as the first argument.');
    if (k.type !== 'num' && k.type !== 'any') throw invalid('rvf.knn needs k as an integer; pass it as the second argument.');
    if (filter && filter.type !== 'map' && filter.type !== 'any' && filter.type !== 'null') throw invalid('rvf.knn takes the metadata filter as a map, e.g. {topic: "rust"}; pass it as the third argument.');
    const t = this.next('k');
    b.from.push(`rvf_knn(${vector.json}, CAST(${k.native} AS INTEGER)${filter ? `, ${filter.json}` : ''}) ${t}`);
    const yields = clause.yields ?? [
      { name: 'id', alias: 'id' },
      { name: 'distance', alias: 'distance' },
    ];
    for (const y of yields) {
      if (y.name !== 'id' && y.name !== 'distance') throw invalid(`rvf.knn yields id and distance, not ${y.name}; fix the YIELD list.`);
      if (b.vars.has(y.alias)) throw invalid(`variable ${y.alias} is already defined; YIELD it AS another name.`);
      b.vars.set(y.alias, fromNative('num', `${t}.${y.name}`));
    }
    if (clause.where) b.where.push(booleanOperand(this.expr(clause.where, b.vars), 'WHERE'));
    return this.flush(b, false);
  }

  /** db.labels() and its kind: their rows joined to the stage's, the one output bound as YIELD names it. */
  private catalogCall(stage: Stage, clause: Extract<Clause, { kind: 'call' }>, procedure: CatalogProcedure): Stage {
    if (clause.args.length > 0) throw invalid(`${clause.procedure}() takes no arguments; call it as ${clause.procedure}().`);
    const b = this.builder(stage);
    const t = this.next('k');
    b.from.push(`(${procedure.sql}) ${t}`);
    for (const y of clause.yields ?? [{ name: procedure.output, alias: procedure.output }]) {
      if (y.name !== procedure.output) throw invalid(`${clause.procedure}() yields ${procedure.output}, not ${y.name}; fix the YIELD list.`);
      if (b.vars.has(y.alias)) throw invalid(`variable ${y.alias} is already defined; YIELD it AS another name.`);
      b.vars.set(y.alias, fromNative('str', `${t}.${procedure.output}`));
    }
    if (clause.where) b.where.push(booleanOperand(this.expr(clause.where, b.vars), 'WHERE'));
    return this.flush(b, false);
  }

  // ---------------------------------------------------------- WITH, RETURN

  private project(stage: Stage, proj: Projection): { stage: Stage; items: { name: string; type: VType; col: string }[]; order: string[]; paging: string } {
    const b = this.builder(stage);
    const items = proj.star ? [...[...b.vars.keys()].filter((n) => !n.startsWith(HIDDEN) && n !== ROW_KEY).sort().map((name) => ({ expr: { kind: 'var', name } as Expr, name, aliased: true })), ...proj.items] : proj.items;
    if (items.length === 0) throw invalid('RETURN * needs at least one variable in scope; name the values to return.');
    const seen = new Set<string>();
    for (const item of items) {
      // openCypher: a bare pattern is a predicate, not a value to project (use a pattern comprehension)
      if (item.expr.kind === 'pattern') throw invalid(`the pattern ${item.name} cannot be returned as a value; use exists(...) for a boolean or a pattern comprehension [${item.name} | ...] for a list.`);
      if (seen.has(item.name)) throw invalid(`the column name ${item.name} appears twice; give one of them another alias with AS.`);
      seen.add(item.name);
    }
    const compiled = items.map((i) => this.expr(i.expr, b.vars, true));
    const aggregating = items.some((i) => isAggregate(i.expr));
    const name = this.next('s');
    const out = items.map((item, i) => ({ name: item.name, type: (compiled[i] as Sql).type, col: this.next('c'), ...carriedFlags(compiled[i] as Sql) }));
    const select = out.map((o, i) => `${carry(compiled[i] as Sql)} AS ${o.col}`);
    // Constant keys do not split groups, and SQLite would read a bare integer key as a column number.
    // Keys group by Cypher's equivalence (1 and 1.0, lists and maps by value: compare-sql.ts).
    const groupBy = aggregating ? compiled.filter((_c, i) => !isAggregate((items[i] as { expr: Expr }).expr) && usesVariables((items[i] as { expr: Expr }).expr)).map((c) => groupKey(c, carry(c))) : [];
    if (aggregating) {
      for (const item of items) {
        for (const k of implicitGroupKeys(item.expr, isAggregate)) {
          if (!usesVariables(k)) continue;
          const key = this.expr(k, b.vars);
          groupBy.push(groupKey(key, carry(key)));
        }
      }
    }
    // DISTINCT over values SQL would tell apart although Cypher does not ([1] and [1.0], maps in
    // another key order): the rows are grouped by their keys in a stage of their own instead.
    const keyedDistinct = proj.distinct && out.some((o) => needsGroupKey(o.type));
    const raw = keyedDistinct ? this.next('s') : name;

    // ORDER BY sees the projected names (and repeated item expressions); without
    // aggregation or DISTINCT it may also use the incoming variables.
    const projected: Scope = new Map(out.map((o) => [o.name, restore(`${name}.${o.col}`, o)]));
    const itemKeys = items.map((i) => JSON.stringify(i.expr, bigintSafe));
    const order: string[] = [];
    // A value of unknown type is read several times by its ORDER BY terms (compare-sql.ts):
    // the stage is then materialized, or SQLite would compute the projected expression (a
    // property lookup) once per reference, per row.
    let materialize = false;
    for (const s of proj.order) {
      let v: Sql;
      try {
        const ctx = this.exprContext(false);
        ctx.override = (e) => {
          const k = itemKeys.indexOf(JSON.stringify(e, bigintSafe));
          return k === -1 ? undefined : projected.get((out[k] as { name: string }).name);
        };
        v = compileExpr(s.expr, projected, ctx);
      } catch (err) {
        if (!(err instanceof CypherError) || aggregating || proj.distinct) throw err;
        const col = this.next('c');
        const hidden = this.expr(s.expr, b.vars);
        select.push(`${carry(hidden)} AS ${col}`);
        v = fromColumn(`${name}.${col}`, hidden.type);
      }
      // Cypher's order across types, not SQLite's (compare-sql.ts)
      order.push(...orderTerms(orderedByTime(v, this.exprContext(false)), s.descending));
      if (v.type === 'any') materialize = true;
    }
    const where = b.where.length > 0 ? ` WHERE ${b.where.join(' AND ')}` : '';
    // (the rows DISTINCT groups by their keys are read several times per row likewise)
    const m = (cte: string): string => ((materialize && cte === name) || (keyedDistinct && cte === raw) ? 'MATERIALIZED ' : '');
    this.ctes.push(`${raw} AS ${m(raw)}(SELECT ${proj.distinct && !keyedDistinct ? 'DISTINCT ' : ''}${select.join(', ')}${b.from.length > 0 ? ` FROM ${b.from.join(', ')}` : ''}${where}${groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : ''})`);
    if (keyedDistinct) {
      const keys = out.map((o) => {
        const v = fromColumn(`${raw}.${o.col}`, o.type);
        return groupKey(v, carry(v));
      });
      this.ctes.push(`${name} AS ${m(name)}(SELECT * FROM ${raw} GROUP BY ${keys.join(', ')})`);
    }
    const vars = new Map<string, StageVar>(out.map((o) => [o.name, { type: o.type, col: o.col, ...carriedFlags(o) }]));
    return { stage: { name, vars }, items: out, order, paging: this.paging(proj) };
  }

  private paging(proj: Projection): string {
    const count = (e: Expr | null, what: 'SKIP' | 'LIMIT'): string | null => {
      if (!e) return null;
      // any other expression (LIMIT 1 + 1, LIMIT toInteger($n)) is evaluated once by SQLite and checked there
      if (e.kind !== 'param' && e.kind !== 'literal') return pagingCount(e, what, this.exprContext(false), compileExpr);
      const v = e.kind === 'param' ? this.exprContext(false).param(e.name) : e.value;
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw invalid(`${what} takes a non-negative integer; fix ${what}.`);
      return this.bind(n);
    };
    const skip = count(proj.skip, 'SKIP');
    const limit = count(proj.limit, 'LIMIT');
    if (skip === null && limit === null) return '';
    return ` LIMIT ${limit ?? -1}${skip !== null ? ` OFFSET ${skip}` : ''}`;
  }

  private with(stage: Stage, proj: Projection, given: Expr | null): Stage {
    // after DISTINCT or aggregation the WHERE may still name a projected expression by its text
    // (`WITH DISTINCT a.x AS x WHERE a.x = 1`): it means the projected column
    const where = given && !proj.star && (proj.distinct || proj.items.some((i) => isAggregate(i.expr))) ? projectedNames(given, proj) : given;
    // WITH's WHERE also sees the variables its projection drops (`WITH a.x AS x
    // WHERE a.y = 1`): they ride along as hidden items and go after the WHERE.
    // Not past aggregation or DISTINCT, whose rows they would split.
    const projected = new Set(proj.items.map((i) => i.name));
    const dropped =
      where && !proj.star && !proj.distinct && !proj.items.some((i) => isAggregate(i.expr))
        ? [...freeVariables(where)].filter((name) => stage.vars.has(name) && !projected.has(name))
        : [];
    const carried = new Map(dropped.map((name) => [name, `${HIDDEN}${this.next('kept')}`]));
    const items = [...proj.items, ...[...carried].map(([name, hidden]) => ({ expr: { kind: 'var', name } as Expr, name: hidden, aliased: true }))];
    // `WITH *` with nothing in scope (`MATCH () CREATE () WITH * ...`) passes its rows on as they are: a
    // hidden constant gives SQL a column to select
    const nothingInScope = proj.star && items.length === 0 && ![...stage.vars.keys()].some((n) => !n.startsWith(HIDDEN) && n !== ROW_KEY);
    if (nothingInScope) items.push({ expr: { kind: 'literal', value: null }, name: `${HIDDEN}${this.next('unit')}`, aliased: true });
    const p = this.project(stage, { ...proj, items });
    let result = p.stage;
    if (p.order.length > 0 || p.paging) {
      const name = this.next('s');
      const cols = p.items.map((i) => `${p.stage.name}.${i.col} AS ${i.col}`);
      this.ctes.push(`${name} AS (SELECT ${cols.join(', ')} FROM ${p.stage.name}${p.order.length > 0 ? ` ORDER BY ${p.order.join(', ')}` : ''}${p.paging})`);
      result = { name, vars: p.stage.vars };
    }
    if (!where) return result;
    const b = this.builder(result);
    for (const [name, hidden] of carried) b.vars.set(name, b.vars.get(hidden) as Sql);
    b.where.push(booleanOperand(this.expr(where, b.vars), 'WHERE'));
    for (const name of carried.keys()) b.vars.delete(name);
    return this.flush(b, false);
  }

  private finalReturn(stage: Stage, proj: Projection): { sql: string; columns: OutputColumn[] } {
    const p = this.project(stage, proj);
    const select = p.items.map((i) => {
      const v = fromColumn(`${p.stage.name}.${i.col}`, i.type);
      return outputsNative(i.type) ? v.native : v.json;
    });
    const sql = `SELECT ${select.join(', ')} FROM ${p.stage.name}${p.order.length > 0 ? ` ORDER BY ${p.order.join(', ')}` : ''}${p.paging}`;
    return { sql, columns: p.items.map((i) => ({ name: i.name, type: i.type })) };
  }
}

/** The variables a pattern names (nodes and relationships). */
function patternNames(p: Pattern): string[] {
  return [...p.nodes.map((n) => n.variable), ...p.rels.map((r) => r.variable)].filter((v): v is string => v !== null);
}

/** shortestPath takes one relationship, walked from length 0 or 1 (see varLength). */
function checkShortest(p: Pattern): void {
  const rel = p.rels[0];
  if (p.rels.length !== 1 || !rel) throw invalid('shortestPath() and allShortestPaths() take a pattern with exactly one relationship, e.g. shortestPath((a)-[:KNOWS*..5]-(b)).');
  if (rel.range && rel.range.min > 1) throw unsupported('shortestPath() with a minimum length above 1', 'give the relationship a lower bound of 0 or 1, e.g. -[*..5]-, and filter the length with WHERE length(p) >= n');
}

/**
 * `l.label = ?`; for a node pattern with properties (`(a:Entity {name:
 * r.a})`), marked as matching most rows. Without statistics SQLite takes a
 * label lookup for a selective one (about ten rows), so it started such a
 * MATCH from the label and put the incoming rows (a batch's json_each, an
 * earlier stage) innermost: a batch of n rows then read every Entity for
 * every row, twice for two nodes. There the properties, above all the indexed
 * name (store/cache-schema.ts), are what narrows. A node without properties
 * keeps the plain term: marking it sent `MATCH (a:Person)-[:KNOWS]->(b)
 * WHERE a.group = 7` to scan every relationship instead (bench: 2-hop).
 */
function labelTerm(alias: string, label: string, unselective: boolean): string {
  return unselective ? `likelihood(${alias}.label = ${label}, 0.9)` : `${alias}.label = ${label}`;
}

function clauses(b: Builder): string {
  return `${b.from.length > 0 ? ` FROM ${b.from.join(', ')}` : ''}${b.where.length > 0 ? ` WHERE ${b.where.map((w) => `(${w})`).join(' AND ')}` : ''}`;
}

/** `a AND b AND c` as [a, b, c]. */
function conjuncts(e: Expr): Expr[] {
  return e.kind === 'logic' && e.op === 'AND' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/** The variable names an expression mentions (pattern predicates included). */
function freeVariables(e: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(e)) {
    for (const x of e) freeVariables(x, out);
    return out;
  }
  if (e === null || typeof e !== 'object') return out;
  const o = e as Record<string, unknown>;
  if (o.kind === 'var') out.add(o.name as string);
  if (o.kind === undefined && typeof o.variable === 'string' && ('labels' in o || 'types' in o)) out.add(o.variable);
  for (const v of Object.values(o)) freeVariables(v, out);
  return out;
}

function usesVariables(e: unknown): boolean {
  if (Array.isArray(e)) return e.some(usesVariables);
  if (e === null || typeof e !== 'object') return false;
  if ((e as { kind?: string }).kind === 'var') return true;
  return Object.values(e as Record<string, unknown>).some(usesVariables);
}

/** `e` with each sub-expression that is a (non-variable) projection item's expression replaced by the item's name. */
function projectedNames(e: Expr, proj: Projection): Expr {
  const byText = new Map(proj.items.filter((i) => i.expr.kind !== 'var').map((i) => [JSON.stringify(i.expr, bigintSafe), i.name]));
  if (byText.size === 0) return e;
  const swap = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(swap);
    if (x === null || typeof x !== 'object') return x;
    const name = byText.get(JSON.stringify(x, bigintSafe));
    if (name !== undefined) return { kind: 'var', name };
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, swap(v)]));
  };
  return swap(e) as Expr;
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

/** Variables whose properties (or property maps) the query reads anywhere: their MATCH joins graph_nodes. */
export function propertyVariables(clauseList: readonly Clause[]): Set<string> {
  const found = new Set<string>();
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(visit);
      return;
    }
    if (x === null || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.kind === 'prop' && (o.target as { kind?: string }).kind === 'var') found.add((o.target as { name: string }).name);
    if (o.kind === 'call' && (o.name === 'properties' || o.name === 'keys')) {
      for (const a of o.args as Expr[]) if (a.kind === 'var') found.add(a.name);
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(clauseList);
  return found;
}

export type { ReadClause };

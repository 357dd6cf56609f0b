/**
 * The typed AST the compilers work on. It holds only what this layer
 * supports: the parser (parse.ts) refuses everything else with a message, so
 * the compilers never meet a construct they would have to drop silently.
 */

export type Expr =
  /** `float`: written with a fraction or exponent (1.0): it stays a float in SQL, so 1.0 / 2 is 0.5 and 1.0 / 0 is Infinity */
  | { kind: 'literal'; value: null | boolean | number | bigint | string; float?: boolean }
  | { kind: 'param'; name: string }
  | { kind: 'var'; name: string }
  | { kind: 'prop'; target: Expr; key: string }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'map'; entries: [string, Expr][] }
  | { kind: 'arith'; op: '+' | '-' | '*' | '/' | '%' | '^'; left: Expr; right: Expr }
  | { kind: 'neg'; expr: Expr }
  | { kind: 'compare'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Expr; right: Expr }
  | { kind: 'logic'; op: 'AND' | 'OR' | 'XOR'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'in'; left: Expr; right: Expr }
  | { kind: 'string'; op: 'STARTS WITH' | 'ENDS WITH' | 'CONTAINS'; left: Expr; right: Expr }
  | { kind: 'isNull'; expr: Expr; negated: boolean }
  | { kind: 'hasLabels'; expr: Expr; labels: string[] }
  | { kind: 'index'; target: Expr; index: Expr }
  | { kind: 'call'; name: string; distinct: boolean; args: Expr[]; text: string }
  | { kind: 'countStar' }
  | { kind: 'case'; subject: Expr | null; branches: { when: Expr; then: Expr }[]; otherwise: Expr | null }
  /** A pattern used as a predicate in WHERE, e.g. `(a)-[:KNOWS]->(b)`. */
  | { kind: 'pattern'; pattern: Pattern }
  /** `[p = (a)-->(b) WHERE ... | expr]`: the list of `project` over the pattern's matches (paths.ts) */
  | { kind: 'patternComprehension'; pattern: Pattern; where: Expr | null; project: Expr }
  /** `shortestPath((a)-[*]-(b))` as a value: one shortest path or null; `all`: the list of all of them */
  | { kind: 'shortestPath'; all: boolean; pattern: Pattern }
  /** `EXISTS { MATCH ... WHERE ... }` (a boolean) or `COUNT { ... }` (the number of matches), subqueries.ts */
  | { kind: 'subquery'; count: boolean; patterns: Pattern[]; where: Expr | null }
  /** `[x IN list WHERE pred | expr]`; `variable` is scoped to `where` and `map` */
  | { kind: 'listComp'; variable: string; list: Expr; where: Expr | null; map: Expr | null }
  /** `all/any/none/single(x IN list WHERE pred)` */
  | { kind: 'quantifier'; op: 'all' | 'any' | 'none' | 'single'; variable: string; list: Expr; where: Expr }
  /** `reduce(acc = init, x IN list | expr)` */
  | { kind: 'reduce'; acc: string; init: Expr; variable: string; list: Expr; expr: Expr }
  /** `list[from..to]`, either bound left out */
  | { kind: 'slice'; target: Expr; from: Expr | null; to: Expr | null }
  /** `n {.name, .*, key: expr, var}` */
  | { kind: 'mapProjection'; variable: string; items: MapProjectionItem[] }
  /** `text =~ regex` */
  | { kind: 'regex'; left: Expr; right: Expr };

export type MapProjectionItem = { kind: 'property'; key: string } | { kind: 'allProperties' } | { kind: 'entry'; key: string; expr: Expr } | { kind: 'variable'; name: string };

export type Direction = 'out' | 'in' | 'both';

export interface NodePattern {
  variable: string | null;
  labels: string[];
  properties: Expr | null;
}

export interface RelPattern {
  variable: string | null;
  types: string[];
  direction: Direction;
  /** null for a single hop; bounds as written, `max` null when open */
  range: { min: number; max: number | null } | null;
  properties: Expr | null;
}

/** A chain `(n0)-[r0]-(n1)-[r1]-(n2)...`: nodes.length === rels.length + 1. */
export interface Pattern {
  nodes: NodePattern[];
  rels: RelPattern[];
  /** the path variable of `p = (a)-->(b)`, if any */
  path?: string | null;
  /** `shortestPath(...)` ('one') or `allShortestPaths(...)` ('all'): one variable-length hop, shortest lengths only */
  shortest?: 'one' | 'all' | null;
}

export interface ProjectionItem {
  expr: Expr;
  /** the column name: the alias, or the expression's text as written */
  name: string;
  aliased: boolean;
}

export interface SortItem {
  expr: Expr;
  descending: boolean;
}

export interface Projection {
  distinct: boolean;
  star: boolean;
  items: ProjectionItem[];
  order: SortItem[];
  skip: Expr | null;
  limit: Expr | null;
}

export type SetItem =
  | { kind: 'setProp'; variable: string; key: string; value: Expr }
  | { kind: 'setAll'; variable: string; value: Expr; merge: boolean }
  | { kind: 'setLabels'; variable: string; labels: string[] };

export type RemoveItem = { kind: 'removeProp'; variable: string; key: string } | { kind: 'removeLabels'; variable: string; labels: string[] };

export type Clause =
  | { kind: 'match'; optional: boolean; patterns: Pattern[]; where: Expr | null }
  | { kind: 'unwind'; expr: Expr; variable: string }
  | { kind: 'with'; projection: Projection; where: Expr | null }
  | { kind: 'return'; projection: Projection }
  | { kind: 'call'; procedure: string; args: Expr[]; yields: { name: string; alias: string }[] | null; where: Expr | null }
  | { kind: 'create'; patterns: Pattern[] }
  | { kind: 'merge'; pattern: Pattern; onCreate: SetItem[]; onMatch: SetItem[] }
  | { kind: 'set'; items: SetItem[] }
  | { kind: 'remove'; items: RemoveItem[] }
  | { kind: 'delete'; detach: boolean; exprs: Expr[] }
  /** `FOREACH (x IN list | clauses)`: the write clauses run once per element, in order (run-write.ts) */
  | { kind: 'foreach'; variable: string; list: Expr; clauses: Clause[] }
  /**
   * `CALL { [WITH a, b] clauses [RETURN ...] }`: the body runs once per row (run-write.ts), seeing the
   * variables its leading WITH imports (`imports`, null for `WITH *`); `returns` names the columns its
   * RETURN adds to each row, null for a body without RETURN (the rows stay as they are)
   */
  | { kind: 'callSubquery'; imports: string[] | null; body: Clause[]; returns: string[] | null };

export type ReadClause = Extract<Clause, { kind: 'match' | 'unwind' | 'with' | 'return' | 'call' }>;
export type WriteClause = Extract<Clause, { kind: 'create' | 'merge' | 'set' | 'remove' | 'delete' | 'foreach' }>;

export const WRITE_CLAUSE_KINDS: ReadonlySet<Clause['kind']> = new Set(['create', 'merge', 'set', 'remove', 'delete', 'foreach']);

export interface Query {
  /** the clauses of the query (of its first part, for a UNION) */
  clauses: Clause[];
  /** true when any clause writes */
  writes: boolean;
  /** `q1 UNION [ALL] q2 ...`: every part, `clauses` being the first (union.ts) */
  union?: { all: boolean; parts: Clause[][] };
}

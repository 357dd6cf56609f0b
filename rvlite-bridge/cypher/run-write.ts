import type Database from 'better-sqlite3';
import type { Clause, Expr, NodePattern, Pattern, RelPattern, RemoveItem, SetItem } from './ast.ts';
import { INPUT_PARAM, propertyVariables, ReadCompiler, type OutputColumn } from './compile-read.ts';
import { invalid, unsupported } from './errors.ts';
import { isAggregate } from './compile-expr.ts';
import { BulkGraph } from './bulk-graph.ts';
import { forgetDeletes, rememberDeletes } from './deleted.ts';
import { MergeIndex, readsGraph, sqliteKey } from './merge-index.ts';
import { isWholeFloat, parseExactJson } from './exact-json.ts';
import { holdsOnlyWholeText, isBrokenText, NOT_HERE, rowFunction, rowValues, wholeTextOnly, type RowFn } from './row-eval.ts';
import { bindingCell, outputCell, prepareRead, runCompiled, runPrepared, toJsonText, valueCell } from './execute-sql.ts';
import type { CypherStats } from './types.ts';
import type { VType } from './values.ts';

/**
 * Runs a query that writes. Its read parts (MATCH, UNWIND, WITH, RETURN...)
 * are compiled to SQL by the read compiler with the rows so far passed in as
 * JSON; its write clauses run here, row by row, as plain INSERT / UPDATE /
 * DELETE statements on graph_nodes, graph_labels and graph_rels only, inside
 * the caller's transaction (the caller records row changes with triggers).
 * Expressions a write needs (property values) are evaluated by SQL too, so
 * reads and writes share one set of semantics.
 */

type Row = unknown[];

/** How read results are decoded: `values` is RETURN decoded for storing (exact integers), not for showing. */
type ReadMode = 'return' | 'bindings' | 'values';

const DECODE: Record<ReadMode, (type: VType, raw: unknown) => unknown> = { return: outputCell, bindings: bindingCell, values: valueCell };

interface PreparedRead {
  stmt: Database.Statement;
  binds: Record<string, unknown>;
  columns: OutputColumn[];
}

/** A RETURN of the expressions, as the read compiler takes it. */
function valuesClause(exprs: Expr[]): Clause {
  const items = exprs.map((expr, i) => ({ expr, name: `e${i}`, aliased: true }));
  return { kind: 'return', projection: { distinct: false, star: false, items, order: [], skip: null, limit: null } };
}

const SCALAR_TYPES = new Set(['string', 'number', 'boolean', 'bigint']);

export interface WriteResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  stats: CypherStats;
}

export interface WriteOptions {
  maxRows: number;
  maxPathLength: number;
  /**
   * false runs each write clause row by row (a MATCH per MERGE row, a query
   * per value), the reference the batch paths (merge-index.ts, prebatch) are
   * tested against
   */
  batchWrites: boolean;
}

export function runWrite(db: Database.Database, clauses: readonly Clause[], params: Record<string, unknown>, options: WriteOptions): WriteResult {
  try {
    return new WriteRun(db, params, options, propertyVariables(clauses)).run(clauses, options.maxRows);
  } finally {
    forgetDeletes(db);
  }
}

const GRAPH_TYPES: ReadonlySet<VType> = new Set(['node', 'rel', 'nodes', 'rels']);

class WriteRun {
  private vars: OutputColumn[] = [];
  private rows: Row[] = [[]];
  readonly stats: CypherStats;
  /** nodes deleted without DETACH: they must have no relationships when the query ends */
  private readonly plainDeleted: Set<number>;
  private readonly sql: Record<string, Database.Statement>;
  private readonly bulk: BulkGraph;
  /** what this query deleted, for type(r) and the DeletedEntityAccess error in later clauses (deleted.ts) */
  private readonly deleted: ReturnType<typeof rememberDeletes>;
  private readonly perRow = new Map<object, Map<string, PreparedRead>>();
  /** values taken for all rows of the current clause at once (prebatch), by expression and row */
  private readonly batched = new Map<Expr, Map<Row, unknown>>();
  /** a row MERGE extended with its new variables, to the input row whose batched values it shares */
  private readonly rowSource = new Map<Row, Row>();
  /**
   * nodes a batch MERGE made, not inserted yet: a SET right after it
   * (setInJs) gives them their final properties first, so each goes in once
   * rather than in and then updated. Inserted before anything else reads or
   * writes the graph (flushNodes).
   */
  private pendingNodes: { nodes: { id: number; props: Record<string, unknown> }[]; labels: string[] } | null = null;
  /**
   * the stored properties (JSON text) of the nodes a batch MERGE found, as its
   * lookup read them: the SET right after it (setInJs) starts from these
   * rather than reading the same rows again. Only the next write clause may
   * use them; any write clause drops them first (write()).
   */
  private propsAsRead: ReadonlyMap<number, string> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly params: Record<string, unknown>,
    private readonly options: WriteOptions,
    private readonly propertyVars: Set<string>,
    /** the run of the query around a CALL { } body, whose counts and deletes this one shares */
    outer?: WriteRun,
  ) {
    const p = (s: string): Database.Statement => db.prepare(s);
    this.bulk = new BulkGraph(db);
    this.stats = outer?.stats ?? { nodesCreated: 0, nodesDeleted: 0, relationshipsCreated: 0, relationshipsDeleted: 0, propertiesSet: 0, labelsAdded: 0, labelsRemoved: 0 };
    this.plainDeleted = outer?.plainDeleted ?? new Set();
    this.deleted = outer?.deleted ?? rememberDeletes(db);
    this.sql = {
      // ids above every id ever handed out (graph_ids, store/cache-schema.ts), not SQLite's max(rowid) + 1
      insertNode: p('INSERT INTO graph_nodes (id, props) VALUES (max(coalesce((SELECT node FROM graph_ids), 0), coalesce((SELECT max(id) FROM graph_nodes), 0)) + 1, ?)'),
      insertLabel: p('INSERT OR IGNORE INTO graph_labels (node_id, label) VALUES (?, ?)'),
      deleteLabel: p('DELETE FROM graph_labels WHERE node_id = ? AND label = ?'),
      insertRel: p('INSERT INTO graph_rels (id, type, src, dst, props) VALUES (max(coalesce((SELECT rel FROM graph_ids), 0), coalesce((SELECT max(id) FROM graph_rels), 0)) + 1, ?, ?, ?, ?)'),
      nodeProps: p('SELECT props FROM graph_nodes WHERE id = ?'),
      relProps: p('SELECT props FROM graph_rels WHERE id = ?'),
      setNodeProps: p('UPDATE graph_nodes SET props = ? WHERE id = ?'),
      setRelProps: p('UPDATE graph_rels SET props = ? WHERE id = ?'),
      deleteNodeRels: p('DELETE FROM graph_rels WHERE src = ? OR dst = ?'),
      deleteNodeLabels: p('DELETE FROM graph_labels WHERE node_id = ?'),
      deleteNode: p('DELETE FROM graph_nodes WHERE id = ?'),
      deleteRel: p('DELETE FROM graph_rels WHERE id = ?'),
      relType: p('SELECT type FROM graph_rels WHERE id = ?').pluck(),
      relsOfNode: p('SELECT id, type FROM graph_rels WHERE src = ? OR dst = ?').raw(true),
      hasRels: p('SELECT 1 FROM graph_rels WHERE src = ? OR dst = ? LIMIT 1'),
      relsOfType: p('SELECT id, src, dst FROM graph_rels WHERE type = ? AND src IN (SELECT value FROM json_each(?)) ORDER BY id'),
      lastRowid: p('SELECT last_insert_rowid()'),
    };
  }

  run(clauses: readonly Clause[], maxRows: number): WriteResult {
    let pending: Clause[] = [];
    let output: WriteResult | null = null;
    for (const clause of clauses) {
      if (clause.kind === 'return') {
        const r = this.read([...pending, clause], 'return', maxRows);
        output = { columns: r.columns.map((c) => c.name), rows: r.rows, truncated: r.truncated, stats: this.stats };
        pending = [];
        continue;
      }
      if (clause.kind === 'match' || clause.kind === 'unwind' || clause.kind === 'with' || clause.kind === 'call') {
        pending.push(clause);
        continue;
      }
      if (pending.length > 0) this.advance(pending);
      pending = [];
      this.write(clause);
    }
    if (pending.length > 0) this.advance(pending);
    this.flushNodes();
    for (const id of this.plainDeleted) {
      if (this.sql.hasRels!.get(id, id)) {
        throw invalid(`cannot delete node ${id} because it still has relationships; use DETACH DELETE to delete it with its relationships.`);
      }
    }
    return output ?? { columns: [], rows: [], truncated: false, stats: this.stats };
  }

  // ---------------------------------------------------------- read parts

  private compiler(): ReadCompiler {
    return new ReadCompiler({ maxPathLength: this.options.maxPathLength, params: this.params, propertyVariables: this.propertyVars });
  }

  /**
   * Runs read clauses over `rows`, whose columns are `vars` (the variables
   * bound so far, unless a clause is half done). `values` is RETURN decoded
   * for storing (exact integers), not for showing.
   */
  private read(clauses: Clause[], mode: ReadMode, maxRows = Number.MAX_SAFE_INTEGER, rows: Row[] = this.rows, vars: OutputColumn[] = this.vars): { columns: OutputColumn[]; rows: Row[]; truncated: boolean } {
    this.flushNodes();
    const unit = vars.length === 0 && rows.length === 1;
    const compiled = this.compiler().compile(clauses, unit ? null : vars, mode === 'bindings' ? 'bindings' : 'return');
    if (!unit) compiled.binds[INPUT_PARAM] = toJsonText(rows);
    const r = runCompiled(this.db, compiled, DECODE[mode], maxRows);
    return { columns: compiled.columns, rows: r.rows, truncated: r.truncated };
  }

  /**
   * A read a clause runs once per row (a MERGE match, a property value): it
   * is compiled and prepared for the first row only, then run with each row
   * as @input. Compiling per row cost more than running, and made a batch of
   * n rows pay n compilations. The SQL depends only on the AST node (`owner`),
   * the mode and the types of the row's variables, so those are the key.
   */
  private readRow(owner: object, clauses: () => Clause[], mode: ReadMode, row: Row, vars: OutputColumn[], maxRows = Number.MAX_SAFE_INTEGER): { columns: OutputColumn[]; rows: Row[] } {
    this.flushNodes();
    const unit = vars.length === 0;
    const key = `${mode}${unit ? '' : JSON.stringify(vars)}`;
    let byShape = this.perRow.get(owner);
    if (!byShape) {
      byShape = new Map();
      this.perRow.set(owner, byShape);
    }
    let p = byShape.get(key);
    if (!p) {
      const compiled = this.compiler().compile(clauses(), unit ? null : vars, mode === 'bindings' ? 'bindings' : 'return');
      p = { stmt: prepareRead(this.db, compiled.sql), binds: compiled.binds, columns: compiled.columns };
      byShape.set(key, p);
    }
    if (!unit) p.binds[INPUT_PARAM] = toJsonText([row]);
    return { columns: p.columns, rows: runPrepared(p.stmt, p.columns, p.binds, DECODE[mode], maxRows).rows };
  }

  private advance(clauses: Clause[]): void {
    if (this.unwindParam(clauses)) return;
    const r = this.read(clauses, 'bindings');
    this.vars = r.columns;
    this.rows = r.rows;
  }

  /**
   * A query that starts `UNWIND $list AS x` (the batch shape): the rows are
   * the list's elements as the parameter holds them, each what the SQL would
   * give back for it (an element of a list parameter is a value of unknown
   * type, JSON in SQLite). Through SQL, 10,000 rows cost a trip into SQLite
   * and back as JSON text.
   */
  private unwindParam(clauses: readonly Clause[]): boolean {
    const clause = clauses[0];
    if (clauses.length !== 1 || clause?.kind !== 'unwind' || clause.expr.kind !== 'param') return false;
    if (this.vars.length !== 0 || this.rows.length !== 1 || !this.options.batchWrites) return false;
    const name = clause.expr.name;
    const list = Object.prototype.hasOwnProperty.call(this.params, name) ? this.params[name] : undefined;
    // SQLite turns broken text (a lone surrogate) into other text, which only the SQL may say
    if (!Array.isArray(list) || !list.every(holdsOnlyWholeText)) return false;
    this.vars = [{ name: clause.variable, type: 'any' }];
    this.rows = list.map((element: unknown) => [element ?? null]);
    return true;
  }

  /** One expression's value for one row, as stored (exact integers). */
  private evaluate(expr: Expr, row: Row): unknown {
    const pre = this.batched.get(expr);
    const source = this.rowSource.get(row) ?? row;
    if (pre?.has(source)) return pre.get(source);
    const r = this.readRow(expr, () => [valuesClause([expr])], 'values', row, this.vars, 1);
    return r.rows[0]?.[0] ?? null;
  }

  /**
   * Takes the values of `exprs` for all rows of the clause in one query,
   * when they cannot read the graph (row by row, each cost a statement).
   * One that may read it (a node's property, a pattern) must see the earlier
   * rows' writes, so it stays row by row; so does everything when the batch
   * query fails, leaving the error to the row that meets it.
   */
  private prebatch(exprs: readonly (Expr | null)[], vars: OutputColumn[] = this.vars): void {
    if (!this.options.batchWrites || this.rows.length < 2 || vars.length === 0) return;
    const graphVars = new Set(vars.filter((v) => GRAPH_TYPES.has(v.type)).map((v) => v.name));
    const pure = [...new Set(exprs)].filter((e): e is Expr => e !== null && !this.batched.has(e) && !isAggregate(e) && !readsGraph(e, graphVars));
    if (pure.length === 0) return;
    const maps = (): Map<Row, unknown>[] =>
      pure.map((e) => {
        const m = new Map<Row, unknown>();
        this.batched.set(e, m);
        return m;
      });
    const inJs = rowValues(pure, { vars, params: this.params }, this.rows);
    if (inJs) {
      const m = maps();
      this.rows.forEach((row, i) => m.forEach((values, k) => values.set(row, (inJs[i] as unknown[])[k])));
      return;
    }
    const numbered = [...vars, { name: ROW_NUMBER, type: 'num' as const }];
    let r: { rows: Row[] };
    try {
      r = this.read([valuesClause([...pure, { kind: 'var', name: ROW_NUMBER }])], 'values', Number.MAX_SAFE_INTEGER, this.rows.map((row, i) => [...row, i]), numbered);
    } catch {
      return;
    }
    const m = maps();
    for (const out of r.rows) {
      const row = this.rows[Number(out[pure.length])] as Row;
      m.forEach((values, k) => values.set(row, out[k]));
    }
  }

  private indexOf(name: string): number {
    return this.vars.findIndex((v) => v.name === name);
  }

  private valueOf(row: Row, name: string, want: VType | 'node or rel'): { id: number; type: 'node' | 'rel' } | null {
    const i = this.indexOf(name);
    if (i === -1) throw invalid(`variable ${name} is not defined; bind it with MATCH or CREATE first.`);
    const v = this.vars[i] as OutputColumn;
    const ok = want === 'node or rel' ? v.type === 'node' || v.type === 'rel' : v.type === want;
    if (!ok && v.type !== 'null') throw invalid(`variable ${name} is not a ${want === 'rel' ? 'relationship' : want}; use a node or relationship variable here.`);
    const value = row[i];
    if (value === null || value === undefined) return null;
    return { id: Number(value), type: v.type as 'node' | 'rel' };
  }

  private addVar(name: string, type: VType): number {
    const i = this.indexOf(name);
    if (i !== -1) return i;
    this.vars.push({ name, type });
    for (const row of this.rows) row.push(null);
    return this.vars.length - 1;
  }

  // ---------------------------------------------------------- write clauses

  private write(clause: Clause): void {
    const asRead = this.propsAsRead;
    this.propsAsRead = null;
    try {
      if (clause.kind === 'set' && this.setInJs(clause.items, asRead)) return;
      this.flushNodes();
      this.writeClause(clause);
    } finally {
      this.batched.clear();
      this.rowSource.clear();
    }
  }

  private writeClause(clause: Clause): void {
    switch (clause.kind) {
      case 'create':
        this.bindingPaths(clause.patterns, (patterns) => this.createClause(patterns));
        return;
      case 'merge':
        this.bindingPaths([clause.pattern], ([pattern]) => this.merge(pattern as Pattern, clause.onCreate, clause.onMatch));
        return;
      case 'set':
        if (this.setBatch(clause.items)) return;
        this.prebatch(clause.items.map(setValue));
        for (const row of this.rows) for (const item of clause.items) this.set(item, row);
        return;
      case 'remove':
        for (const row of this.rows) for (const item of clause.items) this.remove(item, row);
        return;
      case 'delete':
        for (const row of this.rows) for (const e of clause.exprs) this.delete(e, row, clause.detach);
        return;
      case 'foreach':
        this.foreach(clause);
        return;
      case 'callSubquery':
        this.callSubquery(clause);
        return;
      default:
        throw invalid(`${clause.kind} is not a write clause.`);
    }
  }

  /**
   * CALL { ... }: the body runs once per row, in row order, so a row sees
   * what the earlier rows' bodies wrote; it sees only the variables its
   * leading WITH imports. A body that returns gives each row one row per
   * row it returns (none drops the row); one without RETURN leaves the rows
   * as they are. Running it per row is what makes LIMIT, ORDER BY and
   * aggregation in the body apply to each row apart, as openCypher says.
   */
  private callSubquery(clause: Extract<Clause, { kind: 'callSubquery' }>): void {
    const at = clause.imports === null
      ? this.vars.map((_v, i) => i)
      : clause.imports.map((name) => {
          const i = this.indexOf(name);
          if (i === -1) throw invalid(`variable ${name} is not defined; bind it before CALL { WITH ${name} ... }.`);
          return i;
        });
    const imported = at.map((i) => this.vars[i] as OutputColumn);
    const body = new WriteRun(this.db, this.params, this.options, this.propertyVars, this);
    const out: Row[] = [];
    let added: OutputColumn[] | null = null;
    for (const row of this.rows) {
      const r = body.runBody(clause.body, imported, at.map((i) => row[i]));
      if (clause.returns === null) {
        out.push(row);
        continue;
      }
      added ??= r.columns;
      for (const returned of r.rows) out.push([...row, ...returned]);
    }
    if (clause.returns !== null) {
      // with no rows in, the body never ran: its columns are known by name only
      this.vars = [...this.vars, ...(added ?? clause.returns.map((name) => ({ name, type: 'null' as const })))];
    }
    this.rows = out;
  }

  /** One run of a CALL { } body on one row of `vars`: the columns and rows its RETURN gives (none without one). */
  private runBody(clauses: readonly Clause[], vars: OutputColumn[], values: unknown[]): { columns: OutputColumn[]; rows: Row[] } {
    this.vars = [...vars];
    this.rows = [[...values]];
    // a read over one row is compiled once for all rows of the outer query (readRow), keyed by its last clause
    const segment = (reads: Clause[], owner: Clause): { columns: OutputColumn[]; rows: Row[] } =>
      this.rows.length === 1 ? this.readRow(owner, () => reads, 'bindings', this.rows[0] as Row, this.vars) : this.read(reads, 'bindings');
    let pending: Clause[] = [];
    const advance = (): void => {
      if (pending.length === 0) return;
      const r = segment(pending, pending[pending.length - 1] as Clause);
      this.vars = r.columns;
      this.rows = r.rows;
      pending = [];
    };
    for (const clause of clauses) {
      if (clause.kind === 'return') {
        // its columns as bindings (node ids, exact values), for the clauses after CALL { }
        return segment([...pending, { kind: 'with', projection: clause.projection, where: null }], clause);
      }
      if (clause.kind === 'match' || clause.kind === 'unwind' || clause.kind === 'with' || clause.kind === 'call') {
        pending.push(clause);
        continue;
      }
      advance();
      this.write(clause);
    }
    advance();
    this.flushNodes();
    return { columns: [], rows: [] };
  }

  /**
   * FOREACH (x IN list | clauses): for each row, and each element in list
   * order, the inner write clauses run on that row with x bound, so a later
   * element sees what an earlier one wrote (MERGE finds it). The element is
   * bound by an UNWIND, so a list of nodes gives nodes. What the inner
   * clauses bind (x, CREATE's variables) stays inside.
   */
  private foreach(clause: Extract<Clause, { kind: 'foreach' }>): void {
    const outerVars = this.vars;
    const outerRows = this.rows;
    if (outerVars.some((v) => v.name === clause.variable)) throw invalid(`variable ${clause.variable} is already defined; FOREACH over a new name.`);
    try {
      for (const row of outerRows) {
        const items = this.read([{ kind: 'unwind', expr: clause.list, variable: clause.variable }], 'bindings', Number.MAX_SAFE_INTEGER, [row], outerVars);
        for (const item of items.rows) {
          this.vars = [...items.columns];
          this.rows = [item];
          for (const inner of clause.clauses) this.write(inner);
        }
      }
    } finally {
      this.vars = outerVars;
      this.rows = outerRows;
    }
  }

  /** `refuseNull` is MERGE's rule: a null property can never match, so it may not be created either. */
  private properties(expr: Expr | null, row: Row, what: string, refuseNull: boolean): Record<string, unknown> {
    if (!expr) return {};
    const value = this.evaluate(expr, row);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value) || isWholeFloat(value)) throw invalid(`the properties of ${what} must be a map, e.g. {name: 'Ann'}.`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      checkPropertyKey(k);
      if (v === null) {
        if (refuseNull) throw invalid(`MERGE cannot use null for property ${k} of ${what}; give it a value, or leave it out of the pattern.`);
        continue;
      }
      out[k] = checkedProperty(k, v);
    }
    return out;
  }

  private createNode(np: NodePattern, row: Row, merging: boolean): number {
    const props = this.properties(np.properties, row, np.variable ?? 'a new node', merging);
    const id = Number(this.sql.insertNode!.run(toJsonText(props)).lastInsertRowid);
    this.stats.nodesCreated++;
    this.stats.propertiesSet += Object.keys(props).length;
    for (const label of new Set(np.labels)) {
      this.stats.labelsAdded += this.sql.insertLabel!.run(id, label).changes;
    }
    return id;
  }

  /**
   * CREATE p = (...) and MERGE p = (...): runs the clause with a hidden
   * variable on every unnamed node and relationship of a named path, then
   * binds p on each row from the ids they hold (a path value as it travels
   * between clauses, paths.ts: {nodes: [ids], rels: [ids]}) and drops the
   * hidden ones.
   */
  private bindingPaths(patterns: Pattern[], run: (patterns: Pattern[]) => void): void {
    if (patterns.every((p) => !p.path)) {
      run(patterns);
      return;
    }
    const taken = new Set(this.vars.map((v) => v.name));
    for (const p of patterns) if (p.path && taken.has(p.path)) throw invalid(`variable ${p.path} is already bound; name the path with a new variable.`);
    const hidden: string[] = [];
    const name = (given: string | null): string => {
      if (given !== null) return given;
      const made = `${HIDDEN_PREFIX}${hidden.length}`;
      hidden.push(made);
      return made;
    };
    const named = patterns.map((p) =>
      p.path ? { ...p, nodes: p.nodes.map((n) => ({ ...n, variable: name(n.variable) })), rels: p.rels.map((r) => ({ ...r, variable: name(r.variable) })) } : p,
    );
    run(named);
    const paths = named.flatMap((p) => (p.path ? [{ path: p.path, nodes: p.nodes.map((n) => this.indexOf(n.variable as string)), rels: p.rels.map((r) => this.indexOf(r.variable as string)) }] : []));
    const at = paths.map((p) => this.addVar(p.path, 'path'));
    for (const row of this.rows) {
      paths.forEach((p, k) => {
        const ids = (cols: number[]): unknown[] => cols.map((c) => row[c] ?? null);
        const nodes = ids(p.nodes);
        const rels = ids(p.rels);
        row[at[k] as number] = nodes.includes(null) || rels.includes(null) ? null : { nodes, rels };
      });
    }
    const drop = new Set(hidden.map((h) => this.indexOf(h)));
    this.vars = this.vars.filter((_v, i) => !drop.has(i));
    this.rows = this.rows.map((row) => row.filter((_c, i) => !drop.has(i)));
  }

  /**
   * CREATE: every row gets its own new nodes and relationships. The new
   * variables are declared before the first row, so a later clause knows
   * them even when no row comes in.
   */
  private createClause(patterns: Pattern[]): void {
    const before = new Set(this.vars.map((v) => v.name));
    for (const v of patternVariables(patterns)) if (!before.has(v.name)) this.addVar(v.name, v.type);
    this.prebatch(patterns.flatMap((p) => [...p.nodes.map((n) => n.properties), ...p.rels.map((r) => r.properties)]));
    for (const row of this.rows) {
      const bound = new Set(before);
      for (const p of patterns) this.create(p, row, bound, false);
    }
  }

  /**
   * CREATE one pattern for one row. `bound` holds the variables this row
   * already has (from earlier clauses, or made earlier in this clause): they
   * are reused, the rest are created and added to it.
   */
  private create(p: Pattern, row: Row, bound: Set<string>, merging: boolean): number[] {
    const ids: number[] = p.nodes.map((np) => {
      if (np.variable !== null && bound.has(np.variable)) {
        const node = this.valueOf(row, np.variable, 'node');
        if (!node) throw invalid(`cannot create a relationship to ${np.variable}, which is null; MATCH it first or drop the OPTIONAL.`);
        if (!merging && (np.labels.length > 0 || np.properties)) {
          throw invalid(`variable ${np.variable} is already bound, so CREATE cannot add labels or properties to it; use SET, or a new variable.`);
        }
        return node.id;
      }
      const id = this.createNode(np, row, merging);
      if (np.variable !== null) {
        row[this.indexOf(np.variable)] = id;
        bound.add(np.variable);
      }
      return id;
    });
    p.rels.forEach((rel, k) => {
      if (rel.range) throw invalid('CREATE cannot create a variable-length relationship; create each hop.');
      if (rel.types.length !== 1) throw invalid(`a created relationship needs exactly one type, e.g. -[:KNOWS]->; fix ${rel.variable ?? 'the relationship'}.`);
      if (rel.direction === 'both' && !merging) throw invalid('a created relationship needs a direction; write -[:TYPE]-> or <-[:TYPE]-.');
      if (rel.variable !== null && bound.has(rel.variable)) throw invalid(`variable ${rel.variable} is already bound; use a new name for the created relationship.`);
      const a = ids[k] as number;
      const b = ids[k + 1] as number;
      const [src, dst] = rel.direction === 'in' ? [b, a] : [a, b];
      const props = this.properties(rel.properties, row, rel.variable ?? 'a new relationship', merging);
      const id = Number(this.sql.insertRel!.run(rel.types[0], src, dst, toJsonText(props)).lastInsertRowid);
      this.stats.relationshipsCreated++;
      this.stats.propertiesSet += Object.keys(props).length;
      if (rel.variable !== null) {
        row[this.indexOf(rel.variable)] = id;
        bound.add(rel.variable);
      }
    });
    return ids;
  }

  /**
   * MERGE, row by row: each row matches the pattern against the graph as the
   * earlier rows left it (so a batch that names one entity twice creates it
   * once), or creates it. The pattern's new variables are fixed before the
   * first row, so every row binds its own.
   */
  private merge(p: Pattern, onCreate: SetItem[], onMatch: SetItem[]): void {
    if (p.rels.some((r) => r.range)) throw unsupported('MERGE with a variable-length relationship', 'MERGE each hop');
    const match: Clause = { kind: 'match', optional: false, patterns: [p], where: null };
    const inputVars = this.vars;
    const inputNames = new Set(inputVars.map((v) => v.name));
    const added = patternVariables([p]).filter((v) => !inputNames.has(v.name));
    this.vars = [...inputVars, ...added];
    if (this.options.batchWrites && this.rows.length > 0 && isSingleNodeMerge(p, inputNames)) {
      this.mergeNode(p, onCreate, onMatch, inputVars, added);
      return;
    }
    if (this.options.batchWrites && this.rows.length > 0 && isBoundRelMerge(p, inputVars)) {
      this.mergeRel(p, onCreate, onMatch, inputVars, added);
      return;
    }
    const out: Row[] = [];
    for (const row of this.rows) {
      const found = this.readRow(p, () => [match], 'bindings', row, inputVars);
      if (found.rows.length === 0) {
        const fresh = [...row, ...added.map(() => null)];
        this.create(p, fresh, new Set(inputNames), true);
        for (const item of onCreate) this.set(item, fresh);
        out.push(fresh);
        continue;
      }
      const at = added.map((v) => found.columns.findIndex((c) => c.name === v.name));
      for (const f of found.rows) {
        const merged = [...row, ...at.map((j) => (j === -1 ? null : f[j]))];
        for (const item of onMatch) this.set(item, merged);
        out.push(merged);
      }
    }
    this.rows = out;
  }

  /**
   * MERGE of one node with a property map, row by row as merge() does, but
   * each row looks its node up in a MergeIndex instead of running a MATCH
   * over every candidate node. The property values are taken for all rows in
   * one query when they cannot read the graph, else row by row. Every node a
   * row creates or sets is re-read into the index, so a later row sees it.
   */
  private mergeNode(p: Pattern, onCreate: SetItem[], onMatch: SetItem[], inputVars: OutputColumn[], added: OutputColumn[]): void {
    const np = p.nodes[0] as NodePattern;
    const entries = (np.properties as Extract<Expr, { kind: 'map' }>).entries;
    const exprs = entries.map(([, e]) => e);
    const values = this.mergeValues(exprs, inputVars);
    const index = new MergeIndex(this.db, np.labels, entries.map(([key], i) => ({ key, structured: values.structured[i] as boolean })), values.all);
    this.prebatch([np.properties, ...onCreate.map(setValue), ...onMatch.map(setValue)], inputVars);
    if (onCreate.length === 0 && onMatch.length === 0 && this.mergeNodesAtOnce(np, index, values.row, values.structured.some(Boolean), added)) {
      // the clause wrote nothing to the nodes it found, so their properties are as the index read them
      this.propsAsRead = index.props;
      return;
    }
    const inputNames = new Set(inputVars.map((v) => v.name));
    const out: Row[] = [];
    this.rows.forEach((row, i) => {
      const found = index.find(values.row(row, i));
      if (found.length === 0) {
        const fresh = [...row, ...added.map(() => null)];
        this.rowSource.set(fresh, row);
        const [id] = this.create(p, fresh, new Set(inputNames), true);
        for (const item of onCreate) this.set(item, fresh);
        this.reindex(index, id as number, onCreate, fresh);
        out.push(fresh);
        return;
      }
      for (const id of [...found]) {
        const merged = [...row, ...added.map((v) => (v.name === np.variable ? id : null))];
        this.rowSource.set(merged, row);
        for (const item of onMatch) this.set(item, merged);
        // a match without ON MATCH changed nothing the index holds
        if (onMatch.length > 0) this.reindex(index, id, onMatch, merged);
        out.push(merged);
      }
    });
    this.rows = out;
  }

  /**
   * mergeNode without ON CREATE or ON MATCH, set-based: the clause changes
   * nothing but the nodes it creates, so each row looks its key up among the
   * nodes the clause started with and those earlier rows created, and the
   * new nodes go in with one statement at the end (ids in row order, as row
   * by row gives them). A new node's key is what SQLite reads back from its
   * stored properties (MergeIndex.keysOf), which may differ from its row's
   * (a NaN is stored as the string "NaN" and never equals itself): then
   * nothing has been written yet, and false leaves it to the row-by-row path.
   * Keys that read back as they are (readsBackAsIs) need not be asked.
   */
  private mergeNodesAtOnce(np: NodePattern, index: MergeIndex, keyValues: (row: Row, i: number) => unknown[], structured: boolean, added: OutputColumn[]): boolean {
    const created = new Map<string, number>();
    const fresh: { id: number; props: string; object: Record<string, unknown>; key: string; keys: number }[] = [];
    const bound: (readonly number[])[] = [];
    let next = this.bulk.nextNodeId();
    // a list or map key is compared as SQLite prints its JSON, which the stored text may not match
    let checkKeys = structured;
    for (let i = 0; i < this.rows.length; i++) {
      const row = this.rows[i] as Row;
      const values = keyValues(row, i);
      const key = sqliteKey(values);
      const found = index.findKey(key);
      const mine = key === null ? undefined : created.get(key);
      if (found.length > 0 || mine !== undefined) {
        bound.push(found.length > 0 ? found : [mine as number]);
        continue;
      }
      // refuses a null key value, as row by row would at this row
      const props = this.properties(np.properties, row, np.variable ?? 'a new node', true);
      if (key === null) return false;
      const id = next++;
      created.set(key, id);
      fresh.push({ id, props: toJsonText(props), object: props, key, keys: Object.keys(props).length });
      if (!values.every(readsBackAsIs)) checkKeys = true;
      bound.push([id]);
    }
    if (checkKeys) {
      const stored = index.keysOf(fresh.map((n) => n.props));
      if (fresh.some((n, k) => stored[k] !== n.key)) return false;
    }
    const labels = [...new Set(np.labels)];
    this.pendingNodes = { nodes: fresh.map((n) => ({ id: n.id, props: n.object })), labels };
    for (const n of fresh) {
      this.stats.nodesCreated++;
      this.stats.propertiesSet += n.keys;
      this.stats.labelsAdded += labels.length;
    }
    const out: Row[] = [];
    this.rows.forEach((row, i) => {
      for (const id of bound[i] as readonly number[]) {
        const merged = [...row, ...added.map((v) => (v.name === np.variable ? id : null))];
        this.rowSource.set(merged, row);
        out.push(merged);
      }
    });
    this.rows = out;
    return true;
  }

  /**
   * MERGE of one relationship between two bound nodes, `MERGE (a)-[r:T]->(b)`,
   * row by row as merge() does, but each row looks its relationships up in a
   * Map from (start, end) to ids, read once per clause (type T, in id order,
   * as the MATCH's rows come) and kept current with the relationships the
   * clause creates. SET items cannot move a relationship, so they leave the
   * Map as it is.
   */
  private mergeRel(p: Pattern, onCreate: SetItem[], onMatch: SetItem[], inputVars: OutputColumn[], added: OutputColumn[]): void {
    const rel = p.rels[0] as RelPattern;
    const type = rel.types[0] as string;
    const ai = inputVars.findIndex((v) => v.name === p.nodes[0]?.variable);
    const bi = inputVars.findIndex((v) => v.name === p.nodes[1]?.variable);
    const byPair = new Map<string, number[]>();
    const pair = (src: unknown, dst: unknown): string => `${Number(src)},${Number(dst)}`;
    // only the relationships that start at a row's start node: no other can be a row's pair (the relationships
    // the clause creates are added as it goes), and reading all of the type made a small batch cost the whole graph
    const starts = new Set<number>();
    for (const row of this.rows) {
      const start = rel.direction === 'in' ? row[bi] : row[ai];
      if (start !== null && start !== undefined) starts.add(Number(start));
    }
    for (const [id, src, dst] of this.sql.relsOfType!.raw(true).iterate(type, JSON.stringify([...starts])) as IterableIterator<[number, number, number]>) {
      const k = pair(src, dst);
      const ids = byPair.get(k);
      if (ids) ids.push(id);
      else byPair.set(k, [id]);
    }
    if (onCreate.length === 0 && onMatch.length === 0 && this.mergeRelsAtOnce(rel, type, ai, bi, byPair, pair, added)) return;
    this.prebatch([...onCreate.map(setValue), ...onMatch.map(setValue)], inputVars);
    const inputNames = new Set(inputVars.map((v) => v.name));
    const out: Row[] = [];
    for (const row of this.rows) {
      const a = row[ai];
      const b = row[bi];
      const [src, dst] = rel.direction === 'in' ? [b, a] : [a, b];
      const found = src === null || src === undefined || dst === null || dst === undefined ? [] : (byPair.get(pair(src, dst)) ?? []);
      if (found.length === 0) {
        const fresh = [...row, ...added.map(() => null)];
        this.rowSource.set(fresh, row);
        this.create(p, fresh, new Set(inputNames), true);
        // the relationship just inserted (a trigger's inserts leave last_insert_rowid as it was)
        const id = Number(this.sql.lastRowid!.pluck().get());
        const k = pair(src, dst);
        const ids = byPair.get(k);
        if (ids) ids.push(id);
        else byPair.set(k, [id]);
        for (const item of onCreate) this.set(item, fresh);
        out.push(fresh);
        continue;
      }
      for (const id of [...found]) {
        const merged = [...row, ...added.map((v) => (v.name === rel.variable ? id : null))];
        this.rowSource.set(merged, row);
        for (const item of onMatch) this.set(item, merged);
        out.push(merged);
      }
    }
    this.rows = out;
  }

  /**
   * mergeRel without ON CREATE or ON MATCH, set-based: the clause writes
   * nothing but the relationships it creates, so each row looks its pair up
   * among those there were and those earlier rows made, and the new ones go
   * in with one statement at the end, ids in row order as row by row gives
   * them. A row with a null end is left to the row-by-row path, which
   * refuses it there (false: nothing has been written).
   */
  private mergeRelsAtOnce(rel: RelPattern, type: string, ai: number, bi: number, byPair: Map<string, number[]>, pair: (src: unknown, dst: unknown) => string, added: OutputColumn[]): boolean {
    const fresh: { id: number; type: string; src: number; dst: number }[] = [];
    const bound: (readonly number[])[] = [];
    let next = this.bulk.nextRelId();
    for (const row of this.rows) {
      const a = row[ai];
      const b = row[bi];
      if (a === null || a === undefined || b === null || b === undefined) return false;
      const [src, dst] = rel.direction === 'in' ? [b, a] : [a, b];
      const k = pair(src, dst);
      const found = byPair.get(k);
      if (found) {
        bound.push([...found]);
        continue;
      }
      const id = next++;
      fresh.push({ id, type, src: Number(src), dst: Number(dst) });
      byPair.set(k, [id]);
      bound.push([id]);
    }
    this.bulk.insertRels(fresh);
    this.stats.relationshipsCreated += fresh.length;
    const out: Row[] = [];
    this.rows.forEach((row, i) => {
      for (const id of bound[i] as readonly number[]) {
        const merged = [...row, ...added.map((v) => (v.name === rel.variable ? id : null))];
        this.rowSource.set(merged, row);
        out.push(merged);
      }
    });
    this.rows = out;
    return true;
  }

  /** The MERGE keys of each row: all rows in one query when no key reads the graph, else one prepared query per row. */
  private mergeValues(exprs: Expr[], inputVars: OutputColumn[]): { structured: boolean[]; row: (row: Row, i: number) => unknown[]; all?: readonly unknown[][] } {
    const unit = inputVars.length === 0;
    const graphVars = new Set(inputVars.filter((v) => GRAPH_TYPES.has(v.type)).map((v) => v.name));
    if (!unit && !exprs.some((e) => readsGraph(e, graphVars))) {
      // the row number rides along as a last column, so each value lands on its row whatever order SQLite returns them in
      const numbered = [...inputVars, { name: ROW_NUMBER, type: 'num' as const }];
      const k = this.compiler().compileKeys(numbered, [...exprs, { kind: 'var', name: ROW_NUMBER }]);
      const inJs = k.structured.some(Boolean) ? undefined : keysInJs(rowValues(exprs, { vars: inputVars, params: this.params }, this.rows));
      if (inJs) return { structured: k.structured.slice(0, exprs.length), row: (_row, i) => inJs[i] ?? [], all: inJs };
      const all: unknown[][] = new Array(this.rows.length);
      const rows = this.rows.map((r, i) => [...r, i]);
      for (const raw of prepareRead(this.db, k.sql).raw(true).safeIntegers(true).iterate({ ...k.binds, [INPUT_PARAM]: toJsonText(rows) }) as IterableIterator<unknown[]>) {
        all[Number(raw[exprs.length])] = raw.slice(0, exprs.length);
      }
      return { structured: k.structured.slice(0, exprs.length), row: (_row, i) => all[i] ?? [], all };
    }
    const k = this.compiler().compileKeys(unit ? null : inputVars, exprs);
    const stmt = prepareRead(this.db, k.sql).raw(true).safeIntegers(true);
    return {
      structured: k.structured,
      row: (row) => {
        if (!unit) k.binds[INPUT_PARAM] = toJsonText([row]);
        return (stmt.get(k.binds) as unknown[] | undefined) ?? [];
      },
    };
  }

  /** Re-reads into the index the node a MERGE row made or matched, and every node its SET items touched. */
  private reindex(index: MergeIndex, id: number, items: SetItem[], row: Row): void {
    index.refresh(id);
    for (const item of items) {
      const target = this.valueOf(row, item.variable, 'node or rel');
      if (target?.type === 'node' && target.id !== id) index.refresh(target.id);
    }
  }

  private readProps(target: { id: number; type: 'node' | 'rel' }): Record<string, unknown> | null {
    const got = (target.type === 'node' ? this.sql.nodeProps! : this.sql.relProps!).get(target.id) as { props: string } | undefined;
    return got ? (parseExactJson(got.props, true) as Record<string, unknown>) : null;
  }

  private writeProps(target: { id: number; type: 'node' | 'rel' }, props: Record<string, unknown>): void {
    (target.type === 'node' ? this.sql.setNodeProps! : this.sql.setRelProps!).run(toJsonText(props), target.id);
  }

  private flushNodes(): void {
    const pending = this.pendingNodes;
    if (!pending) return;
    this.pendingNodes = null;
    this.bulk.insertNodes(pending.nodes.map((n) => ({ id: n.id, props: toJsonText(n.props) })), pending.labels);
  }

  /**
   * SET of properties on nodes, row by row and item by item as set() does,
   * but on the nodes' properties held in JS: every value is computed in JS
   * (row-eval.ts) against the properties as the earlier rows and items left
   * them, so a node named twice sees its first row's write, exactly as row
   * by row. Nodes a batch MERGE has not inserted yet get their final
   * properties before they go in; stored ones are read in one statement and
   * written back in one (a merge patch of the keys set, or the whole map
   * after SET n = map). Anything it does not take (labels, relationships, a
   * value only the SQL computes) leaves the clause, untouched, to setBatch
   * and row by row. Returns whether it ran.
   */
  private setInJs(items: readonly SetItem[], asRead: ReadonlyMap<number, string> | null): boolean {
    if (!this.options.batchWrites || this.rows.length < 2) return false;
    const targets: number[] = [];
    for (const item of items) {
      if (item.kind === 'setLabels') return false;
      const at = this.indexOf(item.variable);
      if (at === -1 || (this.vars[at] as OutputColumn).type !== 'node') return false;
      targets.push(at);
    }
    // the properties of every node the items write or their values read, as they are now
    const readVars = new Set<number>(targets);
    for (const item of items) {
      const reads = graphReads((item as Exclude<SetItem, { kind: 'setLabels' }>).value);
      if (reads === null) return false;
      for (const name of reads.keys()) {
        const at = this.indexOf(name);
        if (at !== -1 && (this.vars[at] as OutputColumn).type === 'node') readVars.add(at);
      }
    }
    const current = new Map<number, Record<string, unknown>>();
    for (const n of this.pendingNodes?.nodes ?? []) current.set(n.id, n.props);
    const wanted = new Set<number>();
    for (const row of this.rows) for (const at of readVars) if (row[at] !== null && row[at] !== undefined && !current.has(Number(row[at]))) wanted.add(Number(row[at]));
    const stored = this.bulk.props('node', asRead ? [...wanted].filter((id) => !asRead.has(id)) : [...wanted]);
    if (asRead) {
      for (const id of wanted) {
        const text = asRead.get(id);
        if (text !== undefined) stored.set(id, text);
      }
    }
    const props = (id: number): Record<string, unknown> | undefined => {
      let p = current.get(id);
      if (!p) {
        const text = stored.get(id);
        if (text === undefined) return undefined; // deleted earlier in this query
        p = parseExactJson(text, true) as Record<string, unknown>;
        current.set(id, p);
      }
      return p;
    };
    const scope = { vars: this.vars, params: this.params, nodeProps: props };
    const values: RowFn[] = [];
    for (const item of items) {
      const f = rowFunction((item as Exclude<SetItem, { kind: 'setLabels' }>).value, scope);
      if (!f) return false;
      values.push(wholeTextOnly(f));
    }
    // each node's properties are copied before this clause first changes them, so a value
    // only the SQL computes, met halfway, leaves every node as it was
    // per node, the keys its setProp items wrote, as the items' distinct keys (`keys`) indexed by a bit each
    // when there are few (a Set per node was 10,000 Sets for a batch of 10,000), else as the keys themselves;
    // one record per node, so a row costs one Map lookup, not one per Set and Map of what it wrote
    const keys = [...new Set(items.flatMap((item) => (item.kind === 'setProp' ? [item.key] : [])))];
    const keyBit = items.map((item) => (item.kind === 'setProp' ? 2 ** keys.indexOf(item.key) : 0));
    const fewKeys = keys.length <= 30;
    const written = new Map<number, { mask: number; keys: Set<string> | null; replaced: boolean }>();
    const statsBefore = this.stats.propertiesSet;
    for (const row of this.rows) {
      for (let k = 0; k < items.length; k++) {
        const item = items[k] as Exclude<SetItem, { kind: 'setLabels' }>;
        const id = row[targets[k] as number];
        if (id === null || id === undefined) continue;
        const value = (values[k] as RowFn)(row);
        if (value === NOT_HERE) {
          this.stats.propertiesSet = statsBefore;
          return false;
        }
        const node = Number(id);
        let p = props(node);
        if (!p) continue; // deleted earlier in this query
        let w = written.get(node);
        if (!w) {
          p = { ...p };
          current.set(node, p);
          written.set(node, (w = { mask: 0, keys: null, replaced: false }));
        }
        const next = this.applySet(item, p, value ?? null);
        if (next !== p) current.set(node, next);
        if (item.kind === 'setAll') w.replaced = true;
        else if (fewKeys) w.mask |= keyBit[k] as number;
        else (w.keys ??= new Set()).add(item.key);
      }
    }
    const pending = this.pendingNodes;
    if (pending) for (const n of pending.nodes) n.props = current.get(n.id) as Record<string, unknown>;
    const whole: [number, string][] = [];
    const patches: [number, string][] = [];
    for (const [node, w] of written) {
      if (!stored.has(node)) continue; // a pending node: inserted with these properties
      const p = current.get(node) as Record<string, unknown>;
      if (w.replaced) whole.push([node, toJsonText(p)]);
      else {
        const patch: Record<string, unknown> = {};
        if (fewKeys) {
          keys.forEach((key, i) => {
            if (w.mask & (2 ** i)) patch[key] = p[key] ?? null;
          });
        } else for (const key of w.keys ?? []) patch[key] = p[key] ?? null;
        patches.push([node, toJsonText(patch)]);
      }
    }
    this.bulk.setProps('node', whole);
    this.bulk.patchProps('node', patches);
    return true;
  }

  /**
   * SET over a batch of rows in two passes: the values of every item for
   * every row in one query, then the items applied in row order to each
   * target's properties held in a Map, each target written once at the end.
   * Values may read the graph through node and relationship variables of the
   * row (`coalesce(e.obs, []) + r.obs`): taken before any write, they are
   * what row by row would see only when no item reads an entity an earlier
   * item (this row's or an earlier row's) wrote, so any such overlap, a label
   * item, a pattern in a value, or a failing query leaves the clause to the
   * row-by-row path (which then meets the same errors in the same order).
   * Returns whether it ran.
   */
  private setBatch(items: readonly SetItem[]): boolean {
    if (!this.options.batchWrites || this.rows.length < 2 || this.vars.length === 0) return false;
    if (items.some((item) => item.kind === 'setLabels')) return false;
    const values = items.map((item) => (item as Exclude<SetItem, { kind: 'setLabels' }>).value);
    // per item: the row columns its value reads, each with the keys read (n.key) or null for the whole entity (n, keys(n), ...)
    const refs: { at: number; keys: Set<string> | null }[][] = [];
    const readsAny: boolean[] = [];
    for (const value of values) {
      const reads = graphReads(value);
      if (reads === null) return false;
      const at: { at: number; keys: Set<string> | null }[] = [];
      for (const [name, keys] of reads) {
        const i = this.indexOf(name);
        if (i === -1) continue;
        const type = (this.vars[i] as OutputColumn).type;
        if (type === 'nodes' || type === 'rels' || type === 'path') return false;
        // a whole relationship reaches its end nodes (startNode(r).key): any earlier write may be read
        if (type === 'rel' && keys === null) readsAny[refs.length] = true;
        if (type === 'node' || type === 'rel') at.push({ at: i, keys });
      }
      refs.push(at);
    }
    // the entities (and keys) each item writes, checked against what the later items' values read;
    // an entity is a number (node id * 2, relationship id * 2 + 1): 10,000 rows made 100,000 key strings
    const entityOf = (type: 'node' | 'rel', id: number): number => (type === 'rel' ? id * 2 + 1 : id * 2);
    const slots: { at: number; type: 'node' | 'rel' | null }[] = [];
    for (const item of items) {
      const at = this.indexOf(item.variable);
      const type = at === -1 ? null : (this.vars[at] as OutputColumn).type;
      // an undefined or non-entity variable: row by row meets the error in its order
      if (type !== 'node' && type !== 'rel' && type !== 'null') return false;
      slots.push({ at, type: type === 'null' ? null : type });
    }
    const refTypes = refs.map((r) => r.map((ref) => (this.vars[ref.at] as OutputColumn).type as 'node' | 'rel'));
    const targets: ({ id: number; type: 'node' | 'rel' } | null)[][] = [];
    const touched = new Set<number>();
    const whole = new Set<number>();
    const keyed = new Map<number, Set<string>>();
    for (const row of this.rows) {
      const t: ({ id: number; type: 'node' | 'rel' } | null)[] = new Array(items.length);
      for (let k = 0; k < items.length; k++) {
        if (readsAny[k] && touched.size > 0) return false;
        const itemRefs = refs[k] as { at: number; keys: Set<string> | null }[];
        for (let j = 0; j < itemRefs.length; j++) {
          const ref = itemRefs[j] as { at: number; keys: Set<string> | null };
          const v = row[ref.at];
          if (v === null || v === undefined) continue;
          const entity = entityOf((refTypes[k] as ('node' | 'rel')[])[j] as 'node' | 'rel', Number(v));
          if (ref.keys === null) {
            if (touched.has(entity)) return false;
          } else if (whole.has(entity)) return false;
          else {
            const written = keyed.get(entity);
            if (written) for (const key of ref.keys) if (written.has(key)) return false;
          }
        }
        const slot = slots[k] as { at: number; type: 'node' | 'rel' | null };
        const v = row[slot.at];
        if (v === null || v === undefined || slot.type === null) {
          t[k] = null;
          continue;
        }
        const id = Number(v);
        const entity = entityOf(slot.type, id);
        touched.add(entity);
        const item = items[k] as SetItem;
        if (item.kind === 'setProp') {
          let written = keyed.get(entity);
          if (!written) keyed.set(entity, (written = new Set()));
          written.add(item.key);
        } else whole.add(entity);
        t[k] = { id, type: slot.type };
      }
      targets.push(t);
    }
    // every target's properties read in one statement per kind, changed in row order, written in one per kind
    const ids: Record<'node' | 'rel', Set<number>> = { node: new Set(), rel: new Set() };
    for (const t of targets) for (const target of t) if (target) ids[target.type].add(target.id);
    const stored = { node: this.bulk.props('node', [...ids.node]), rel: this.bulk.props('rel', [...ids.rel]) };
    // the values read the targets as stored now, which is what the SQL would read
    const parsed = new Map<number, Record<string, unknown>>();
    const nodeProps = (id: number): Record<string, unknown> | undefined => {
      let props = parsed.get(id);
      if (!props) {
        const text = stored.node.get(id);
        if (text === undefined) return undefined;
        props = parseExactJson(text, true) as Record<string, unknown>;
        parsed.set(id, props);
      }
      return props;
    };
    let all = rowValues(values, { vars: this.vars, params: this.params, nodeProps }, this.rows);
    if (!all) {
      const numbered = [...this.vars, { name: ROW_NUMBER, type: 'num' as const }];
      all = new Array(this.rows.length);
      try {
        const r = this.read([valuesClause([...values, { kind: 'var', name: ROW_NUMBER }])], 'values', Number.MAX_SAFE_INTEGER, this.rows.map((row, i) => [...row, i]), numbered);
        for (const out of r.rows) all[Number(out[values.length])] = out;
      } catch {
        return false;
      }
    }
    if (items.every((item) => item.kind === 'setProp')) {
      this.patchBatch(items as Extract<SetItem, { kind: 'setProp' }>[], targets, all, stored);
      return true;
    }
    const held = { node: new Map<number, Record<string, unknown>>(), rel: new Map<number, Record<string, unknown>>() };
    this.rows.forEach((_row, i) => {
      items.forEach((item, k) => {
        const target = (targets[i] as ({ id: number; type: 'node' | 'rel' } | null)[])[k];
        if (!target) return;
        let props = held[target.type].get(target.id);
        if (!props) {
          const text = stored[target.type].get(target.id);
          if (text === undefined) return; // deleted earlier in this query
          props = parseExactJson(text, true) as Record<string, unknown>;
        }
        held[target.type].set(target.id, this.applySet(item as Exclude<SetItem, { kind: 'setLabels' }>, props, (all[i] as unknown[])[k] ?? null));
      });
    });
    for (const kind of ['node', 'rel'] as const) this.bulk.setProps(kind, [...held[kind]].map(([id, p]) => [id, toJsonText(p)]));
    return true;
  }

  /**
   * The end of setBatch when every item sets one property: the last value
   * each target gets for each key, in row order, goes to SQLite as a patch,
   * and the properties the items do not name stay as stored, never parsed
   * or written again here.
   */
  private patchBatch(
    items: readonly Extract<SetItem, { kind: 'setProp' }>[],
    targets: readonly ({ id: number; type: 'node' | 'rel' } | null)[][],
    values: readonly unknown[][],
    stored: Record<'node' | 'rel', ReadonlyMap<number, string>>,
  ): void {
    const patches = { node: new Map<number, Record<string, unknown>>(), rel: new Map<number, Record<string, unknown>>() };
    targets.forEach((t, i) => {
      items.forEach((item, k) => {
        const target = t[k];
        if (!target || !stored[target.type].has(target.id)) return; // no target, or deleted earlier in this query
        let patch = patches[target.type].get(target.id);
        if (!patch) {
          patch = {};
          patches[target.type].set(target.id, patch);
        }
        const value = (values[i] as unknown[])[k] ?? null;
        checkPropertyKey(item.key);
        patch[item.key] = value === null ? null : checkedProperty(item.key, value);
        this.stats.propertiesSet++;
      });
    });
    for (const kind of ['node', 'rel'] as const) this.bulk.patchProps(kind, [...patches[kind]].map(([id, p]) => [id, toJsonText(p)]));
  }

  /** One SET item on a target's properties (changed in place, or replaced by SET n = map): the new properties. */
  private applySet(item: Exclude<SetItem, { kind: 'setLabels' }>, props: Record<string, unknown>, value: unknown): Record<string, unknown> {
    if (item.kind === 'setProp') {
      checkPropertyKey(item.key);
      if (value === null) delete props[item.key];
      else props[item.key] = checkedProperty(item.key, value);
      this.stats.propertiesSet++;
      return props;
    }
    let map = value;
    if (map !== null && typeof map === 'object' && !Array.isArray(map) && 'properties' in map && 'id' in map) map = (map as { properties: unknown }).properties;
    if (map === null) map = {};
    if (typeof map !== 'object' || Array.isArray(map) || isWholeFloat(map)) throw invalid(`SET ${item.variable} ${item.merge ? '+=' : '='} needs a map, e.g. {name: 'Ann'}.`);
    const next: Record<string, unknown> = item.merge ? props : {};
    for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
      checkPropertyKey(k);
      if (v === null) delete next[k];
      else next[k] = checkedProperty(k, v);
      this.stats.propertiesSet++;
    }
    if (!item.merge) this.stats.propertiesSet += Object.keys(props).filter((k) => !(k in next)).length;
    return next;
  }

  private set(item: SetItem, row: Row): void {
    if (item.kind === 'setLabels') {
      const target = this.valueOf(row, item.variable, 'node');
      if (!target) return;
      for (const label of new Set(item.labels)) this.stats.labelsAdded += this.sql.insertLabel!.run(target.id, label).changes;
      return;
    }
    const target = this.valueOf(row, item.variable, 'node or rel');
    if (!target) return;
    const value = this.evaluate(item.value, row);
    const props = this.readProps(target);
    if (!props) return; // deleted earlier in this query
    this.writeProps(target, this.applySet(item, props, value));
  }

  private remove(item: RemoveItem, row: Row): void {
    if (item.kind === 'removeLabels') {
      const target = this.valueOf(row, item.variable, 'node');
      if (!target) return;
      for (const label of new Set(item.labels)) this.stats.labelsRemoved += this.sql.deleteLabel!.run(target.id, label).changes;
      return;
    }
    const target = this.valueOf(row, item.variable, 'node or rel');
    if (!target) return;
    const props = this.readProps(target);
    if (!props || !(item.key in props)) return;
    delete props[item.key];
    this.stats.propertiesSet++;
    this.writeProps(target, props);
  }

  private delete(e: Expr, row: Row, detach: boolean): void {
    let type: VType;
    let value: unknown;
    if (e.kind === 'var') {
      const i = this.indexOf(e.name);
      if (i === -1) throw invalid(`variable ${e.name} is not defined; MATCH it before DELETE.`);
      type = (this.vars[i] as OutputColumn).type;
      value = row[i];
    } else {
      // a list element or map entry (friends[0], m.key): its value says what it holds
      const r = this.readRow(e, () => [valuesClause([e])], 'values', row, this.vars, 1);
      value = r.rows[0]?.[0] ?? null;
      // as RETURN shows them: nodes, relationships and paths are JSON objects, read by their shape
      type = value !== null && typeof value === 'object' ? 'any' : (r.columns[0]?.type ?? 'null');
    }
    if (value === null || value === undefined) return;
    const targets = deleteTargets(type, value);
    if (targets === null) throw invalid(`DELETE ${e.kind === 'var' ? e.name : 'of this expression'} needs a node, relationship or path, not a value.`);
    // a path's relationships go first, so its nodes are free of them when checked
    targets.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'rel' ? -1 : 1));
    for (const { kind, id } of targets) {
      if (kind === 'rel') {
        const type = this.sql.relType!.get(id) as string | undefined;
        if (type !== undefined) this.deleted.rels.set(id, type);
        this.stats.relationshipsDeleted += this.sql.deleteRel!.run(id).changes;
        continue;
      }
      if (detach) {
        for (const [rel, type] of this.sql.relsOfNode!.iterate(id, id) as IterableIterator<[number | bigint, string]>) this.deleted.rels.set(Number(rel), type);
        this.stats.relationshipsDeleted += this.sql.deleteNodeRels!.run(id, id).changes;
      } else this.plainDeleted.add(id);
      this.sql.deleteNodeLabels!.run(id);
      const gone = this.sql.deleteNode!.run(id).changes;
      if (gone > 0) this.deleted.nodes.add(id);
      this.stats.nodesDeleted += gone;
    }
  }
}

/** The name the batch MERGE gives its row numbers (a NUL-free name no query can spell as a variable). */
const ROW_NUMBER = '\u0002row';

/** The names bindingPaths gives the unnamed parts of a named path while its clause runs (as unspellable). */
const HIDDEN_PREFIX = '\u0002part';

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Whether a MERGE key value (as SQLite gives it) reads back from the stored
 * properties' JSON as the same SQLite value, so the key a new node will have
 * is known without asking SQLite (MergeIndex.keysOf): an integer of 64 bits,
 * or text that is whole UTF-16 without NUL. Reals and the rest are asked.
 */
function readsBackAsIs(v: unknown): boolean {
  if (typeof v === 'bigint') return v <= INT64_MAX && v >= -INT64_MAX - 1n;
  if (typeof v === 'number') return Number.isSafeInteger(v);
  return typeof v === 'string' && !v.includes('\u0000') && !isBrokenText(v);
}

/**
 * MERGE keys computed in JS (row-eval.ts) as SQLite gives the key columns
 * (compileKeys, read with safeIntegers): a boolean is the integer 1 or 0 (what
 * json_extract makes of true), a string itself, a number as is (sqliteKey
 * equates an integral one with its integer). A list or map would be JSON text
 * as SQLite prints it: left to the SQL.
 */
function keysInJs(rows: unknown[][] | undefined): unknown[][] | undefined {
  if (!rows) return undefined;
  for (const values of rows) {
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (typeof v === 'boolean') values[k] = v ? 1n : 0n;
      else if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') return undefined;
    }
  }
  return rows;
}


const GRAPH_READING_KINDS: ReadonlySet<string> = new Set(['pattern', 'patternComprehension', 'shortestPath', 'subquery']);

/**
 * The variables an expression reads, each with the property keys read through
 * it (`n.key`), or null for a use of the whole value (`n`, `keys(n)`,
 * `n{.*}`); null overall when it holds a pattern or subquery (which may read
 * any part of the graph).
 */
function graphReads(e: Expr): Map<string, Set<string> | null> | null {
  const reads = new Map<string, Set<string> | null>();
  let patterns = false;
  const whole = (name: string): void => {
    reads.set(name, null);
  };
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(visit);
      return;
    }
    if (x === null || typeof x !== 'object') return;
    const o = x as { kind?: unknown; name?: unknown; variable?: unknown; target?: { kind?: unknown; name?: unknown }; key?: unknown };
    if (typeof o.kind === 'string' && GRAPH_READING_KINDS.has(o.kind)) patterns = true;
    if (o.kind === 'prop' && o.target?.kind === 'var' && typeof o.target.name === 'string' && typeof o.key === 'string') {
      const keys = reads.has(o.target.name) ? reads.get(o.target.name) : new Set<string>();
      if (keys) {
        keys.add(o.key);
        reads.set(o.target.name, keys);
      }
      return;
    }
    if ((o.kind === 'var' || o.kind === 'variable') && typeof o.name === 'string') whole(o.name);
    // a map projection names its variable without a var node
    if (o.kind === 'mapProjection' && typeof o.variable === 'string') whole(o.variable);
    Object.values(o).forEach(visit);
  };
  visit(e);
  return patterns ? null : reads;
}

function setValue(item: SetItem): Expr | null {
  return item.kind === 'setLabels' ? null : item.value;
}

/** `MERGE (n:Label {k: v, ...})` with n new: what MergeIndex can look up. */
function isSingleNodeMerge(p: Pattern, inputNames: ReadonlySet<string>): boolean {
  const np = p.nodes[0];
  if (p.rels.length > 0 || !np) return false;
  if (np.variable !== null && inputNames.has(np.variable)) return false;
  return np.properties?.kind === 'map' && np.properties.entries.length > 0;
}

/** `MERGE (a)-[r:T]->(b)` (or <-) with a and b bound nodes, neither with labels or properties, r new and without properties: what mergeRel can look up. */
function isBoundRelMerge(p: Pattern, inputVars: readonly OutputColumn[]): boolean {
  const [a, b] = p.nodes;
  const rel = p.rels[0];
  if (p.nodes.length !== 2 || p.rels.length !== 1 || !a || !b || !rel || p.path || p.shortest) return false;
  const boundNode = (np: NodePattern): boolean => np.variable !== null && np.labels.length === 0 && np.properties === null && inputVars.some((v) => v.name === np.variable && v.type === 'node');
  if (!boundNode(a) || !boundNode(b)) return false;
  if (rel.range || rel.types.length !== 1 || rel.properties !== null || (rel.direction !== 'out' && rel.direction !== 'in')) return false;
  return rel.variable === null || !inputVars.some((v) => v.name === rel.variable);
}

/** The variables a pattern names, in order, each once, with its kind. */
function patternVariables(patterns: readonly Pattern[]): OutputColumn[] {
  const out: OutputColumn[] = [];
  const add = (name: string | null, type: 'node' | 'rel'): void => {
    if (name === null) return;
    const seen = out.find((v) => v.name === name);
    if (!seen) out.push({ name, type });
    else if (seen.type !== type) throw invalid(`variable ${name} names both a node and a relationship; give them different names.`);
  };
  for (const p of patterns) {
    p.nodes.forEach((np, i) => {
      if (i > 0) add(p.rels[i - 1]?.variable ?? null, 'rel');
      add(np.variable, 'node');
    });
  }
  return out;
}

/**
 * The nodes and relationships a DELETE operand holds: ids for node / rel
 * typed values (and lists of them), {nodes, rels} ids for a path, and for a
 * value of unknown type (a list element, a map entry) the JSON shape a node
 * ({id, labels}), relationship ({id, type, start, end}) or path ({nodes,
 * relationships}) is returned in. null when it holds something else.
 */
function deleteTargets(type: VType, value: unknown): { kind: 'node' | 'rel'; id: number }[] | null {
  const ids = (kind: 'node' | 'rel', xs: unknown): { kind: 'node' | 'rel'; id: number }[] => (Array.isArray(xs) ? xs : [xs]).map((x) => ({ kind, id: Number(x) }));
  switch (type) {
    case 'node':
    case 'nodes':
      return ids('node', value);
    case 'rel':
    case 'rels':
      return ids('rel', value);
    case 'path': {
      const p = value as { nodes?: unknown; rels?: unknown };
      return [...ids('node', p.nodes ?? []), ...ids('rel', p.rels ?? [])];
    }
    default:
      return entitiesIn(value);
  }
}

function entitiesIn(value: unknown): { kind: 'node' | 'rel'; id: number }[] | null {
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    const parts = value.map(entitiesIn);
    return parts.every((x) => x !== null) ? parts.flat() : null;
  }
  const o = value as Record<string, unknown>;
  if (Array.isArray(o.nodes) && Array.isArray(o.relationships)) {
    const parts = [...o.nodes, ...o.relationships].map(entitiesIn);
    return parts.every((x) => x !== null) ? parts.flat() : null;
  }
  if (o.id === undefined || o.id === null) return null;
  if (Array.isArray(o.labels)) return [{ kind: 'node', id: Number(o.id) }];
  if (typeof o.type === 'string' && 'start' in o) return [{ kind: 'rel', id: Number(o.id) }];
  return null;
}

/** A key a write may set or remove; checked whatever the value, null (a removal) included. */
function checkPropertyKey(key: string): void {
  if (key === '__proto__') throw invalid('a property may not be named __proto__, which many JSON tools drop or turn into a prototype; rename it.');
}

/**
 * Property values are scalars or lists of scalars, as in Neo4j. JSON has no
 * Infinity, which JSON.stringify writes as null: it is stored as its string,
 * as a NaN already is (README, Cypher). A key named __proto__ is refused as it
 * is in metadata: assigned to the object that holds the properties it set its
 * prototype instead, and the property was gone without a word.
 */
function checkedProperty(key: string, value: unknown): unknown {
  checkPropertyKey(key);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (SCALAR_TYPES.has(typeof value) || isWholeFloat(value)) return value;
  if (Array.isArray(value) && value.every((x) => x !== null && (SCALAR_TYPES.has(typeof x) || isWholeFloat(x)))) {
    return value.some((x) => typeof x === 'number' && !Number.isFinite(x)) ? value.map((x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)) : value;
  }
  throw invalid(`property ${key} must be a number, string, boolean or a list of them, not ${Array.isArray(value) ? 'a list with nulls, maps or nodes' : 'a map or node'}; store its fields as separate properties.`);
}

import type Database from 'better-sqlite3';
import type { Expr } from './ast.ts';
import { propertyOf } from './compile-expr.ts';
import { fromNative, type Sql } from './values.ts';

/**
 * The lookup behind MERGE of one node, `MERGE (n:Label {k: expr, ...})`, for
 * a batch of rows (run-write.ts). Row by row, MERGE runs a MATCH of the
 * pattern against the graph as the earlier rows left it; with n rows and m
 * candidate nodes that is n scans of m nodes. Here the candidates (nodes with
 * all the labels) are read once per clause into a Map keyed by their
 * property values, and every node the clause creates or changes is read
 * again by id and re-keyed, so each row still sees the earlier rows' nodes.
 *
 * The keys are the SQLite values the MATCH would compare with `=` (the same
 * SQL forms, compile-read.ts propertyConditions), encoded so that two keys
 * are equal exactly when SQLite's `=` holds: integers and reals by numeric
 * value, text by its characters, never a number with text, never NULL.
 */

export interface MergeKey {
  key: string;
  /** compared as json() text (a list or map value), not as the native value */
  structured: boolean;
}

export class MergeIndex {
  private readonly byKey = new Map<string, number[]>();
  /** the properties (JSON text) of the nodes read when the index was made, as they were then */
  readonly props = new Map<number, string>();
  private readonly keyOf = new Map<number, string>();
  private readonly one: Database.Statement;
  private readonly unstored: Database.Statement;

  /**
   * `batch`, when given, is every row's key values (known before the clause
   * writes anything): then only the nodes whose values are among them are
   * read, through the `name` index where the key is `name`, since the other
   * nodes cannot match a row unless the clause itself rewrites them, and
   * every node it writes is read again (refresh). A batch of 10 against
   * 100,000 entities read them all (about 350 ms).
   */
  constructor(db: Database.Database, labels: readonly string[], keys: readonly MergeKey[], batch?: readonly (readonly unknown[])[]) {
    const node: Sql = { ...fromNative('node', 'n.id'), table: 'n' };
    const cols = keys.map((k) => {
      const prop = propertyOf(node, k.key);
      return k.structured ? `json(${prop.json})` : prop.native;
    });
    const distinct = [...new Set(labels)];
    const labelled = distinct.map((_l, i) => `EXISTS (SELECT 1 FROM graph_labels l WHERE l.node_id = n.id AND l.label = @l${i})`);
    const binds = Object.fromEntries(distinct.map((l, i) => [`l${i}`, l]));
    const select = `SELECT n.id, ${cols.join(', ')} FROM graph_nodes n`;
    const selectWithProps = `SELECT n.id, ${cols.join(', ')}, n.props FROM graph_nodes n`;
    const among = batch ? keyLists(keys, batch) : undefined;
    const conditions = [...(among ? cols.map((c, i) => `${c} IN (SELECT value FROM json_each(@k${i}))`) : []), ...labelled];
    const all = db.prepare(`${selectWithProps}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY n.id`);
    const allBinds: Record<string, string> = { ...binds };
    among?.forEach((list, i) => (allBinds[`k${i}`] = list));
    this.one = db.prepare(`${select} WHERE n.id = @id${labelled.map((c) => ` AND ${c}`).join('')}`);
    // the same key columns over nodes not stored yet: the CTE has the columns of graph_nodes that `cols` read
    this.unstored = db.prepare(
      `WITH n(id, props, vector_id) AS (SELECT j.key, j.value, json_extract(j.value, '$.vector_id') FROM json_each(@nodes) j) SELECT ${cols.join(', ')} FROM n ORDER BY n.id`,
    );
    this.oneBinds = binds;
    const last = cols.length + 1;
    for (const raw of all.raw(true).safeIntegers(true).iterate(allBinds) as IterableIterator<unknown[]>) {
      const id = Number(raw[0]);
      this.add(id, sqliteKey(raw.slice(1, last)));
      this.props.set(id, raw[last] as string);
    }
  }

  private readonly oneBinds: Record<string, string>;

  /** The nodes whose values equal `values` (SQLite values from the row), in id order. */
  find(values: readonly unknown[]): readonly number[] {
    return this.findKey(sqliteKey(values));
  }

  /** find() by a key already made with sqliteKey. */
  findKey(key: string | null): readonly number[] {
    return key === null ? [] : (this.byKey.get(key) ?? []);
  }

  /**
   * The keys nodes with these properties (JSON texts) would have once stored, in order, as
   * refresh() would read them: a batch can then create its new nodes in one statement and
   * still know which later rows find them.
   */
  keysOf(props: readonly string[]): (string | null)[] {
    if (props.length === 0) return [];
    const rows = this.unstored.raw(true).safeIntegers(true).all({ nodes: JSON.stringify(props) }) as unknown[][];
    return rows.map((raw) => sqliteKey(raw));
  }

  /** Reads a node again after the clause created or changed it (its labels or properties). */
  refresh(id: number): void {
    const old = this.keyOf.get(id);
    if (old !== undefined) {
      const ids = this.byKey.get(old) as number[];
      ids.splice(ids.indexOf(id), 1);
      if (ids.length === 0) this.byKey.delete(old);
      this.keyOf.delete(id);
    }
    const raw = this.one.raw(true).safeIntegers(true).get({ ...this.oneBinds, id }) as unknown[] | undefined;
    if (raw) this.add(id, sqliteKey(raw.slice(1)));
  }

  private add(id: number, key: string | null): void {
    if (key === null) return;
    const ids = this.byKey.get(key);
    if (!ids) this.byKey.set(key, [id]);
    else {
      // in id order, as the MATCH's rows come
      let at = ids.length;
      while (at > 0 && (ids[at - 1] as number) > id) at--;
      ids.splice(at, 0, id);
    }
    this.keyOf.set(id, key);
  }
}

/**
 * Per key, the distinct values the rows hold, as JSON lists whose json_each
 * values SQLite's `=` compares as it compares the rows' own (text as text,
 * integers exactly, reals as reals); undefined when a key is a list or map
 * (compared as JSON text) or a value has no such JSON (a blob), which then
 * reads every candidate.
 */
function keyLists(keys: readonly MergeKey[], batch: readonly (readonly unknown[])[]): string[] | undefined {
  if (keys.some((k) => k.structured)) return undefined;
  const lists = keys.map(() => new Set<string>());
  for (const values of batch) {
    if (values.some((v) => v === null || v === undefined)) continue; // a null key matches nothing
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      let text: string;
      if (typeof v === 'bigint') text = v.toString();
      else if (typeof v === 'number') {
        if (!Number.isFinite(v)) return undefined;
        // an integral real is written with its fraction so that json_each gives a real; = equates it with the integer anyway
        text = Number.isInteger(v) ? `${BigInt(v)}.0` : String(v);
      } else if (typeof v === 'string') text = JSON.stringify(v);
      else return undefined;
      (lists[i] as Set<string>).add(text);
    }
  }
  return lists.map((l) => `[${[...l].join(',')}]`);
}

/** SQLite values (read with safeIntegers) as one string, equal for two rows exactly when `=` holds for every pair; null when one is NULL. */
export function sqliteKey(values: readonly unknown[]): string | null {
  // one text value, the usual key (a name): its part alone, without the list below
  if (values.length === 1 && typeof values[0] === 'string') return `s${values[0]}`;
  const parts: string[] = [];
  for (const v of values) {
    if (v === null || v === undefined) return null;
    if (typeof v === 'bigint') parts.push(`n${v.toString()}`);
    // an integral real equals the integer of its value (1.0 = 1, and 2^60 as a real, which String() rounds to 1152921504606847000); other reals only themselves
    else if (typeof v === 'number') parts.push(Number.isInteger(v) ? `n${BigInt(v).toString()}` : `n${String(v)}`);
    else if (typeof v === 'string') parts.push(`s${v}`);
    else if (Buffer.isBuffer(v)) parts.push(`b${v.toString('hex')}`);
    else return null;
  }
  // one part is unambiguous as it is; several are joined as a JSON array, which no text inside can confuse
  return parts.length === 1 ? (parts[0] as string) : JSON.stringify(parts);
}

/** Whether an expression may read the graph (a node, a relationship, a pattern): such values must be taken row by row, after the earlier rows' writes. */
export function readsGraph(e: Expr, graphVars: ReadonlySet<string>): boolean {
  const visit = (x: unknown): boolean => {
    if (Array.isArray(x)) return x.some(visit);
    if (x === null || typeof x !== 'object') return false;
    const o = x as { kind?: string; name?: unknown; variable?: unknown };
    if (o.kind === 'pattern') return true;
    if ((o.kind === 'var' || o.kind === 'variable') && typeof o.name === 'string' && graphVars.has(o.name)) return true;
    // n{.name}: a map projection names its variable without a var node
    if (o.kind === 'mapProjection' && typeof o.variable === 'string' && graphVars.has(o.variable)) return true;
    return Object.values(o).some(visit);
  };
  return visit(e);
}

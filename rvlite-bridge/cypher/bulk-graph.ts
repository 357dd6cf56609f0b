import type Database from 'better-sqlite3';

/**
 * Set-based reads and writes of graph rows for a write clause over a batch
 * (run-write.ts): one statement per batch, each row's data passed as one JSON
 * array, where row by row took a statement (and a trip between JavaScript and
 * SQLite) per row. A batch upsert of 10,000 entities spent most of its time
 * in those trips.
 */

export type EntityKind = 'node' | 'rel';

export class BulkGraph {
  readonly #nextNode: Database.Statement;
  readonly #nextRel: Database.Statement;
  readonly #insertNodes: Database.Statement;
  readonly #insertRels: Database.Statement;
  readonly #insertLabels: Database.Statement;
  readonly #props: Record<EntityKind, Database.Statement>;
  readonly #setProps: Record<EntityKind, Database.Statement>;
  readonly #patchProps: Record<EntityKind, Database.Statement>;

  constructor(db: Database.Database) {
    // above every id ever handed out: the highest deleted (graph_ids, store/cache-schema.ts) and the highest live
    this.#nextNode = db.prepare('SELECT max(coalesce((SELECT node FROM graph_ids), 0), coalesce((SELECT max(id) FROM graph_nodes), 0)) + 1').pluck().safeIntegers(true);
    this.#nextRel = db.prepare('SELECT max(coalesce((SELECT rel FROM graph_ids), 0), coalesce((SELECT max(id) FROM graph_rels), 0)) + 1').pluck().safeIntegers(true);
    this.#insertRels = db.prepare(
      "INSERT INTO graph_rels (id, type, src, dst, props) SELECT j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', '{}' FROM json_each(?) j ORDER BY j.key",
    );
    this.#insertNodes = db.prepare("INSERT INTO graph_nodes (id, props) SELECT j.value ->> '$[0]', j.value ->> '$[1]' FROM json_each(?) j ORDER BY j.key");
    this.#insertLabels = db.prepare("INSERT OR IGNORE INTO graph_labels (node_id, label) SELECT j.value ->> '$[0]', j.value ->> '$[1]' FROM json_each(?) j ORDER BY j.key");
    const read = (table: string): Database.Statement => db.prepare(`SELECT g.id, g.props FROM json_each(?) j JOIN ${table} g ON g.id = j.value`).raw(true).safeIntegers(false);
    this.#props = { node: read('graph_nodes'), rel: read('graph_rels') };
    const write = (table: string): Database.Statement =>
      db.prepare(`UPDATE ${table} SET props = j.value ->> '$[1]' FROM json_each(?) j WHERE ${table}.id = j.value ->> '$[0]'`);
    this.#setProps = { node: write('graph_nodes'), rel: write('graph_rels') };
    // a merge patch (RFC 7396): SQLite keeps every other property's JSON text as stored, numbers included
    const patch = (table: string): Database.Statement =>
      db.prepare(`UPDATE ${table} SET props = json_patch(props, j.value ->> '$[1]') FROM json_each(?) j WHERE ${table}.id = j.value ->> '$[0]'`);
    this.#patchProps = { node: patch('graph_nodes'), rel: patch('graph_rels') };
  }

  /** The id the next created node gets. */
  nextNodeId(): number {
    const next = this.#nextNode.get() as bigint;
    if (next > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('node ids have reached 2^53');
    return Number(next);
  }

  /** The id the next created relationship gets. */
  nextRelId(): number {
    const next = this.#nextRel.get() as bigint;
    if (next > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('relationship ids have reached 2^53');
    return Number(next);
  }

  /** Inserts relationships without properties, ids chosen by the caller (from nextRelId, in order). */
  insertRels(rels: readonly { id: number; type: string; src: number; dst: number }[]): void {
    if (rels.length > 0) this.#insertRels.run(JSON.stringify(rels.map((r) => [r.id, r.type, r.src, r.dst])));
  }

  /** Inserts nodes with ids chosen by the caller (from nextNodeId, in order), and their labels. */
  insertNodes(nodes: readonly { id: number; props: string }[], labels: readonly string[]): void {
    if (nodes.length === 0) return;
    this.#insertNodes.run(JSON.stringify(nodes.map((n) => [n.id, n.props])));
    if (labels.length === 0) return;
    const pairs: [number, string][] = [];
    for (const n of nodes) for (const label of labels) pairs.push([n.id, label]);
    this.#insertLabels.run(JSON.stringify(pairs));
  }

  /** The properties (JSON text) of the entities that exist among `ids`. */
  props(kind: EntityKind, ids: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    if (ids.length === 0) return out;
    for (const [id, props] of this.#props[kind].iterate(JSON.stringify(ids)) as IterableIterator<[number, string]>) out.set(id, props);
    return out;
  }

  /** Sets properties of existing entities: each patch is a JSON object of new values, null removing one. */
  patchProps(kind: EntityKind, patches: readonly [number, string][]): void {
    if (patches.length > 0) this.#patchProps[kind].run(JSON.stringify(patches));
  }

  /** Replaces the properties of existing entities. */
  setProps(kind: EntityKind, entries: readonly [number, string][]): void {
    if (entries.length > 0) this.#setProps[kind].run(JSON.stringify(entries));
  }
}

import type Database from 'better-sqlite3';
import { invalid } from './errors.ts';

/**
 * What a write query deleted, for the clauses after the DELETE. openCypher
 * lets a query still name a deleted node or relationship: `type(r)` and
 * `id(n)` keep working, but reading its properties or labels is an error
 * (the TCK's DeletedEntityAccess), not the null an absent row would give.
 * The rows are gone from the graph tables at once (a later MATCH must not
 * find them), so the compiled SQL asks here when a row it looks up is
 * missing: compile-expr.ts calls cypher_gone and cypher_gone_type only then.
 */

interface Deleted {
  nodes: Set<number>;
  rels: Map<number, string>;
}

const byConnection = new WeakMap<Database.Database, Deleted>();
const registered = new WeakSet<Database.Database>();

/** Starts remembering deletes on a connection, for one write query; returns the record to add to. */
export function rememberDeletes(db: Database.Database): Deleted {
  const deleted: Deleted = { nodes: new Set(), rels: new Map() };
  byConnection.set(db, deleted);
  return deleted;
}

/** Ends the record of a write query's deletes. */
export function forgetDeletes(db: Database.Database): void {
  byConnection.delete(db);
}

/** Adds cypher_gone and cypher_gone_type to a connection (once). */
export function registerDeleted(db: Database.Database): void {
  if (registered.has(db)) return;
  registered.add(db);
  // NULL for an id no write deleted (an absent row reads as null, as before); an error for one it did
  db.function('cypher_gone', { deterministic: false }, (kind: unknown, id: unknown) => {
    if (id === null) return null;
    const deleted = byConnection.get(db);
    const gone = kind === 'node' ? deleted?.nodes.has(Number(id)) : deleted?.rels.has(Number(id));
    if (gone) throw invalid(`the ${kind === 'node' ? 'node' : 'relationship'} ${String(id)} was deleted earlier in this query, so its properties and labels cannot be read; read them before the DELETE.`);
    return null;
  });
  db.function('cypher_gone_type', { deterministic: false }, (id: unknown) => (id === null ? null : (byConnection.get(db)?.rels.get(Number(id)) ?? null)));
}

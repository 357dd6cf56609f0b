import type Database from 'better-sqlite3';
import { parse } from 'oxigraph';
import { quadToRow, rowToNQuad } from './terms.ts';
import type { QuadDelta, QuadRow } from './types.ts';

/**
 * Writes a delta to rdf_quads. It runs in a savepoint, so it is all or nothing
 * inside the caller's transaction (or its own transaction without one).
 *
 * Inserted rows are oxigraph's canonical text. A deleted quad is normally
 * stored in that same text, but rows written by other code may spell a term
 * differently (`"caf\u00E9"` for `"café"`, `"x"^^xsd:string` for `"x"`):
 * when the exact row is missing, the rows with the same subject and predicate
 * are read back in canonical form to find the one meant.
 */
export function applyQuadDelta(db: Database.Database, delta: QuadDelta): void {
  const del = db.prepare('DELETE FROM rdf_quads WHERE s = ? AND p = ? AND o = ? AND g = ?');
  const delRowid = db.prepare('DELETE FROM rdf_quads WHERE rowid = ?');
  const sameSubject = db.prepare('SELECT rowid AS id, s, p, o, g FROM rdf_quads WHERE s = ? AND p = ?');
  const ins = db.prepare('INSERT OR IGNORE INTO rdf_quads (s, p, o, g) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (const r of delta.deleted) {
      if (del.run(r.s, r.p, r.o, r.g).changes > 0) continue;
      const want = rowToNQuad(r);
      for (const c of sameSubject.all(r.s, r.p) as (QuadRow & { id: number })[]) {
        if (canonical(c) === want) delRowid.run(c.id);
      }
    }
    for (const r of delta.inserted) ins.run(r.s, r.p, r.o, r.g);
  })();
}

/** A row's N-Quads line in oxigraph's canonical form, or null if it does not parse. */
function canonical(row: QuadRow): string | null {
  try {
    const [q] = parse(rowToNQuad(row), { format: 'application/n-quads' });
    return q === undefined ? null : rowToNQuad(quadToRow(q));
  } catch {
    return null;
  }
}

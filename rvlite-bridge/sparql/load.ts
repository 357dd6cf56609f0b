import type Database from 'better-sqlite3';
import { parse, Store } from 'oxigraph';
import { oxigraphMessage, SparqlError } from './errors.ts';
import { freeStore, rethrowTrap } from './wasm-store.ts';

/**
 * Fills a new oxigraph store from rdf_quads.
 *
 * Quads without blank nodes go through store.load as N-Quads text, built by
 * SQLite and fed in chunks (one parse, no per-quad calls into WASM). store.load
 * gives every blank node a fresh random id, though, which would make each
 * update's delta delete and reinsert every quad that has one. Quads that may
 * hold a blank node (any `_:` in s, o or g, which also catches a literal that
 * merely contains it) are therefore parsed with oxigraph's parse(), which keeps
 * labels, and added one by one: about ten times slower per quad, paid only
 * for those.
 */

const CHUNK_ROWS = 10_000;

const LINE = `s || ' ' || p || ' ' || o || CASE g WHEN '' THEN '' ELSE ' ' || g END || ' .'`;
const MAY_HAVE_BNODE = `(substr(s, 1, 2) = '_:' OR substr(g, 1, 2) = '_:' OR instr(o, '_:') > 0)`;

export interface LoadedQuads {
  store: Store;
  /** rdf_version.v read in the same transaction as the quads. */
  version: number;
}

export function loadQuads(db: Database.Database): LoadedQuads {
  const store = new Store();
  try {
    // One read transaction: the quads and the version come from the same snapshot.
    const version = db.transaction(() => {
      store.load(chunks(db, `NOT ${MAY_HAVE_BNODE}`), { format: 'application/n-quads' });
      for (const text of chunks(db, MAY_HAVE_BNODE)) {
        for (const q of parse(text, { format: 'application/n-quads' })) store.add(q);
      }
      const row = db.prepare('SELECT v FROM rdf_version WHERE one = 1').get() as { v: number } | undefined;
      return row?.v ?? 0;
    })();
    return { store, version };
  } catch (err) {
    rethrowTrap(err);
    freeStore(store);
    if (err instanceof SparqlError) throw err;
    throw new SparqlError(
      'EINVAL',
      `rdf_quads holds a quad that is not valid N-Quads (${oxigraphMessage(err)}); repair or delete that row, then load again.`,
    );
  }
}

/** N-Quads text of the rows matching `where`, CHUNK_ROWS lines at a time, in rowid order. */
function* chunks(db: Database.Database, where: string): Generator<string> {
  const next = db
    .prepare(
      `SELECT group_concat(line, char(10)) || char(10) AS text, max(r) AS last
       FROM (SELECT rowid AS r, ${LINE} AS line FROM rdf_quads WHERE rowid > ? AND ${where} ORDER BY rowid LIMIT ${CHUNK_ROWS})`,
    );
  let after: number | bigint = -(2n ** 63n); // below any rowid
  for (;;) {
    const row = next.get(after) as { text: string | null; last: number | null };
    if (row.last === null || row.text === null) return;
    after = row.last;
    yield row.text;
  }
}

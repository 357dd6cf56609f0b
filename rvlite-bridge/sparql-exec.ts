import type Database from 'better-sqlite3';
import { inodeOf, reader, writer } from './child-connections.ts';
import { QueryError } from './child-rpc.ts';
import type { QueryRequest, QueryRows } from './query-protocol.ts';
import { atExpectedCommit } from './expected-commit.ts';
import { applyQuadDelta, isSparqlError, SparqlEngine } from './sparql/index.ts';
import { inWriteTransaction } from './write-transaction.ts';
import { readOnlyMessage } from './read-only-words.ts';

/**
 * SPARQL in the query child. Each store's triples are loaded into an
 * in-memory oxigraph store once, and loaded again only when rdf_quads has
 * changed since (rdf_version, bumped by triggers on every change, whoever made
 * it). An update runs on that store, its delta goes to rdf_quads inside the
 * write transaction, and after the commit the loaded store is current; if the
 * write fails, it is dropped and loaded anew from SQLite next time.
 */

interface Loaded {
  engine: SparqlEngine;
  /** rdf_version.v the engine matches; -1 while an update is in flight. */
  version: number;
  ino: number;
}

const loaded = new Map<string, Loaded>();

function rdfVersion(db: Database.Database): number {
  return Number(db.prepare('SELECT v FROM rdf_version WHERE one = 1').pluck().get() ?? 0);
}

/** The engine for the cache at `path`, as of what `db` sees now (call inside its transaction). */
function engineFor(path: string, db: Database.Database): Loaded {
  const version = rdfVersion(db);
  const ino = inodeOf(path) ?? -1;
  const known = loaded.get(path);
  if (known && known.version === version && known.ino === ino) return known;
  known?.engine.free();
  loaded.delete(path);
  const fresh = { engine: SparqlEngine.load(db), version, ino };
  loaded.set(path, fresh);
  return fresh;
}

function asQueryError(err: unknown): never {
  if (isSparqlError(err)) throw new QueryError(err.code === 'EUNSUPPORTED' ? 'EINVAL' : err.code, err.message);
  throw err;
}

export function runSparqlRequest(req: QueryRequest): QueryRows {
  if (req.params !== undefined && (Array.isArray(req.params) ? req.params.length > 0 : Object.keys(req.params).length > 0)) {
    throw new QueryError('EINVAL', 'SPARQL takes no params; write the values into the query (e.g. with VALUES).');
  }
  const rdb = reader(req.db);
  let update: boolean;
  try {
    update = atExpectedCommit(rdb, req, () => engineFor(req.db, rdb).engine.isUpdate(req.text));
  } catch (err) {
    asQueryError(err);
  }
  if (!update) {
    return atExpectedCommit(rdb, req, () => {
      try {
        const r = engineFor(req.db, rdb).engine.query(req.text, { maxRows: req.rowCap, maxBytes: req.byteCap });
        return { columns: r.columns, rows: r.rows, truncated: r.truncated, sparql: r.json };
      } catch (err) {
        // A query that also holds an update ("SELECT ... ; DROP ALL"): refused as the update it holds.
        if (isSparqlError(err) && err.code === 'EREADONLY' && !req.write) throw new QueryError('EREADONLY', readOnlyMessage(req.readOnlyContext, 'SPARQL updates are refused'));
        asQueryError(err);
      }
    });
  }
  if (!req.write) {
    throw new QueryError('EREADONLY', readOnlyMessage(req.readOnlyContext, 'SPARQL updates are refused'));
  }
  const w = writer(req.db);
  let entry: Loaded | undefined;
  const out = inWriteTransaction(w, req, undefined, () => {
    entry = engineFor(req.db, w.db);
    entry.version = -1;
    try {
      const delta = entry.engine.update(req.text);
      applyQuadDelta(w.db, delta);
      return { columns: [], rows: [], truncated: false, stats: { quadsInserted: delta.inserted.length, quadsDeleted: delta.deleted.length } };
    } catch (err) {
      asQueryError(err);
    }
  });
  if (entry) entry.version = rdfVersion(w.db);
  return out;
}

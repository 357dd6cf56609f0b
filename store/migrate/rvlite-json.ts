import { basename } from 'node:path';
import { RvfError } from '../errors.ts';
import type { Source, SourceKind } from './source-types.ts';
import { checkMetadata, checkVector, type VectorRecord } from './vector-files.ts';
import { readGraph, readTriples } from './rvlite-graph.ts';

/**
 * rvlite's saved state in its three JSON shapes (rvf-facts §5): the Rust
 * core's state, the npm CLI's db.json, and the "RVF1" envelope around a
 * db.json. These are read whole: rvlite kept all of it in memory too.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Which rvlite shape a parsed JSON object is, if any. */
export function rvliteKind(o: Obj): SourceKind | undefined {
  if (o['magic'] === 'RVF1' && 'payload' in o) return 'rvlite-envelope';
  const v = o['vectors'];
  if (isObj(v) && Array.isArray(v['entries'])) return 'rvlite-state';
  if (isObj(v) && Object.values(v).every((e) => isObj(e) && Array.isArray(e['vector']))) return 'rvlite-db';
  return undefined;
}

export function rvliteSource(o: Obj, kind: SourceKind, path: string, fingerprint: string): Source {
  const name = basename(path);
  const skipped: string[] = [];
  let records: VectorRecord[];
  let dimensions: number | undefined;
  let metric: unknown;
  let body = o;
  if (kind === 'rvlite-envelope') {
    let payload = o['payload'];
    if (typeof payload === 'string') {
      try {
        payload = JSON.parse(payload);
      } catch (err) {
        throw new RvfError('EINVAL', `${name}: the RVF1 envelope's payload is not valid JSON (${(err as Error).message}); fix the file.`);
      }
    }
    if (!isObj(payload) || rvliteKind(payload) !== 'rvlite-db') {
      throw new RvfError('EINVAL', `${name}: the RVF1 envelope's payload is not an rvlite database ({vectors: {<id>: {vector}}}); fix the file.`);
    }
    body = payload;
    dimensions = numberOr(o['dimensions']);
    metric = o['distance_metric'];
  }
  if (kind === 'rvlite-state') {
    const v = body['vectors'] as Obj;
    records = (v['entries'] as unknown[]).map((e, i) => {
      const at = `${name} vectors.entries[${i}]`;
      if (!isObj(e)) throw new RvfError('EINVAL', `${at}: expected {id, vector, metadata}; fix the file.`);
      return entry(e['id'], e['vector'], e['metadata'], at);
    });
    dimensions = numberOr(v['dimensions']);
    metric = v['distance_metric'];
    const schemas = body['sql_schemas'];
    if (Array.isArray(schemas) && schemas.length > 0) {
      const names = schemas.map((s) => (isObj(s) ? String(s['name']) : '?')).join(', ');
      skipped.push(`sql_schemas: ${schemas.length} table schema(s) (${names}) not migrated; rvlite saved their columns only, no rows. Re-create them with SQL CREATE TABLE if needed.`);
    }
  } else {
    const v = body['vectors'] as Obj;
    records = Object.entries(v).map(([id, e]) => {
      const at = `${name} vectors[${JSON.stringify(id)}]`;
      return entry(id, (e as Obj)['vector'], (e as Obj)['metadata'], at);
    });
    const config = body['config'];
    if (isObj(config)) {
      dimensions ??= numberOr(config['dimensions']);
      metric ??= config['metric'] ?? config['distance_metric'];
    }
  }
  for (const r of records) {
    if (dimensions !== undefined && r.vector.length !== dimensions) {
      throw new RvfError('EINVAL', `${r.at}: the vector has ${r.vector.length} numbers, the file declares dimension ${dimensions}; fix the file.`);
    }
    dimensions ??= r.vector.length;
  }
  const { nodes, rels } = readGraph(body['graph'], skipped);
  const quads = readTriples(body['triples'], skipped);
  const source: Source = {
    kind,
    path,
    fingerprint,
    metric,
    nodes,
    rels,
    quads,
    skipped,
    forEachBatch: async (each) => {
      for (let i = 0; i < records.length; i += 10_000) await each(records.slice(i, i + 10_000));
    },
  };
  if (dimensions !== undefined) source.dimensions = dimensions;
  return source;
}

function entry(id: unknown, vector: unknown, metadata: unknown, at: string): VectorRecord {
  if (!((typeof id === 'string' && id !== '') || typeof id === 'number')) {
    throw new RvfError('EINVAL', `${at}: the id must be a non-empty string or a number; fix the file.`);
  }
  return { id, vector: checkVector(vector, at), metadata: checkMetadata(metadata, at), at };
}

function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

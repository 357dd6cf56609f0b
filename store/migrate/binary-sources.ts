import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { RvfError } from '../errors.ts';
import { parseEngineExport } from '../engine-export.ts';
import { RvfDatabase } from '../database.ts';
import type { Metric } from '../types.ts';
import type { Source } from './source-types.ts';
import type { VectorRecord } from './vector-files.ts';

/** Binary sources: an rvf-wasm engine export, and a .rvf store. */

const BATCH = 10_000;

/** Engine exports hold u64 ids and no metric; they are small enough (an engine's memory) to read whole. */
export function engineExportSource(path: string, fingerprint: string): Source {
  const name = basename(path);
  const parsed = parseEngineExport(readFileSync(path), name);
  const dim = parsed.dimensions;
  return {
    kind: 'engine-export',
    path,
    fingerprint,
    dimensions: dim,
    nodes: [],
    rels: [],
    quads: [],
    skipped: [],
    forEachBatch: async (each) => {
      for (let start = 0; start < parsed.ids.length; start += BATCH) {
        const batch: VectorRecord[] = [];
        for (let i = start; i < Math.min(parsed.ids.length, start + BATCH); i++) {
          const id = (parsed.ids[i] as bigint).toString();
          batch.push({ id, vector: parsed.vectors.subarray(i * dim, (i + 1) * dim), metadata: null, at: `${name} row ${i} (id ${id})` });
        }
        await each(batch);
      }
    },
  };
}

/**
 * The @ruvector/rvf SDK's sidecar `<store>.idmap.json`:
 * `{"idToLabel": {"doc-1": 1, ...}, "labelToId": {"1": "doc-1", ...}, "nextLabel": n}`.
 * Labels are the u64 ids in the file, from 1 up; deleting an id drops its pair.
 */
function readIdmap(path: string): Map<string, string> | undefined {
  const p = `${path}.idmap.json`;
  if (!existsSync(p)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    throw new RvfError('EINVAL', `${basename(p)} is not valid JSON (${(err as Error).message}); fix or remove it (without it the store's numeric labels become the ids).`);
  }
  const map = new Map<string, string>();
  const o = (raw ?? {}) as { labelToId?: unknown; idToLabel?: unknown };
  if (o.labelToId && typeof o.labelToId === 'object') {
    for (const [label, id] of Object.entries(o.labelToId as Record<string, unknown>)) if (typeof id === 'string') map.set(label, id);
  } else if (o.idToLabel && typeof o.idToLabel === 'object') {
    for (const [id, label] of Object.entries(o.idToLabel as Record<string, unknown>)) map.set(String(label), id);
  }
  return map;
}

export function idmapPath(path: string): string | undefined {
  const p = `${path}.idmap.json`;
  return existsSync(p) ? p : undefined;
}

/**
 * A .rvf store, read through our own reader opened read-only (it takes no
 * lease and writes nothing beside the file). Files of the native SDK record
 * no metric: their reader ranks by L2, which is what they report unless the
 * caller names one.
 */
export async function nativeStoreSource(path: string, fingerprint: string, metric: Metric | undefined): Promise<Source> {
  const name = basename(path);
  const idmap = readIdmap(path);
  const probe = await RvfDatabase.openReadonly(path, metric ? { metric, onWarning: () => {} } : { onWarning: () => {} });
  let status;
  try {
    status = await probe.status();
  } finally {
    await probe.close();
  }
  const skipped: string[] = [];
  if (idmap === undefined) skipped.push(`no ${name}.idmap.json beside the store: its numeric ids were kept as they are`);
  return {
    kind: 'native-store',
    path,
    fingerprint,
    dimensions: status.dimensions,
    metric: status.metric,
    nodes: [],
    rels: [],
    quads: [],
    skipped,
    forEachBatch: async (each) => {
      const db = await RvfDatabase.openReadonly(path, { metric: status.metric, onWarning: () => {} });
      try {
        await db.forEachEntry(async (chunk) => {
          const batch: VectorRecord[] = chunk.map((e) => {
            const label = String(e.id);
            const id = idmap?.get(label) ?? label;
            return { id, vector: e.vector, metadata: e.metadata, at: `${name} id ${label}${id !== label ? ` (${JSON.stringify(id)})` : ''}` };
          });
          await each(batch);
        });
      } finally {
        await db.close();
      }
    },
  };
}

import { RvfDatabase } from '../database.ts';
import type { Metric } from '../types.ts';
import type { MigrationSummary } from './dest-state.ts';
import { withCache } from './dest-state.ts';
import { closeEnough, exactDistance } from './distance.ts';
import type { IdRegistry } from './ids.ts';
import { mapId } from './ids.ts';
import type { Source } from './source-types.ts';

/**
 * Checks a migrated store against its source: every source vector id is
 * live, the graph and triple rows the record lists are all there, and for up
 * to 20 stored source vectors used as queries the store's top 10 (ids and
 * distances) equals a brute-force float64 ranking over the SOURCE vectors.
 * Vectors the store held before that are not in the source keep the store's
 * distances in that ranking, so they do not count as mismatches.
 */

export interface Sample {
  id: bigint;
  vector: Float32Array;
}

const K = 10;

export async function verifyMigration(
  source: Source,
  destPath: string,
  metric: Metric,
  registry: IdRegistry,
  samples: Sample[],
  expected: { nodes: number; relationships: number; quads: number },
): Promise<{ checked: number; mismatches: string[] }> {
  const mismatches: string[] = [];
  const db = await RvfDatabase.openReadonly(destPath, { onWarning: () => {} });
  try {
    // 1. Every source id is live; the owned rows are all there.
    await withCache(db, (c) => {
      const ids = [...registry.ids()];
      let missing = 0;
      let example = '';
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500);
        const found = new Set((c.prepare(`SELECT id FROM vectors WHERE id IN (${part.map(() => '?').join(',')})`).all(...part) as { id: bigint }[]).map((r) => r.id));
        for (const id of part) {
          if (found.has(id)) continue;
          if (missing++ === 0) example = id.toString();
        }
      }
      if (missing > 0) mismatches.push(`${missing} of ${ids.length} source vectors are missing from the store (e.g. id ${example})`);
      const row = c.prepare('SELECT summary FROM rvf_migrations WHERE source = ? AND fingerprint = ?').get(source.path, source.fingerprint) as { summary: string } | undefined;
      if (!row) {
        mismatches.push('the store has no migration record for this source');
        return;
      }
      const summary = JSON.parse(row.summary) as MigrationSummary;
      if (summary.state !== 'done') mismatches.push('the migration record says the run did not finish');
      const countIn = (table: string): number =>
        summary.ranges
          .filter((r) => r[0] === table)
          .reduce((n, [, lo, hi]) => n + Number((c.prepare(`SELECT count(*) AS n FROM ${table} WHERE rowid BETWEEN ? AND ?`).get(BigInt(lo), BigInt(hi)) as { n: bigint }).n), 0);
      const have = { nodes: countIn('graph_nodes'), relationships: countIn('graph_rels'), quads: countIn('rdf_quads') };
      for (const key of ['nodes', 'relationships', 'quads'] as const) {
        if (have[key] !== expected[key]) mismatches.push(`${key}: the store holds ${have[key]} of this source's, the source ${expected[key]}`);
      }
    });

    // 2. Top 10 of sample queries, store against brute force over the source.
    const got: { id: bigint; distance: number }[][] = [];
    for (const s of samples) got.push((await db.query(s.vector, K)).map((r) => ({ id: BigInt(r.id), distance: r.distance })));
    const best = samples.map(() => [] as { id: bigint; distance: number }[]);
    const exactOfReturned = samples.map(() => new Map<bigint, number>());
    const returned = got.map((g) => new Set(g.map((r) => r.id)));
    const f32 = new Float32Array(samples[0]?.vector.length ?? 0);
    if (samples.length > 0) {
      await source.forEachBatch(async (batch) => {
        for (const r of batch) {
          const id = mapId(r.id, r.at).id;
          f32.set(r.vector);
          samples.forEach((s, q) => {
            const d = exactDistance(metric, s.vector, f32);
            if ((returned[q] as Set<bigint>).has(id)) (exactOfReturned[q] as Map<bigint, number>).set(id, d);
            insertTop(best[q] as { id: bigint; distance: number }[], id, d);
          });
        }
      });
    }
    samples.forEach((s, q) => {
      const dest = got[q] as { id: bigint; distance: number }[];
      const want = [...(best[q] as { id: bigint; distance: number }[])];
      for (const r of dest) if (!registry.has(r.id)) insertTop(want, r.id, r.distance);
      const problems: string[] = [];
      if (dest.length !== want.length) problems.push(`${dest.length} results, expected ${want.length}`);
      for (let i = 0; i < Math.min(dest.length, want.length); i++) {
        const d = dest[i] as { id: bigint; distance: number };
        const w = want[i] as { id: bigint; distance: number };
        if (!closeEnough(d.distance, w.distance)) problems.push(`rank ${i + 1}: id ${d.id} at ${d.distance}, expected id ${w.id} at ${w.distance}`);
        const exact = exactOfReturned[q]?.get(d.id);
        if (exact !== undefined && !closeEnough(d.distance, exact)) problems.push(`id ${d.id} is at ${d.distance} in the store, ${exact} in the source`);
      }
      if (problems.length > 0) mismatches.push(`query by source vector ${s.id}: ${problems.slice(0, 3).join('; ')}`);
    });
    return { checked: samples.length, mismatches };
  } finally {
    await db.close();
  }
}

/** Keeps `top` the K nearest, sorted; a repeated id keeps its newest distance (the source's last entry wins). */
function insertTop(top: { id: bigint; distance: number }[], id: bigint, distance: number): void {
  const at = top.findIndex((t) => t.id === id);
  if (at >= 0) top.splice(at, 1);
  if (top.length >= K && distance >= (top[K - 1] as { distance: number }).distance) return;
  let i = top.length;
  while (i > 0 && (top[i - 1] as { distance: number }).distance > distance) i--;
  top.splice(i, 0, { id, distance });
  if (top.length > K) top.pop();
}

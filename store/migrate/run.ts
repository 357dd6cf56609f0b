import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { RvfDatabase } from '../database.ts';
import { RvfError } from '../errors.ts';
import type { Entry, Metric } from '../types.ts';
import { LIMITS } from '../../schemas/limits.ts';
import { readDestState, type DestState } from './dest-state.ts';
import { planGraphEffects } from './graph-effects.ts';
import { IdRegistry } from './ids.ts';
import { mapMetric } from './metric.ts';
import { openSource, type Source } from './sources.ts';
import { verifyMigration, type Sample } from './verify.ts';

/**
 * `migrate(source, dest)`: brings an rvlite database, an engine export, a
 * native store or a vector file into a .rvf store.
 *
 * 1. Plan: read the whole source once, checking every record (ids, dimension,
 *    metadata size, id collisions) before anything is written, so a bad
 *    record at line 900,000 leaves the destination untouched.
 * 2. Compare with the destination: a source whose fingerprint (sha256 of its
 *    bytes) is already recorded as done there is a no-op; a dry run stops here.
 * 3. Write: vectors by upsert in batches of at most 10,000, then the graph,
 *    triples and the migration record through the log (writeEffects).
 * 4. Verify, when asked, against the source.
 */

export interface MigrateOptions {
  dryRun?: boolean;
  verify?: boolean;
  metric?: Metric;
  onProgress?: (done: number, total: number) => void;
}

export interface MigrateReport {
  sourceKind: string;
  source: string;
  fingerprint: string;
  alreadyMigrated: boolean;
  vectors: number;
  idsMapped: number;
  nodes: number;
  relationships: number;
  quads: number;
  skipped: string[];
  dimensions: number;
  metric: Metric;
  epoch?: number;
  verify?: { checked: number; mismatches: string[] };
}

const BATCH = 10_000;
const SAMPLES = 20;

interface Plan {
  registry: IdRegistry;
  /** Records in the source (a repeated id counts once). */
  vectors: number;
  dimensions: number | undefined;
  samples: Sample[];
}

async function plan(source: Source): Promise<Plan> {
  const registry = new IdRegistry();
  let dimensions = source.dimensions;
  let seen = 0;
  const samples: Sample[] = [];
  // A seeded reservoir: the same source always gets the same sample.
  let state = parseInt(source.fingerprint.slice(0, 8), 16) >>> 0 || 1;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  await source.forEachBatch(async (batch) => {
    for (const r of batch) {
      if (dimensions === undefined) dimensions = r.vector.length;
      if (r.vector.length !== dimensions) {
        throw new RvfError('EINVAL', `${r.at}: the vector has ${r.vector.length} numbers, the source's dimension is ${dimensions}; fix the source.`);
      }
      const { id } = registry.add(r.id, r.at);
      if (r.metadata && Buffer.byteLength(JSON.stringify(r.metadata)) > LIMITS.maxMetadataBytes - 512) {
        throw new RvfError('ELIMIT', `${r.at}: metadata is over the ${LIMITS.maxMetadataBytes}-byte limit; shorten it in the source.`);
      }
      const sample = { id, vector: Float32Array.from(r.vector) };
      if (samples.length < SAMPLES) samples.push(sample);
      else {
        const j = Math.floor(random() * (seen + 1));
        if (j < SAMPLES) samples[j] = sample;
      }
      seen++;
    }
  });
  // A repeated id: the sample must hold the vector the store keeps (the last).
  return { registry, vectors: registry.size, dimensions, samples: lastOfEach(samples) };
}

function lastOfEach(samples: Sample[]): Sample[] {
  const byId = new Map<bigint, Sample>();
  for (const s of samples) byId.set(s.id, s);
  return [...byId.values()];
}

async function destInfo(dest: string): Promise<{ dimensions: number; metric: Metric; state: DestState } | undefined> {
  if (!existsSync(dest)) return undefined;
  const db = await RvfDatabase.openReadonly(dest, { onWarning: () => {} });
  try {
    const status = await db.status();
    return { dimensions: status.dimensions, metric: status.metric, state: await readDestState(db) };
  } finally {
    await db.close();
  }
}

export async function migrate(sourcePath: string, destPath: string, options: MigrateOptions = {}): Promise<MigrateReport> {
  const dest = resolve(destPath);
  const source = await openSource(sourcePath, options.metric ? { metric: options.metric } : {});
  if (source.path === dest) throw new RvfError('EINVAL', 'the destination must be another file than the source.');
  const existing = await destInfo(dest);
  const recorded = existing?.state.migrations.find((m) => m.fingerprint === source.fingerprint && m.summary.state === 'done');
  if (existing && recorded && !options.verify) {
    // Already here: answer from the record, without reading the source again.
    const { vectors, idsMapped, nodes, relationships, quads } = recorded.summary;
    return {
      sourceKind: source.kind,
      source: source.path,
      fingerprint: source.fingerprint,
      alreadyMigrated: true,
      vectors,
      idsMapped,
      nodes,
      relationships,
      quads,
      skipped: [...source.skipped],
      dimensions: existing.dimensions,
      metric: existing.metric,
    };
  }
  const p = await plan(source);
  let declared: Metric | undefined;
  let metricNote: string | undefined;
  try {
    declared = mapMetric(source.metric, basename(source.path));
  } catch (err) {
    if (!options.metric) throw err;
    metricNote = `the source's metric ${JSON.stringify(source.metric)} has no equivalent here; used ${options.metric}`;
  }
  const dimensions = existing?.dimensions ?? p.dimensions;
  if (dimensions === undefined) throw new RvfError('EINVAL', `${basename(source.path)} holds no vectors and no dimension; create the destination store first.`);
  if (existing && p.dimensions !== undefined && p.dimensions !== existing.dimensions) {
    throw new RvfError('EINVAL', `${dest} holds vectors of dimension ${existing.dimensions}, the source ${p.dimensions}; migrate into another store.`);
  }
  const wanted = options.metric ?? declared;
  if (existing && wanted !== undefined && wanted !== existing.metric) {
    throw new RvfError('EINVAL', `${dest} uses the ${existing.metric} metric, the source ${wanted}; migrate into another store.`);
  }
  const metric: Metric = existing?.metric ?? wanted ?? 'cosine';
  const state: DestState = existing?.state ?? { migrations: [], maxRowid: { graph_nodes: 0n, graph_labels: 0n, graph_rels: 0n, rdf_quads: 0n } };
  const done = state.migrations.find((m) => m.fingerprint === source.fingerprint && m.summary.state === 'done');
  const graph = planGraphEffects(source, state, { kind: source.kind, vectors: p.vectors, idsMapped: p.registry.hashed });
  const report: MigrateReport = {
    sourceKind: source.kind,
    source: source.path,
    fingerprint: source.fingerprint,
    alreadyMigrated: done !== undefined,
    vectors: p.vectors,
    idsMapped: p.registry.hashed,
    nodes: graph.nodes,
    relationships: graph.relationships,
    quads: graph.quads,
    skipped: [...source.skipped, ...graph.skipped],
    dimensions,
    metric,
  };
  if (metricNote) report.skipped.push(metricNote);
  if (done || options.dryRun) {
    if (done && options.verify) report.verify = await verifyMigration(source, dest, metric, p.registry, p.samples, done.summary);
    return report;
  }

  const db = existing ? await RvfDatabase.open(dest) : await RvfDatabase.create(dest, { dimensions, metric });
  try {
    let written = 0;
    let pending: Entry[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      report.epoch = (await db.ingestBatch(pending)).epoch;
      written += pending.length;
      pending = [];
      options.onProgress?.(written, p.vectors);
    };
    await source.forEachBatch(async (batch) => {
      for (const r of batch) {
        const mapped = p.registry.add(r.id, r.at);
        const metadata = mapped.hashed ? { ...(r.metadata ?? {}), _source_id: String(r.id) } : r.metadata;
        pending.push({ id: mapped.id, vector: r.vector, metadata });
        if (pending.length >= BATCH) await flush();
      }
    });
    await flush();
    // A fresh plan of the graph: the destination may have moved since it was read.
    const fresh = planGraphEffects(source, await readDestState(db), { kind: source.kind, vectors: p.vectors, idsMapped: p.registry.hashed });
    for (const effects of fresh.effects) report.epoch = (await db.writeEffects(effects)).epoch;
  } finally {
    await db.close();
  }
  if (options.verify) report.verify = await verifyMigration(source, dest, metric, p.registry, p.samples, graph);
  return report;
}


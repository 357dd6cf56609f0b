import type { VectorRecord } from './vector-files.ts';

/** What every migration source gives run.ts, whatever its format. */

export type SourceKind =
  | 'rvlite-state' // rvlite Rust core's saved state JSON
  | 'rvlite-db' // rvlite npm CLI's .rvlite/db.json
  | 'rvlite-envelope' // rvlite's "RVF migration" JSON envelope (magic RVF1) around a db.json
  | 'engine-export' // @ruvector/rvf-wasm rvf_store_export bytes
  | 'native-store' // a .rvf store (the native SDK's or ours), with its .idmap.json when present
  | 'json'
  | 'jsonl'
  | 'csv';

export interface SourceNode {
  sourceId: string;
  labels: string[];
  /** Properties as JSON values (rvlite's PV shape already unwrapped). */
  props: Record<string, unknown>;
}

export interface SourceRel {
  sourceId: string;
  type: string;
  from: string;
  to: string;
  props: Record<string, unknown>;
}

/** A quad as rdf_quads holds it: N-Triples terms, g = '' for the default graph. */
export interface SourceQuad {
  s: string;
  p: string;
  o: string;
  g: string;
}

export interface Source {
  kind: SourceKind;
  /** Absolute path of the source file. */
  path: string;
  /** sha256 (hex) of the source bytes (for a native store: of the file, then its idmap). */
  fingerprint: string;
  /** The dimension the source declares, if it declares one. */
  dimensions?: number;
  /** The metric name the source declares, as written there ("euclidean"). */
  metric?: unknown;
  /** Calls `each` with the source's vectors in batches, in source order; may be called more than once. */
  forEachBatch(each: (batch: VectorRecord[]) => Promise<void>): Promise<void>;
  nodes: SourceNode[];
  rels: SourceRel[];
  quads: SourceQuad[];
  /** What the source holds that is not migrated, as sentences for the report. */
  skipped: string[];
}

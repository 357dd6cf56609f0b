import type { Metric } from './types.ts';

/**
 * Messages between a store's handle (store/ann-index.ts) and its index worker
 * (store/ann-worker.ts).
 *
 * Changes travel as one ordered stream of numbered steps; the worker applies
 * them in order, in slices, and answers a search between any two slices. A
 * step's `seq` tells the handle how far the index has got: every change with a
 * seq at or below the worker's `applied` is in the index.
 */

/** What the sidecar must describe to be trusted: this store, at one of this file's commits. */
export interface SidecarExpectation {
  fileId: string;
  dimensions: number;
  metric: Metric;
  epoch: number;
  commitHash: string;
}

export interface WorkerSetup {
  dimensions: number;
  metric: Metric;
  /** The sidecar's path; the worker writes it only when `writable`. */
  sidecarPath: string;
  writable: boolean;
  /** Test hook: how long a sidecar write waits between its temp file and the rename. */
  saveDelayMs: number;
  /** Test hook: how long the worker holds each search before it answers (a worker kept from its work). */
  searchDelayMs: number;
  /** Test hook: how long the worker is busy before each step, its messages unread meanwhile. */
  stepDelayMs: number;
  /** Where the worker also leaves each search's answer (store/ann-answer-slot.ts). */
  answerSlot: SharedArrayBuffer;
  /** The store's commit count, which paces the worker's background work (store/ann-pacing.ts). */
  commitCount: SharedArrayBuffer;
}

/** At close, the rows the worker may still add to reach a mark worth saving; rows past them are never sent. */
export const CLOSE_BUDGET_ROWS = 5000;

export type Step =
  /** Replace the index with the sidecar, verified against `expect`; on any doubt, start empty and say why. */
  | { seq: number; kind: 'load'; expect: SidecarExpectation }
  /** Start empty (a rebuild, or a sidecar that was refused). */
  | { seq: number; kind: 'reset' }
  /** Rows as they are now; an id already indexed is replaced. */
  | { seq: number; kind: 'upsert'; ids: BigUint64Array; vectors: Float32Array }
  | { seq: number; kind: 'delete'; ids: BigUint64Array }
  /**
   * Everything before this step is the store at this commit: the only points
   * where a sidecar may be written, and only when `complete` (every live row
   * has been sent, not just the changes of a build still under way). `save`
   * asks for one now (after a build, a compaction, or now and then).
   */
  | { seq: number; kind: 'mark'; fileId: string; epoch: number; commitHash: string; complete: boolean; save: boolean };

export type ToWorker =
  | { type: 'step'; step: Step }
  | { type: 'search'; id: number; vector: Float32Array; k: number }
  /** Apply up to the next mark (when that is little work), write the sidecar if asked, and stop. */
  | { type: 'close'; save: boolean }
  /** Stop after the step at hand, saving nothing (a close with no sidecar to write). */
  | { type: 'stop' };

export type FromWorker =
  /** `spare`: the applied upsert's vector buffer, given back for the handle's next rows */
  | { type: 'applied'; seq: number; size: number; spare?: ArrayBuffer }
  | { type: 'loaded'; seq: number; size: number }
  | { type: 'refused'; seq: number; reason: string }
  | { type: 'hits'; id: number; keys: BigUint64Array; applied: number }
  | { type: 'saved'; epoch: number }
  | { type: 'warning'; message: string }
  | { type: 'closed' };

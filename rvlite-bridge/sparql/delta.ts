import { parse, type Store } from 'oxigraph';
import { quadToRow } from './terms.ts';
import type { QuadDelta, QuadRow } from './types.ts';

/**
 * The net delta of an update, by comparing the store's quads before and after
 * it. oxigraph reports nothing about what an update touched, so the whole
 * store is compared: one dump (a single N-Quads string out of WASM) and a Set
 * of its lines per state. The lines are oxigraph's canonical form, so equal
 * quads are equal strings.
 */

export type QuadSnapshot = Set<string>;

export function snapshot(store: Store): QuadSnapshot {
  const lines = store.dump({ format: 'application/n-quads' }).split('\n');
  lines.pop(); // the text ends with a newline
  return new Set(lines);
}

export function diff(before: QuadSnapshot, after: QuadSnapshot): QuadDelta {
  const inserted: string[] = [];
  const deleted: string[] = [];
  for (const line of after) if (!before.has(line)) inserted.push(line);
  for (const line of before) if (!after.has(line)) deleted.push(line);
  return { inserted: linesToRows(inserted), deleted: linesToRows(deleted) };
}

/** Rows of N-Quads lines; parse() keeps blank node labels, unlike store.load. */
function linesToRows(lines: string[]): QuadRow[] {
  if (lines.length === 0) return [];
  return parse(lines.join('\n'), { format: 'application/n-quads' }).map(quadToRow);
}

/**
 * The TCK's side effects: what a query added to and removed from the
 * graph's observable state (tck/README.adoc, "Side effects"). A property is
 * an (entity, key, value) triple, so changing a value counts one removal and
 * one addition; labels are the distinct label names in the graph.
 */
import type { GraphState } from './engine.ts';

export const METRICS = ['+nodes', '-nodes', '+relationships', '-relationships', '+labels', '-labels', '+properties', '-properties'] as const;
export type Metric = (typeof METRICS)[number];
export type SideEffects = Record<Metric, number>;

export function noSideEffects(): SideEffects {
  return Object.fromEntries(METRICS.map((m) => [m, 0])) as SideEffects;
}

export function diffStates(before: GraphState, after: GraphState): SideEffects {
  const added = (a: Set<string>, b: Set<string>): number => [...b].filter((x) => !a.has(x)).length;
  return {
    '+nodes': added(before.nodes, after.nodes),
    '-nodes': added(after.nodes, before.nodes),
    '+relationships': added(before.relationships, after.relationships),
    '-relationships': added(after.relationships, before.relationships),
    '+labels': added(before.labels, after.labels),
    '-labels': added(after.labels, before.labels),
    '+properties': added(before.properties, after.properties),
    '-properties': added(after.properties, before.properties),
  };
}

/** The expected side effects from a "side effects should be" table; unlisted metrics are 0. */
export function parseSideEffects(table: readonly (readonly string[])[]): SideEffects {
  const out = noSideEffects();
  for (const [name, count] of table) {
    if (!(METRICS as readonly string[]).includes(name ?? '')) throw new Error(`unknown side effect ${JSON.stringify(name)}`);
    out[name as Metric] = Number(count);
  }
  return out;
}

/** How two sets of side effects differ, or undefined when they agree. */
export function sideEffectsMismatch(expected: SideEffects, actual: SideEffects): string | undefined {
  const diff = METRICS.filter((m) => expected[m] !== actual[m]);
  if (diff.length === 0) return undefined;
  return `side effects differ: ${diff.map((m) => `${m} expected ${expected[m]}, got ${actual[m]}`).join('; ')}`;
}

export function formatSideEffects(s: SideEffects): string {
  const nonzero = METRICS.filter((m) => s[m] !== 0);
  return nonzero.length === 0 ? 'none' : nonzero.map((m) => `${m} ${s[m]}`).join(', ');
}

/**
 * Scenarios the runner skips on purpose, each with its reason. Everything
 * else runs, and counts as failed when an engine cannot do it.
 */
import type { Scenario } from './features.ts';

export interface Exclusion {
  reason: string;
  applies(s: Scenario): boolean;
}

export const EXCLUSIONS: readonly Exclusion[] = [
  {
    reason:
      'needs a procedure registered by the test harness ("And there exists a procedure ..."); neither rvf (only rvf.knn) nor the comparison engine lets a caller register one',
    applies: (s) => s.steps.some((st) => st.text.startsWith('there exists a procedure')),
  },
  {
    reason: 'tagged @ignore in the TCK itself',
    applies: (s) => s.tags.includes('@ignore'),
  },
];

export function exclusionOf(s: Scenario): string | undefined {
  return EXCLUSIONS.find((e) => e.applies(s))?.reason;
}

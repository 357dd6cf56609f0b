/**
 * The three selections issue 12 measures, as folders under tck/features.
 * A selection is whole folders; "no procedures" is the exclusion list's
 * procedure rule, and "no temporal" leaves out expressions/temporal.
 */
const CORE = [
  'clauses/match',
  'clauses/match-where',
  'clauses/with',
  'clauses/with-where',
  'clauses/with-orderBy',
  'clauses/with-skip-limit',
  'clauses/unwind',
  'clauses/return',
  'clauses/return-orderby',
  'clauses/return-skip-limit',
  'clauses/create',
  'clauses/merge',
  'clauses/set',
  'clauses/remove',
  'clauses/delete',
  'expressions/aggregation',
  'expressions/boolean',
  'expressions/comparison',
  'expressions/null',
  'expressions/string',
  'expressions/list',
  'useCases',
];

const WIDER = [
  ...CORE,
  'clauses/union',
  'expressions/path',
  'expressions/pattern',
  'expressions/quantifier',
  'expressions/existentialSubqueries',
  'expressions/map',
  'expressions/literals',
  'expressions/mathematical',
  'expressions/precedence',
  'expressions/typeConversion',
  'expressions/conditional',
  'expressions/graph',
];

export interface Selection {
  name: string;
  target: string;
  dirs: readonly string[];
}

export const SELECTIONS: readonly Selection[] = [
  { name: 'core: clauses + expressions + useCases', target: '>= 95%', dirs: CORE },
  { name: 'core + union, paths, pattern, quantifier, subqueries, map, literals, ...', target: '>= 85%', dirs: WIDER },
  { name: 'temporal', target: 'measured', dirs: ['expressions/temporal'] },
];

/** Whether a feature folder (clauses/match, useCases/triadicSelection) is in a selection. */
export function inSelection(sel: Selection, dir: string): boolean {
  return sel.dirs.some((d) => dir === d || dir.startsWith(`${d}/`));
}

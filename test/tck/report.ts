/**
 * Counts and tables of a TCK run, as Markdown: pass / fail / excluded per
 * feature folder, per selection of issue 12, and the failure reasons by
 * count. The percentage is passed / (scenarios - excluded).
 */
import type { ScenarioResult } from './scenario.ts';
import { reasonFamily } from './reasons.ts';
import { inSelection, SELECTIONS } from './selections.ts';

export interface Counts {
  scenarios: number;
  passed: number;
  failed: number;
  excluded: number;
  /** Passed only by refusing a query that should raise an error, as "not supported". */
  passedByRefusal: number;
}

export function count(results: readonly ScenarioResult[]): Counts {
  const c: Counts = { scenarios: 0, passed: 0, failed: 0, excluded: 0, passedByRefusal: 0 };
  for (const r of results) {
    c.scenarios++;
    c[r.status]++;
    if (r.passedByRefusal) c.passedByRefusal++;
  }
  return c;
}

export function percent(c: Counts): string {
  const counted = c.scenarios - c.excluded;
  return counted === 0 ? '-' : `${((100 * c.passed) / counted).toFixed(1)}%`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
}

const HEAD = '| passed | of which by refusal | failed | excluded | scenarios | passed / (scenarios - excluded) |';
const RULE = '|---:|---:|---:|---:|---:|---:|';

function countCells(c: Counts): string {
  return `| ${c.passed} | ${c.passedByRefusal} | ${c.failed} | ${c.excluded} | ${c.scenarios} | ${percent(c)} |`;
}

/** Per selection, with the share of the scenarios that expect results (not an error) beside it. */
export function selectionTable(results: readonly ScenarioResult[]): string {
  const lines = [`| selection ${HEAD} of those expecting results |`, `|---${RULE}---:|`];
  const row = (name: string, rs: readonly ScenarioResult[]): string => {
    const positive = count(rs.filter((r) => !r.expectsError));
    return `| ${name} ${countCells(count(rs))} ${positive.passed} / ${positive.scenarios - positive.excluded} = ${percent(positive)} |`;
  };
  for (const sel of SELECTIONS) lines.push(row(sel.name, results.filter((r) => inSelection(sel, r.dir))));
  lines.push(row('everything run', results));
  return lines.join('\n');
}

export function folderTable(results: readonly ScenarioResult[]): string {
  const lines = [`| folder ${HEAD}`, `|---${RULE}`];
  for (const [dir, rs] of [...groupBy(results, (r) => r.dir)].sort(([a], [b]) => a.localeCompare(b))) lines.push(`| ${dir} ${countCells(count(rs))}`);
  return lines.join('\n');
}

/** Failure reasons (or their families) by count, with how many of them fall in the core selection. */
export function reasonTable(results: readonly ScenarioResult[], limit: number, grouping: 'reason' | 'family'): string {
  const core = SELECTIONS[0];
  const failed = results.filter((r) => r.status === 'failed');
  const key = (r: ScenarioResult): string => (grouping === 'family' ? reasonFamily(r.reason ?? 'unknown') : (r.reason ?? 'unknown'));
  const groups = [...groupBy(failed, key)].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const lines = ['| failures | in core selection | reason | e.g. |', '|---:|---:|---|---|'];
  for (const [reason, rs] of groups.slice(0, limit)) {
    const inCore = core ? rs.filter((r) => inSelection(core, r.dir)).length : 0;
    const eg = rs[0] as ScenarioResult;
    lines.push(`| ${rs.length} | ${inCore} | ${escapeCell(reason)} | ${eg.feature}:${eg.line} |`);
  }
  if (groups.length > limit) lines.push(`| ${groups.slice(limit).reduce((n, [, rs]) => n + rs.length, 0)} | | (${groups.length - limit} other reasons) | |`);
  return lines.join('\n');
}

export function exclusionTable(results: readonly ScenarioResult[]): string {
  const groups = groupBy(
    results.filter((r) => r.status === 'excluded'),
    (r) => r.reason ?? '',
  );
  const lines = ['| scenarios | reason |', '|---:|---|'];
  for (const [reason, rs] of groups) lines.push(`| ${rs.length} | ${escapeCell(reason)} |`);
  return lines.join('\n');
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One failure, for --verbose. */
export function describeFailure(r: ScenarioResult): string {
  const out = [`FAIL ${r.feature}:${r.line} ${r.name}`, `  reason: ${r.reason ?? ''}`];
  if (r.detail) out.push(`  detail: ${r.detail}`);
  if (r.query) out.push(`  query:\n${indent(r.query)}`);
  if (r.params) out.push(`  params: ${JSON.stringify(r.params)}`);
  if (r.expected) out.push(`  expected:\n${indent(r.expected)}`);
  if (r.actual) out.push(`  actual:\n${indent(r.actual)}`);
  else if (r.error) out.push(`  error: ${r.error.code}: ${r.error.message}`);
  return out.join('\n');
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

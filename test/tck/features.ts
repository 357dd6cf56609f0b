/**
 * Reads the TCK's feature files with @cucumber/gherkin and expands them into
 * scenarios (pickles: a Scenario Outline gives one per Examples row, with
 * <placeholders> filled in).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { AstBuilder, compile, GherkinClassicTokenMatcher, Parser } from '@cucumber/gherkin';
import { IdGenerator, type Pickle, type PickleStep } from '@cucumber/messages';

export interface Step {
  text: string;
  docString?: string;
  /** Cells by row, as Gherkin unescaped them (\|, \\ and \n). */
  table?: string[][];
}

export interface Scenario {
  /** The feature file relative to the features folder, with forward slashes: clauses/match/Match1.feature. */
  feature: string;
  /** The folder of the feature file: clauses/match. */
  dir: string;
  name: string;
  /** The line of the scenario, or of its Examples row for an outline. */
  line: number;
  tags: string[];
  steps: Step[];
}

export function loadScenarios(featuresDir: string, filter?: string): Scenario[] {
  const out: Scenario[] = [];
  for (const file of featureFiles(featuresDir)) {
    const feature = relative(featuresDir, file).split(sep).join('/');
    if (filter !== undefined && !feature.includes(filter)) continue;
    const newId = IdGenerator.incrementing();
    const doc = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher()).parse(readFileSync(file, 'utf8'));
    const lines = astLines(doc.feature);
    for (const pickle of compile(doc, feature, newId)) out.push(toScenario(pickle, feature, lines));
  }
  return out;
}

function featureFiles(dir: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...featureFiles(p));
    else if (e.name.endsWith('.feature')) found.push(p);
  }
  return found;
}

interface AstNodeWithLine {
  id: string;
  location: { line: number };
}

/** The source line of every scenario and Examples row, by AST node id (a pickle names its nodes by id only). */
function astLines(feature: unknown): Map<string, number> {
  const lines = new Map<string, number>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as Partial<AstNodeWithLine> & Record<string, unknown>;
    if (typeof n.id === 'string' && n.location && typeof n.location.line === 'number') lines.set(n.id, n.location.line);
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') visit(v);
  };
  visit(feature);
  return lines;
}

function toScenario(p: Pickle, feature: string, lines: Map<string, number>): Scenario {
  // The last AST node of a pickle is its Examples row when it comes from an outline.
  const nodeId = p.astNodeIds[p.astNodeIds.length - 1] ?? '';
  return {
    feature,
    dir: feature.split('/').slice(0, -1).join('/'),
    name: p.name,
    line: lines.get(nodeId) ?? 0,
    tags: p.tags.map((t) => t.name),
    steps: p.steps.map(toStep),
  };
}

function toStep(s: PickleStep): Step {
  const step: Step = { text: s.text.trim() };
  if (s.argument?.docString) step.docString = s.argument.docString.content;
  if (s.argument?.dataTable) step.table = s.argument.dataTable.rows.map((r) => r.cells.map((c) => c.value.trim()));
  return step;
}

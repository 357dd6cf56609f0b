/**
 * The openCypher TCK runner (issue 12). Not part of npm test: CI has no copy
 * of the TCK. Keep one outside this repository and run
 *
 *   npm run tck -- <tck/features dir> [--filter <substring of feature path>]
 *     [--engine rvf|grafeo] [--engine-path <@grafeo-db/js package dir>]
 *     [--graphs <tck/graphs dir>] [--time-limit <ms per query>]
 *     [--json <file>] [--verbose]
 *
 * Scenarios run one at a time, each on a fresh graph; the summary is printed
 * as Markdown (see CONFORMANCE.md).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine } from './engine.ts';
import { grafeoEngine } from './engine-grafeo.ts';
import { rvfEngine } from './engine-rvf.ts';
import { EXCLUSIONS } from './exclusions.ts';
import { loadScenarios } from './features.ts';
import { count, describeFailure, exclusionTable, folderTable, percent, reasonTable, selectionTable } from './report.ts';
import { runScenario, type ScenarioResult } from './scenario.ts';

const USAGE = 'usage: npm run tck -- <tck/features dir> [--filter s] [--engine rvf|grafeo] [--engine-path dir] [--graphs dir] [--time-limit ms] [--json file] [--verbose]';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      filter: { type: 'string' },
      engine: { type: 'string', default: 'rvf' },
      'engine-path': { type: 'string' },
      graphs: { type: 'string' },
      'time-limit': { type: 'string', default: '10000' },
      json: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const featuresDir = positionals[0];
  if (featuresDir === undefined || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const timeLimit = Number(values['time-limit']);
  const engine = makeEngine(values.engine ?? 'rvf', values['engine-path'] ?? process.env.TCK_GRAFEO_PATH, timeLimit);
  const graphsDir = resolve(values.graphs ?? join(featuresDir, '..', 'graphs'));
  const scenarios = loadScenarios(resolve(featuresDir), values.filter);
  console.error(`${scenarios.length} scenarios, engine ${engine.name}`);

  const results: ScenarioResult[] = [];
  const started = Date.now();
  let feature = '';
  try {
    for (const s of scenarios) {
      if (s.feature !== feature) {
        if (feature !== '') progress(feature, results);
        feature = s.feature;
      }
      const r = await runScenario(s, engine, graphsDir);
      results.push(r);
      if (values.verbose && r.status === 'failed') console.log(`${describeFailure(r)}\n`);
    }
    if (feature !== '') progress(feature, results);
  } finally {
    await engine.shutdown();
  }
  const seconds = Math.round((Date.now() - started) / 1000);

  console.log(`## ${engine.name}: ${percent(count(results))} of ${results.length} scenarios passed (${seconds} s)\n`);
  console.log(`### Selections\n\n${selectionTable(results)}\n`);
  console.log(`### Folders\n\n${folderTable(results)}\n`);
  console.log(`### Failure causes, grouped\n\n${reasonTable(results, 25, 'family')}\n`);
  console.log(`### Failure reasons\n\n${reasonTable(results, 60, 'reason')}\n`);
  console.log(`### Excluded\n\n${exclusionTable(results)}\n`);
  console.log('"By refusal": the scenario expects an error, and the engine refused the query as not supported.\n');

  if (values.json !== undefined) {
    const report = {
      engine: engine.name,
      featuresDir: resolve(featuresDir),
      filter: values.filter ?? null,
      date: new Date().toISOString(),
      node: process.version,
      seconds,
      exclusions: EXCLUSIONS.map((e) => e.reason),
      counts: count(results),
      results,
    };
    writeFileSync(values.json, `${JSON.stringify(report, null, 1)}\n`);
  }
  return 0;
}

function makeEngine(name: string, enginePath: string | undefined, timeLimitMs: number): Engine {
  if (name === 'rvf') return rvfEngine(timeLimitMs);
  if (name === 'grafeo') {
    if (enginePath === undefined) throw new Error('--engine grafeo needs --engine-path <dir of @grafeo-db/js> (or TCK_GRAFEO_PATH)');
    return grafeoEngine(enginePath, timeLimitMs);
  }
  throw new Error(`unknown engine ${JSON.stringify(name)}; use rvf or grafeo`);
}

function progress(feature: string, results: readonly ScenarioResult[]): void {
  const c = count(results.filter((r) => r.feature === feature));
  console.error(`${feature}: ${c.passed}/${c.scenarios - c.excluded} passed${c.excluded > 0 ? `, ${c.excluded} excluded` : ''}`);
}

process.exitCode = await main();

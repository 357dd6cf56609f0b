/**
 * Runs one TCK scenario on a fresh graph of an engine, step by step, and
 * says whether it passed, and if not why, with what was expected and what
 * came back.
 *
 * Steps (tck/README.adoc): Given an empty / any / the <name> graph; having
 * executed (setup); parameters are; When executing query (the query under
 * test, whose side effects are measured) or control query (a read that
 * checks a previous step); Then a result table, an empty result, an error;
 * no side effects / the side effects should be.
 *
 * An expected error passes when the engine refuses the query in any way,
 * since engines name errors differently; a query that runs instead fails.
 */
import { formatTable, tableMismatch, type Table } from './compare.ts';
import type { Engine, EngineError, EngineSession, QueryOutcome } from './engine.ts';
import { exclusionOf } from './exclusions.ts';
import type { Scenario, Step } from './features.ts';
import { namedGraphStatements } from './graphs.ts';
import { errorReason } from './reasons.ts';
import { diffStates, formatSideEffects, noSideEffects, parseSideEffects, sideEffectsMismatch, type SideEffects } from './side-effects.ts';
import { parseTckValue, type TckValue } from './values.ts';

export type Status = 'passed' | 'failed' | 'excluded';

export interface ScenarioResult {
  feature: string;
  dir: string;
  line: number;
  name: string;
  status: Status;
  /** The scenario's query under test should raise an error (the TCK's "negative" scenarios). */
  expectsError: boolean;
  /** Why it failed or was excluded, worded to group alike failures. */
  reason?: string;
  /** The specifics of a failure (which row, which metric). */
  detail?: string;
  /** The query of the failing step (the setup query when setup failed). */
  query?: string;
  params?: Record<string, string>;
  expected?: string;
  actual?: string;
  error?: EngineError;
  /** Passed an expected-error step by refusing the query as "not supported". */
  passedByRefusal?: boolean;
  ms: number;
}

class Failure extends Error {
  constructor(
    readonly reason: string,
    readonly extra: Partial<ScenarioResult> = {},
  ) {
    super(reason);
  }
}

interface Executed {
  query: string;
  outcome: QueryOutcome;
  /** Side effects of a query under test, when the scenario checks them. */
  effects?: SideEffects;
}

const RESULT_STEP = /^the result should be(, in (any )?order)?( \(ignoring element order for lists\))?:$/;
const ERROR_STEP = /^an? (\w+) should be raised at (compile time|runtime|any time): (\S+)$/;

export async function runScenario(s: Scenario, engine: Engine, graphsDir: string): Promise<ScenarioResult> {
  const base = { feature: s.feature, dir: s.dir, line: s.line, name: s.name, expectsError: s.steps.some((st) => ERROR_STEP.test(st.text)) };
  const started = Date.now();
  const excluded = exclusionOf(s);
  if (excluded !== undefined) return { ...base, status: 'excluded', reason: excluded, ms: 0 };
  const session = await engine.open();
  const run = new ScenarioRun(s, session, graphsDir);
  try {
    await run.steps();
    return { ...base, status: 'passed', ...(run.passedByRefusal ? { passedByRefusal: true } : {}), ms: Date.now() - started };
  } catch (err) {
    if (!(err instanceof Failure)) {
      return { ...base, status: 'failed', reason: 'runner error', detail: err instanceof Error ? err.message : String(err), ms: Date.now() - started };
    }
    return { ...base, status: 'failed', reason: err.reason, ...err.extra, ms: Date.now() - started };
  } finally {
    await session.close();
  }
}

class ScenarioRun {
  params: Record<string, TckValue> = {};
  paramText: Record<string, string> = {};
  last: Executed | undefined;
  passedByRefusal = false;
  /** The last query failed as an error step expected. */
  failedAsExpected = false;
  readonly checksEffects: boolean;

  constructor(
    readonly s: Scenario,
    readonly session: EngineSession,
    readonly graphsDir: string,
  ) {
    this.checksEffects = s.steps.some((st) => /side effects/.test(st.text) || ERROR_STEP.test(st.text));
  }

  async steps(): Promise<void> {
    for (const step of this.s.steps) await this.step(step);
  }

  async step(st: Step): Promise<void> {
    const t = st.text;
    if (t === 'an empty graph' || t === 'any graph') return;
    let m = /^the (\S+) graph$/.exec(t);
    if (m) {
      for (const q of namedGraphStatements(this.graphsDir, m[1] as string)) await this.setup(q);
      return;
    }
    if (/^(after )?having executed:$/.test(t)) return this.setup(docString(st));
    if (t === 'parameters are:' || t === 'parameter values are:') return this.readParams(st);
    m = /^executing query:(.*)$/.exec(t);
    if (m) return this.execute(st.docString ?? (m[1] as string).trim(), false);
    if (t === 'executing control query:') return this.execute(docString(st), true);
    if (t === 'the result should be empty') return this.expectTable({ columns: this.lastOk().columns, rows: [] }, false, false, 'empty');
    if (RESULT_STEP.test(t)) {
      const table = st.table;
      if (!table || table.length === 0) throw new Failure('runner error', { detail: `step "${t}" has no table` });
      const expected = parseTable(table);
      const ordered = t.startsWith('the result should be, in order');
      const unorderedLists = t.includes('ignoring element order for lists');
      return this.expectTable(expected, ordered, unorderedLists);
    }
    m = ERROR_STEP.exec(t);
    if (m) return this.expectError(m[1] as string, m[2] as string, m[3] as string);
    if (t === 'no side effects') return this.expectEffects(noSideEffects());
    if (t === 'the side effects should be:') return this.expectEffects(parseSideEffects(st.table ?? []));
    throw new Failure('runner error: unknown step', { detail: t });
  }

  readParams(st: Step): void {
    for (const [name, value] of st.table ?? []) {
      this.params[name as string] = parseTckValue(value as string);
      this.paramText[name as string] = value as string;
    }
  }

  async setup(query: string): Promise<void> {
    const outcome = await this.session.run(query, {});
    if (!outcome.ok) {
      throw new Failure(outcome.error.timeout ? 'timeout (setup)' : `setup failed: ${errorReason(outcome.error.message)}`, { query, error: outcome.error });
    }
  }

  async execute(query: string, control: boolean): Promise<void> {
    const measure = this.checksEffects && !control;
    const before = measure ? await this.session.state() : undefined;
    const outcome = await this.session.run(query, this.params);
    const effects = before ? diffStates(before, await this.session.state()) : undefined;
    this.last = { query, outcome, ...(effects ? { effects } : {}) };
    this.failedAsExpected = false;
  }

  context(): Partial<ScenarioResult> {
    if (!this.last) return {};
    return { query: this.last.query, ...(Object.keys(this.paramText).length > 0 ? { params: this.paramText } : {}) };
  }

  lastOk(): Table {
    if (!this.last) throw new Failure('runner error', { detail: 'a Then step before any query' });
    const o = this.last.outcome;
    if (!o.ok) {
      const reason = o.error.timeout ? 'timeout' : `error: ${errorReason(o.error.message)}`;
      throw new Failure(reason, { ...this.context(), error: o.error, actual: `${o.error.code}: ${o.error.message}` });
    }
    return o;
  }

  expectTable(expected: Table, ordered: boolean, unorderedLists: boolean, empty?: 'empty'): void {
    const actual = this.lastOk();
    const mismatch = empty ? (actual.rows.length === 0 ? undefined : `expected no rows, got ${actual.rows.length}`) : tableMismatch(expected, actual, { ordered, unorderedLists });
    if (mismatch === undefined) return;
    const kind = mismatch.startsWith('columns') ? 'columns differ' : mismatch.startsWith('row count') || empty ? 'row count differs' : ordered && mismatch.startsWith('row ') ? 'rows differ or out of order' : 'values differ';
    throw new Failure(`wrong result: ${kind}`, {
      ...this.context(),
      detail: mismatch,
      expected: empty ? '(no rows)' : formatTable(expected),
      actual: formatTable(actual),
    });
  }

  expectError(type: string, phase: string, detail: string): void {
    if (!this.last) throw new Failure('runner error', { detail: 'an error step before any query' });
    const o = this.last.outcome;
    const expected = `${type} at ${phase}: ${detail}`;
    if (o.ok) {
      throw new Failure(`expected ${type} (${detail}), the query ran`, { ...this.context(), expected, actual: formatTable(o) });
    }
    if (o.error.timeout) throw new Failure('timeout', { ...this.context(), expected, error: o.error });
    this.failedAsExpected = true;
    if (/\b(not supported|unsupported)\b/i.test(o.error.message)) this.passedByRefusal = true;
    // A failed query must leave the graph as it was (the TCK implies no side effects for errors).
    if (this.last.effects) {
      const wrong = sideEffectsMismatch(noSideEffects(), this.last.effects);
      if (wrong) throw new Failure('side effects of a failed query', { ...this.context(), detail: wrong, error: o.error });
    }
  }

  expectEffects(expected: SideEffects): void {
    if (!this.last) throw new Failure('runner error', { detail: 'a side-effects step before any query' });
    if (!this.last.outcome.ok && !this.failedAsExpected) this.lastOk();
    const actual = this.last.effects;
    if (!actual) throw new Failure('runner error', { detail: 'side effects were not measured' });
    const wrong = sideEffectsMismatch(expected, actual);
    if (wrong) throw new Failure('wrong side effects', { ...this.context(), detail: wrong, expected: formatSideEffects(expected), actual: formatSideEffects(actual) });
  }
}

function docString(st: Step): string {
  if (st.docString === undefined) throw new Failure('runner error', { detail: `step "${st.text}" has no query text` });
  return st.docString;
}

function parseTable(rows: string[][]): Table {
  const [header, ...body] = rows;
  return { columns: header ?? [], rows: body.map((r) => r.map(parseTckValue)) };
}

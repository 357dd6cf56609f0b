import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { RvfDatabase } from '../../store/index.ts';
import type { Metric } from '../../store/types.ts';
import { CliError } from './output.ts';

/**
 * Opens the store at a person's path for one command and always closes it:
 * a writer (taking the lease) for commands that change it, a reader otherwise.
 * Warnings from opening (a cut torn tail, a rebuilt cache) go to stderr.
 */
export async function withStore<T>(path: string, mode: 'read' | 'write', fn: (db: RvfDatabase) => Promise<T>, metric?: Metric): Promise<T> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new CliError(`no store at ${abs}; create it with: rvf create ${path} --dimension N`);
  const options = { ...(metric ? { metric } : {}), onWarning: (m: string) => process.stderr.write(`rvf: ${m}\n`) };
  const db = mode === 'write' ? await RvfDatabase.open(abs, options) : await RvfDatabase.openReadonly(abs, options);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function parseMetric(value: string | undefined): Metric | undefined {
  if (value === undefined) return undefined;
  if (value === 'cosine' || value === 'l2' || value === 'dotproduct') return value;
  throw new CliError(`--metric must be cosine, l2 or dotproduct, not ${JSON.stringify(value)}.`);
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} must be a positive integer, not ${JSON.stringify(value)}.`);
  return n;
}

export function parseJsonOption(value: string | undefined, flag: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new CliError(`${flag} must be JSON, e.g. ${flag} '{"topic": "rust"}'.`);
  }
}

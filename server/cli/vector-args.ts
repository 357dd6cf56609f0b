import { readFileSync } from 'node:fs';
import { CliError } from './output.ts';

/**
 * A query vector from `--vector "0.1,-0.2,..."` (or a JSON array) or from
 * `--vector-file F` (a JSON array, or numbers separated by commas or
 * whitespace). A value starting with '-' is a number, not a flag.
 */
export function vectorFrom(o: { vector?: string; vectorFile?: string }): number[] {
  if ((o.vector === undefined) === (o.vectorFile === undefined)) {
    throw new CliError('give the query vector with exactly one of --vector "0.1,0.2,..." or --vector-file FILE.');
  }
  let text: string;
  let where: string;
  if (o.vector !== undefined) {
    text = o.vector;
    where = '--vector';
  } else {
    where = o.vectorFile as string;
    try {
      text = readFileSync(where, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${where} (${(err as NodeJS.ErrnoException).code}); check the path.`);
    }
  }
  const trimmed = text.trim();
  const parts = trimmed.startsWith('[') ? parseJsonArray(trimmed, where) : trimmed.split(/[\s,]+/).filter((p) => p !== '');
  const values = parts.map((p) => (typeof p === 'number' ? p : Number(p)));
  const bad = values.findIndex((v, i) => !Number.isFinite(v) || (typeof parts[i] === 'string' && (parts[i] as string).trim() === ''));
  if (values.length === 0 || bad !== -1) {
    throw new CliError(`${where}: ${values.length === 0 ? 'no numbers' : `element ${bad} (${JSON.stringify(parts[bad])}) is not a finite number`}; give numbers separated by commas.`);
  }
  return values;
}

function parseJsonArray(text: string, where: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  throw new CliError(`${where}: not a JSON array of numbers; give e.g. [0.1, 0.2] or 0.1,0.2.`);
}

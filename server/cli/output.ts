import { isRvfError } from '../../store/errors.ts';

/**
 * How the `rvf` command line talks: tables a person can read, or one JSON
 * document with --json for scripts; errors as one line on stderr with the
 * fix; exit codes 0 (done), 1 (a user error: fix the command or the input)
 * and 2 (the store is damaged, or a --verify failed).
 */

export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_DAMAGED = 2;

/** An error the command line reports as is, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USER,
  ) {
    super(message);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (isRvfError(err) && (err.code === 'ECORRUPT' || err.code === 'EVERSION')) return EXIT_DAMAGED;
  return EXIT_USER;
}

/** One line: the error's own message (they already say what to do), never a stack. */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = isRvfError(err) ? `${err.code}: ` : '';
  return `rvf: ${code}${message.split('\n')[0]}`;
}

export interface Printer {
  /** A result: JSON with --json, else `human`'s text. */
  result(value: unknown, human: () => string): void;
  /** A line of human commentary on stderr (silent with --json). */
  note(line: string): void;
  json: boolean;
}

export function printer(json: boolean): Printer {
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, bigintAsString, 2)}\n` : `${human()}\n`);
    },
    note(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  if (typeof value === 'string') return value;
  return JSON.stringify(value, bigintAsString);
}

/** A plain text table with a header and aligned columns; long cells are cut with an ellipsis. */
export function table(columns: string[], rows: unknown[][], maxWidth = 60): string {
  const text = rows.map((r) => columns.map((_, i) => {
    const s = cell(r[i]).replace(/\s+/g, ' ');
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  }));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n') + (rows.length === 0 ? '\n(no rows)' : '');
}

/** `key  value` lines for one object. */
export function keyValues(o: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(o).map((k) => k.length));
  return Object.entries(o)
    .map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`)
    .join('\n');
}

/**
 * A progress bar on stderr when stderr is a terminal (none when piped or
 * with --json), redrawn at most ten times a second.
 */
export function progressBar(label: string, json: boolean): { update(done: number, total?: number): void; finish(): void } {
  const tty = process.stderr.isTTY === true && !json;
  let last = 0;
  const started = Date.now();
  const draw = (done: number, total?: number): void => {
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    if (total && total > 0) {
      const share = Math.min(1, done / total);
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(share * 100)}% ${done}/${total}`);
    } else {
      process.stderr.write(`\r${label} ${done} (${Math.round(rate)}/s)`);
    }
  };
  return {
    update(done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && !(total !== undefined && done >= total)) return;
      last = now;
      draw(done, total);
    },
    finish() {
      if (tty) process.stderr.write('\n');
    },
  };
}

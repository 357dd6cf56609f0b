import { LIMITS } from '../schemas/limits.ts';

/** The one sentence for a query stopped for memory, wherever the limit was met (the process, its heap, SQLite). */
export function memoryMessage(): string {
  return `the query needed more memory than a query may use (${Math.round(LIMITS.queryProcessMemoryBytes / 1048576)} MiB for its process) and was stopped; nothing was changed. Narrow it, or add a LIMIT.`;
}

/** Whether an error thrown inside the query child means it ran out of memory (SQLite's heap limit, or a JS allocation). */
export function isOutOfMemory(err: unknown): boolean {
  if ((err as { code?: unknown } | null)?.code === 'SQLITE_NOMEM') return true;
  return err instanceof RangeError && /allocation failed|invalid string length|invalid array length|out of memory/i.test(err.message);
}

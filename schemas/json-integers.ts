/**
 * Whole numbers past 2^53 up to the 64-bit range: the integers a caller may
 * have meant (ids, snowflakes, counters) that JSON.parse has already rounded
 * to a double, so 9007199254740993 arrives as 9007199254740992. Kept as they
 * arrived they would be stored or compared as another number without a word,
 * so params and metadata refuse them (rvlite-bridge/params-check.ts,
 * wasm/validate.ts). Whole doubles beyond 2^64 are taken as the floats they
 * must have been written as.
 */
export function isRoundedInteger(value: number): boolean {
  return Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) <= 2 ** 64;
}

/** The part of a refusal that names the number as it arrived (its exact value, not toString's shortened digits). */
export function roundedIntegerText(value: number): string {
  return `the number ${BigInt(value).toString()}, an integer beyond 2^53 that a JSON number cannot carry exactly (it may already have been rounded)`;
}

/** The first such number in a JSON-like value, at any depth, walked with its own stack. */
export function findRoundedInteger(value: unknown): number | undefined {
  const pending: unknown[] = [value];
  for (let next = pending.pop(); next !== undefined || pending.length > 0; next = pending.pop()) {
    if (typeof next === 'number') {
      if (isRoundedInteger(next)) return next;
    } else if (next !== null && typeof next === 'object') {
      for (const child of Object.values(next)) pending.push(child);
    }
  }
  return undefined;
}

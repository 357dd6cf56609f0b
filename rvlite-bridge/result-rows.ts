/**
 * Rows of a query result as JSON values, cut at the row cap or the byte cap
 * (UTF-8 of the rows' JSON), whichever comes first.
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return { base64: value.toString('base64') };
  // JSON has no Infinity (JSON.stringify writes null, which reads as SQL NULL): its string, as Cypher shows it
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

export function capRows(source: Iterable<unknown[]>, rowCap: number, byteCap: number): { rows: unknown[][]; truncated: boolean } {
  const rows: unknown[][] = [];
  let bytes = 2;
  for (const raw of source) {
    const row = raw.map(toJsonValue);
    bytes += Buffer.byteLength(JSON.stringify(row)) + 1;
    if (rows.length >= rowCap || bytes > byteCap) return { rows, truncated: true };
    rows.push(row);
  }
  return { rows, truncated: false };
}

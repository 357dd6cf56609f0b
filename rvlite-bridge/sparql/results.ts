import type { QueryLimits, SparqlBinding, SparqlQueryResult, SparqlTerm } from './types.ts';

/**
 * Cuts solutions to the limits while building the result. The byte count is
 * that of JSON.stringify(json) in UTF-8, kept exact as rows are added: each
 * binding adds its own JSON and, after the first, one comma.
 */
export function solutionsResult(columns: string[], solutions: Iterable<SparqlBinding>, limits: QueryLimits): SparqlQueryResult {
  const bindings: SparqlBinding[] = [];
  const rows: (SparqlTerm | null)[][] = [];
  let bytes = Buffer.byteLength(JSON.stringify({ head: { vars: columns }, results: { bindings: [] } }));
  let truncated = false;
  for (const b of solutions) {
    const size = Buffer.byteLength(JSON.stringify(b)) + (bindings.length > 0 ? 1 : 0);
    if (bindings.length >= limits.maxRows || bytes + size > limits.maxBytes) {
      truncated = true;
      break;
    }
    bytes += size;
    bindings.push(b);
    rows.push(columns.map((c) => b[c] ?? null));
  }
  return { json: { head: { vars: columns }, results: { bindings } }, columns, rows, truncated };
}

export function askResult(answer: boolean): SparqlQueryResult {
  return { json: { head: {}, boolean: answer }, columns: [], rows: [], truncated: false };
}

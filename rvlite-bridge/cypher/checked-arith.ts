/** Beyond this magnitude a result of SQLite's integer arithmetic may be an overflow, which SQLite turns into a float. */
const OVERFLOW_EDGE = '9.2e18';

/**
 * `l op r` on numbers, exact: SQLite turns an integer result beyond 64 bits
 * into a float without a word, so a result that large is computed again by
 * cypher_arith, which raises integer overflow (as Neo4j does) or gives the
 * float when an operand is one. The fast form repeats its operands, so only
 * operands without such a form inside take it; the others go to cypher_arith
 * at once, keeping the SQL linear in the expression's depth.
 */
export function checkedArith(op: '+' | '-' | '*', l: string, r: string): string {
  const plainSql = (x: string): boolean => x.length < 200 && !/\bCASE\b/i.test(x) && !x.includes('cypher_arith');
  if (!plainSql(l) || !plainSql(r)) return `cypher_arith('${op}', ${l}, ${r})`;
  return `(CASE WHEN abs(${l} ${op} ${r}) < ${OVERFLOW_EDGE} THEN ${l} ${op} ${r} ELSE cypher_arith('${op}', ${l}, ${r}) END)`;
}

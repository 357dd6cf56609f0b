/** Beyond this magnitude a result of SQLite's integer arithmetic may be an overflow, which SQLite turns into a float. */
const OVERFLOW_EDGE = '9.2e18';

/**
 * How many checked operations deep an operand may be before the next one is
 * left to SQLite unchecked: each check nests a function call, and SQLite
 * refuses a statement whose calls nest a few hundred deep ("Recursion
 * limit"), where plain operators go to 1,000. A 500-term sum compiled before
 * the checks and must still compile.
 */
const MAX_CHECKED_DEPTH = 100;

/**
 * `l op r` on numbers, exact: SQLite turns an integer result beyond 64 bits
 * into a float without a word, so a result that large is computed again by
 * cypher_arith, which raises integer overflow (as Neo4j does) or gives the
 * float when an operand is one. The fast form repeats its operands, so only
 * operands without such a form inside take it; the others go to cypher_arith
 * at once, keeping the SQL linear in the expression's depth.
 */
export function checkedArith(op: '+' | '-' | '*', l: string, r: string): string {
  if (depthOf(l) + depthOf(r) >= MAX_CHECKED_DEPTH) return `(${l} ${op} ${r})`;
  const plainSql = (x: string): boolean => x.length < 200 && !/\bCASE\b/i.test(x) && !x.includes('cypher_arith');
  if (!plainSql(l) || !plainSql(r)) return `cypher_arith('${op}', ${l}, ${r})`;
  return `(CASE WHEN abs(${l} ${op} ${r}) < ${OVERFLOW_EDGE} THEN ${l} ${op} ${r} ELSE cypher_arith('${op}', ${l}, ${r}) END)`;
}

function depthOf(sql: string): number {
  let n = 0;
  for (let at = sql.indexOf('cypher_arith('); at !== -1 && n < MAX_CHECKED_DEPTH; at = sql.indexOf('cypher_arith(', at + 13)) n++;
  return n;
}

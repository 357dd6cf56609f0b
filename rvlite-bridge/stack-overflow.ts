/**
 * V8's RangeError when recursion runs out of stack: the Cypher grammar, AST
 * builder or compiler over a deeply nested query, or oxigraph's code called
 * from JavaScript. One test for both, so they cannot drift apart.
 */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

/**
 * The statement-shape part of the SQL read guard. It is one layer of several
 * (deps-facts.md, "How single read-only guards fail"), never the only one: a
 * read also runs on a read-only connection with query_only=ON, as exactly one
 * prepared statement that SQLite itself reports as readonly and as returning
 * rows, under a row cap, in a child process that is killed at the time limit.
 */

const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'VALUES']);

/** The first keyword of `sql` after whitespace and comments, upper-cased ('' when there is none). */
export function firstKeyword(sql: string): string {
  let i = 0;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i] as string)) i++;
    if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      if (nl === -1) return '';
      i = nl + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return '';
      i = end + 2;
    } else {
      break;
    }
  }
  return /^[A-Za-z_]+/.exec(sql.slice(i))?.[0]?.toUpperCase() ?? '';
}

export function isReadShaped(sql: string): boolean {
  return READ_KEYWORDS.has(firstKeyword(sql));
}

/**
 * Where a query runs read-only, which decides how its refused writes are worded:
 * - server: an MCP server started without --write;
 * - cli: an `rvf sql|cypher|sparql` command given without --write;
 * - inspector: the web inspector's query box, which only reads even on a
 *   --write server, so "start the server with --write" would be wrong there.
 */
export type ReadOnlyContext = 'server' | 'cli' | 'inspector';

/** Who refuses, and what to do instead; each refusal reads `<who>: <what was refused>; <what to do>.` */
const WORDS: Record<ReadOnlyContext, { who: string; instead: string }> = {
  server: { who: 'this server is read-only', instead: 'start it with --write to change stores' },
  cli: { who: 'this rvf command is read-only', instead: 'add --write to the command to change the store' },
  inspector: {
    who: "the inspector's query box only reads",
    instead: 'change stores with the MCP tools rvlite_sql, rvlite_cypher and rvlite_sparql of a server started with --write, or with the rvf command line and --write',
  },
};

/** The message of an EREADONLY refusal in `context`; `refused` says what was refused, e.g. "SPARQL updates are refused". */
export function readOnlyMessage(context: ReadOnlyContext, refused: string): string {
  const { who, instead } = WORDS[context];
  return `${who}: ${refused}; ${instead}.`;
}

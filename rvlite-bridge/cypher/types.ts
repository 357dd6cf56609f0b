/** The public result and option types (re-exported by index.ts). */

export interface CypherOptions {
  write: boolean;
  maxRows: number;
  /** the largest upper bound a variable-length pattern may have; default 10 */
  maxPathLength?: number;
  /**
   * A write takes values that cannot read the graph for all its rows in one
   * query, and MERGE of one node looks rows up in an index built once per
   * clause (run-write.ts); false runs each row on its own (a MATCH per MERGE
   * row, a query per value), the reference the tests compare them with.
   * Default true.
   */
  batchWrites?: boolean;
}

export interface CypherStats {
  nodesCreated: number;
  nodesDeleted: number;
  relationshipsCreated: number;
  relationshipsDeleted: number;
  propertiesSet: number;
  labelsAdded: number;
  labelsRemoved: number;
}

export interface CypherResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  /** counts of what a write did (0s for reads) */
  stats: CypherStats;
}

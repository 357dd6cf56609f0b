/** The public result and option types (re-exported by index.ts). */

export interface CypherOptions {
  write: boolean;
  maxRows: number;
  /** the largest upper bound a variable-length pattern may have; default 10 */
  maxPathLength?: number;
  /**
   * MERGE of one node looks a batch's rows up in an index built once per
   * clause (run-write.ts mergeNode); false runs every row's MATCH instead,
   * the reference the tests compare it with. Default true.
   */
  batchMerge?: boolean;
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

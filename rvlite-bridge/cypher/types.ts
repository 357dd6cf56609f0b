/** The public result and option types (re-exported by index.ts). */

export interface CypherOptions {
  write: boolean;
  maxRows: number;
  /** the largest upper bound a variable-length pattern may have; default 10 */
  maxPathLength?: number;
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

import type { IndexSetting, IndexStatus, Lineage, SegmentInfo } from '../../store/types.ts';

/** The inspector API's shapes, shared by its routes (server) and its page (browser): types only. */

/** What the page gets of one store: no absolute paths, only names under the root. */
export interface StoreView {
  name: string;
  status: {
    totalVectors: number;
    dimensions: number;
    metric: string;
    epoch: number;
    fileSizeBytes: number;
    totalSegments: number;
    deadSpaceRatio: number;
    fileId: string;
    lineage: (Omit<Lineage, 'parentPath'> & { parentStore: string | null; parentName: string }) | null;
    embedder: { name: string; dimensions: number } | null;
    index: IndexStatus & { setting: IndexSetting };
  };
  segments: SegmentInfo[];
  error?: { code: string; message: string };
  /** On a server started with --replicate-to: the target without credentials, the epoch Postgres has, the commits it lacks, the last failure. */
  replication?: { target: string; name: string; epoch: number | null; lag: number | null; lastError: string | null };
}

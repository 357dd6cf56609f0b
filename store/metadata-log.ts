import type { ByteSource } from './byte-source.ts';
import { decodeJournal, decodeMeta } from './payloads.ts';
import type { Commit } from './scan.ts';
import { HEADER_BYTES, SegmentType } from './segment.ts';

/**
 * What a run of commits says about vectors' metadata, read from the log
 * alone (browser-safe: the cache replays it in Node, the bytes store in a
 * page). Within a commit the rows it ingests start with null metadata and take
 * what its META segments say; a native writer's commits have no META, so their
 * vectors have none; a JOURNAL entry deletes the row.
 */

export type MetadataChange = { json: string | null; epoch: number } | 'deleted';

export function metadataChanges(commits: readonly Commit[], source: ByteSource): Map<bigint, MetadataChange> {
  const changes = new Map<bigint, MetadataChange>();
  for (const commit of commits) {
    for (const seg of commit.segments) {
      if (seg.type === SegmentType.VEC && seg.vecIds) {
        for (const id of seg.vecIds) changes.set(id, { json: null, epoch: commit.epoch });
      }
    }
    for (const seg of commit.segments) {
      if (seg.type !== SegmentType.META && seg.type !== SegmentType.JOURNAL) continue;
      const payload = source.read(seg.payloadLength, seg.offset + HEADER_BYTES);
      if (seg.type === SegmentType.META) {
        for (const entry of decodeMeta(payload) ?? []) changes.set(entry.id, { json: entry.json, epoch: commit.epoch });
      } else {
        for (const id of decodeJournal(payload)) changes.set(id, 'deleted');
      }
    }
  }
  return changes;
}

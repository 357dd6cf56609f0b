import type { ScanStore } from '../wasm/scan-store.ts';
import { MAX_SEARCH_KEYS, type AnnIndex } from './ann-index.ts';
import { idKey, type IdKey } from './id-key.ts';

/**
 * A k-NN query answered from the approximate index, merged with an exact scan
 * of the tail (rows the graph has not caught up with). Every distance is the
 * store's own exact float64 distance, so index hits and tail rows rank on one
 * scale, ties by the smaller id, exactly as the scan ranks them.
 */

export interface Hit {
  id: bigint;
  distance: number;
}

/** A filter must let at least this share of the rows through to search the graph; a narrower one scans its rows. */
const FILTER_INDEX_SHARE = 0.1;
/** With a tail above this share of the rows, a plain scan costs less than the graph plus the tail. */
const TAIL_SCAN_SHARE = 0.25;

/** The scan's speed assumed for the wait below, bytes per millisecond (20 GB/s; the SIMD scan ran at 25-28 here). */
const SCAN_BYTES_PER_MS = 20e6;

/**
 * How long a query waits for the graph's answer before it scans instead:
 * half what the exact scan of the whole store would take, at least 3 ms, so
 * a query costs at most about one and a half scans. The worker (nice 19)
 * can be kept from its search for a long time by other work on a busy
 * machine (at 100k with both cores taken by other processes: p50 37 ms,
 * p95 209, max 1.3 s); an answer normally takes about a millisecond at
 * 100k and 7 at 1M, where the scan takes 6 and 63.
 */
export function answerWaitMs(rows: number, dimensions: number): number {
  return Math.max(3, (rows * dimensions * 4) / SCAN_BYTES_PER_MS / 2);
}

/**
 * How many candidates a search asks the graph for (its beam), at least: 64
 * up to 100,000 live rows, then growing a little faster than the rows
 * (1,014 at 1M). A fixed beam loses recall as the store grows: on the
 * bench's clustered 384-dimension data at 1M rows, recall@10 was 0.86 with
 * 64 candidates, 0.90 with 200, 0.93 with 400 and 0.97 with 1,000 (7 ms
 * against 141 ms for the exact scan). At 100k, 64 gave 0.99 and 100 made
 * the search 11x faster than exact instead of 16x. Every candidate is
 * re-ranked exactly, so a wider beam costs search time, never correctness.
 */
function searchBeam(live: number): number {
  return Math.ceil(64 * Math.max(1, live / 100_000) ** 1.2);
}

/**
 * The top `k` from the index and the tail, or undefined when the index cannot
 * answer well (not ready, a large tail, a filter that passes under 10% of the
 * rows, one that let too few candidates through, or no answer within
 * answerWaitMs): the caller then scans exactly.
 */
export async function searchIndexed(
  vectors: ScanStore,
  ann: AnnIndex,
  q: Float32Array,
  k: number,
  among: readonly bigint[] | undefined,
): Promise<Hit[] | undefined> {
  const live = vectors.live;
  const wanted = Math.min(k, among ? among.length : live);
  if (wanted === 0) return [];
  if (!ann.ready || ann.dirtyCount > live * TAIL_SCAN_SHARE) return undefined;
  if (among && among.length < live * FILTER_INDEX_SHARE) return undefined;
  const allowed: Set<IdKey> | undefined = among ? new Set(among.map(idKey)) : undefined;
  const share = among ? among.length / live : 1;
  const fetch = Math.min(MAX_SEARCH_KEYS, live, Math.max(searchBeam(live), Math.ceil(k / share) + Math.min(ann.dirtyCount, 64) + (among ? k : 0)));
  const picked = await ann.search(q, fetch, (keys, dirty) => {
    // A candidate the graph holds current (not dirty) is a live row: deletes reach the graph in order.
    // With no tail and no filter every candidate stays, and goes on as the array it came in.
    const clean = ann.dirtyCount === 0 && !allowed ? keys : keys.filter((id) => !dirty(id) && (!allowed || allowed.has(idKey(id))));
    // Too few clean candidates to be sure of the top k: let the scan answer.
    if (clean.length < wanted && keys.length === fetch) return undefined;
    const tail: bigint[] = [];
    for (const id of ann.dirtyIds()) if (vectors.has(id) && (!allowed || allowed.has(idKey(id)))) tail.push(id);
    // One SIMD pass over the candidates and the tail; the exact float64
    // distance only for rows that can still make the top k (the scan's own
    // ranking, so ties and distances are the exact scan's).
    const top = vectors.query(q, k, tail.length === 0 ? clean : [...clean, ...tail]);
    return Array.from(top.ids, (id, i) => ({ id, distance: top.distances[i] as number }));
  }, answerWaitMs(live, q.length));
  return picked ?? undefined;
}

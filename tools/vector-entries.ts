import type { z } from 'zod';
import type { inputs } from '../schemas/tools.ts';
import { RvfError } from '../store/errors.ts';
import type { Entry } from '../store/types.ts';

type IngestInput = z.output<typeof inputs.ingest>;

/**
 * The entries of an rvf_ingest call, from either form. The base64 block is
 * split into per-id views of one Float32Array (no copy); its length can only
 * be checked against the store's dimension here, once the store is known.
 */
export function ingestEntries(input: IngestInput, dimensions: number): Entry[] {
  if (input.entries !== undefined) return input.entries.map((e) => ({ id: e.id, vector: (e.vector ?? e.vector_b64) as ArrayLike<number>, metadata: e.metadata }));
  const ids = input.ids ?? [];
  const block = input.vectors_b64 ?? new Float32Array(0);
  if (block.length !== ids.length * dimensions) {
    throw new RvfError(
      'EDIM',
      `vectors_b64 holds ${block.length} float32 values, but ${ids.length} ids x dimension ${dimensions} needs ${ids.length * dimensions}; send ${dimensions} values per id.`,
    );
  }
  return ids.map((id, i) => ({ id, vector: block.subarray(i * dimensions, (i + 1) * dimensions), metadata: input.metadata?.[i] }));
}

/** The query vector from either form (the schema lets exactly one through). */
export function queryVector(input: { vector?: number[]; vector_b64?: Float32Array }): ArrayLike<number> {
  return (input.vector ?? input.vector_b64) as ArrayLike<number>;
}

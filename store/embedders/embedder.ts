import type { EmbedderIdentity } from '../types.ts';

/**
 * Turns texts into vectors for text memory. `identity` is what a store records
 * when it is made, so a later remember or recall can refuse vectors from
 * another model (their distances would mean nothing together).
 */
export interface Embedder {
  readonly identity: EmbedderIdentity;
  /** One vector per text, in order, each `identity.dimensions` long. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

import { invalid } from './errors.ts';

/**
 * Neo4j's vector.similarity.cosine(a, b) and vector.similarity.euclidean(a, b)
 * over two lists of numbers (a node's embedding property and a query vector,
 * say), with Neo4j's scaling into [0, 1]: cosine as (1 + cos) / 2, euclidean
 * as 1 / (1 + squared distance). Computed in float64 from the lists' JSON.
 * Null when either list is null, or for cosine when either has no length.
 * Each call parses both lists, so scoring every node of a large graph this
 * way is a scan; rvf.knn searches the store's vectors instead.
 */
export type SimilarityKind = 'cosine' | 'euclidean';

function numbers(name: string, json: unknown): number[] | null {
  if (json === null || json === undefined) return null;
  const list: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'number')) {
    throw invalid(`vector.similarity.${name}() takes two non-empty lists of numbers; pass vectors such as [0.1, 0.2].`);
  }
  return list as number[];
}

export function similarity(kind: SimilarityKind, rawA: unknown, rawB: unknown): number | null {
  const a = numbers(kind, rawA);
  const b = numbers(kind, rawB);
  if (a === null || b === null) return null;
  if (a.length !== b.length) throw invalid(`vector.similarity.${kind}() takes two vectors of one length, not ${a.length} and ${b.length}; compare vectors of the same dimension.`);
  if (kind === 'euclidean') {
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const d = (a[i] as number) - (b[i] as number);
      sum += d * d;
    }
    return 1 / (1 + sum);
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return null;
  // rounding can take the cosine a hair outside [-1, 1]
  const cos = Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
  return (1 + cos) / 2;
}

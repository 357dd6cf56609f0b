import { writeFileSync } from 'node:fs';
import { mulberry32 } from '../bench/data.ts';

/**
 * Writes examples/vectors.json: 120 unit-length 384-d vectors in six topic
 * clusters, standing in for sentence embeddings (no model is needed to try
 * the server). Deterministic: run it again and the file is the same.
 *   node --import tsx examples/generate-vectors.ts
 */

const DIM = 384;
const next = mulberry32(2024);
const gauss = (): number => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
const unit = (v: number[]): number[] => {
  const n = Math.hypot(...v);
  return v.map((x) => Math.round((x / n) * 1e5) / 1e5);
};

const topics = ['rust', 'sqlite', 'mcp', 'vectors', 'cooking', 'hiking'];
const centroids = topics.map(() => Array.from({ length: DIM }, gauss));
const entries = Array.from({ length: 120 }, (_, i) => {
  const t = i % topics.length;
  const c = centroids[t] as number[];
  return {
    id: i + 1,
    vector: unit(c.map((x) => x + 0.6 * gauss())),
    metadata: { topic: topics[t], note: `${topics[t]} note ${Math.floor(i / topics.length) + 1}`, year: 2019 + (i % 7) },
  };
});
writeFileSync(new URL('./vectors.json', import.meta.url), JSON.stringify(entries) + '\n');
console.log(`wrote ${entries.length} vectors of ${DIM} dimensions`);

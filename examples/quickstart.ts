import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RvfDatabase } from '../store/index.ts';

/**
 * `npm run demo`: creates a store under ./.demo (or $RVF_DEMO_DIR), writes a
 * few notes with metadata, queries them with and without a filter, reopens
 * the file read-only in the same process and shows the status. Nothing to set
 * up: the engine is embedded and the store is one file.
 */

const dir = process.env['RVF_DEMO_DIR'] ?? join(process.cwd(), '.demo');
const path = join(dir, 'notes.rvf');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

// Toy 8-dimensional "embeddings": enough to show the ranking.
const embed = (seed: number): number[] => Array.from({ length: 8 }, (_, i) => Math.sin(seed * (i + 1)));

const notes = [
  { id: 1, topic: 'rust', year: 2021, text: 'ownership and borrowing' },
  { id: 2, topic: 'rust', year: 2023, text: 'async traits' },
  { id: 3, topic: 'sqlite', year: 2022, text: 'WAL mode and checkpoints' },
  { id: 4, topic: 'sqlite', year: 2024, text: 'strict tables' },
  { id: 5, topic: 'mcp', year: 2025, text: 'tools, resources and prompts' },
];

const db = await RvfDatabase.create(path, { dimensions: 8, metric: 'cosine' });
const ingest = await db.ingestBatch(notes.map((n) => ({ id: n.id, vector: embed(n.id), metadata: { topic: n.topic, year: n.year, text: n.text } })));
console.log(`ingested ${ingest.accepted} notes, epoch ${ingest.epoch}`);

console.log('\nnearest 3 to note 2:');
console.table((await db.query(embed(2), 3)).map((r) => ({ id: r.id, distance: r.distance.toFixed(4), text: r.metadata?.['text'] })));

console.log('nearest 3 to note 2 among sqlite notes from 2023 on:');
console.table((await db.query(embed(2), 3, { filter: { topic: 'sqlite', year: { $gte: 2023 } } })).map((r) => ({ id: r.id, distance: r.distance.toFixed(4), text: r.metadata?.['text'] })));

await db.delete([5]);
await db.close();

const reader = await RvfDatabase.openReadonly(path);
const status = await reader.status();
console.log(`reopened read-only: ${status.totalVectors} vectors, epoch ${status.epoch}, ${status.fileSizeBytes} bytes, metric ${status.metric}`);
await reader.close();
console.log(`\nthe store is ${path} (with its cache ${path}.sqlite)`);

import { basename } from 'node:path';
import { RvfError } from '../errors.ts';
import type { Entry, Metadata } from '../types.ts';
import { csvRecords } from './csv.ts';
import { jsonArrayItems } from './json-array.ts';
import { textLines } from './text-chunks.ts';

/**
 * Streaming readers for vector files, shared by `rvf ingest` and `migrate`.
 * Each yields batches of entries with the place each came from, and stops at
 * the first bad record with an EINVAL naming the file and line.
 *
 * Accepted shapes:
 * - `.json`: one top-level array of `{"id": ..., "vector": [numbers], "metadata"?: {..} | null}`.
 * - `.jsonl`: one such object per line; blank lines are skipped.
 * - `.csv` (RFC 4180, a header row first, an `id` column required):
 *   - a `vector` column holding a JSON array (`"[0.1,-0.2]"`) or numbers
 *     separated by commas, spaces or semicolons (`"0.1,-0.2"`); or
 *   - columns named `v0`, `v1`, ... (or `0`, `1`, ...), in numeric order; or
 *   - otherwise every column but `id` and `metadata` is a vector component.
 *   An optional `metadata` column holds a JSON object; in the first two
 *   layouts every other column becomes a metadata field, as a string
 *   (empty cells are left out).
 * Ids are strings or whole numbers; every vector of a file has the same
 * dimension and only finite numbers.
 */

export type VectorFileFormat = 'json' | 'jsonl' | 'csv';

export interface VectorRecord extends Entry {
  id: string | number;
  vector: ArrayLike<number>;
  metadata: Metadata | null;
  /** Where the record is, for messages: "file.csv line 12". */
  at: string;
}

export interface ReadOptions {
  /** Entries per yielded batch (default 10,000). */
  batchSize?: number;
}

export function formatOfPath(path: string): VectorFileFormat | undefined {
  const m = /\.(json|jsonl|ndjson|csv)$/i.exec(path);
  if (!m) return undefined;
  const ext = (m[1] as string).toLowerCase();
  return ext === 'ndjson' ? 'jsonl' : (ext as VectorFileFormat);
}

/** The entries of a vector file in batches. */
export function readVectorFile(path: string, format: VectorFileFormat, options: ReadOptions = {}): AsyncIterable<VectorRecord[]> {
  const name = basename(path);
  const records = format === 'json' ? fromJsonArray(path, name) : format === 'jsonl' ? fromJsonLines(path, name) : fromCsv(path, name);
  return inBatches(checkDimensions(records), options.batchSize ?? 10_000);
}

async function* inBatches(records: AsyncIterable<VectorRecord>, size: number): AsyncGenerator<VectorRecord[]> {
  let batch: VectorRecord[] = [];
  for await (const r of records) {
    batch.push(r);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function* checkDimensions(records: AsyncIterable<VectorRecord>): AsyncGenerator<VectorRecord> {
  let dim = 0;
  for await (const r of records) {
    if (dim === 0) dim = r.vector.length;
    else if (r.vector.length !== dim) {
      throw new RvfError('EINVAL', `${r.at}: the vector has ${r.vector.length} numbers, the ones before it ${dim}; fix the file.`);
    }
    yield r;
  }
}

function parseJson(text: string, at: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RvfError('EINVAL', `${at}: not valid JSON (${(err as Error).message}); fix the file.`);
  }
}

/** Checks one parsed `{id, vector, metadata?}` object. */
export function toRecord(value: unknown, at: string): VectorRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RvfError('EINVAL', `${at}: expected an object {id, vector, metadata?}; fix the file.`);
  }
  const o = value as Record<string, unknown>;
  const id = o['id'];
  if (!((typeof id === 'string' && id !== '') || typeof id === 'number')) {
    throw new RvfError('EINVAL', `${at}: "id" must be a non-empty string or a number; fix the file.`);
  }
  return { id, vector: checkVector(o['vector'], at), metadata: checkMetadata(o['metadata'], at), at };
}

export function checkVector(v: unknown, at: string): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new RvfError('EINVAL', `${at}: "vector" must be a non-empty array of numbers; fix the file.`);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new RvfError('EINVAL', `${at}: vector[${i}] is ${JSON.stringify(x) ?? String(x)}, not a finite number; fix the file.`);
    }
  }
  return v as number[];
}

export function checkMetadata(m: unknown, at: string): Metadata | null {
  if (m === undefined || m === null) return null;
  if (typeof m !== 'object' || Array.isArray(m)) throw new RvfError('EINVAL', `${at}: "metadata" must be an object or null; fix the file.`);
  return m as Metadata;
}

async function* fromJsonArray(path: string, name: string): AsyncGenerator<VectorRecord> {
  for await (const item of jsonArrayItems(path, name)) {
    const at = `${name} line ${item.line}`;
    yield toRecord(parseJson(item.text, at), at);
  }
}

async function* fromJsonLines(path: string, name: string): AsyncGenerator<VectorRecord> {
  for await (const { line, text } of textLines(path)) {
    if (text.trim() === '') continue;
    const at = `${name} line ${line}`;
    yield toRecord(parseJson(text, at), at);
  }
}

// ---------------------------------------------------------------- CSV

interface CsvLayout {
  id: number;
  metadata: number;
  /** A `vector` column, or -1. */
  vector: number;
  /** Vector component columns, in order, when there is no `vector` column. */
  components: number[];
  /** Other columns, which become metadata fields. */
  extra: { index: number; name: string }[];
}

function csvLayout(header: string[], name: string): CsvLayout {
  const names = header.map((h) => h.trim());
  const lower = names.map((h) => h.toLowerCase());
  const seen = new Set<string>();
  for (const h of lower) {
    if (seen.has(h)) throw new RvfError('EINVAL', `${name} line 1: the column ${JSON.stringify(h)} appears twice; fix the file.`);
    seen.add(h);
  }
  const id = lower.indexOf('id');
  if (id < 0) throw new RvfError('EINVAL', `${name} line 1: the header row has no "id" column; fix the file.`);
  const metadata = lower.indexOf('metadata');
  const vector = lower.indexOf('vector');
  const rest = names.map((n, index) => ({ index, name: n })).filter((c) => c.index !== id && c.index !== metadata && c.index !== vector);
  if (vector >= 0) return { id, metadata, vector, components: [], extra: rest };
  const numbered = rest
    .map((c) => ({ ...c, n: /^v?(\d+)$/i.exec(c.name)?.[1] }))
    .filter((c): c is { index: number; name: string; n: string } => c.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n));
  if (numbered.length > 0) {
    const taken = new Set(numbered.map((c) => c.index));
    return { id, metadata, vector, components: numbered.map((c) => c.index), extra: rest.filter((c) => !taken.has(c.index)) };
  }
  if (rest.length === 0) throw new RvfError('EINVAL', `${name} line 1: no vector columns (a "vector" column, v0..vN, or numeric columns); fix the file.`);
  return { id, metadata, vector, components: rest.map((c) => c.index), extra: [] };
}

function csvNumber(cell: string, at: string, column: string): number {
  const t = cell.trim();
  const x = t === '' ? NaN : Number(t);
  if (!Number.isFinite(x)) throw new RvfError('EINVAL', `${at}: column ${JSON.stringify(column)} holds ${JSON.stringify(cell)}, not a finite number; fix the file.`);
  return x;
}

function csvVector(cell: string, at: string): number[] {
  const t = cell.trim();
  if (t.startsWith('[')) return checkVector(parseJson(t, at), at);
  const parts = t.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new RvfError('EINVAL', `${at}: the "vector" cell is empty; fix the file.`);
  return parts.map((p) => csvNumber(p, at, 'vector'));
}

async function* fromCsv(path: string, name: string): AsyncGenerator<VectorRecord> {
  let layout: CsvLayout | undefined;
  let header: string[] = [];
  for await (const rec of csvRecords(path, name)) {
    if (!layout) {
      header = rec.fields.map((h) => h.trim());
      layout = csvLayout(rec.fields, name);
      continue;
    }
    const at = `${name} line ${rec.line}`;
    const f = rec.fields;
    if (f.length !== header.length) throw new RvfError('EINVAL', `${at}: ${f.length} fields, the header has ${header.length}; fix the file.`);
    const id = (f[layout.id] as string).trim();
    if (id === '') throw new RvfError('EINVAL', `${at}: the id is empty; fix the file.`);
    const vector = layout.vector >= 0 ? csvVector(f[layout.vector] as string, at) : layout.components.map((i) => csvNumber(f[i] as string, at, header[i] as string));
    let metadata: Metadata | null = null;
    if (layout.metadata >= 0) {
      const cell = (f[layout.metadata] as string).trim();
      if (cell !== '') metadata = checkMetadata(parseJson(cell, at), at);
    }
    for (const c of layout.extra) {
      const v = f[c.index] as string;
      if (v === '') continue;
      metadata = { ...(metadata ?? {}), [c.name]: v };
    }
    yield { id, vector, metadata, at };
  }
  if (!layout) throw new RvfError('EINVAL', `${name}: the file is empty (a header row with an "id" column is needed); fix the file.`);
}

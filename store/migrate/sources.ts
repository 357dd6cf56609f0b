import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { RvfError } from '../errors.ts';
import type { Metric } from '../types.ts';
import { engineExportSource, idmapPath, nativeStoreSource } from './binary-sources.ts';
import { rvliteKind, rvliteSource } from './rvlite-json.ts';
import type { Source } from './source-types.ts';
import { readVectorFile, type VectorFileFormat } from './vector-files.ts';

export type { Source, SourceKind } from './source-types.ts';

/**
 * Opens a migration source, telling its kind from its content, never from its
 * extension: the RVF segment magic starts a binary file (an engine export if
 * its first VEC segment has the export's `count u16 | dim u32` layout and
 * nothing else follows, a store otherwise); `[` starts a JSON array of
 * vectors; a first line that is a whole `{id, vector}` object starts JSONL;
 * another `{` starts one JSON object, one of rvlite's shapes; a first line
 * with an `id` column starts CSV. Anything else is refused.
 */

const HEAD_BYTES = 64 * 1024;
/** V8 strings stop near 512 MiB; whole-JSON sources must fit in one. */
const MAX_WHOLE_JSON_BYTES = 500 * 1024 * 1024;
const SEGMENT_MAGIC = Buffer.from([0x53, 0x46, 0x56, 0x52]);
const VEC = 0x01;
const MANIFEST = 0x05;

export async function openSource(sourcePath: string, options: { metric?: Metric } = {}): Promise<Source> {
  const path = resolve(sourcePath);
  const name = basename(path);
  if (!existsSync(path)) throw new RvfError('ENOENT', `no source at ${path}; check the path.`);
  const size = statSync(path).size;
  if (size === 0) throw new RvfError('EINVAL', `${name} is empty; nothing to migrate.`);
  const head = readHead(path);
  if (head.subarray(0, 4).equals(SEGMENT_MAGIC)) {
    const idmap = idmapPath(path);
    const fingerprint = await sha256Of(idmap ? [path, idmap] : [path]);
    if (looksLikeEngineExport(path, head, size)) return engineExportSource(path, fingerprint);
    return nativeStoreSource(path, fingerprint, options.metric);
  }
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  const fingerprint = await sha256Of([path]);
  const vectorFile = (format: VectorFileFormat): Source => ({
    kind: format,
    path,
    fingerprint,
    nodes: [],
    rels: [],
    quads: [],
    skipped: [],
    forEachBatch: async (each) => {
      for await (const batch of readVectorFile(path, format)) await each(batch);
    },
  });
  if (first === '[') return vectorFile('json');
  if (first === '{') {
    const firstLine = text.trimStart().split(/\r?\n/, 1)[0] as string;
    if (isVectorObject(firstLine)) return vectorFile('jsonl');
    return wholeJsonSource(path, size, fingerprint);
  }
  if (first !== undefined && isCsvHeader(text)) return vectorFile('csv');
  throw new RvfError(
    'EINVAL',
    `${name}: unknown content; migrate reads rvlite state or db.json (JSON), an RVF1 envelope, an @ruvector/rvf-wasm export, a .rvf store, and vector files (JSON array, JSONL, CSV with an id column).`,
  );
}

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, HEAD_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The export's layout (rvf-facts §3): one VEC segment whose payload starts
 * `count u16 | dim u32`, rows of (id u64, dim f32), then at most a manifest.
 * A store's first VEC starts `dim u16 | count u32`, and it has more segments.
 */
function looksLikeEngineExport(path: string, head: Buffer, size: number): boolean {
  if (head.length < 70 || head[5] !== VEC) return false;
  const payload = Number(head.readBigUInt64LE(0x10));
  const wrapped = head.readUInt16LE(64);
  const dim = head.readUInt32LE(66);
  if (dim < 1 || dim > 65_535) return false;
  const rowBytes = 8 + dim * 4;
  if ((payload - 6) % rowBytes !== 0 || ((payload - 6) / rowBytes) % 65_536 !== wrapped) return false;
  const end = 64 + payload;
  if (end === size) return true;
  // One manifest may follow, and nothing else.
  if (end + 64 > size) return false;
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, end);
    return h.subarray(0, 4).equals(SEGMENT_MAGIC) && h[5] === MANIFEST && end + 64 + Number(h.readBigUInt64LE(0x10)) === size;
  } finally {
    closeSync(fd);
  }
}

function isVectorObject(line: string): boolean {
  try {
    const o = JSON.parse(line) as unknown;
    return o !== null && typeof o === 'object' && !Array.isArray(o) && 'id' in o && 'vector' in o;
  } catch {
    return false;
  }
}

function isCsvHeader(text: string): boolean {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.split(',').some((f) => f.trim().replace(/^"|"$/g, '').trim().toLowerCase() === 'id');
}

async function wholeJsonSource(path: string, size: number, fingerprint: string): Promise<Source> {
  const name = basename(path);
  if (size > MAX_WHOLE_JSON_BYTES) {
    throw new RvfError('ELIMIT', `${name} is one JSON object of ${Math.round(size / 1048576)} MiB, over the ${MAX_WHOLE_JSON_BYTES / 1048576} MiB that can be read whole; export its vectors as JSONL and migrate that.`);
  }
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RvfError('EINVAL', `${name} line ${jsonErrorLine(text, err as Error)}: not valid JSON (${(err as Error).message}); fix the file.`);
  }
  const o = parsed as Record<string, unknown>;
  const kind = o !== null && typeof o === 'object' && !Array.isArray(o) ? rvliteKind(o) : undefined;
  if (!kind) {
    throw new RvfError('EINVAL', `${name}: a JSON object of unknown shape; migrate reads rvlite's state ({version, vectors: {entries}}), its db.json ({vectors: {<id>: {vector}}}) and the RVF1 envelope.`);
  }
  return rvliteSource(o, kind, path, fingerprint);
}

/** The line a JSON.parse error points at: its "position N", or the last line when the text ends early (truncated). */
function jsonErrorLine(text: string, err: Error): number {
  const m = /position (\d+)/.exec(err.message);
  const at = m ? Number(m[1]) : text.trimEnd().length;
  let line = 1;
  for (let i = 0; i < at && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function sha256Of(paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  return paths
    .reduce<Promise<void>>(
      (prev, p) =>
        prev.then(
          () =>
            new Promise<void>((ok, fail) => {
              createReadStream(p)
                .on('data', (d) => hash.update(d))
                .on('end', ok)
                .on('error', fail);
            }),
        ),
      Promise.resolve(),
    )
    .then(() => hash.digest('hex'));
}

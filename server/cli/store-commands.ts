import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { LIMITS, RvfDatabase } from '../../store/index.ts';
import { CliError, keyValues, printer, progressBar, table } from './output.ts';
import { parseMetric, parsePositiveInt, withStore } from './open-store.ts';
import { writeJsonlExport } from './export-jsonl.ts';
import { exportTarget } from './export-target.ts';

/** How long `rvf status` waits for the index to load before it shows what is pending. */
const STATUS_INDEX_WAIT_MS = 5_000;

/** create, status, segments, derive, compact, export, rebuild. */
export function registerStoreCommands(program: Command, json: () => boolean): void {
  program
    .command('create <path>')
    .description('create an empty store')
    .requiredOption('--dimension <n>', 'vector dimension, e.g. 384')
    .option('--metric <metric>', 'cosine (default), l2 or dotproduct', 'cosine')
    .option('--index <setting>', `auto (default: an approximate index from ${LIMITS.indexThreshold} vectors) or none (exact scans only)`, 'auto')
    .action(async (path: string, o: { dimension: string; metric: string; index: string }) => {
      if (o.index !== 'auto' && o.index !== 'none') throw new CliError(`--index must be auto or none, not ${JSON.stringify(o.index)}.`);
      const db = await RvfDatabase.create(resolve(path), { dimensions: parsePositiveInt(o.dimension, '--dimension'), metric: parseMetric(o.metric) ?? 'cosine', index: o.index });
      const status = await db.status();
      await db.close();
      printer(json()).result(status, () => `created ${path}: ${status.dimensions}-d, ${status.metric}`);
    });

  program
    .command('status <path>')
    .description('count, dimension, metric, epoch, size, dead space, lineage and approximate index of a store')
    .action((path: string) =>
      withStore(path, 'read', async (db) => {
        // Long enough to load a sidecar; a store whose index is still being built shows what is pending.
        await Promise.race([db.waitForIndex(), new Promise((r) => setTimeout(r, STATUS_INDEX_WAIT_MS).unref())]);
        const s = await db.status();
        printer(json()).result(s, () =>
          keyValues({
            path: s.path,
            vectors: s.totalVectors,
            dimension: s.dimensions,
            metric: s.metric,
            epoch: s.epoch,
            'file size (bytes)': s.fileSizeBytes,
            segments: s.totalSegments,
            'dead space': `${(s.deadSpaceRatio * 100).toFixed(1)}%`,
            'file id': s.fileId,
            lineage: s.lineage ? `child of ${s.lineage.parentPath || s.lineage.parentFileId} at epoch ${s.lineage.parentEpoch} (depth ${s.lineage.depth})` : 'root',
            embedder: s.embedder ? `${s.embedder.name} (${s.embedder.dimensions}-d)` : 'none',
            index: s.index.kind === 'none' ? `none (${s.index.setting})` : `${s.index.kind}: ${s.index.indexed} indexed, ${s.index.pending} pending (${s.index.setting})`,
          }),
        );
      }),
    );

  program
    .command('segments <path>')
    .description('the segments of a store file, in file order')
    .action((path: string) =>
      withStore(path, 'read', async (db) => {
        const segs = await db.segments();
        printer(json()).result(segs, () => table(['id', 'type', 'offset', 'bytes', 'epoch'], segs.map((s) => [s.id, s.type, s.offset, s.payloadLength, s.epoch])));
      }),
    );

  program
    .command('derive <path> <child>')
    .description('write a child store with the live data and a record of its parent (lineage)')
    .action((path: string, child: string) =>
      withStore(path, 'read', async (db) => {
        const r = await db.derive(resolve(child));
        printer(json()).result(r, () => `derived ${child} from ${basename(path)} at epoch ${r.lineage.parentEpoch}: ${r.totalVectors} vectors`);
      }),
    );

  program
    .command('compact <path>')
    .description('rewrite the store with live data only (crash-safe: temp file, fsync, rename)')
    .action((path: string) =>
      withStore(path, 'write', async (db) => {
        const bar = progressBar('compacting', json());
        const r = await db.compact({ onProgress: (d, t) => bar.update(d, t) });
        bar.finish();
        printer(json()).result(r, () => `compacted ${path}: ${r.bytesReclaimed} bytes reclaimed, now at epoch ${r.epoch}`);
      }),
    );

  program
    .command('export <path>')
    .description('write the store to another file: a compacted .rvf copy, or JSON lines {id, vector, metadata}')
    .requiredOption('--output <file>', 'where to write (with --format jsonl, - is standard output)')
    .option('--format <format>', 'rvf (default) or jsonl', 'rvf')
    .action((path: string, o: { output: string; format: string }) =>
      withStore(path, 'read', async (db) => {
        if (o.format !== 'rvf' && o.format !== 'jsonl') throw new CliError(`--format must be rvf or jsonl, not ${JSON.stringify(o.format)}.`);
        const target = exportTarget(o.output === '-' ? '-' : resolve(o.output));
        if (o.format === 'jsonl') {
          const { count, complete } = await writeJsonlExport(db, target);
          const where = target.kind === 'file' ? target.path : o.output;
          const summary = { output: where, format: 'jsonl', totalVectors: count, complete };
          // on standard output the lines are the result: the summary goes to stderr, never into them
          if (target.kind === 'stdout' || (target.kind === 'stream' && target.isStdout)) {
            if (complete) process.stderr.write(json() ? `${JSON.stringify(summary)}\n` : `wrote ${count} vectors to standard output\n`);
          } else printer(json()).result(summary, () => `wrote ${count} vectors to ${o.output}`);
          return;
        }
        if (target.kind !== 'file') {
          throw new CliError(`${o.output} is not a file: an .rvf copy is written to a temporary name and renamed into place; give --output a file path, or use --format jsonl to stream to it.`);
        }
        const r = await db.export(target.path);
        printer(json()).result(r, () => `wrote ${r.totalVectors} vectors to ${o.output} (${r.fileSizeBytes} bytes)`);
      }),
    );

  program
    .command('rebuild <path>')
    .description('rebuild the SQLite cache (vectors, metadata, tables, graph, triples) and the approximate index from the .rvf file alone')
    .action((path: string) =>
      withStore(path, 'write', async (db) => {
        const bar = progressBar('rebuilding the cache', json());
        bar.update(0, 1);
        const r = await db.rebuildCache();
        bar.update(1, 1);
        bar.finish();
        const indexBar = progressBar('rebuilding the index', json());
        const index = await db.rebuildIndex({ onProgress: (d, t) => indexBar.update(d, t) });
        indexBar.finish();
        printer(json()).result({ ...r, index }, () =>
          `rebuilt the cache of ${path} at epoch ${r.epoch}: ${r.vectors} vectors (${r.withMetadata} with metadata), ` +
          `${r.tables} tables (${r.tableRows} rows), ${r.nodes} nodes, ${r.relationships} relationships, ${r.quads} quads; ` +
          (index.kind === 'none' ? 'no approximate index' : `index: ${index.indexed} vectors`),
        );
      }),
    );
}

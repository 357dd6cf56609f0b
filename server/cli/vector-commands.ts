import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatOfPath, readVectorFile } from '../../store/migrate/vector-files.ts';
import { parseJsonOption, parsePositiveInt, withStore } from './open-store.ts';
import { CliError, printer, progressBar, table } from './output.ts';
import { vectorFrom } from './vector-args.ts';

/** ingest and query. */
export function registerVectorCommands(program: Command, json: () => boolean): void {
  program
    .command('ingest <path>')
    .description('add vectors from a file: .json (an array), .jsonl or .csv of {id, vector, metadata?}; streamed, one commit per batch')
    .requiredOption('--input <file>', 'the file to read')
    .option('--batch <n>', 'entries per commit', '10000')
    .action((path: string, o: { input: string; batch: string }) =>
      withStore(path, 'write', async (db) => {
        const batchSize = parsePositiveInt(o.batch, '--batch');
        const format = formatOfPath(o.input);
        if (!format) throw new CliError(`${o.input}: give a .json, .jsonl or .csv file (the extension names the format).`);
        const bar = progressBar('ingesting', json());
        let accepted = 0;
        let replaced = 0;
        let epoch = (await db.status()).epoch;
        for await (const batch of readVectorFile(resolve(o.input), format, { batchSize })) {
          const r = await db.ingestBatch(batch);
          accepted += r.accepted;
          replaced += r.replaced;
          epoch = r.epoch;
          bar.update(accepted);
        }
        bar.finish();
        printer(json()).result({ accepted, replaced, epoch }, () => `ingested ${accepted} vectors (${replaced} replaced) into ${path}, now at epoch ${epoch}`);
      }),
    );

  program
    .command('query <path>')
    .description('the k nearest vectors to a query vector, with an optional metadata filter')
    .option('--vector <numbers>', 'the query vector, e.g. "0.1,-0.2,0.3" or "[0.1, -0.2, 0.3]"')
    .option('--vector-file <file>', 'read the query vector from a file')
    .option('--k <k>', 'how many neighbours', '10')
    .option('--filter <json>', 'metadata filter, e.g. \'{"topic": "rust"}\'')
    .option('--exact', 'scan every vector exactly, even when the store has an approximate index')
    .action((path: string, o: { vector?: string; vectorFile?: string; k: string; filter?: string; exact?: boolean }) =>
      withStore(path, 'read', async (db) => {
        const vector = vectorFrom(o);
        const filter = parseJsonOption(o.filter, '--filter');
        const results = await db.query(vector, parsePositiveInt(o.k, '--k'), { exact: o.exact === true, ...(filter === undefined ? {} : { filter }) });
        printer(json()).result(results, () => table(['id', 'distance', 'metadata'], results.map((r) => [r.id, r.distance, r.metadata])));
      }),
    );
}

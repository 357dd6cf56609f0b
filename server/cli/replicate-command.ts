import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { replicateStore } from '../../store/replicate/replicate.ts';
import { ReplicationError } from '../../store/replicate/postgres-target.ts';
import { STORE_NAME_PATTERN } from '../../schemas/store-name.ts';
import { CliError, keyValues, printer } from './output.ts';

/** replicate: bring PostgreSQL + pgvector (schema rvf) up to a store's current epoch, then exit. */
export function registerReplicateCommand(program: Command, json: () => boolean): void {
  program
    .command('replicate <path>')
    .description("ship a store's commits into PostgreSQL + pgvector (schema rvf), exactly once; a rerun with nothing new changes no row")
    .requiredOption('--to <postgres-url>', 'the target database, e.g. postgres://user:password@host:5432/db')
    .option('--as <name>', "the store's name in Postgres (default: the file name without .rvf); unique across a fleet, e.g. host1-notes")
    .action(async (path: string, o: { to: string; as?: string }) => {
      const abs = resolve(path);
      if (!existsSync(abs)) throw new CliError(`no store at ${abs}; check the path.`);
      if (o.as !== undefined && !STORE_NAME_PATTERN.test(o.as)) {
        throw new CliError(`--as ${JSON.stringify(o.as)} is not a store name; use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.`);
      }
      let result;
      try {
        result = await replicateStore(abs, o.to, o.as === undefined ? {} : { store: o.as });
      } catch (err) {
        // Already one sentence naming the target without its password.
        if (err instanceof ReplicationError) throw new CliError(err.message);
        throw err;
      }
      printer(json()).result(result, () =>
        keyValues({
          store: result.store,
          target: result.target,
          'epoch in Postgres': result.fromEpoch === null ? `${result.epoch} (was none)` : `${result.epoch} (was ${result.fromEpoch})`,
          commits: result.commits,
          rows: result.rows.total,
          resynced: result.resynced ?? 'no',
        }),
      );
    });
}

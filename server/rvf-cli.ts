#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { errorLine, EXIT_OK, EXIT_USER, exitCodeOf } from './cli/output.ts';
import { registerMemoryCommands } from './cli/memory-commands.ts';
import { registerMigrateCommand } from './cli/migrate-command.ts';
import { registerQueryCommands } from './cli/query-commands.ts';
import { registerReplicateCommand } from './cli/replicate-command.ts';
import { registerStoreCommands } from './cli/store-commands.ts';
import { registerVectorCommands } from './cli/vector-commands.ts';
import { VERSION } from './version.ts';

/**
 * `rvf`: the command line for people at a terminal. It takes file paths (a
 * person's own files), not store names under a server root. Exit codes: 0
 * done, 1 a user error (one line on stderr with the fix), 2 a damaged store
 * or a failed --verify.
 */

// A reader that stops early (`rvf sql ... | head`) closes stdout: the rest of the output has nowhere to
// go, which is no error of the command. Unhandled, the EPIPE ended it with a stack trace and exit 1;
// the command now finishes (a write still commits and releases its lease), its output dropped.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});

const program = new Command('rvf')
  .description('durable vector stores in .rvf files: create, ingest, query, inspect, migrate, and query with SQL, Cypher and SPARQL')
  .version(VERSION, '--version', 'print the version')
  .option('--json', 'print results as JSON, for scripts')
  .helpCommand('help [command]', 'show help for a command, e.g. rvf help ingest')
  .showHelpAfterError('(rvf help <command> shows its usage)')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`rvf: ${text.replace(/^error: /, '')}`) });

const json = (): boolean => program.opts<{ json?: boolean }>().json === true;
registerStoreCommands(program, json);
registerVectorCommands(program, json);
registerQueryCommands(program, json);
registerMigrateCommand(program, json);
registerMemoryCommands(program, json);
registerReplicateCommand(program, json);
for (const c of program.commands) c.exitOverride().configureOutput(program.configureOutput());

try {
  await program.parseAsync(process.argv);
  process.exitCode = EXIT_OK;
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and --version end here with code 0; usage errors were printed by commander.
    process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_USER;
  } else {
    process.stderr.write(`${errorLine(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}

#!/usr/bin/env node
import { VERSION } from './version.ts';

/** The human CLI (`rvf`). Its commands are a later milestone; this answers --version and --help. */

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  process.stderr.write(`rvf ${VERSION}: the command line is not implemented in this version yet; use the library API (see README).\n`);
  process.exitCode = args.includes('--help') ? 0 : 2;
}

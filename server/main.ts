#!/usr/bin/env node
import { VERSION } from './version.ts';

/**
 * The MCP server entry (`npx rvf-mcp-server`). The storage layer is in place;
 * the MCP tools over stdio and HTTP are the next milestone, so for now this
 * answers --help and --version and says so.
 */

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  process.stderr.write(
    `rvf-mcp-server ${VERSION}\n\n` +
      'The MCP tools (rvf_*, rvlite_*) are not wired up in this version yet.\n' +
      'The storage engine is usable as a library: import { RvfDatabase } from "rvf-mcp-server".\n' +
      'Try it: npm run demo\n',
  );
  process.exitCode = args.includes('--help') ? 0 : 2;
}

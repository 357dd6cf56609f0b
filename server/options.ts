import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { embedderConfigFrom } from '../schemas/embedder.ts';
import { FLAGS, ServerOptions } from '../schemas/server-options.ts';
import { parseTarget } from '../store/replicate/postgres-target.ts';

export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: ServerOptions } | { kind: 'error'; message: string };

export function helpText(): string {
  const width = Math.max(...FLAGS.map((f) => f.flag.length));
  return [
    'Usage: rvf-mcp-server [--write] [--root DIR] [--transport stdio|http] [--host H] [--port P] [--token T] [--max-sessions N] [--session-idle-timeout SECONDS] [--replicate-to URL [--replicate-prefix P]]',
    '',
    'An MCP server that gives agents durable vector memory in local .rvf stores.',
    '',
    ...FLAGS.map((f) => `  ${f.flag.padEnd(width)}  ${f.help}`),
    '',
  ].join('\n');
}

/** Parses argv with node:util's parseArgs, then checks the values with the shared zod schema. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        write: { type: 'boolean' },
        root: { type: 'string' },
        transport: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        'max-sessions': { type: 'string' },
        'session-idle-timeout': { type: 'string' },
        'embedder-url': { type: 'string' },
        'embedder-model': { type: 'string' },
        'replicate-to': { type: 'string' },
        'replicate-prefix': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }));
  } catch (err) {
    return { kind: 'error', message: `${(err as Error).message}; see --help.` };
  }
  if (values['help']) return { kind: 'help' };
  if (values['version']) return { kind: 'version' };
  const root = (values['root'] as string | undefined) ?? env['RVF_MCP_ROOT'] ?? join(homedir(), '.rvf-mcp');
  const embedder = embedderConfigFrom({ url: values['embedder-url'] as string | undefined, model: values['embedder-model'] as string | undefined }, env);
  if (!embedder.success) return { kind: 'error', message: `${embedder.error.issues[0]?.message ?? 'invalid embedder options'}; see --help.` };
  const parsed = ServerOptions.safeParse({
    write: values['write'] ?? false,
    root: resolve(root),
    transport: values['transport'],
    host: values['host'],
    port: values['port'],
    token: values['token'] ?? env['RVF_MCP_TOKEN'],
    maxSessions: values['max-sessions'],
    sessionIdleTimeout: values['session-idle-timeout'],
    embedder: embedder.data,
    replicateTo: (values['replicate-to'] as string | undefined) ?? (env['RVF_REPLICATE_TO'] || undefined),
    replicatePrefix: (values['replicate-prefix'] as string | undefined) ?? (env['RVF_REPLICATE_PREFIX'] || undefined),
  });
  if (!parsed.success) return { kind: 'error', message: `${parsed.error.issues[0]?.message ?? 'invalid options'}; see --help.` };
  if (parsed.data.replicatePrefix !== undefined && parsed.data.replicateTo === undefined) {
    return { kind: 'error', message: '--replicate-prefix names stores in the Postgres of --replicate-to, so it needs --replicate-to; see --help.' };
  }
  if (parsed.data.replicateTo !== undefined) {
    if (!parsed.data.write) return { kind: 'error', message: '--replicate-to ships the commits this server makes, so it needs --write; see --help.' };
    try {
      parseTarget(parsed.data.replicateTo);
    } catch (err) {
      return { kind: 'error', message: `--replicate-to: ${(err as Error).message}` };
    }
  }
  return { kind: 'run', options: parsed.data };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

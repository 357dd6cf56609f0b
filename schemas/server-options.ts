import { z } from 'zod';
import { EmbedderConfig } from './embedder.ts';

const REPLICATE_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/** The server's command-line options, shared by the CLI parser and the README's flag table. */
export const ServerOptions = z.object({
  write: z.boolean().default(false),
  root: z.string().min(1),
  transport: z.enum(['stdio', 'http'], { error: '--transport is stdio or http' }).default('stdio'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce
    .number({ error: '--port must be a number from 0 to 65535' })
    .int({ error: '--port must be a number from 0 to 65535' })
    .min(0, { error: '--port must be a number from 0 to 65535' })
    .max(65535, { error: '--port must be a number from 0 to 65535' })
    .default(3333),
  token: z.string().min(16, { error: '--token must be at least 16 characters' }).optional(),
  maxSessions: z.coerce
    .number({ error: '--max-sessions must be a whole number of sessions, 1 or more' })
    .int({ error: '--max-sessions must be a whole number of sessions, 1 or more' })
    .min(1, { error: '--max-sessions must be a whole number of sessions, 1 or more' })
    .default(100),
  sessionIdleTimeout: z.coerce
    .number({ error: '--session-idle-timeout must be a whole number of seconds, 1 or more' })
    .int({ error: '--session-idle-timeout must be a whole number of seconds, 1 or more' })
    .min(1, { error: '--session-idle-timeout must be a whole number of seconds, 1 or more' })
    .default(1800),
  embedder: EmbedderConfig.default({ kind: 'lexical' }),
  /** A postgres:// URL every store is replicated to (store/replicate/follower.ts); needs --write. */
  replicateTo: z.string().min(1).optional(),
  /** Put before every store's name in Postgres, so that hosts sharing one database keep apart. */
  replicatePrefix: z
    .string()
    .regex(REPLICATE_PREFIX_PATTERN, { error: '--replicate-prefix is 1 to 32 letters, digits, ".", "_" or "-", starting with a letter or digit, e.g. host1-' })
    .optional(),
});
export type ServerOptions = z.infer<typeof ServerOptions>;

export const FLAGS: { flag: string; help: string }[] = [
  { flag: '--write', help: 'register the tools that change stores (default: strictly read-only)' },
  { flag: '--root DIR', help: 'where stores live (default: $RVF_MCP_ROOT, else ~/.rvf-mcp)' },
  { flag: '--transport stdio|http', help: 'stdio (default) or Streamable HTTP at /mcp (plus legacy SSE)' },
  { flag: '--host H', help: 'HTTP bind address (default 127.0.0.1); others need --token' },
  { flag: '--port P', help: 'HTTP port (default 3333; 0 picks a free one)' },
  { flag: '--token T', help: 'HTTP bearer token, 16+ characters (or $RVF_MCP_TOKEN)' },
  { flag: '--max-sessions N', help: 'HTTP sessions open at once, Streamable and legacy SSE together (default 100); past it initialize gets 503' },
  { flag: '--session-idle-timeout SECONDS', help: 'close an HTTP session after this long without a request or a message (default 1800)' },
  { flag: '--embedder-url URL', help: 'OpenAI-compatible embeddings endpoint for text memory, e.g. http://127.0.0.1:11434/v1 (or $RVF_EMBEDDER_URL; default: built-in lexical embedder)' },
  { flag: '--embedder-model M', help: 'model name for --embedder-url (or $RVF_EMBEDDER_MODEL)' },
  { flag: '--replicate-to URL', help: 'with --write: ship every commit of every store to PostgreSQL + pgvector (schema rvf) in the background (or $RVF_REPLICATE_TO)' },
  { flag: '--replicate-prefix P', help: "with --replicate-to: put P before every store's name in Postgres, so hosts sharing one database keep apart, e.g. host1- (or $RVF_REPLICATE_PREFIX)" },
  { flag: '--help', help: 'show this help' },
  { flag: '--version', help: 'print the version' },
];

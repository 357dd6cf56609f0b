#!/usr/bin/env node
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LIMITS } from '../schemas/limits.ts';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { indexWorkersEnded } from '../store/ann-index.ts';
import { StoreRegistry } from '../store/registry.ts';
import { ReplicationFollower } from '../store/replicate/follower.ts';
import { parseTarget } from '../store/replicate/postgres-target.ts';
import type { ToolContext } from '../tools/context.ts';
import { BodyBudget } from './body-budget.ts';
import { createServer } from './create-server.ts';
import { serveHttp, type HttpHandle } from './http.ts';
import { inspectorRoutes } from './inspector/routes.ts';
import { ServerLog } from './log.ts';
import { helpText, isLoopback, parseCommand } from './options.ts';
import { serveStdio } from './stdio.ts';
import { VERSION } from './version.ts';

/**
 * `npx rvf-mcp-server`: parses the flags, opens the store registry under the
 * root, and serves MCP over stdio or HTTP until SIGINT, SIGTERM or (stdio)
 * stdin closes. Shutdown lets the commit in flight finish, releases every
 * writer lease, and exits 0.
 */

const command = parseCommand(process.argv.slice(2), process.env);
if (command.kind === 'help') {
  process.stdout.write(helpText());
} else if (command.kind === 'version') {
  process.stdout.write(`${VERSION}\n`);
} else if (command.kind === 'error') {
  process.stderr.write(`rvf-mcp-server: ${command.message}\n`);
  process.exitCode = 2;
} else {
  await run(command.options);
}

async function run(options: Extract<typeof command, { kind: 'run' }>['options']): Promise<void> {
  if (options.transport === 'http' && !isLoopback(options.host) && options.token === undefined) {
    process.stderr.write(
      `rvf-mcp-server: refusing to listen on ${options.host} without a token: anyone who can reach it could read${options.write ? ' and change' : ''} your stores. Add --token (16+ characters) or bind 127.0.0.1.\n`,
    );
    process.exitCode = 2;
    return;
  }
  const log = new ServerLog();
  const registry = new StoreRegistry({ root: options.root, write: options.write, onWarning: (m) => log.warn(m) });
  // The web inspector only reads: its handles are lease-free readers, beside this process's writers.
  const inspectorRegistry = options.write ? new StoreRegistry({ root: options.root, write: false, onWarning: (m) => log.warn(m) }) : registry;
  // With --replicate-to, commits ship to Postgres after they are durable, in the background: never in a tool call's way.
  const replication =
    options.replicateTo === undefined
      ? undefined
      : new ReplicationFollower({
          target: parseTarget(options.replicateTo),
          stores: registry,
          log,
          ...(options.replicatePrefix === undefined ? {} : { prefix: options.replicatePrefix }),
        });
  const ctx: ToolContext = { registry, log, embedder: options.embedder, ...(replication ? { replication } : {}) };
  // One McpServer per session (one on stdio), its log routed to its own client.
  const connectSession = async (transport: Transport): Promise<void> => {
    const server = createServer(ctx);
    await server.connect(transport);
    log.attach(server);
  };

  // A request must never take the process down; log what slipped through,
  // to stderr only (logging it over MCP could fail the same way again).
  process.on('uncaughtException', (err) => log.fatal(`uncaught: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log.fatal(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));

  let http: HttpHandle | undefined;
  let stopping = false;
  const shutdown = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`shutting down (${why})`);
    // Closing a store waits for its queued work, so the commit in flight finishes.
    void (async () => {
      // A replication in flight is one Postgres transaction per commit: cut off, it rolls back and the next start resumes it.
      void replication?.stop();
      await http?.close().catch(() => undefined);
      await registry.closeAll().catch((err: unknown) => log.error(`while closing stores: ${String(err)}`));
      if (inspectorRegistry !== registry) await inspectorRegistry.closeAll().catch(() => undefined);
      // Last, so the query children's connections are the last to close each cache and remove its -wal and -shm.
      await queryRunner().stop().catch(() => undefined);
      // a closed store's index worker ends after its step at hand: exiting inside it can abort the process
      await indexWorkersEnded(5_000);
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // On stdio a closed stdout means the client is gone: stop rather than write into the void.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => shutdown(`stdout ${err.code ?? 'error'}`));

  const mode = options.write ? 'read-write' : 'read-only';
  replication?.start();
  if (options.transport === 'stdio') {
    await serveStdio(connectSession, log, shutdown);
    log.info(`rvf-mcp-server ${VERSION} on stdio, ${mode}, root ${registry.root}`);
  } else {
    // Room for two bodies at the size limit at once (a big ingest still goes through beside another),
    // and a bound on the memory bodies take whatever the number of clients.
    const bodyBudget = new BodyBudget(2 * LIMITS.maxRequestBytes);
    try {
      http = await serveHttp({
        host: options.host,
        port: options.port,
        token: options.token,
        maxSessions: options.maxSessions,
        sessionIdleTimeoutMs: options.sessionIdleTimeout * 1000,
        bodyBudget,
        connectSession,
        inspector: inspectorRoutes({ registry: inspectorRegistry, serverWrites: options.write, log, bodyBudget, ...(replication ? { replication } : {}) }),
        log,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? `port ${options.port} on ${options.host} is in use; pick another with --port (0 picks a free one)`
        : code === 'EADDRNOTAVAIL' ? `${options.host} is not an address of this machine; use --host 127.0.0.1`
        : `cannot listen on ${options.host}:${options.port} (${(err as Error).message})`;
      process.stderr.write(`rvf-mcp-server: ${why}.\n`);
      await registry.closeAll();
      process.exit(2);
    }
    log.info(`rvf-mcp-server ${VERSION} listening on ${http.url}, ${mode}, root ${registry.root}`);
  }
}

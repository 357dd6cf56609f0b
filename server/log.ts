import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../tools/context.ts';

/**
 * Logs to stderr and, as MCP logging notifications, to every connected
 * client (each session has its own McpServer). Never to stdout: on stdio that
 * is the protocol channel.
 */
export class ServerLog implements Logger {
  /** Servers whose client finished initializing: only they may get notifications. */
  readonly #servers = new Set<McpServer>();

  attach(server: McpServer): void {
    server.server.oninitialized = () => this.#servers.add(server);
  }

  detach(server: McpServer): void {
    this.#servers.delete(server);
  }

  info(message: string): void {
    this.#emit('info', message);
  }

  warn(message: string): void {
    this.#emit('warning', message);
  }

  error(message: string): void {
    this.#emit('error', message);
  }

  /** For failures of the process itself: stderr only, since the MCP channel may be what failed. */
  fatal(message: string): void {
    process.stderr.write(`rvf-mcp-server error: ${message}\n`);
  }

  #emit(level: 'info' | 'warning' | 'error', message: string): void {
    process.stderr.write(`rvf-mcp-server ${level}: ${message}\n`);
    for (const server of this.#servers) {
      if (server.isConnected()) server.sendLoggingMessage({ level, logger: 'rvf-mcp-server', data: message }).catch(() => undefined);
    }
  }
}

import { AsyncLocalStorage } from 'node:async_hooks';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isJSONRPCRequest, LoggingLevelSchema, SetLevelRequestSchema, type LoggingLevel, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../tools/context.ts';

/**
 * Logs to stderr, always and in full; never to stdout (on stdio that is the
 * protocol channel). A message logged while a session's message is being
 * handled (its tool call, and the store warnings that call causes) also goes
 * to that session alone, as an MCP logging notification tied to the call, one
 * line without any stack trace. Messages of no session (startup, shutdown,
 * HTTP errors, the inspector) stay on stderr.
 *
 * Which session is current is carried by AsyncLocalStorage, because the store
 * registry is shared by all sessions and cannot be told whose call opened a
 * store; the async context of the call can.
 */
export class ServerLog implements Logger {
  readonly #current = new AsyncLocalStorage<CallScope>();

  /**
   * Routes the messages of `server`'s calls to its client. Call it right after
   * server.connect(transport): it wraps the handler the SDK set on the
   * transport, so that all the work of each message runs in its scope.
   */
  attach(server: McpServer): void {
    const transport = server.server.transport;
    if (!transport) throw new Error('ServerLog.attach needs a connected server; call server.connect(transport) first');
    const channel: SessionChannel = { server, initialized: false, level: undefined };
    server.server.oninitialized = () => {
      channel.initialized = true;
    };
    // The SDK's own logging/setLevel handler keeps the level for its
    // sendLoggingMessage, which cannot name the call a message belongs to (over
    // Streamable HTTP it would go to the session's GET stream, which many
    // clients never open); this log sends its own notifications, so it keeps
    // the level itself.
    server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
      channel.level = request.params.level;
      return {};
    });
    const handle = transport.onmessage;
    transport.onmessage = (message, extra) => {
      const scope: CallScope = { channel, requestId: isJSONRPCRequest(message) ? message.id : undefined };
      this.#current.run(scope, () => handle?.(message, extra));
    };
    const onclose = transport.onclose;
    transport.onclose = () => {
      // Async work the session started may keep its scope alive; it must not keep the server.
      channel.server = undefined;
      onclose?.();
    };
  }

  info(message: string): void {
    this.#emit('info', message);
  }

  warn(message: string): void {
    this.#emit('warning', message);
  }

  error(message: string, detail?: string): void {
    this.#emit('error', message, detail);
  }

  /** For failures of the process itself: stderr only, since the MCP channel may be what failed. */
  fatal(message: string): void {
    toStderr(`rvf-mcp-server error: ${message}\n`);
  }

  #emit(level: LoggingLevel, message: string, detail?: string): void {
    toStderr(`rvf-mcp-server ${level}: ${message}\n${detail === undefined ? '' : `${detail}\n`}`);
    const scope = this.#current.getStore();
    const server = scope?.channel.server;
    if (!scope || !server || !scope.channel.initialized || !server.isConnected() || isBelow(level, scope.channel.level)) return;
    // One line: whatever a caller put after it (a trace, a dump) stays on stderr.
    const line = message.split('\n', 1)[0] ?? '';
    server.server
      .notification({ method: 'notifications/message', params: { level, logger: 'rvf-mcp-server', data: line } }, scope.requestId === undefined ? undefined : { relatedRequestId: scope.requestId })
      .catch(() => undefined); // a client that went away does not fail the work
  }
}

/**
 * stderr, written while it works. A client that goes away may close the
 * server's stderr before its stdin; a write then fails with EPIPE, and that
 * error, unhandled, came back as an uncaught exception whose own log line
 * failed the same way, round and round, so the server never got back to its
 * event loop to see stdin close: an orphaned process at full CPU. Once stderr
 * has failed, lines for it are dropped (MCP notifications still go out).
 */
const stderrState = { open: true, watched: false };

function toStderr(text: string): void {
  if (!stderrState.watched) {
    stderrState.watched = true;
    process.stderr.on('error', () => {
      stderrState.open = false;
    });
  }
  if (stderrState.open && process.stderr.writable) process.stderr.write(text);
}

/** A session's side of the log; `server` is cleared when the session closes. */
interface SessionChannel {
  server: McpServer | undefined;
  /** Only a client that finished initializing may get notifications. */
  initialized: boolean;
  /** The level the client set with logging/setLevel; undefined: everything. */
  level: LoggingLevel | undefined;
}

/** The session, and the request of it, whose message is being handled. */
interface CallScope {
  channel: SessionChannel;
  requestId: RequestId | undefined;
}

const SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options;

function isBelow(level: LoggingLevel, threshold: LoggingLevel | undefined): boolean {
  return threshold !== undefined && SEVERITY.indexOf(level) < SEVERITY.indexOf(threshold);
}

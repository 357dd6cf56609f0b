import type { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../tools/context.ts';
import { SessionActivity } from './session-activity.ts';

/**
 * The open HTTP sessions of both transports (Streamable HTTP and legacy SSE),
 * under one cap (--max-sessions) and one idle timeout
 * (--session-idle-timeout). Closing an entry closes its transport, whose
 * onclose removes it from here; nothing else holds a session's McpServer, so
 * its memory goes with it.
 */
export interface SessionEntry<T> {
  transport: T;
  activity: SessionActivity;
  close(): Promise<void>;
}

export class SessionTable {
  readonly streamable = new Map<string, SessionEntry<StreamableHTTPServerTransport>>();
  readonly legacy = new Map<string, SessionEntry<SSEServerTransport>>();
  /** Streamable sessions between their initialize and their id: they count toward the cap too. */
  #opening = 0;
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    readonly maxSessions: number,
    readonly idleTimeoutMs: number,
    private readonly log: Logger,
  ) {
    // Checked at a fraction of the timeout, so a session closes at most half a timeout (and never more than 30 s) late.
    this.#sweeper = setInterval(() => this.#closeIdle(), Math.min(idleTimeoutMs / 2, 30_000));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.streamable.size + this.legacy.size;
  }

  isFull(): boolean {
    return this.size + this.#opening >= this.maxSessions;
  }

  /** Holds a place for a session being opened; undefined when the cap is reached. The returned function gives the place back. */
  reserve(): (() => void) | undefined {
    if (this.isFull()) return undefined;
    this.#opening++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#opening--;
    };
  }

  fullMessage(): string {
    return `the server already has ${this.size} open sessions, its --max-sessions; end one (DELETE /mcp), wait for an idle one to close, or restart the server with a higher --max-sessions`;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const entries = [...this.streamable.values(), ...this.legacy.values()];
    await Promise.all(entries.map((e) => e.close().catch(() => undefined)));
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [kind, sessions] of [['Streamable HTTP', this.streamable], ['SSE', this.legacy]] as const) {
      for (const [id, entry] of sessions) {
        const idle = entry.activity.idleMs(now);
        if (idle < this.idleTimeoutMs) continue;
        this.log.info(`closing ${kind} session ${id}: idle for ${Math.round(idle / 1000)} s (--session-idle-timeout)`);
        // Its transport's onclose removes it too; removed here as well so that a close that fails still frees the place.
        sessions.delete(id);
        entry.close().catch((err: unknown) => this.log.error(`while closing idle session ${id}: ${err instanceof Error ? err.message : String(err)}`));
      }
    }
  }
}

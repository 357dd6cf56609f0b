import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { EmbedderConfig } from '../schemas/embedder.ts';
import type { StoreRegistry } from '../store/registry.ts';
import type { ReplicationStatus } from '../store/replicate/follower.ts';

/** What every tool module gets from the server assembly. Tools never reach back into server/. */
export interface ToolContext {
  registry: StoreRegistry;
  log: Logger;
  /** The embedder text memory uses. */
  embedder: EmbedderConfig;
  /** With --replicate-to: a store's replication, for rvf_status. */
  replication?: { status(store: string, localEpoch: number): ReplicationStatus };
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** `detail` (a stack trace) goes to stderr only, never to a client. */
  error(message: string, detail?: string): void;
}

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Progress notifications for a long tool call, sent only when the client
 * passed a progressToken, and at most every 100 ms (always the last one).
 */
export function progressOf(extra: Extra): (done: number, total: number) => void {
  const token = extra._meta?.progressToken;
  if (token === undefined) return () => undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    extra
      .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: done, total } })
      .catch(() => undefined); // a client that went away does not fail the work
  };
}

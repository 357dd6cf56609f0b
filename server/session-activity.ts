import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CancelledNotificationSchema,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * When an HTTP session last did anything, for --session-idle-timeout. A
 * session is idle when none of its calls is running and no message went
 * either way, and no HTTP request came, for the timeout. An open GET stream
 * (Streamable HTTP's or legacy SSE's) does not count by being open: only the
 * messages on it do, so a client that left one open and went away still has
 * its session closed.
 */
export class SessionActivity {
  #lastActive = Date.now();
  /** JSON-RPC ids of the client's requests that have no answer yet. */
  readonly #running = new Set<RequestId>();

  touch(): void {
    this.#lastActive = Date.now();
  }

  /** How long the session has been idle; 0 while one of its calls runs. */
  idleMs(now = Date.now()): number {
    return this.#running.size > 0 ? 0 : now - this.#lastActive;
  }

  /**
   * Watches the messages through `transport`. Call it before
   * server.connect(transport): the SDK's Protocol keeps the onmessage set here
   * and calls it before its own.
   */
  watch(transport: Transport): void {
    transport.onmessage = (message) => {
      this.touch();
      if (isJSONRPCRequest(message)) this.#running.add(message.id);
      // A cancelled call gets no answer: it must not keep the session busy for ever.
      if (isJSONRPCNotification(message)) {
        const cancelled = CancelledNotificationSchema.safeParse(message);
        if (cancelled.success && cancelled.data.params.requestId !== undefined) this.#running.delete(cancelled.data.params.requestId);
      }
    };
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      this.touch();
      if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
        if (message.id !== undefined) this.#running.delete(message.id);
      }
      return send(message, options);
    };
  }
}

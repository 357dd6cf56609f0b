import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { readLine, type JsonRpcErrorReply } from './jsonrpc-line.ts';

/**
 * The MCP transport over stdio: whole lines in (from server/line-splitter.ts),
 * one JSON-RPC message per line out. It stands in for the SDK's
 * StdioServerTransport, which drops a line it cannot read and only reports it
 * through onerror, so the client waits on that request until its own timeout.
 * Here every line is read once (server/jsonrpc-line.ts): a message goes to the
 * server, a bad line is answered with a JSON-RPC error on the same stream.
 * Reading each line once matters: parsing a 60 MiB ingest twice costs half a second.
 */
export class LineTransport implements Transport {
  onclose?: Transport['onclose'];
  onerror?: Transport['onerror'];
  onmessage?: Transport['onmessage'];
  readonly #lines: Readable;
  readonly #out: Writable;
  readonly #onRefused: (why: string) => void;
  #closed = false;

  constructor(lines: Readable, out: Writable, onRefused: (why: string) => void) {
    this.#lines = lines;
    this.#out = out;
    this.#onRefused = onRefused;
  }

  async start(): Promise<void> {
    this.#lines.on('data', this.#onLine);
    this.#lines.on('error', this.#onError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.#write(message);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#lines.off('data', this.#onLine);
    this.#lines.off('error', this.#onError);
    this.onclose?.();
  }

  readonly #onLine = (line: Buffer): void => {
    const reading = readLine(line);
    if (reading.kind === 'blank') return;
    if (reading.kind === 'refused') {
      this.#onRefused(reading.why);
      if (reading.reply) void this.#write(reading.reply);
      return;
    }
    try {
      this.onmessage?.(reading.message);
    } catch (err) {
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  };

  readonly #onError = (err: Error): void => this.onerror?.(err);

  /** Resolves once the line is written or queued behind a full pipe has drained, as the SDK's transport does. */
  #write(message: JSONRPCMessage | JsonRpcErrorReply): Promise<void> {
    return new Promise((resolve) => {
      if (this.#out.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.#out.once('drain', () => resolve());
    });
  }
}

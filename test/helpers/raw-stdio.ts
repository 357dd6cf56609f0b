/**
 * The compiled server (`node dist/server/main.js`) driven with raw bytes on
 * stdin, for what an SDK client cannot send: malformed JSON-RPC, keys named
 * `__proto__`, params nested 100k deep, requests over the size limit. Every
 * stdout line is kept, parsed as JSON, in order.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { PACKAGE_ROOT } from './mcp.ts';

/** A JSON-RPC message as the server writes it, loosely typed so tests can look at any field. */
export interface RawMessage {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  result?: { isError?: boolean; content?: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> } & Record<string, unknown>;
  error?: { code: number; message: string };
}

/** A tool result reduced to what the tests compare. */
export interface ToolOutcome {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
}

const MAIN = join(PACKAGE_ROOT, 'dist/server/main.js');

export class RawStdioServer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every line the server wrote to stdout, parsed, in order. */
  readonly messages: RawMessage[] = [];
  stderr = '';
  #pending = '';
  readonly #decoder = new StringDecoder('utf8');
  readonly #waiters = new Set<() => void>();
  #exited = false;

  private constructor(root: string, write: boolean) {
    this.child = spawn(process.execPath, [MAIN, ...(write ? ['--write'] : []), '--root', root], { cwd: PACKAGE_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => {
      this.#pending += this.#decoder.write(d);
      for (let nl = this.#pending.indexOf('\n'); nl !== -1; nl = this.#pending.indexOf('\n')) {
        const line = this.#pending.slice(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        // A line that is not JSON is kept as a marker, so a test sees it rather than hangs.
        let message: RawMessage;
        try {
          message = JSON.parse(line) as RawMessage;
        } catch {
          message = { method: `<not JSON: ${line.slice(0, 100)}>` };
        }
        this.messages.push(message);
      }
      for (const wake of this.#waiters) wake();
    });
    this.child.stdin.on('error', () => undefined); // the server may be gone
    this.child.on('exit', () => {
      this.#exited = true;
      for (const wake of this.#waiters) wake();
    });
  }

  /** Spawns the server and completes the MCP handshake. */
  static async start(root: string, o: { write?: boolean } = {}): Promise<RawStdioServer> {
    const server = new RawStdioServer(root, o.write === true);
    server.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await server.response('init');
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return server;
  }

  /** Writes `text` and a newline, as one line of stdin. */
  writeLine(text: string): void {
    this.child.stdin.write(`${text}\n`);
  }

  send(message: unknown): void {
    this.writeLine(JSON.stringify(message));
  }

  /** A tools/call whose arguments are given as JSON text, written exactly as given. */
  async callJson(id: number | string, tool: string, argumentsJson: string, timeoutMs?: number): Promise<ToolOutcome> {
    this.writeLine(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":${argumentsJson}}}`);
    const reply = await this.response(id, timeoutMs);
    const result = reply.result;
    if (!result) throw new Error(`${tool}: a protocol error instead of a tool result: ${JSON.stringify(reply.error)}`);
    const text = (result.content ?? []).map((c) => c.text ?? '').join('\n');
    return { isError: result.isError === true, text, structured: result.structuredContent };
  }

  call(id: number | string, tool: string, args: Record<string, unknown>, timeoutMs?: number): Promise<ToolOutcome> {
    return this.callJson(id, tool, JSON.stringify(args), timeoutMs);
  }

  /** Every response (result or error) carrying `id`, so far. */
  responses(id: unknown): RawMessage[] {
    return this.messages.filter((m) => ('result' in m || 'error' in m) && m.id === id);
  }

  /** The first response carrying `id`; fails after `timeoutMs` or when the server exits. */
  response(id: unknown, timeoutMs = 120_000): Promise<RawMessage> {
    return this.next((m) => ('result' in m || 'error' in m) && m.id === id, 0, timeoutMs, `a response with id ${JSON.stringify(id)}`);
  }

  /** The first message from index `from` on that satisfies `pred`. */
  next(pred: (m: RawMessage) => boolean, from: number, timeoutMs: number, what: string): Promise<RawMessage> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.messages.slice(from).find(pred);
        if (found) done(() => resolve(found));
        else if (this.#exited) done(() => reject(new Error(`the server exited before ${what}; stderr: ${this.stderr.slice(-2000)}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Closes stdin (the server shuts down by itself) and waits for the exit. */
  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}

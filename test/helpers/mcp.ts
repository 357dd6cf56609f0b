/**
 * Helpers for the MCP end-to-end tests: a real SDK Client driving the real
 * server process (`npx rvf-mcp-server`, cwd = the package root), result
 * checks, process lookups and a float64 brute-force search to compare with.
 */
import assert from 'node:assert/strict';
import { StringDecoder } from 'node:string_decoder';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  JSONRPCMessageSchema,
  LoggingMessageNotificationSchema,
  type CallToolResult,
  type JSONRPCMessage,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { rng } from './random.ts';
import { distance } from './assertions.ts';

export const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The query-language tools: listed in both modes, writing only under --write. */
export const QUERY_TOOLS = ['rvlite_cypher', 'rvlite_sparql', 'rvlite_sql'];
export const READ_TOOLS = ['rvf_close_store', 'rvf_list_stores', 'rvf_open_store', 'rvf_query', 'rvf_recall', 'rvf_segments', 'rvf_status', ...QUERY_TOOLS];
export const WRITE_TOOLS = ['rvf_compact', 'rvf_create_store', 'rvf_delete', 'rvf_delete_filter', 'rvf_derive', 'rvf_export', 'rvf_ingest', 'rvf_rebuild', 'rvf_remember'];

export type LogParams = LoggingMessageNotification['params'];

export interface ServerOptions {
  write?: boolean;
  /** Extra flags after --root. */
  args?: string[];
  /** Client name, to tell servers apart in failure messages. */
  name?: string;
}

function serverArgs(root: string, o: ServerOptions): string[] {
  return ['rvf-mcp-server', ...(o.write ? ['--write'] : []), '--root', root, ...(o.args ?? [])];
}

/** A server process started through `npx rvf-mcp-server` with a connected SDK Client. */
export interface McpProcess {
  client: Client;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** MCP logging notifications received so far. */
  logs: LogParams[];
  /** Pid of the process the client spawned (npx). */
  launcherPid: number;
  /** Pid of the node process that runs the server (a descendant of npx). */
  serverPid(): number;
  close(): Promise<void>;
}

function attach(client: Client, logs: LogParams[]): void {
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
}

/** Starts `npx rvf-mcp-server [--write] --root <root>` over stdio with the SDK's StdioClientTransport. */
export async function startServer(root: string, o: ServerOptions = {}): Promise<McpProcess> {
  const transport = new StdioClientTransport({
    command: 'npx',
    args: serverArgs(root, o),
    cwd: PACKAGE_ROOT,
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let stderr = '';
  // Always drain stderr: a full pipe would block the server.
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: o.name ?? 'rvf-test', version: '1.0.0' });
  const logs: LogParams[] = [];
  attach(client, logs);
  await client.connect(transport);
  const launcherPid = transport.pid as number;
  let cachedPid: number | undefined;
  return {
    client,
    stderr: () => stderr,
    logs,
    launcherPid,
    serverPid: () => (cachedPid ??= nodeDescendant(launcherPid)),
    close: () => client.close(),
  };
}

/** Starts several servers at once (spawning npx costs about half a second each). */
export function startServers(specs: { root: string; o?: ServerOptions }[]): Promise<McpProcess[]> {
  return Promise.all(specs.map((s) => startServer(s.root, s.o)));
}

// ------------------------------------------------------------ processes

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` (children, grandchildren, ...). */
export function descendants(pid: number): number[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const parent = new Map(all.map((p) => [p, parentOf(p)]));
  const out: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const p = frontier.pop() as number;
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        frontier.push(child);
      }
    }
  }
  return out;
}

/** The node process under npx (npx -> sh -> node): the descendant whose executable is node. */
export function nodeDescendant(pid: number): number {
  const node = realpathSync(process.execPath);
  const found = descendants(pid).filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/exe`) === node;
    } catch {
      return false;
    }
  });
  assert.equal(found.length, 1, `expected one node process under npx pid ${pid}, found ${found.join(', ') || 'none'}`);
  return found[0] as number;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// ------------------------------------------------------------ tool calls

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function textOf(r: CallToolResult): string {
  return r.content
    .filter((c): c is Extract<typeof c, { type: 'text' }> => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

export async function callRaw(client: Client, name: string, args: Record<string, unknown>, options?: RequestOptions): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
}

/**
 * Calls a tool that must succeed; checks that the result carries
 * structuredContent and exactly one text block whose JSON equals it.
 */
export async function callOk<T = Json>(client: Client, name: string, args: Record<string, unknown>, options?: RequestOptions): Promise<T> {
  const r = await callRaw(client, name, args, options);
  assert.notEqual(r.isError, true, `${name}(${short(args)}) failed: ${textOf(r)}`);
  assert.ok(r.structuredContent && typeof r.structuredContent === 'object', `${name}: no structuredContent`);
  const texts = r.content.filter((c) => c.type === 'text');
  assert.equal(texts.length, 1, `${name}: expected one text block, got ${texts.length}`);
  assert.deepEqual(JSON.parse((texts[0] as { text: string }).text), r.structuredContent, `${name}: the text block's JSON differs from structuredContent`);
  return r.structuredContent as T;
}

/** Calls a tool that must fail with an isError result; returns its text. */
export async function callErr(client: Client, name: string, args: Record<string, unknown>, options?: RequestOptions): Promise<string> {
  const r = await callRaw(client, name, args, options);
  const text = textOf(r);
  assert.equal(r.isError, true, `${name}(${short(args)}) should have failed, got ${text.slice(0, 300)}`);
  assert.ok(text.length > 0, `${name}: isError without a message`);
  return text;
}

function short(args: Record<string, unknown>): string {
  const s = JSON.stringify(args, (_k, v: unknown) => (Array.isArray(v) && v.length > 8 ? `[${v.length} items]` : v));
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

/**
 * One actionable sentence: one line, not a stack trace, not a dump of the
 * arguments, and naming what to do (contains one of `hints`).
 */
export function assertOneSentence(text: string, hints: (string | RegExp)[], label: string): void {
  assert.ok(!text.includes('\n'), `${label}: message spans several lines: ${text}`);
  assert.ok(text.length <= 400, `${label}: message is ${text.length} characters long: ${text.slice(0, 400)}...`);
  assert.ok(!/\bat .*\.(ts|js):\d+/.test(text), `${label}: message holds a stack trace: ${text}`);
  for (const h of hints) {
    assert.ok(typeof h === 'string' ? text.includes(h) : h.test(text), `${label}: message ${JSON.stringify(text)} lacks ${String(h)}`);
  }
}

// ------------------------------------------------------------ brute force

export type Metric = 'cosine' | 'l2' | 'dotproduct';
export type Meta = Record<string, unknown> | null;
export interface Row {
  vector: number[];
  metadata: Meta;
}
export interface Result {
  id: number | string;
  distance: number;
  metadata: Meta;
}


/** Exact top k over `rows` (keyed by decimal id), nearest first. */
export function bruteForce(rows: Map<string, Row>, query: readonly number[], k: number, metric: Metric, keep: (m: Meta) => boolean = () => true): { id: string; distance: number; metadata: Meta }[] {
  const all: { id: string; distance: number; metadata: Meta }[] = [];
  for (const [id, row] of rows) if (keep(row.metadata)) all.push({ id, distance: distance(metric, row.vector, query), metadata: row.metadata });
  all.sort((x, y) => x.distance - y.distance);
  return all.slice(0, k);
}

/** An id as results carry it: a number when <= 2^53-1, else a decimal string. */
export function wireId(id: string): number | string {
  return BigInt(id) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id;
}

/**
 * Checks a server answer against brute force: same length, every id's
 * distance is its true distance, distances rank by rank equal the exact ones
 * (so ties at the boundary may swap), ids in wire form, metadata as stored.
 */
export function assertTopK(actual: Result[], rows: Map<string, Row>, query: readonly number[], k: number, metric: Metric, keep?: (m: Meta) => boolean, label = 'query'): void {
  const expected = bruteForce(rows, query, k, metric, keep);
  assert.equal(actual.length, expected.length, `${label}: ${actual.length} results, expected ${expected.length}`);
  const tol = (d: number): number => 1e-4 * Math.max(1, Math.abs(d));
  const seen = new Set<string>();
  actual.forEach((r, i) => {
    const key = String(r.id);
    assert.ok(!seen.has(key), `${label}: id ${key} twice`);
    seen.add(key);
    assert.deepEqual(r.id, wireId(key), `${label}: id ${key} must be ${typeof wireId(key)} on the wire`);
    const row = rows.get(key);
    assert.ok(row, `${label}: result id ${key} is not a live id`);
    assert.ok(keep === undefined || keep(row.metadata), `${label}: id ${key} does not match the filter`);
    const truth = distance(metric, row.vector, query);
    assert.ok(Math.abs(r.distance - truth) <= tol(truth), `${label}: id ${key} distance ${r.distance}, exact ${truth}`);
    const exp = expected[i] as { distance: number };
    assert.ok(Math.abs(r.distance - exp.distance) <= tol(exp.distance), `${label}: rank ${i} distance ${r.distance}, exact ${exp.distance} (id ${key})`);
    assert.deepEqual(r.metadata, row.metadata, `${label}: metadata of id ${key}`);
  });
}

/** Seeded vectors with 4 decimals, so the JSON stays small and exact. */
export function vectors(count: number, dim: number, seed: number): number[][] {
  const next = rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: dim }, () => Math.round((next() * 2 - 1) * 1e4) / 1e4));
}

// ------------------------------------------------------------ a transport that shows the raw stdout

/**
 * A client transport over a child process spawned here with child_process,
 * so a test sees every byte the server writes to stdout (each line must be a
 * JSON-RPC message), its stderr, and its exit code. The SDK Client runs on it
 * unchanged.
 */
export class RecordingStdioTransport implements Transport {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdoutLines: string[] = [];
  /** The JSON-RPC messages of stdout, in order. */
  readonly messages: JSONRPCMessage[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #pending = '';
  /** Decodes across chunks: a multi-byte character may be split between two. */
  readonly #decoder = new StringDecoder('utf8');

  constructor(root: string, o: ServerOptions = {}) {
    this.child = spawn('npx', serverArgs(root, o), { cwd: PACKAGE_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => {
      this.#pending += this.#decoder.write(d);
      let nl: number;
      while ((nl = this.#pending.indexOf('\n')) >= 0) {
        const line = this.#pending.slice(0, nl).replace(/\r$/, '');
        this.#pending = this.#pending.slice(nl + 1);
        this.stdoutLines.push(line);
        let msg: JSONRPCMessage;
        try {
          msg = JSONRPCMessageSchema.parse(JSON.parse(line));
        } catch (err) {
          this.onerror?.(err as Error);
          continue;
        }
        this.messages.push(msg);
        this.onmessage?.(msg);
      }
    });
    this.child.stdin.on('error', () => undefined); // the server may be gone
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.onclose?.();
        resolve({ code, signal });
      }),
    );
  }

  /**
   * The progress notifications the server wrote for the last answered request
   * (its id is the progress token the SDK client sends), and whether all of them
   * came before the response.
   */
  progressOfLastResponse(): { id: string | number; progress: { progress: number; total?: number }[]; beforeResponse: boolean } {
    const at = this.messages.findLastIndex((m) => 'id' in m && ('result' in m || 'error' in m));
    assert.ok(at >= 0, 'no response yet');
    const id = (this.messages[at] as { id: string | number }).id;
    const progress: { progress: number; total?: number }[] = [];
    let beforeResponse = true;
    this.messages.forEach((m, i) => {
      if (!('method' in m) || m.method !== 'notifications/progress') return;
      const params = m.params as { progressToken: string | number; progress: number; total?: number };
      if (params.progressToken !== id) return;
      progress.push({ progress: params.progress, ...(params.total === undefined ? {} : { total: params.total }) });
      if (i > at) beforeResponse = false;
    });
    return { id, progress, beforeResponse };
  }

  /** Bytes after the last newline (must be empty once the process is gone). */
  get unterminated(): string {
    return this.#pending;
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Closes stdin only: what a client does when it goes away. */
  endStdin(): void {
    this.child.stdin.end();
  }

  async close(): Promise<void> {
    this.endStdin();
    await this.exited;
  }
}

/** An SDK Client on a RecordingStdioTransport. */
export async function startRecorded(root: string, o: ServerOptions = {}): Promise<{ client: Client; transport: RecordingStdioTransport; logs: LogParams[] }> {
  const transport = new RecordingStdioTransport(root, o);
  const client = new Client({ name: o.name ?? 'rvf-test-recorded', version: '1.0.0' });
  const logs: LogParams[] = [];
  attach(client, logs);
  await client.connect(transport);
  return { client, transport, logs };
}

/** Waits until `pred` holds, polling every 20 ms. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { distance };

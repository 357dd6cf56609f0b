import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { RvfDatabase } from '../store/index.ts';
import { BATCH, DIMENSIONS, percentile, queries, vectorsFor } from './data.ts';

/**
 * The MCP measurements, one per process like worker.ts (kept apart from it so
 * the SDK client does not weigh on that file's memory figures). A real SDK
 * Client drives the compiled server, `node dist/server/main.js`, over stdio.
 * Prints one JSON line. Usage: mcp-worker.js <task> <root> <store> <n> [in-flight calls, ingest only]
 *
 * BENCH_SERVER_NODE_ARGS (space-separated) goes to the server's node, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes.
 */

const [task, root, store, nArg, inFlightText] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const n = Number(nArg);
/** ingest only: how many rvf_ingest calls the client keeps outstanding (1: each waits for the one before) */
const inFlightArg = Number(inFlightText ?? 1);
const print = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');
// The server as shipped: dist/server/main.js beside this file's dist/bench/.
const serverMain = fileURLToPath(new URL('../server/main.js', import.meta.url));
const projectDir = fileURLToPath(new URL('../..', import.meta.url));

async function connect(write: boolean): Promise<{ client: Client; stderr: () => string }> {
  const nodeArgs = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...nodeArgs, serverMain, '--root', root, ...(write ? ['--write'] : [])],
    cwd: projectDir,
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let log = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  });
  const client = new Client({ name: 'rvf-bench', version: '0' });
  await client.connect(transport);
  // As a real client does: this also caches the output schemas that callTool checks results against.
  await client.listTools();
  return { client, stderr: () => log };
}

async function call(c: { client: Client; stderr: () => string }, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await c.client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 })) as CallToolResult;
  if (result.isError) {
    const text = result.content.map((b) => (b.type === 'text' ? b.text : '')).join(' ');
    throw new Error(`${name} failed: ${text}\nserver stderr:\n${c.stderr()}`);
  }
  return result;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return { p50: percentile(s, 50), p95: percentile(s, 95) };
};

/**
 * rvf_query over stdio beside the same query on RvfDatabase opened read-only
 * in this process, alternating query by query (back-to-back phases drift on
 * these VMs), k = 10, 100 queries after 5 warm-ups of each.
 */
async function mcpQuery(): Promise<void> {
  const local = await RvfDatabase.openReadonly(join(root, `${store}.rvf`));
  const c = await connect(false);
  const qs = queries(100);
  const warm = qs.slice(0, 5);
  const times = { mcp: [] as number[], local: [] as number[] };
  let mismatches = 0;
  for (const [i, q] of [...warm, ...qs].entries()) {
    const vector = Array.from(q);
    let t = performance.now();
    const a = await local.query(q, 10);
    const localMs = performance.now() - t;
    t = performance.now();
    const r = await call(c, 'rvf_query', { store, vector, k: 10 });
    const mcpMs = performance.now() - t;
    if (i < warm.length) continue;
    times.local.push(localMs);
    times.mcp.push(mcpMs);
    const b = (r.structuredContent as { results: { id: number | string }[] }).results;
    if (a.map((x) => String(x.id)).join() !== b.map((x) => String(x.id)).join()) mismatches++;
  }
  // The fixed cost of one round trip through the client, the transport and the server, without a search.
  const ping: number[] = [];
  for (let i = 0; i < 105; i++) {
    const t = performance.now();
    await c.client.ping();
    if (i >= 5) ping.push(performance.now() - t);
  }
  print({ mcp: stats(times.mcp), local: stats(times.local), ping: stats(ping), mismatches });
  await c.client.close();
  await local.close();
}

/**
 * rvf_ingest over stdio into a fresh store, batches of 1000, until n.
 * `prepare` builds a batch's arguments untimed and returns the timed part:
 * the client's own encoding work, if any, then the call goes out.
 *
 * `inFlight` 1 is an agent's way: each call waits for the one before.
 * Above 1 is a loader's way: the client keeps that many calls outstanding
 * (the SDK client multiplexes them over the one stdio pipe), so its own
 * encoding of the next batch overlaps the server's work on the last, and the
 * server's group commit (store/database.ts) may commit them together. Then
 * the clock is wall time from the first call to the last answer.
 */
async function ingestBatches(prepare: (start: number, flat: Float32Array) => () => Record<string, unknown>, inFlight: number): Promise<void> {
  const c = await connect(true);
  // index 'none' as in worker.ts's ours-ingest, the row these are compared with:
  // with 'auto' a background index build would share the machine from 1000 vectors on.
  await call(c, 'rvf_create_store', { store, dimensions: DIMENSIONS, metric: 'l2', index: 'none' });
  let spent = 0;
  let requestBytes = 0;
  const send = async (start: number, timedArgs: () => Record<string, unknown>): Promise<void> => {
    const args = { store, ...timedArgs() };
    // measured outside the clock: it is a second encoding the call does not make
    if (start === 0) {
      const t = performance.now();
      requestBytes = JSON.stringify(args).length;
      spent -= performance.now() - t;
    }
    const r = await call(c, 'rvf_ingest', args);
    const accepted = (r.structuredContent as { accepted: number }).accepted;
    if (accepted !== BATCH) throw new Error(`rvf_ingest accepted ${accepted} of ${BATCH}`);
  };
  if (inFlight <= 1) {
    for (let start = 0; start < n; start += BATCH) {
      const timedArgs = prepare(start, vectorsFor(start, BATCH));
      const t = performance.now();
      await send(start, timedArgs);
      spent += performance.now() - t;
    }
  } else {
    // every batch's vectors made before the clock starts, as the loop above makes each before its call
    const batches: (() => Record<string, unknown>)[] = [];
    for (let start = 0; start < n; start += BATCH) batches.push(prepare(start, vectorsFor(start, BATCH)));
    const t = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < batches.length) {
        const k = next++;
        await send(k * BATCH, batches[k] as () => Record<string, unknown>);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    spent += performance.now() - t;
  }
  const status = await call(c, 'rvf_status', { store });
  const total = (status.structuredContent as { totalVectors: number }).totalVectors;
  if (total !== n) throw new Error(`the store holds ${total} vectors after ingesting ${n}`);
  print({ vectorsPerSecond: n / (spent / 1000), msPerBatch: spent / (n / BATCH), requestBytes, inFlight });
  await c.client.close();
}

/**
 * Entries with vectors as JSON arrays. Only the calls are timed; building the
 * arrays (as an agent would hold them) is not, as in worker.ts's ours-ingest.
 */
function mcpIngest(): Promise<void> {
  return ingestBatches((start, flat) => {
    const entries = Array.from({ length: BATCH }, (_, i) => ({ id: start + i, vector: Array.from(flat.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS)) }));
    return () => ({ entries });
  }, inFlightArg);
}

/**
 * The batch as ids + vectors_b64 (base64 of little-endian float32). The
 * encoding is timed: it is the client's share, as JSON.stringify is in mcpIngest.
 */
function mcpIngestBase64(): Promise<void> {
  return ingestBatches((start, flat) => {
    const ids = Array.from({ length: BATCH }, (_, i) => start + i);
    return () => ({ ids, vectors_b64: Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength).toString('base64') });
  }, inFlightArg);
}

const tasks: Record<string, () => Promise<void>> = { 'mcp-query': mcpQuery, 'mcp-ingest': mcpIngest, 'mcp-ingest-b64': mcpIngestBase64 };
const run = tasks[task];
if (!run) throw new Error(`unknown task ${task}`);
await run();

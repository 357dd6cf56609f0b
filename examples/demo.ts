import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { packageRoot } from '../server/version.ts';

/**
 * `npm run demo`: the acceptance test, as an MCP client sees it. Starts the
 * server over stdio with --write on a fresh root, creates a 384-d store,
 * ingests examples/vectors.json, queries the top 10, restarts the server and
 * checks that the same query gives the same results.
 */

const root = packageRoot();
const storeRoot = process.env['RVF_DEMO_ROOT'] ?? mkdtempSync(join(tmpdir(), 'rvf-demo-'));
const entries = JSON.parse(readFileSync(join(root, 'examples', 'vectors.json'), 'utf8')) as { id: number; vector: number[]; metadata: Record<string, unknown> }[];

type Result = { id: number | string; distance: number; metadata: Record<string, unknown> | null };

async function withServer<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(root, 'dist', 'server', 'main.js'), '--write', '--root', storeRoot],
    stderr: 'ignore',
  });
  const client = new Client({ name: 'rvf-demo', version: '1.0.0' });
  await client.connect(transport);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
  return r.structuredContent as Record<string, unknown>;
}

const query = entries[0]?.vector as number[];
const first = await withServer(async (client) => {
  const tools = await client.listTools();
  console.log(`server offers ${tools.tools.length} tools: ${tools.tools.map((t) => t.name).join(', ')}`);
  const created = await call(client, 'rvf_create_store', { store: 'demo', dimensions: 384, metric: 'cosine' });
  console.log(`created store demo (${created['dimensions']}-d, ${created['metric']})`);
  const ingested = await call(client, 'rvf_ingest', { store: 'demo', entries });
  console.log(`ingested ${ingested['accepted']} vectors, epoch ${ingested['epoch']}`);
  const { results } = (await call(client, 'rvf_query', { store: 'demo', vector: query, k: 10 })) as { results: Result[] };
  console.table(results.map((r) => ({ id: r.id, distance: r.distance.toFixed(5), topic: r.metadata?.['topic'], note: r.metadata?.['note'] })));
  const filtered = (await call(client, 'rvf_query', { store: 'demo', vector: query, k: 3, filter: { topic: 'rust', year: { $gte: 2023 } } })) as { results: Result[] };
  console.log(`filtered to rust notes from 2023 on: ${filtered.results.map((r) => `${r.id} (${r.metadata?.['note']})`).join(', ')}`);
  return results;
});

console.log('\nrestarting the server...');
const second = await withServer(async (client) => ((await call(client, 'rvf_query', { store: 'demo', vector: query, k: 10 })) as { results: Result[] }).results);
const same = JSON.stringify(first) === JSON.stringify(second);
console.log(same ? 'after the restart the same query gives the same 10 results: the store is durable.' : 'MISMATCH after restart');
if (!process.env['RVF_DEMO_ROOT']) rmSync(storeRoot, { recursive: true, force: true });
process.exitCode = same ? 0 : 1;

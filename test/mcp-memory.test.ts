/**
 * The text-memory tools over MCP: a real SDK Client talks to an McpServer with
 * registerMemoryTools (and the store tools, for rvf_status) through the SDK's
 * InMemoryTransport, on a real StoreRegistry in a temp root. The last test runs
 * the built server process (`npx rvf-mcp-server`) and is skipped until
 * server/create-server.ts registers the memory tools.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { EmbedderConfig } from '../schemas/embedder.ts';
import { StoreRegistry } from '../store/registry.ts';
import type { Logger, ToolContext } from '../tools/context.ts';
import { registerMemoryTools } from '../tools/memory-tools.ts';
import { registerStoreTools } from '../tools/store-tools.ts';
import { assertOneSentence, callErr, callOk, startServer } from './helpers/mcp.ts';
import { tempDir } from './helpers/temp.ts';

interface Connected {
  client: Client;
  registry: StoreRegistry;
  errors: string[];
  close(): Promise<void>;
}

async function connect(root: string, write: boolean, embedder: EmbedderConfig = { kind: 'lexical' }): Promise<Connected> {
  const errors: string[] = [];
  const log: Logger = { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
  const registry = new StoreRegistry({ root, write, onWarning: () => undefined });
  const ctx: ToolContext = { registry, log, embedder };
  const server = new McpServer({ name: 'memory-test', version: '0.0.0' }, { capabilities: { tools: {} } });
  registerStoreTools(server, ctx);
  registerMemoryTools(server, ctx);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'memory-test-client', version: '0.0.0' });
  await client.connect(clientSide);
  return {
    client,
    registry,
    errors,
    close: async () => {
      await client.close();
      await registry.closeAll();
    },
  };
}

interface Recalled {
  store: string;
  embedder: { name: string; dimensions: number };
  results: { id: number | string; distance: number; text: string; metadata: Record<string, unknown> | null }[];
}

test('rvf_remember creates the store for the server embedder; rvf_recall finds the text; same text replaces', async () => {
  const root = tempDir();
  const s = await connect(root, true);
  const tools = (await s.client.listTools()).tools;
  const remember = tools.find((t) => t.name === 'rvf_remember');
  const recall = tools.find((t) => t.name === 'rvf_recall');
  assert.ok(remember && recall, 'both tools are listed on a writing server');
  assert.equal(recall.annotations?.readOnlyHint, true);
  assert.equal(remember.annotations?.readOnlyHint, false);
  assert.ok(remember.title && recall.title && remember.outputSchema && recall.outputSchema);

  const first = await callOk(s.client, 'rvf_remember', { store: 'notes', text: 'The api listens on port 8080.', metadata: { topic: 'network' } });
  assert.equal(first['created'], true);
  assert.deepEqual(first['embedder'], { name: 'lexical-v1', dimensions: 384 });
  const status = await callOk(s.client, 'rvf_status', { store: 'notes' });
  assert.deepEqual(status['embedder'], { name: 'lexical-v1', dimensions: 384 });
  assert.equal(status['metric'], 'cosine');

  const many = await callOk(s.client, 'rvf_remember', {
    store: 'notes',
    entries: [
      { text: 'Database migrations run with npm run migrate.', metadata: { topic: 'db' } },
      { text: 'Nightly pg_dump backups at 02:00 UTC.', metadata: { topic: 'db' } },
      { text: 'The user prefers concise replies.' },
    ],
  });
  assert.equal(many['created'], false);
  assert.equal((many['ids'] as unknown[]).length, 3);

  const found = await callOk<Recalled>(s.client, 'rvf_recall', { store: 'notes', text: 'which port does the api listen on', k: 2 });
  assert.equal(found.results[0]?.text, 'The api listens on port 8080.');
  assert.deepEqual(found.results[0]?.metadata, { topic: 'network' });
  assert.equal(found.results[0]?.id, (first['ids'] as unknown[])[0]);
  assert.equal(found.results.length, 2);
  const defaults = await callOk<Recalled>(s.client, 'rvf_recall', { store: 'notes', text: 'anything' });
  assert.equal(defaults.results.length, 4, 'k defaults to 5, and the store holds 4');
  const filtered = await callOk<Recalled>(s.client, 'rvf_recall', { store: 'notes', text: 'api port', filter: { topic: 'db' } });
  assert.deepEqual(filtered.results.map((r) => r.metadata?.['topic']), ['db', 'db']);

  const again = await callOk(s.client, 'rvf_remember', { store: 'notes', text: 'The api listens on port 8080.', metadata: { topic: 'net' } });
  assert.deepEqual(again['ids'], first['ids']);
  assert.equal(again['replaced'], 1);
  assert.equal((await callOk(s.client, 'rvf_status', { store: 'notes' }))['totalVectors'], 4);
  await s.close();

  // A read-only server on the same root: recall only.
  const r = await connect(root, false);
  const names = (await r.client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('rvf_recall') && !names.includes('rvf_remember'), names.join(', '));
  const ro = await callOk<Recalled>(r.client, 'rvf_recall', { store: 'notes', text: 'api port 8080', k: 1 });
  assert.deepEqual(ro.results[0]?.metadata, { topic: 'net' });
  await r.close();
});

test('memory tool errors are one sentence with a code; refused input creates no store', async () => {
  const root = tempDir();
  const s = await connect(root, true);
  const both = await callErr(s.client, 'rvf_remember', { store: 'a', text: 'x', entries: [{ text: 'y' }] });
  assertOneSentence(both, ['EINVAL', 'either text'], 'text and entries');
  assertOneSentence(await callErr(s.client, 'rvf_remember', { store: 'a' }), ['EINVAL', 'pass the text'], 'no text');
  assertOneSentence(await callErr(s.client, 'rvf_remember', { store: 'a', text: 'x', metadata: { text: 'y' } }), ['EINVAL', '"text"'], 'reserved key');
  assertOneSentence(await callErr(s.client, 'rvf_remember', { store: 'a', text: 'x'.repeat(40_000) }), ['ELIMIT', '32768-byte'], 'long text');
  assertOneSentence(await callErr(s.client, 'rvf_remember', { store: 'a', text: '   ' }), ['EINVAL', 'non-empty'], 'blank text');
  assert.equal(existsSync(join(root, 'a.rvf')), false, 'no store was created by refused input');
  assertOneSentence(await callErr(s.client, 'rvf_recall', { store: 'nothere', text: 'x' }), ['ENOENT'], 'unknown store');

  // A store of plain vectors, and one made for another embedder.
  await s.registry.create('plain', { dimensions: 384 });
  await s.registry.create('other', { dimensions: 768, embedder: { name: 'openai:nomic-embed-text', dimensions: 768 } });
  const plainBytes = readFileSync(join(root, 'plain.rvf'));
  assertOneSentence(await callErr(s.client, 'rvf_remember', { store: 'plain', text: 'x' }), ['EINVAL', 'plain vectors'], 'plain store');
  const other = await callErr(s.client, 'rvf_recall', { store: 'other', text: 'x' });
  assertOneSentence(other, ['EINVAL', 'store other was made with embedder openai:nomic-embed-text (768-d); this server uses lexical-v1 (384-d)'], 'other embedder');
  assert.deepEqual(readFileSync(join(root, 'plain.rvf')), plainBytes);
  assert.deepEqual(s.errors, [], 'no internal errors');
  await s.close();
});

test('a remote embedder that is not running: EIO naming the URL, and no store is created', async () => {
  const probe = createHttpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/v1`;
  await new Promise((resolve) => probe.close(resolve));
  const root = tempDir();
  const s = await connect(root, true, { kind: 'openai', url, model: 'nomic-embed-text' });
  const text = await callErr(s.client, 'rvf_remember', { store: 'remote', text: 'hello' });
  assertOneSentence(text, ['EIO', url, 'ollama serve'], 'closed port');
  assert.equal(existsSync(join(root, 'remote.rvf')), false);
  await s.close();
});

test('the real server process lists and runs the memory tools (once create-server.ts registers them)', async (t) => {
  const root = tempDir();
  const server = await startServer(root, { write: true });
  try {
    const names = (await server.client.listTools()).tools.map((x) => x.name);
    if (!names.includes('rvf_remember')) {
      t.skip('server/create-server.ts does not call registerMemoryTools yet (or dist/ is not rebuilt)');
      return;
    }
    await callOk(server.client, 'rvf_remember', { store: 'notes', text: 'Deploys go through deploy.yml on every tag.' });
    const found = await callOk<Recalled>(server.client, 'rvf_recall', { store: 'notes', text: 'how do deploys work', k: 1 });
    assert.equal(found.results[0]?.text, 'Deploys go through deploy.yml on every tag.');
  } finally {
    await server.close();
  }
});

/**
 * A second, independent MCP client (issue 10, part 2): `@ai-sdk/mcp`, which
 * has its own JSON-RPC, transports and result parsing, none of it from
 * `@modelcontextprotocol/sdk`, so a bug shared by both sides of one library
 * cannot hide here. Over stdio (`npx rvf-mcp-server --write`) and over
 * Streamable HTTP (`--transport http`), it calls every tool the server lists
 * exactly once, plus error cases, and checks each result's `structuredContent`
 * against the `outputSchema` that this client received in tools/list (with
 * Ajv, a JSON Schema validator that is neither zod nor either MCP library).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createMCPClient, type MCPClient } from '@ai-sdk/mcp';
import { Experimental_StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { Ajv, type ValidateFunction } from 'ajv';
import { PACKAGE_ROOT } from './helpers/mcp.ts';
import { startHttpServer } from './helpers/mcp-http.ts';
import { tempDir } from './helpers/temp.ts';

interface Result {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

type Tools = Record<string, { execute: (args: Record<string, unknown>, options: { toolCallId: string; messages: [] }) => Promise<unknown> }>;

/** The client's view of the server: its tools, a validator per output schema, and the names not called yet. */
class Session {
  private readonly validators = new Map<string, ValidateFunction>();
  readonly uncalled: Set<string>;
  private calls = 0;

  private constructor(
    private readonly tools: Tools,
    outputSchemas: Map<string, Record<string, unknown>>,
  ) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const [name, schema] of outputSchemas) this.validators.set(name, ajv.compile(schema));
    this.uncalled = new Set(Object.keys(tools));
  }

  static async open(client: MCPClient): Promise<Session> {
    const listed = await client.listTools();
    const outputSchemas = new Map<string, Record<string, unknown>>();
    for (const tool of listed.tools) {
      assert.ok(tool.outputSchema, `${tool.name} lists no outputSchema`);
      outputSchemas.set(tool.name, tool.outputSchema as Record<string, unknown>);
    }
    return new Session((await client.tools()) as unknown as Tools, outputSchemas);
  }

  private async call(name: string, args: Record<string, unknown>): Promise<Result> {
    const tool = this.tools[name];
    assert.ok(tool, `the server does not list ${name}`);
    this.uncalled.delete(name);
    return (await tool.execute(args, { toolCallId: `call-${++this.calls}`, messages: [] })) as Result;
  }

  /** A call that must succeed with structured content valid against its listed output schema. */
  async ok<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
    const r = await this.call(name, args);
    assert.notEqual(r.isError, true, `${name} failed: ${textOf(r)}`);
    assert.ok(r.structuredContent, `${name} returned no structuredContent`);
    const validate = this.validators.get(name) as ValidateFunction;
    assert.ok(validate(r.structuredContent), `${name}: structuredContent does not match its outputSchema: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(JSON.parse(textOf(r)), r.structuredContent, `${name}: the text block is not the structured JSON`);
    return r.structuredContent as T;
  }

  /** A call that must fail as a tool error whose one sentence starts with `code`. */
  async fails(name: string, args: Record<string, unknown>, code: RegExp): Promise<string> {
    const r = await this.call(name, args);
    assert.equal(r.isError, true, `${name} should have failed: ${JSON.stringify(r.structuredContent ?? r.content)}`);
    assert.equal(r.structuredContent, undefined, `${name}: an error carries no structuredContent`);
    assert.match(textOf(r), code);
    return textOf(r);
  }
}

function textOf(r: Result): string {
  return r.content?.find((c) => c.type === 'text')?.text ?? '';
}

/** Every tool once, in an order where each has what it needs, then the error cases. */
async function driveEveryTool(s: Session): Promise<void> {
  const created = await s.ok<{ dimensions: number; metric: string }>('rvf_create_store', { store: 'notes', dimensions: 3, metric: null });
  assert.deepEqual([created.dimensions, created.metric], [3, 'cosine']);
  const entries = [
    { id: 1, vector: [1, 0, 0], metadata: { topic: 'rust', year: 2024 } },
    { id: 2, vector: [0, 1, 0], metadata: { topic: 'go', year: 2020 } },
    { id: '9007199254740993', vector: [0.9, 0.1, 0], metadata: null },
  ];
  assert.equal((await s.ok<{ accepted: number }>('rvf_ingest', { store: 'notes', entries })).accepted, 3);
  const hits = await s.ok<{ results: { id: number | string }[] }>('rvf_query', { store: 'notes', vector: [1, 0, 0], k: 3, filter: null });
  assert.deepEqual(hits.results.map((h) => h.id), [1, '9007199254740993', 2]);
  assert.equal((await s.ok<{ totalVectors: number }>('rvf_status', { store: 'notes' })).totalVectors, 3);
  assert.ok((await s.ok<{ segments: unknown[] }>('rvf_segments', { store: 'notes' })).segments.length > 0);
  assert.deepEqual((await s.ok<{ stores: { store: string }[] }>('rvf_list_stores', {})).stores.map((x) => x.store), ['notes']);
  assert.equal((await s.ok<{ deleted: number }>('rvf_delete', { store: 'notes', ids: ['9007199254740993'] })).deleted, 1);
  assert.equal((await s.ok<{ deleted: number }>('rvf_delete_filter', { store: 'notes', filter: { topic: 'go' } })).deleted, 1);
  assert.deepEqual((await s.ok<{ rows: unknown[][] }>('rvlite_sql', { store: 'notes', query: 'SELECT id FROM vectors', params: null })).rows, [[1]]);
  assert.equal((await s.ok<{ stats: Record<string, number> }>('rvlite_cypher', { store: 'notes', query: 'CREATE (:Doc {title: $t, vector_id: 1})', params: { t: 'a' } })).stats.nodesCreated, 1);
  assert.ok((await s.ok<{ epoch: number }>('rvlite_sparql', { store: 'notes', query: 'INSERT DATA { <urn:a> <urn:p> "x" }' })).epoch > 0);
  await s.ok('rvf_compact', { store: 'notes' });
  const rebuilt = await s.ok<{ vectors: number; nodes: number; quads: number }>('rvf_rebuild', { store: 'notes' });
  assert.deepEqual([rebuilt.vectors, rebuilt.nodes, rebuilt.quads], [1, 1, 1]);
  assert.equal((await s.ok<{ totalVectors: number }>('rvf_derive', { store: 'notes', child: 'notes-child' })).totalVectors, 1);
  assert.equal((await s.ok<{ totalVectors: number }>('rvf_export', { store: 'notes', target: 'notes-copy' })).totalVectors, 1);
  assert.equal((await s.ok<{ ids: unknown[] }>('rvf_remember', { store: 'memory', text: 'the build uses esbuild for the page', metadata: { kind: 'fact' }, entries: null })).ids.length, 1);
  const recalled = await s.ok<{ results: { text: string }[] }>('rvf_recall', { store: 'memory', text: 'which tool builds the page', k: null, filter: null });
  assert.equal(recalled.results[0]?.text, 'the build uses esbuild for the page');
  assert.deepEqual(await s.ok('rvf_close_store', { store: 'notes' }), { store: 'notes', closed: true });
  assert.equal((await s.ok<{ totalVectors: number }>('rvf_open_store', { store: 'notes' })).totalVectors, 1);
  assert.deepEqual([...s.uncalled], [], 'tools never called');

  // Errors: tool results with isError and one sentence that starts with the code.
  await s.fails('rvf_query', { store: 'notes', vector: [1, 0], k: 1, filter: null }, /^EDIM: .*the store has 3/);
  await s.fails('rvf_status', { store: 'note' }, /^ENOENT: .*near names: notes/);
  await s.fails('rvf_delete_filter', { store: 'notes', filter: {} }, /^EINVAL: .*rvf_delete/);
  await s.fails('rvlite_sql', { store: 'notes', query: 'SELEC 1', params: null }, /^EINVAL: /);
  // The arguments check: schema errors come back as tool errors too, and the server keeps serving.
  await s.fails('rvf_query', { store: 'notes', vector: [1, 0, 0], k: 0, filter: null }, /k must be an integer/);
  assert.equal((await s.ok<{ totalVectors: number }>('rvf_status', { store: 'notes' })).totalVectors, 1);
}

test('@ai-sdk/mcp over stdio (npx rvf-mcp-server --write): every tool once, results valid against their output schemas, and errors', async () => {
  const root = tempDir();
  const transport = new Experimental_StdioMCPTransport({
    command: 'npx',
    args: ['rvf-mcp-server', '--write', '--root', root],
    cwd: PACKAGE_ROOT,
    env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
    stderr: 'ignore',
  });
  const client = await createMCPClient({ transport, clientName: 'independent-stdio' });
  after(() => client.close());
  assert.equal(client.serverInfo.name, 'rvf-mcp-server');
  await driveEveryTool(await Session.open(client));
});

test('@ai-sdk/mcp over Streamable HTTP (--transport http --write): every tool once, results valid against their output schemas, and errors', async () => {
  const root = tempDir();
  const server = await startHttpServer(['--write', '--root', root]);
  after(() => server.stop());
  const client = await createMCPClient({ transport: { type: 'http', url: server.url.href }, clientName: 'independent-http' });
  after(() => client.close());
  try {
    await driveEveryTool(await Session.open(client));
  } catch (err) {
    throw new Error(`${(err as Error).message}\nserver stderr:\n${server.stderr()}`);
  }
});

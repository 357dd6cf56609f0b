/**
 * Text memory through an OpenAI-compatible embeddings endpoint: a real
 * node:http server on 127.0.0.1 that implements POST /v1/embeddings with
 * deterministic bag-of-characters vectors (8-d), checks the request and the
 * bearer token, and can be told to misbehave. Every failure must be one clear
 * EIO and leave the store file byte for byte as it was.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEmbedder } from '../store/embedders/create.ts';
import { createOpenAiEmbedder } from '../store/embedders/openai.ts';
import { LexicalEmbedder } from '../store/embedders/lexical.ts';
import { createMemoryStore, recall, remember } from '../store/text-memory.ts';
import { expectRvfError } from './helpers/assertions.ts';
import { tempDir } from './helpers/temp.ts';

const DIM = 8;
const MODEL = 'bag-8';
const TOKEN = 'test-token-123';
const quiet = { onWarning: () => undefined };

type Mode = 'ok' | 'status500' | 'garbage' | 'wrong-count' | 'non-numeric' | 'wrong-dim' | 'hang';

/** The endpoint's vector of a text: counts of its UTF-16 units by code mod 8, plus one so none is zero. */
function bag(text: string): number[] {
  const v = new Array<number>(DIM).fill(1);
  for (let i = 0; i < text.length; i++) v[text.charCodeAt(i) % DIM]! += 1;
  return v;
}

function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return 1 - dot / Math.sqrt(na * nb);
}

const state = { mode: 'ok' as Mode, requests: [] as { auth: string | undefined; input: string[] }[], problems: [] as string[] };
let server: Server;
let base: string;

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += (chunk as Buffer).toString();
  return body;
}

before(async () => {
  server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end('not found');
        return;
      }
      if (req.headers['authorization'] !== `Bearer ${TOKEN}`) {
        state.requests.push({ auth: req.headers['authorization'], input: [] });
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid api key"}');
        return;
      }
      const parsed = JSON.parse(body) as { model?: unknown; input?: unknown };
      if (req.headers['content-type'] !== 'application/json') state.problems.push(`content-type ${req.headers['content-type']}`);
      if (parsed.model !== MODEL) state.problems.push(`model ${String(parsed.model)}`);
      if (!Array.isArray(parsed.input) || !parsed.input.every((t) => typeof t === 'string')) state.problems.push('input is not an array of strings');
      const input = parsed.input as string[];
      state.requests.push({ auth: req.headers['authorization'], input });
      // Answer out of order: the client must place each embedding by its index.
      const data = input.map((t, index) => ({ object: 'embedding', index, embedding: bag(t) })).reverse();
      switch (state.mode) {
        case 'ok':
          break;
        case 'status500':
          res.writeHead(500).end(`model runner crashed: ${'x'.repeat(400)}`);
          return;
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [{"embedding": [0.1, 0.2');
          return;
        case 'wrong-count':
          data.pop();
          break;
        case 'non-numeric':
          (data[0]!.embedding as unknown[])[3] = 'NaN';
          break;
        case 'wrong-dim':
          for (const d of data) d.embedding.push(1);
          break;
        case 'hang':
          return; // never answers
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', model: MODEL, data }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const config = () => ({ kind: 'openai' as const, url: base, model: MODEL, apiKey: TOKEN });

test('openai: one probe learns the dimension; requests carry the model, the inputs and the bearer token', async () => {
  state.mode = 'ok';
  state.requests = [];
  const embedder = await createEmbedder(config());
  assert.deepEqual(embedder.identity, { name: `openai:${MODEL}`, dimensions: DIM });
  assert.equal(state.requests.length, 1);
  assert.equal(state.requests[0]?.auth, `Bearer ${TOKEN}`);
  const vectors = await embedder.embed(['abc', 'hello world']);
  assert.deepEqual(vectors.map((v) => Array.from(v)), [bag('abc'), bag('hello world')]);
  assert.deepEqual(state.requests[1]?.input, ['abc', 'hello world']);
  assert.deepEqual(state.problems, []);
});

test('openai: remember and recall through the endpoint, in batches of at most 64, across a reopen', async () => {
  state.mode = 'ok';
  const embedder = await createEmbedder(config());
  const path = join(tempDir(), 'remote.rvf');
  const db = await createMemoryStore(path, embedder, quiet);
  assert.deepEqual((await db.status()).embedder, { name: `openai:${MODEL}`, dimensions: DIM });
  const texts = Array.from({ length: 150 }, (_, i) => `note ${i}: ${'abcdefghij'.slice(0, (i % 10) + 1)} ${'zz'.repeat(i % 7)}`);
  state.requests = [];
  const r = await remember(db, embedder, texts.map((text, i) => ({ text, metadata: { i } })));
  assert.equal(r.ids.length, 150);
  assert.deepEqual(state.requests.map((q) => q.input.length), [64, 64, 22]);
  assert.deepEqual(state.requests.flatMap((q) => q.input), texts);

  const query = 'note about abcde';
  const expected = texts.map((t) => ({ t, d: cosineDistance(bag(query), bag(t)) })).sort((a, b) => a.d - b.d);
  const got = await recall(db, embedder, query, 5, { i: { $lt: 1000 } });
  assert.equal(got.length, 5);
  got.forEach((g, i) => {
    assert.ok(Math.abs(g.distance - expected[i]!.d) < 1e-5, `rank ${i}: ${g.distance} vs ${expected[i]!.d}`);
    assert.equal(g.metadata?.['i'], texts.indexOf(g.text));
  });
  await db.close();

  const { RvfDatabase } = await import('../store/database.ts');
  const again = await RvfDatabase.open(path, quiet);
  assert.deepEqual((await recall(again, embedder, query, 5)).map((g) => g.distance), got.map((g) => g.distance));
  // The lexical embedder must not read a store made by this one.
  const err = await expectRvfError(recall(again, new LexicalEmbedder(), query, 5), 'EINVAL');
  assert.match(err.message, /openai:bag-8 \(8-d\).*lexical-v1 \(384-d\)/);
  await again.close();
  assert.deepEqual(state.problems, []);
});

test('openai: 500, malformed JSON, wrong count, non-numeric values, a changed dimension, a timeout -> EIO, nothing written', async () => {
  state.mode = 'ok';
  const embedder = await createOpenAiEmbedder({ url: base, model: MODEL, apiKey: TOKEN, timeoutMs: 500 });
  const path = join(tempDir(), 'fail.rvf');
  const db = await createMemoryStore(path, embedder, quiet);
  await remember(db, embedder, [{ text: 'already here' }]);
  const bytes = readFileSync(path);
  const cases: { mode: Mode; says: RegExp }[] = [
    { mode: 'status500', says: /answered HTTP 500: model runner crashed: x+\.\.\.$/ },
    { mode: 'garbage', says: /malformed JSON: \{"data"/ },
    { mode: 'wrong-count', says: /returned 1 embeddings for 2 texts/ },
    { mode: 'non-numeric', says: /non-numeric or non-finite value "NaN"/ },
    { mode: 'wrong-dim', says: /returned a 9-d vector where it returned 8-d before/ },
    { mode: 'hang', says: /did not answer within 0\.5 s/ },
  ];
  for (const c of cases) {
    state.mode = c.mode;
    const err = await expectRvfError(remember(db, embedder, [{ text: 'one' }, { text: 'two' }]), 'EIO', c.mode);
    assert.match(err.message, c.says, c.mode);
    assert.ok(err.message.includes(`${base}/embeddings`), `${c.mode}: the message names the endpoint: ${err.message}`);
    if (c.mode === 'status500') assert.ok(err.message.length < 400, 'the body is cut to 200 characters');
    await expectRvfError(recall(db, embedder, 'one', 1), 'EIO', `${c.mode} recall`);
    assert.deepEqual(readFileSync(path), bytes, `${c.mode}: the store file changed`);
  }
  state.mode = 'ok';
  assert.equal((await db.status()).totalVectors, 1);
  await db.close();
});

test('openai: a wrong key, a missing key and a closed port are clear EIO errors', async () => {
  state.mode = 'ok';
  state.requests = [];
  const wrong = await expectRvfError(createEmbedder({ ...config(), apiKey: 'nope' }), 'EIO');
  assert.match(wrong.message, /HTTP 401 \(check RVF_EMBEDDER_API_KEY\)/);
  await expectRvfError(createEmbedder({ kind: 'openai', url: base, model: MODEL }), 'EIO');
  assert.deepEqual(state.requests.map((r) => r.auth), ['Bearer nope', undefined], 'no Authorization header without a key');

  // A port that was just free: listen, note it, close.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const closed = `http://127.0.0.1:${port}/v1`;
  const err = await expectRvfError(createEmbedder({ kind: 'openai', url: closed, model: MODEL }), 'EIO');
  assert.ok(err.message.includes(`${closed}/embeddings`), err.message);
  assert.match(err.message, /ECONNREFUSED/);
  assert.match(err.message, /must be running there \(for Ollama: ollama serve\)/);
});

/**
 * Text memory with the built-in lexical-v1 embedder, on real stores in temp
 * dirs: the embedder's determinism and normalisation, remember -> recall across
 * a restart and in another process, the embedder checks, metadata and filters,
 * replacement of the same text, the size limit, and recall@5 on a labelled set.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RvfDatabase } from '../store/database.ts';
import { LEXICAL_V1, LexicalEmbedder, lexicalVector } from '../store/embedders/lexical.ts';
import { createEmbedder } from '../store/embedders/create.ts';
import { createMemoryStore, MAX_TEXT_BYTES, recall, remember, textId, TEXT_KEY } from '../store/text-memory.ts';
import { expectRvfError } from './helpers/assertions.ts';
import { finished, spawnFixture } from './helpers/child.ts';
import { tempDir } from './helpers/temp.ts';

const lexical = new LexicalEmbedder();
const quiet = { onWarning: () => undefined };

function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
}

const NOTES = [
  { text: 'The api listens on port 8080; the health check is GET /healthz.', metadata: { topic: 'network', year: 2024 } },
  { text: 'Database migrations live in db/migrations and run with npm run migrate.', metadata: { topic: 'db', year: 2023 } },
  { text: 'Nightly backups: pg_dump runs at 02:00 UTC.', metadata: { topic: 'db', year: 2024 } },
  { text: 'The user prefers concise replies: code first, explanation after.' },
  { text: 'docker compose up -d starts postgres, redis and the api.', metadata: { topic: 'docker' } },
];

test('lexical-v1: 384 dimensions, unit length, identity recorded by name', async () => {
  assert.deepEqual((await createEmbedder({ kind: 'lexical' })).identity, { name: 'lexical-v1', dimensions: 384 });
  for (const text of ['a', 'Hello, world', '!!!', '日本語のテキスト', 'x'.repeat(5000), '🙂 emoji 🙂']) {
    const v = lexicalVector(text);
    assert.equal(v.length, LEXICAL_V1.dimensions);
    assert.ok(Math.abs(norm(v) - 1) < 1e-5, `${JSON.stringify(text.slice(0, 20))}: norm ${norm(v)}`);
    assert.ok(v.every((x) => Number.isFinite(x)));
  }
  // Features spread over many slots with both signs (signed hashing), not a handful of buckets.
  const v = lexicalVector(NOTES[0]!.text);
  assert.ok(v.filter((x) => x > 0).length > 20 && v.filter((x) => x < 0).length > 20, 'expected many positive and negative slots');
});

test('lexical-v1: case and Unicode compatibility forms normalise; different text differs', () => {
  const same = (a: string, b: string): void => assert.deepEqual(Array.from(lexicalVector(a)), Array.from(lexicalVector(b)), `${a} vs ${b}`);
  same('API Health Check', 'api health check');
  same('ＡＰＩ　Ｈｅａｌｔｈ', 'api health'); // fullwidth letters and ideographic space (NFKC)
  same('ﬁle system', 'file system'); // the ligature ﬁ is "fi" under NFKC
  same('Cafe\u0301', 'Café'); // combining accent composes
  same('  api   health  ', 'api health'); // whitespace only separates words
  const d = (a: string, b: string): number => cosineDistance(lexicalVector(a), lexicalVector(b));
  assert.ok(d('api health', 'api wealth') > 0);
  // Near-duplicates are nearer than texts that share little, and stems match through character n-grams.
  assert.ok(d(NOTES[1]!.text, 'Run npm run migrate to apply the database migrations.') < d(NOTES[1]!.text, NOTES[3]!.text));
  assert.ok(d('migration failed', 'the migrations failed') < d('migration failed', 'the build failed'));
});

test('lexical-v1: empty and whitespace-only text is EINVAL', async () => {
  for (const text of ['', '   ', '\n\t ']) {
    await expectRvfError(lexical.embed([text]), 'EINVAL', JSON.stringify(text));
  }
});

test('lexical-v1: the same vectors in another process', async () => {
  const texts = [...NOTES.map((n) => n.text), 'ＡＰＩ Ｈｅａｌｔｈ', '日本語のテキスト', '🙂', 'a'];
  const child = spawnFixture('memory-child.ts', ['vectors', JSON.stringify(texts)]);
  const out = await finished(child);
  assert.equal(out.code, 0, out.stderr);
  const line = out.stdout.split('\n').find((l) => l.startsWith('VECTORS '));
  assert.ok(line, out.stdout);
  const theirs = JSON.parse(line.slice('VECTORS '.length)) as number[][];
  assert.equal(theirs.length, texts.length);
  texts.forEach((t, i) => assert.deepEqual(theirs[i], Array.from(lexicalVector(t)), `vector of ${t} differs across processes`));
});

test('remember -> recall: nearest by cosine, text and metadata back, across a restart and in another process', async () => {
  const path = join(tempDir(), 'notes.rvf');
  const db = await createMemoryStore(path, lexical, quiet);
  assert.deepEqual((await db.status()).embedder, { name: 'lexical-v1', dimensions: 384 });
  assert.equal((await db.status()).metric, 'cosine');
  const r = await remember(db, lexical, NOTES);
  assert.equal(r.ids.length, NOTES.length);
  assert.deepEqual(r.ids, NOTES.map((n) => textId(n.text)));
  assert.equal(r.replaced, 0);

  const query = 'how do I run the database migrations';
  // Expected: brute force over the texts in float64.
  const q = lexicalVector(query);
  const expected = NOTES.map((n) => ({ text: n.text, distance: cosineDistance(q, lexicalVector(n.text)) })).sort((a, b) => a.distance - b.distance);
  const check = (got: Awaited<ReturnType<typeof recall>>, label: string): void => {
    assert.equal(got.length, 3, label);
    got.forEach((g, i) => {
      assert.equal(g.text, expected[i]!.text, `${label}: rank ${i}`);
      assert.ok(Math.abs(g.distance - expected[i]!.distance) < 1e-5, `${label}: distance ${g.distance} vs ${expected[i]!.distance}`);
      const note = NOTES.find((n) => n.text === g.text)!;
      assert.deepEqual(g.metadata, note.metadata ?? null, `${label}: metadata`);
      assert.equal(g.id, textId(g.text));
    });
  };
  check(await recall(db, lexical, query, 3), 'same handle');
  const self = await recall(db, lexical, NOTES[2]!.text, 1);
  assert.equal(self[0]!.text, NOTES[2]!.text);
  assert.ok(self[0]!.distance < 1e-5, 'a text recalls itself at distance ~0');
  await db.close();

  const reopened = await RvfDatabase.open(path, quiet);
  check(await recall(reopened, lexical, query, 3), 'after reopen');
  await reopened.close();

  const child = spawnFixture('memory-child.ts', ['recall', path, query, '3']);
  const out = await finished(child);
  assert.equal(out.code, 0, out.stderr);
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, out.stdout);
  check(JSON.parse(line.slice('RESULT '.length)), 'other process');
});

test('recall refuses a store without an embedder, or made with another name or dimension; nothing is written', async () => {
  const dir = tempDir();
  const cases = [
    { name: 'plain', options: { dimensions: 384 }, says: ['plain vectors', 'lexical-v1 (384-d)'] },
    { name: 'other', options: { dimensions: 384, embedder: { name: 'openai:nomic-embed-text', dimensions: 384 } }, says: ['store other was made with embedder openai:nomic-embed-text (384-d)', 'this server uses lexical-v1 (384-d)', 'same embedder or make a new store'] },
    { name: 'narrow', options: { dimensions: 8, embedder: { name: 'lexical-v1', dimensions: 8 } }, says: ['lexical-v1 (8-d)', 'lexical-v1 (384-d)'] },
  ];
  for (const c of cases) {
    const path = join(dir, `${c.name}.rvf`);
    const db = await RvfDatabase.create(path, c.options, quiet);
    const before = readFileSync(path);
    for (const attempt of [remember(db, lexical, [{ text: 'a note' }]), recall(db, lexical, 'a note', 5)]) {
      const err = await expectRvfError(attempt, 'EINVAL', c.name);
      for (const s of c.says) assert.ok(err.message.includes(s), `${c.name}: "${err.message}" should say "${s}"`);
    }
    assert.deepEqual(readFileSync(path), before, `${c.name}: the file changed`);
    assert.equal((await db.status()).totalVectors, 0);
    await db.close();
  }
});

test('metadata passes through, filters select on it, and the reserved key is refused', async () => {
  const db = await createMemoryStore(join(tempDir(), 'm.rvf'), lexical, quiet);
  await remember(db, lexical, NOTES);
  const all = await recall(db, lexical, 'database backups', 10);
  assert.equal(all.length, NOTES.length);
  const dbOnly = await recall(db, lexical, 'database backups', 10, { topic: 'db' });
  assert.deepEqual(dbOnly.map((r) => r.text).sort(), NOTES.filter((n) => n.metadata?.topic === 'db').map((n) => n.text).sort());
  const recent = await recall(db, lexical, 'api', 10, { $and: [{ year: { $gte: 2024 } }, { topic: { $ne: 'db' } }] });
  assert.deepEqual(recent.map((r) => r.text), [NOTES[0]!.text]);
  // The text itself is in the metadata under the reserved key, so a filter can use it too.
  const exact = await recall(db, lexical, 'anything', 10, { [TEXT_KEY]: NOTES[3]!.text });
  assert.deepEqual(exact.map((r) => r.metadata), [null]);
  const err = await expectRvfError(remember(db, lexical, [{ text: 'x', metadata: { text: 'clash' } }]), 'EINVAL');
  assert.match(err.message, /"text"/);
  await expectRvfError(recall(db, lexical, 'api', 10, { year: { $bogus: 1 } }), 'EINVAL');
  await db.close();
});

test('the same text twice replaces its entry; an explicit id is kept', async () => {
  const db = await createMemoryStore(join(tempDir(), 'r.rvf'), lexical, quiet);
  const first = await remember(db, lexical, [{ text: 'deploys happen on tags', metadata: { v: 1 } }]);
  const second = await remember(db, lexical, [{ text: 'deploys happen on tags', metadata: { v: 2 } }]);
  assert.deepEqual(second.ids, first.ids);
  assert.equal(second.replaced, 1);
  assert.equal((await db.status()).totalVectors, 1);
  const [hit] = await recall(db, lexical, 'deploys happen on tags', 5);
  assert.deepEqual(hit?.metadata, { v: 2 });
  // A different text (case counts) is a different entry.
  await remember(db, lexical, [{ text: 'Deploys happen on tags' }]);
  assert.equal((await db.status()).totalVectors, 2);
  // Twice in one batch: one entry, the last wins.
  const batch = await remember(db, lexical, [{ text: 'dup', metadata: { n: 1 } }, { text: 'dup', metadata: { n: 2 } }]);
  assert.equal(batch.ids[0], batch.ids[1]);
  assert.equal((await db.status()).totalVectors, 3);
  assert.deepEqual((await recall(db, lexical, 'dup', 1))[0]?.metadata, { n: 2 });
  const own = await remember(db, lexical, [{ text: 'with my id', id: '9007199254740993' }]);
  assert.deepEqual(own.ids, ['9007199254740993']);
  assert.equal((await recall(db, lexical, 'with my id', 1))[0]?.id, '9007199254740993');
  await db.close();
});

test('a text over 32 KiB is ELIMIT; empty text EINVAL; a failed batch writes nothing', async () => {
  const path = join(tempDir(), 'l.rvf');
  const db = await createMemoryStore(path, lexical, quiet);
  await remember(db, lexical, [{ text: 'é'.repeat(MAX_TEXT_BYTES / 2) }]); // exactly 32 KiB of UTF-8
  const before = readFileSync(path);
  const err = await expectRvfError(remember(db, lexical, [{ text: 'ok' }, { text: 'é'.repeat(MAX_TEXT_BYTES / 2) + 'x' }]), 'ELIMIT');
  assert.match(err.message, /entries\[1\]/);
  await expectRvfError(remember(db, lexical, [{ text: '  ' }]), 'EINVAL');
  await expectRvfError(remember(db, lexical, []), 'EINVAL');
  await expectRvfError(recall(db, lexical, '', 5), 'EINVAL');
  await expectRvfError(recall(db, lexical, 'x'.repeat(MAX_TEXT_BYTES + 1), 5), 'ELIMIT');
  assert.deepEqual(readFileSync(path), before);
  await db.close();
});

interface Labelled {
  texts: { id: number; text: string }[];
  queries: { query: string; relevant: number[] }[];
}

test('quality: recall@5 of lexical-v1 on the labelled notes', async () => {
  const set = JSON.parse(readFileSync(new URL('./fixtures/memory-labelled.json', import.meta.url), 'utf8')) as Labelled;
  assert.ok(set.texts.length >= 60 && set.queries.length >= 25);
  const db = await createMemoryStore(join(tempDir(), 'q.rvf'), lexical, quiet);
  await remember(db, lexical, set.texts.map((t) => ({ text: t.text, id: t.id })));
  let sum = 0;
  for (const q of set.queries) {
    const got = (await recall(db, lexical, q.query, 5)).map((r) => r.id);
    sum += q.relevant.filter((id) => got.includes(id)).length / Math.min(5, q.relevant.length);
  }
  const recallAt5 = sum / set.queries.length;
  console.log(`lexical-v1 recall@5 = ${recallAt5.toFixed(3)} (${set.queries.length} queries, ${set.texts.length} notes)`);
  // Measured 0.927 when the weights were chosen; the floor leaves room for one query to slip, no more.
  assert.ok(recallAt5 >= 0.9, `recall@5 ${recallAt5} fell below the measured floor 0.9`);
  await db.close();
});

test('throughput: lexical-v1 embeds thousands of notes per second', async () => {
  const words = 'the api listens on port health check database migration docker compose postgres redis user prefers concise replies deploy'.split(' ');
  const texts = Array.from({ length: 4000 }, (_, i) => Array.from({ length: 18 }, (_, j) => words[(i * 7 + j * 13) % words.length]).join(' ') + ` #${i}`);
  const start = performance.now();
  const vectors = await lexical.embed(texts);
  const seconds = (performance.now() - start) / 1000;
  assert.equal(vectors.length, texts.length);
  const rate = texts.length / seconds;
  const chars = texts.reduce((n, t) => n + t.length, 0) / texts.length;
  console.log(`lexical-v1 throughput = ${Math.round(rate)} texts/s (${Math.round(chars)}-character notes)`);
  assert.ok(rate > 1000, `only ${Math.round(rate)} texts/s`);
});

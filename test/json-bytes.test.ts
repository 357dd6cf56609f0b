/**
 * parseJsonBytes (server/json-bytes.ts) reads every message as JSON.parse
 * does. Its shortcut around an ingest's vectors_b64 must fire on the message
 * clients send, and must step aside, never guess, on messages where cutting
 * the first `"vectors_b64":"` out could change what the message says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strictBase64Bytes } from '../schemas/strict-base64.ts';
import { isBlankJson, parseAroundBase64, parseJsonBytes } from '../server/json-bytes.ts';

const b64 = Buffer.from(new Float32Array(Array.from({ length: 384 * 200 }, (_, i) => Math.sin(i)))).toString('base64');
const ingest = (args: Record<string, unknown>): Record<string, unknown> => ({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'rvf_ingest', arguments: args } });
const bytesOf = (text: string): Buffer => Buffer.from(`${text}\n`, 'utf8');

function same(text: string): unknown {
  const got = parseJsonBytes(bytesOf(text));
  assert.deepEqual(got, JSON.parse(text));
  return got;
}

test('an ingest with vectors_b64 takes the shortcut and reads as JSON.parse reads it', () => {
  const text = JSON.stringify(ingest({ store: 's', ids: Array.from({ length: 60 }, (_, i) => i), vectors_b64: b64, metadata: [{ a: 1 }] }));
  const cut = parseAroundBase64(bytesOf(text));
  assert.ok(cut !== undefined, 'the shortcut did not fire on a plain ingest');
  assert.deepEqual(cut, JSON.parse(text));
  same(text);
});

test('messages the shortcut must not guess at read as JSON.parse reads them', () => {
  const cases: [string, string][] = [
    // another vectors_b64 (in metadata) besides the argument: two keys, so no shortcut
    ['metadata also names vectors_b64', JSON.stringify(ingest({ store: 's', metadata: [{ vectors_b64: 'AAAA' }], ids: [1], vectors_b64: b64 }))],
    // the only unspaced key is in metadata; the argument is spelled with a space
    ['only metadata matches', JSON.stringify(ingest({ store: 's', ids: [1], metadata: [{ vectors_b64: b64 }] })).replace('"ids"', '"vectors_b64" : "", "ids"')],
    // escaped slashes, as PHP's json_encode writes them
    ['escaped slashes', JSON.stringify(ingest({ store: 's', ids: [1], vectors_b64: b64 })).replace(/\//g, '\\/')],
    ['not under params.arguments', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { vectors_b64: b64 } })],
    ['arguments is an array', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { arguments: [{ vectors_b64: b64 }] } })],
    ['non-ASCII elsewhere', JSON.stringify(ingest({ store: 'ß', ids: [1], vectors_b64: b64 }))],
    ['a number, not a string', JSON.stringify(ingest({ store: 's', ids: [1], vectors_b64: 12, pad: b64 }))],
    ['an empty value', JSON.stringify(ingest({ store: 's', ids: [1], vectors_b64: '', pad: b64 }))],
    ['a small message', JSON.stringify(ingest({ store: 's', ids: [1], vectors_b64: 'AACAPw==' }))],
  ];
  for (const [name, text] of cases) {
    const got = same(text) as { params: { arguments?: unknown } };
    assert.ok(got, name);
  }
  // The metadata case shows why the count matters: its metadata keeps its own string.
  const meta = same(cases[0]![1]) as { params: { arguments: { metadata: { vectors_b64: string }[] } } };
  assert.equal(meta.params.arguments.metadata[0]!.vectors_b64, 'AAAA');
});

test('bad JSON around the cut value throws as JSON.parse does', () => {
  const good = JSON.stringify(ingest({ store: 's', ids: [1], vectors_b64: b64 }));
  for (const bad of [good.slice(0, -1), good.replace('"ids"', 'ids'), `${good.slice(0, good.length / 2)}`]) {
    assert.throws(() => JSON.parse(bad));
    assert.throws(() => parseJsonBytes(bytesOf(bad)), SyntaxError);
  }
});

test('a control character inside the cut value, which JSON refuses, is refused by the base64 check instead', () => {
  const good = JSON.stringify(ingest({ store: 's', ids: [1], vectors_b64: b64 }));
  const bad = good.replace(b64.slice(0, 8), `${b64.slice(0, 4)}\u0001${b64.slice(5, 8)}`);
  assert.throws(() => JSON.parse(bad));
  const got = parseJsonBytes(bytesOf(bad)) as { params: { arguments: { vectors_b64: string } } };
  assert.equal(strictBase64Bytes(got.params.arguments.vectors_b64), undefined);
});

test('blank lines are only JSON whitespace', () => {
  assert.equal(isBlankJson(Buffer.from(' \t\r\n')), true);
  assert.equal(isBlankJson(Buffer.alloc(0)), true);
  assert.equal(isBlankJson(Buffer.from(' {}')), false);
});

test('the ASCII note skips the count only for the string it names', () => {
  const text = JSON.stringify(ingest({ store: 's', ids: [1], vectors_b64: b64 }));
  const got = parseJsonBytes(bytesOf(text)) as { params: { arguments: { vectors_b64: string } } };
  assert.deepEqual(strictBase64Bytes(got.params.arguments.vectors_b64), Buffer.from(b64, 'base64'));
  // the same length, one character above U+00FF (which Node's decoder would read as its low byte, 'A')
  const wide = `\u4141${b64.slice(1)}`;
  assert.equal(wide.length, got.params.arguments.vectors_b64.length);
  assert.equal(strictBase64Bytes(wide), undefined);
});

test('random messages, vectors_b64 anywhere or nowhere, spaced or not: read as JSON.parse reads them', () => {
  let seed = 99;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const long = (): string => b64.slice(0, 4 * (1 + next(b64.length / 4)));
  const text = (): string => ['', 'a', 'vectors_b64', '"quoted"', 'back\\slash', 'ü', '\u4141', long()][next(8)] as string;
  const value = (depth: number): unknown => {
    const kind = next(depth > 2 ? 4 : 7);
    if (kind === 0) return next(1000) - 500;
    if (kind === 1) return text();
    if (kind === 2) return [true, false, null][next(3)];
    if (kind === 3) return next(2) === 0 ? long() : text();
    if (kind === 4) return Array.from({ length: next(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: next(4) }, (_, i) => [next(3) === 0 ? 'vectors_b64' : `k${i}`, value(depth + 1)]));
  };
  let shortcuts = 0;
  for (let i = 0; i < 400; i++) {
    const args: Record<string, unknown> = { store: 's' };
    const metadataFirst = next(2) === 0;
    if (metadataFirst && next(2) === 0) args['metadata'] = value(1);
    if (next(3) > 0) args['vectors_b64'] = next(5) === 0 ? value(1) : long();
    if (!metadataFirst && next(2) === 0) args['metadata'] = value(1);
    args['pad'] = b64.slice(0, 4 * 20_000);
    const message = { jsonrpc: '2.0', id: i, method: 'tools/call', params: next(6) === 0 ? value(0) : { name: 'rvf_ingest', arguments: args } };
    let json = JSON.stringify(message, null, next(3) === 0 ? 2 : undefined);
    if (next(5) === 0) json = json.replace(/\//g, '\\/');
    const bytes = bytesOf(json);
    const expected = JSON.parse(json) as unknown;
    assert.deepEqual(parseJsonBytes(bytes), expected, `message ${i}`);
    const cut = parseAroundBase64(bytes);
    if (cut !== undefined) {
      shortcuts++;
      assert.deepEqual(cut, expected, `message ${i}, the shortcut`);
    }
  }
  assert.ok(shortcuts > 50, `the shortcut fired on ${shortcuts} of 400 messages`);
  assert.ok(shortcuts < 400);
});

/**
 * strictBase64Bytes (schemas/strict-base64.ts) accepts exactly what the strict
 * shape regex it replaced accepts, and then decodes to the same bytes. The
 * regex stays here as the oracle; the checks are run on valid strings of every
 * length and padding, and on thousands of them with one or two characters
 * changed, inserted or removed (characters from the alphabet, the padding,
 * the URL-safe alphabet, whitespace, Latin-1 and beyond, lone surrogates).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strictBase64Bytes } from '../schemas/strict-base64.ts';
import { decodeFloat32Base64 } from '../schemas/vector-input.ts';

const SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ODD = ['=', '-', '_', ' ', '\n', '\t', '.', '@', '\u0000', '\u007f', '\u00c1', '\u0141', '\u4141', '\u0100', '\ud800', '\udc00', '\u{1F600}', 'A', 'z', '+', '/', '0'];

let seed = 12345;
function random(n: number): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
}

function check(text: string): void {
  const got = strictBase64Bytes(text);
  if (SHAPE.test(text)) {
    assert.ok(got, `refused valid ${JSON.stringify(text)}`);
    assert.deepEqual(got, Buffer.from(text, 'base64'));
  } else {
    assert.equal(got, undefined, `accepted invalid ${JSON.stringify(text)}`);
  }
}

test('valid base64 of every length from 0 to 40 bytes is accepted and decoded', () => {
  for (let n = 0; n <= 40; n++) {
    const bytes = Buffer.from(Array.from({ length: n }, () => random(256)));
    const text = bytes.toString('base64');
    assert.deepEqual(strictBase64Bytes(text), bytes, text);
  }
});

test('strings with characters changed, inserted or removed are judged as the shape regex judges them', () => {
  for (let round = 0; round < 6000; round++) {
    const valid = Buffer.from(Array.from({ length: random(24) }, () => random(256))).toString('base64');
    let text = valid;
    for (let edits = 1 + random(2); edits > 0; edits--) {
      const at = random(text.length + 1);
      const ch = ODD[random(ODD.length)] as string;
      const kind = random(3);
      if (kind === 0) text = text.slice(0, at) + ch + text.slice(at + 1);
      else if (kind === 1) text = text.slice(0, at) + ch + text.slice(at);
      else text = text.slice(0, at) + text.slice(at + 1);
    }
    check(text);
  }
  for (const text of ['', '=', '==', '===', '====', 'A===', 'AA==', 'AAA=', 'AB==', 'AA=A', 'AA==AAAA', 'AAAA====', '\u0141AAA', 'AAA\u00c1', 'AAAA\n', 'AA-_']) check(text);
});

test('a decoded block of float32 values is the bytes sent, unpadded or padded', () => {
  const values = new Float32Array([1.5, -2.25, 3.000001, 1e-30]);
  for (const subset of [values.subarray(0, 1), values.subarray(0, 2), values.subarray(0, 3), values]) {
    const text = Buffer.from(subset.buffer, subset.byteOffset, subset.byteLength).toString('base64');
    const decoded = decodeFloat32Base64(text, 'v');
    assert.ok(decoded instanceof Float32Array);
    assert.deepEqual(Array.from(decoded), Array.from(subset));
  }
});

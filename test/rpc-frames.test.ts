import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import test from 'node:test';
import { readRpcFrames } from '../rvlite-bridge/rpc-frames.ts';
import type { RpcCall } from '../rvlite-bridge/query-protocol.ts';

/** What the query child writes on fd 4: JSON lines, a commit's line followed by its record's raw bytes. */
function wire(): { bytes: Buffer; want: [RpcCall, Buffer | undefined][] } {
  const record = Buffer.alloc(70_000);
  for (let i = 0; i < record.length; i++) record[i] = (i * 31 + 7) & 0xff; // holds many 0x0a bytes
  const empty = Buffer.alloc(0);
  const want: [RpcCall, Buffer | undefined][] = [
    [{ call: 'knn', vector: [1, 2], k: 3, filter: null }, undefined],
    [{ call: 'commit', bytes: record.length }, record],
    [{ call: 'distance', id: '7', vector: [0.5, 'é'] }, undefined],
    [{ call: 'commit', bytes: 0 }, empty],
    [{ call: 'knn', vector: [], k: 1, filter: {} }, undefined],
  ];
  const parts: Buffer[] = [];
  for (const [call, payload] of want) {
    parts.push(Buffer.from(JSON.stringify(call) + '\n'));
    if (payload) parts.push(payload);
  }
  return { bytes: Buffer.concat(parts), want };
}

async function read(bytes: Buffer, cut: (at: number) => number): Promise<{ got: [RpcCall, Buffer | undefined][]; garbled: number }> {
  const input = new PassThrough();
  const got: [RpcCall, Buffer | undefined][] = [];
  let garbled = 0;
  readRpcFrames(input, (call, payload) => got.push([call, payload]), () => garbled++);
  for (let at = 0; at < bytes.length; ) {
    const end = Math.min(bytes.length, at + cut(at));
    input.write(bytes.subarray(at, end));
    at = end;
  }
  input.end();
  await new Promise((r) => input.on('end', r).resume());
  return { got, garbled };
}

test('rpc frames: calls and commit records arrive whole and in order, however the pipe splits them', async () => {
  const { bytes, want } = wire();
  for (const cut of [() => bytes.length, () => 1, () => 7, (at: number) => 1 + ((at * 7919) % 65_536)]) {
    const { got, garbled } = await read(bytes, cut);
    assert.equal(garbled, 0);
    assert.deepEqual(got.map(([c]) => c), want.map(([c]) => c));
    got.forEach(([, payload], i) => {
      const expected = want[i]?.[1];
      if (expected === undefined) assert.equal(payload, undefined);
      else assert.ok(payload?.equals(expected), `record ${i} arrived byte for byte`);
    });
  }
});

test('rpc frames: a line that is not JSON, or a commit without a byte count, stops the reading', async () => {
  for (const text of ['not json\n{"call":"knn","vector":[],"k":1,"filter":null}\n', '{"call":"commit"}\nxx', '{"call":"commit","bytes":-1}\n', '{"call":"commit","bytes":1.5}\nx']) {
    const { got, garbled } = await read(Buffer.from(text), () => 3);
    assert.equal(garbled, 1, text);
    assert.deepEqual(got, [], text);
  }
});

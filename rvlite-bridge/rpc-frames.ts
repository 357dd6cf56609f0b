import type { Readable } from 'node:stream';
import type { RpcCall } from './query-protocol.ts';

/**
 * The parent's reader of the query child's calls (fd 4): one JSON line per
 * call, and a commit's line followed by its effects record as `bytes` raw
 * bytes. Written by hand because the record is binary: as base64 inside a
 * JSON line, a 10,000-row write's 1.5 MB record cost about 20 ms to encode,
 * split into lines, parse and decode, on the path every write waits on.
 * `readline` cannot hand over raw bytes after a line.
 */
export function readRpcFrames(input: Readable, onCall: (call: RpcCall, payload: Buffer | undefined) => void, onGarbled: () => void): void {
  let chunks: Buffer[] = [];
  let buffered = 0;
  /** The commit whose record is still arriving. */
  let awaiting: { call: RpcCall; bytes: number } | undefined;
  let garbled = false;

  const take = (n: number): Buffer => {
    const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    chunks = rest.length > 0 ? [rest] : [];
    buffered = rest.length;
    return out;
  };

  input.on('data', (chunk: Buffer) => {
    if (garbled) return;
    chunks.push(chunk);
    buffered += chunk.length;
    for (;;) {
      if (awaiting) {
        if (buffered < awaiting.bytes) return;
        const { call, bytes } = awaiting;
        awaiting = undefined;
        // A copy: the record outlives this read, and must not pin the pipe's chunk.
        onCall(call, Buffer.from(take(bytes)));
        continue;
      }
      let nl = -1;
      let seen = 0;
      for (const c of chunks) {
        const at = c.indexOf(10);
        if (at !== -1) {
          nl = seen + at;
          break;
        }
        seen += c.length;
      }
      if (nl === -1) return;
      const line = take(nl + 1).subarray(0, nl).toString('utf8');
      let call: RpcCall & { bytes?: unknown };
      try {
        call = JSON.parse(line) as RpcCall & { bytes?: unknown };
      } catch {
        garbled = true;
        onGarbled();
        return;
      }
      if (call.call === 'commit') {
        if (!Number.isSafeInteger(call.bytes) || (call.bytes as number) < 0) {
          garbled = true;
          onGarbled();
          return;
        }
        awaiting = { call, bytes: call.bytes as number };
        continue;
      }
      onCall(call, undefined);
    }
  });
}

import type { IncomingMessage } from 'node:http';

/**
 * A request body as JSON, at most `maxBytes`. Past the limit the rest is read
 * and dropped rather than cut off, so the client gets its 413 instead of a
 * reset connection. Each caller words its own errors (JSON-RPC for /mcp,
 * the inspector's API shape for /inspector/api).
 */
export type JsonBody = { ok: true; value: unknown } | { ok: false; reason: 'too-large' | 'not-json' };

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  if (size > maxBytes) return { ok: false, reason: 'too-large' };
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, reason: 'not-json' };
  }
}

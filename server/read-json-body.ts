import type { IncomingMessage } from 'node:http';
import type { BodyBudget, BudgetPool } from './body-budget.ts';
import { parseJsonBytes } from './json-bytes.ts';

/**
 * A request body as JSON, at most `maxBytes`, its bytes counted against the
 * process-wide `budget` while they are held. A refused body (over the limit,
 * or no room in the budget) is read to its end and dropped rather than cut
 * off, so the client gets its answer instead of a reset connection, and
 * nothing of it is held. Each caller words its own errors (JSON-RPC for /mcp,
 * the inspector's API shape for /inspector/api).
 */
export type JsonBody = { ok: true; value: unknown } | { ok: false; reason: 'too-large' | 'not-json' | 'busy' };

type Refusal = { ok: false; reason: 'too-large' | 'busy' };
/** Bytes read, and how many of the budget's bytes they hold until given back. */
type Held = { ok: true; bytes: Buffer; held: number; pool: BudgetPool };

export async function readJsonBody(req: IncomingMessage, maxBytes: number, budget: BodyBudget): Promise<JsonBody> {
  const length = req.headers['content-length'];
  const read = length === undefined ? await readChunked(req, maxBytes, budget) : await readDeclared(req, Number(length), maxBytes, budget);
  if (!read.ok) return read;
  try {
    return { ok: true, value: parseJsonBytes(read.bytes) };
  } catch {
    return { ok: false, reason: 'not-json' };
  } finally {
    budget.give(read.held, read.pool);
  }
}

/**
 * Reads the rest of a request body into nothing: for a request refused before
 * its body was read. Its answer then goes out after the body, so a client that
 * is still sending is not reset (RFC 9112 9.6), and no byte of it is held.
 */
export function discardBody(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.resume();
  });
}

/**
 * A declared length is taken from the budget whole before any byte is read,
 * and the bytes go straight into one buffer of that length: a body that could
 * not be held is refused before it holds anything, and no second copy is made.
 * (node's parser delivers exactly Content-Length bytes.)
 */
async function readDeclared(req: IncomingMessage, length: number, maxBytes: number, budget: BodyBudget): Promise<Held | Refusal> {
  if (!(length <= maxBytes)) return refuse(req, 'too-large');
  const pool = budget.take(length, length);
  if (!pool) return refuse(req, 'busy');
  // budget held for bytes that do not come is budget others cannot have: a body must keep arriving
  const deadline = setTimeout(() => req.destroy(new Error('the request body arrived too slowly')), bodyDeadlineMs(length));
  try {
    const bytes = Buffer.allocUnsafe(length);
    let offset = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) offset += chunk.copy(bytes, offset);
    return { ok: true, bytes: bytes.subarray(0, offset), held: length, pool };
  } catch (err) {
    budget.give(length, pool);
    throw err;
  } finally {
    clearTimeout(deadline);
  }
}

/** How long a declared body may take to arrive: 15 s, plus a second for each MiB (1 MiB/s, slower than any link a client of this server uses). */
export function bodyDeadlineMs(length: number): number {
  return 15_000 + Math.ceil(length / (1024 * 1024)) * 1000;
}

/** Without a declared length the bytes are taken from the budget as they come. */
async function readChunked(req: IncomingMessage, maxBytes: number, budget: BodyBudget): Promise<Held | Refusal> {
  const chunks: Buffer[] = [];
  let held = 0;
  let refused: Refusal['reason'] | undefined;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (refused) continue;
      if (held + chunk.length > maxBytes) refused = 'too-large';
      else if (!budget.take(chunk.length)) refused = 'busy'; // no declared size: never the small bodies' reserve
      else {
        held += chunk.length;
        chunks.push(chunk);
        continue;
      }
      chunks.length = 0;
      budget.give(held, 'main');
      held = 0;
    }
  } catch (err) {
    budget.give(held, 'main');
    throw err;
  }
  if (refused) return { ok: false, reason: refused };
  return { ok: true, bytes: Buffer.concat(chunks, held), held, pool: 'main' };
}

async function refuse(req: IncomingMessage, reason: Refusal['reason']): Promise<Refusal> {
  await discardBody(req);
  return { ok: false, reason };
}

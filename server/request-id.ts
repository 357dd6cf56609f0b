/**
 * The JSON-RPC id of a message too large to parse, from its first and last
 * bytes only. Clients put the id at either end: the Python SDK writes
 * {"jsonrpc", "id", "method", "params"}, the TypeScript SDK {"method",
 * "params", "jsonrpc", "id"}. Only the top-level member counts: params often
 * hold "id" keys of their own (an ingest's entries), which must never be
 * taken for the request's.
 */

/** Bytes kept from the start of an oversized message: room for the members before params. */
export const HEAD_BYTES = 4096;
/** Bytes kept from its end: room for a trailing id and the closing braces. */
export const TAIL_BYTES = 256;

export type RequestId = string | number;

export function findRequestId(head: Buffer, tail: Buffer): RequestId | null {
  return idInHead(head.toString('utf8')) ?? idAtEnd(tail.toString('utf8')) ?? null;
}

const VALUE = /^\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*[,}]/;

/**
 * Walks the start of the message, skipping strings and counting nesting, and
 * reads the value of the first key "id" of the outermost object. Undefined
 * when that key is not within `head`, or its value is cut off or neither a
 * string nor a number.
 */
function idInHead(head: string): RequestId | undefined {
  let depth = 0;
  let atKey = false; // the next string at depth 1 is a key
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c === '"') {
      const end = closingQuote(head, i);
      if (end === -1) return undefined;
      if (depth === 1 && atKey) {
        if (decode(head.slice(i, end + 1)) === 'id') {
          const value = VALUE.exec(head.slice(end + 1))?.[1];
          return value === undefined ? undefined : (decode(value) as RequestId | undefined);
        }
        atKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (depth === 0 && c === '[') return undefined; // a batch: no single id
      depth++;
      if (depth === 1) atKey = true;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return undefined;
    } else if (c === ',' && depth === 1) {
      atKey = true;
    }
  }
  return undefined;
}

/**
 * The id when it is the last member of the outermost object: `"id": value`
 * closed by exactly one `}` at the very end. A nested object's "id" is
 * followed by two closing brackets or more, and inside a string a quote is
 * always escaped, so `{"` or `,"` cannot start a match there.
 */
function idAtEnd(tail: string): RequestId | undefined {
  const value = /[{,]\s*"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*}\s*$/.exec(tail)?.[1];
  return value === undefined ? undefined : (decode(value) as RequestId | undefined);
}

/** Index of the quote that ends the string starting at `start`, or -1 when it ends past the text. */
function closingQuote(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return -1;
}

function decode(token: string): unknown {
  try {
    return JSON.parse(token);
  } catch {
    return undefined;
  }
}

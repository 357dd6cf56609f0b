import { JSONRPCMessageSchema, RequestIdSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isBlankJson, parseJsonBytes } from './json-bytes.ts';

/**
 * What one line of stdio input is: a JSON-RPC message for the server, nothing
 * (a blank line), or a line to refuse with the JSON-RPC error that answers it.
 * Validity is the SDK's own JSONRPCMessageSchema; the hand-written checks
 * below only choose the sentence that says what was wrong.
 *
 * A refused request or notification is answered, with its id when that is a
 * string or an integer and null otherwise (JSON-RPC 2.0, section 5). A
 * malformed response is not: its id names one of the server's own requests,
 * and an answer would reach the client as a reply to one of its requests.
 */

/** An error reply whose id may be null, which the SDK's message types leave out. */
export interface JsonRpcErrorReply {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

export type LineReading =
  | { kind: 'message'; message: JSONRPCMessage }
  | { kind: 'blank' }
  | { kind: 'refused'; why: string; reply: JsonRpcErrorReply | undefined };

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const HOW = 'send one JSON-RPC 2.0 message per line, e.g. {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}';
const MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params']);

export function readLine(line: Buffer): LineReading {
  if (isBlankJson(line)) return { kind: 'blank' };
  let value: unknown;
  try {
    value = parseJsonBytes(line);
  } catch {
    return refuse(PARSE_ERROR, null, `Parse error: the line is not JSON; ${HOW}.`);
  }
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (parsed.success) return { kind: 'message', message: parsed.data };
  if (!isObject(value)) {
    const what = Array.isArray(value) ? 'a batch (a JSON array), which MCP does not take' : `a JSON ${value === null ? 'null' : typeof value}, not an object`;
    return refuse(INVALID_REQUEST, null, `Invalid Request: the message is ${what}; ${HOW}.`);
  }
  if (!('method' in value) && ('result' in value || 'error' in value)) {
    return { kind: 'refused', why: 'a malformed JSON-RPC response, left unanswered', reply: undefined };
  }
  const id = RequestIdSchema.safeParse(value.id);
  return refuse(INVALID_REQUEST, id.success ? id.data : null, `Invalid Request: ${problemOf(value)}; ${HOW}.`);
}

/** What makes `message` not a request or notification, in the order a reader would check. */
function problemOf(message: Record<string, unknown>): string {
  if (message.jsonrpc !== '2.0') return '"jsonrpc" must be "2.0"';
  if ('id' in message && !RequestIdSchema.safeParse(message.id).success) return '"id" must be a string or an integer';
  if (!('method' in message)) return 'the request has no "method"';
  if (typeof message.method !== 'string') return '"method" must be a string';
  if ('params' in message && !isObject(message.params)) return '"params" must be an object when given';
  const unknown = Object.keys(message).filter((k) => !MEMBERS.has(k));
  if (unknown.length > 0) return `the message has members JSON-RPC does not define (${unknown.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')})`;
  return 'the message is not a JSON-RPC 2.0 request or notification';
}

function refuse(code: number, id: string | number | null, message: string): LineReading {
  return { kind: 'refused', why: message, reply: { jsonrpc: '2.0', id, error: { code, message } } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

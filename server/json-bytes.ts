import { randomUUID } from 'node:crypto';
import { isAscii } from 'node:buffer';
import { noteAsciiText } from '../schemas/strict-base64.ts';

/**
 * JSON.parse for a message as it arrives (a stdio line, an HTTP body), with
 * one shortcut for the one large string a message carries: the base64 of an
 * ingest's vectors (`params.arguments.vectors_b64`, 2 MB for 1000 x 384).
 *
 * JSON.parse scans that string for escapes and copies it: 2.1-4.4 ms of a
 * 20-25 ms ingest call, measured in the server. Base64 holds no quote and no
 * backslash, so its bytes end at the next quote; the rest of the message is
 * parsed without them and the string is cut from the bytes once. Written by
 * hand because no JSON parser on npm parses around one member, and a
 * streaming one is slower than V8's JSON.parse on the rest.
 *
 * The shortcut is taken only when it cannot change the result: an ASCII
 * message, exactly one `"vectors_b64":"` in it, no backslash before its
 * closing quote, and the value it cut parsed to a per-process marker at
 * `params.arguments.vectors_b64` (so a key of that name elsewhere, or
 * spelled with spaces, takes the plain parse). Anything else is JSON.parse
 * of the whole text, as before. The one thing JSON.parse would refuse that the
 * cut bytes are not checked for here, a control character, is refused by the
 * tool's strict base64 check (schemas/strict-base64.ts), as is every other
 * byte outside the alphabet: the message is still refused, as a tool error.
 */

const KEY = Buffer.from('"vectors_b64":"', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Below this a message is parsed whole: the shortcut would save nothing worth a search. */
const SHORTCUT_MIN_BYTES = 64 * 1024;
/** What the cut value reads as while the rest is parsed; no client can send it by chance. */
const MARKER = `rvf-cut-${randomUUID()}`;

export function parseJsonBytes(bytes: Buffer): unknown {
  // ASCII reads the same as Latin-1, and V8 both makes and JSON.parses a Latin-1 string faster than UTF-8's.
  const ascii = isAscii(bytes);
  if (ascii && bytes.length >= SHORTCUT_MIN_BYTES) {
    const cut = parseAroundBase64(bytes);
    if (cut !== undefined) return cut;
  }
  return JSON.parse(bytes.toString(ascii ? 'latin1' : 'utf8'));
}

/** True when the bytes hold only JSON whitespace (or nothing). */
export function isBlankJson(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}

/** The shortcut alone: undefined when it does not apply (exported for its test). */
export function parseAroundBase64(bytes: Buffer): unknown {
  const at = bytes.indexOf(KEY);
  if (at === -1) return undefined;
  const start = at + KEY.length;
  const end = bytes.indexOf(QUOTE, start);
  if (end === -1) return undefined;
  const escape = bytes.indexOf(BACKSLASH, start);
  if (escape !== -1 && escape < end) return undefined;
  if (bytes.indexOf(KEY, end) !== -1) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('latin1', 0, start) + MARKER + bytes.toString('latin1', end));
  } catch {
    return undefined; // the plain parse words the error
  }
  const args = member(member(value, 'params'), 'arguments');
  if (args === undefined || args['vectors_b64'] !== MARKER) return undefined;
  const text = bytes.toString('latin1', start, end);
  noteAsciiText(text);
  args['vectors_b64'] = text;
  return value;
}

function member(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const inner = (value as Record<string, unknown>)[key];
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : undefined;
}

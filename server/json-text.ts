import { isAscii } from 'node:buffer';

/**
 * The text of a UTF-8 JSON message, for JSON.parse. ASCII reads the same as
 * Latin-1, and V8 both makes and JSON.parses a Latin-1 string faster: 2.7
 * against 4.9 ms for the 2 MB message of a 1000 x 384 vectors_b64 batch.
 */
export function jsonText(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

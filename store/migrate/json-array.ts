import { RvfError } from '../errors.ts';
import { textChunks } from './text-chunks.ts';

/**
 * Splits a file holding one top-level JSON array of objects into the text of
 * each object, with the line it starts on, so a 1M-vector file is never one
 * string (V8 strings stop at about 512 MiB) nor one parsed tree. It tracks
 * only strings, escapes and nesting depth; each object's text then goes to
 * JSON.parse, which judges everything else.
 */

export interface JsonItem {
  line: number;
  text: string;
}

const WS = new Set([32, 9, 10, 13]);

export async function* jsonArrayItems(path: string, name: string): AsyncGenerator<JsonItem> {
  let line = 1;
  let state: 'start' | 'beforeItem' | 'afterItem' | 'done' = 'start';
  let depth = 0; // nesting inside the current item
  let inString = false;
  let escaped = false;
  let itemLine = 0;
  let item = ''; // text of the current item gathered from earlier chunks
  let itemStart = -1; // where the item starts in the current chunk, -1 when it started earlier
  const bad = (why: string): RvfError => new RvfError('EINVAL', `${name} line ${line}: ${why}; fix the file.`);

  for await (const chunk of textChunks(path)) {
    const n = chunk.length;
    if (depth > 0) itemStart = 0;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
        } else if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            item += chunk.slice(itemStart, i + 1);
            yield { line: itemLine, text: item };
            item = '';
            state = 'afterItem';
          }
        }
        continue;
      }
      if (WS.has(c)) continue;
      switch (state) {
        case 'start':
          if (c !== 91) throw bad('expected a JSON array of {id, vector, metadata?} objects');
          state = 'beforeItem';
          break;
        case 'beforeItem':
          if (c === 93) {
            state = 'done';
          } else if (c === 123) {
            depth = 1;
            itemLine = line;
            itemStart = i;
          } else {
            throw bad(`expected an object {id, vector, metadata?}, found ${JSON.stringify(chunk[i])}`);
          }
          break;
        case 'afterItem':
          if (c === 44) state = 'beforeItem';
          else if (c === 93) state = 'done';
          else throw bad(`expected , or ] after an object, found ${JSON.stringify(chunk[i])}`);
          break;
        case 'done':
          throw bad('text after the end of the array');
      }
    }
    if (depth > 0) item += chunk.slice(itemStart);
  }
  if (depth > 0) throw new RvfError('EINVAL', `${name} line ${itemLine}: the file ends inside this object (truncated?); fix the file.`);
  if (state !== 'done') throw bad(state === 'start' ? 'the file is empty' : 'the file ends before the array closes with ] (truncated?)');
}

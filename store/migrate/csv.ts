import { RvfError } from '../errors.ts';
import { textChunks } from './text-chunks.ts';

/**
 * A small RFC 4180 record reader, written here rather than added as a
 * dependency: vector CSV files need only quoted fields ("" for a quote inside
 * them, commas and line breaks allowed inside quotes), and the reader must
 * stream (a 1M-row file does not fit one string) and give each record's line
 * number for error messages, which the few lines below do. Line ends may be
 * \n, \r\n or a lone \r; blank lines are skipped.
 */

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

const COMMA = 44;
const CR = 13;
const LF = 10;
const QUOTE = 34;

export async function* csvRecords(path: string, name: string): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quoted field just closed: only , or a line end may follow
  let pendingQuote = false; // saw " inside quotes; the next char decides ("" or the end)
  let pendingCr = false; // a \r ended a record; a \n right after it belongs to it
  let line = 1;
  let recordLine = 1;
  let any = false; // the current record has content beyond one empty field
  const bad = (why: string): RvfError => new RvfError('EINVAL', `${name} line ${line}: ${why}; fix the file.`);

  const endRecord = (): CsvRecord | undefined => {
    fields.push(field);
    const rec = any || field !== '' ? { line: recordLine, fields } : undefined;
    fields = [];
    field = '';
    any = false;
    afterQuote = false;
    return rec;
  };

  for await (const chunk of textChunks(path)) {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (pendingQuote) {
        pendingQuote = false;
        if (c === QUOTE) {
          field += '"';
          continue;
        }
        quoted = false;
        afterQuote = true;
      }
      if (quoted) {
        // Copy the run up to the next quote at once.
        let j = i;
        while (j < n && chunk.charCodeAt(j) !== QUOTE) {
          if (chunk.charCodeAt(j) === LF) line++;
          j++;
        }
        field += chunk.slice(i, j);
        if (j < n) pendingQuote = true;
        i = j;
        continue;
      }
      if (pendingCr) {
        pendingCr = false;
        if (c === LF) continue;
      }
      if (c === COMMA) {
        fields.push(field);
        field = '';
        afterQuote = false;
        any = true;
      } else if (c === LF || c === CR) {
        const rec = endRecord();
        if (rec) yield rec;
        line++;
        recordLine = line;
        pendingCr = c === CR;
      } else if (afterQuote) {
        throw bad('text after a closing quote (write a quote inside a quoted field as "")');
      } else if (c === QUOTE) {
        if (field !== '') throw bad('a quote inside an unquoted field (quote the whole field and double the quote)');
        quoted = true;
        any = true;
      } else {
        let j = i + 1;
        for (; j < n; j++) {
          const d = chunk.charCodeAt(j);
          if (d === COMMA || d === LF || d === CR || d === QUOTE) break;
        }
        field += chunk.slice(i, j);
        i = j - 1;
      }
    }
  }
  if (pendingQuote) quoted = false;
  if (quoted) throw bad('the file ends inside a quoted field (a closing quote is missing)');
  const rec = endRecord();
  if (rec) yield rec;
}

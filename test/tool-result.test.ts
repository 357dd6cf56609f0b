/**
 * How a tool reports a failure that is neither an RvfError nor a bug: a full
 * disk, met as Node's ENOSPC (a real write to /dev/full) or SQLite's
 * SQLITE_FULL (a real database at its page limit), is ENOSPC with what to do,
 * not EINTERNAL's "retry once and report it".
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { failure } from '../tools/result.ts';
import type { ToolContext } from '../tools/context.ts';

const logged: string[] = [];
const ctx = {
  log: { info: () => undefined, warn: (m: string) => void logged.push(m), error: (m: string) => void logged.push(m), debug: () => undefined },
  registry: { withoutRoot: (s: string) => s },
} as unknown as Pick<ToolContext, 'log' | 'registry'>;

function caught(f: () => void): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}

function textOf(result: ReturnType<typeof failure>): string {
  assert.equal(result.isError, true);
  const first = result.content[0];
  assert.ok(first && first.type === 'text');
  return first.text;
}

test('a full disk is ENOSPC, from Node and from SQLite', () => {
  const node = caught(() => writeFileSync('/dev/full', 'x'));
  assert.match(textOf(failure(node, ctx)), /^ENOSPC: the disk holding the stores is full \(.*ENOSPC.*\); free space on it, then retry\.$/);
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v); PRAGMA max_page_count = 2');
  const sqlite = caught(() => db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000)));
  assert.match(textOf(failure(sqlite, ctx)), /^ENOSPC: .*full/);
  assert.match(textOf(failure(new Error('something else'), ctx)), /^EINTERNAL: something else; .*report it/);
});

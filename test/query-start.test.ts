/**
 * A query's time limit covers the query, not the loading of the process that
 * runs it: a new query process takes a second or more to load its engines
 * (several on a busy machine, more from TypeScript sources, as here), and a
 * first query with a short limit must not fail for that. A query that does
 * run too long is still stopped at its limit.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

after(() => queryRunner().close());

test('the first query in a new process gets its whole time limit; a long query is still stopped', async () => {
  const db = await RvfDatabase.create(join(tempDir('rvf-query-start-'), 'start.rvf'), { dimensions: 2 });
  try {
    const started = performance.now();
    const first = await runQuery(db, 'sql', 'SELECT 1 AS one', [], { write: false, timeLimitMs: 150 });
    assert.deepEqual(first.rows, [[1]]);
    const took = performance.now() - started;
    // the test is only meaningful when loading took longer than the limit (it does from sources)
    assert.ok(took > 150, `the first query took ${took.toFixed(0)} ms, loading included`);

    const long = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c';
    await assert.rejects(runQuery(db, 'sql', long, [], { write: false, timeLimitMs: 300 }), (err: Error & { code?: string }) => err.code === 'ELIMIT' && /300 ms time limit/.test(err.message));
  } finally {
    await db.close();
  }
});

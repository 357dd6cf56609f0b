/**
 * A SPARQL text that makes oxigraph's parser recurse past its WebAssembly
 * stack (a few thousand OPTIONALs or path steps) traps, and leaves the one
 * WebAssembly instance of that query process broken for every store: before
 * this was handled, every later SPARQL query sent to that process failed with
 * "memory access out of bounds". Through the real query processes: the query
 * gets ELIMIT with what to do, the process is replaced, and the queries after
 * it are answered.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

after(() => queryRunner().close());

test('a SPARQL text that traps oxigraph gets ELIMIT, and the queries after it are answered', { timeout: 120_000 }, async () => {
  const db = await RvfDatabase.create(join(tempDir('rvf-sparql-trap-'), 'trap.rvf'), { dimensions: 2 });
  try {
    await runQuery(db, 'sparql', 'INSERT DATA { <http://example.org/a> <http://example.org/knows> <http://example.org/b> }', undefined, { write: true });
    const select = 'SELECT ?o WHERE { <http://example.org/a> <http://example.org/knows> ?o }';
    const expected = (await runQuery(db, 'sparql', select, undefined, { write: false })).rows;
    assert.equal(expected.length, 1);
    // 2,000 OPTIONALs are refused before oxigraph parses them (they trapped it)
    const optionals = `SELECT * WHERE { ?s ?p ?o ${Array.from({ length: 2000 }, (_, i) => `OPTIONAL { ?s ?p ?o${i} }`).join(' ')} }`;
    await assert.rejects(runQuery(db, 'sparql', optionals, undefined, { write: false }), (err: Error & { code?: string }) => err.code === 'ELIMIT' && /chains \d+ patterns, filters, OPTIONALs/.test(err.message));
    // a chain the check does not count (5,000 negations) still reaches oxigraph and traps it
    const negations = `${'!'.repeat(5000)}true`;
    for (const [text, write] of [
      [`SELECT * WHERE { ?s ?p ?o FILTER(${negations}) }`, false],
      [`DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(${negations}) }`, true],
    ] as const) {
      await assert.rejects(
        runQuery(db, 'sparql', text, undefined, { write }),
        (err: Error & { code?: string }) => err.code === 'ELIMIT' && /^the SPARQL engine ran out of stack on this text .*; split it into smaller queries or updates\.$/.test(err.message),
      );
      // the next queries go to a working process: the same answer, several times over
      for (let i = 0; i < 3; i++) assert.deepEqual((await runQuery(db, 'sparql', select, undefined, { write: false })).rows, expected, `query ${i} after a trap`);
    }
    // the refused update changed nothing
    assert.deepEqual((await runQuery(db, 'sparql', 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }', undefined, { write: false })).rows.length, 1);
    assert.deepEqual((await runQuery(db, 'sparql', select, undefined, { write: false })).rows, expected);
  } finally {
    await db.close();
  }
});

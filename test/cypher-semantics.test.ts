/**
 * Cypher's comparison, equality, ordering and NaN semantics (issue 12, the
 * openCypher TCK's expressions/comparison, clauses/*-orderBy, aggregation),
 * on a real store through runQuery, so the comparator functions must exist on
 * the query child's connections:
 *
 * - equality and IN with ternary logic over lists, maps and nulls inside them;
 * - ordering comparisons: incomparable types give null, integers and floats
 *   compare exactly (beyond 2^53), lists lexicographically, strings by code
 *   point;
 * - a property of unknown type compared with a known scalar (the plain SQL
 *   path) is not fooled by a boolean stored as 1 or a list's JSON text;
 * - ORDER BY over a mixed column in Cypher's global order (map < node <
 *   relationship < list < string < boolean < number < NaN < null), ascending
 *   and descending; min/max in that order; DISTINCT and grouping keys where 1
 *   and 1.0 are one value and lists and maps group by value;
 * - NaN and Infinity from division, shown as strings; integer division by
 *   zero and boolean operators on non-booleans are errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

type Params = Record<string, unknown>;

let db: RvfDatabase;
const dir = tempDir('rvf-cypher-semantics-');

before(async () => {
  db = await RvfDatabase.create(join(dir, 's.rvf'), { dimensions: 2 });
  await runQuery(db, 'cypher', "CREATE (:N {k: 1})-[:R {w: 2}]->(:M), (:P {v: true}), (:P {v: 1}), (:P {v: [1]}), (:P {v: '1'}), (:P {v: 2.5}), (:P)", {}, { write: true });
});

after(async () => {
  await db.close();
  await queryRunner().close();
});

async function rows(q: string, params: Params = {}): Promise<unknown[][]> {
  return (await runQuery(db, 'cypher', q, params, { write: false })).rows;
}

/** The one row a query returns. */
async function row(q: string, params: Params = {}): Promise<unknown[]> {
  const r = await rows(q, params);
  assert.equal(r.length, 1, `${q}: one row`);
  return r[0] as unknown[];
}

describe('equality and IN: ternary logic', () => {
  const cases: [string, unknown][] = [
    ['{k: null} = {k: null}', null],
    ['{k: 1} = {k: null}', null],
    ['{k: 1, l: null} = {k: null, l: 1}', null],
    ['{k: 1} = {k: 1, l: 2}', false],
    ['{a: 1, b: [1, 2]} = {b: [1.0, 2], a: 1}', true],
    ['[1, 2] IN [[null, 2]]', null],
    ['[1, 2] IN [[null, 2], [1, 2]]', true],
    ['[1, 2] IN [[1, 3]]', false],
    ['1 IN [1.0]', true],
    ['true IN [1]', false],
    ['null IN []', false],
    ['null IN [1]', null],
    ['2 IN [1, null]', null],
    ['[1, null] = [1, null]', null],
    ['[null] = [1]', null],
    ['[1, 2] = [1, 3]', false],
    ['[null, 2] = [1, 3]', false],
    ['[1, 2] = [1, 2, 3]', false],
    ['[1, 2] = [1.0, 2]', true],
    ['[[1], [2]] = [[1], [null]]', null],
    ['1 = 1.0', true],
    ["'1' = 1", false],
    ['true = 1', false],
    ['[1] = 1', false],
    ['[1, null] <> [1, null]', null],
    ['[1, 2] <> [1, 3]', true],
  ];
  for (const [expr, expected] of cases) {
    test(`${expr} is ${String(expected)}`, async () => {
      assert.deepEqual(await row(`RETURN ${expr} AS r`), [expected]);
    });
  }
});

describe('ordering comparisons', () => {
  const cases: [string, unknown][] = [
    ["'1' < 1", null],
    ["'1' <= 1", null],
    ["'1' > 1", null],
    ["'1' >= 1", null],
    ['true < 1', null],
    ['false < true', true],
    ['1 < 1.5', true],
    ['9007199254740993 > 9007199254740992.0', true],
    ['9007199254740993 = 9007199254740992.0', false],
    ['9007199254740992 = 9007199254740992.0', true],
    ['-9007199254740993 < -9007199254740992.0', true],
    ['[1, 2] < [1, 3]', true],
    ['[1] < [1, 0]', true],
    ['[1, null] >= [1]', true],
    ['[1, 2] >= [1, null]', null],
    ["[1, 'a'] >= [1, null]", null],
    ['[1, 2] >= [3, null]', false],
    ["[1, 'a'] < [1, 2]", null],
    ["[1, 'a'] < [2, 'b']", true],
    ['{a: 1} < {a: 2}', null],
    ["'B' < 'a'", true],
  ];
  for (const [expr, expected] of cases) {
    test(`${expr} is ${String(expected)}`, async () => {
      assert.deepEqual(await row(`RETURN ${expr} AS r`), [expected]);
    });
  }

  test('strings compare by code point, natively and inside lists', async () => {
    // UTF-16 code units would put U+1F600 (a surrogate pair) below U+FFFF
    const p = { a: '\uffff', b: '\u{1f600}' };
    assert.deepEqual(await row('RETURN $a < $b, [$a] < [$b], $b > $a', p), [true, true, true]);
    assert.deepEqual(await row('UNWIND [$b, $a] AS x WITH x ORDER BY x RETURN collect(x)', p), [[p.a, p.b]]);
  });
});

describe('a property of unknown type against a known scalar', () => {
  test('= and < only match values of that type', async () => {
    assert.deepEqual(await row('MATCH (n:P) WHERE n.v = 1 RETURN count(*)'), [1]);
    assert.deepEqual(await row('MATCH (n:P) WHERE n.v = $x RETURN count(*)', { x: '1' }), [1]);
    assert.deepEqual(await row("MATCH (n:P) WHERE n.v = '[1]' RETURN count(*)"), [0]);
    assert.deepEqual(await row('MATCH (n:P) WHERE n.v = true RETURN count(*)'), [1]);
    assert.deepEqual(await row('MATCH (n:P) WHERE n.v < 2 RETURN n.v'), [1]);
    assert.deepEqual(await row("MATCH (n:P) WHERE n.v >= '' RETURN n.v"), ['1']);
    assert.deepEqual(await row('MATCH (n:P) WHERE n.v = [1.0] RETURN n.v'), [[1]]);
    assert.deepEqual(await rows("MATCH (n:P) WHERE n.v IN [1, '1'] RETURN n.v ORDER BY n.v"), [['1'], [1]]);
    assert.deepEqual(await rows('MATCH (n:P) WHERE n.v IN $xs RETURN n.v ORDER BY n.v', { xs: [2.5, true, [1]] }), [[[1]], [true], [2.5]]);
    // <> is null for the node without v, false for 1, true for the rest
    assert.deepEqual(await row('MATCH (n:P) WHERE n.v <> 1 RETURN count(*)'), [4]);
  });

  test('map.k IS NULL when k holds null', async () => {
    assert.deepEqual(await row('WITH {k: null, l: 1} AS m RETURN m.k IS NULL, m.k IS NOT NULL, m.l IS NULL, m.x IS NULL'), [true, false, false, true]);
    assert.deepEqual(await row("WITH {k: null} AS m RETURN m['k'] IS NULL, [null][0] IS NULL"), [true, true]);
  });
});

describe('ORDER BY in Cypher order across types', () => {
  const node = { labels: ['N'], properties: { k: 1 } };
  const rel = { type: 'R', properties: { w: 2 } };
  /** Entities without their ids, which the store chooses. */
  const strip = (v: unknown): unknown => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'id' in v) {
      const { id: _id, start: _s, end: _e, ...rest } = v as Record<string, unknown>;
      return rest;
    }
    return v;
  };
  const mixed = "MATCH (n:N)-[r:R]->() UNWIND [2, n, 1.5, 'text', null, ['list'], r, false, {a: 'map'}, 'Text', [], true, 0.0 / 0.0, -1] AS x RETURN x";
  // NaN inside a list literal is the string "NaN" (JSON has no NaN): it sorts as a string there
  const ascending = [{ a: 'map' }, node, rel, [], ['list'], 'NaN', 'Text', 'text', false, true, -1, 1.5, 2, null];

  test('ascending: map < node < relationship < list < string < boolean < number < NaN < null', async () => {
    const r = await rows(`${mixed} ORDER BY x`);
    assert.deepEqual(
      r.map((x) => strip(x[0])),
      ascending,
    );
  });

  test('descending is the exact reverse, null first', async () => {
    const r = await rows(`${mixed} ORDER BY x DESC`);
    assert.deepEqual(
      r.map((x) => strip(x[0])),
      [...ascending].reverse(),
    );
    assert.equal(r[0]?.[0], null);
  });

  test('a property column mixing types, ASC and DESC, and WITH ORDER BY LIMIT', async () => {
    const asc = [[[1]], ['1'], [true], [1], [2.5], [null]];
    assert.deepEqual(await rows('MATCH (n:P) RETURN n.v ORDER BY n.v'), asc);
    assert.deepEqual(await rows('MATCH (n:P) RETURN n.v ORDER BY n.v DESC'), [...asc].reverse());
    assert.deepEqual(await rows('MATCH (n:P) WITH n ORDER BY n.v DESC LIMIT 2 RETURN n.v'), [[null], [2.5]]);
  });

  test('a NaN computed in the query sorts after every number, before null', async () => {
    assert.deepEqual(await rows('UNWIND [1.0, 0.0, 2.0, null] AS d WITH 1.0 / d AS x RETURN x ORDER BY x'), [[0.5], [1], ['Infinity'], [null]]);
    assert.deepEqual(await rows('UNWIND [1, 0, -1] AS d WITH d * 1.0 / 0.0 AS x RETURN x ORDER BY x'), [['-Infinity'], ['Infinity'], ['NaN']]);
    assert.deepEqual(await rows('UNWIND [1, 0, -1] AS d WITH d * 1.0 / 0.0 AS x RETURN x ORDER BY x DESC'), [['NaN'], ['Infinity'], ['-Infinity']]);
  });
});

describe('min, max, DISTINCT and grouping', () => {
  test('min and max over mixed values follow the same order', async () => {
    assert.deepEqual(await row("UNWIND [1, 'a', [1], true, null] AS x RETURN min(x), max(x)"), [[1], 1]);
    assert.deepEqual(await row("UNWIND ['b', 'a', true] AS x RETURN min(x), max(x)"), ['a', true]);
    assert.deepEqual(await row('MATCH (n:P) RETURN min(n.v), max(n.v)'), [[1], 2.5]);
    assert.deepEqual(await row('UNWIND [[1, 2], [1], [0, 9]] AS x RETURN min(x), max(x)'), [[0, 9], [1, 2]]);
    assert.deepEqual(await row('UNWIND [true, false] AS x WITH x = true AS b RETURN min(b), max(b)'), [false, true]);
  });

  test('DISTINCT: 1 and 1.0 are one value; lists and maps by value', async () => {
    assert.deepEqual(await rows('UNWIND [1, 1.0, 2] AS x RETURN DISTINCT x ORDER BY x'), [[1], [2]]);
    assert.deepEqual(await rows('UNWIND [1, 1.0, 2, [1], [1.0], {a: 1, b: 2}, {b: 2, a: 1}, null, null] AS x RETURN DISTINCT x ORDER BY x'), [[{ a: 1, b: 2 }], [[1]], [1], [2], [null]]);
    assert.deepEqual(await rows('WITH [1.0, 1] AS xs UNWIND xs AS x WITH DISTINCT x RETURN count(*)'), [[1]]);
    assert.deepEqual(await rows("UNWIND [1, 1.0, [1], [1.0], 'a', null] AS x RETURN count(DISTINCT x)"), [[3]]);
  });

  test('grouping keys: 1 and 1.0 group together, lists by value, a string apart from a number', async () => {
    assert.deepEqual(await rows("UNWIND [1, 1.0, 2, [1], [1.0], '1'] AS x RETURN x, count(*) ORDER BY x"), [[[1], 2], ['1', 1], [1, 2], [2, 1]]);
  });
});

describe('NaN, Infinity and division', () => {
  test('0.0 / 0.0 is NaN and compares as Cypher says', async () => {
    assert.deepEqual(await row('RETURN 0.0 / 0.0 AS n, 0.0 / 0.0 = 0.0 / 0.0, 0.0 / 0.0 <> 0.0 / 0.0, 0.0 / 0.0 = 1, 0.0 / 0.0 > 1, 0.0 / 0.0 <= 1, 0.0 / 0.0 > \'a\''), ['NaN', false, true, false, false, false, null]);
  });

  test('NaN survives arithmetic and later clauses', async () => {
    assert.deepEqual(await row('WITH 0.0 / 0.0 AS x RETURN x = x, x <> x, x + 1, x * 0, -x, x > 1'), [false, true, 'NaN', 'NaN', 'NaN', false]);
  });

  test('float division by zero is ±Infinity; integer division truncates; % keeps fractions', async () => {
    assert.deepEqual(await row('RETURN 1.0 / 0, -1 / 0.0, 7 / 2, -7 / 2, 7 % -3, 7.5 % 2, 1.0 / 0 > 9007199254740993'), ['Infinity', '-Infinity', 3, -3, 1, 1.5, true]);
  });

  test('integer division or modulo by zero is an error', async () => {
    await assert.rejects(rows('RETURN 1 / 0'), (err: Error & { code?: string }) => err.code === 'EINVAL' && /division by zero/.test(err.message));
    await assert.rejects(rows('UNWIND [1, 0] AS d RETURN 5 % d'), (err: Error & { code?: string }) => err.code === 'EINVAL' && /modulo by zero/.test(err.message));
  });

  test('AND, OR, XOR and NOT on a known non-boolean is an error', async () => {
    for (const q of ['RETURN 123 AND true', "RETURN 'x' OR false", 'RETURN [] XOR true', 'RETURN NOT {}']) {
      await assert.rejects(rows(q), (err: Error & { code?: string }) => err.code === 'EINVAL' && /needs a boolean/.test(err.message), q);
    }
  });
});

describe('after a DELETE, and WITH * with nothing in scope', () => {
  async function write(q: string): Promise<{ rows: unknown[][]; stats?: Record<string, number> }> {
    return runQuery(db, 'cypher', q, {}, { write: true });
  }

  test('a deleted relationship keeps its type; properties and labels of deleted entities are an error that changes nothing', async () => {
    await write("CREATE (:Del {name: 'a'})-[:GONE {w: 1}]->(:Del {name: 'b'})");
    const typed = await write('MATCH (:Del)-[r:GONE]->(:Del) DELETE r RETURN type(r), id(r) IS NOT NULL');
    assert.deepEqual(typed.rows, [['GONE', true]]);
    assert.equal(typed.stats?.relationshipsDeleted, 1);
    await write("MATCH (a:Del {name: 'a'}), (b:Del {name: 'b'}) CREATE (a)-[:GONE {w: 2}]->(b)");
    for (const q of [
      "MATCH (n:Del {name: 'a'}) DETACH DELETE n RETURN n.name",
      "MATCH (n:Del {name: 'a'}) DETACH DELETE n RETURN labels(n)",
      'MATCH (:Del)-[r:GONE]->(:Del) DELETE r RETURN r.w',
      // a relationship DETACH DELETE removed with its node
      "MATCH (n:Del {name: 'a'})-[r:GONE]->() DETACH DELETE n RETURN r.w",
    ]) {
      await assert.rejects(write(q), /was deleted earlier in this query/, q);
    }
    assert.deepEqual(await rows("MATCH (n:Del)-[r:GONE]->(m) RETURN n.name, r.w, m.name"), [['a', 2, 'b']], 'the refused writes changed nothing');
    // a node that was never there reads as null, as before
    assert.deepEqual(await rows('OPTIONAL MATCH (n:Nowhere) RETURN n.name, labels(n)'), [[null, null]]);
  });

  test('WITH * with nothing in scope passes its rows on', async () => {
    await write('CREATE (:Star), (:Star)');
    const r = await write('MATCH (:Star) CREATE (:Made) WITH * CREATE (:Made) RETURN count(*) AS rows');
    assert.deepEqual(r.rows, [[2]]);
    assert.equal(r.stats?.nodesCreated, 4);
    assert.deepEqual(await rows('WITH * RETURN 1 AS one'), [[1]]);
  });
});

describe('64-bit integer overflow', () => {
  test('a write whose arithmetic overflows is refused whole: the counters stay exact and unchanged', async () => {
    const write = async (q: string): Promise<unknown> => runQuery(db, 'cypher', q, {}, { write: true });
    await write("UNWIND [1, 9223372036854775806] AS c CREATE (:Counter {c: c, name: toString(c)})");
    // the first row's +1 is fine and the second's reaches the top exactly; one more overflows for the second
    await write('MATCH (n:Counter) SET n.c = n.c + 1');
    assert.deepEqual(await rows('MATCH (n:Counter) RETURN n.c ORDER BY n.c'), [[2], ['9223372036854775807']]);
    await assert.rejects(write('MATCH (n:Counter) SET n.c = n.c + 1'), /integer overflow in \+/);
    await assert.rejects(write('MATCH (n:Counter) SET n.c = n.c * 2, n.touched = true'), /integer overflow in \*/);
    assert.deepEqual(await rows('MATCH (n:Counter) RETURN n.c, n.touched ORDER BY n.c'), [
      [2, null],
      ['9223372036854775807', null],
    ]);
  });
});

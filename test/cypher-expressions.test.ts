/**
 * Cypher expressions agents use daily (issue 12), on a real store through
 * runQuery (the query child, its reader and writer connections, the
 * cypher_* SQLite functions registered there): list comprehensions,
 * quantifiers, reduce, slices, map projections, the added functions and
 * aggregates, =~, and SKIP/LIMIT expressions. Each case asserts exact values,
 * nulls and empty lists included, and uses in WHERE, WITH, ORDER BY and SET.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

after(() => queryRunner().close());

type Params = Record<string, unknown>;

interface Case {
  q: string;
  params?: Params;
  /** exact rows, in order */
  rows?: unknown[][];
  /** the error message must match */
  error?: RegExp;
}

/** The graph every read case sees (written once in `before`). */
const GRAPH = `
CREATE (a:Entity {name: 'ada', type: 'person', obs: ['likes tea', 'writes code', 'owns a cat'], score: 3}),
       (b:Entity {name: 'bob', type: 'person', obs: [], score: 5}),
       (c:Entity {name: 'cyc', type: 'project', obs: ['in rust']}),
       (a)-[:KNOWS {since: 2010, w: 0.5}]->(b),
       (a)-[:WORKS_ON {role: 'lead'}]->(c),
       (b)-[:WORKS_ON {role: 'dev'}]->(c)`;

const CASES: Case[] = [
  // ------------------------------------------------ list comprehensions
  { q: 'RETURN [x IN [1, 2, 3, 4] WHERE x % 2 = 0] AS evens', rows: [[[2, 4]]] },
  { q: 'RETURN [x IN [1, 2, 3] | x * 10] AS tens', rows: [[[10, 20, 30]]] },
  { q: 'RETURN [x IN [1, 2, 3, 4] WHERE x > 1 | x * x] AS sq', rows: [[[4, 9, 16]]] },
  { q: 'RETURN [x IN [3, 1, 2]] AS same', rows: [[[3, 1, 2]]] },
  { q: 'RETURN [x IN [] | x] AS e, [x IN null | x] AS n', rows: [[[], null]] },
  { q: 'RETURN [x IN [1, null, 3] | x] AS keep, [x IN [1, null, 3] WHERE x IS NOT NULL] AS drop', rows: [[[1, null, 3], [1, 3]]] },
  { q: "RETURN [x IN ['b', 'a', 'c'] | toUpper(x)] AS order_kept", rows: [[['B', 'A', 'C']]] },
  { q: 'RETURN [x IN [[1, 2], [3], []] | [y IN x | y * 2]] AS nested', rows: [[[[2, 4], [6], []]]] },
  { q: 'RETURN [x IN [[1, 2], [3]] WHERE size(x) > 1 | [y IN x WHERE y > 1]] AS nested_where', rows: [[[[2]]]] },
  { q: 'RETURN [x IN [true, false, null] | x] AS bools', rows: [[[true, false, null]]] },
  { q: "RETURN [m IN [{a: 1}, {a: 2}] | m.a] AS fields, [l IN [[1], ['x']] | l[0]] AS heads", rows: [[[1, 2], [1, 'x']]] },
  // shadowing: the comprehension's x hides the outer x only inside it
  { q: 'WITH 100 AS x RETURN [x IN [1, 2] | x + 1] AS inner, x AS outer', rows: [[[2, 3], 100]] },
  { q: 'WITH 100 AS x RETURN [y IN [1, 2] | x + y] AS closes_over', rows: [[[101, 102]]] },
  { q: 'RETURN [x IN $list WHERE x <> $drop] AS kept', params: { list: ['a', 'b', 'c', 'b'], drop: 'b' }, rows: [[['a', 'c']]] },
  // over node lists: the elements stay nodes
  { q: "MATCH (n:Entity) WITH collect(n) AS ns RETURN [n IN ns WHERE n.type = 'person' | n.name] AS people", rows: [[['ada', 'bob']]] },
  { q: "MATCH (n:Entity) WITH n ORDER BY n.name WITH collect(n) AS ns RETURN size([n IN ns WHERE n.score > 4]) AS high, [n IN ns | labels(n)[0]] AS l", rows: [[1, ['Entity', 'Entity', 'Entity']]] },
  { q: "MATCH (n:Entity {name: 'ada'}) RETURN [o IN n.obs WHERE o CONTAINS 'a' | toUpper(o)] AS obs", rows: [[['LIKES TEA', 'OWNS A CAT']]] },
  // in WHERE and ORDER BY
  { q: "MATCH (n:Entity) WHERE size([o IN n.obs WHERE o STARTS WITH 'in']) > 0 RETURN n.name", rows: [['cyc']] },
  { q: 'MATCH (n:Entity) RETURN n.name ORDER BY size([o IN n.obs | o]) DESC, n.name', rows: [['ada'], ['cyc'], ['bob']] },
  { q: 'UNWIND [1, 2, 3] AS i WITH i, [x IN range(1, i) | x] AS upto RETURN i, upto ORDER BY i', rows: [[1, [1]], [2, [1, 2]], [3, [1, 2, 3]]] },
  { q: 'UNWIND [1, 2, 3] AS i RETURN [x IN collect(i) WHERE x > 1] AS agg', rows: [[[2, 3]]] },
  { q: 'RETURN [x IN 5 | x]', error: /list comprehension needs a list/ },

  // ------------------------------------------------ quantifiers (three-valued)
  { q: 'RETURN all(x IN [1, 2] WHERE x > 0) AS a, any(x IN [1, 2] WHERE x > 1) AS b, none(x IN [1, 2] WHERE x > 5) AS c, single(x IN [1, 2] WHERE x > 1) AS d', rows: [[true, true, true, true]] },
  { q: 'RETURN all(x IN [1, 2] WHERE x > 1) AS a, any(x IN [1, 2] WHERE x > 5) AS b, none(x IN [1, 2] WHERE x > 1) AS c, single(x IN [1, 2] WHERE x > 0) AS d', rows: [[false, false, false, false]] },
  { q: 'RETURN all(x IN [] WHERE x > 0) AS a, any(x IN [] WHERE x > 0) AS b, none(x IN [] WHERE x > 0) AS c, single(x IN [] WHERE x > 0) AS d', rows: [[true, false, true, false]] },
  { q: 'RETURN all(x IN null WHERE x > 0) AS a, any(x IN null WHERE x > 0) AS b', rows: [[null, null]] },
  // a null predicate result: null unless the others decide
  { q: 'RETURN all(x IN [1, null] WHERE x > 0) AS a, all(x IN [0, null] WHERE x > 0) AS b', rows: [[null, false]] },
  { q: 'RETURN any(x IN [0, null] WHERE x > 0) AS a, any(x IN [1, null] WHERE x > 0) AS b', rows: [[null, true]] },
  { q: 'RETURN none(x IN [0, null] WHERE x > 0) AS a, none(x IN [1, null] WHERE x > 0) AS b', rows: [[null, false]] },
  { q: 'RETURN single(x IN [2, null] WHERE x = 2) AS a, single(x IN [2, 2, null] WHERE x = 2) AS b, single(x IN [null, 1] WHERE x IS NULL) AS c', rows: [[null, false, true]] },
  { q: "MATCH (n:Entity) WHERE any(o IN n.obs WHERE o = 'in rust') RETURN n.name", rows: [['cyc']] },
  { q: 'MATCH (n:Entity) WHERE none(o IN n.obs WHERE o IS NOT NULL) RETURN n.name', rows: [['bob']] },
  { q: 'WITH 1 AS x RETURN all(x IN [5, 6] WHERE x > 4) AS shadow, x', rows: [[true, 1]] },

  // ------------------------------------------------ simple CASE: Cypher's equality, not SQLite's (true is not 1)
  { q: "RETURN CASE true WHEN 1 THEN 'one' WHEN true THEN 'true' ELSE 'other' END AS c, CASE 1 WHEN 1.0 THEN 'one' END AS d, CASE null WHEN null THEN 'x' ELSE 'no' END AS e", rows: [['true', 'one', 'no']] },
  { q: "MATCH (n:Entity {name: 'ada'}) RETURN CASE n.name WHEN 'ada' THEN 1 ELSE 0 END AS named, CASE n.obs WHEN 1 THEN 'n' ELSE 'list' END AS obs", rows: [[1, 'list']] },
  { q: "UNWIND [true, 1, '1'] AS x RETURN CASE x WHEN 1 THEN 'one' WHEN '1' THEN 'text' ELSE 'bool' END AS c", rows: [['bool'], ['one'], ['text']] },

  // ------------------------------------------------ case mapping beyond ASCII (SQLite's lower() leaves 'É' as it is)
  { q: "RETURN toLower('ÉCOLE Straße'), toUpper('straße é'), toLower('ABC'), toUpper(null), 'Élodie' STARTS WITH toUpper('é')", rows: [['école straße', 'STRASSE É', 'abc', null, true]] },

  // ------------------------------------------------ a node's property read where it sits in a list or map
  { q: "MATCH (n:Entity {name: 'ada'}) WITH collect({node: n, at: 1}) AS xs RETURN [x IN xs | x.node.name] AS names", rows: [[['ada']]] },
  { q: "MATCH (n:Entity {name: 'ada'}) WITH [n, 1] AS l, {n: n} AS m RETURN (l[0]).name, m.n.name, (l[0]).missing", rows: [['ada', 'ada', null]] },
  // a map that only looks like a node (a key too many) is read as the map it is
  { q: 'WITH {id: 1, labels: [], properties: {a: 2}, extra: 1} AS m RETURN m.a, m.extra, m.properties.a', rows: [[null, 1, 2]] },

  // ------------------------------------------------ reduce
  { q: 'RETURN reduce(s = 0, x IN [1, 2, 3] | s + x) AS sum', rows: [[6]] },
  { q: "RETURN reduce(s = '', x IN ['a', 'b', 'c'] | s + x) AS cat", rows: [['abc']] },
  { q: 'RETURN reduce(acc = [], x IN [1, 2, 3] | [x] + acc) AS reversed', rows: [[[3, 2, 1]]] },
  { q: 'RETURN reduce(s = 0, x IN [] | s + x) AS empty, reduce(s = 0, x IN null | s + x) AS nul', rows: [[0, null]] },
  { q: 'RETURN reduce(s = 1, x IN [1, null] | s + x) AS with_null', rows: [[null]] },
  { q: 'RETURN reduce(m = 0, x IN [3, 9, 4] | CASE WHEN x > m THEN x ELSE m END) AS max', rows: [[9]] },
  { q: "MATCH (n:Entity {name: 'ada'}) RETURN reduce(total = 0, o IN n.obs | total + size(o)) AS chars", rows: [[30]] },
  { q: 'RETURN reduce(s = 0, x IN [[1, 2], [3]] | s + reduce(t = 0, y IN x | t + y)) AS nested', rows: [[6]] },

  // ------------------------------------------------ slices
  { q: 'WITH [1, 2, 3, 4, 5] AS l RETURN l[1..3] AS a, l[..2] AS b, l[3..] AS c, l[-2..] AS d, l[..-1] AS e', rows: [[[2, 3], [1, 2], [4, 5], [4, 5], [1, 2, 3, 4]]] },
  { q: 'WITH [1, 2, 3] AS l RETURN l[0..0] AS e, l[2..1] AS inverted, l[-5..5] AS clamped', rows: [[[], [], [1, 2, 3]]] },
  { q: 'WITH [1, 2, 3] AS l RETURN l[null..2] AS a, l[1..null] AS b, null[0..1] AS c', rows: [[null, null, null]] },
  { q: 'RETURN $l[$a..$b] AS p', params: { l: ['x', 'y', 'z'], a: 1, b: 3 }, rows: [[['y', 'z']]] },
  { q: "MATCH (n:Entity {name: 'ada'}) RETURN n.obs[-1..] AS last_obs", rows: [[['owns a cat']]] },
  { q: 'RETURN [1, 2, 3][0] AS first, [1, 2, 3][-1] AS last', rows: [[1, 3]] },

  // ------------------------------------------------ map projections
  { q: "MATCH (n:Entity {name: 'ada'}) RETURN n {.name, .type} AS m", rows: [[{ name: 'ada', type: 'person' }]] },
  { q: "MATCH (n:Entity {name: 'bob'}) RETURN n {.*} AS m", rows: [[{ name: 'bob', type: 'person', obs: [], score: 5 }]] },
  { q: "MATCH (n:Entity {name: 'cyc'}) RETURN n {.name, .missing} AS m", rows: [[{ name: 'cyc', missing: null }]] },
  { q: "MATCH (n:Entity {name: 'ada'})-[r:KNOWS]->(b) WITH n, b, r, 7 AS k RETURN n {.name, friend: b.name, k, n_obs: size(n.obs)} AS m, r {.since} AS rel", rows: [[{ name: 'ada', friend: 'bob', k: 7, n_obs: 3 }, { since: 2010 }]] },
  { q: "MATCH (n:Entity {name: 'cyc'}) RETURN n {.*, name: 'renamed', extra: true} AS m", rows: [[{ name: 'renamed', type: 'project', obs: ['in rust'], extra: true }]] },
  { q: 'WITH {a: 1, b: 2} AS m RETURN m {.a, c: 3} AS p, m {.*} AS all', rows: [[{ a: 1, c: 3 }, { a: 1, b: 2 }]] },
  { q: 'OPTIONAL MATCH (n:Nope) RETURN n {.name} AS m', rows: [[null]] },
  { q: 'MATCH (n:Entity) RETURN n {.name} AS m ORDER BY m.name', rows: [[{ name: 'ada' }], [{ name: 'bob' }], [{ name: 'cyc' }]] },
  { q: 'RETURN x {.a}', error: /variable x is not defined/ },
  // an aggregate inside a projection groups by the projected variable, as in Neo4j
  { q: 'MATCH (n:Entity)-[:WORKS_ON|KNOWS]->(x) RETURN n {.name, to: collect(x.name)} AS m ORDER BY m.name', rows: [[{ name: 'ada', to: ['bob', 'cyc'] }], [{ name: 'bob', to: ['cyc'] }]] },

  // ------------------------------------------------ functions
  { q: 'RETURN range(1, 4) AS a, range(0, 10, 5) AS b, range(3, 1, -1) AS c, range(1, 0) AS d', rows: [[[1, 2, 3, 4], [0, 5, 10], [3, 2, 1], []]] },
  { q: 'RETURN range(1, 3, 0)', error: /step must not be 0/ },
  { q: "RETURN range(1, 'x')", error: /range\(\) takes integers/ },
  { q: "RETURN split('a,b,,c', ',') AS a, split('abc', '') AS b, split(null, ',') AS c", rows: [[['a', 'b', '', 'c'], ['a', 'b', 'c'], null]] },
  { q: "RETURN reverse('abc') AS s, reverse([1, 2, 3]) AS l, reverse([]) AS e, reverse(null) AS n", rows: [['cba', [3, 2, 1], [], null]] },
  { q: "MATCH (n:Entity {name: 'ada'}) RETURN reverse(n.obs)[0] AS r, reverse(n.name) AS s", rows: [['owns a cat', 'ada']] },
  { q: 'RETURN tail([1, 2, 3]) AS t, tail([1]) AS one, tail([]) AS e, tail(null) AS n', rows: [[[2, 3], [], [], null]] },
  { q: "RETURN isEmpty([]) AS a, isEmpty([1]) AS b, isEmpty('') AS c, isEmpty({}) AS d, isEmpty(null) AS e", rows: [[true, false, true, true, null]] },
  { q: "MATCH (n:Entity) WHERE isEmpty(n.obs) RETURN n.name", rows: [['bob']] },
  { q: "RETURN toBoolean('true') AS a, toBoolean('FALSE') AS b, toBoolean('x') AS c, toBoolean(true) AS d, toBoolean(0) AS e, toBoolean(null) AS f", rows: [[true, false, null, true, false, null]] },
  { q: "RETURN toBooleanOrNull([1]) AS a, toStringOrNull(12) AS b, toStringOrNull([1]) AS c, toIntegerOrNull('7') AS d, toIntegerOrNull('x') AS e, toFloatOrNull({}) AS f", rows: [[null, '12', null, 7, null, null]] },
  { q: 'RETURN toBoolean([1])', error: /toBoolean\(\) takes a boolean, string or integer/ },
  { q: "RETURN left('hello', 2) AS l, right('hello', 3) AS r, ltrim('  x ') AS lt, rtrim(' x  ') AS rt", rows: [['he', 'llo', 'x ', ' x']] },
  { q: 'RETURN sign(-3) AS a, ceil(1.2) AS b, floor(1.8) AS c, sqrt(16) AS d, abs(-2) AS e', rows: [[-1, 2, 1, 4, 2]] },
  // out of their domain, as in Neo4j (IEEE), where SQLite's own functions give null; a float stays a float
  { q: 'RETURN sqrt(-1) AS a, log(0) AS b, log(-1) AS c, log10(0) AS d, asin(2) AS e, acos(-2) AS f, sqrt(null) AS g, toString(sqrt(4)) AS h', rows: [['NaN', '-Infinity', 'NaN', '-Infinity', 'NaN', 'NaN', null, '2.0']] },
  { q: 'WITH sqrt(-1) AS n RETURN n = n AS eq, n + 1 AS plus, log(0) < -1e308 AS low, sqrt(n) AS again', rows: [[false, 'NaN', true, 'NaN']] },
  { q: "RETURN sqrt('4')", error: /sqrt\(\) needs numbers/ },
  // 64-bit integers overflow with an error, as in Neo4j, never into a float (SQLite's own + - * do that silently)
  { q: 'RETURN 9223372036854775807 + 1 AS x', error: /integer overflow in \+/ },
  { q: 'WITH 9223372036854775807 AS m RETURN m * 2 AS x', error: /integer overflow in \*/ },
  { q: 'WITH -9223372036854775808 AS m RETURN -m AS x', error: /integer overflow in -/ },
  { q: 'UNWIND [4611686018427387904] AS m RETURN m + m AS x', error: /integer overflow in \+/ },
  { q: 'WITH 9223372036854775807 AS m RETURN m - 1 AS a, -m AS b, m - m AS c', rows: [['9223372036854775806', '-9223372036854775807', 0]] },
  // a long chain still compiles (each check nests a call; SQLite refuses calls nested a few hundred deep)
  { q: `RETURN ${Array.from({ length: 500 }, (_, i) => i).join(' + ')} AS s`, rows: [[124750]] },
  // floats that large are floats, and the nested form stays exact
  { q: 'RETURN 1e19 * 2 AS f, 9.3e18 + 1 AS g, 9223372036854775807 + 1.0 AS h, 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 AS s', rows: [[2e19, 9.3e18, 9223372036854775808, 55]] },
  { q: 'RETURN round(exp(1) * 1000) AS e1, round(`e`() * 1000) AS e2, round(pi() * 1000) AS p, log(1) AS l, log10(1000) AS l10', rows: [[2718, 2718, 3142, 0, 3]] },
  { q: 'RETURN sin(0) AS s, cos(0) AS c, round(tan(pi() / 4) * 1000) AS t, round(atan2(1, 1) * 1000) AS a2, degrees(pi()) AS d, radians(180) = pi() AS r, haversin(0) AS h', rows: [[0, 1, 1000, 785, 180, true, 0]] },
  { q: 'RETURN rand() >= 0 AND rand() < 1 AS ok', rows: [[true]] },
  { q: 'WITH rand() AS r RETURN r = r AS same', rows: [[true]] },
  { q: "WITH randomUUID() AS u RETURN size(u) AS len, u = u AS same, u =~ '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}' AS v4", rows: [[36, true, true]] },
  { q: 'UNWIND range(1, 3) AS i WITH randomUUID() AS u RETURN count(DISTINCT u) AS distinct_ids', rows: [[3]] },

  // ------------------------------------------------ =~ (whole-string match)
  { q: "RETURN 'abc' =~ 'a.*' AS a, 'abc' =~ 'b' AS b, 'abc' =~ '.*b.*' AS c, 'ABC' =~ '(?i)abc' AS d, null =~ 'a' AS e, 'a' =~ null AS f, 1 =~ '1' AS g", rows: [[true, false, true, true, null, null, null]] },
  { q: "MATCH (n:Entity) WHERE n.name =~ '[ab].*' RETURN n.name ORDER BY n.name", rows: [['ada'], ['bob']] },
  { q: 'MATCH (n:Entity) WHERE n.name =~ $re RETURN n.name', params: { re: 'c.c' }, rows: [['cyc']] },
  { q: "RETURN 'a' =~ '('", error: /regular expression "\(" is not valid/ },

  // ------------------------------------------------ aggregates
  { q: 'UNWIND [10, 20, 30, 40] AS x RETURN percentileCont(x, 0.5) AS c, percentileDisc(x, 0.5) AS d, percentileCont(x, 0) AS c0, percentileDisc(x, 1) AS d1', rows: [[25, 20, 10, 40]] },
  { q: 'UNWIND [1, 2, 3, 4, null] AS x RETURN stDev(x) AS s, stDevP(x) AS p', rows: [[Math.sqrt(5 / 3), Math.sqrt(5 / 4)]] },
  { q: 'UNWIND [5] AS x RETURN stDev(x) AS s, stDevP(x) AS p', rows: [[0, 0]] },
  { q: 'UNWIND [] AS x RETURN percentileCont(x, 0.5) AS c, stDev(x) AS s', rows: [[null, 0]] },
  { q: "MATCH (n:Entity) WHERE n.score IS NOT NULL RETURN n.type, percentileCont(n.score, 0.5) AS med ORDER BY n.type", rows: [['person', 4]] },
  { q: 'UNWIND [1, 2] AS x RETURN percentileCont(x, 1.5)', error: /between 0.0 and 1.0/ },

  // ------------------------------------------------ SKIP / LIMIT expressions
  { q: 'UNWIND range(1, 10) AS x RETURN x SKIP 1 + 1 LIMIT 2 * 2', rows: [[3], [4], [5], [6]] },
  { q: 'UNWIND range(1, 10) AS x RETURN x LIMIT toInteger($n)', params: { n: 2.9 }, rows: [[1], [2]] },
  { q: 'UNWIND range(1, 10) AS x WITH x SKIP size([1, 2, 3]) LIMIT 1 RETURN x', rows: [[4]] },
  { q: 'UNWIND range(1, 10) AS x RETURN x LIMIT $n', params: { n: 1 }, rows: [[1]] },
  { q: 'UNWIND range(1, 10) AS x RETURN x LIMIT 1 - 2', error: /LIMIT must be a non-negative integer/ },
  { q: 'UNWIND range(1, 10) AS x RETURN x SKIP 1.5', error: /SKIP takes a non-negative integer/ },
  { q: 'UNWIND range(1, 10) AS x RETURN x LIMIT 0.5 * 2', error: /LIMIT must be a non-negative integer/ },
  { q: 'UNWIND range(1, 10) AS x RETURN x LIMIT x', error: /LIMIT cannot use variables/ },

  // ------------------------------------------------ type errors
  { q: 'WITH true AS l RETURN l[0]', error: /cannot index a boolean/ },
  { q: "WITH [1, 2] AS l RETURN l['a']", error: /list index must be an integer/ },
  { q: "RETURN 1 IN 'abc'", error: /IN needs a list on its right/ },
  { q: "RETURN none(x IN ['a', 'b'] WHERE x % 2 = 0)", error: /% needs numbers, not a string/ },
  { q: "UNWIND [null, 'true', ' tru '] AS s RETURN toBoolean(s) AS b", rows: [[null], [true], [null]] },
  { q: 'RETURN 1.0 / 2 AS f, 1 / 2 AS i, toString(2.0) AS s', rows: [[0.5, 0, '2.0']] },
  // conversions of values they do not take are errors, known at compile time or met at run time
  { q: "RETURN toInteger('12') AS a, toInteger(true) AS b, toFloat('1.5') AS c, toString(false) AS d, toIntegerOrNull([1]) AS e", rows: [[12, 1, 1.5, 'false', null]] },
  { q: 'UNWIND [1, [1]] AS x RETURN toInteger(x)', error: /toInteger\(\) takes a number, string or boolean; the value is not one/ },
  { q: "MATCH (n:Entity {name: 'ada'}) RETURN toFloat(n.obs)", error: /toFloat\(\) takes a number or string; the value is not one/ },
  { q: 'RETURN toFloat(true)', error: /toFloat\(\) takes a number or string, not a boolean/ },
  { q: "MATCH (n:Entity) WITH [1, n] AS l RETURN toString(l[1])", error: /toString\(\) takes a number, string or boolean, not a list, map, node or relationship/ },
  // ------------------------------------------------ integer literals
  { q: "RETURN 0o17 AS a, -0o1 AS b, [0o77, 0xA4C, 017] AS c, {k: 0o2613152366} AS d, '0o17' AS s", rows: [[15, -1, [63, 2636, 15], { k: 372036854 }, '0o17']] },
  // the 64-bit range, both ends, in each base (integers beyond 2^53 come back as decimal strings)
  { q: 'RETURN -9223372036854775808 AS a, -0x8000000000000000 AS b, -0o1000000000000000000000 AS c, 0o777777777777777777777 AS d', rows: [['-9223372036854775808', '-9223372036854775808', '-9223372036854775808', '9223372036854775807']] },
  { q: 'RETURN 9223372036854775808 AS x', error: /larger than a 64-bit integer/ },
  // ------------------------------------------------ WITH DISTINCT / aggregation then WHERE naming a projected expression
  { q: "MATCH (e:Entity) WITH DISTINCT e.type AS type WHERE e.type = 'person' RETURN type", rows: [['person']] },
  { q: 'MATCH (e:Entity) WITH e.type AS type, count(*) AS n WHERE e.type <> $t RETURN type, n', params: { t: 'person' }, rows: [['project', 1]] },
  // ------------------------------------------------ labels() and type() of entities met as values
  { q: "MATCH (a:Entity {name: 'ada'})-[r:KNOWS]->() WITH [a, 1] AS l, [1, r] AS m RETURN labels(l[0]) AS labels, type(m[1]) AS type", rows: [[['Entity'], 'KNOWS']] },
  { q: 'WITH [1] AS l RETURN labels(l[0])', error: /labels\(\) takes a node; the value of labels\(l\[0\]\) is not one/ },
  { q: "WITH [{type: 'x'}] AS l RETURN type(l[0])", error: /type\(\) takes a relationship; the value of type\(l\[0\]\) is not one/ },
  // ------------------------------------------------ precedence: IN, STARTS WITH, IS NULL... bind looser than arithmetic
  { q: 'RETURN [1] + 2 IN [3] + 4 AS a, ([1] + 2) IN ([3] + 4) AS b, [1] + (2 IN [3]) + 4 AS c', rows: [[false, false, [1, false, 4]]] },
  { q: 'RETURN [1] + [2] IN [[3], [1, 2]] AS a, 2 * 3 IN [6] AS b, -1 IN [-1] AS c, 3 IN [1, 2, 3][0..2] AS d', rows: [[true, true, true, false]] },
  { q: "RETURN 'ab' STARTS WITH 'a' + 'b' AS s, 1 + 1 IS NULL AS n, NOT 1 IN [2] AS m", rows: [[true, false, true]] },
];

describe('cypher expressions on a real store', () => {
  let db: RvfDatabase;
  const root = tempDir('rvf-cypher-expr-');

  before(async () => {
    db = await RvfDatabase.create(join(root, 'expr.rvf'), { dimensions: 4, metric: 'l2' });
    await runQuery(db, 'cypher', GRAPH, {}, { write: true });
  });
  after(async () => {
    await db.close();
  });

  test(`${CASES.length} read cases`, async () => {
    const failures: string[] = [];
    for (const c of CASES) {
      try {
        if (c.error) {
          await assert.rejects(runQuery(db, 'cypher', c.q, c.params ?? {}, { write: false }), (err: Error) => {
            assert.match(err.message, c.error as RegExp);
            return true;
          });
        } else {
          const r = await runQuery(db, 'cypher', c.q, c.params ?? {}, { write: false });
          assert.deepEqual(r.rows, c.rows);
        }
      } catch (err) {
        failures.push(`${c.q}\n    ${(err as Error).message.split('\n').slice(0, 10).join('\n    ')}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${CASES.length} cases failed:\n${failures.join('\n')}`);
  });

  test('comprehensions and functions in the values of writes', async () => {
    const w = (q: string, params: Params = {}) => runQuery(db, 'cypher', q, params, { write: true });
    const r = (q: string, params: Params = {}) => runQuery(db, 'cypher', q, params, { write: false }).then((x) => x.rows);
    await w("CREATE (:Mem {name: 'm', obs: ['a', 'b', 'c', 'b']})");
    // the agent-memory way to delete one observation
    await w('MATCH (n:Mem {name: $name}) SET n.obs = [o IN n.obs WHERE o <> $drop]', { name: 'm', drop: 'b' });
    assert.deepEqual(await r("MATCH (n:Mem {name: 'm'}) RETURN n.obs"), [[['a', 'c']]]);
    // append unless present, keep the last three
    await w("MATCH (n:Mem {name: 'm'}) SET n.obs = CASE WHEN any(o IN n.obs WHERE o = $o) THEN n.obs ELSE n.obs + $o END", { o: 'd' });
    await w("MATCH (n:Mem {name: 'm'}) SET n.obs = CASE WHEN any(o IN n.obs WHERE o = $o) THEN n.obs ELSE n.obs + $o END", { o: 'd' });
    await w("MATCH (n:Mem {name: 'm'}) SET n.obs = (['z'] + n.obs)[-3..]");
    assert.deepEqual(await r("MATCH (n:Mem {name: 'm'}) RETURN n.obs"), [[['a', 'c', 'd']]]);
    await w("MATCH (n:Mem {name: 'm'}) SET n.total = reduce(s = 0, x IN range(1, 4) | s + x), n.parts = split('x-y', '-'), n.rev = reverse(n.obs)");
    assert.deepEqual(await r("MATCH (n:Mem {name: 'm'}) RETURN n.total, n.parts, n.rev"), [[10, ['x', 'y'], ['d', 'c', 'a']]]);
    // a map projection as the properties of a new node
    await w("MATCH (n:Mem {name: 'm'}) CREATE (c:Copy) SET c = n {.name, .obs, first: n.obs[0]}");
    assert.deepEqual(await r('MATCH (c:Copy) RETURN c {.*}'), [[{ name: 'm', obs: ['a', 'c', 'd'], first: 'a' }]]);
    // a stored list is a JSON array in the row, not text that looks like one
    assert.deepEqual((await runQuery(db, 'sql', "SELECT json_type(props, '$.obs'), json_extract(props, '$.obs[2]') FROM graph_nodes WHERE json_extract(props, '$.name') = 'm' AND json_extract(props, '$.total') = 10", undefined, { write: false })).rows, [['array', 'd']]);
    // UNWIND with a comprehension-built list, and a write after a SKIP expression
    const made = await w('UNWIND [i IN range(1, 5) WHERE i % 2 = 1 | {n: i}] AS row CREATE (x:Odd {n: row.n}) RETURN x.n ORDER BY x.n SKIP 1 + 0');
    assert.deepEqual(made.rows, [[3], [5]]);
    assert.deepEqual(await r('MATCH (x:Odd) RETURN collect(x.n) AS all'), [[[1, 3, 5]]]);
    // random ids are stored once per row
    await w('UNWIND range(1, 3) AS i CREATE (:U {id: randomUUID()})');
    assert.deepEqual(await r('MATCH (u:U) RETURN count(DISTINCT u.id), all(x IN collect(u.id) WHERE size(x) = 36)'), [[3, true]]);
  });
});

/**
 * The TCK runner's value parser and comparator (test/tck), on literals
 * written as the openCypher TCK writes them; no TCK files needed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tableMismatch, valuesEqual, type Table } from './tck/compare.ts';
import { fromRvfJson } from './tck/engine-rvf.ts';
import { diffStates, parseSideEffects } from './tck/side-effects.ts';
import { formatTckValue, parseTckValue, TckValueSyntaxError, type TckValue } from './tck/values.ts';

const exact = { unorderedLists: false };
const eq = (expected: string, actual: TckValue, opts = exact): boolean => valuesEqual(parseTckValue(expected), actual, opts);
const num = (value: number): TckValue => ({ kind: 'number', value });
const str = (value: string): TckValue => ({ kind: 'string', value });

describe('TCK value parser', () => {
  test('primitives', () => {
    assert.deepEqual(parseTckValue('null'), { kind: 'null' });
    assert.deepEqual(parseTckValue('true'), { kind: 'bool', value: true });
    assert.deepEqual(parseTckValue('-12'), { kind: 'int', value: -12n });
    assert.deepEqual(parseTckValue('9223372036854775807'), { kind: 'int', value: 9223372036854775807n });
    assert.deepEqual(parseTckValue('1.0'), { kind: 'float', value: 1, text: '1.0' });
    assert.deepEqual(parseTckValue('1e-3'), { kind: 'float', value: 0.001, text: '1e-3' });
    assert.ok(Number.isNaN((parseTckValue('NaN') as { value: number }).value));
    assert.equal((parseTckValue('-Inf') as { value: number }).value, Number.NEGATIVE_INFINITY);
    assert.equal((parseTckValue('Infinity') as { value: number }).value, Number.POSITIVE_INFINITY);
    assert.deepEqual(parseTckValue(`'it\\'s a \\\\ "x"'`), str(`it's a \\ "x"`));
    assert.deepEqual(parseTckValue(`''`), str(''));
  });

  test('nested lists and maps, with quoted keys', () => {
    assert.deepEqual(parseTckValue(`[1, [], ['a', null], {k: [2.5]}]`), {
      kind: 'list',
      items: [
        { kind: 'int', value: 1n },
        { kind: 'list', items: [] },
        { kind: 'list', items: [str('a'), { kind: 'null' }] },
        { kind: 'map', entries: { k: { kind: 'list', items: [{ kind: 'float', value: 2.5, text: '2.5' }] } } },
      ],
    });
    assert.deepEqual(parseTckValue('{``: 1, `a b`: {}}'), { kind: 'map', entries: { '': { kind: 'int', value: 1n }, 'a b': { kind: 'map', entries: {} } } });
  });

  test('nodes, relationships and paths', () => {
    assert.deepEqual(parseTckValue('()'), { kind: 'node', labels: [], properties: {} });
    assert.deepEqual(parseTckValue("(:A:B {name: 'x'})"), { kind: 'node', labels: ['A', 'B'], properties: { name: str('x') } });
    assert.deepEqual(parseTckValue('[:T {w: 1}]'), { kind: 'rel', type: 'T', properties: { w: { kind: 'int', value: 1n } } });
    const path = parseTckValue('<(:A)-[:T]->(:B)<-[:U]-()>');
    assert.equal(path.kind, 'path');
    if (path.kind !== 'path') return;
    assert.deepEqual(
      path.steps.map((s) => [s.rel.type, s.forward, s.node.labels]),
      [
        ['T', true, ['B']],
        ['U', false, []],
      ],
    );
    assert.equal(formatTckValue(path), '<(:A)-[:T]->(:B)<-[:U]-()>');
  });

  test('refuses what is not a value', () => {
    assert.throws(() => parseTckValue('[1, 2'), TckValueSyntaxError);
    assert.throws(() => parseTckValue('1 2'), TckValueSyntaxError);
    assert.throws(() => parseTckValue('[:A:B]'), TckValueSyntaxError);
  });
});

describe('TCK value comparison', () => {
  test('numbers: by value, floats as printed, NaN equal to NaN', () => {
    assert.ok(eq('1', num(1)));
    assert.ok(eq('1.0', num(1)));
    assert.ok(!eq('1', num(1.5)));
    assert.ok(eq('0.30000000000000004', num(0.1 + 0.2)));
    assert.ok(!eq('0.3', num(0.1 + 0.2)));
    assert.ok(eq('0.333333333333', num(1 / 3)));
    assert.ok(eq('NaN', num(Number.NaN)));
    assert.ok(!eq('NaN', { kind: 'null' }));
    assert.ok(eq('Inf', num(Number.POSITIVE_INFINITY)));
    assert.ok(eq('9223372036854775807', str('9223372036854775807')), 'a big integer returned as its decimal string');
    assert.ok(!eq('1', str('1')));
    assert.ok(!eq('null', num(0)));
  });

  test('nodes and relationships by labels / type and properties, from rvf JSON', () => {
    const node = fromRvfJson({ id: 7, labels: ['B', 'A'], properties: { k: 1 } });
    assert.ok(eq('(:A:B {k: 1})', node));
    assert.ok(!eq('(:A {k: 1})', node));
    assert.ok(!eq('(:A:B)', node));
    const rel = fromRvfJson({ id: 3, type: 'T', start: 1, end: 2, properties: {} });
    assert.ok(eq('[:T]', rel));
    assert.ok(!eq('[:U]', rel));
    assert.ok(eq("{id: 1, labels: 'x'}", fromRvfJson({ id: 1, labels: 'x' })), 'other objects stay maps');
  });

  test('lists in order, or as bags when asked', () => {
    const list = fromRvfJson([2, 1, [4, 3]]);
    assert.ok(!eq('[1, 2, [3, 4]]', list));
    assert.ok(eq('[1, 2, [3, 4]]', list, { unorderedLists: true }));
    assert.ok(!eq('[1, 1, [3, 4]]', list, { unorderedLists: true }));
  });

  test('tables: any order, in order, columns by name', () => {
    const expected: Table = { columns: ['a', 'b'], rows: [[parseTckValue('1'), parseTckValue("'x'")], [parseTckValue('2'), parseTckValue("'y'")]] };
    const actual: Table = { columns: ['b', 'a'], rows: [[str('y'), num(2)], [str('x'), num(1)]] };
    assert.equal(tableMismatch(expected, actual, { ordered: false, unorderedLists: false }), undefined);
    assert.match(tableMismatch(expected, actual, { ordered: true, unorderedLists: false }) ?? '', /row 1 differs/);
    assert.match(tableMismatch(expected, { columns: ['a'], rows: [] }, { ordered: false, unorderedLists: false }) ?? '', /columns differ/);
    const twice: Table = { columns: ['b', 'a'], rows: [[str('x'), num(1)], [str('x'), num(1)]] };
    assert.notEqual(tableMismatch(expected, twice, { ordered: false, unorderedLists: false }), undefined);
  });

  test('side effects: properties are (entity, key, value) triples, labels distinct names', () => {
    const before = { nodes: new Set(['n1']), relationships: new Set<string>(), labels: new Set(['A']), properties: new Set(['n1 k 1']) };
    const after = { nodes: new Set(['n1', 'n2']), relationships: new Set<string>(), labels: new Set(['A']), properties: new Set(['n1 k 2']) };
    assert.deepEqual(diffStates(before, after), parseSideEffects([['+nodes', '1'], ['+properties', '1'], ['-properties', '1']]));
  });
});

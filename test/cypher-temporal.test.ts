/**
 * Cypher temporal values (issue 12) on a real store through runQuery:
 * agent-memory stamping (SET n.createdAt = datetime(), filter the last 7
 * days, order by time), construction from strings, maps and other values,
 * truncate, duration.between, arithmetic, comparison and ordering in time
 * order (not text order), named time zones, and the errors for bad input.
 * Fixed instants throughout; now() is only checked to be close to Date.now().
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryRunner } from '../rvlite-bridge/query-runner.ts';
import { runQuery } from '../rvlite-bridge/run-query.ts';
import { RvfDatabase } from '../store/index.ts';
import { tempDir } from './helpers/temp.ts';

after(() => queryRunner().close());

let db: RvfDatabase;
const dir = tempDir('rvf-cypher-temporal-');
// generous: the first query starts a query child, slow on a busy machine
const timeLimitMs = 60_000;

before(async () => {
  db = await RvfDatabase.create(join(dir, 't.rvf'), { dimensions: 2 });
});
after(async () => {
  await db.close();
});

async function write(q: string, params?: Record<string, unknown>): Promise<unknown[][]> {
  return (await runQuery(db, 'cypher', q, params, { write: true, timeLimitMs })).rows;
}
async function read(q: string, params?: Record<string, unknown>): Promise<unknown[][]> {
  return (await runQuery(db, 'cypher', q, params, { write: false, timeLimitMs })).rows;
}
async function one(q: string, params?: Record<string, unknown>): Promise<unknown[]> {
  const rows = await read(q, params);
  assert.equal(rows.length, 1, `one row from ${q}`);
  return rows[0] as unknown[];
}
async function fails(q: string, message: RegExp): Promise<void> {
  await assert.rejects(read(q), (err: Error) => {
    assert.match(err.message, message);
    return true;
  });
}

describe('agent memory: stamp, store, read back, filter, order', () => {
  test('datetime() is the statement time, close to Date.now(), and stored as its ISO text', async () => {
    const before = Date.now();
    const [stamp, millis, same] = ((await write("CREATE (n:Note {text: 'now'}) SET n.createdAt = datetime() RETURN n.createdAt, n.createdAt.epochMillis, datetime() = datetime()")) as unknown[][])[0] as unknown[];
    const after = Date.now();
    assert.match(String(stamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/);
    assert.ok(typeof millis === 'number' && millis >= before - 5 && millis <= after + 5, `epochMillis ${String(millis)} within [${before}, ${after}]`);
    assert.equal(same, true);
    const stored = (await runQuery(db, 'sql', "SELECT json_extract(props, '$.createdAt') FROM graph_nodes WHERE json_extract(props, '$.text') = 'now'", undefined, { write: false, timeLimitMs })).rows;
    assert.deepEqual(stored, [[stamp]]);
    const [timestamp] = await one('RETURN timestamp()');
    assert.ok(typeof timestamp === 'number' && Math.abs(timestamp - Date.now()) < 5000);
    await write("MATCH (n:Note {text: 'now'}) DELETE n");
  });

  test('stored stamps are filtered by a window and ordered by instant, across offsets', async () => {
    await write(
      `UNWIND $notes AS x CREATE (n:Memory {text: x.text}) SET n.createdAt = datetime(x.at)`,
      {
        notes: [
          { text: 'old', at: '2024-04-01T09:00:00Z' },
          { text: 'berlin', at: '2024-05-08T11:30:00+02:00' }, // 09:30Z
          { text: 'utc', at: '2024-05-08T09:00:00.5Z' },
          { text: 'tokyo', at: '2024-05-08T18:00:00+09:00' }, // 09:00Z, before 'utc'
          { text: 'future', at: '2024-05-09T00:00:00Z' },
        ],
      },
    );
    const rows = await read(
      `MATCH (n:Memory) WHERE n.createdAt > datetime('2024-05-10T00:00Z') - duration('P7D') RETURN n.text, n.createdAt ORDER BY n.createdAt DESC`,
    );
    assert.deepEqual(rows, [
      ['future', '2024-05-09T00:00Z'],
      ['berlin', '2024-05-08T11:30+02:00'],
      ['utc', '2024-05-08T09:00:00.500Z'],
      ['tokyo', '2024-05-08T18:00+09:00'],
    ]);
    // date(n.createdAt) = date(...) on the stored text; the date is the value's own (Tokyo's is the 8th)
    assert.deepEqual(await read(`MATCH (n:Memory) WHERE date(n.createdAt) = date('2024-05-08') RETURN n.text ORDER BY n.text`), [['berlin'], ['tokyo'], ['utc']]);
    // components of a stored value, read back as a string
    assert.deepEqual(await one(`MATCH (n:Memory {text: 'tokyo'}) RETURN n.createdAt.year, n.createdAt.hour, n.createdAt.offset, n.createdAt.epochSeconds, n.createdAt + duration({hours: 1})`), [
      2024,
      18,
      '+09:00',
      1715158800,
      '2024-05-08T19:00+09:00',
    ]);
    // carried through WITH and collected: still datetimes, still in time order
    assert.deepEqual(await one(`MATCH (n:Memory) WITH n ORDER BY n.createdAt WITH collect(n.text) AS texts RETURN texts`), [['old', 'tokyo', 'utc', 'berlin', 'future']]);
    // two stored stamps compared with each other, and the latest and earliest: time order too, as ORDER BY has it
    // (as text, tokyo's 18:00+09:00 would follow utc's 09:00Z, which is half a second later)
    assert.deepEqual(await read(`MATCH (a:Memory {text: 'tokyo'}), (b:Memory {text: 'utc'}) RETURN a.createdAt < b.createdAt, a.createdAt > b.createdAt`), [[true, false]]);
    assert.deepEqual(await read(`MATCH (n:Memory) WHERE n.text <> 'future' RETURN max(n.createdAt), min(n.createdAt)`), [['2024-05-08T11:30+02:00', '2024-04-01T09:00Z']]);
    assert.deepEqual(
      await read(`MATCH (n:Memory) WITH collect(n.createdAt) AS all MATCH (m:Memory) RETURN m.text, size([t IN all WHERE t < m.createdAt]) AS earlier ORDER BY earlier`),
      [['old', 0], ['tokyo', 1], ['utc', 2], ['berlin', 3], ['future', 4]],
    );
  });
});

describe('construction', () => {
  test('from ISO strings, including week and ordinal dates and named zones', async () => {
    assert.deepEqual(
      await one(
        "RETURN date('2015-W30-2'), date('2015-202'), date('20150721'), localtime('214032.142'), time('21:40:32+0100'), localdatetime('2015-W30T2140'), datetime('2015-07-21T21:40:32.142[Europe/London]'), datetime('1818-07-21T21:40:32.142[Europe/Stockholm]'), duration('P2.5W'), duration('P2012-02-02T14:37:21.545')",
      ),
      ['2015-07-21', '2015-07-21', '2015-07-21', '21:40:32.142', '21:40:32+01:00', '2015-07-20T21:40', '2015-07-21T21:40:32.142+01:00[Europe/London]', '1818-07-21T21:40:32.142+00:53:28[Europe/Stockholm]', 'P17DT12H', 'P2012Y2M2DT14H37M21.545S'],
    );
  });

  test('from maps: calendar, week, ordinal and quarter dates, nanoseconds, offsets and zones', async () => {
    assert.deepEqual(
      await one(
        `RETURN date({year: 1984, week: 10, dayOfWeek: 3}), date({year: 1984, ordinalDay: 202}), date({year: 1984, quarter: 3, dayOfQuarter: 45}),
                localtime({hour: 12, minute: 31, second: 14, nanosecond: 789, millisecond: 123, microsecond: 456}),
                time({hour: 12, minute: 34, second: 56, timezone: '-02:05:07'}),
                datetime({year: 1984, month: 10, day: 11, hour: 12, minute: 31, second: 14, nanosecond: 645876123, timezone: 'Europe/Stockholm'}),
                datetime({year: 1984, month: 7, day: 20, hour: 12, timezone: 'Europe/Stockholm'}),
                duration({months: 0.75}), duration({seconds: -60, milliseconds: -1}),
                datetime.fromepoch(416779, 999999999), datetime.fromepochmillis(237821673987)`,
      ),
      [
        '1984-03-07',
        '1984-07-20',
        '1984-08-14',
        '12:31:14.123456789',
        '12:34:56-02:05:07',
        '1984-10-11T12:31:14.645876123+01:00[Europe/Stockholm]',
        '1984-07-20T12:00+02:00[Europe/Stockholm]',
        'P22DT19H51M49.5S',
        'PT-1M-0.001S',
        '1970-01-05T19:46:19.999999999Z',
        '1977-07-15T13:34:33.987Z',
      ],
    );
  });

  test('from other temporal values, with fields replaced and zones converted', async () => {
    assert.deepEqual(
      await one(
        `WITH date({year: 1984, month: 11, day: 11}) AS d, datetime({year: 1984, month: 10, day: 11, hour: 12, timezone: 'Europe/Stockholm'}) AS dt
         RETURN date({date: d, week: 1}), date(dt), localtime(dt), time({time: dt, timezone: '+05:00'}),
                datetime({date: d, time: dt, day: 28, second: 42, timezone: 'Pacific/Honolulu'}), localdatetime({date: d, hour: 10})`,
      ),
      ['1984-01-08', '1984-10-11', '12:00', '16:00+05:00', '1984-11-28T01:00:42-10:00[Pacific/Honolulu]', '1984-11-11T10:00'],
    );
  });

  test('parameters and stored strings are read with the constructors', async () => {
    assert.deepEqual(await one('RETURN datetime($at), date($at), duration($d)', { at: '2024-05-08T11:30:00+02:00', d: 'PT90M' }), ['2024-05-08T11:30+02:00', '2024-05-08', 'PT1H30M']);
  });
});

describe('truncate, between, arithmetic, comparison', () => {
  test('truncate to a unit, then set fields', async () => {
    assert.deepEqual(
      await one(
        `WITH datetime({year: 2017, month: 10, day: 11, hour: 12, minute: 31, second: 14, nanosecond: 645876123, timezone: '+01:00'}) AS x
         RETURN date.truncate('millennium', x), date.truncate('weekYear', date('1984-01-01')), datetime.truncate('hour', x), datetime.truncate('millisecond', x, {nanosecond: 2}), localtime.truncate('minute', x), date.truncate('quarter', x, {day: 2})`,
      ),
      ['2000-01-01', '1983-01-03', '2017-10-11T12:00+01:00', '2017-10-11T12:31:14.645000002+01:00', '12:31', '2017-10-02'],
    );
  });

  test('duration.between and its in* forms, across a daylight saving change', async () => {
    assert.deepEqual(
      await one(
        `RETURN duration.between(date('1984-10-11'), datetime('2015-07-21T21:40:32.142+0100')),
                duration.between(datetime('2014-07-21T21:40:36.143+0200'), datetime('2015-07-21T21:40:32.142+0100')),
                duration.inMonths(date('2018-07-21'), datetime('2016-07-21T21:40:32.142+0100')),
                duration.inDays(date('1984-10-11'), date('2015-06-24')),
                duration.inSeconds(localdatetime('2017-10-29T00:00'), datetime({year: 2017, month: 10, day: 29, hour: 4, timezone: 'Europe/Stockholm'})),
                duration.between(time('14:30'), time('16:30+0100')),
                duration.between(null, date())`,
      ),
      ['P30Y9M10DT21H40M32.142S', 'P1YT59M55.999S', 'P-1Y-11M', 'P11213D', 'PT5H', 'PT1H', null],
    );
  });

  test('temporal ± duration, duration ± duration, duration * and / number, also on stored values', async () => {
    await write(`CREATE (:Span {d: duration({years: 12, months: 5, days: 14, hours: 16, minutes: 12, seconds: 70, nanoseconds: 1})})`);
    assert.deepEqual(
      await one(
        `MATCH (s:Span) WITH s, date('1984-10-11') AS x, localtime('12:31:14.000000001') AS t
         RETURN x + s.d, x - s.d, t + s.d, s.d + s.d, s.d - s.d, s.d * 2, s.d / 2,
                datetime('2017-10-28T12:00[Europe/Stockholm]') + duration('P1D'), datetime('2017-10-28T12:00[Europe/Stockholm]') + duration('PT24H'),
                date('2024-01-31') + duration('P1M')`,
      ),
      [
        '1997-03-25',
        '1972-04-27',
        '04:44:24.000000002',
        'P24Y10M28DT32H26M20.000000002S',
        'PT0S',
        'P24Y10M28DT32H26M20.000000002S',
        'P6Y2M22DT13H21M8S',
        '2017-10-29T12:00+01:00[Europe/Stockholm]',
        '2017-10-29T11:00+01:00[Europe/Stockholm]',
        '2024-02-29',
      ],
    );
  });

  test('comparison is time order within a type; equality is the same value; other kinds are unequal and unordered', async () => {
    assert.deepEqual(
      await one(
        `RETURN datetime('2024-05-08T11:30+02:00') < datetime('2024-05-08T10:00Z'), datetime('2024-05-08T11:30+02:00') = datetime('2024-05-08T09:30Z'),
                time('10:00+01:00') < time('09:35:14Z'), localtime('10:35') < localtime('12:31:14.645876123'),
                duration('PT1M10S') = duration('PT70S'), duration('P1D') = duration('PT24H'), duration('P1D') < duration('P2D'),
                date('2024-05-08') = localdatetime('2024-05-08T00:00'), date('2024-05-08') < datetime('2024-05-09T00:00Z')`,
      ),
      [true, false, true, true, true, false, null, false, null],
    );
    // ordering: seconds omitted when zero and short fractions do not sort as text would
    assert.deepEqual(
      await read(`UNWIND [localtime('12:00:00.5'), localtime('12:00'), localtime('12:00:00.25'), localtime('11:59:59.999')] AS t RETURN t ORDER BY t`),
      [['11:59:59.999'], ['12:00'], ['12:00:00.250'], ['12:00:00.500']],
    );
  });
});

describe('errors', () => {
  test('bad strings, maps, units and operations say what to write', async () => {
    await fails("RETURN date('2015-13-01')", /"2015-13-01" is not a valid date/);
    await fails("RETURN date('yesterday')", /cannot read "yesterday" as a date; write ISO 8601 such as '2015-07-21'/);
    await fails("RETURN duration('7 days')", /as a duration; write ISO 8601 such as 'P1Y2M10DT12H45M30.5S'/);
    await fails("RETURN datetime({year: 2024, month: 2, day: 30})", /datetime\(\): .*day/i);
    await fails("RETURN date({year: 2024, hour: 3})", /date\(\): unknown key hour/);
    await fails("RETURN localtime({minute: 3})", /hour is required/);
    await fails("RETURN datetime({year: 2024, timezone: 'Mars/Olympus'})", /unknown time zone "Mars\/Olympus"/);
    await fails("RETURN date.truncate('fortnight', date())", /unknown unit "fortnight"/);
    await fails("RETURN date('2024-01-01') + date('2024-01-02')", /cannot apply \+ to a date and a date/);
    await fails("RETURN date('2024-01-01').hour", /a date has no component hour|has no component/);
  });
});

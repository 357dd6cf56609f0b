import assert from 'node:assert/strict';
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, lstatSync, openSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { RvfDatabase } from '../store/index.ts';
import { decodeLock, lockPathFor } from '../store/lease.ts';
import { finished, spawnFixture, waitForLine } from './helpers/child.ts';
import { tempDir } from './helpers/temp.ts';
import { randomVectors } from './helpers/random.ts';
import { expectRvfError } from './helpers/assertions.ts';

/**
 * The writer lease `<file>.lock`: exclusion between processes (ours and the
 * native runtime's), takeover of dead or stale holders, the heartbeat, and
 * release on close.
 */

const require = createRequire(import.meta.url);
const native = require('@ruvector/rvf-node') as typeof import('@ruvector/rvf-node');

const DIM = 8;
const ROOT = tempDir('rvf-lease-');
const HOST = hostname();
let n = 0;

/** Children still running when the file ends are killed (by pid, ours only). */
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function spawn(name: string, args: string[]): { child: ChildProcess; done: ReturnType<typeof finished> } {
  const child = spawnFixture(name, args);
  children.add(child);
  const done = finished(child);
  return { child, done };
}


/** A closed store with a few vectors; returns its path and the vectors by id. */
async function makeStore(): Promise<{ path: string; vectors: Float32Array[] }> {
  const path = join(ROOT, `s${n++}.rvf`);
  const vectors = randomVectors(5, DIM, 100 + n);
  const db = await RvfDatabase.create(path, { dimensions: DIM, metric: 'l2' });
  await db.ingestBatch(vectors.map((v, id) => ({ id, vector: v, metadata: { id } })));
  await db.close();
  assert.equal(existsSync(lockPathFor(path)), false);
  return { path, vectors };
}

/** A lock record in the native layout (rvf-facts.md §2b), built here independently of lease.ts. */
function lockBytes(o: { pid: number; host: string; ageMs: number; ours: boolean }): Buffer {
  const b = Buffer.alloc(104);
  b.writeUInt32LE(0x52564c46, 0x00);
  b.writeUInt32LE(o.pid, 0x04);
  Buffer.from(o.host, 'utf8').subarray(0, 62).copy(b, 0x08);
  b.writeBigUInt64LE(BigInt(Date.now() - o.ageMs) * 1_000_000n, 0x48);
  const id = randomBytes(16);
  if (o.ours) Buffer.from('RVFM', 'latin1').copy(id, 0);
  else if (id.subarray(0, 4).equals(Buffer.from('RVFM'))) id[0] = 0;
  id.copy(b, 0x50);
  b.writeUInt32LE(1, 0x60);
  b.writeUInt32LE(crc32(b.subarray(0, 0x64)) >>> 0, 0x64);
  return b;
}

function lockTimestampNs(path: string): bigint {
  return readFileSync(lockPathFor(path)).readBigUInt64LE(0x48);
}

async function assertHeldBy(path: string, pid: number): Promise<void> {
  const holder = decodeLock(readFileSync(lockPathFor(path)));
  assert.ok(holder, 'the lock file decodes');
  assert.equal(holder.pid, pid);
  assert.equal(holder.host, HOST);
}

async function assertQueryable(path: string, vectors: Float32Array[]): Promise<void> {
  const ro = await RvfDatabase.openReadonly(path);
  try {
    const q = vectors[3] as Float32Array;
    const hits = await ro.query(q, 1);
    assert.equal(hits[0]?.id, 3);
    assert.ok(Math.abs((hits[0]?.distance ?? 1)) < 1e-9);
    assert.deepEqual(hits[0]?.metadata, { id: 3 });
    assert.equal((await ro.status()).readOnly, true);
  } finally {
    await ro.close();
  }
}

describe('two writers', () => {
  test('a live holder process excludes this process and a third process; readers still work', async () => {
    const { path, vectors } = await makeStore();
    const holder = spawn('lease-writer.ts', [path]);
    const line = await waitForLine(holder.child, 'ready');
    assert.equal(line, `ready ${holder.child.pid}`);
    await assertHeldBy(path, holder.child.pid as number);
    const lockBefore = readFileSync(lockPathFor(path));

    const err = await expectRvfError(RvfDatabase.open(path), 'ELOCK');
    assert.ok(err.message.includes(`pid ${holder.child.pid}`), `message names the holder pid: ${err.message}`);
    assert.ok(err.message.includes(HOST), `message names the holder host: ${err.message}`);

    const third = spawn('lease-writer.ts', [path]);
    const r = await third.done;
    assert.equal(r.code, 2, `the third process fails: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^error ELOCK /m);
    assert.ok(r.stdout.includes(`pid ${holder.child.pid}`));

    await assertQueryable(path, vectors);
    assert.ok(readFileSync(lockPathFor(path)).equals(lockBefore), 'failed opens leave the holder\'s lock alone');

    holder.child.kill('SIGTERM');
    const h = await holder.done;
    assert.match(h.stdout, /^closed$/m);
    assert.equal(existsSync(lockPathFor(path)), false, 'a closed holder removed its lock');
    const db = await RvfDatabase.open(path);
    await db.close();
  });

  test('two writers in one process exclude each other too', async () => {
    const { path } = await makeStore();
    const a = await RvfDatabase.open(path);
    const err = await expectRvfError(RvfDatabase.open(path), 'ELOCK');
    assert.ok(err.message.includes(`pid ${process.pid}`));
    await expectRvfError(RvfDatabase.create(path, { dimensions: DIM }), 'EEXIST');
    await a.close();
    const b = await RvfDatabase.open(path);
    await b.close();
  });
});

describe('dead holder', () => {
  test('a SIGKILLed holder\'s lease is taken over at once, with a warning', async () => {
    const { path, vectors } = await makeStore();
    const holder = spawn('lease-writer.ts', [path]);
    await waitForLine(holder.child, 'ready');
    const pid = holder.child.pid as number;
    holder.child.kill('SIGKILL');
    const r = await holder.done;
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(existsSync(lockPathFor(path)), 'a killed holder leaves its lock file behind');
    await assertHeldBy(path, pid);

    const warnings: string[] = [];
    const started = Date.now();
    const db = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
    assert.ok(Date.now() - started < 2_000, 'no waiting for a timeout');
    assert.ok(warnings.some((w) => /took over|takeover/i.test(w) && w.includes(String(pid))), `warning mentions the takeover of ${pid}: ${warnings.join(' | ')}`);
    await assertHeldBy(path, process.pid);
    await db.ingestBatch([{ id: 9, vector: vectors[0] as Float32Array }]);
    await db.close();
  });

  test('a SIGKILLed holder that is still a zombie counts as dead', async () => {
    const { path } = await makeStore();
    const parent = spawn('lease-zombie-parent.ts', [path, '20']);
    const line = await waitForLine(parent.child, 'holder ');
    const pid = Number(line.slice('holder '.length));
    assert.ok(pid > 0);
    await assertHeldBy(path, pid);
    process.kill(pid, 'SIGKILL');
    // Wait until the kernel has it as a zombie (its parent is blocked and does not reap it).
    let state = '';
    for (let i = 0; i < 100; i++) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z') break;
      await sleep(20);
    }
    assert.equal(state, 'Z', 'the killed holder is a zombie');
    assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) still reports the zombie as alive');
    const warnings: string[] = [];
    const db = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
    assert.ok(warnings.some((w) => /took over|takeover/i.test(w)), warnings.join(' | '));
    await db.close();
    parent.child.kill('SIGKILL');
    await parent.done;
  });
});

describe('stale and fresh locks written by hand', () => {
  let sleeper: { child: ChildProcess; done: ReturnType<typeof finished> };
  let alivePid = 0;

  test('setup: a live process to stand for the holder', async () => {
    sleeper = spawn('lease-sleeper.ts', []);
    await waitForLine(sleeper.child, 'ready');
    alivePid = sleeper.child.pid as number;
    process.kill(alivePid, 0);
  });

  // pid 1 started at boot, before any heartbeat: it stands for a holder that is stopped (SIGSTOP) or busy, not gone
  const cases: { label: string; host: () => string; ageMs: number; ours: boolean; stale: boolean; pid?: number }[] = [
    { label: 'ours, this host, heartbeat 31 s old, its pid a process started since (reused)', host: () => HOST, ageMs: 31_000, ours: true, stale: true },
    { label: 'ours, this host, heartbeat 10 min old, its pid alive since before it (a stopped holder)', host: () => HOST, ageMs: 600_000, ours: true, stale: false, pid: 1 },
    { label: 'ours, this host, heartbeat 10 s old', host: () => HOST, ageMs: 10_000, ours: true, stale: false },
    { label: 'ours, another host, heartbeat 31 s old', host: () => 'another-host.invalid', ageMs: 31_000, ours: true, stale: true },
    { label: 'ours, another host, heartbeat 10 s old', host: () => 'another-host.invalid', ageMs: 10_000, ours: true, stale: false },
    { label: 'native, this host, live pid, 1000 s old', host: () => HOST, ageMs: 1_000_000, ours: false, stale: false },
    { label: 'native, another host, 301 s old', host: () => 'another-host.invalid', ageMs: 301_000, ours: false, stale: true },
    { label: 'native, another host, 200 s old', host: () => 'another-host.invalid', ageMs: 200_000, ours: false, stale: false },
  ];

  for (const c of cases) {
    test(`${c.label}: ${c.stale ? 'taken over' : 'ELOCK'}`, async () => {
      assert.ok(alivePid > 0, 'the setup test ran');
      const { path, vectors } = await makeStore();
      const holderPid = c.pid ?? alivePid;
      const lock = lockBytes({ pid: holderPid, host: c.host(), ageMs: c.ageMs, ours: c.ours });
      const decoded = decodeLock(lock);
      assert.ok(decoded, 'the hand-made lock decodes');
      assert.equal(decoded.ours, c.ours);
      writeFileSync(lockPathFor(path), lock);
      const warnings: string[] = [];
      if (c.stale) {
        const db = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
        assert.ok(warnings.some((w) => /took over|takeover/i.test(w)), `takeover is reported: ${warnings.join(' | ')}`);
        await assertHeldBy(path, process.pid);
        await db.ingestBatch([{ id: 7, vector: vectors[1] as Float32Array }]);
        await db.close();
        assert.equal(existsSync(lockPathFor(path)), false);
      } else {
        const err = await expectRvfError(RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) }), 'ELOCK');
        assert.ok(err.message.includes(`pid ${holderPid}`), err.message);
        assert.ok(err.message.includes(c.host()), err.message);
        assert.ok(readFileSync(lockPathFor(path)).equals(lock), 'the live lock is left exactly as it was');
        await assertQueryable(path, vectors);
      }
    });
  }

  test('a lock whose holder pid is dead on this host is stale however fresh', async () => {
    const { path } = await makeStore();
    const gone = spawn('lease-sleeper.ts', []);
    await waitForLine(gone.child, 'ready');
    const pid = gone.child.pid as number;
    gone.child.kill('SIGKILL');
    await gone.done;
    for (const ours of [true, false]) {
      writeFileSync(lockPathFor(path), lockBytes({ pid, host: HOST, ageMs: 0, ours }));
      const warnings: string[] = [];
      const db = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
      assert.ok(warnings.some((w) => /took over|takeover/i.test(w) && w.includes(String(pid))), warnings.join(' | '));
      await db.close();
    }
  });

  test('a lock file that is not a lock record: ELOCK while fresh, taken over after 2 s', async () => {
    const { path } = await makeStore();
    const lockPath = lockPathFor(path);
    const good = lockBytes({ pid: alivePid, host: HOST, ageMs: 0, ours: true });
    const badCrc = Buffer.from(good);
    badCrc[0x30] = (badCrc[0x30] as number) ^ 0xff;
    for (const junk of [Buffer.alloc(0), Buffer.from('half'), badCrc]) {
      writeFileSync(lockPath, junk);
      await expectRvfError(RvfDatabase.open(path), 'ELOCK');
      const old = new Date(Date.now() - 5_000);
      utimesSync(lockPath, old, old);
      const warnings: string[] = [];
      const db = await RvfDatabase.open(path, { onWarning: (m) => warnings.push(m) });
      assert.ok(warnings.some((w) => /took over|takeover/i.test(w)), warnings.join(' | '));
      await assertHeldBy(path, process.pid);
      await db.close();
    }
  });

  test('teardown: stop the stand-in holder', async () => {
    sleeper.child.kill('SIGTERM');
    await sleeper.done;
  });
});

describe('heartbeat, loss and release', () => {
  test('a heartbeat that cannot open the lock (every descriptor in use) is missed, not a lost lease', async () => {
    const { path } = await makeStore();
    // a low descriptor limit of its own, so the child runs out fast and nothing else here does
    const script = fileURLToPath(new URL('./fixtures/lease-fd-starved.ts', import.meta.url));
    const child = spawnChild('/bin/sh', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, ...process.execArgv, script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const { code, stdout, stderr } = await finished(child);
    assert.equal(code, 0, `${stdout}${stderr}`);
    assert.match(stdout, /^starved \d+$/m, stdout);
    assert.match(stdout, /^ingested$/m, `the lease was still its own after the starved heartbeat: ${stdout}`);
    const db = await RvfDatabase.openReadonly(path);
    assert.equal((await db.status()).totalVectors, 6);
    await db.close();
  });


  test('a held lease refreshes its timestamp about every 5 s', async () => {
    const { path } = await makeStore();
    const db = await RvfDatabase.open(path);
    try {
      const t0 = lockTimestampNs(path);
      const ageAtStart = Date.now() - Number(t0 / 1_000_000n);
      assert.ok(ageAtStart >= 0 && ageAtStart < 2_000, `the lock is stamped at open (${ageAtStart} ms)`);
      await sleep(6_000);
      const t1 = lockTimestampNs(path);
      assert.ok(t1 > t0, 'the timestamp moved on');
      const age = Date.now() - Number(t1 / 1_000_000n);
      assert.ok(age >= 0 && age <= 5_500, `the timestamp is at most one heartbeat old (${age} ms)`);
      await assertHeldBy(path, process.pid);
      assert.equal(decodeLock(readFileSync(lockPathFor(path)))?.ours, true);
    } finally {
      await db.close();
    }
  });

  /**
   * Two openers race for a dead holder's lock: A breaks it and creates its
   * own; B, which judged the old bytes stale, renames A's fresh lock aside,
   * sees it is not the stale one and puts it back under the lock name (a new
   * file with the same bytes; lease.ts breakStaleLock). A still holds the
   * lease, so its heartbeat must keep reaching the file at the lock's path, or
   * after 30 s anyone may take over A's live lease.
   */
  test('the heartbeat reaches the lock file after a racing opener put it back', async () => {
    const { path } = await makeStore();
    const db = await RvfDatabase.open(path);
    try {
      const lockPath = lockPathFor(path);
      // What breakStaleLock does when the lock it moved aside was not the stale one.
      const aside = `${lockPath}.stale-test`;
      renameSync(lockPath, aside);
      const moved = readFileSync(aside);
      const fd = openSync(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      writeSync(fd, moved, 0, moved.length, 0);
      closeSync(fd);
      unlinkSync(aside);
      const t0 = lockTimestampNs(path);
      await sleep(6_000);
      await assertHeldBy(path, process.pid);
      const t1 = lockTimestampNs(path);
      assert.ok(t1 > t0, `the lock at ${lockPath} was not refreshed for 6 s (timestamp ${Math.round((Date.now() - Number(t1 / 1_000_000n)) / 1000)} s old): the heartbeat writes to a file that no longer has the lock's name`);
    } finally {
      await db.close();
    }
  });

  test('a writer whose lease was taken over refuses to write, and close leaves the new lock', async () => {
    const { path, vectors } = await makeStore();
    const db = await RvfDatabase.open(path);
    const sizeBefore = statSync(path).size;
    const usurper = lockBytes({ pid: process.pid, host: HOST, ageMs: 0, ours: true });
    writeFileSync(lockPathFor(path), usurper);
    // A heartbeat comes and goes: it must not write over the new holder's lock.
    await sleep(5_500);
    assert.ok(readFileSync(lockPathFor(path)).equals(usurper), 'the heartbeat left the new holder\'s lock alone');
    const err = await expectRvfError(db.ingestBatch([{ id: 50, vector: vectors[0] as Float32Array }]), 'ELOCK');
    assert.match(err.message, /lost the writer lease/);
    await expectRvfError(db.delete([1]), 'ELOCK');
    assert.equal(statSync(path).size, sizeBefore, 'nothing was written after the lease was lost');
    await db.close();
    assert.ok(readFileSync(lockPathFor(path)).equals(usurper), 'close did not remove the new holder\'s lock');
  });

  test('create and open hold a decodable lock with our pid and host; close removes it', async () => {
    const path = join(ROOT, `s${n++}.rvf`);
    const db = await RvfDatabase.create(path, { dimensions: DIM });
    let holder = decodeLock(readFileSync(lockPathFor(path)));
    assert.ok(holder);
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.host, HOST);
    assert.equal(holder.ours, true);
    assert.equal(readFileSync(lockPathFor(path)).length, 104);
    await db.close();
    assert.equal(existsSync(lockPathFor(path)), false);
    await db.close(); // twice is fine

    const again = await RvfDatabase.open(path);
    holder = decodeLock(readFileSync(lockPathFor(path)));
    assert.equal(holder?.pid, process.pid);
    const ro = await RvfDatabase.openReadonly(path);
    await ro.close();
    assert.ok(existsSync(lockPathFor(path)), 'closing a reader does not touch the writer\'s lock');
    await again.close();
    assert.equal(existsSync(lockPathFor(path)), false);
  });
});

describe('lock interop with the native runtime', () => {
  test('a native writer excludes ours, and ours excludes the native one', async () => {
    const path = join(ROOT, `native${n++}.rvf`);
    const vectors = randomVectors(4, DIM, 55);
    const created = native.RvfDatabase.create(path, { dimension: DIM, metric: 'l2' });
    const flat = new Float32Array(vectors.length * DIM);
    vectors.forEach((v, i) => flat.set(v, i * DIM));
    created.ingestBatch(flat, [1, 2, 3, 4]);
    created.close();
    assert.equal(existsSync(lockPathFor(path)), false);

    const nw = native.RvfDatabase.open(path);
    try {
      const holder = decodeLock(readFileSync(lockPathFor(path)));
      assert.ok(holder, 'the native lock decodes with our decoder');
      assert.equal(holder.ours, false);
      assert.equal(holder.pid, process.pid);
      assert.equal(holder.host, HOST);
      const err = await expectRvfError(RvfDatabase.open(path), 'ELOCK');
      assert.ok(err.message.includes(`pid ${process.pid}`) && err.message.includes(HOST), err.message);
      // A reader still works beside the native writer.
      const ro = await RvfDatabase.openReadonly(path);
      assert.equal((await ro.status()).totalVectors, 4);
      await ro.close();
    } finally {
      nw.close();
    }
    assert.equal(existsSync(lockPathFor(path)), false);

    const ours = await RvfDatabase.open(path);
    try {
      assert.throws(() => native.RvfDatabase.open(path), /LockHeld/);
      // The native reader takes no lock and still reads the file.
      const nr = native.RvfDatabase.openReadonly(path);
      assert.equal(nr.status().totalVectors, 4);
      nr.close();
    } finally {
      await ours.close();
    }
    const reopened = native.RvfDatabase.open(path);
    reopened.close();
  });

  test('a native open fails while another process of ours holds the lease', async () => {
    const { path } = await makeStore();
    const holder = spawn('lease-writer.ts', [path]);
    await waitForLine(holder.child, 'ready');
    assert.throws(() => native.RvfDatabase.open(path), /LockHeld/);
    holder.child.kill('SIGTERM');
    await holder.done;
    const nw = native.RvfDatabase.open(path);
    nw.close();
  });
});

test('a lock staging file left by a writer killed before linking it is removed by the next writer; a live one stays', async () => {
  const { path } = await makeStore();
  const { child, done } = spawn('lease-sleeper.ts', []);
  const live = child.pid as number;
  const deadChild = spawn('lease-sleeper.ts', []);
  const dead = deadChild.child.pid as number;
  deadChild.child.kill('SIGKILL');
  await deadChild.done;
  const deadStaging = `${lockPathFor(path)}.${dead}.0badc0de.tmp`;
  const liveStaging = `${lockPathFor(path)}.${live}.0badc0de.tmp`;
  writeFileSync(deadStaging, randomBytes(104));
  writeFileSync(liveStaging, randomBytes(104));
  const db = await RvfDatabase.open(path);
  try {
    assert.equal(existsSync(deadStaging), false, 'the dead process staging file is gone');
    assert.equal(existsSync(liveStaging), true, 'a live process staging file is left alone');
  } finally {
    await db.close();
    unlinkSync(liveStaging);
    child.kill('SIGKILL');
    await done;
  }
});

test('a symlink to a store is the same store: its writer lease and cache are the real file\'s', async () => {
  const { path } = await makeStore();
  const alias = join(ROOT, `alias-${n++}.rvf`);
  symlinkSync(path, alias);
  const writer = await RvfDatabase.open(path);
  try {
    await expectRvfError(RvfDatabase.open(alias), 'ELOCK', 'a second writer through the alias');
    await writer.ingestBatch([{ id: 99, vector: new Float32Array(DIM).fill(0.5) }]);
  } finally {
    await writer.close();
  }
  const viaAlias = await RvfDatabase.open(alias);
  try {
    assert.equal(viaAlias.path, path, 'the handle names the real file');
    assert.equal((await viaAlias.status()).totalVectors, 6);
    await viaAlias.compact();
  } finally {
    await viaAlias.close();
  }
  assert.ok(lstatSync(alias).isSymbolicLink(), 'compaction replaced the real file, not the link');
  assert.equal(existsSync(`${alias}.sqlite`), false, 'no second cache was made beside the link');
});

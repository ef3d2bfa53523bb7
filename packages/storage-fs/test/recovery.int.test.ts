import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsStorageBackend } from '../src/index.js';
import { encodeDelete } from '../src/wal-frame.js';
import { capturingLogger } from './helpers/capturing-logger.js';
import { openStore, trackedStores } from './helpers/temp-store.js';

const { temp, open } = trackedStores();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * "Crash" an in-process store: drop it without close() (no checkpoint, nothing flushed beyond what
 * its acknowledged appends made durable). Its writer lock is released by the linger timer.
 */
async function abandon(_store: FsStorageBackend): Promise<void> {
  await sleep(20);
}

function walFile(dir: string): string {
  const wal = path.join(dir, '.ffdb/wal');
  const names = fs.readdirSync(wal).filter((n) => n.endsWith('.wal'));
  expect(names).toHaveLength(1);
  return path.join(wal, names[0] as string);
}

/** Offset of the first zero frame header: the end of the written frames. */
function walEnd(file: string): number {
  const buf = fs.readFileSync(file);
  let off = 0;
  while (off + 13 <= buf.length && buf.readUInt32LE(off + 4) !== 0) off += 13 + buf.readUInt32LE(off);
  return off;
}

describe('crash recovery', () => {
  it('replays acknowledged WAL records and cuts a torn WAL tail', async () => {
    const dir = temp();
    const a = await openStore(dir);
    for (let i = 0; i < 10; i++) await a.append('u/log', [{ i }]);
    await a.append('u/other', [{ x: 1 }, { x: 2 }]);
    await abandon(a);
    const file = walFile(dir);
    const end = walEnd(file);
    // A torn frame: a plausible header and half a payload.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 0, 0, 0, 1, 9, 9, 9]), 0, 16, end);
    fs.closeSync(fd);
    const b = await open(dir);
    expect((await b.readLog<{ i: number }>('u/log')).map((e) => e.data.i)).toEqual([...Array(10).keys()]);
    expect(await b.countLog('u/other')).toBe(2);
    expect(await b.append('u/log', [{ i: 10 }])).toEqual({ firstSeq: 10, count: 1 });
    expect((await b.verify()).issues).toEqual([]);
  });

  it('recovers with a stale writer lock left by a dead process', async () => {
    const dir = temp();
    const a = await openStore(dir);
    await a.append('u/log', [{ i: 0 }]);
    await a.close();
    fs.symlinkSync(
      `4194305@deadbeefdeadbeef@${Date.now()}@${os.hostname()}`,
      path.join(dir, '.ffdb/locks/writer.lock'),
    );
    const b = await open(dir, { lockTimeoutMs: 2000 });
    expect(await b.append('u/log', [{ i: 1 }])).toEqual({ firstSeq: 1, count: 1 });
  });

  it('completes a delete interrupted between its DELETE frame and the rename', async () => {
    const dir = temp();
    const a = await openStore(dir);
    await a.write('p/blob', new Uint8Array([1]));
    await a.append('p/log', [{ a: 1 }]);
    await a.append('q/log', [{ a: 1 }]);
    await abandon(a);
    const file = walFile(dir);
    const gen = Number(path.basename(file, '.wal'));
    const fd = fs.openSync(file, 'r+');
    const frame = encodeDelete(gen, 'p');
    fs.writeSync(fd, frame, 0, frame.length, walEnd(file));
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    const b = await open(dir);
    expect(await b.exists('p')).toBe(false);
    expect(await b.countLog('p/log')).toBe(0);
    expect(await b.countLog('q/log')).toBe(1);
    expect((await b.verify()).issues).toEqual([]);
  });

  it('cuts a torn segment tail on the next checkpoint; verify reports and repairs it', async () => {
    const dir = temp();
    const a = await openStore(dir);
    await a.append(
      'u/log',
      Array.from({ length: 5 }, (_, i) => ({ i })),
    );
    await a.close();
    const seg = path.join(dir, 'u/log.fflog/0000000000000000.seg');
    fs.appendFileSync(seg, '0000002a 12345678 {"seq":5,"da');
    const b = await open(dir);
    expect(await b.countLog('u/log')).toBe(5);
    const report = await b.verify();
    expect(report.ok).toBe(false);
    expect(report.issues.map((i) => i.code)).toEqual(['torn_tail']);
    expect(report.issues[0]?.key).toBe('u/log');
    const repaired = await b.verify({ repair: true });
    expect(repaired.issues[0]?.repaired).toBe(true);
    expect((await b.verify()).issues).toEqual([]);
    expect(await b.append('u/log', [{ i: 5 }])).toEqual({ firstSeq: 5, count: 1 });
    expect((await b.readLog<{ i: number }>('u/log')).map((e) => e.data.i)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('a log that cannot be checkpointed', () => {
  it('is refused at append when a parent is a file', async () => {
    const s = await open(temp());
    await s.write('pf/a', new Uint8Array([1]));
    const err = await s.append('pf/a/log', [{ x: 1 }]).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('FF_STORAGE');
    expect((err as Error).message).toContain('"pf/a/log"');
    expect(await s.countLog('pf/a/log')).toBe(0);
  });

  it('does not block other logs: its records stay in the WAL until the cause is gone', async () => {
    const dir = temp();
    const s = await open(dir);
    await s.append('pf2/x/log', [{ x: 1 }]);
    await s.append('ok/log', [{ y: 1 }]);
    await s.write('pf2/x', new Uint8Array([1])); // now the log's directory cannot be created
    const err = await s.checkpoint().catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('FF_STORAGE');
    expect(fs.existsSync(path.join(dir, 'ok/log.fflog/0000000000000000.seg'))).toBe(true);
    expect(await s.readLog('pf2/x/log')).toEqual([{ seq: 0, data: { x: 1 } }]);
    expect(await s.append('pf2/x/log', [{ x: 2 }])).toEqual({ firstSeq: 1, count: 1 });
    // (delete('pf2/x') would delete the log too: it lives under that prefix)
    fs.rmSync(path.join(dir, 'pf2/x'));
    await s.checkpoint();
    expect((await s.readLog<{ x: number }>('pf2/x/log')).map((e) => e.data.x)).toEqual([1, 2]);
    expect((await s.verify()).issues).toEqual([]);
  });
});

describe('damaged segments', () => {
  it('skips (and logs) a bit-flipped record in the active segment, keeping its neighbours', async () => {
    const dir = temp();
    const a = await openStore(dir);
    await a.append(
      'u/log',
      Array.from({ length: 5 }, (_, i) => ({ i, text: `record number ${i}` })),
    );
    await a.close();
    const seg = path.join(dir, 'u/log.fflog/0000000000000000.seg');
    const buf = fs.readFileSync(seg);
    const lines = buf.toString('latin1').split('\n');
    const offset = (lines[0]?.length ?? 0) + 1 + (lines[1]?.length ?? 0) + 1 + 40; // inside record 2
    buf[offset] = (buf[offset] as number) ^ 0x04;
    fs.writeFileSync(seg, buf);
    const logger = capturingLogger();
    const b = await open(dir, { logger });
    const got = await b.readLog<{ i: number }>('u/log');
    expect(got.map((e) => e.seq)).toEqual([0, 1, 3, 4]);
    expect(got.map((e) => e.data.i)).toEqual([0, 1, 3, 4]);
    expect(logger.lines.some((l) => l.level === 'warn' && /damaged/.test(l.msg ?? ''))).toBe(true);
    expect(JSON.stringify(logger.lines)).not.toContain('record number');
    const report = await b.verify();
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual([expect.objectContaining({ code: 'corrupt_record', key: 'u/log' })]);
    // the log stays appendable at the right position
    expect(await b.append('u/log', [{ i: 5 }])).toEqual({ firstSeq: 5, count: 1 });
  });

  it('reports a bit-flipped sealed block and a truncated sealed segment; other segments stay readable', async () => {
    const dir = temp();
    const opts = { segmentMaxBytes: 4096, blockBytes: 1024 };
    const a = await openStore(dir, opts);
    await a.append(
      'u/log',
      Array.from({ length: 200 }, (_, i) => ({ i, text: `sealed record ${i}` })),
    );
    await a.append(
      'u/other',
      Array.from({ length: 200 }, (_, i) => ({ i })),
    );
    await a.compact();
    await a.close();
    const logDir = path.join(dir, 'u/log.fflog');
    const sealed = fs
      .readdirSync(logDir)
      .filter((n) => n.endsWith('.sseg'))
      .sort();
    expect(sealed.length).toBeGreaterThan(2);
    const first = path.join(logDir, sealed[0] as string);
    const buf = fs.readFileSync(first);
    buf[20] = (buf[20] as number) ^ 0xff; // inside block 0
    fs.writeFileSync(first, buf);
    const second = path.join(logDir, sealed[1] as string);
    fs.truncateSync(second, fs.statSync(second).size - 10);
    const b = await open(dir, opts);
    const got = await b.readLog<{ i: number }>('u/log');
    const lastOfSecond = Number((sealed[1] as string).slice(17, 33));
    expect(got.length).toBeLessThan(200);
    expect(got.every((e) => e.data.i === e.seq)).toBe(true);
    expect(got[got.length - 1]?.seq).toBe(199);
    expect(got.some((e) => e.seq === lastOfSecond + 1)).toBe(true);
    const report = await b.verify();
    expect(report.issues.map((i) => i.code).sort()).toEqual(['corrupt_block', 'corrupt_segment']);
    expect(report.issues.every((i) => i.key === 'u/log')).toBe(true);
    // A repair leaves damaged data in place, and its report says so instead of repeating the check's.
    const afterRepair = await b.verify({ repair: true });
    expect(afterRepair.ok).toBe(false);
    for (const issue of afterRepair.issues) {
      expect(issue.repaired).toBeUndefined();
      expect(issue.message).toMatch(/not repaired: damaged data is never dropped/);
    }
    expect(await b.countLog('u/other')).toBe(200);
    expect((await b.readLog('u/other')).length).toBe(200);
  });
});

describe('opening', () => {
  it('writes ffdb.json with the format version and refuses a newer one', async () => {
    const dir = temp();
    const a = await openStore(dir);
    await a.close();
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'ffdb.json'), 'utf8'));
    expect(doc).toMatchObject({ formatVersion: 1 });
    fs.writeFileSync(path.join(dir, 'ffdb.json'), JSON.stringify({ formatVersion: 99 }));
    const err = await openStore(dir).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('FF_FORMAT_TOO_NEW');
    expect((err as Error).message).toMatch(/99/);
  });

  it('refuses a missing base path when createIfMissing is false', async () => {
    const dir = path.join(temp(), 'missing');
    const s = new FsStorageBackend({ basePath: dir, createIfMissing: false });
    const err = await s.open().catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('FF_STORAGE_MISSING_BASE');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('rejects bad options with one FFValidationError naming each field', () => {
    let err: unknown;
    try {
      new FsStorageBackend({ basePath: '', durability: 'sometimes' as 'always', segmentMaxBytes: 10 });
    } catch (e) {
      err = e;
    }
    const issues = (err as { issues?: { path: string }[] }).issues?.map((i) => i.path).sort();
    expect(issues).toEqual(['basePath', 'durability', 'segmentMaxBytes']);
  });

  it('throws FF_CLOSED after close', async () => {
    const s = await openStore(temp());
    await s.close();
    const err = await s.append('x', [{ a: 1 }]).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('FF_CLOSED');
  });
});

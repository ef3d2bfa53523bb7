import fs from 'node:fs';
import path from 'node:path';
import { BrotliCompressor, CborCodec, Lz4Compressor } from '@ffdb/compression';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { BuiltinJsonCodec, FsStorageBackend } from '../src/index.js';
import { openStore, tempDir } from './helpers/temp-store.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function fresh(
  options: Parameters<typeof openStore>[1] = {},
): Promise<{ store: FsStorageBackend; dir: string }> {
  const t = tempDir();
  const store = await openStore(t.dir, options);
  cleanups.push(async () => {
    await store.close();
    t.cleanup();
  });
  return { store, dir: t.dir };
}

/** A chat-like record of about 500 bytes (varied words, so compression figures are not inflated). */
function message(i: number) {
  const words = [
    'the',
    'storage',
    'engine',
    'appends',
    'records',
    'durably',
    'while',
    'readers',
    'page',
    'through',
    'history',
    'quickly',
    'and',
    'nothing',
    'is',
    'lost',
    'after',
    'a',
    'crash',
    'because',
    'frames',
    'carry',
    'checksums',
  ];
  let s = (i * 2654435761) >>> 0;
  const content = Array.from({ length: 55 + (i % 30) }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return words[s % words.length];
  }).join(' ');
  return {
    messageId: `msg_${i.toString(16).padStart(12, '0')}`,
    role: i % 2 ? 'assistant' : 'user',
    content,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    metadata: { tokens: 40 + (i % 17) },
  };
}

describe('logs across WAL, active and sealed segments', () => {
  it('reads any range forward and reverse while records move from the WAL into sealed segments', async () => {
    const { store, dir } = await fresh({
      segmentMaxBytes: 16 << 10,
      blockBytes: 4096,
      walCheckpointBytes: 64 << 10,
    });
    const total = 1500;
    for (let i = 0; i < total; i += 50)
      await store.append(
        'u/s/log',
        Array.from({ length: 50 }, (_, j) => message(i + j)),
      );
    // part checkpointed (automatically, by size), part still only in the WAL
    const segs = fs.readdirSync(path.join(dir, 'u/s/log.fflog'));
    expect(segs.some((n) => n.endsWith('.sseg'))).toBe(true);
    expect(await store.countLog('u/s/log')).toBe(total);
    const check = async () => {
      for (const [fromSeq, limit] of [
        [0, 10],
        [700, 50],
        [1450, 100],
        [1499, 5],
        [333, 1],
      ] as const) {
        const fwd = await store.readLog('u/s/log', { fromSeq, limit });
        expect(fwd.map((e) => e.seq)).toEqual(
          Array.from({ length: Math.min(limit, total - fromSeq) }, (_, k) => fromSeq + k),
        );
        expect(fwd[0]?.data).toEqual(message(fromSeq));
        const rev = await store.readLog('u/s/log', { fromSeq, limit, reverse: true });
        expect(rev.map((e) => e.seq)).toEqual(
          Array.from({ length: Math.min(limit, fromSeq + 1) }, (_, k) => fromSeq - k),
        );
      }
      const tail = await store.readLog('u/s/log', { reverse: true, limit: 50 });
      expect(tail.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, k) => total - 1 - k));
      expect((await store.readLog('u/s/log')).map((e) => e.data)).toEqual(
        Array.from({ length: total }, (_, i) => message(i)),
      );
    };
    await check();
    await store.checkpoint();
    await check();
    await store.compact();
    await check();
    expect((await store.verify()).issues).toEqual([]);
  });

  it('matches a reference model under random appends, checkpoints and reopens (fast-check)', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    let store = await openStore(t.dir, {
      segmentMaxBytes: 4096,
      blockBytes: 1024,
      walCheckpointBytes: 64 << 10,
      durability: 'none',
    });
    cleanups.push(() => store.close());
    const model = new Map<string, number[]>();
    let n = 0;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('append' as const),
        log: fc.constantFrom('a', 'b/c', 'b/d'),
        size: fc.integer({ min: 1, max: 40 }),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        log: fc.constantFrom('a', 'b/c', 'b/d'),
        from: fc.nat(400),
        limit: fc.integer({ min: 1, max: 120 }),
        reverse: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('checkpoint' as const) }),
      fc.record({ kind: fc.constant('reopen' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        for (const o of ops) {
          if (o.kind === 'append') {
            const values = Array.from({ length: o.size }, () => n++);
            const list = model.get(o.log) ?? [];
            const res = await store.append(
              o.log,
              values.map((v) => ({ v, pad: 'p'.repeat(v % 50) })),
            );
            expect(res).toEqual({ firstSeq: list.length, count: o.size });
            list.push(...values);
            model.set(o.log, list);
          } else if (o.kind === 'read') {
            const list = model.get(o.log) ?? [];
            const got = (
              await store.readLog<{ v: number }>(o.log, {
                fromSeq: o.from,
                limit: o.limit,
                reverse: o.reverse,
              })
            ).map((e) => e.data.v);
            let want: number[];
            if (o.reverse) {
              const hi = Math.min(o.from, list.length - 1);
              want = hi < 0 ? [] : list.slice(Math.max(0, hi - o.limit + 1), hi + 1).reverse();
            } else want = list.slice(o.from, o.from + o.limit);
            expect(got).toEqual(want);
            expect(await store.countLog(o.log)).toBe(list.length);
          } else if (o.kind === 'checkpoint') await store.checkpoint();
          else {
            await store.close();
            store = await openStore(t.dir, {
              segmentMaxBytes: 4096,
              blockBytes: 1024,
              walCheckpointBytes: 64 << 10,
              durability: 'none',
            });
          }
        }
      }),
      { numRuns: 15 },
    );
    expect((await store.verify()).issues).toEqual([]);
  });

  it('pages through a large active segment by its line index, also while it grows', async () => {
    const { store } = await fresh();
    for (let i = 0; i < 1200; i += 100)
      await store.append(
        'big/log',
        Array.from({ length: 100 }, (_, j) => message(i + j)),
      );
    await store.checkpoint();
    for (let round = 0; round < 3; round++) {
      for (const from of [0, 17, 400, 999]) {
        const page = await store.readLog('big/log', { fromSeq: from, limit: 25 });
        expect(page.map((e) => e.data)).toEqual(Array.from({ length: 25 }, (_, k) => message(from + k)));
      }
      const n = await store.countLog('big/log');
      await store.append(
        'big/log',
        Array.from({ length: 50 }, (_, j) => message(n + j)),
      );
      await store.checkpoint();
    }
    expect((await store.readLog('big/log', { fromSeq: 1200, limit: 150 })).map((e) => e.data)).toEqual(
      Array.from({ length: 150 }, (_, k) => message(1200 + k)),
    );
  });

  it('also rolls segments by record count, and maps FFConfig storage fields', async () => {
    const { store, dir } = await fresh({ segmentMaxRecords: 30 });
    await store.append(
      'rc/log',
      Array.from({ length: 100 }, (_, i) => ({ i })),
    );
    await store.checkpoint();
    const names = fs.readdirSync(path.join(dir, 'rc/log.fflog')).sort();
    expect(names).toEqual([
      '0000000000000000-0000000000000029.r0.sseg',
      '0000000000000030-0000000000000059.r0.sseg',
      '0000000000000060-0000000000000089.r0.sseg',
      '0000000000000090.seg',
    ]);
    expect(
      (await store.readLog<{ i: number }>('rc/log', { fromSeq: 25, limit: 10 })).map((e) => e.data.i),
    ).toEqual([25, 26, 27, 28, 29, 30, 31, 32, 33, 34]);
    const { fsStorageOptionsFromConfig } = await import('../src/index.js');
    expect(
      fsStorageOptionsFromConfig({
        storage: {
          basePath: '/x',
          durability: 'batch',
          batchDelayMs: 0,
          maxOpenFiles: 64,
          walMaxBytes: 1 << 20,
          segmentMaxRecords: 500,
        },
        locking: { timeoutSeconds: 2.5 },
        compression: { archiveAfterDays: 30 },
      }),
    ).toEqual({
      basePath: '/x',
      durability: 'batch',
      batchDelayMs: 0,
      maxOpenFiles: 64,
      walCheckpointBytes: 1 << 20,
      segmentMaxRecords: 500,
      lockTimeoutMs: 2500,
      archiveAfterDays: 30,
    });
  });

  it('reports a prefix that only holds a checkpointed log as existing', async () => {
    const { store } = await fresh();
    await store.append('only/logs/here', [{ a: 1 }]);
    await store.checkpoint();
    expect(await store.exists('only')).toBe(true);
    expect(await store.exists('only/logs')).toBe(true);
    expect(await store.exists('only/logs/here')).toBe(true);
    expect(await store.exists('only/logs/her')).toBe(false);
  });

  it('keeps the active segment human-readable: one JSON record per line after the framing', async () => {
    const { store, dir } = await fresh();
    await store.append('u/log', [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi' },
    ]);
    await store.checkpoint();
    const text = fs.readFileSync(path.join(dir, 'u/log.fflog', '0000000000000000.seg'), 'utf8');
    const lines = text.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l.slice(18)))).toEqual([
      { seq: 0, data: { role: 'user', content: 'hello' } },
      { seq: 1, data: { role: 'assistant', content: 'hi' } },
    ]);
    expect(lines[0]).toMatch(/^[0-9a-f]{8} [0-9a-f]{8} \{/);
  });

  it('seals with lz4 over cbor (>= 45 % smaller) and archives with brotli (>= 70 %), read transparently', async () => {
    const { store, dir } = await fresh({
      compressor: new Lz4Compressor(),
      archiveCompressor: new BrotliCompressor(),
      codec: new CborCodec(),
      segmentMaxBytes: 256 << 10,
    });
    const total = 3000;
    for (let i = 0; i < total; i += 100)
      await store.append(
        'c/log',
        Array.from({ length: 100 }, (_, j) => message(i + j)),
      );
    const raw = Array.from({ length: total }, (_, i) => `${JSON.stringify(message(i))}\n`).join('').length;
    await store.compact();
    const logDir = path.join(dir, 'c/log.fflog');
    const size = () => fs.readdirSync(logDir).reduce((s, n) => s + fs.statSync(path.join(logDir, n)).size, 0);
    expect(fs.readdirSync(logDir).every((n) => n.endsWith('.sseg'))).toBe(true);
    const lz4Ratio = 1 - size() / raw;
    expect(lz4Ratio).toBeGreaterThanOrEqual(0.45);
    expect((await store.readLog('c/log', { fromSeq: 1234, limit: 3 })).map((e) => e.data)).toEqual([
      message(1234),
      message(1235),
      message(1236),
    ]);
    const report = await store.compact({ archive: true });
    expect(report.segmentsRewritten).toBeGreaterThan(0);
    expect(report.bytesAfter).toBeLessThan(report.bytesBefore);
    const brotliRatio = 1 - size() / raw;
    expect(brotliRatio).toBeGreaterThanOrEqual(0.7);
    // A log whose records are all still in its active segment is archived by one run too.
    await store.append(
      'c/fresh',
      Array.from({ length: 200 }, (_, i) => message(i)),
    );
    await store.compact({ archive: true });
    const freshDir = path.join(dir, 'c/fresh.fflog');
    const freshRaw = Array.from({ length: 200 }, (_, i) => `${JSON.stringify(message(i))}\n`).join('').length;
    const freshSize = fs
      .readdirSync(freshDir)
      .reduce((n, f) => n + fs.statSync(path.join(freshDir, f)).size, 0);
    expect(1 - freshSize / freshRaw).toBeGreaterThanOrEqual(0.7);
    expect((await store.compact({ archive: true })).segmentsRewritten).toBe(0);
    expect((await store.readLog('c/log', { reverse: true, limit: 2 })).map((e) => e.data)).toEqual([
      message(total - 1),
      message(total - 2),
    ]);
    expect(await store.countLog('c/log')).toBe(total);
    expect((await store.verify()).issues).toEqual([]);
    // appends continue after archiving
    expect(await store.append('c/log', [message(total)])).toEqual({ firstSeq: total, count: 1 });
    expect((await store.usage('c')).logicalBytes).toBeGreaterThan((await store.usage('c')).bytes);
  });

  it('usage counts the WAL by the frames written to it, not by its pre-allocated space', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const store = await openStore(t.dir);
    await store.append('u/log', [{ text: 'a small record' }]);
    const walDir = path.join(t.dir, '.ffdb/wal');
    const walFileBytes = fs
      .readdirSync(walDir)
      .reduce((n, f) => n + fs.statSync(path.join(walDir, f)).size, 0);
    expect(walFileBytes).toBeGreaterThanOrEqual(64 << 10); // pre-allocated
    const usage = await store.usage();
    expect(usage.bytes).toBeGreaterThan(0);
    expect(usage.bytes).toBeLessThan(4096);
    expect(usage.logicalBytes).toBeGreaterThan(0);
  });

  it('refuses to read a segment whose compressor is not configured, naming it', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const a = await openStore(t.dir, { compressor: new Lz4Compressor() });
    await a.append('x/log', [{ a: 1 }]);
    await a.compact();
    await a.close();
    const b = await openStore(t.dir);
    cleanups.push(() => b.close());
    const err = await b.readLog('x/log').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/lz4/);
  });

  it('reads blocks written by @ffdb/compression none + json, and its codec reads ours', async () => {
    const { NoneCompressor, JsonCodec } = await import('@ffdb/compression');
    const t = tempDir();
    cleanups.push(t.cleanup);
    const a = await openStore(t.dir, {
      compressor: new NoneCompressor(),
      codec: new JsonCodec(),
      segmentMaxBytes: 4096,
    });
    await a.append(
      'x/log',
      Array.from({ length: 100 }, (_, i) => message(i)),
    );
    await a.compact();
    await a.close();
    const b = await openStore(t.dir, { decompressors: [new NoneCompressor()] });
    cleanups.push(() => b.close());
    expect((await b.readLog('x/log')).map((e) => e.data)).toEqual(
      Array.from({ length: 100 }, (_, i) => message(i)),
    );
    expect(new JsonCodec().decode(new BuiltinJsonCodec().encode([{ a: 1 }, { b: 'ü' }]))).toEqual([
      { a: 1 },
      { b: 'ü' },
    ]);
  });

  it('supports durability none and batch with the same results', async () => {
    for (const durability of ['none', 'batch'] as const) {
      const { store } = await fresh({ durability, batchDelayMs: 5 });
      const res = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append('d/log', [{ i }])));
      expect(new Set(res.map((r) => r.firstSeq)).size).toBe(20);
      expect(await store.countLog('d/log')).toBe(20);
    }
  });

  it('group-commits concurrent appends across many logs into few WAL writes', async () => {
    const { store } = await fresh();
    const writes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.append(`g/s${i % 50}`, [{ i }])),
    );
    expect(writes.length).toBe(200);
    for (let s = 0; s < 50; s++) expect(await store.countLog(`g/s${s}`)).toBe(4);
    const health = await store.healthCheck();
    expect(health.healthy).toBe(true);
    expect(health.pendingLogs).toBe(50);
  });
});

describe('blobs on disk', () => {
  it('creates files 0600 and directories 0700, and leaves no temp files', async () => {
    const { store, dir } = await fresh();
    await store.write('users/u1/profile.json', new TextEncoder().encode('{}'));
    await store.append('users/u1/sessions/s1/log', [{ a: 1 }]);
    await store.checkpoint();
    expect(fs.statSync(path.join(dir, 'users/u1/profile.json')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, 'users/u1')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'users/u1/sessions/s1/log.fflog')).mode & 0o777).toBe(0o700);
    const seg = path.join(dir, 'users/u1/sessions/s1/log.fflog/0000000000000000.seg');
    expect(fs.statSync(seg).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.join(dir, 'users/u1')).filter((n) => n.startsWith('.ffdb-tmp'))).toEqual([]);
  });

  it('reads small blobs (synchronous calls) and large ones (thread pool) whole, each in a buffer of its own', async () => {
    const { store } = await fresh();
    const small = new TextEncoder().encode('{"title":"a small metadata blob"}');
    const large = new Uint8Array(300 << 10).map((_, i) => (i * 31 + 7) & 0xff);
    await store.write('b/small', small);
    await store.write('b/large', large);
    await store.write('b/empty', new Uint8Array(0));
    const s = await store.read('b/small');
    expect(s).toEqual(small);
    // Not a view of a pooled allocation that other reads share: a caller may keep or hand on `.buffer`.
    expect(s?.buffer.byteLength).toBe(small.byteLength);
    const l = await store.read('b/large');
    expect(l && Buffer.compare(l, large)).toBe(0);
    expect((await store.read('b/empty'))?.byteLength).toBe(0);
    // No file at the key: missing, a directory, or a path through a file.
    expect(await store.read('b/none')).toBeNull();
    expect(await store.read('b')).toBeNull();
    expect(await store.read('b/small/inner')).toBeNull();
  });

  it('rejects reserved names', async () => {
    const { store } = await fresh();
    for (const key of ['.ffdb/wal/x', 'ffdb.json', 'a/b.fflog', 'a/.ffdb-tmp-x/y']) {
      const err = await store.write(key, new Uint8Array(1)).catch((e: unknown) => e);
      expect((err as { code?: string }).code, key).toBe('FF_VALIDATION');
    }
  });
});

describe('append outcomes are promises', () => {
  // append() is a plain function on the hot path (not async): every failure must still arrive as a
  // rejected promise, never as a synchronous throw, and bad input must write nothing.
  it('rejects bad input without throwing synchronously and writes nothing', async () => {
    const { store } = await fresh();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const calls: [string, () => Promise<unknown>][] = [
      ['hostile key', () => store.append('../outside', [{ a: 1 }])],
      ['records not an array', () => store.append('ok/log', 'x' as never)],
      ['record not an object', () => store.append('ok/log', [1 as never])],
      ['cyclic record', () => store.append('ok/log', [cyclic as never])],
      ['batch too large', () => store.append('ok/log', [{ big: 'x'.repeat(80 * 1024 * 1024) }])],
    ];
    for (const [what, call] of calls) {
      let returned: Promise<unknown> | undefined;
      expect(() => {
        returned = call();
      }, what).not.toThrow();
      const err = await returned?.catch((e: unknown) => e);
      expect((err as { code?: string }).code, what).toBe('FF_VALIDATION');
    }
    expect(await store.countLog('ok/log')).toBe(0);
    expect(await store.listLogs('')).toEqual([]);
    // Options of the wrong shape are refused by name, never taken as "no options".
    const badOptions: [string, () => Promise<unknown>, string][] = [
      ['readLog options a string', () => store.readLog('ok/log', 'x' as never), 'options'],
      [
        'list recursive not a boolean',
        () => store.list('', { recursive: 'yes' as never }),
        'options.recursive',
      ],
      [
        'withLock timeout below 1',
        () => store.withLock('ok/k', async () => 1, { timeoutMs: -5 }),
        'options.timeoutMs',
      ],
      ['compact negative age', () => store.compact({ olderThanDays: -1 }), 'options.olderThanDays'],
      ['compact archive not a boolean', () => store.compact({ archive: 'yes' as never }), 'options.archive'],
      [
        'writeStream chunk not bytes',
        () =>
          store.writeStream(
            'ok/blob',
            (async function* () {
              yield 'text' as never;
            })(),
          ),
        'chunks',
      ],
      [
        'a key segment over 255 bytes of UTF-8',
        () => store.write(`ok/${'键'.repeat(86)}`, new Uint8Array(1)),
        'key',
      ],
    ];
    for (const [what, call, path] of badOptions) {
      const err = await call().catch((e: unknown) => e);
      expect(err, what).toMatchObject({ code: 'FF_VALIDATION', issues: [{ path }] });
    }
    expect(await store.exists('ok/blob')).toBe(false);
    expect(await store.list('ok')).toEqual([]);
  });

  it('queues appends made before open() finished, and rejects appends after close()', async () => {
    const t = tempDir();
    cleanups.push(() => t.cleanup());
    const store = new FsStorageBackend({ basePath: t.dir, checkpointIdleMs: 0 });
    const opening = store.open();
    const early = store.append('early/log', [{ n: 1 }]);
    await opening;
    expect(await early).toEqual({ firstSeq: 0, count: 1 });
    await store.close();
    let late: Promise<unknown> | undefined;
    expect(() => {
      late = store.append('early/log', [{ n: 2 }]);
    }).not.toThrow();
    const err = await late?.catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('FF_CLOSED');
    const again = await openStore(t.dir);
    cleanups.push(() => again.close());
    expect((await again.readLog('early/log')).map((r) => r.data)).toEqual([{ n: 1 }]);
  });
});

describe('a lone writer appending in a loop', () => {
  // Its next commit starts without waiting for an event-loop turn (cheaper), but not forever: a
  // timer set before the loop must still fire while the loop runs.
  it.each(['none', 'always'] as const)('lets timers run meanwhile (durability %s)', async (durability) => {
    const { store } = await fresh({ durability });
    let fired = false;
    const timer = setTimeout(() => {
      fired = true;
    }, 1);
    for (let i = 0; i < 5000 && !fired; i++) await store.append('loop/log', [{ i }]);
    clearTimeout(timer);
    expect(fired).toBe(true);
  });
});

describe('record texts in any script', () => {
  // A commit sizes its buffer by a bound on each text's UTF-8 bytes and fills in each length from
  // what was written: multi-byte texts must come back exact from every place a record lives.
  it('keeps multi-byte texts exact through a group commit, another handle reading the WAL and a reopen', async () => {
    const { store, dir } = await fresh();
    const texts = [
      'plain ascii',
      'ünïcödé — “quotes” and ✓',
      '中文字符'.repeat(300),
      '😀 emoji and surrogate pairs '.repeat(40),
      'escapes: "quoted" \\ back\nslash\ttab \u0001',
      'a lone \ud800 surrogate',
    ];
    const records = texts.map((t, i) => ({ i, t }));
    // Appended in one turn: they are committed together, several frames in one buffer.
    const results = await Promise.all(records.map((r, i) => store.append(`script/${i % 2}`, [r])));
    expect(results.map((r) => r.count)).toEqual(texts.map(() => 1));
    const expected = (log: number) => records.filter((_, i) => i % 2 === log);
    const read = async (s: FsStorageBackend, log: number) =>
      (await s.readLog(`script/${log}`)).map((r) => r.data);
    // Another handle learns the records from the WAL frames alone.
    const other = await openStore(dir);
    for (const log of [0, 1]) expect(await read(other, log)).toEqual(expected(log));
    await other.close();
    // And from the segments the close checkpoint writes.
    await store.close();
    const again = await openStore(dir);
    cleanups.push(() => again.close());
    for (const log of [0, 1]) expect(await read(again, log)).toEqual(expected(log));
    expect((await again.verify()).ok).toBe(true);
  });

  it('accepts a batch whose size bound passes the limit while its real size does not', async () => {
    const { store } = await fresh({ durability: 'none' });
    // 30 MiB of ASCII: its bound (3 bytes a character) is 90 MiB, over the 64 MiB commit limit.
    const big = 'x'.repeat(30 << 20);
    expect(await store.append('big/log', [{ big }])).toEqual({ firstSeq: 0, count: 1 });
    const [rec] = await store.readLog('big/log');
    expect((rec?.data as { big?: string } | undefined)?.big?.length).toBe(big.length);
  });
});

import type { JsonObject, StorageBackend, StorageCapabilities } from '@ffdb/core-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesEqual, caught, collectBytes, hasCode, seededBytes, sleep, waitFor } from './helpers.js';

export interface StorageBackendFixture {
  backend: StorageBackend;
  /** Closes the backend and removes whatever the factory created (temp directories …). */
  cleanup: () => Promise<void>;
}

export interface StorageSuiteOptions {
  /**
   * What the adapter can do. Tests of optional behaviour are registered only when the flag is true here
   * (defaults: `atomicBlobs: true`, everything else false). Registration is synchronous, so the suite
   * cannot ask the (async) factory; pass the same flags your adapter declares.
   */
  capabilities?: Partial<StorageCapabilities>;
  /**
   * For persistent adapters: close `backend` and return a new instance over the same data (a restart).
   * The suite closes the returned instance; the fixture's `cleanup` still runs afterwards.
   */
  reopen?: (backend: StorageBackend) => Promise<StorageBackend>;
  /** For `crossProcessWatch`: append `records` to `log` from another process of the same store. */
  appendFromOtherProcess?: (backend: StorageBackend, log: string, records: JsonObject[]) => Promise<void>;
  /** Scale knobs (keep CI fast). */
  concurrentBatches?: number;
  overwriteRounds?: number;
}

/** Keys no adapter may accept. Every method must reject them with FFValidationError, and write nothing. */
export const HOSTILE_KEYS: readonly string[] = [
  '',
  '.',
  '..',
  '../x',
  'a/../../x',
  'a/./b',
  'a/..',
  '/etc/passwd',
  '/',
  'C:\\x',
  'C:/x',
  'c:x',
  'a\\b',
  '..\\..\\x',
  'a\0b',
  'a/\0',
  'a\u0001b',
  'a\nb',
  'a\u007fb',
  'a//b',
  '/a',
  'a/',
];

/** Hostile as a prefix too (the empty prefix and a trailing slash are legitimate prefixes). */
export const HOSTILE_PREFIXES: readonly string[] = HOSTILE_KEYS.filter((k) => k !== '' && k !== 'a/');

const DEFAULT_CAPS: StorageCapabilities = {
  atomicBlobs: true,
  durableAppends: false,
  multiProcess: false,
  crossProcessWatch: false,
  maintenance: false,
  persistent: false,
};

const enc = new TextEncoder();
const dec = new TextDecoder();

export function runStorageBackendSuite(
  name: string,
  factory: () => Promise<StorageBackendFixture>,
  options: StorageSuiteOptions = {},
): void {
  const caps: StorageCapabilities = { ...DEFAULT_CAPS, ...options.capabilities };
  const batches = options.concurrentBatches ?? 25;
  const rounds = options.overwriteRounds ?? 30;

  describe(`StorageBackend conformance: ${name}`, () => {
    let fixture: StorageBackendFixture | undefined;
    const b = (): StorageBackend => {
      if (!fixture) throw new Error('fixture not ready');
      return fixture.backend;
    };

    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      const f = fixture;
      fixture = undefined;
      await f?.cleanup();
    });

    it('declares an id and every capability flag', () => {
      expect(typeof b().id).toBe('string');
      expect(b().id.length).toBeGreaterThan(0);
      for (const flag of Object.keys(DEFAULT_CAPS)) {
        expect(typeof (b().capabilities as unknown as Record<string, unknown>)[flag], flag).toBe('boolean');
      }
    });

    describe('blobs', () => {
      it('reads a missing blob as null', async () => {
        expect(await b().read('nothing/here')).toBeNull();
        expect(await b().exists('nothing/here')).toBe(false);
        expect(await b().stat('nothing/here')).toBeNull();
      });

      it('round-trips a small blob', async () => {
        await b().write('a/b/c.json', enc.encode('{"x":1}'));
        expect(dec.decode((await b().read('a/b/c.json')) ?? new Uint8Array())).toBe('{"x":1}');
      });

      it('round-trips an empty blob (empty, not missing)', async () => {
        await b().write('empty.bin', new Uint8Array(0));
        const out = await b().read('empty.bin');
        expect(out).not.toBeNull();
        expect(out?.byteLength).toBe(0);
        expect(await b().exists('empty.bin')).toBe(true);
        expect((await b().stat('empty.bin'))?.size).toBe(0);
      });

      it('round-trips every byte value', async () => {
        const all = new Uint8Array(512);
        for (let i = 0; i < all.length; i++) all[i] = i % 256;
        await b().write('bin/all-bytes', all);
        expect(bytesEqual(await b().read('bin/all-bytes'), all)).toBe(true);
      });

      it('round-trips 1 MiB of random bytes', async () => {
        const big = seededBytes(1024 * 1024, 42);
        await b().write('bin/big', big);
        const out = await b().read('bin/big');
        expect(out?.byteLength).toBe(big.byteLength);
        expect(bytesEqual(out, big)).toBe(true);
        expect((await b().stat('bin/big'))?.size).toBe(big.byteLength);
      });

      it('overwrites completely, also with shorter content', async () => {
        await b().write('o', enc.encode('a long first value'));
        await b().write('o', enc.encode('short'));
        expect(dec.decode((await b().read('o')) ?? new Uint8Array())).toBe('short');
      });

      it('never aliases caller buffers', async () => {
        const data = enc.encode('original');
        await b().write('alias', data);
        data.fill(0);
        const first = await b().read('alias');
        first?.fill(0);
        expect(dec.decode((await b().read('alias')) ?? new Uint8Array())).toBe('original');
      });

      if (caps.atomicBlobs) {
        it('concurrent readers during repeated overwrites only see a complete old or new value', async () => {
          // Value v is `size(v)` bytes all equal to v: a torn read shows mixed bytes or a wrong length.
          const size = (v: number) => 4096 + ((v * 7919) % 200_000);
          const value = (v: number) => new Uint8Array(size(v)).fill(v);
          await b().write('atomic/blob', value(1));
          let done = false;
          const problems: string[] = [];
          let reads = 0;
          const reader = async () => {
            while (!done) {
              const out = await b().read('atomic/blob');
              reads++;
              if (!out) {
                problems.push('missing during overwrite');
                continue;
              }
              const v = out[0] ?? -1;
              if (out.byteLength !== size(v) || !out.every((x) => x === v))
                problems.push(`torn read of length ${out.byteLength}`);
              await sleep(0);
            }
          };
          const readers = [reader(), reader(), reader(), reader()];
          for (let round = 2; round < rounds + 2; round++)
            await b().write('atomic/blob', value(round % 250 || 1));
          done = true;
          await Promise.all(readers);
          expect(problems).toEqual([]);
          expect(reads).toBeGreaterThan(0);
        });
      }
    });

    describe('exists and stat', () => {
      it('reports blobs, prefixes and missing keys', async () => {
        await b().write('s/dir/file.txt', enc.encode('12345'));
        expect(await b().exists('s/dir/file.txt')).toBe(true);
        expect(await b().exists('s/dir')).toBe(true);
        expect(await b().exists('s')).toBe(true);
        expect(await b().exists('s/dir/other.txt')).toBe(false);
        expect(await b().exists('s/di')).toBe(false);
        const st = await b().stat('s/dir/file.txt');
        expect(st).toMatchObject({ key: 's/dir/file.txt', size: 5, isDirectory: false });
        expect(Number.isNaN(Date.parse(st?.createdAt ?? ''))).toBe(false);
        expect(Number.isNaN(Date.parse(st?.modifiedAt ?? ''))).toBe(false);
        expect((await b().stat('s/dir'))?.isDirectory).toBe(true);
      });

      it('reports an existing log', async () => {
        await b().append('s/log', [{ a: 1 }]);
        expect(await b().exists('s/log')).toBe(true);
        expect(await b().exists('s')).toBe(true);
      });
    });

    describe('list', () => {
      const keys = ['l/sub/deep/d', 'l/b', 'l/sub/c', 'l/a', 'lx/e', 'l/a.json'];
      const seed = async () => {
        for (const k of keys) await b().write(k, enc.encode(k));
      };

      it('lists direct children sorted, sub-directories by their key', async () => {
        await seed();
        expect(await b().list('l')).toEqual(['l/a', 'l/a.json', 'l/b', 'l/sub']);
        expect(await b().list('l/sub')).toEqual(['l/sub/c', 'l/sub/deep']);
      });

      it('lists recursively, sorted, without sibling prefixes', async () => {
        await seed();
        expect(await b().list('l', { recursive: true })).toEqual([
          'l/a',
          'l/a.json',
          'l/b',
          'l/sub/c',
          'l/sub/deep/d',
        ]);
      });

      it('treats a trailing slash like no slash and the empty prefix as the root', async () => {
        await seed();
        expect(await b().list('l/')).toEqual(await b().list('l'));
        expect(await b().list('')).toEqual(['l', 'lx']);
        expect(await b().list('', { recursive: true })).toEqual([...keys].sort());
      });

      it('returns [] for a missing prefix', async () => {
        await seed();
        expect(await b().list('missing')).toEqual([]);
        expect(await b().list('missing', { recursive: true })).toEqual([]);
        expect(await b().list('l/a/x')).toEqual([]);
      });
    });

    describe('delete', () => {
      it('deletes a blob and reports false for a missing one', async () => {
        await b().write('d/x', enc.encode('x'));
        expect(await b().delete('d/x')).toBe(true);
        expect(await b().read('d/x')).toBeNull();
        expect(await b().exists('d/x')).toBe(false);
        expect(await b().delete('d/x')).toBe(false);
        expect(await b().delete('never/was')).toBe(false);
      });

      it('deletes a whole tree of blobs and logs, and nothing beside it', async () => {
        await b().write('t/u1/profile.json', enc.encode('{}'));
        await b().write('t/u1/sessions/s1/session.json', enc.encode('{}'));
        await b().append('t/u1/sessions/s1/log', [{ n: 1 }, { n: 2 }]);
        await b().append('t/u1/other', [{ n: 1 }]);
        await b().write('t/u10/profile.json', enc.encode('{}'));
        await b().append('t/u10/log', [{ n: 1 }]);
        expect(await b().delete('t/u1')).toBe(true);
        expect(await b().exists('t/u1')).toBe(false);
        expect(await b().list('t/u1', { recursive: true })).toEqual([]);
        expect(await b().listLogs('t/u1')).toEqual([]);
        expect(await b().countLog('t/u1/sessions/s1/log')).toBe(0);
        expect(await b().readLog('t/u1/sessions/s1/log')).toEqual([]);
        expect(await b().read('t/u10/profile.json')).not.toBeNull();
        expect(await b().countLog('t/u10/log')).toBe(1);
        expect(await b().delete('t/u1')).toBe(false);
      });

      it('deletes a single log; appending again starts at seq 0', async () => {
        await b().append('dl/log', [{ a: 1 }, { a: 2 }]);
        expect(await b().delete('dl/log')).toBe(true);
        expect(await b().countLog('dl/log')).toBe(0);
        const res = await b().append('dl/log', [{ a: 3 }]);
        expect(res).toEqual({ firstSeq: 0, count: 1 });
        expect(await b().readLog('dl/log')).toEqual([{ seq: 0, data: { a: 3 } }]);
      });
    });

    describe('streams', () => {
      it('writes from an async iterable and reads back the same bytes', async () => {
        const parts = [seededBytes(1000, 1), new Uint8Array(0), seededBytes(70_000, 2), seededBytes(3, 3)];
        async function* gen() {
          for (const p of parts) yield p;
        }
        const size = await b().writeStream('st/file', gen());
        const total = parts.reduce((n, p) => n + p.byteLength, 0);
        expect(size).toBe(total);
        const whole = await collectBytes(
          (async function* () {
            for (const p of parts) yield p;
          })(),
        );
        expect(bytesEqual(await b().read('st/file'), whole)).toBe(true);
        const stream = await b().readStream('st/file');
        expect(stream).not.toBeNull();
        expect(bytesEqual(await collectBytes(stream as AsyncIterable<Uint8Array>), whole)).toBe(true);
      });

      it('writes an empty stream as an empty blob and reads a missing stream as null', async () => {
        expect(await b().writeStream('st/empty', (async function* () {})())).toBe(0);
        expect((await b().read('st/empty'))?.byteLength).toBe(0);
        expect(await b().readStream('st/none')).toBeNull();
      });

      if (caps.atomicBlobs) {
        it('keeps the old blob when the source stream fails', async () => {
          await b().write('st/keep', enc.encode('old'));
          async function* failing() {
            yield enc.encode('new-part');
            throw new Error('source failed');
          }
          await expect(b().writeStream('st/keep', failing())).rejects.toThrow();
          expect(dec.decode((await b().read('st/keep')) ?? new Uint8Array())).toBe('old');
        });
      }
    });

    describe('logs', () => {
      const records = (n: number, from = 0) =>
        Array.from({ length: n }, (_, i) => ({ i: i + from, text: `record ${i + from}` }));

      it('reads a missing log as empty', async () => {
        expect(await b().readLog('lg/missing')).toEqual([]);
        expect(await b().readLog('lg/missing', { reverse: true })).toEqual([]);
        expect(await b().countLog('lg/missing')).toBe(0);
      });

      it('appends batches with consecutive seq numbers', async () => {
        expect(await b().append('lg/a', records(3))).toEqual({ firstSeq: 0, count: 3 });
        expect(await b().append('lg/a', records(2, 3))).toEqual({ firstSeq: 3, count: 2 });
        expect(await b().countLog('lg/a')).toBe(5);
        const all = await b().readLog('lg/a');
        expect(all).toEqual(records(5).map((data, seq) => ({ seq, data })));
      });

      it('keeps nested, unicode and typed values exactly', async () => {
        const rec = {
          text: 'héllo 🌍 日本語 \u0000-free "quotes" \\ back',
          n: -1.5e-7,
          big: 2 ** 53 - 1,
          flag: false,
          nil: null,
          list: [1, 'two', { three: [3] }, []],
          nested: { deeper: { deepest: 'x' }, empty: {} },
        };
        await b().append('lg/types', [rec]);
        expect((await b().readLog('lg/types'))[0]?.data).toEqual(rec);
      });

      it('reads ranges with fromSeq and limit', async () => {
        await b().append('lg/r', records(10));
        expect((await b().readLog('lg/r', { fromSeq: 4 })).map((e) => e.seq)).toEqual([4, 5, 6, 7, 8, 9]);
        expect((await b().readLog('lg/r', { limit: 3 })).map((e) => e.seq)).toEqual([0, 1, 2]);
        expect((await b().readLog('lg/r', { fromSeq: 8, limit: 5 })).map((e) => e.seq)).toEqual([8, 9]);
        expect(await b().readLog('lg/r', { fromSeq: 10 })).toEqual([]);
        expect(await b().readLog('lg/r', { fromSeq: 99 })).toEqual([]);
        expect(await b().readLog('lg/r', { limit: 0 })).toEqual([]);
        expect((await b().readLog('lg/r', { fromSeq: 5, limit: 1 }))[0]).toEqual({
          seq: 5,
          data: { i: 5, text: 'record 5' },
        });
      });

      it('reads newest first with reverse', async () => {
        await b().append('lg/rev', records(10));
        expect((await b().readLog('lg/rev', { reverse: true })).map((e) => e.seq)).toEqual([
          9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        ]);
        expect((await b().readLog('lg/rev', { reverse: true, limit: 3 })).map((e) => e.seq)).toEqual([
          9, 8, 7,
        ]);
        expect(
          (await b().readLog('lg/rev', { reverse: true, fromSeq: 4, limit: 2 })).map((e) => e.seq),
        ).toEqual([4, 3]);
        expect((await b().readLog('lg/rev', { reverse: true, fromSeq: 0 })).map((e) => e.seq)).toEqual([0]);
        expect(
          (await b().readLog('lg/rev', { reverse: true, fromSeq: 50, limit: 1 })).map((e) => e.seq),
        ).toEqual([9]);
        const last = await b().readLog('lg/rev', { reverse: true, limit: 1 });
        expect(last[0]?.data).toEqual({ i: 9, text: 'record 9' });
      });

      it('rejects malformed read options', async () => {
        await b().append('lg/o', records(2));
        for (const bad of [
          { limit: -1 },
          { fromSeq: -1 },
          { fromSeq: 1.5 },
          { limit: 'ten' as unknown as number },
        ]) {
          expect(
            hasCode(await caught(() => b().readLog('lg/o', bad)), 'FF_VALIDATION'),
            JSON.stringify(bad),
          ).toBe(true);
        }
      });

      it('rejects records that are not JSON objects, writing nothing', async () => {
        for (const bad of [[null], [[1, 2]], ['text'], [42]] as unknown as JsonObject[][]) {
          expect(
            hasCode(await caught(() => b().append('lg/bad', [{ ok: 1 }, ...bad])), 'FF_VALIDATION'),
          ).toBe(true);
        }
        expect(await b().countLog('lg/bad')).toBe(0);
      });

      it('never interleaves concurrent append batches', async () => {
        const size = 8;
        const results = await Promise.all(
          Array.from({ length: batches }, (_, batch) =>
            b().append(
              'lg/concurrent',
              Array.from({ length: size }, (_, i) => ({ batch, i })),
            ),
          ),
        );
        const total = batches * size;
        expect(await b().countLog('lg/concurrent')).toBe(total);
        const all = await b().readLog<{ batch: number; i: number }>('lg/concurrent');
        expect(all.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
        const firsts = new Set(results.map((r) => r.firstSeq));
        expect(firsts.size).toBe(batches);
        results.forEach((res, batch) => {
          expect(res.count).toBe(size);
          for (let i = 0; i < size; i++) expect(all[res.firstSeq + i]?.data).toEqual({ batch, i });
        });
      });

      it('lists logs under a prefix, sorted, with full names', async () => {
        await b().append('ll/u1/s2/log', [{ a: 1 }]);
        await b().append('ll/u1/s1/log', [{ a: 1 }]);
        await b().append('ll/u2/s1/log', [{ a: 1 }]);
        await b().append('llx/log', [{ a: 1 }]);
        await b().write('ll/u1/blob', enc.encode('not a log'));
        expect(await b().listLogs('ll/u1')).toEqual(['ll/u1/s1/log', 'll/u1/s2/log']);
        expect(await b().listLogs('ll')).toEqual(['ll/u1/s1/log', 'll/u1/s2/log', 'll/u2/s1/log']);
        expect(await b().listLogs('nope')).toEqual([]);
      });
    });

    describe('watchLog', () => {
      it('delivers existing records, then new ones, and ends quietly on abort', async () => {
        await b().append('w/log', [{ n: 0 }, { n: 1 }, { n: 2 }]);
        const controller = new AbortController();
        const seen: { seq: number; n: number }[] = [];
        let ended = false;
        const consumer = (async () => {
          for await (const batch of b().watchLog<{ n: number }>('w/log', {
            signal: controller.signal,
            pollIntervalMs: 20,
          })) {
            for (const e of batch) seen.push({ seq: e.seq, n: e.data.n });
          }
          ended = true;
        })();
        expect(await waitFor(() => seen.length >= 3)).toBe(true);
        await b().append('w/log', [{ n: 3 }, { n: 4 }]);
        await b().append('w/log', [{ n: 5 }]);
        expect(await waitFor(() => seen.length >= 6)).toBe(true);
        controller.abort();
        await consumer;
        expect(ended).toBe(true);
        expect(seen).toEqual(Array.from({ length: 6 }, (_, i) => ({ seq: i, n: i })));
      });

      it('starts at fromSeq and follows a log that does not exist yet', async () => {
        await b().append('w/from', [{ n: 0 }, { n: 1 }, { n: 2 }]);
        const controller = new AbortController();
        const fromSeen: number[] = [];
        const freshSeen: number[] = [];
        const a = (async () => {
          for await (const batch of b().watchLog<{ n: number }>('w/from', {
            fromSeq: 2,
            signal: controller.signal,
            pollIntervalMs: 20,
          })) {
            for (const e of batch) fromSeen.push(e.seq);
          }
        })();
        const c = (async () => {
          for await (const batch of b().watchLog<{ n: number }>('w/fresh', {
            signal: controller.signal,
            pollIntervalMs: 20,
          })) {
            for (const e of batch) freshSeen.push(e.data.n);
          }
        })();
        await b().append('w/fresh', [{ n: 7 }]);
        await b().append('w/from', [{ n: 3 }]);
        expect(await waitFor(() => fromSeen.length >= 2 && freshSeen.length >= 1)).toBe(true);
        controller.abort();
        await Promise.all([a, c]);
        expect(fromSeen).toEqual([2, 3]);
        expect(freshSeen).toEqual([7]);
      });

      it('ends at once for an already aborted signal', async () => {
        await b().append('w/done', [{ n: 0 }]);
        const controller = new AbortController();
        controller.abort();
        const batches: unknown[] = [];
        for await (const batch of b().watchLog('w/done', { signal: controller.signal })) batches.push(batch);
        expect(batches.length).toBeLessThanOrEqual(1);
      });

      if (caps.crossProcessWatch && options.appendFromOtherProcess) {
        const appendElsewhere = options.appendFromOtherProcess;
        it('sees appends made by another process', async () => {
          const controller = new AbortController();
          const seen: number[] = [];
          const consumer = (async () => {
            for await (const batch of b().watchLog<{ n: number }>('w/xproc', {
              signal: controller.signal,
              pollIntervalMs: 20,
            })) {
              for (const e of batch) seen.push(e.data.n);
            }
          })();
          await appendElsewhere(b(), 'w/xproc', [{ n: 1 }, { n: 2 }]);
          expect(await waitFor(() => seen.length >= 2, 10_000)).toBe(true);
          controller.abort();
          await consumer;
          expect(seen).toEqual([1, 2]);
        });
      }
    });

    describe('withLock', () => {
      it('excludes concurrent holders of one key and returns fn results', async () => {
        let inside = 0;
        let maxInside = 0;
        const order: number[] = [];
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            b().withLock('locks/one', async () => {
              inside++;
              maxInside = Math.max(maxInside, inside);
              await sleep(1);
              order.push(i);
              inside--;
              return i * 2;
            }),
          ),
        );
        expect(maxInside).toBe(1);
        expect(results).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
        expect(order.length).toBe(10);
      });

      it('does not serialise different keys', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const first = b().withLock('locks/a', () => gate);
        // If locks/b waited for locks/a this would time out.
        expect(await b().withLock('locks/b', async () => 'b', { timeoutMs: 2000 })).toBe('b');
        release();
        await first;
      });

      it('times out with FFLockTimeoutError and stays usable afterwards', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const holder = b().withLock('locks/t', () => gate);
        await sleep(5);
        let ran = false;
        const error = await caught(() =>
          b().withLock(
            'locks/t',
            async () => {
              ran = true;
            },
            { timeoutMs: 50 },
          ),
        );
        expect(hasCode(error, 'FF_LOCK_TIMEOUT')).toBe(true);
        expect((error as { code?: string }).code).toBe('FF_LOCK_TIMEOUT');
        expect(ran).toBe(false);
        release();
        await holder;
        expect(await b().withLock('locks/t', async () => 'free', { timeoutMs: 2000 })).toBe('free');
      });

      it('releases the lock when fn throws and passes the error on', async () => {
        await expect(
          b().withLock('locks/err', async () => {
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await b().withLock('locks/err', async () => 'again', { timeoutMs: 2000 })).toBe('again');
      });
    });

    describe('maintenance', () => {
      it('reports health, verifies, compacts and measures usage', async () => {
        await b().write('m/blob', enc.encode('hello'));
        await b().append('m/log', [{ a: 1 }, { a: 2 }]);
        const health = await b().healthCheck();
        expect(health.healthy).toBe(true);
        expect(typeof health.backendType).toBe('string');
        const report = await b().verify();
        expect(report.ok).toBe(true);
        expect(report.issues).toEqual([]);
        const compacted = await b().compact();
        for (const field of ['logsCompacted', 'segmentsRewritten', 'bytesBefore', 'bytesAfter'] as const) {
          expect(typeof compacted[field]).toBe('number');
        }
        expect(await b().countLog('m/log')).toBe(2);
        const usage = await b().usage();
        expect(usage.bytes).toBeGreaterThan(0);
        expect(usage.logicalBytes).toBeGreaterThan(0);
        expect(usage.files).toBeGreaterThanOrEqual(2);
        expect((await b().usage('m')).files).toBeGreaterThanOrEqual(2);
      });
    });

    if (caps.persistent && options.reopen) {
      const reopen = options.reopen;
      it('keeps blobs and logs across a reopen', async () => {
        await b().write('p/blob', enc.encode('persisted'));
        await b().write('p/empty', new Uint8Array(0));
        await b().append('p/log', [{ n: 0 }, { n: 1 }]);
        await b().append('p/log', [{ n: 2 }]);
        const again = await reopen(b());
        try {
          expect(dec.decode((await again.read('p/blob')) ?? new Uint8Array())).toBe('persisted');
          expect((await again.read('p/empty'))?.byteLength).toBe(0);
          expect(await again.countLog('p/log')).toBe(3);
          expect((await again.readLog<{ n: number }>('p/log')).map((e) => e.data.n)).toEqual([0, 1, 2]);
          expect(await again.append('p/log', [{ n: 3 }])).toEqual({ firstSeq: 3, count: 1 });
          expect(await again.list('p')).toEqual(['p/blob', 'p/empty']);
          expect(await again.listLogs('p')).toEqual(['p/log']);
        } finally {
          await again.close();
        }
      });
    }

    describe('hostile keys', () => {
      const keyCalls: [string, (s: StorageBackend, key: string) => unknown][] = [
        ['read', (s, k) => s.read(k)],
        ['write', (s, k) => s.write(k, enc.encode('x'))],
        [
          'writeStream',
          (s, k) =>
            s.writeStream(
              k,
              (async function* () {
                yield enc.encode('x');
              })(),
            ),
        ],
        ['readStream', (s, k) => s.readStream(k)],
        ['delete', (s, k) => s.delete(k)],
        ['exists', (s, k) => s.exists(k)],
        ['stat', (s, k) => s.stat(k)],
        ['append', (s, k) => s.append(k, [{ a: 1 }])],
        ['readLog', (s, k) => s.readLog(k)],
        ['countLog', (s, k) => s.countLog(k)],
        [
          'watchLog',
          async (s, k) => {
            const controller = new AbortController();
            setTimeout(() => controller.abort(), 200);
            for await (const _ of s.watchLog(k, { signal: controller.signal })) break;
          },
        ],
        ['withLock', (s, k) => s.withLock(k, async () => 'ran', { timeoutMs: 100 })],
      ];
      const prefixCalls: [string, (s: StorageBackend, prefix: string) => unknown][] = [
        ['list', (s, p) => s.list(p)],
        ['list recursive', (s, p) => s.list(p, { recursive: true })],
        ['listLogs', (s, p) => s.listLogs(p)],
        ['usage', (s, p) => s.usage(p)],
      ];

      it('rejects hostile keys with FFValidationError on every method and writes nothing', async () => {
        await b().write('canary/blob', enc.encode('c'));
        const accepted: string[] = [];
        for (const [method, call] of keyCalls) {
          for (const key of [...HOSTILE_KEYS, 42 as unknown as string, null as unknown as string]) {
            const error = await caught(() => call(b(), key));
            if (!hasCode(error, 'FF_VALIDATION')) accepted.push(`${method}(${JSON.stringify(key)})`);
          }
        }
        for (const [method, call] of prefixCalls) {
          for (const prefix of HOSTILE_PREFIXES) {
            const error = await caught(() => call(b(), prefix));
            if (!hasCode(error, 'FF_VALIDATION')) accepted.push(`${method}(${JSON.stringify(prefix)})`);
          }
        }
        expect(accepted).toEqual([]);
        expect(await b().list('', { recursive: true })).toEqual(['canary/blob']);
        expect(await b().listLogs('')).toEqual([]);
      });
    });
  });
}

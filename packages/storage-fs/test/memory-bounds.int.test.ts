import fs from 'node:fs';
import path from 'node:path';
import { CborCodec, Lz4Compressor } from '@ffdb/compression';
import type { JsonObject } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { type FsStorageBackend, parseFsStorageOptions } from '../src/index.js';
import { countingCbor } from './helpers/counting-codec.js';
import { trackedStores } from './helpers/temp-store.js';

// What a store keeps while reading is bounded by its options (maxOpenFiles, cacheMaxBytes), not by
// how much it holds: read descriptors are counted in /proc/self/fd, decoded blocks by the decodes a
// re-read needs. Real files, real cbor + lz4 sealed segments. (The memory of a whole read pass over a
// 4x larger store is measured in the storage benchmark, B7.)

const stores = trackedStores();
const LOGS = 30;
const PER_LOG = 90;
/** Small segments and blocks: each log gets four sealed segments of a few blocks, plus an active one. */
const OPTS = { segmentMaxRecords: 20, blockBytes: 1024 };

const logKey = (l: number) => `u/s${l}/messages`;
const record = (l: number, i: number): JsonObject => ({
  id: `m_${l}_${i}`,
  role: i % 2 ? 'assistant' : 'user',
  content: `message ${i} of log ${l}: ${'lorem ipsum '.repeat(1 + (i % 7))}`,
});

async function filledStore(): Promise<string> {
  const dir = stores.temp();
  const writer = await stores.open(dir, { ...OPTS, codec: new CborCodec(), compressor: new Lz4Compressor() });
  for (let l = 0; l < LOGS; l++) {
    await writer.append(
      logKey(l),
      Array.from({ length: PER_LOG }, (_, i) => record(l, i)),
    );
  }
  await writer.close();
  const sealed = fs
    .readdirSync(path.join(dir, 'u/s0/messages.fflog'))
    .filter((n) => n.endsWith('.sseg')).length;
  expect(sealed).toBeGreaterThanOrEqual(3); // the reads below go through sealed segments
  return dir;
}

/** Descriptors of this process open on the store's files, outside its internal directory (WAL, locks). */
function readDescriptors(dir: string): number {
  return openUnder(dir, path.join(dir, '.ffdb') + path.sep);
}

/** Descriptors of this process open on files under `dir` (minus those under `except`). */
function openUnder(dir: string, except?: string): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(path.join('/proc/self/fd', fd));
    } catch {
      continue; // closed meanwhile (the directory handle of readdirSync itself)
    }
    if (target.startsWith(dir + path.sep) && !(except && target.startsWith(except))) n++;
  }
  return n;
}

/** Reads every log whole, backwards, and in pages; returns the most read descriptors seen open. */
async function readEverything(store: FsStorageBackend, dir: string): Promise<number> {
  let most = 0;
  for (let l = 0; l < LOGS; l++) {
    const all = await store.readLog(logKey(l));
    expect(all.map((r) => r.data)).toEqual(Array.from({ length: PER_LOG }, (_, i) => record(l, i)));
    most = Math.max(most, readDescriptors(dir));
    expect(await store.readLog(logKey(l), { reverse: true, limit: 5 })).toHaveLength(5);
    for (const from of [3, 41, 77]) {
      const page = await store.readLog(logKey(l), { fromSeq: from, limit: 10 });
      expect(page.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, k) => from + k));
      most = Math.max(most, readDescriptors(dir));
    }
  }
  return most;
}

describe('memory and descriptors while reading are bounded by the options', () => {
  it('accepts a cacheMaxBytes up to 2 GiB and names the limit above it', () => {
    const base = { basePath: '/x' };
    expect(parseFsStorageOptions({ ...base, cacheMaxBytes: 4 << 20 }).cacheMaxBytes).toBe(4 << 20);
    expect(parseFsStorageOptions({ ...base, cacheMaxBytes: 2 ** 31 }).cacheMaxBytes).toBe(2 ** 31);
    expect(() => parseFsStorageOptions({ ...base, cacheMaxBytes: 2 ** 31 + 1 })).toThrow(
      /cacheMaxBytes.*2147483648/,
    );
  });

  it('keeps at most maxOpenFiles read descriptors open, however many segments it reads', async () => {
    const dir = await filledStore();
    const bounded = await stores.open(dir, {
      ...OPTS,
      codec: new CborCodec(),
      compressor: new Lz4Compressor(),
      maxOpenFiles: 8,
    });
    const most = await readEverything(bounded, dir);
    expect(most).toBeLessThanOrEqual(8);
    expect(most).toBeGreaterThanOrEqual(4); // the descriptor cache was in use
    await bounded.close();
    expect(readDescriptors(dir)).toBe(0);

    // The same reads with a large limit keep far more open: the count above is the limit at work.
    const roomy = await stores.open(dir, {
      ...OPTS,
      codec: new CborCodec(),
      compressor: new Lz4Compressor(),
      maxOpenFiles: 1000,
    });
    expect(await readEverything(roomy, dir)).toBeGreaterThan(8 * 4);
  });

  it("opens a log's sealed segments on its first read, into spare descriptor room only", async () => {
    const dir = await filledStore();
    const logDir = (l: number) => path.join(dir, `u/s${l}/messages.fflog`);
    const sealed = fs.readdirSync(logDir(0)).filter((n) => n.endsWith('.sseg')).length;
    const adapters = { ...OPTS, codec: new CborCodec(), compressor: new Lz4Compressor() };

    // Room for all: reading the newest record opens the active segment and every sealed one, so an
    // old page read later (whatever the OS dropped meanwhile) needs no path lookup or inode read.
    const roomy = await stores.open(dir, { ...adapters, maxOpenFiles: 64 });
    expect(await roomy.readLog(logKey(0), { reverse: true, limit: 1 })).toHaveLength(1);
    expect(openUnder(logDir(0))).toBe(sealed + 1);
    expect((await roomy.readLog(logKey(0), { fromSeq: 3, limit: 10 }))[0]?.data).toEqual(record(0, 3));
    expect(openUnder(logDir(0))).toBe(sealed + 1);
    await roomy.close();
    expect(readDescriptors(dir)).toBe(0);

    // Room for four (fewer than log 0's files): log 0 fills it. Log 1's read opens its own active
    // segment (evicting one of log 0's), but opening log 1's sealed segments evicts nothing more.
    expect(sealed + 1).toBeGreaterThan(4);
    const tight = await stores.open(dir, { ...adapters, maxOpenFiles: 4 });
    await tight.readLog(logKey(0), { reverse: true, limit: 1 });
    expect(openUnder(logDir(0))).toBe(4);
    await tight.readLog(logKey(1), { reverse: true, limit: 1 });
    expect(openUnder(logDir(1))).toBe(1);
    expect(openUnder(logDir(0))).toBe(3);
    expect(await tight.readLog(logKey(1))).toHaveLength(PER_LOG);
    expect(readDescriptors(dir)).toBeLessThanOrEqual(4);
  });

  it('keeps decoded blocks within cacheMaxBytes: a block read again after others is decoded again', async () => {
    const dir = await filledStore();
    const reread = async (cacheMaxBytes: number) => {
      const { codec, calls } = countingCbor({ withRange: false });
      const store = await stores.open(dir, {
        ...OPTS,
        codec,
        compressor: new Lz4Compressor(),
        cacheMaxBytes,
      });
      // Every log whole (each sealed block decoded once), then log 0 again.
      for (let l = 0; l < LOGS; l++) await store.readLog(logKey(l));
      const before = calls.decode;
      expect(await store.readLog(logKey(0))).toHaveLength(PER_LOG);
      const again = calls.decode - before;
      await store.close();
      return { first: before, again };
    };
    // A budget of a few blocks: log 0's blocks were evicted by the 29 logs read after it.
    const small = await reread(4 << 10);
    expect(small.first).toBeGreaterThan(LOGS * 3);
    expect(small.again).toBeGreaterThan(0);
    // A budget larger than the whole store: nothing is decoded twice.
    const large = await reread(64 << 20);
    expect(large.again).toBe(0);
    expect(large.first).toBe(small.first);
  });
});

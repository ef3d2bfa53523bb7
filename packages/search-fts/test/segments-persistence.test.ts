import { createCompressor } from '@ffdb/compression';
import { MemoryStorageBackend } from '@ffdb/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { createLunrSearchIndex, type LunrSearchIndex, type LunrSearchOptions } from '../src/index.js';
import { msg } from './helpers.js';

const opened: LunrSearchIndex[] = [];
afterEach(async () => {
  for (const idx of opened.splice(0)) await idx.close().catch(() => undefined);
});

async function newStorage(): Promise<MemoryStorageBackend> {
  const storage = new MemoryStorageBackend();
  await storage.open();
  return storage;
}

async function openIndex(
  storage: MemoryStorageBackend,
  opts: Partial<LunrSearchOptions> = {},
): Promise<LunrSearchIndex> {
  const idx = createLunrSearchIndex({
    storage,
    flushIntervalMs: 0,
    flushThreshold: 10,
    mergeFactor: 3,
    ...opts,
  });
  await idx.open();
  opened.push(idx);
  return idx;
}

const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
function batch(userId: string, from: number, count: number, log = 'users/u/sessions/s1/log') {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return msg(
      userId,
      `s${i % 3}`,
      `m${i}`,
      `message ${i} about ${words[i % words.length]} and ${words[(i * 3) % words.length]}`,
      {
        source: { log, seq: i },
      },
    );
  });
}

describe('segments, merges and persistence', () => {
  it('flushes tails into segments, merges them, and keeps every item searchable', async () => {
    const storage = await newStorage();
    const idx = await openIndex(storage);
    for (let i = 0; i < 100; i += 7) await idx.add(batch('u1', i, Math.min(7, 100 - i)));
    await idx.flush();
    await idx.idle();
    const stats = await idx.stats();
    expect(stats.documents).toBe(100);
    // 10 flushes of 10 with mergeFactor 3 must have been merged into fewer segments.
    expect(stats.segments).toBeLessThan(6);
    const all = await idx.search({ userId: 'u1', text: 'message', limit: 1000 });
    expect(all).toHaveLength(100);
    const keys = await storage.list('index/fts/u1');
    expect(keys.filter((k) => k.endsWith('.ffseg'))).toHaveLength(stats.segments);
  });

  it('reloads segments after a clean restart without rebuilding, with lz4 compression', async () => {
    const storage = await newStorage();
    const compressor = createCompressor({ algorithm: 'lz4' });
    const a = await openIndex(storage, { compressor });
    await a.add(batch('u1', 0, 35));
    await a.close();
    opened.splice(opened.indexOf(a), 1);
    const manifest = JSON.parse(
      new TextDecoder().decode((await storage.read('index/fts/u1/manifest.json')) ?? new Uint8Array()),
    );
    expect(manifest.compressor).toBe('lz4');
    expect(manifest.positions).toEqual({ 'users/u/sessions/s1/log': 35 });
    const b = await openIndex(storage, { compressor });
    expect(await b.positions('u1')).toEqual({ 'users/u/sessions/s1/log': 35 });
    const hits = await b.search({ userId: 'u1', text: 'delta' });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.content.includes('delta'))).toBe(true);
    expect((await b.stats()).documents).toBe(35);
  });

  it('after a crash (no flush, no close) reports the positions it covers so the caller can catch up', async () => {
    const storage = await newStorage();
    const a = await openIndex(storage, { flushThreshold: 20 });
    await a.add(batch('u1', 0, 20)); // reaches the threshold: becomes a persisted segment
    await a.idle();
    await a.add(batch('u1', 20, 5)); // stays in the in-memory tail
    expect(await a.positions('u1')).toEqual({ 'users/u/sessions/s1/log': 25 });
    // Simulated crash: the instance is abandoned without flush() or close().
    opened.splice(opened.indexOf(a), 1);
    const b = await openIndex(storage, { flushThreshold: 20 });
    const pos = await b.positions('u1');
    expect(pos).toEqual({ 'users/u/sessions/s1/log': 20 });
    expect((await b.search({ userId: 'u1', text: 'message', limit: 100 })).length).toBe(20);
    // Catch up from the log position: re-adding is idempotent (same ids replace).
    await b.add(batch('u1', 15, 10));
    expect((await b.search({ userId: 'u1', text: 'message', limit: 100 })).length).toBe(25);
    expect(await b.positions('u1')).toEqual({ 'users/u/sessions/s1/log': 25 });
  });

  it('applies deletions as tombstones that survive a restart and are purged on merge', async () => {
    const storage = await newStorage();
    const a = await openIndex(storage, { mergeFactor: 10 });
    await a.add(batch('u1', 0, 30));
    await a.flush();
    await a.idle();
    await a.remove('u1', ['m1', 'm2']);
    await a.removeSession('u1', 's0');
    const afterDelete = await a.search({ userId: 'u1', text: 'message', limit: 100 });
    expect(afterDelete.some((h) => h.id === 'm1' || h.id === 'm2' || h.sessionId === 's0')).toBe(false);
    await a.close();
    opened.splice(opened.indexOf(a), 1);
    const b = await openIndex(storage, { mergeFactor: 10 });
    const hits = await b.search({ userId: 'u1', text: 'message', limit: 100 });
    expect(hits.map((h) => h.id)).not.toContain('m1');
    expect(hits.some((h) => h.sessionId === 's0')).toBe(false);
    expect(hits).toHaveLength(18); // 30 - session s0 (10) - m1 - m2
  });

  it('replaces an item re-added with the same id', async () => {
    const storage = await newStorage();
    const idx = await openIndex(storage);
    await idx.add([msg('u1', 's1', 'ctx', 'the old summary about pancakes')]);
    await idx.flush();
    await idx.add([msg('u1', 's1', 'ctx', 'the new summary about waffles')]);
    expect(await idx.search({ userId: 'u1', text: 'pancakes' })).toEqual([]);
    expect((await idx.search({ userId: 'u1', text: 'summary' })).map((h) => h.content)).toEqual([
      'the new summary about waffles',
    ]);
  });

  it('removeUser deletes the user from memory and disk', async () => {
    const storage = await newStorage();
    const idx = await openIndex(storage);
    await idx.add(batch('u1', 0, 15));
    await idx.add(batch('u2', 0, 3));
    await idx.flush();
    await idx.removeUser('u1');
    expect(await storage.exists('index/fts/u1')).toBe(false);
    expect(await idx.search({ userId: 'u1', text: 'message' })).toEqual([]);
    expect((await idx.search({ userId: 'u2', text: 'message' })).length).toBe(3);
  });

  it('keeps memory bounded: least recently used users are unloaded', async () => {
    const storage = await newStorage();
    const idx = await openIndex(storage, { cacheMaxUsers: 3, segmentCacheSize: 100 });
    for (let u = 0; u < 10; u++) await idx.add(batch(`user${u}`, 0, 10));
    await idx.flush();
    await idx.idle();
    for (let u = 0; u < 10; u++) {
      expect((await idx.search({ userId: `user${u}`, text: 'message', limit: 100 })).length).toBe(10);
    }
    // Concurrent queries for more users than the cache holds: none may lose its segments mid-query.
    const counts = await Promise.all(
      Array.from({ length: 10 }, (_, u) => idx.search({ userId: `user${u}`, text: 'message', limit: 100 })),
    );
    expect(counts.map((h) => h.length)).toEqual(Array(10).fill(10));
    const stats = await idx.stats();
    expect(stats.loadedUsers).toBeLessThanOrEqual(3);
    expect(stats.users).toBe(10);
  });

  it('drops an unreadable segment and asks for a full catch-up', async () => {
    const storage = await newStorage();
    const a = await openIndex(storage);
    await a.add(batch('u1', 0, 10));
    await a.close();
    opened.splice(opened.indexOf(a), 1);
    const seg = (await storage.list('index/fts/u1')).find((k) => k.endsWith('.ffseg')) as string;
    await storage.write(seg, new TextEncoder().encode('garbage'));
    const b = await openIndex(storage);
    expect(await b.search({ userId: 'u1', text: 'message' })).toEqual([]);
    expect(await b.positions('u1')).toEqual({});
  });

  it('sees writes immediately while appends and searches run concurrently', async () => {
    const storage = await newStorage();
    const idx = await openIndex(storage, { flushThreshold: 25, mergeFactor: 2 });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i += 5) {
      work.push(idx.add(batch('u1', i, 5)));
      work.push(
        idx.search({ userId: 'u1', text: 'message', limit: 1000 }).then((hits) => {
          // Read-your-writes: everything added before this search was issued is visible.
          expect(hits.length).toBeGreaterThanOrEqual(i + 5);
        }),
      );
    }
    await Promise.all(work);
    await idx.idle();
    const hits = await idx.search({ userId: 'u1', text: 'message', limit: 1000 });
    expect(new Set(hits.map((h) => h.id)).size).toBe(200);
  });
});

describe('backpressure', () => {
  it('lets add() run ahead of indexing only up to maxQueuedItems', async () => {
    const storage = await newStorage();
    const idx = await openIndex(storage, { flushThreshold: 10, maxQueuedItems: 25 });
    for (let i = 0; i < 200; i += 10) {
      await idx.add(batch('u1', i, 10));
      const queued = [
        ...(idx as unknown as { partitions: Map<string, { queuedItems: number }> }).partitions.values(),
      ].reduce((a, p) => a + p.queuedItems, 0);
      expect(queued).toBeLessThanOrEqual(25);
    }
    expect((await idx.search({ userId: 'u1', text: 'message', limit: 1000 })).length).toBe(200);
  });

  it('names segments per writer, so two instances on one store never write the same blob', async () => {
    const storage = await newStorage();
    const a = await openIndex(storage);
    const b = await openIndex(storage);
    await a.add(batch('u1', 0, 5));
    await b.add(batch('u1', 5, 5));
    await a.flush();
    await b.flush();
    const blobs = (await storage.list('index/fts/u1')).filter((k) => k.endsWith('.ffseg'));
    expect(blobs).toHaveLength(2);
    for (const k of blobs) expect(k).toMatch(/\/seg-\d{6}-[0-9a-f]{8}\.ffseg$/);
  });

  it('still reads segments named before writer tags (seg-NNNNNN)', async () => {
    const storage = await newStorage();
    const a = await openIndex(storage);
    await a.add(batch('u1', 0, 12));
    await a.close();
    opened.splice(opened.indexOf(a), 1);
    const manifestKey = 'index/fts/u1/manifest.json';
    const manifest = JSON.parse(
      new TextDecoder().decode((await storage.read(manifestKey)) ?? new Uint8Array()),
    );
    for (const seg of manifest.segments as { name: string }[]) {
      const old = seg.name.replace(/-[0-9a-f]{8}$/, '');
      await storage.write(
        `index/fts/u1/${old}.ffseg`,
        (await storage.read(`index/fts/u1/${seg.name}.ffseg`))!,
      );
      await storage.delete(`index/fts/u1/${seg.name}.ffseg`);
      seg.name = old;
    }
    await storage.write(manifestKey, new TextEncoder().encode(JSON.stringify(manifest)));
    const b = await openIndex(storage);
    expect((await b.search({ userId: 'u1', text: 'message', limit: 100 })).length).toBe(12);
    expect(await b.positions('u1')).toEqual({ 'users/u/sessions/s1/log': 12 });
  });

  it('spares a segment no manifest names while it is young, and removes it once older than orphanGraceMs', async () => {
    const storage = await newStorage();
    const a = await openIndex(storage);
    await a.add(batch('u1', 0, 12));
    await a.flush();
    const [named] = (await storage.list('index/fts/u1')).filter((k) => k.endsWith('.ffseg'));
    // A segment written but not named in the manifest: another process between its segment and its
    // manifest write, or a crash there.
    const stray = 'index/fts/u1/seg-000099-abcdef12.ffseg';
    await storage.write(stray, (await storage.read(named as string))!);
    const b = await openIndex(storage); // default grace: 10 minutes
    expect((await b.search({ userId: 'u1', text: 'message', limit: 100 })).length).toBe(12);
    await b.flush(); // runs after the load's orphan sweep
    expect(await storage.exists(stray)).toBe(true);
    const c = await openIndex(storage, { orphanGraceMs: 0 });
    expect((await c.search({ userId: 'u1', text: 'message', limit: 100 })).length).toBe(12);
    await c.flush();
    expect(await storage.exists(stray)).toBe(false);
    expect(await storage.exists(named as string)).toBe(true);
  });
});

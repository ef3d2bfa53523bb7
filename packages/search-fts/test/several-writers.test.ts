/**
 * Several index instances (processes) persisting one user's partition to the same files. Each one's
 * manifest write merges into the manifest on disk, so positions never claim items whose segment a
 * reader does not load. Reproduces a chaos probe's interleaving deterministically.
 */
import { MemoryStorageBackend } from '@ffdb/conformance';
import type { IndexDocument } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import { createLunrSearchIndex, type LunrSearchIndex } from '../src/index.js';
import { msg } from './helpers.js';

const opened: LunrSearchIndex[] = [];
afterEach(async () => {
  for (const idx of opened.splice(0)) await idx.close().catch(() => undefined);
});

async function openIndex(storage: MemoryStorageBackend, flushThreshold = 1000): Promise<LunrSearchIndex> {
  const idx = createLunrSearchIndex({ storage, flushIntervalMs: 0, flushThreshold, mergeFactor: 2 });
  await idx.open();
  opened.push(idx);
  return idx;
}

/** Messages seq from..from+count-1 of one session log, each findable by its own word `w<log><seq>`. */
function items(log: string, from: number, count: number): IndexDocument[] {
  return Array.from({ length: count }, (_, k) =>
    msg('u1', log, `${log}-${from + k}`, `w${log}x${from + k} filler`, {
      source: { log: `users/u1/sessions/${log}/log`, seq: from + k },
    }),
  );
}

async function findable(idx: LunrSearchIndex, log: string, from: number, count: number): Promise<number> {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const hits = await idx.search({ userId: 'u1', text: `w${log}x${i}` });
    if (hits.some((h) => h.id === `${log}-${i}`)) n++;
  }
  return n;
}

describe('several writers of one partition', () => {
  it('positions never claim items whose segment the manifest a reader loads does not name', async () => {
    const storage = new MemoryStorageBackend();
    await storage.open();
    const a = await openIndex(storage);
    const b = await openIndex(storage);
    const c = await openIndex(storage);

    // A indexes s1 0..9 and commits.
    await a.add(items('s1', 0, 10));
    await a.flush();
    // B (its first look at the user) appends s1 10..19 and commits: its manifest covers s1 up to 20.
    expect(await b.positions('u1')).toEqual({ 'users/u1/sessions/s1/log': 10 });
    await b.add(items('s1', 10, 10));
    await b.flush();
    // C reads the positions B committed, as the manager's catch-up does on a user's first use...
    expect((await c.positions('u1'))['users/u1/sessions/s1/log']).toBe(20);
    // ...then A, from its own view (it never loaded B's segment), commits another session.
    await a.add(items('s2', 0, 5));
    await a.flush();
    // C now loads the segments and commits a session of its own.
    await c.add(items('s3', 0, 5));
    await c.flush();

    // A fresh reader: whatever the positions claim is in the segments the manifest names.
    const fresh = await openIndex(storage);
    const positions = await fresh.positions('u1');
    for (const [log, count] of [
      ['s1', 20],
      ['s2', 5],
      ['s3', 5],
    ] as const) {
      const claimed = positions[`users/u1/sessions/${log}/log`] ?? 0;
      expect(await findable(fresh, log, 0, claimed), `${log} items under the position ${claimed}`).toBe(
        claimed,
      );
      // What the positions do not claim, the manager re-indexes; here every commit covered its items.
      expect(claimed).toBe(count);
    }
    // And each item once, though several writers' segments are listed.
    const all = await fresh.search({ userId: 'u1', text: 'filler', limit: 1000 });
    expect(new Set(all.map((h) => h.id)).size).toBe(all.length);
  });

  it('an item two writers both indexed is returned once, and merges leave no retired segment named', async () => {
    const storage = new MemoryStorageBackend();
    await storage.open();
    // Small segments, merged in pairs: both writers merge segments the other one still holds.
    const a = await openIndex(storage, 3);
    const b = await openIndex(storage, 3);
    await a.add(items('s1', 0, 10));
    await a.flush();
    await a.idle();
    // B indexes the same items (a catch-up of A's appends) plus its own.
    await b.add(items('s1', 0, 15));
    await b.flush();
    await b.idle();
    await a.add(items('s2', 0, 3));
    await a.flush();
    await a.idle();
    const fresh = await openIndex(storage);
    const hits = await fresh.search({ userId: 'u1', text: 'filler', limit: 1000 });
    expect(hits.map((h) => h.id).sort()).toEqual(
      [...items('s1', 0, 15), ...items('s2', 0, 3)].map((d) => d.id).sort(),
    );
    const manifest = JSON.parse(
      new TextDecoder().decode((await storage.read('index/fts/u1/manifest.json'))!),
    );
    for (const s of manifest.segments as { name: string }[]) {
      expect(await storage.exists(`index/fts/u1/${s.name}.ffseg`)).toBe(true);
    }
  });
});

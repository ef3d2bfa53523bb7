/**
 * An item indexed again (an edit, or a catch-up of another writer's append) tombstones its older copy,
 * and the new copy waits in the tail until a segment is written. A process killed in between must leave
 * the older copy findable: the positions on disk already cover the item, so nobody would index it
 * again. And two readers of one manifest must agree on which of two writers' copies survives.
 * A chaos probe (4 processes, SIGKILLed at random) left 0.3 % of acknowledged messages unsearchable
 * through these paths.
 */
import { MemoryStorageBackend } from '@ffdb/conformance';
import type { IndexDocument } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import { createLunrSearchIndex, type LunrSearchIndex } from '../src/index.js';
import { Partition, type PendingOp } from '../src/partition.js';
import { msg } from './helpers.js';

const LOG = 'users/u1/sessions/s1/log';
const opened: LunrSearchIndex[] = [];
afterEach(async () => {
  for (const idx of opened.splice(0)) await idx.close().catch(() => undefined);
});

async function openIndex(storage: MemoryStorageBackend, mergeFactor = 2): Promise<LunrSearchIndex> {
  const idx = createLunrSearchIndex({ storage, flushIntervalMs: 0, flushThreshold: 1000, mergeFactor });
  await idx.open();
  opened.push(idx);
  return idx;
}

/** Message `s<n>` of session `session`, findable by its word `w<session>x<n>`. */
function item(session: string, n: number, word = `w${session}x${n}`, sessionId = session): IndexDocument {
  return msg('u1', sessionId, `${session}-${n}`, `${word} filler`, {
    source: { log: `users/u1/sessions/${session}/log`, seq: n },
  });
}

function addOp(doc: IndexDocument): PendingOp {
  const { id, sessionId, type, role, timestamp, content, title, metadata } = doc;
  return {
    kind: 'add',
    doc: { id, sessionId, type, role, timestamp, tsMs: Date.parse(timestamp), content, title, metadata },
    source: doc.source,
  };
}

/** `storage`, opened. */
async function openStorage<T extends MemoryStorageBackend>(storage: T): Promise<T> {
  await storage.open();
  return storage;
}

/** Enqueue `docs` and wait until the partition applied and persisted what it freezes. */
async function addAll(p: Partition, docs: readonly IndexDocument[]): Promise<void> {
  for (const doc of docs) p.enqueue(addOp(doc));
  await p.drain();
  await p.idle();
}

/** An index holding s1-0 and s1-1 on disk, then s1-0 indexed again as an item of session s9 (in its tail). */
async function indexWithS1x0MovedToS9(storage: MemoryStorageBackend): Promise<LunrSearchIndex> {
  const a = await openIndex(storage);
  await a.add([item('s1', 0), item('s1', 1)]);
  await a.flush();
  await a.add([item('s1', 0, 'wmoved', 's9')]);
  return a;
}

/** What a process opened after the others were killed finds for `word`. */
async function idsFound(storage: MemoryStorageBackend, word: string): Promise<string[]> {
  const fresh = await openIndex(storage);
  return (await fresh.search({ userId: 'u1', text: word, limit: 100 })).map((h) => h.id);
}

describe('items indexed again', () => {
  it('a manifest written before the new copy is persisted keeps the older copy', async () => {
    const storage = await openStorage(new MemoryStorageBackend());
    const a = await openIndex(storage);
    await a.add([0, 1, 2, 3, 4].map((n) => item('s1', n)));
    await a.flush();
    // s1-2 is indexed again: its new copy is in the tail only.
    await a.add([item('s1', 2, 'wedited')]);
    // A removal commits the manifest (its tombstone must be durable) while the tail is not persisted.
    await a.remove('u1', ['s1-4']);
    await a.idle();
    expect((await a.positions('u1'))[LOG]).toBe(5);

    // `a` is killed here: its tail is lost. The older copy answers; the removal holds.
    expect(await idsFound(storage, 'ws1x2')).toEqual(['s1-2']);
    expect(await idsFound(storage, 'wedited')).toEqual([]);
    expect(await idsFound(storage, 'ws1x4')).toEqual([]);

    // Had it lived: once the tail is persisted, only the new copy is found.
    await a.flush();
    expect(await idsFound(storage, 'ws1x2')).toEqual([]);
    expect(await idsFound(storage, 'wedited')).toEqual(['s1-2']);
    expect(await idsFound(storage, 'filler')).toHaveLength(4);
  });

  it('a copy removed after it was replaced stays removed', async () => {
    const storage = await openStorage(new MemoryStorageBackend());
    const a = await openIndex(storage);
    await a.add([0, 1].map((n) => item('s1', n)));
    await a.flush();
    await a.add([item('s1', 1, 'wedited')]);
    await a.remove('u1', ['s1-1']);
    await a.idle();
    expect(await idsFound(storage, 'ws1x1')).toEqual([]);
    expect(await idsFound(storage, 'wedited')).toEqual([]);
    await a.removeSession('u1', 's1');
    await a.add([item('s2', 0), item('s1', 0, 'wagain')]);
    await a.remove('u1', ['s2-0']);
    await a.idle();
    // The session's removal made every tombstone in it durable, the later re-add's included.
    expect(await idsFound(storage, 'ws1x0')).toEqual([]);
  });

  it("removing the older copy's session keeps an item indexed again in another session", async () => {
    const storage = await openStorage(new MemoryStorageBackend());
    // s1-0 is indexed again as an item of session s9 (its new copy is in the tail only).
    const a = await indexWithS1x0MovedToS9(storage);
    await a.removeSession('u1', 's1');
    await a.idle();
    expect((await a.search({ userId: 'u1', text: 'wmoved' })).map((h) => h.id)).toEqual(['s1-0']);
    // Killed here: the older copy answers (its tombstone waits for the new copy), s1-1 is gone.
    expect(await idsFound(storage, 'filler')).toEqual(['s1-0']);
    await a.flush();
    expect(await idsFound(storage, 'wmoved')).toEqual(['s1-0']);
    expect(await idsFound(storage, 'filler')).toEqual(['s1-0']);
  });

  it("removing the new copy's session removes the item for good", async () => {
    const storage = await openStorage(new MemoryStorageBackend());
    const a = await indexWithS1x0MovedToS9(storage);
    await a.removeSession('u1', 's9');
    await a.idle();
    expect(await idsFound(storage, 'filler')).toEqual(['s1-1']);
  });

  it('a merge while the new copy waits in the tail keeps the older copy', async () => {
    const storage = await openStorage(new MemoryStorageBackend());
    const p = await partitionWithSegmentOfS1(storage);
    // Hold the maintenance chain, so that the next frozen tail is persisted (and merged) only after
    // s1-0 was indexed again.
    const release = holdChain(p);
    for (const n of [0, 1, 2]) p.enqueue(addOp(item('s2', n)));
    await p.drain(); // frozen: its segment waits behind the held chain
    // Two of segment 0's three items: it is mostly tombstones, which alone makes it a merge candidate.
    p.enqueue(addOp(item('s1', 0, 'wedited')));
    p.enqueue(addOp(item('s1', 1, 'wedited')));
    await p.drain();
    expect(p.tail.size).toBe(2);
    release();
    await p.idle();
    // Segment 1 was written and the manifest committed; segments 0 and 1 are a merge's pair.
    // Killed here: s1-0 and s1-1 are still findable, from their older copies.
    expect(await idsFound(storage, 'ws1x0')).toEqual(['s1-0']);
    expect(await idsFound(storage, 'ws1x1')).toEqual(['s1-1']);
    expect(await idsFound(storage, 'ws2x1')).toEqual(['s2-1']);
    await p.flush();
    await p.idle();
    expect(await idsFound(storage, 'ws1x0')).toEqual([]);
    expect((await idsFound(storage, 'wedited')).sort()).toEqual(['s1-0', 's1-1']);
    expect((await idsFound(storage, 'filler')).sort()).toEqual(
      ['s1-0', 's1-1', 's1-2', 's2-0', 's2-1', 's2-2'].sort(),
    );
  });

  it('a copy replaced again while its frozen tail is persisted is written, not dropped', async () => {
    const storage = await openStorage(new MemoryStorageBackend());
    const p = await partitionWithSegmentOfS1(storage);
    const release = holdChain(p);
    // A second copy of s1-0 is frozen with two more items (threshold 3)...
    p.enqueue(addOp(item('s1', 0, 'wsecond')));
    for (const n of [0, 1]) p.enqueue(addOp(item('s2', n)));
    await p.drain();
    // ...and a third one waits in the tail while the second one's segment is built and written.
    p.enqueue(addOp(item('s1', 0, 'wthird')));
    await p.drain();
    release();
    await p.idle();
    // Killed here: the second copy answers (the first one's tombstone was committed with it).
    expect(await idsFound(storage, 'wsecond')).toEqual(['s1-0']);
    expect(await idsFound(storage, 'ws1x0')).toEqual([]);
    expect(await idsFound(storage, 'wthird')).toEqual([]);
    await p.flush();
    await p.idle();
    expect(await idsFound(storage, 'wsecond')).toEqual([]);
    expect(await idsFound(storage, 'wthird')).toEqual(['s1-0']);
  });
});

/** Storage whose writes of keys matching `failing` throw, like a full or read-only disk. */
class FailingStorage extends MemoryStorageBackend {
  failing: RegExp | null = null;
  override async write(key: string, data: Uint8Array): Promise<void> {
    if (this.failing?.test(key)) throw new Error(`injected failure writing ${key}`);
    return super.write(key, data);
  }
}

describe('failed index writes', () => {
  it('a tail whose segment cannot be written is tried again, and no later tail claims its items', async () => {
    const storage = await openStorage(new FailingStorage());
    const p = await partitionWithSegmentOfS1(storage, 10);
    storage.failing = /\.ffseg$/;
    await addAll(p, [item('s1', 0, 'wsecond'), item('s2', 0), item('s2', 1)]);
    await addAll(p, [item('s1', 0, 'wthird'), item('s3', 0), item('s3', 1)]);
    // Both tails are still searchable in this process.
    expect(p.sources().reduce((n, s) => n + s.liveCount, 0)).toBe(7);
    // Killed here: the disk claims no item of s2 or s3 (the catch-up indexes them), s1-0 is its first copy.
    const reader = await openIndex(storage);
    const positions = await reader.positions('u1');
    expect(positions['users/u1/sessions/s2/log']).toBeUndefined();
    expect(positions['users/u1/sessions/s3/log']).toBeUndefined();
    expect(await idsFound(storage, 'ws1x0')).toEqual(['s1-0']);
    // The disk recovers: the next flush writes both tails, in order.
    storage.failing = null;
    await p.flush();
    await p.idle();
    expect((await idsFound(storage, 'filler')).sort()).toEqual(
      ['s1-0', 's1-1', 's1-2', 's2-0', 's2-1', 's3-0', 's3-1'].sort(),
    );
    expect(await idsFound(storage, 'wthird')).toEqual(['s1-0']);
  });

  it('a merge whose segment cannot be written leaves the merged segments listed', async () => {
    const storage = await openStorage(new FailingStorage());
    const p = await partitionWithSegmentOfS1(storage, 2);
    // The second segment is written; the merge of the two (segment 2) is not.
    storage.failing = /seg-000002-[0-9a-f]+\.ffseg$/;
    await addAll(
      p,
      [0, 1, 2].map((n) => item('s2', n)),
    );
    expect((await idsFound(storage, 'filler')).sort()).toEqual(
      ['s1-0', 's1-1', 's1-2', 's2-0', 's2-1', 's2-2'].sort(),
    );
    storage.failing = null;
    await addAll(
      p,
      [0, 1, 2].map((n) => item('s3', n)),
    );
    expect(await idsFound(storage, 'filler')).toHaveLength(9);
  });

  it('a removal whose manifest write failed is written by the next flush', async () => {
    const storage = await openStorage(new FailingStorage());
    const a = await openIndex(storage);
    await a.add([item('s1', 0), item('s1', 1)]);
    await a.flush();
    storage.failing = /manifest\.json$/;
    await a.remove('u1', ['s1-1']);
    await a.idle();
    storage.failing = null;
    await a.flush();
    expect(await idsFound(storage, 'filler')).toEqual(['s1-0']);
  });

  it('adds past the queue bound return while segment writes fail, and none is lost once they succeed', async () => {
    const storage = await openStorage(new FailingStorage());
    const a = createLunrSearchIndex({ storage, flushIntervalMs: 0, flushThreshold: 2, maxQueuedItems: 3 });
    await a.open();
    opened.push(a);
    storage.failing = /\.ffseg$/;
    for (let n = 0; n < 10; n++) await a.add([item('s1', n)]);
    expect(await a.search({ userId: 'u1', text: 'filler', limit: 100 })).toHaveLength(10);
    storage.failing = null;
    await a.flush();
    expect(await idsFound(storage, 'filler')).toHaveLength(10);
  });
});

/** A partition (threshold 3, merged in pairs by default) whose segment 0, s1-0..2, is on disk. */
async function partitionWithSegmentOfS1(storage: MemoryStorageBackend, mergeFactor = 2): Promise<Partition> {
  const p = new Partition('u1', {
    storage,
    compressor: undefined,
    compressIndex: false,
    prefix: 'index/fts',
    writerTag: '0000aaaa',
    flushThreshold: 3,
    mergeFactor,
    orphanGraceMs: 0,
    logger: undefined,
    now: () => new Date(),
    onLoaded: () => undefined,
  });
  await addAll(
    p,
    [0, 1, 2].map((n) => item('s1', n)),
  );
  return p;
}

/** Queue a task that holds the partition's maintenance chain until the returned function is called. */
function holdChain(p: Partition): () => void {
  let release = (): void => undefined;
  void p.run(() => new Promise<void>((r) => (release = r)));
  return () => release();
}

describe('two writers copies of one item', () => {
  it('readers loading the manifest in different orders keep the same copy', async () => {
    const storage = await openStorage(new MemoryStorageBackend());
    // No merges by size: the writers' segments numbered 0 stay listed side by side.
    const a = await openIndex(storage, 10);
    const b = await openIndex(storage, 10);
    // Both index s1-0 (one appended it, the other caught up) and load the empty partition first, so
    // both write a segment numbered 0.
    await a.add([item('s1', 0)]);
    await b.add([item('s1', 0)]);
    await a.search({ userId: 'u1', text: 'filler' });
    await b.search({ userId: 'u1', text: 'filler' });
    await a.flush();
    await b.flush();
    // r1 loads the manifest b wrote; then a writes one listing its own segment first; r2 loads that.
    const r1 = await openIndex(storage, 10);
    expect(await r1.search({ userId: 'u1', text: 'ws1x0' })).toHaveLength(1);
    await a.add([item('s2', 0)]);
    await a.flush();
    const r2 = await openIndex(storage, 10);
    expect(await r2.search({ userId: 'u1', text: 'ws1x0' })).toHaveLength(1);
    // Each commits what it loaded (with the duplicate it tombstoned).
    await r1.add([item('s3', 0)]);
    await r1.flush();
    await r2.add([item('s4', 0)]);
    await r2.flush();
    expect(await idsFound(storage, 'ws1x0')).toEqual(['s1-0']);
  });
});

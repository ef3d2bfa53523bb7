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

async function openIndex(
  storage: MemoryStorageBackend,
  flushThreshold = 1000,
  mergeFactor = 2,
): Promise<LunrSearchIndex> {
  const idx = createLunrSearchIndex({ storage, flushIntervalMs: 0, flushThreshold, mergeFactor });
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
    await mergeWithS2(a);
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

interface Held {
  /** Resolves once the held call is reached (it waits for `release`). */
  reached: Promise<void>;
  release(): void;
}

/**
 * `storage` as one process sees it, whose segment reads or writes can be held (to interleave it with
 * another writer's merge the way two processes can).
 */
function gatedStorage(storage: MemoryStorageBackend): {
  storage: MemoryStorageBackend;
  /** Hold the `nth` segment (or manifest) read or write from now on until released. */
  hold(op: 'read' | 'write', nth?: number, suffix?: string): Held;
} {
  let pending:
    | { op: string; suffix: string; skip: number; reached: () => void; until: Promise<void> }
    | undefined;
  const gate = async (op: string, key: string): Promise<void> => {
    const p = pending;
    if (!p || p.op !== op || !key.endsWith(p.suffix) || p.skip-- > 0) return;
    pending = undefined;
    p.reached();
    await p.until;
  };
  const proxy = new Proxy(storage, {
    get(target, key) {
      if (key === 'write') {
        return async (k: string, bytes: Uint8Array) => {
          await gate('write', k);
          return target.write(k, bytes);
        };
      }
      if (key === 'read') {
        return async (k: string) => {
          await gate('read', k);
          return target.read(k);
        };
      }
      const v = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return {
    storage: proxy,
    hold(op, nth = 1, suffix = '.ffseg') {
      let release!: () => void;
      let onReached!: () => void;
      const until = new Promise<void>((r) => {
        release = r;
      });
      const reached = new Promise<void>((r) => {
        onReached = r;
      });
      pending = { op, suffix, skip: nth - 1, reached: onReached, until };
      return { reached, release };
    },
  };
}

/** The ids a process opened afterwards finds for `word`. */
async function idsFoundFresh(storage: MemoryStorageBackend, word: string): Promise<string[]> {
  const fresh = await openIndex(storage);
  return (await fresh.search({ userId: 'u1', text: word, limit: 100 })).map((h) => h.id).sort();
}

/** A store (in memory) that several index instances share. */
async function sharedStore(): Promise<MemoryStorageBackend> {
  const storage = new MemoryStorageBackend();
  await storage.open();
  return storage;
}

/** A holding s1 0..2 in one segment, and B having loaded it (each over its own view of the store). */
async function bHoldingSegmentOfA(
  aStorage: MemoryStorageBackend,
  bStorage: MemoryStorageBackend,
): Promise<{ a: LunrSearchIndex; b: LunrSearchIndex }> {
  const a = await openIndex(aStorage);
  const b = await openIndex(bStorage);
  await a.add(items('s1', 0, 3));
  await a.flush();
  expect(await findable(b, 's1', 0, 3)).toBe(3);
  return { a, b };
}

/** A writes s2 0..2 in a second segment and merges both (mergeFactor 2). */
async function mergeWithS2(a: LunrSearchIndex): Promise<void> {
  await a.add(items('s2', 0, 3));
  await a.flush();
  await a.idle();
}

/** B, having loaded the user while it held nothing, and A, which then wrote s1 0..count-1. */
async function aWritingAfterBLoaded(
  storage: MemoryStorageBackend,
  count: number,
): Promise<{ a: LunrSearchIndex; b: LunrSearchIndex }> {
  const b = await openIndex(storage);
  expect(await findable(b, 's1', 0, 1)).toBe(0);
  const a = await openIndex(storage);
  await a.add(items('s1', 0, count));
  await a.flush();
  return { a, b };
}

/** The user's manifest as written. */
async function manifestOf(storage: MemoryStorageBackend): Promise<{ segments: Record<string, unknown>[] }> {
  return JSON.parse(new TextDecoder().decode((await storage.read('index/fts/u1/manifest.json'))!));
}

describe('deletions and edits across another writer merging', () => {
  it('a deletion on a segment another writer merged away is carried to the merged segment', async () => {
    const storage = new MemoryStorageBackend();
    await storage.open();
    const a = await openIndex(storage);
    const b = await openIndex(storage);
    await a.add(items('s1', 0, 3));
    await a.flush();
    expect(await findable(b, 's1', 0, 3)).toBe(3); // B loads A's segment
    // A writes a second segment and merges both (mergeFactor 2); B's view still holds the first.
    await mergeWithS2(a);
    await b.remove('u1', ['s1-1']);
    await b.flush();
    expect(await findable(b, 's1', 1, 1)).toBe(0);
    expect(await idsFoundFresh(storage, 'ws1x1')).toEqual([]);
    expect(await idsFoundFresh(storage, 'filler')).toEqual(['s1-0', 's1-2', 's2-0', 's2-1', 's2-2']);
    // The writer that merged picks the deletion up when it next commits, and keeps it.
    await a.add(items('s3', 0, 1));
    await a.flush();
    await a.idle();
    expect(await idsFoundFresh(storage, 'ws1x1')).toEqual([]);
  });

  it('a deletion committed while another writer merges that segment is carried by the merge', async () => {
    const shared = await sharedStore();
    const gate = gatedStorage(shared);
    const { a, b } = await bHoldingSegmentOfA(gate.storage, shared);
    // A's second segment is written, then the merge (built from A's view, without B's deletion) waits.
    await a.add(items('s2', 0, 3));
    const merge = gate.hold('write', 2);
    const flushed = a.flush();
    await merge.reached;
    await b.remove('u1', ['s1-1']);
    await b.flush(); // committed on the first segment, still listed
    merge.release();
    await flushed;
    await a.idle();
    expect(await idsFoundFresh(shared, 'ws1x1')).toEqual([]);
    expect(await idsFoundFresh(shared, 'filler')).toEqual(['s1-0', 's1-2', 's2-0', 's2-1', 's2-2']);
  });

  it('of two writers merging one segment at once, the later one to commit undoes its merge', async () => {
    const shared = new MemoryStorageBackend();
    await shared.open();
    const gateA = gatedStorage(shared);
    const gateB = gatedStorage(shared);
    const a = await openIndex(gateA.storage);
    const b = await openIndex(gateB.storage);
    await a.add(items('s1', 0, 3));
    await a.flush();
    expect(await findable(b, 's1', 0, 3)).toBe(3);
    // Both merge A's first segment with a segment of their own; neither has seen the other's merge.
    await a.add(items('s2', 0, 3));
    const mergeA = gateA.hold('write', 2);
    const flushedA = a.flush();
    await mergeA.reached;
    await b.add(items('s3', 0, 3));
    const mergeB = gateB.hold('write', 2);
    const flushedB = b.flush();
    await mergeB.reached;
    mergeA.release();
    await flushedA;
    await a.idle(); // A's merge is listed first
    // B deletes an item of the shared segment while its own merge of it waits to be recorded.
    const removed = b.remove('u1', ['s1-2']);
    mergeB.release();
    await removed;
    await flushedB;
    await b.flush();
    await b.idle();
    // B's merge result sorts after A's: listed too, its copies would hide A's deletion marks, and its
    // deleted copy would leave A's live one. Undone, B's deletion is carried to A's merge.
    expect(await findable(b, 's1', 2, 1)).toBe(0);
    expect(await findable(b, 's3', 0, 3)).toBe(3);
    expect(await idsFoundFresh(shared, 'ws1x2')).toEqual([]);
    const all = await idsFoundFresh(shared, 'filler');
    expect(all).toEqual(['s1-0', 's1-1', 's2-0', 's2-1', 's2-2', 's3-0', 's3-1', 's3-2']);
  });

  it('a reader whose manifest names a segment another writer merged away meanwhile reads it again', async () => {
    const shared = new MemoryStorageBackend();
    await shared.open();
    const gate = gatedStorage(shared);
    const a = await openIndex(shared);
    await a.add(items('s1', 0, 3));
    await a.flush();
    await a.add(items('s2', 0, 3));
    // The reader has read the manifest (one segment) and waits to read that segment...
    const reader = await openIndex(gate.storage);
    const read = gate.hold('read');
    const found = findable(reader, 's1', 0, 3);
    await read.reached;
    // ...while A writes its second segment, merges both and deletes the first.
    await a.flush();
    await a.idle();
    read.release();
    expect(await found).toBe(3);
    expect(await findable(reader, 's2', 0, 3)).toBe(3);
    // Its view holds the items, so its deletions reach them.
    await reader.remove('u1', ['s1-1']);
    await reader.flush();
    expect(await idsFoundFresh(shared, 'ws1x1')).toEqual([]);
  });

  it('a deletion made while a manifest is being written is carried by the next one', async () => {
    const shared = await sharedStore();
    const gate = gatedStorage(shared);
    const { a, b } = await bHoldingSegmentOfA(shared, gate.storage);
    await mergeWithS2(a); // A's first segment is merged away; B's view still holds it
    // B's manifest write carrying one deletion waits; B deletes another item meanwhile.
    const write = gate.hold('write', 1, 'manifest.json');
    const first = b.remove('u1', ['s1-0']);
    await write.reached;
    await first;
    await b.remove('u1', ['s1-1']);
    write.release();
    await b.flush();
    await b.idle();
    expect(await idsFoundFresh(shared, 'filler')).toEqual(['s1-2', 's2-0', 's2-1', 's2-2']);
  });

  it('a deletion reaches copies in segments of other writers this one never loaded', async () => {
    const storage = await sharedStore();
    const { a, b } = await aWritingAfterBLoaded(storage, 3);
    // B removes an item it holds no copy of (a document another process stored and this one deleted):
    // its positions may come to cover the deletion, so nothing would remove A's copy later.
    await b.remove('u1', ['s1-1']);
    await b.flush();
    expect(await idsFoundFresh(storage, 'filler')).toEqual(['s1-0', 's1-2']);
    // A turns the deletion into a mark of its own segment when it next writes the manifest.
    await a.add(items('s2', 0, 1));
    await a.flush();
    const byId = (await manifestOf(storage)).segments.flatMap((e) => (e.deletedIds as string[]) ?? []);
    expect(byId).toEqual([]);
    expect(await idsFoundFresh(storage, 'filler')).toEqual(['s1-0', 's1-2', 's2-0']);
  });

  it("a reader's choice between two writers' copies of an item stays its own", async () => {
    const storage = await sharedStore();
    const { a, b } = await aWritingAfterBLoaded(storage, 2);
    await b.add(items('s1', 0, 1)); // B's own copy of s1-0 (a catch-up of A's append)
    await b.flush();
    // A reader keeps the copy of the segment sorting last and hides the other. Written to the
    // manifest, that choice would outlive the order it was made under: a merge moves copies to a
    // segment sorting elsewhere, a later reader then keeps the other copy, and the two written
    // choices together would delete both.
    const reader = await openIndex(storage, 1000, 10); // no merge: the listing stays as it is
    expect(await findable(reader, 's1', 0, 2)).toBe(2);
    await reader.add(items('s2', 0, 1));
    await reader.flush();
    expect((await manifestOf(storage)).segments.flatMap((e) => e.deleted as number[])).toEqual([]);
    expect(await idsFoundFresh(storage, 'ws1x0')).toEqual(['s1-0']);
    // Deleting the item reaches both copies, the hidden one included.
    await reader.remove('u1', ['s1-0']);
    await reader.flush();
    expect(await idsFoundFresh(storage, 'ws1x0')).toEqual([]);
  });

  it('an edit whose older copy another writer merged away wins over that copy', async () => {
    const storage = await sharedStore();
    const { a, b } = await bHoldingSegmentOfA(storage, storage);
    await mergeWithS2(a); // merged: the result holds s1-0's older text
    const edited = items('s1', 0, 1)[0]!;
    await b.add([{ ...edited, content: 'wedited filler' }]);
    await b.flush();
    expect(await idsFoundFresh(storage, 'wedited')).toEqual(['s1-0']);
    expect(await idsFoundFresh(storage, 'ws1x0')).toEqual([]);
    // Not left to the segment order alone: the older copy in A's merge result is marked deleted, by id
    // and text (the merge result could hold a copy newer than the one B replaced, which must stay).
    const byId = (await manifestOf(storage)).segments.flatMap((e) => (e.deletedIds as string[]) ?? []);
    expect(byId.map((entry) => entry.split('\n')[0])).toEqual(['s1-0']);
  });

  it('an edit indexed by a writer that never saw the older copy sorts after a merge holding it', async () => {
    const storage = new MemoryStorageBackend();
    await storage.open();
    const b = await openIndex(storage);
    expect(await findable(b, 's1', 0, 1)).toBe(0); // B loads the user while it has no segment
    const a = await openIndex(storage);
    await a.add(items('s1', 0, 3));
    await a.flush();
    await mergeWithS2(a); // merged
    // B indexes an edit of s1-0 (an item it has no copy of): its segment must sort after A's merge.
    const edited = items('s1', 0, 1)[0]!;
    await b.add([{ ...edited, content: 'wedited filler' }]);
    await b.flush();
    expect(await idsFoundFresh(storage, 'wedited')).toEqual(['s1-0']);
    expect(await idsFoundFresh(storage, 'ws1x0')).toEqual([]);
  });

  it('a segment merged away so long ago that the retired list forgot it is never listed again', async () => {
    const storage = await sharedStore();
    const a = await openIndex(storage);
    const b = await openIndex(storage, 1000, 10); // B does not merge (it would retire what it relisted)
    await a.add(items('s1', 0, 3));
    await a.flush();
    expect(await findable(b, 's1', 0, 3)).toBe(3); // B loads A's segment
    const [held] = (await manifestOf(storage)).segments.map((e) => e.name as string);
    await mergeWithS2(a); // A merges it away and deletes its blob
    expect(await storage.read(`index/fts/u1/${held}.ffseg`)).toBeNull();
    // Thousands of merges later its name has dropped off the bounded retired list (MAX_RETIRED):
    // the manifest neither lists nor retires it. Written as another writer's commit would leave it.
    const m = (await manifestOf(storage)) as unknown as {
      retired: string[];
      mergedInto: Record<string, string>;
    };
    m.retired = m.retired.filter((n) => n !== held);
    delete m.mergedInto[held as string];
    await storage.write('index/fts/u1/manifest.json', new TextEncoder().encode(JSON.stringify(m)));
    // B, still holding it, commits a deletion and an item of its own.
    await b.remove('u1', ['s1-1']);
    await b.add(items('s3', 0, 1));
    await b.flush();
    expect((await manifestOf(storage)).segments.map((e) => e.name)).not.toContain(held);
    // A fresh reader loads every listed segment (none lost, so nothing asks for a full replay) and
    // finds each item once; the deletion reached the merged copy by id.
    const fresh = await openIndex(storage);
    expect(await fresh.positions('u1')).not.toEqual({});
    expect(await idsFoundFresh(storage, 'filler')).toEqual(['s1-0', 's1-2', 's2-0', 's2-1', 's2-2', 's3-0']);
  });

  it('a rewritten segment keeps its number: a newer copy another writer listed still wins', async () => {
    const storage = new MemoryStorageBackend();
    await storage.open();
    const b = await openIndex(storage);
    expect(await findable(b, 's1', 0, 1)).toBe(0);
    const a = await openIndex(storage, 1000, 3);
    await a.add(items('s1', 0, 3));
    await a.flush();
    // B lists an edit of s1-0 in a later segment than A's (A never loads it).
    const edited = items('s1', 0, 1)[0]!;
    await b.add([{ ...edited, content: 'wedited filler' }]);
    await b.flush();
    // A's segment becomes mostly tombstones and is rewritten on its own, after A's next segment.
    await a.remove('u1', ['s1-1', 's1-2']);
    await a.add(items('s3', 0, 1));
    await a.flush();
    await a.idle();
    expect(await idsFoundFresh(storage, 'wedited')).toEqual(['s1-0']);
    expect(await idsFoundFresh(storage, 'ws1x0')).toEqual([]);
  });
});

describe('a user deleted and indexed again beside another writer', () => {
  it("the new user's first segment is never dropped as the deleted user's retired one", async () => {
    const storage = new MemoryStorageBackend();
    await storage.open();
    const a = createLunrSearchIndex({ storage, flushIntervalMs: 0, orphanGraceMs: 0 });
    const b = createLunrSearchIndex({ storage, flushIntervalMs: 0, orphanGraceMs: 0 });
    await a.open();
    await b.open();
    opened.push(a, b);
    const doc = (id: string, session: string, text: string, seq: number) =>
      msg('u1', session, id, text, { source: { log: `users/u1/sessions/${session}/log`, seq } });
    // The old user: a's first segment is emptied and merged away (retired), and b loads that manifest.
    await a.add([doc('old-1', 's0', 'wold one', 0)]);
    await a.flush();
    await a.remove('u1', ['old-1']);
    await a.add([doc('old-2', 's0', 'wold two', 1)]);
    await a.flush();
    await a.idle();
    expect((await b.search({ userId: 'u1', text: 'wold' })).map((h) => h.id)).toEqual(['old-2']);
    // deleteUser in a's process, then the user is written again: a numbers its segments from 0 again.
    await a.removeUser('u1');
    await a.add([0, 1, 2].map((i) => doc(`new-${i}`, 's1', `wfresh m${i}`, i)));
    await a.flush();
    // b, still holding the old user's retired names, writes the manifest.
    await b.add([doc('other-0', 's2', 'wother', 0)]);
    await b.flush();
    await a.close();
    await b.close();
    const reader = createLunrSearchIndex({ storage, flushIntervalMs: 0 });
    await reader.open();
    opened.push(reader);
    expect((await reader.search({ userId: 'u1', text: 'wfresh' })).map((h) => h.id).sort()).toEqual([
      'new-0',
      'new-1',
      'new-2',
    ]);
  });
});

describe('a listed segment whose file is gone', () => {
  it('is dropped from the manifest by the next write, so readers stop replaying the user', async () => {
    const storage = await sharedStore();
    const a = await openIndex(storage, 1000, 100); // no merges
    await a.add(items('s1', 0, 3));
    await a.flush();
    await a.add(items('s2', 0, 2));
    await a.flush();
    await a.close();
    const listed = (await manifestOf(storage)).segments.map((e) => e.name as string);
    expect(listed).toHaveLength(2);
    // Removed with the user's directory by another process while a writer still listed it.
    await storage.delete(`index/fts/u1/${listed[0]}.ffseg`);

    const b = await openIndex(storage, 1000, 100);
    await b.add(items('s3', 0, 1));
    await b.flush();
    await b.close();
    const after = (await manifestOf(storage)).segments.map((e) => e.name as string);
    expect(after).not.toContain(listed[0]);
    // A fresh reader loads the user whole: its positions are known (not reset for a replay).
    const c = await openIndex(storage, 1000, 100);
    expect(Object.keys(await c.positions('u1')).length).toBeGreaterThan(0);
  });
});

/**
 * Two index instances writing one user's index through one store, as two processes do: a checkpoint by
 * one must never drop what the other journalled, whether the other appended before the checkpoint read
 * the journal, while it was being written, or after it had ended that journal. Real faiss on storage-fs
 * in a temp dir; the interleavings are forced, not left to timing.
 */
import type { StorageBackend } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { createFaissVectorIndex, createHashedNgramEmbedder, type FaissVectorIndex } from '../src/index.js';
import { encodeVector } from '../src/index/index-persistence.js';
import { manifestGate, tempFsStorage } from './helpers/fs-store.js';

const embedder = createHashedNgramEmbedder();
const ROOT = 'vec/alice';

const TEXTS: Record<string, string> = {
  a1: 'apples grow on trees',
  a2: 'orchards in autumn',
  a3: 'cider pressed from fruit',
  b1: 'submarines dive deep',
  b2: 'sonar pings in the dark',
  b3: 'periscope up at dawn',
  b4: 'ballast tanks flooded',
};

describe('several writers on one vector index', () => {
  const open = tempFsStorage('ffdb-vec-writers-');

  async function add(index: FaissVectorIndex, id: string): Promise<void> {
    const text = TEXTS[id] as string;
    const [v] = await embedder.embed([text]);
    await index.upsert('alice', embedder.space, [{ id, vector: v!, metadata: { text } }]);
  }

  /** The ids a fresh instance finds, each by its own text. */
  async function findable(s: StorageBackend, ids: string[]): Promise<string[]> {
    const fresh = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    const found: string[] = [];
    for (const id of ids) {
      const [q] = await embedder.embed([TEXTS[id] as string]);
      const hits = await fresh.search('alice', embedder.space, q!, { k: 1 });
      if (hits[0]?.id === id) found.push(id);
    }
    return found;
  }

  it('an index in use sees, on its next call, what another instance journalled or checkpointed since', async () => {
    const s = await open();
    // Every read looks for the other's changes (by default a read does so once per readRefreshMs).
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec', readRefreshMs: 0 });
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec', readRefreshMs: 0 });
    const ids = async (index: FaissVectorIndex) => (await index.entries('alice')).map((e) => e.id).sort();
    await add(a, 'a1');
    expect(await ids(b)).toEqual(['a1']); // b has the index loaded from here on
    await add(a, 'a2'); // journalled by a only
    const [q] = await embedder.embed([TEXTS.a2 as string]);
    expect((await b.search('alice', embedder.space, q!, { k: 1 }))[0]?.id).toBe('a2');
    await a.flush(); // a checkpoints: a newer generation than b's
    await add(a, 'a3');
    expect(await ids(b)).toEqual(['a1', 'a2', 'a3']);
    // b removes a vector it never added itself; a sees the removal.
    expect(await b.remove('alice', ['a3'])).toBe(1);
    expect(await ids(a)).toEqual(['a1', 'a2']);
    await b.flush();
    expect(await findable(s, ['a1', 'a2', 'a3'])).toEqual(['a1', 'a2']);
  });

  it('by default a read looks for changes of other instances at most once per readRefreshMs; a write always does', async () => {
    const s = await open();
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec', readRefreshMs: 300 });
    const ids = async (index: FaissVectorIndex) => (await index.entries('alice')).map((e) => e.id).sort();
    await add(a, 'a1');
    expect(await ids(b)).toEqual(['a1']);
    await add(a, 'a2');
    expect(await ids(b)).toEqual(['a1']); // served from memory: b looked less than 300 ms ago
    await new Promise((r) => setTimeout(r, 350));
    expect(await ids(b)).toEqual(['a1', 'a2']);
    await add(a, 'a3');
    await add(b, 'b1'); // a write looks first
    expect(await ids(b)).toEqual(['a1', 'a2', 'a3', 'b1']);
  });

  it('keeps records journalled before, during and after another writer checkpoints', async () => {
    const s = await open();
    // a's manifest write can be held, so that b appends between a's read of the journal and the manifest.
    const gate = manifestGate(s);
    const a = createFaissVectorIndex({ storage: gate.storage, prefix: 'vec' });
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    await add(a, 'a1');
    await add(b, 'b1'); // before a's checkpoint reads the journal: a folds it into its snapshot

    const atManifest = gate.hold();
    const aFlush = a.flush(); // reads journal 0, writes its snapshot, then waits before its manifest
    await atManifest;
    await add(b, 'b2'); // into journal 0 after a read it: a's manifest carries journal 0 from there
    gate.release();
    await aFlush;
    expect(await findable(s, ['a1', 'b1', 'b2'])).toEqual(['a1', 'b1', 'b2']);

    await add(b, 'b3'); // b still appends to journal 0, which a ended: b notices, reloads, appends again
    await add(a, 'a2');
    await a.flush(); // generation 2: journal 0 is deleted now
    expect(await s.countLog(`${ROOT}/journal-0`)).toBe(0);
    await add(b, 'b4'); // b appends to journal 1, which a ended: again
    await add(a, 'a3');
    expect(await findable(s, Object.keys(TEXTS))).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'b4']);
    await b.close();
    await a.close();
    expect(await findable(s, Object.keys(TEXTS))).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'b4']);
    const stats = await createFaissVectorIndex({ storage: s, prefix: 'vec' }).stats('alice');
    expect(stats.count).toBe(7);
  });

  it('removes and position markers from another writer survive its checkpoint too', async () => {
    const s = await open();
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    await add(a, 'a1');
    await add(a, 'a2');
    await a.flush();
    expect(await b.remove('alice', ['a1'])).toBe(1); // b loaded generation 1
    await b.setPositions('alice', { 'log/s': 7 });
    await add(a, 'a3');
    await a.flush(); // generation 2 folds in b's remove and markers
    expect(await b.remove('alice', ['a2'])).toBe(1); // into journal 1, ended: reload and append again
    const fresh = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect((await fresh.entries('alice')).map((e) => e.id).sort()).toEqual(['a3']);
    expect(await fresh.positions('alice')).toEqual({ 'log/s': 7 });
  });

  it('a writer left behind by two checkpoints does not write its older generation over the newer one', async () => {
    const s = await open();
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    await add(b, 'b1'); // b holds generation 0 with a journalled change
    await add(a, 'a1');
    await a.flush(); // generation 1
    await add(a, 'a2');
    await a.flush(); // generation 2: journal 0 is gone
    await b.close(); // b's checkpoint would write generation 1 from what it holds: it must not
    expect(await findable(s, ['a1', 'a2', 'b1'])).toEqual(['a1', 'a2', 'b1']);
    expect(await b.positions('alice')).toEqual({}); // b reloads the newest generation on its next use
    await add(b, 'b2');
    await b.flush();
    expect(await findable(s, ['a1', 'a2', 'b1', 'b2'])).toEqual(['a1', 'a2', 'b1', 'b2']);
  });

  it.each([1, 2, 3, 4, 5])(
    'three writers in a seeded random order of adds, removes, flushes and closes lose nothing (seed %i)',
    async (seed) => {
      const s = await open();
      const writers = [0, 1, 2].map(() => createFaissVectorIndex({ storage: s, prefix: 'vec' }));
      let state = seed * 2654435761;
      const next = (n: number) => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return state % n;
      };
      const live = new Set<string>();
      let made = 0;
      for (let step = 0; step < 120; step++) {
        const w = writers[next(3)] as FaissVectorIndex;
        const op = next(10);
        if (op < 6) {
          const id = `m${made++}`;
          const [v] = await embedder.embed([`message number ${id} about topic ${next(1000)}`]);
          await w.upsert('alice', embedder.space, [{ id, vector: v!, metadata: {} }]);
          live.add(id);
        } else if (op < 7) {
          // Only what this writer holds: a writer's remove acts on its own copy of the index.
          const known = (await w.entries('alice')).map((e) => e.id).filter((id) => live.has(id));
          const id = known[next(Math.max(1, known.length))];
          if (id === undefined) continue;
          expect(await w.remove('alice', [id])).toBe(1);
          live.delete(id);
        } else if (op < 9) {
          await w.flush();
        } else {
          await w.close();
        }
      }
      const fresh = createFaissVectorIndex({ storage: s, prefix: 'vec' });
      expect((await fresh.entries('alice')).map((e) => e.id).sort()).toEqual([...live].sort());
      for (const w of writers) await w.close();
      const after = createFaissVectorIndex({ storage: s, prefix: 'vec' });
      expect((await after.entries('alice')).map((e) => e.id).sort()).toEqual([...live].sort());
    },
  );

  it('a record another writer journalled in another embedding space does not make the index unloadable', async () => {
    const s = await open();
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect(await b.positions('alice')).toEqual({}); // b holds the empty index (no space yet)
    await add(a, 'a1'); // sets the space
    // b, configured with another embedder, learns the space before it writes (every use of an index
    // first reads what others journalled) and refuses...
    const other = { provider: 'other', model: 'other-model', dimension: 3 };
    await expect(
      b.upsert('alice', other, [{ id: 'x1', vector: new Float32Array([1, 0, 0]) }]),
    ).rejects.toMatchObject({ code: 'FF_SPACE_MISMATCH' });
    // ...but it may have journalled between a's append and its own read (a race): such a record, as
    // b would have written it into the same generation, is what every reader must survive.
    await s.append('vec/alice/journal-0', [
      {
        op: 'upsert',
        space: other,
        items: [{ id: 'x1', v: encodeVector(new Float32Array([1, 0, 0])), m: {} }],
      },
    ]);
    const fresh = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect((await fresh.stats('alice')).space).toEqual(embedder.space);
    expect((await fresh.entries('alice')).map((e) => e.id)).toEqual(['a1']);
    await a.flush(); // its checkpoint reads b's record too, and skips it the same way
    expect(await findable(s, ['a1'])).toEqual(['a1']);
  });
});

/**
 * A user's index removed by one instance while another has it loaded, as two processes do (deleteUser in
 * one, searches and writes in the other): the other must stop serving the removed vectors at its next
 * refresh look, load what is there after a re-creation (new files under the same names), and never write
 * its old copy back. Real faiss on storage-fs in a temp dir.
 */
import type { StorageBackend } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { createFaissVectorIndex, createHashedNgramEmbedder, type FaissVectorIndex } from '../src/index.js';
import { encodeVector } from '../src/index/index-persistence.js';
import { manifestGate, tempFsStorage } from './helpers/fs-store.js';

const embedder = createHashedNgramEmbedder();
/** Comfortably past the readers' readRefreshMs (100 ms). */
const REFRESH_WINDOW_MS = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TEXTS: Record<string, string> = {
  old1: 'volcano eruptions and lava flows',
  old2: 'glacier formation and ice sheets',
  new1: 'sailing boats in the harbour',
  late: 'a lighthouse keeper at night',
};

describe('a user index removed by another instance', () => {
  const open = tempFsStorage('ffdb-vec-removed-');
  const instance = (s: StorageBackend) =>
    createFaissVectorIndex({ storage: s, prefix: 'vec', readRefreshMs: 100 });

  async function add(index: FaissVectorIndex, id: string): Promise<void> {
    const text = TEXTS[id] as string;
    const [v] = await embedder.embed([text]);
    await index.upsert('alice', embedder.space, [{ id, vector: v!, metadata: { text } }]);
  }

  async function best(index: FaissVectorIndex, text: string): Promise<string | undefined> {
    const [q] = await embedder.embed([text]);
    return (await index.search('alice', embedder.space, q!, { k: 1 }))[0]?.id;
  }

  const ids = async (index: FaissVectorIndex) => (await index.entries('alice')).map((e) => e.id).sort();

  /** `a` holds alice's index in memory: one vector in a checkpoint, one only journalled (or both journalled). */
  async function loaded(s: StorageBackend, checkpointed: boolean): Promise<FaissVectorIndex> {
    const a = instance(s);
    await add(a, 'old1');
    if (checkpointed) await a.flush();
    await add(a, 'old2');
    expect(await best(a, TEXTS.old2 as string)).toBe('old2');
    return a;
  }

  it.each([true, false])(
    'a reader finds nothing and counts 0 within the refresh window (index checkpointed: %s)',
    async (checkpointed) => {
      const s = await open();
      const a = await loaded(s, checkpointed);
      await instance(s).removeUser('alice');
      await sleep(REFRESH_WINDOW_MS);
      expect(await best(a, TEXTS.old1 as string)).toBeUndefined();
      expect((await a.stats('alice')).count).toBe(0);
      expect(await ids(a)).toEqual([]);
      expect(await a.positions('alice')).toEqual({});
    },
  );

  it.each([true, false])(
    'after a re-creation a reader sees only the new vectors (index checkpointed: %s)',
    async (checkpointed) => {
      const s = await open();
      const a = await loaded(s, checkpointed);
      const b = instance(s);
      await b.removeUser('alice');
      // At once, before a has looked: the new journal-0 must not pass for a continuation of a's.
      await add(b, 'new1');
      await b.setPositions('alice', { 'log/s2': 1 });
      await sleep(REFRESH_WINDOW_MS);
      expect(await ids(a)).toEqual(['new1']);
      expect(await best(a, TEXTS.old1 as string)).toBe('new1');
      expect(await a.positions('alice')).toEqual({ 'log/s2': 1 });
      // a's next write goes into the new index, next to b's vector.
      await add(a, 'late');
      await a.close();
      await b.close();
      expect(await ids(instance(s))).toEqual(['late', 'new1']);
    },
  );

  it.each([true, false])(
    'a write after the removal does not bring the removed vectors back (index checkpointed: %s)',
    async (checkpointed) => {
      const s = await open();
      const a = await loaded(s, checkpointed);
      await instance(s).removeUser('alice');
      // Right away (a write looks first), then a checkpoint and a close, which write whole indexes.
      await add(a, 'late');
      await a.flush();
      await a.close();
      const fresh = instance(s);
      expect(await ids(fresh)).toEqual(['late']);
      expect(await best(fresh, TEXTS.old1 as string)).toBe('late');
    },
  );

  it('a flush or close of the stale index alone writes nothing back', async () => {
    const s = await open();
    const a = await loaded(s, false);
    await instance(s).removeUser('alice');
    await a.flush();
    await a.close();
    expect(await s.exists('vec/alice')).toBe(false);
    expect(await ids(instance(s))).toEqual([]);
  });

  it('a checkpoint under way when the user is removed writes no generation back', async () => {
    const s = await open();
    // a's checkpoint is held at its snapshot write; the removal lands before its manifest.
    const gate = manifestGate(s, '.faiss');
    const a = createFaissVectorIndex({ storage: gate.storage, prefix: 'vec' });
    await add(a, 'old1');
    await add(a, 'old2');
    const atSnapshot = gate.hold();
    const flushing = a.flush();
    await atSnapshot;
    await instance(s).removeUser('alice');
    gate.release();
    await flushing;
    expect(await ids(instance(s))).toEqual([]);
    expect(await s.exists('vec/alice')).toBe(false);
  });

  it('an index written before incarnations is read, noticed when removed, and tagged at its next checkpoint', async () => {
    const s = await open();
    // What an earlier version wrote: an untagged journal record and no `generations` log.
    const [v] = await embedder.embed([TEXTS.old1 as string]);
    const legacyRecord = {
      op: 'upsert',
      space: embedder.space,
      items: [{ id: 'old1', v: encodeVector(v!), m: {} }],
    };
    await s.append('vec/alice/journal-0', [legacyRecord]);
    const a = instance(s);
    expect(await ids(a)).toEqual(['old1']);
    await instance(s).removeUser('alice');
    await sleep(REFRESH_WINDOW_MS);
    expect(await ids(a)).toEqual([]); // its journal got shorter than what a had read

    await s.append('vec/alice/journal-0', [legacyRecord]);
    await add(a, 'new1'); // not a new directory: appended untagged, like the record before it
    await a.flush();
    const [gen] = await s.readLog('vec/alice/generations', { reverse: true, limit: 1 });
    expect(gen?.data).toMatchObject({ generation: 1, incarnation: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(await ids(instance(s))).toEqual(['new1', 'old1']);
  });

  it('journal records appended under an older incarnation are not replayed', async () => {
    const s = await open();
    const b = instance(s);
    await add(b, 'new1');
    // What a process that had not noticed the removal yet may append into the re-created directory
    // before it looks and appends again (its tag is the removed incarnation's).
    const [v] = await embedder.embed([TEXTS.old1 as string]);
    await s.append('vec/alice/journal-0', [
      {
        op: 'upsert',
        inc: '00000000',
        space: embedder.space,
        items: [{ id: 'old1', v: encodeVector(v!), m: {} }],
      },
    ]);
    expect(await ids(instance(s))).toEqual(['new1']);
    await b.flush();
    expect(await ids(instance(s))).toEqual(['new1']);
  });

  it("an instance holding the removed incarnation never sweeps away the new incarnation's journals", async () => {
    const s = await open();
    const stale = instance(s);
    const writer = instance(s);
    // The old incarnation: three checkpoints, so `stale` holds generation 3 with nothing journalled.
    for (const id of ['old1', 'old2', 'late']) {
      await add(stale, id);
      await stale.setPositions('alice', { L0: 1 });
      await stale.flush();
    }
    // deleteUser in another process, and the user's vectors start again: two checkpoints (generation 2)
    // and a vector journalled after them.
    await writer.removeUser('alice');
    for (const [i, id] of ['new1', 'old1'].entries()) {
      await add(writer, id);
      await writer.setPositions('alice', { L1: i + 1 });
      await writer.flush();
    }
    await add(writer, 'old2');
    await writer.setPositions('alice', { L1: 3 });
    // `stale` closes cleanly: its flush swept files by its own, removed, generation 3.
    await stale.close();
    await writer.close();
    const reader = instance(s);
    expect(await ids(reader)).toEqual(['new1', 'old1', 'old2']);
    expect(await reader.positions('alice')).toEqual({ L1: 3 });
    await reader.close();
  });

  it('an index whose carried journal is missing (left so by the sweep above) heals on its next load', async () => {
    const s = await open();
    const writer = instance(s);
    // Two checkpoints: the manifest of generation 2 carries journal 1; one more vector journalled in 2.
    await add(writer, 'old1');
    await writer.setPositions('alice', { L: 1 });
    await writer.flush();
    await add(writer, 'old2');
    await writer.setPositions('alice', { L: 2 });
    await writer.flush();
    await add(writer, 'new1');
    await writer.setPositions('alice', { L: 3 });
    await writer.close();
    const manifest = JSON.parse(new TextDecoder().decode((await s.read('vec/alice/manifest.json'))!)) as {
      carry?: { generation: number };
    };
    expect(manifest.carry).toBeDefined();
    expect(await s.delete(`vec/alice/journal-${manifest.carry!.generation}`)).toBe(true);

    const healing = instance(s);
    // Positions are forgotten (they may claim vectors of the lost journal): a caller embeds again.
    expect(await healing.positions('alice')).toEqual({});
    await add(healing, 'late');
    await healing.setPositions('alice', { L: 4 });
    await healing.close();
    const reader = instance(s);
    expect(await ids(reader)).toEqual(expect.arrayContaining(['late', 'new1']));
    expect(await reader.positions('alice')).toEqual({ L: 4 });
    await reader.close();
  });
});

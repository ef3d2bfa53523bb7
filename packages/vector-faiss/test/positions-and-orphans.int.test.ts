/**
 * Position markers persisted with the index (the manager's crash catch-up for message embeddings), and the
 * sweep of snapshot/journal files a crash in the middle of a checkpoint leaves behind. Real faiss on
 * storage-fs in a temp dir.
 */
import { describe, expect, it } from 'vitest';
import { createFaissVectorIndex, createHashedNgramEmbedder, type FaissVectorIndex } from '../src/index.js';
import { manifestGate, tempFsStorage } from './helpers/fs-store.js';

const embedder = createHashedNgramEmbedder();
const ROOT = 'vec/alice';

describe('FaissVectorIndex positions and orphan sweep (storage-fs)', () => {
  const open = tempFsStorage('ffdb-vec-pos-');

  async function addOne(index: FaissVectorIndex, id: string, text: string): Promise<void> {
    const [v] = await embedder.embed([text]);
    await index.upsert('alice', embedder.space, [{ id, vector: v!, metadata: { text } }]);
  }

  it('persists positions through the journal and the manifest; they only move forward', async () => {
    const s = await open();
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect(await a.positions('alice')).toEqual({});
    await a.setPositions('alice', { 'log/s1': 3, 'log/s2': 5 });
    await a.setPositions('alice', { 'log/s1': 2 }); // lower: ignored
    await a.setPositions('alice', { 'log/s2': null }); // forgotten
    // A new instance replays the journal (no checkpoint happened: this is the crash path).
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect(await b.positions('alice')).toEqual({ 'log/s1': 3 });
    await addOne(b, 'x', 'cats sleep on mats');
    await b.setPositions('alice', { 'log/s1': 4 });
    await b.flush(); // checkpoint: positions move into the manifest, the journal is dropped
    const c = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect(await c.positions('alice')).toEqual({ 'log/s1': 4 });
    expect((await c.stats('alice')).count).toBe(1);
    await expect(c.setPositions('alice', { 'log/s1': -1 })).rejects.toThrow(/positions\.log\/s1/);
  });

  it('removes snapshot and journal files of other generations, sparing young snapshots', async () => {
    const s = await open();
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    await addOne(a, 'x', 'cats sleep on mats');
    await a.flush(); // generation 1: index-1.faiss + manifest
    await addOne(a, 'y', 'bread needs flour');
    await a.close(); // generation 2
    const snapshotOf = async () =>
      (JSON.parse(new TextDecoder().decode((await s.read(`${ROOT}/manifest.json`))!)) as { snapshot: string })
        .snapshot;
    const liveFile = await snapshotOf();
    expect(liveFile).toMatch(/^index-2-[0-9a-f]{8}\.faiss$/); // named per writer (see index-persistence.ts)
    expect(await s.read(`${ROOT}/${liveFile}`)).not.toBeNull();
    // What crashes mid-checkpoint leave: the previous generation's snapshot and the journal before it
    // (crash after the manifest, before the deletes) and a half-written next generation (crash before
    // the manifest). Generation 2's manifest carries journal 1 (other writers' late records): it stays.
    await s.write(`${ROOT}/index-1.faiss`, new Uint8Array([1, 2, 3]));
    await s.append(`${ROOT}/journal-0`, [{ op: 'remove', ids: ['nothing'] }]);
    await s.write(`${ROOT}/index-3.faiss`, new Uint8Array([4, 5, 6]));
    expect(await s.countLog(`${ROOT}/journal-1`)).toBeGreaterThan(0);

    // Young snapshots are spared (a concurrent writer may own them); the old journal goes at once.
    const young = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect((await young.stats('alice')).count).toBe(2);
    expect(await s.exists(`${ROOT}/journal-0`)).toBe(false);
    expect(await s.countLog(`${ROOT}/journal-1`)).toBeGreaterThan(0);
    expect(await s.exists(`${ROOT}/index-1.faiss`)).toBe(true);
    expect(await s.exists(`${ROOT}/index-3.faiss`)).toBe(true);

    // Past the grace period, both go on load; the live generation stays and still loads.
    const swept = createFaissVectorIndex({ storage: s, prefix: 'vec', orphanGraceMs: 0 });
    expect((await swept.stats('alice')).count).toBe(2);
    expect(await s.exists(`${ROOT}/index-1.faiss`)).toBe(false);
    expect(await s.exists(`${ROOT}/index-3.faiss`)).toBe(false);
    expect(await s.exists(`${ROOT}/${liveFile}`)).toBe(true);

    // flush() sweeps too (a loaded index, a stray file appearing later).
    await s.write(`${ROOT}/index-7.faiss`, new Uint8Array([7]));
    await swept.flush();
    expect(await s.exists(`${ROOT}/index-7.faiss`)).toBe(false);
    const again = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    const [q] = await embedder.embed(['flour']);
    const hits = await again.search('alice', embedder.space, q!, { k: 1 });
    expect(hits[0]?.id).toBe('y');
  });

  it('journals a bulk upsert as a raw vector file that survives a crash and is folded in by a checkpoint', async () => {
    const s = await open();
    const a = createFaissVectorIndex({ storage: s, prefix: 'vec', checkpointEvery: 10 });
    const texts = Array.from({ length: 25 }, (_, i) => `note ${i} about topic${i} and word${i * 7}`);
    const vectors = await embedder.embed(texts);
    await a.upsert(
      'alice',
      embedder.space,
      texts.map((text, i) => ({ id: `n${i}`, vector: vectors[i]!, metadata: { text } })),
    );
    expect((await s.list(ROOT)).filter((k) => /\/bulk-0-[0-9a-f]{8}-0\.f32$/.test(k))).toHaveLength(1);
    expect(await s.exists(`${ROOT}/manifest.json`)).toBe(false); // no snapshot yet: the journal holds it
    // No close(): a new instance (the crash path) replays the bulk file.
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec', checkpointEvery: 10 });
    expect((await b.stats('alice')).count).toBe(25);
    const [q] = await embedder.embed(['topic7']);
    expect((await b.search('alice', embedder.space, q!, { k: 1 }))[0]?.id).toBe('n7');
    await b.flush(); // checkpoint: the bulk file goes with its generation
    expect((await s.list(ROOT)).filter((k) => k.includes('/bulk-'))).toEqual([]);
    expect((await s.list(ROOT)).filter((k) => /\/index-1-[0-9a-f]{8}\.faiss$/.test(k))).toHaveLength(1);
    const c = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    expect((await c.search('alice', embedder.space, q!, { k: 1 }))[0]?.id).toBe('n7');
  });

  it("never pairs one instance's manifest with another's snapshot when both checkpoint at once", async () => {
    const s = await open();
    // Instance a's snapshot write waits until b has checkpointed the same user completely. (The manifest
    // write itself is under the directory's lock, so b's checkpoint cannot land between a's snapshot
    // and a's manifest any more: a then sees b's generation and writes none.)
    const gate = manifestGate(s, '.faiss');
    const a = createFaissVectorIndex({ storage: gate.storage, prefix: 'vec' });
    const b = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    await addOne(a, 'a1', 'apples grow on trees');
    await addOne(a, 'a2', 'orchards in autumn');
    await addOne(b, 'b1', 'submarines dive deep');
    const atSnapshot = gate.hold();
    const aFlush = a.flush(); // waits at its snapshot write
    await atSnapshot;
    await b.flush(); // b's whole checkpoint lands in between
    gate.release();
    await aFlush; // a finds generation 1 written by b: its own snapshot must not be paired with b's manifest
    expect((await s.list(ROOT)).filter((k) => k.endsWith('.faiss'))).toHaveLength(1);
    const c = createFaissVectorIndex({ storage: s, prefix: 'vec' });
    // b1, which b journalled before a's checkpoint read the journal, is in a's snapshot too.
    expect((await c.stats('alice')).count).toBe(3);
    const [q] = await embedder.embed(['orchards in autumn']);
    expect((await c.search('alice', embedder.space, q!, { k: 1 }))[0]?.id).toBe('a2');
  });
});

/**
 * Interleavings of several index instances on one store (as several processes) that lost vectors or
 * failed a call: two first writers of a new index, a load or refresh whose files another writer's
 * checkpoint deletes under it, and a checkpoint of a generation loaded before its `generations` record
 * while a third writer still appends to the journal it carries. Real faiss on storage-fs in a temp dir;
 * every interleaving is forced with gates on storage calls, not left to timing.
 */
import type { StorageBackend } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { createFaissVectorIndex, createHashedNgramEmbedder, type FaissVectorIndex } from '../src/index.js';
import { callGate, tempFsStorage } from './helpers/fs-store.js';

const embedder = createHashedNgramEmbedder();
const ROOT = 'vec/alice';

const TEXTS: Record<string, string> = {
  a1: 'apples grow on trees',
  a2: 'orchards in autumn',
  a3: 'cider pressed from fruit',
  a4: 'pears ripen in the sun',
  b1: 'submarines dive deep',
  b2: 'sonar pings in the dark',
  c1: 'comets cross the night sky',
};

describe('racing writers on one vector index', () => {
  const open = tempFsStorage('ffdb-vec-racing-');
  const instance = (s: StorageBackend, extra: { checkpointEvery?: number; readRefreshMs?: number } = {}) =>
    createFaissVectorIndex({ storage: s, prefix: 'vec', ...extra });

  async function add(index: FaissVectorIndex, ...ids: string[]): Promise<void> {
    const vectors = await embedder.embed(ids.map((id) => TEXTS[id] as string));
    await index.upsert(
      'alice',
      embedder.space,
      ids.map((id, i) => ({ id, vector: vectors[i]!, metadata: { text: TEXTS[id] } })),
    );
  }

  const ids = async (index: FaissVectorIndex) => (await index.entries('alice')).map((e) => e.id).sort();

  it('two first writers of a new index agree on one incarnation, and neither loses what it journalled', async () => {
    const s = await open();
    // b has looked (no incarnation yet) and is about to record its own; a writes meanwhile.
    const bGate = callGate(s, 'append', (key) => key === `${ROOT}/generations`);
    const aGate = callGate(s, 'withLock', (key) => key === ROOT);
    const a = instance(aGate.storage);
    const b = instance(bGate.storage);
    const bAtTag = bGate.hold();
    const bWrites = add(b, 'b1');
    await bAtTag;
    const aAtLock = aGate.hold();
    const aWrites = add(a, 'a1');
    // Before the fix a tagged the directory, journalled a1 under its tag and returned; b's tag then
    // replaced a's and every instance skipped a1 as another incarnation's record.
    await Promise.race([aWrites, aAtLock]);
    bGate.release();
    aGate.release();
    await Promise.all([aWrites, bWrites]);
    await add(a, 'a2');
    expect(await ids(instance(s))).toEqual(['a1', 'a2', 'b1']);
    const tags = (await s.readLog<{ generation: number }>(`${ROOT}/generations`)).filter(
      (e) => e.data.generation === 0,
    );
    expect(tags).toHaveLength(1);
    await a.close();
    await b.close();
    expect(await ids(instance(s))).toEqual(['a1', 'a2', 'b1']);
  });

  it('a load whose snapshot another writer checkpoints away loads the newer generation', async () => {
    const s = await open();
    const a = instance(s);
    await add(a, 'a1');
    await a.flush(); // generation 1
    const gate = callGate(s, 'read', (key) => key.endsWith('.faiss'));
    const reader = instance(gate.storage);
    const atSnapshot = gate.hold();
    const reading = ids(reader); // has read the manifest of generation 1
    await atSnapshot;
    await add(a, 'a2');
    await a.flush(); // generation 2 deletes generation 1's snapshot
    gate.release();
    // Threw FFCorruptionError ("missing its data file") before.
    expect(await reading).toEqual(['a1', 'a2']);
  });

  it('a refresh whose bulk file another writer checkpoints away loads the newer generation', async () => {
    const s = await open();
    // An upsert of 3 vectors goes to a bulk file (and counts as one journalled record: no checkpoint yet).
    const a = instance(s, { checkpointEvery: 3 });
    await add(a, 'a1');
    const gate = callGate(s, 'read', (key) => key.endsWith('.f32'));
    const reader = instance(gate.storage, { readRefreshMs: 0 });
    expect(await ids(reader)).toEqual(['a1']);
    await add(a, 'a2', 'a3', 'a4'); // journal 0 names bulk-0-….f32
    const atBulk = gate.hold();
    const reading = ids(reader); // replays a's bulk record
    await atBulk;
    await a.flush(); // generation 1 folds the bulk file in and deletes it
    gate.release();
    // Threw FFCorruptionError ("names a missing bulk file") before.
    expect(await reading).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('a checkpoint of a generation loaded before its generations record keeps what a third writer appended to the carried journal', async () => {
    const s = await open();
    const aGate = callGate(s, 'append', (key) => key === `${ROOT}/generations`);
    const cGate = callGate(s, 'withLock', (key) => key === ROOT);
    const a = instance(aGate.storage);
    const b = instance(s);
    const c = instance(cGate.storage);
    await add(a, 'a1'); // tags the directory
    await add(b, 'b1'); // b holds generation 0
    // a checkpoints to generation 1 and is held after its manifest, before its `generations` record.
    const aAtRecord = aGate.hold();
    const aFlush = a.flush();
    await aAtRecord;
    // c loads generation 1 from that manifest, journals, and checkpoints: held before its last step.
    await add(c, 'c1');
    const cAtLock = cGate.hold();
    const cFlush = c.flush();
    await cAtLock;
    // b appends to journal 0 after c read it; its look still sees generation 0 (no record yet), so it
    // does not append again. Generation 2 must not end journal 0 without it.
    await add(b, 'b2');
    cGate.release();
    aGate.release();
    await Promise.all([aFlush, cFlush]);
    expect(await ids(instance(s))).toEqual(['a1', 'b1', 'b2', 'c1']);
    await c.flush();
    await b.close();
    await a.close();
    expect(await ids(instance(s))).toEqual(['a1', 'b1', 'b2', 'c1']);
  });
});

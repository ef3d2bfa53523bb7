/**
 * Crash recovery of the vector feature on real files: a message stored with `enableEmbeddings` whose
 * process is killed (SIGKILL, a real child process) before the background queue embedded it is found by
 * `searchSimilarMessages` after reopening (API.md §6.12: within 5 s).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFsStorage } from '@ffdb/storage-fs';
import { createFaissVectorIndex } from '@ffdb/vector-faiss';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager } from '../src/index.js';
import { runUntilThenKill } from './child.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs the child until it prints ADDED, kills it with SIGKILL, and resolves to its session id. */
async function crashAfterAdd(basePath: string, user: string): Promise<string> {
  const m = await runUntilThenKill(
    path.join(here, 'vectors-crash-child.ts'),
    { FFDB_BASE: basePath, FFDB_USER: user },
    /ADDED (\S+)\n/,
  );
  return m[1] as string;
}

describe('vector feature crash catch-up (real child process)', () => {
  let basePath = '';
  let manager: FFStorageManager | undefined;
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    if (basePath) removeDir(basePath);
  });

  it('embeds, after a SIGKILL, the message the background queue had not embedded yet', async () => {
    basePath = tempDir('ffdb-vec-crash-');
    const sessionId = await crashAfterAdd(basePath, 'alice');
    manager = new FFStorageManager(testConfig(basePath), { features: { search: false, personas: false } });
    expect(await manager.initialize()).toBe(true);
    const messages = await manager.getMessages('alice', sessionId);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']); // both were durably stored
    const started = Date.now();
    let hits = await manager.searchSimilarMessages('alice', 'lighthouse keeper lens');
    while (!hits.length && Date.now() - started < 5_000) {
      await new Promise((r) => setTimeout(r, 100));
      hits = await manager.searchSimilarMessages('alice', 'lighthouse keeper lens');
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(hits[0]?.content).toBe('The lighthouse keeper polished the giant lens every evening.');
    expect(hits[0]?.sessionId).toBe(sessionId);
    // The first message (embedded before the crash) is still there, and nothing is embedded twice.
    const bread = await manager.searchSimilarMessages('alice', 'sourdough bread yeast');
    expect(bread.map((h) => h.content)).toEqual(['Sourdough bread rises slowly with wild yeast.']);
    const stats = await manager.getVectorStats('alice', sessionId);
    expect(stats.messageVectors).toBe(2);

    // Positions are persisted: a further reopen has nothing left to catch up and still finds both.
    await manager.close();
    manager = new FFStorageManager(testConfig(basePath), { features: { search: false, personas: false } });
    expect(await manager.initialize()).toBe(true);
    expect(await manager.searchSimilarMessages('alice', 'lighthouse keeper lens')).toHaveLength(1);
  }, 90_000);

  it('verify reports message vectors the index lacks and embeds them with repair', async () => {
    basePath = tempDir('ffdb-vec-verify-');
    const config = { ...testConfig(basePath), vector: { embedMessages: true } };
    const features = { features: { search: false, personas: false } } as const;
    manager = await FFStorageManager.open({ config, ...features });
    await manager.createUser('alice');
    const sessionId = await manager.createSession('alice', 'notes');
    const texts = ['Tides follow the moon.', 'Bees dance to share directions.', 'Glaciers carve valleys.'];
    for (const t of texts) await manager.addMessage('alice', sessionId, { role: 'user', content: t });
    expect((await manager.getVectorStats('alice', sessionId)).messageVectors).toBe(3);
    await manager.close();
    manager = undefined;
    // Lose two message vectors behind the manager's back (what a lost journal or a restored backup does).
    const storage = createFsStorage({ basePath, durability: 'none' });
    await storage.open();
    const index = createFaissVectorIndex({ storage, prefix: 'features/vectors' });
    const ids = (await index.entries('alice')).map((e) => e.id);
    expect(ids).toHaveLength(3);
    expect(await index.remove('alice', ids.slice(0, 2))).toBe(2);
    await index.close();
    await storage.close();

    manager = await FFStorageManager.open({ config, ...features });
    const found = (await manager.verify()).issues.filter((i) => i.code.startsWith('vectors'));
    expect(found).toEqual([
      expect.objectContaining({
        code: 'vectors.behind',
        repaired: false,
        message: expect.stringContaining('2 of 3'),
      }),
    ]);
    const repaired = await manager.verify({ repair: true });
    expect(repaired.issues.filter((i) => i.code.startsWith('vectors'))).toEqual([
      expect.objectContaining({ code: 'vectors.behind', repaired: true }),
    ]);
    expect((await manager.verify()).issues.filter((i) => i.code.startsWith('vectors'))).toEqual([]);
    for (const t of texts) {
      const hits = await manager.searchSimilarMessages('alice', t, { limit: 1, similarityThreshold: 0 });
      expect(hits[0]?.content).toBe(t);
    }
  }, 60_000);
});

/**
 * Crash recovery of the vector feature on real files: a message stored with `enableEmbeddings` whose
 * process is killed (SIGKILL, a real child process) before the background queue embedded it is found by
 * `searchSimilarMessages` after reopening (API.md §6.12: within 5 s).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
});

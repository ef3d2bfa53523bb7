/**
 * Crash recovery of the vector feature on real files: a message stored with `enableEmbeddings` whose
 * process is killed (SIGKILL, a real child process) before the background queue embedded it is found by
 * `searchSimilarMessages` after reopening (API.md §6.12: within 5 s).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFsStorage } from '@ffdb/storage-fs';
import { createFaissVectorIndex, createHashedNgramEmbedder } from '@ffdb/vector-faiss';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager, TOKENS } from '../src/index.js';
import { SOURCE_NODE_ARGS, runUntilThenKill } from './child.js';
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

  it('a rebuild killed at any moment loses nothing: the next use or rebuild completes it', async () => {
    basePath = tempDir('ffdb-vec-rebuild-');
    const features = { search: false, personas: false };
    const inSpace = (dimension: number) =>
      FFStorageManager.open({
        config: testConfig(basePath),
        features,
        overrides: { [TOKENS.Embedder]: createHashedNgramEmbedder({ dimension }) },
      });
    manager = await inSpace(64);
    const sid = await manager.createSession('ivy', 'docs');
    const topics = ['glaciers', 'volcanoes', 'orchids', 'falcons', 'tides', 'comets', 'lichens', 'geysers'];
    for (let i = 0; i < 60; i++) {
      const topic = topics[i % topics.length];
      const text = `Note ${i} about ${topic}. ${'The field notes describe '.repeat(20)}${topic} number ${i}.`;
      await manager.storeDocumentWithVectors('ivy', sid, `doc${i}`, text);
    }
    for (const t of topics)
      await manager.addMessage('ivy', sid, {
        role: 'user',
        content: `I saw ${t} today`,
        metadata: { enableEmbeddings: true },
      });
    const total = (await manager.getVectorStats('ivy', sid)).totalVectors as number;
    expect((await manager.getVectorStats('ivy', sid)).messageVectors).toBe(topics.length);
    await manager.close();
    manager = undefined;
    const journal = path.join(basePath, 'users/ivy/features/vectors/rebuild.json');

    /** Runs a rebuild into `dimension` in a child and kills it at `moment` (a line it prints), after `delayMs`. */
    const killRebuild = async (dimension: number, moment: string, delayMs: number, pause: boolean) => {
      const child = spawn(
        process.execPath,
        [...SOURCE_NODE_ARGS, path.join(here, 'vectors-rebuild-child.ts')],
        {
          env: {
            ...process.env,
            FFDB_BASE: basePath,
            FFDB_USER: 'ivy',
            FFDB_DIMENSION: String(dimension),
            ...(pause ? { FFDB_PAUSE: '1' } : {}),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`child never printed ${moment}: ${err.slice(-1000)}`)),
          60_000,
        );
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes(moment)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await exited;
    };
    /** The store reached `dimension` whole: every chunk and message once, found by that space's searches. */
    const expectWhole = async (dimension: number, label: string) => {
      manager = await inSpace(dimension);
      const first = await manager.vectorSearch('ivy', 'glaciers').catch((e: { code?: string }) => e.code);
      // Killed before its journal was written: the old index is whole, in the old space; rebuild now.
      if (first === 'FF_SPACE_MISMATCH') await manager.rebuildVectorIndex('ivy');
      const after = await manager.getVectorStats('ivy', sid);
      expect(after.totalVectors, label).toBe(total);
      expect(after.messageVectors, label).toBe(topics.length);
      expect(
        (await manager.vectorSearch('ivy', 'notes about glaciers', { topK: 3 })).length,
        label,
      ).toBeGreaterThan(0);
      const similar = await manager.searchSimilarMessages('ivy', 'I saw comets today');
      expect(
        similar.map((h) => h.content),
        label,
      ).toContain('I saw comets today');
      expect(fs.existsSync(journal), label).toBe(false);
      await manager.close();
      manager = undefined;
    };

    // Killed with the chunks stored in the new space and the messages not yet embedded again (the
    // journal is gone by then; the positions went with the old index, so the catch-up re-embeds them).
    await killRebuild(96, 'PAUSED', 0, true);
    expect(fs.existsSync(journal)).toBe(false);
    await expectWhole(96, 'killed while embedding the messages');

    // The states a kill leaves while the journal exists, made on disk as the rebuild makes them: the
    // journal written with the old index still whole, and with the old index already removed.
    const writeJournal = async (removeIndex: boolean) => {
      const storage = createFsStorage({ basePath, durability: 'none' });
      await storage.open();
      const index = createFaissVectorIndex({ storage, prefix: 'features/vectors' });
      const chunks = (await index.entries('ivy')).filter((e) => e.metadata.kind === 'chunk');
      expect(chunks.length).toBe(total - topics.length);
      await storage.write(
        'users/ivy/features/vectors/rebuild.json',
        Buffer.from(JSON.stringify({ version: 1, chunks })),
      );
      if (removeIndex) await index.removeUser('ivy');
      await index.close();
      await storage.close();
    };
    await writeJournal(false);
    await expectWhole(112, 'journal written, old index whole');
    await writeJournal(true);
    await expectWhole(112, 'journal written, old index removed');
    // Killed at other moments: before the journal, or anywhere after it.
    for (const [round, delayMs] of [0, 30, 90].entries()) {
      const dimension = 128 + 32 * round;
      await killRebuild(dimension, 'REBUILDING', delayMs, false);
      await expectWhole(dimension, `killed ${delayMs} ms into a rebuild`);
    }
  }, 180_000);

  it('a journal a dead rebuild left after this process looked is finished before a chunk write', async () => {
    basePath = tempDir('ffdb-vec-stale-journal-');
    const features = { features: { search: false, personas: false } } as const;
    manager = await FFStorageManager.open({ config: testConfig(basePath), ...features });
    const sid = await manager.createSession('joy', 'docs');
    for (let i = 0; i < 3; i++)
      await manager.storeDocumentWithVectors('joy', sid, `doc${i}`, `Note ${i} about lighthouses and tides.`);
    // This process looks for a journal now (none), and keeps that answer.
    expect((await manager.vectorSearch('joy', 'lighthouses')).length).toBeGreaterThan(0);
    // Another process's rebuild dies after writing its journal (made on disk as the rebuild makes it).
    const storage = createFsStorage({ basePath, durability: 'none' });
    await storage.open();
    const index = createFaissVectorIndex({ storage, prefix: 'features/vectors' });
    const chunks = (await index.entries('joy')).filter((e) => e.metadata.kind === 'chunk');
    await storage.write(
      'users/joy/features/vectors/rebuild.json',
      Buffer.from(JSON.stringify({ version: 1, chunks })),
    );
    await index.close();
    await storage.close();
    // A delete in this process: finishing the journal later would bring the chunks back.
    await manager.deleteDocumentVectors('joy', sid, 'doc1');
    const left = async (m: FFStorageManager) =>
      (await m.vectorSearch('joy', 'note lighthouses tides', { topK: 10 }))
        .map((r) => r.metadata.documentId)
        .sort();
    expect(await left(manager)).toEqual(['doc0', 'doc2']);
    await manager.close();
    manager = await FFStorageManager.open({ config: testConfig(basePath), ...features });
    expect(await left(manager)).toEqual(['doc0', 'doc2']);
  }, 60_000);
});

/**
 * Crash recovery of the vector feature on real files: a message stored with `enableEmbeddings` whose
 * process is killed (SIGKILL, a real child process) before the background queue embedded it is found by
 * `searchSimilarMessages` after reopening (API.md §6.12: within 5 s).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager } from '../src/index.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs the child until it prints ADDED, kills it with SIGKILL, and resolves to its session id. */
function crashAfterAdd(basePath: string, user: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=ffdb-source',
      '--import',
      path.join(here, 'fixtures/ts-loader.mjs'),
      path.join(here, 'vectors-crash-child.ts'),
    ],
    { env: { ...process.env, FFDB_BASE: basePath, FFDB_USER: user }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not report in time; stderr: ${err.slice(-2000)}`));
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ADDED (\S+)\n/.exec(out);
      if (!m) return;
      child.kill('SIGKILL');
      child.once('exit', (_code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') resolve(m[1] as string);
        else reject(new Error(`child ended with ${signal}`));
      });
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before ADDED; stderr: ${err.slice(-2000)}`));
      }
    });
  });
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

/**
 * Two processes, each with its own search index persisted to the same files, append to the same session
 * at once (real processes, real files, the real index). Their seqs interleave; every message and
 * document either of them stored must be found by search afterwards, and verify() finds no lag.
 * (Before fillGap, a process's index positions claimed the other's interleaved messages and about one in
 * seven was never indexed.)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager } from '../src/index.js';
import { SOURCE_NODE_ARGS } from './child.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SEARCH_ONLY = { features: { search: true, vectors: false, personas: false } } as const;

/** Starts a writer; `ready` resolves once it opened the store, `done` once it wrote everything and exited. */
function startWriter(env: Record<string, string>): {
  ready: Promise<void>;
  go(): void;
  done: Promise<void>;
} {
  const child = spawn(
    process.execPath,
    [...SOURCE_NODE_ARGS, path.join(here, 'fixtures/search-writer-child.ts')],
    {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0 && out.includes('DONE\n')) resolve();
      else reject(new Error(`writer ${env.FFDB_TAG} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
  return { ready: Promise.race([ready, done]), go: () => child.stdin.end('GO\n'), done };
}

/** Runs writers `alpha` and `beta` with `env`, started together once both have opened the store. */
async function runTwoWriters(env: Record<string, string>): Promise<void> {
  const writers = [startWriter({ ...env, FFDB_TAG: 'alpha' }), startWriter({ ...env, FFDB_TAG: 'beta' })];
  await Promise.all(writers.map((w) => w.ready));
  for (const w of writers) w.go();
  await Promise.all(writers.map((w) => w.done));
}

describe('search and vectors with two writer processes on one store', () => {
  let basePath = '';
  let manager: FFStorageManager | undefined;
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    if (basePath) removeDir(basePath);
  });

  it('finds every message and document both processes stored in one session', async () => {
    basePath = tempDir('ffdb-search-mp-');
    const setup = await FFStorageManager.open({ config: testConfig(basePath), ...SEARCH_ONLY });
    await setup.createUser('alice');
    const sessionId = await setup.createSession('alice', 'shared');
    await setup.close();
    const count = 200;
    const env = {
      FFDB_BASE: basePath,
      FFDB_USER: 'alice',
      FFDB_SESSION: sessionId,
      FFDB_COUNT: String(count),
    };
    await runTwoWriters(env);

    manager = await FFStorageManager.open({ config: testConfig(basePath), ...SEARCH_ONLY });
    const stored = await manager.getMessages('alice', sessionId, { limit: 10 * count });
    expect(stored).toHaveLength(2 * count);
    // The two writers really interleaved (otherwise this test proves nothing).
    const order = stored.map((m) => m.content.split('x')[0]).join('');
    expect(order).not.toMatch(/^(alpha)+(beta)+$|^(beta)+(alpha)+$/);
    const missing: string[] = [];
    for (const m of stored) {
      const token = m.content.split(' ')[0] as string;
      const hits = await manager.searchMessages('alice', token, { sessionId, limit: 5 });
      if (!hits.some((h) => h.content === m.content)) missing.push(token);
    }
    expect(missing).toEqual([]);
    const docsMissing: string[] = [];
    for (const tag of ['alpha', 'beta']) {
      for (let i = 0; i < count; i += 25) {
        const hits = await manager.searchDocuments('alice', `${tag}doc${i}`);
        if (hits.length !== 1) docsMissing.push(`${tag}doc${i}`);
      }
    }
    expect(docsMissing).toEqual([]);
    const report = await manager.verify();
    expect(report.issues.filter((i) => i.code.startsWith('search'))).toEqual([]);
  }, 120_000);

  it('keeps every message vector when two processes embed into one index, and verify agrees', async () => {
    basePath = tempDir('ffdb-vectors-mp-');
    const config = { ...testConfig(basePath), vector: { embedMessages: true } };
    const VECTORS_ONLY = { features: { search: false, vectors: true, personas: false } } as const;
    const setup = await FFStorageManager.open({ config, ...VECTORS_ONLY });
    await setup.createUser('alice');
    const sessionId = await setup.createSession('alice', 'shared');
    await setup.close();
    const count = 120;
    const env = {
      FFDB_BASE: basePath,
      FFDB_USER: 'alice',
      FFDB_SESSION: sessionId,
      FFDB_COUNT: String(count),
      FFDB_FEATURE: 'vectors',
    };
    // A third process, open all along with the user's index loaded: it sees the writers' vectors
    // without a restart (every use of a loaded index first applies what others made durable).
    manager = await FFStorageManager.open({ config, ...VECTORS_ONLY });
    expect(await manager.searchSimilarMessages('alice', 'anything', { similarityThreshold: 0 })).toEqual([]);
    await runTwoWriters(env);

    // Nothing to repair: neither process's checkpoint dropped what the other journalled (before the
    // vector journal's carry and re-append, 50-95 of 240 message vectors were missing here).
    expect((await manager.verify()).issues.filter((i) => i.code.startsWith('vectors'))).toEqual([]);
    const stored = await manager.getMessages('alice', sessionId, { limit: 10 * count });
    expect(stored).toHaveLength(2 * count);
    const missing: string[] = [];
    for (const m of stored) {
      const hits = await manager.searchSimilarMessages('alice', m.content, {
        limit: 3,
        similarityThreshold: 0,
      });
      if (!hits.some((h) => h.content === m.content)) missing.push(m.content.split(' ')[0] as string);
    }
    expect(missing).toEqual([]);
  }, 180_000);
});

/**
 * Several real processes sharing one store's index, each adding, editing and deleting items, catching
 * up on the others' (the manager's shape) and merging segments every few items. Afterwards a fresh
 * reader finds every item once, at its last version, and no deleted one. Before deletion marks were
 * carried across other processes' merges (and a merge racing another one was undone), 7–22 deleted
 * items per run came back.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, createCompressor } from '@ffdb/compression';
import { createFsStorage } from '@ffdb/storage-fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLunrSearchIndex } from '../src/index.js';

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'op-log-writer.mjs');
const PROCESSES = 3;
const OPS = 200;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runWriter(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [WRITER, ...args], { timeout: 60_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`writer failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

function openStorage(basePath: string) {
  return createFsStorage({
    basePath,
    durability: 'none',
    compressor: createCompressor({ algorithm: 'none' }),
    codec: createCodec({ format: 'json' }),
  });
}

describe('several processes adding, editing and deleting items of one user', () => {
  it('leave every item findable once at its last version, and no deleted one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ffdb-fts-procs-'));
    dirs.push(dir);
    const basePath = path.join(dir, 'store');
    const opLog = path.join(dir, 'ops.log');
    writeFileSync(opLog, '');
    await Promise.all(
      Array.from({ length: PROCESSES }, (_, who) =>
        runWriter([basePath, opLog, String(who), String(OPS), String(1000 + who), String(PROCESSES)]),
      ),
    );
    // The last version of each item, from the log every process appended to.
    const last = new Map<string, number>();
    for (const line of readFileSync(opLog, 'utf8').split('\n').filter(Boolean)) {
      const op = JSON.parse(line) as { kind: string; id: string; v: number };
      if (op.kind === 'put') last.set(op.id, op.v);
      else if (op.kind === 'delete') last.set(op.id, -1);
    }
    const storage = openStorage(basePath);
    await storage.open();
    const idx = createLunrSearchIndex({ storage, flushIntervalMs: 0 });
    await idx.open();
    try {
      const hits = await idx.search({ userId: 'u1', text: 'filler', limit: 100_000 });
      const ids = hits.map((h) => h.id);
      expect(new Set(ids).size, 'items returned twice').toBe(ids.length);
      const live = [...last].filter(([, v]) => v >= 0).map(([id]) => id);
      expect(ids.sort(), 'the items not deleted, each once').toEqual(live.sort());
      const stale: string[] = [];
      for (const id of live) {
        const word = `${id.replace('-', 'k')}v${last.get(id)}`;
        const found = await idx.search({ userId: 'u1', text: word, limit: 5 });
        if (!found.some((h) => h.id === id)) stale.push(id);
      }
      expect(stale, 'items found only at an older version').toEqual([]);
      expect(live.length).toBeGreaterThan(100);
      expect(last.size - live.length, 'deletions in the run').toBeGreaterThan(30);
    } finally {
      await idx.close();
      await storage.close();
    }
  }, 120_000);
});

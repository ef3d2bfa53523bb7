import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FsStorageBackend } from '../src/index.js';
import { openStore, tempDir } from './helpers/temp-store.js';

/** Every file and directory under `root`, as relative paths. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      out.push(path.relative(root, full));
      if (e.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out.sort();
}

describe('hostile keys never touch anything outside the base path (fast-check)', () => {
  let parent: { dir: string; cleanup: () => void };
  let store: FsStorageBackend;
  let base: string;
  beforeAll(async () => {
    parent = tempDir('ffdb-hostile-');
    base = path.join(parent.dir, 'store');
    fs.mkdirSync(path.join(parent.dir, 'outside'));
    fs.writeFileSync(path.join(parent.dir, 'outside', 'canary'), 'canary');
    fs.writeFileSync(path.join(parent.dir, 'store-sibling'), 'sibling');
    store = await openStore(base, { durability: 'none' });
  });
  afterAll(async () => {
    await store.close();
    parent.cleanup();
  });

  // Path-ish pieces a traversal attempt is built from, plus arbitrary unicode.
  const piece = fc.oneof(
    fc.constantFrom(
      '..',
      '.',
      '',
      '/',
      '\\',
      ':',
      'C:',
      '\0',
      '\n',
      '%2e%2e',
      '..%2f',
      '~',
      'outside',
      'store-sibling',
      '.ffdb',
      'ffdb.json',
      'x.fflog',
      '.ffdb-tmp-1',
    ),
    fc.string({ maxLength: 6 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  );
  const hostileKey = fc
    .tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.constantFrom('/', '', '\\', '/../'))
    .map(([parts, sep]) => parts.join(sep));

  it('every method either rejects the key with FF_VALIDATION or stays inside the store', async () => {
    const before = tree(parent.dir).filter((p) => !p.startsWith(`store${path.sep}`) && p !== 'store');
    await fc.assert(
      fc.asyncProperty(hostileKey, async (key) => {
        const calls: (() => Promise<unknown>)[] = [
          () => store.write(key, new Uint8Array([1])),
          () => store.append(key, [{ a: 1 }]),
          () => store.read(key),
          () => store.exists(key),
          () => store.list(key, { recursive: true }),
          () => store.listLogs(key),
          () => store.readLog(key),
          () => store.countLog(key),
          () => store.stat(key),
          () => store.delete(key),
        ];
        for (const call of calls) {
          try {
            await call();
          } catch (err) {
            expect(
              (err as { code?: string }).code,
              `${JSON.stringify(key)}: ${(err as Error).message}`,
            ).toMatch(/^FF_VALIDATION$|^FF_STORAGE/);
          }
        }
      }),
      { numRuns: 300 },
    );
    const after = tree(parent.dir).filter((p) => !p.startsWith(`store${path.sep}`) && p !== 'store');
    expect(after).toEqual(before);
    expect(fs.readFileSync(path.join(parent.dir, 'outside', 'canary'), 'utf8')).toBe('canary');
    // and the store's own files were never clobbered by a key
    expect(JSON.parse(fs.readFileSync(path.join(base, 'ffdb.json'), 'utf8')).formatVersion).toBe(1);
    expect((await store.verify()).issues.filter((i) => i.code !== 'orphan_temp')).toEqual([]);
  });
});

describe('a blob key whose last segment is as long as a file name may be (255)', () => {
  it('is written, read, listed, stat-ed and deleted: probing its log variant (+".fflog") is not an error', async () => {
    const t = tempDir('ffdb-long-segment-');
    const store = await openStore(path.join(t.dir, 'store'), { durability: 'none' });
    try {
      const name = `${'d'.repeat(251)}.txt`; // 255 characters: the segment limit and NAME_MAX
      const key = `users/u/docs/${name}`;
      await store.write(key, new TextEncoder().encode('hello'));
      expect(await store.exists(key)).toBe(true);
      expect(new TextDecoder().decode((await store.read(key)) ?? new Uint8Array())).toBe('hello');
      expect((await store.stat(key))?.size).toBe(5);
      expect(await store.list('users/u/docs')).toEqual([key]);
      expect(await store.countLog(key)).toBe(0);
      expect(await store.delete(key)).toBe(true);
      expect(await store.exists(key)).toBe(false);
      expect(await store.delete(key)).toBe(false);
      // A log's directory is its last segment + ".fflog": 249 bytes is the longest log name. A longer one
      // is refused before anything is written; reading it finds an empty log.
      const longest = `users/u/logs/${'l'.repeat(249)}`;
      expect((await store.append(longest, [{ n: 1 }])).firstSeq).toBe(0);
      expect(await store.countLog(longest)).toBe(1);
      await expect(store.append(`${longest}x`, [{ n: 1 }])).rejects.toMatchObject({
        code: 'FF_VALIDATION',
        issues: [{ path: 'log', limit: 249 }],
      });
      expect(await store.readLog(`${longest}x`)).toEqual([]);
      expect((await store.verify()).ok).toBe(true);
    } finally {
      await store.close();
      t.cleanup();
    }
  });
});

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

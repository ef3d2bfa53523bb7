import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { checkLayers } from '../src/check-layers.mjs';

const dirs: string[] = [];
function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-layers-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('check-layers', () => {
  it('accepts allowed edges', () => {
    const root = repo({
      'packages/storage-fs/src/a.ts': "import { TOKENS } from '@ffdb/core-types';\nimport x from './b.js';",
      'packages/manager/src/m.ts':
        "import { FsStorage } from '@ffdb/storage-fs';\nimport 'reflect-metadata';\nimport { container } from 'tsyringe';",
    });
    expect(checkLayers(root)).toEqual([]);
  });

  it('rejects an adapter importing another adapter', () => {
    const root = repo({ 'packages/search-fts/src/a.ts': "import { FsStorage } from '@ffdb/storage-fs';" });
    expect(checkLayers(root)).toEqual([expect.stringContaining('search-fts may not import @ffdb/storage-fs')]);
  });

  it('rejects dynamic imports across layers and tsyringe outside the manager', () => {
    const root = repo({
      'packages/personas/src/a.ts': "const m = await import('@ffdb/manager');\nimport { injectable } from 'tsyringe';",
    });
    const v = checkLayers(root);
    expect(v).toHaveLength(2);
    expect(v.join('\n')).toMatch(/personas may not import @ffdb\/manager/);
    expect(v.join('\n')).toMatch(/tsyringe may only be used in manager/);
  });

  it('rejects relative imports that leave the package', () => {
    const root = repo({ 'packages/cli/src/a.ts': "import { x } from '../../manager/src/index.js';" });
    expect(checkLayers(root)).toEqual([expect.stringContaining('leaves the package')]);
  });
});

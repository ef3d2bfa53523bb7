/** Every ts block of docs/vectors.md and this package's README runs (DESIGN.md §5: docs tell the truth). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const root = path.resolve(pkg, '../..');
const docs = [path.resolve(root, 'docs/vectors.md'), path.resolve(pkg, 'README.md')];

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

it.each(docs)(
  'every ts block of %s runs',
  async (doc) => {
    const blocks = tsBlocks(fs.readFileSync(doc, 'utf8'));
    expect(blocks.length).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(here, '.docs-'));
    try {
      for (const [i, code] of blocks.entries()) {
        const file = path.join(dir, `snippet-${i}.ts`);
        // Snippets import published names; point them at the workspace sources.
        const source = code
          .replaceAll("'@ffdb/vector-faiss'", JSON.stringify(path.join(pkg, 'src', 'index.ts')))
          .replaceAll("'@ffdb/manager'", JSON.stringify(path.join(root, 'packages/manager/src/index.ts')));
        fs.writeFileSync(file, source);
        await import(/* @vite-ignore */ pathToFileURL(file).href);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
  60_000,
);

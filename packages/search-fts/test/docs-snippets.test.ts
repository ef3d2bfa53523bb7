import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const docs = [path.resolve(pkg, '../../docs/search.md'), path.resolve(pkg, 'README.md')];

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

it.each(docs)('every ts block of %s runs', async (doc) => {
  const blocks = tsBlocks(fs.readFileSync(doc, 'utf8'));
  expect(blocks.length).toBeGreaterThan(0);
  const dir = fs.mkdtempSync(path.join(here, '.docs-'));
  try {
    for (const [i, code] of blocks.entries()) {
      const file = path.join(dir, `snippet-${i}.ts`);
      // The snippet imports the published name; point it at this package's sources.
      fs.writeFileSync(
        file,
        code.replaceAll("'@ffdb/search-fts'", JSON.stringify(path.join(pkg, 'src', 'index.ts'))),
      );
      await import(/* @vite-ignore */ pathToFileURL(file).href);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

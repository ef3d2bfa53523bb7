import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const doc = path.resolve(pkg, '../../docs/personas.md');

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

// Each snippet is a self-contained module importing the published names; they are pointed at the
// workspace sources and imported, so a failing assert in a snippet fails this test.
const blocks = tsBlocks(fs.readFileSync(doc, 'utf8'));

it('docs/personas.md has snippets', () => {
  expect(blocks.length).toBe(2);
});

blocks.forEach((code, i) => {
  it(`docs/personas.md snippet ${i + 1} runs`, async () => {
    const dir = fs.mkdtempSync(path.join(here, '.docs-'));
    try {
      const file = path.join(dir, `snippet-${i + 1}.ts`);
      const source = code
        .replaceAll("'@ffdb/personas'", JSON.stringify(path.join(pkg, 'src', 'index.ts')))
        .replaceAll("'@ffdb/manager'", JSON.stringify(path.resolve(pkg, '../manager/src/index.ts')));
      fs.writeFileSync(file, source);
      await import(/* @vite-ignore */ pathToFileURL(file).href);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

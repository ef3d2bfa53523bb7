/** Every ```ts block of the root README and docs/guide.md runs, each in a fresh working directory. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it, vi } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const repo = path.resolve(pkg, '../..');
const docs = [path.join(repo, 'README.md'), path.join(repo, 'docs/guide.md'), path.join(pkg, 'README.md')];

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

it.each(docs)(
  'every ts block of %s runs',
  async (doc) => {
    const blocks = tsBlocks(fs.readFileSync(doc, 'utf8'));
    expect(blocks.length).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(here, '.docs-'));
    const cwd = process.cwd();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      for (const [i, code] of blocks.entries()) {
        const file = path.join(dir, `snippet-${i}.ts`);
        // Snippets import the published names; point them at the workspace sources.
        const source = code
          .replaceAll("'@ffdb/manager'", JSON.stringify(path.join(pkg, 'src/index.ts')))
          .replaceAll(
            "'@ffdb/conformance'",
            JSON.stringify(path.join(repo, 'packages/conformance/src/index.ts')),
          );
        fs.writeFileSync(file, source);
        const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-docs-'));
        process.chdir(work);
        try {
          await import(/* @vite-ignore */ pathToFileURL(file).href);
        } catch (error) {
          throw new Error(`${path.basename(doc)} block ${i} failed: ${(error as Error).stack}`);
        } finally {
          process.chdir(cwd);
          fs.rmSync(work, { recursive: true, force: true });
        }
      }
      expect(log).toHaveBeenCalled();
    } finally {
      log.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
  120_000,
);

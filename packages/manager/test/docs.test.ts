/**
 * Every ```ts block of the root README, docs/guide.md and this package's README runs, each in a fresh
 * working directory, and what each console.log line prints is compared with its `// value` comment
 * (doc-comments.ts: `…` is a wildcard, prose comments are not checked).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { checkedLines, instrument, mismatch, statedValues } from './doc-comments.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const repo = path.resolve(pkg, '../..');
const docs = [path.join(repo, 'README.md'), path.join(repo, 'docs/guide.md'), path.join(pkg, 'README.md')];

/** Records the arguments of the instrumented console.log lines of the block running now. */
const RECORDER = '__ffdbDocLog';
type Recorded = Map<number, unknown[][]>;
const recorderHost = globalThis as unknown as Record<string, (line: number, ...args: unknown[]) => void>;

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

describe('value comments', () => {
  it('are read as values, prose is left alone', () => {
    expect(statedValues('true; idempotent; false (not a throw) when the path is unusable')).toEqual(['true']);
    expect(statedValues("['alice', 'bob'], sorted; { limit, offset } page it")).toEqual(["['alice', 'bob']"]);
    expect(statedValues("'streaming', the text so far")).toEqual(["'streaming'"]);
    expect(statedValues('false: exists')).toEqual(['false']);
    expect(statedValues('chat_session_20300101_000000_…')).toEqual(['chat_session_20300101_000000_…']);
    expect(statedValues('oldest first')).toEqual([]);
    expect(statedValues('4 messages')).toEqual([]);
  });

  it('compare with what was printed', () => {
    expect(mismatch(["'./chat-data'"], ['./chat-data'])).toBeNull();
    expect(mismatch(['[2, 3]'], [[2, 3]])).toBeNull();
    expect(mismatch(['{ users: 1, durationMs: … }'], [{ users: 1, durationMs: 12 }])).toBeNull();
    expect(mismatch(['chat_session_2030…'], ['chat_session_20300101_000000_123456'])).toBeNull();
    expect(mismatch(['[2, 3]'], [[2, 4]])).toMatch(/printed \[2, 4\]/);
    expect(mismatch(["'./chat-data'"], ['./other'])).not.toBeNull();
    expect(mismatch(['4'], [44])).not.toBeNull();
    expect(mismatch(['true', 'false'], [true])).toMatch(/2 values/);
  });
});

it.each(docs)(
  'every ts block of %s runs and prints what its comments say',
  async (doc) => {
    const blocks = tsBlocks(fs.readFileSync(doc, 'utf8'));
    expect(blocks.length).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(here, '.docs-'));
    const cwd = process.cwd();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      for (const [i, code] of blocks.entries()) {
        const checked = checkedLines(code);
        const recorded: Recorded = new Map();
        recorderHost[RECORDER] = (line, ...args) => {
          recorded.set(line, [...(recorded.get(line) ?? []), args]);
          console.log(...args);
        };
        const file = path.join(dir, `snippet-${i}.ts`);
        // Snippets import the published names; point them at the workspace sources.
        const source = instrument(code, checked, `globalThis.${RECORDER}`)
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
          delete recorderHost[RECORDER];
        }
        for (const { line, text, values } of checked) {
          const where = `${path.basename(doc)} block ${i}, line ${line + 1}: ${text.trim()}`;
          const calls = recorded.get(line) ?? [];
          expect(calls.length, `${where} never printed`).toBeGreaterThan(0);
          for (const args of calls) expect(mismatch(values, args), where).toBeNull();
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

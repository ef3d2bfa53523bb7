import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { BrotliCompressor, CborCodec, Lz4Compressor } from '@ffdb/compression';
import { expect, it, vi } from 'vitest';
import { createFsStorage } from '../src/index.js';

const readme = fs.readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md'),
  'utf8',
);
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<unknown>;

/** What a README block may import: the blocks are plain JS apart from their imports, provided here. */
const provided: Record<string, unknown> = {
  fs,
  os,
  path,
  createFsStorage,
  BrotliCompressor,
  CborCodec,
  Lz4Compressor,
};

/** Names a block imports (`import x from`, `import { a, b } from`). */
function importedNames(code: string): string[] {
  return [...code.matchAll(/^import\s+(.*?)\s+from\s+['"][^'"]+['"];?$/gm)].flatMap((m) => {
    const clause = (m[1] as string).trim();
    const braces = /^\{(.*)\}$/.exec(clause);
    return braces
      ? (braces[1] as string)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [clause];
  });
}

/** Runs a README block with its imports provided, in a fresh working directory. */
async function run(code: string): Promise<void> {
  const names = importedNames(code);
  const missing = names.filter((n) => !(n in provided));
  if (missing.length)
    throw new Error(`the test does not provide ${missing.join(', ')}: add it to \`provided\``);
  const body = code.replace(/^import .*$/gm, '');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-readme-cwd-'));
  const cwd = process.cwd();
  process.chdir(work);
  try {
    await new AsyncFunction(...names, body)(...names.map((n) => provided[n]));
  } finally {
    process.chdir(cwd);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** `// -> 0 'Hi!' 2` comments: what the block's console.log calls print, in order (args as JS literals). */
function expectedOutputs(code: string): string[] {
  return [...code.matchAll(/\/\/ -> (.*)$/gm)].map((m) => (m[1] as string).trim());
}

it('README has ts blocks', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

it.each(blocks.map((code, i) => [i + 1, code] as const))(
  'README ts block %i runs and prints what its // -> comments say',
  async (_n, code) => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => inspect(a)).join(' '));
    });
    try {
      await run(code);
    } finally {
      log.mockRestore();
    }
    const expected = expectedOutputs(code);
    if (expected.length) expect(printed).toEqual(expected);
  },
);

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Runs a README snippet with its imports provided (the snippets are plain JS apart from imports). */
async function run(code: string): Promise<void> {
  const body = code.replace(/^import .*$/gm, '');
  await new AsyncFunction(
    'fs',
    'os',
    'path',
    'createFsStorage',
    'BrotliCompressor',
    'CborCodec',
    'Lz4Compressor',
    body,
  )(fs, os, path, createFsStorage, BrotliCompressor, CborCodec, Lz4Compressor);
}

it('README usage example runs and prints what it says', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await run(blocks[0] as string);
    expect(log).toHaveBeenCalledWith(0, 'Hi! How can I help?', 2);
  } finally {
    log.mockRestore();
  }
});

it('README compression example constructs a valid backend', async () => {
  await run(`${blocks[1] as string}\nif (compressed.id !== 'storage-fs') throw new Error('bad');`);
});

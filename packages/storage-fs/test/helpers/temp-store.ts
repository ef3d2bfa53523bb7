import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsStorageBackend, type FsStorageOptionsInput } from '../../src/index.js';

/** A fresh temp directory (removed by the returned cleanup). */
export function tempDir(prefix = 'ffdb-fs-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function openStore(
  basePath: string,
  options: Partial<FsStorageOptionsInput> = {},
): Promise<FsStorageBackend> {
  const store = new FsStorageBackend({ basePath, checkpointIdleMs: 0, ...options });
  await store.open();
  return store;
}

export const enc = new TextEncoder();
export const dec = new TextDecoder();

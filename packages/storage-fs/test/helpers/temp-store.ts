import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
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

/**
 * Temp directories and stores for one test file, closed and removed after each test (newest first).
 * Call once at the top level of the file.
 */
export function trackedStores() {
  let cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });
  const defer = (fn: () => Promise<void> | void) => {
    cleanups.push(fn);
  };
  return {
    defer,
    temp(): string {
      const t = tempDir();
      defer(t.cleanup);
      return t.dir;
    },
    async open(dir: string, options: Partial<FsStorageOptionsInput> = {}): Promise<FsStorageBackend> {
      const s = await openStore(dir, options);
      defer(() => s.close());
      return s;
    },
  };
}

/** A real storage-fs store in a temp dir for index tests, and a way to hold a writer at its manifest write. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StorageBackend } from '@ffdb/core-types';
import { createFsStorage } from '@ffdb/storage-fs';
import { afterEach } from 'vitest';

/** Call at the top of a describe block: `open()` gives a fresh store, closed and removed after each test. */
export function tempFsStorage(prefix: string): () => Promise<StorageBackend> {
  let dir = '';
  let storage: StorageBackend | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    storage = createFsStorage({ basePath: dir, durability: 'none' });
    await storage.open();
    return storage;
  };
}

/**
 * `storage` seen through a proxy whose next manifest write (or next write of a key ending in `suffix`),
 * once `hold()` was called, waits until `release()`: the interleaving of two writers' checkpoints is
 * forced, not left to timing. `hold()` resolves when a writer has reached that write.
 */
export function manifestGate(
  storage: StorageBackend,
  suffix = '/manifest.json',
): {
  storage: StorageBackend;
  hold(): Promise<void>;
  release(): void;
} {
  return callGate(storage, 'write', (key) => key.endsWith(suffix));
}

/**
 * `storage` seen through a proxy whose next call of `method` with a first argument (a key) that `match`
 * accepts, once `hold()` was called, waits until `release()`; `hold()` resolves when a caller has reached
 * that call. `release()` also disarms a hold nobody reached (the code under test may not make that call).
 */
export function callGate(
  storage: StorageBackend,
  method: 'read' | 'write' | 'append' | 'withLock',
  match: (key: string) => boolean,
): {
  storage: StorageBackend;
  hold(): Promise<void>;
  release(): void;
} {
  let armed = false;
  let reached: () => void = () => {};
  let open: () => void = () => {};
  const gated = new Proxy(storage, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop !== method) return fn;
      return async (key: string, ...rest: unknown[]) => {
        if (armed && match(key)) {
          armed = false;
          const gate = new Promise<void>((r) => {
            open = r;
          });
          reached();
          await gate;
        }
        return fn(key, ...rest);
      };
    },
  });
  return {
    storage: gated,
    hold: () => {
      armed = true;
      return new Promise<void>((r) => {
        reached = r;
      });
    },
    release: () => {
      armed = false;
      open();
    },
  };
}

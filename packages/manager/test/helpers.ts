/**
 * Test helpers: a real temp directory per store, and the two backends every main suite runs against
 * (storage-fs on disk, and the in-memory reference adapter from @ffdb/conformance as an override).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorageBackend } from '@ffdb/conformance';
import { type FFConfigInput, FFStorageManager, type ManagerOptions, TOKENS } from '../src/index.js';

export function tempDir(prefix = 'ffdb-manager-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Small, fast defaults for tests: no fsync waits, no backups unless a test asks. */
export function testConfig(basePath: string, extra: FFConfigInput = {}): FFConfigInput {
  return {
    ...extra,
    storage: { basePath, durability: 'none', backupBeforeDelete: false, ...(extra.storage ?? {}) },
  } as FFConfigInput;
}

export interface BackendFactory {
  name: 'fs' | 'memory';
  /** A manager on a fresh store; `reopen()` gives a new manager on the same data. */
  create(extra?: FFConfigInput, options?: ManagerOptions): Promise<TestStore>;
}

export interface TestStore {
  manager: FFStorageManager;
  basePath: string;
  reopen(extra?: FFConfigInput): Promise<FFStorageManager>;
  cleanup(): Promise<void>;
}

export const fsBackend: BackendFactory = {
  name: 'fs',
  async create(extra = {}, options = {}) {
    const basePath = tempDir();
    const managers: FFStorageManager[] = [];
    const make = async (e: FFConfigInput) => {
      const m = new FFStorageManager(testConfig(basePath, e), options);
      managers.push(m);
      if (!(await m.initialize())) throw new Error('initialize failed');
      return m;
    };
    const manager = await make(extra);
    return {
      manager,
      basePath,
      reopen: (e = extra) => make(e),
      async cleanup() {
        for (const m of managers) await m.close();
        removeDir(basePath);
      },
    };
  },
};

export const memoryBackend: BackendFactory = {
  name: 'memory',
  async create(extra = {}, options = {}) {
    const basePath = tempDir();
    const backend = new MemoryStorageBackend();
    const managers: FFStorageManager[] = [];
    const make = async (e: FFConfigInput) => {
      const m = new FFStorageManager(testConfig(basePath, e), {
        ...options,
        overrides: { [TOKENS.StorageBackend]: backend, ...(options.overrides ?? {}) },
      });
      managers.push(m);
      if (!(await m.initialize())) throw new Error('initialize failed');
      return m;
    };
    const manager = await make(extra);
    return {
      manager,
      basePath,
      reopen: async (e = extra) => {
        // The memory adapter keeps data across close()/open() of the same instance.
        await backend.open();
        return make(e);
      },
      async cleanup() {
        for (const m of managers) await m.close();
        removeDir(basePath);
      },
    };
  },
};

export const BACKENDS: BackendFactory[] = [fsBackend, memoryBackend];

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

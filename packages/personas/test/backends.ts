import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorageBackend } from '@ffdb/conformance';
import type { StorageBackend } from '@ffdb/core-types';

/** A store that can be "restarted": `reopen` gives a new backend instance over the same data. */
export interface StoreCase {
  name: string;
  create(): Promise<{ storage: StorageBackend; reopen(): Promise<StorageBackend>; cleanup(): Promise<void> }>;
}

const memory: StoreCase = {
  name: 'memory',
  async create() {
    const storage = new MemoryStorageBackend({ lockTimeoutMs: 5000 });
    return {
      storage,
      // The memory store keeps its data across close/open of the same instance: services are new.
      reopen: async () => {
        await storage.close();
        await storage.open();
        return storage;
      },
      cleanup: () => storage.close(),
    };
  },
};

type FsModule = {
  FsStorageBackend: new (o: { basePath: string; durability?: 'none' | 'always' | 'batch' }) => StorageBackend;
};

// @ffdb/storage-fs is written in parallel; use it whenever it is importable.
const fsModule = (await import('@ffdb/storage-fs').catch(() => null)) as FsModule | null;

const filesystem: StoreCase | null = fsModule
  ? {
      name: 'storage-fs',
      async create() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-personas-'));
        const open = async () => {
          const s = new fsModule.FsStorageBackend({ basePath: dir, durability: 'none' });
          await s.open();
          return s;
        };
        let current = await open();
        return {
          storage: current,
          reopen: async () => {
            await current.close();
            current = await open();
            return current;
          },
          cleanup: async () => {
            await current.close();
            fs.rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    }
  : null;

export const STORE_CASES: StoreCase[] = filesystem ? [memory, filesystem] : [memory];
export const HAS_FS = filesystem !== null;

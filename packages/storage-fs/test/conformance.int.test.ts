import { runStorageBackendSuite } from '@ffdb/conformance';
import { FsStorageBackend } from '../src/index.js';
import { appendFromChild } from './helpers/child.js';
import { tempDir } from './helpers/temp-store.js';

const dirs = new Map<FsStorageBackend, string>();

runStorageBackendSuite(
  'storage-fs',
  async () => {
    const t = tempDir();
    const backend = new FsStorageBackend({ basePath: t.dir, checkpointIdleMs: 0 });
    await backend.open();
    dirs.set(backend, t.dir);
    return {
      backend,
      cleanup: async () => {
        await backend.close();
        t.cleanup();
      },
    };
  },
  {
    capabilities: new FsStorageBackend({ basePath: '/nonexistent' }).capabilities,
    reopen: async (b) => {
      const dir = dirs.get(b as FsStorageBackend) as string;
      await b.close();
      const again = new FsStorageBackend({ basePath: dir, checkpointIdleMs: 0 });
      await again.open();
      dirs.set(again, dir);
      return again;
    },
    appendFromOtherProcess: async (b, log, records) => {
      await appendFromChild(dirs.get(b as FsStorageBackend) as string, log, records);
    },
  },
);

// A small segment size exercises sealing, sparse-index reads and checkpoints inside the same suite.
runStorageBackendSuite(
  'storage-fs (tiny segments, durability none)',
  async () => {
    const t = tempDir();
    const backend = new FsStorageBackend({
      basePath: t.dir,
      segmentMaxBytes: 4096,
      blockBytes: 1024,
      walCheckpointBytes: 64 << 10,
      durability: 'none',
      checkpointIdleMs: 0,
    });
    await backend.open();
    return {
      backend,
      cleanup: async () => {
        await backend.close();
        t.cleanup();
      },
    };
  },
  { capabilities: { atomicBlobs: true, durableAppends: true, maintenance: true } },
);

import { MemoryStorageBackend, runStorageBackendSuite } from '../src/index.js';

// The same instance reopened keeps its data, so the persistence tests run against the reference too.
runStorageBackendSuite(
  'MemoryStorageBackend',
  async () => {
    const backend = new MemoryStorageBackend();
    await backend.open();
    return { backend, cleanup: () => backend.close() };
  },
  {
    capabilities: { atomicBlobs: true, persistent: true },
    reopen: async (backend) => {
      await backend.close();
      await backend.open();
      return backend;
    },
  },
);

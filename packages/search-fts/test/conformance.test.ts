import { createCompressor } from '@ffdb/compression';
import { MemoryStorageBackend, runSearchIndexSuite } from '@ffdb/conformance';
import { createLunrSearchIndex } from '../src/index.js';

// Small flush threshold so the suite runs across segments *and* the tail, not just the tail.
const make = (storage: MemoryStorageBackend) =>
  createLunrSearchIndex({
    storage,
    compressor: createCompressor({ algorithm: 'lz4' }),
    flushThreshold: 3,
    mergeFactor: 2,
    flushIntervalMs: 0,
  });

runSearchIndexSuite(
  'LunrSearchIndex (memory storage)',
  async () => {
    const storage = new MemoryStorageBackend();
    await storage.open();
    const index = make(storage);
    await index.open();
    return { index, cleanup: () => index.close() };
  },
  {
    capabilities: { persistent: true, prefix: true, fuzzy: true },
    reopen: async (old) => {
      const storage = (old as unknown as { options: { storage: MemoryStorageBackend } }).options.storage;
      await old.close();
      const index = make(storage);
      await index.open();
      return index;
    },
  },
);

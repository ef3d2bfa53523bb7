/**
 * Child process of vectors-recovery.int.test.ts. Env: FFDB_BASE, FFDB_USER, FFDB_DIMENSION, FFDB_PAUSE.
 * Opens a manager whose embedder is hashed-ngram with FFDB_DIMENSION dimensions, prints `REBUILDING` and
 * rebuilds the user's vector index in that space; the parent kills it (SIGKILL). With FFDB_PAUSE set, the
 * embedder stops for good (printing `PAUSED`) when asked to embed the user's messages, which a rebuild
 * does after it has journalled the chunks, removed the old index and stored the chunks again: a crash at
 * that moment, every time.
 */
import type { Embedder } from '@ffdb/core-types';
import { createHashedNgramEmbedder } from '@ffdb/vector-faiss';
import { FFStorageManager, TOKENS } from '../src/index.js';

const env = process.env;
const real = createHashedNgramEmbedder({ dimension: Number(env.FFDB_DIMENSION) });
const embedder: Embedder = {
  id: real.id,
  capabilities: real.capabilities,
  space: real.space,
  async embed(texts) {
    if (env.FFDB_PAUSE && texts.some((t) => t.startsWith('I saw'))) {
      process.stdout.write('PAUSED\n');
      await new Promise(() => {});
    }
    return real.embed(texts);
  },
};
const manager = await FFStorageManager.open({
  config: { storage: { basePath: env.FFDB_BASE!, durability: 'always', backupBeforeDelete: false } },
  features: { search: false, vectors: true, personas: false },
  overrides: { [TOKENS.Embedder]: embedder },
});
process.stdout.write('REBUILDING\n');
await manager.rebuildVectorIndex(env.FFDB_USER!);
process.stdout.write('REBUILT\n');
await manager.close();

import {
  BruteForceVectorIndex,
  HashingTestEmbedder,
  IdentityCompressor,
  JsonLinesCodec,
  MemorySearchIndex,
  runCodecSuite,
  runCompressorSuite,
  runEmbedderSuite,
  runSearchIndexSuite,
  runVectorIndexSuite,
} from '../src/index.js';

runCompressorSuite('IdentityCompressor', () => new IdentityCompressor(), { shrinksCompressible: false });
runCodecSuite('JsonLinesCodec', () => new JsonLinesCodec());
runSearchIndexSuite('MemorySearchIndex', async () => {
  const index = new MemorySearchIndex();
  await index.open();
  return { index, cleanup: () => index.close() };
});
runVectorIndexSuite('BruteForceVectorIndex', async () => {
  const index = new BruteForceVectorIndex();
  await index.open();
  return { index, cleanup: () => index.close() };
});
runEmbedderSuite('HashingTestEmbedder', () => new HashingTestEmbedder());
runEmbedderSuite('HashingTestEmbedder (dimension 384)', () => new HashingTestEmbedder({ dimension: 384 }));

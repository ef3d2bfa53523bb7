/**
 * @ffdb/vector-faiss — VectorIndex on faiss (flat / IVF / HNSW), embedders (offline hashed n-grams,
 * OpenAI-compatible HTTP), chunking and the document text extraction used by the manager's vector feature.
 */
export { FaissVectorIndex, createFaissVectorIndex } from './index/faiss-vector-index.js';
export {
  FaissVectorIndexOptionsSchema,
  INDEX_TYPES,
  type FaissVectorIndexOptions,
  type IndexKind,
  type IndexType,
  type ResolvedFaissVectorIndexOptions,
} from './index/options.js';
export { VECTOR_INDEX_FORMAT_VERSION } from './index/index-persistence.js';
export { chooseNlist } from './index/index-builder.js';
export { loadFaiss, type FaissIndex, type FaissModule } from './index/faiss-binding.js';
export { dot, norm } from './index/vector-math.js';
export {
  HashedNgramEmbedder,
  HashedNgramEmbedderOptionsSchema,
  HASHED_NGRAM_PROVIDER,
  createHashedNgramEmbedder,
  tokenize,
  type HashedNgramEmbedderOptions,
} from './embedders/hashed-ngram-embedder.js';
export {
  OpenAICompatibleEmbedder,
  OpenAICompatibleEmbedderOptionsSchema,
  KNOWN_MODEL_DIMENSIONS,
  createOpenAICompatibleEmbedder,
  type OpenAICompatibleEmbedderOptions,
} from './embedders/openai-compatible-embedder.js';
export {
  BUILT_IN_PROVIDERS,
  availableProviders,
  createEmbedder,
  type EmbedderConfig,
  type ProviderEntry,
} from './embedders/provider-registry.js';
export { chunkText, estimateChunks, normalizeWhitespace } from './chunking/chunk-text.js';
export { splitSentences, type SentenceSpan } from './chunking/sentence-splitter.js';
export {
  CHUNKING_STRATEGIES,
  type ConfiguredStrategies,
  DEFAULT_CHUNKING_STRATEGY,
  resolveStrategy,
  type StrategyKind,
  type StrategyParams,
} from './chunking/strategies.js';
export { extractText, EXTRACTABLE_EXTENSIONS, type ExtractedText } from './extract/extract-text.js';
export { csvToText, parseCsv } from './extract/csv-text.js';
export { decodeEntities, htmlToText } from './extract/html-text.js';

import { z } from 'zod';
import {
  bool,
  intRange,
  nonEmpty,
  nonNegInt,
  numRange,
  pathComponent,
  posInt,
  posNum,
  regexSource,
  str,
  strList,
  suffix,
  unit,
} from './fields.js';
import { relationalIssues } from './rules.js';
import { PERSONA_NAME_MAX_CHARS } from '../entities/persona.js';
import { SESSION_TITLE_MAX_CHARS } from '../entities/session.js';

/**
 * The whole ffdb configuration: every section and default of the reference (camelCased), plus
 * `compression`, `streaming` and the fields the storage, search and vector engines need.
 * Every field has a default, so `FFConfigSchema.parse({})` is the default configuration.
 * Objects are strict (unknown keys are rejected and named); the inner objects of data maps
 * (providers, strategies, panel types, …) are loose because their shape is open-ended.
 */

const MiB = 1024 * 1024;

/** Prefixes of generated session ids must fit `<prefix>_<YYYYMMDD>_<HHMMSS>_<6 digits>`. */
const idPrefix = z
  .string()
  .regex(/^[a-z][a-z_]*$/, { message: 'must be lower-case letters and underscores' });

export const DEFAULT_SESSION_TYPES = {
  chat: 'chat_session',
  panel: 'panel_session',
  debate: 'debate_session',
  problem_solving: 'problem_solving_session',
} as const;

// ---------------------------------------------------------------------------------------------- storage

export const StorageConfigSchema = z
  .strictObject({
    basePath: nonEmpty('./data'),
    userDataDirectory: pathComponent('users'),
    sessionDataDirectory: pathComponent('sessions'),
    systemConfigDirectory: pathComponent('system'),
    sessionIdPrefix: idPrefix.default('chat_session'),
    sessionTimestampFormat: nonEmpty('%Y%m%d_%H%M%S'),
    sessionTypes: z.record(z.string().min(1), idPrefix).default(() => ({ ...DEFAULT_SESSION_TYPES })),
    profileFilename: pathComponent('profile.json'),
    sessionMetadataFilename: pathComponent('session.json'),
    messagesFilename: pathComponent('messages.jsonl'),
    maxMessageSizeBytes: posInt(MiB),
    maxDocumentSizeBytes: posInt(100 * MiB),
    maxMessagesPerSession: posInt(100_000),
    maxSessionsPerUser: posInt(1_000),
    atomicWriteTempSuffix: suffix('.tmp'),
    backupBeforeDelete: bool(true),
    autoCleanupEmptyDirectories: bool(true),
    validateJsonOnRead: bool(true),
    createParentDirectories: bool(true),
    jsonlReadBufferSize: posInt(8192),
    fileOperationMaxRetries: posInt(3),
    fileOperationRetryDelayMs: posInt(10),
    messageIdLength: intRange(12, 8, 32),
    tempFileSuffixLength: intRange(8, 4, 32),
    // Storage engine (not in the reference).
    /** When an append is acknowledged: after fsync of each write, of a short batch, or never fsynced. */
    durability: z.enum(['always', 'batch', 'none']).default('always'),
    /** Group-commit window for `durability: 'batch'`. */
    batchDelayMs: intRange(5, 0, 10_000),
    /** Open file handles the engine keeps cached. */
    maxOpenFiles: intRange(256, 8, 65_536),
    /** Size at which the write-ahead log is checkpointed. */
    walMaxBytes: intRange(64 * MiB, 64 * 1024, 1024 * MiB),
    /** Records per log segment before a new segment starts. */
    segmentMaxRecords: intRange(10_000, 1, 2 ** 30),
  })
  .prefault({});

// ----------------------------------------------------------------------------------------------- search

export const SearchConfigSchema = z
  .strictObject({
    includeMessageContent: bool(true),
    includeContext: bool(true),
    includeMetadata: bool(false),
    caseSensitive: bool(false),
    useRegex: bool(false),
    minWordLength: posInt(3),
    defaultLimit: posInt(20),
    maxResultsPerSession: posInt(100),
    maxTotalResults: posInt(1000),
    defaultPageSize: posInt(20),
    maxPageSize: posInt(100),
    minRelevanceScore: unit(0),
    relevanceBoostExactMatch: numRange(2.0, 1, 100),
    relevanceBoostTitleMatch: posNum(1.5),
    relevanceDecayFactor: unit(0.95),
    enableSearchCache: bool(true),
    cacheTtlSeconds: nonNegInt(300),
    maxCacheEntries: nonNegInt(1000),
    parallelSearchThreshold: posInt(10),
    extractUrls: bool(true),
    extractEmails: bool(true),
    extractMentions: bool(true),
    extractHashtags: bool(true),
    extractCodeBlocks: bool(true),
    // Full-text engine (not in the reference).
    /** Users whose index stays loaded (LRU). */
    cacheMaxUsers: posInt(64),
    /** Index segments kept deserialised in memory (LRU). */
    segmentCacheSize: posInt(128),
    /** Documents in the in-memory tail before it is flushed to an immutable segment. */
    flushThreshold: intRange(1000, 1, 1_000_000),
  })
  .prefault({});

// ----------------------------------------------------------------------------------------------- vector

export const EmbeddingProviderSchema = z.looseObject({
  modelName: z.string().min(1, { message: 'cannot be empty' }),
  embeddingDimension: z.number().int().positive(),
  requiresApiKey: z.boolean().default(false),
  apiUrl: z.string().url().optional(),
  normalizeVectors: z.boolean().default(true),
  maxTokens: z.number().int().positive().default(8192),
});
export type EmbeddingProviderConfig = z.infer<typeof EmbeddingProviderSchema>;

export const ChunkingStrategySchema = z.looseObject({
  /** The chunker kind of a strategy only the configuration defines (else inferred from its settings). */
  kind: z.enum(['fixed', 'sentence', 'optimize', 'semantic']).optional(),
  chunkSize: z.number().int().positive().optional(),
  chunkOverlap: z.number().int().nonnegative().optional(),
  sentencePerChunk: z.number().int().positive().optional(),
  sentenceOverlap: z.number().int().nonnegative().optional(),
  sentenceBuffer: z.number().int().nonnegative().optional(),
  maxTokensPerChunk: z.number().int().positive().optional(),
  minTokensPerChunk: z.number().int().nonnegative().optional(),
  preserveSentences: z.boolean().optional(),
  preserveWords: z.boolean().optional(),
  sentencesPerChunk: z.number().int().positive().optional(),
  overlapSentences: z.number().int().nonnegative().optional(),
  minChunkSize: z.number().int().nonnegative().optional(),
  maxChunkSize: z.number().int().positive().optional(),
  targetChunkSize: z.number().int().positive().optional(),
  similarityThreshold: z.number().min(0).max(1).optional(),
});
export type ChunkingStrategyConfig = z.infer<typeof ChunkingStrategySchema>;

export const DEFAULT_EMBEDDING_PROVIDERS = {
  'hashed-ngram': {
    modelName: 'hashed-ngram',
    embeddingDimension: 384,
    requiresApiKey: false,
    normalizeVectors: true,
    maxTokens: 8192,
  },
  'nomic-ai': {
    modelName: 'nomic-ai/nomic-embed-text-v1',
    embeddingDimension: 768,
    requiresApiKey: false,
    normalizeVectors: true,
    maxTokens: 8192,
  },
  openai: {
    modelName: 'text-embedding-ada-002',
    embeddingDimension: 1536,
    requiresApiKey: true,
    apiUrl: 'https://api.openai.com/v1/embeddings',
    normalizeVectors: true,
    maxTokens: 8191,
  },
  'sentence-transformers': {
    modelName: 'all-MiniLM-L6-v2',
    embeddingDimension: 384,
    requiresApiKey: false,
    normalizeVectors: true,
    maxTokens: 512,
  },
};

export const DEFAULT_CHUNKING_STRATEGIES = {
  optimized_summary: {
    chunkSize: 800,
    chunkOverlap: 100,
    sentencePerChunk: 5,
    sentenceOverlap: 1,
    sentenceBuffer: 2,
    maxTokensPerChunk: 800,
    minTokensPerChunk: 128,
    preserveSentences: true,
  },
  fixed_size: { chunkSize: 512, chunkOverlap: 64, preserveWords: true },
  sentence_based: { sentencesPerChunk: 3, overlapSentences: 1, minChunkSize: 50, maxChunkSize: 1000 },
  semantic: { targetChunkSize: 500, similarityThreshold: 0.8, minChunkSize: 100, maxChunkSize: 1000 },
};

/** An OpenAI-compatible `/embeddings` endpoint (used when the default provider needs one). */
export const EmbeddingEndpointSchema = z
  .strictObject({
    baseUrl: z.string().url().optional(),
    model: z.string().min(1).optional(),
    apiKey: z.string().min(1).optional(),
    timeoutMs: posInt(30_000),
    maxRetries: intRange(3, 0, 20),
    batchSize: posInt(64),
  })
  .prefault({});

export const VectorConfigSchema = z
  .strictObject({
    storageSubdirectory: pathComponent('vectors'),
    indexFilename: pathComponent('vector_index.jsonl'),
    embeddingsFilename: pathComponent('embeddings.npy'),
    metadataFilename: pathComponent('vector_metadata.json'),
    searchTopK: posInt(5),
    similarityThreshold: unit(0.7),
    hybridSearchWeight: unit(0.5),
    distanceMetric: z.enum(['cosine', 'euclidean', 'dot_product']).default('cosine'),
    batchSize: posInt(32),
    cacheEnabled: bool(true),
    cacheMaxSize: posInt(10_000),
    mmapMode: z.enum(['r', 'r+', 'w+', 'c']).default('r'),
    useGpu: bool(false),
    defaultEmbeddingProvider: nonEmpty('hashed-ngram'),
    embeddingProviders: z
      .record(z.string().min(1), EmbeddingProviderSchema)
      .default(() => structuredClone(DEFAULT_EMBEDDING_PROVIDERS)),
    defaultChunkingStrategy: nonEmpty('optimized_summary'),
    chunkingStrategies: z
      .record(z.string().min(1), ChunkingStrategySchema)
      .default(() => structuredClone(DEFAULT_CHUNKING_STRATEGIES)),
    spacyModelName: str('en_core_web_sm'),
    downloadSpacyModel: bool(true),
    indexType: z.enum(['flat', 'ivf', 'hnsw', 'auto']).default('flat'),
    indexRebuildThreshold: posInt(10_000),
    // Vector engine (not in the reference).
    /** IVF lists probed per query (256: recall@10 ≥ 0.95 on lexical embeddings; see docs/vectors.md). */
    nprobe: intRange(256, 1, 65_536),
    /** HNSW candidate list size per query (matches @ffdb/vector-faiss's default). */
    efSearch: intRange(128, 1, 4_096),
    /** Loaded indexes kept in memory (LRU). */
    cacheMaxIndexes: posInt(16),
    /** Embed every stored message for `searchSimilarMessages` / hybrid search. */
    embedMessages: bool(false),
    embedding: EmbeddingEndpointSchema,
  })
  .prefault({});

// --------------------------------------------------------------------------------------------- document

export const DEFAULT_ALLOWED_EXTENSIONS = [
  '.pdf',
  '.txt',
  '.md',
  '.json',
  '.csv',
  '.doc',
  '.docx',
  '.rtf',
  '.odt',
  '.png',
  '.jpg',
  '.jpeg',
  '.gif',
  '.webp',
  '.svg',
  // Not in the original's list: HTML is one of the formats the document pipeline extracts text from (issue 6).
  '.html',
  '.htm',
] as const;

export const DEFAULT_FILE_TYPE_STRATEGIES: Record<string, Record<string, unknown>> = {
  'text/plain': { encoding: 'utf-8', chunkSize: 4096, preserveLineBreaks: true },
  'application/pdf': {
    extractImages: true,
    extractTables: true,
    preserveLayout: false,
    passwordProtectedAction: 'skip',
  },
  'image/*': {
    resizeLargeImages: true,
    maxDimension: 2048,
    extractExif: true,
    generateThumbnail: true,
    thumbnailSize: [256, 256],
  },
  'text/csv': { parseHeaders: true, delimiter: ',', maxRowsPreview: 100 },
  'application/json': { prettyPrint: true, maxDepth: 10, validateSchema: false },
};

export const DocumentConfigSchema = z
  .strictObject({
    storageSubdirectory: pathComponent('documents'),
    analysisSubdirectory: pathComponent('analysis'),
    metadataFilename: pathComponent('metadata.json'),
    allowedExtensions: z
      .array(
        z
          .string()
          .regex(/^\.[A-Za-z0-9]+$/, { message: "must start with '.' followed by letters or digits" }),
      )
      .min(1, { message: 'cannot be empty' })
      .default(() => [...DEFAULT_ALLOWED_EXTENSIONS]),
    maxFileSizeBytes: posInt(100 * MiB),
    maxFilesPerSession: posInt(100),
    maxTotalFiles: posInt(10_000),
    extractMetadata: bool(true),
    extractTextFromImages: bool(true),
    ocrLanguage: nonEmpty('eng'),
    preserveFormatting: bool(true),
    enableContentAnalysis: bool(true),
    extractEntities: bool(true),
    extractKeywords: bool(true),
    extractSummary: bool(true),
    summaryMaxLength: posInt(500),
    keywordsMaxCount: posInt(10),
    fileTypeStrategies: z
      .record(z.string().min(1), z.record(z.string(), z.unknown()))
      .default(() => structuredClone(DEFAULT_FILE_TYPE_STRATEGIES)),
    indexFileContent: bool(true),
    indexMetadata: bool(true),
    fullTextIndexEnabled: bool(true),
    enableVersioning: bool(true),
    maxVersionsPerDocument: posInt(10),
    versionComparisonEnabled: bool(true),
    scanForMalware: bool(false),
    allowedMimeTypes: strList([
      'text/*',
      'application/pdf',
      'application/json',
      'application/xml',
      'image/*',
      'application/vnd.openxmlformats-officedocument.*',
    ]),
    parallelProcessingThreshold: posInt(5),
    processingTimeoutSeconds: posInt(300),
    cacheProcessedDocuments: bool(true),
    cacheTtlHours: posInt(24),
  })
  .prefault({});

// ---------------------------------------------------------------------------------------------- locking

export const LockingConfigSchema = z
  .strictObject({
    enabled: bool(true),
    strategy: z.enum(['file', 'database', 'redis']).default('file'),
    lockFileSuffix: suffix('.lock'),
    timeoutSeconds: numRange(30, 0.001, 3600),
    acquireTimeoutSeconds: posNum(30),
    holdTimeoutSeconds: posNum(300),
    retryEnabled: bool(true),
    retryStrategy: z.enum(['fixed', 'linear', 'exponential']).default('exponential'),
    retryInitialDelayMs: posInt(10),
    retryMaxDelaySeconds: posNum(1),
    retryMaxAttempts: posInt(100),
    retryMultiplier: posNum(2),
    deadlockDetectionEnabled: bool(true),
    deadlockTimeoutSeconds: posNum(60),
    lockOrderingEnforced: bool(true),
    supportSharedLocks: bool(true),
    upgradeLocksEnabled: bool(true),
    lockPoolSize: posInt(100),
    lockCacheEnabled: bool(true),
    lockMetricsEnabled: bool(true),
    autoCleanupStaleLocks: bool(true),
    staleLockThresholdSeconds: posInt(3600),
    cleanupIntervalSeconds: posInt(300),
    useFcntlOnUnix: bool(true),
    useMsvcrtOnWindows: bool(true),
    fallbackToPolling: bool(true),
  })
  .prefault({});

// ------------------------------------------------------------------------------------------------ panel

export const PanelTypeSchema = z.looseObject({
  minPersonas: z.number().int().positive(),
  maxPersonas: z.number().int().positive(),
  features: z.array(z.string()).default(() => []),
  description: z.string().default(''),
});
export type PanelTypeConfig = z.infer<typeof PanelTypeSchema>;

export const DefaultPersonaSchema = z.looseObject({
  name: z.string().min(1, { message: 'cannot be empty' }),
  description: z.string().default(''),
  traits: z.array(z.string()).default(() => []),
});
export type DefaultPersonaConfig = z.infer<typeof DefaultPersonaSchema>;

export const DEFAULT_PANEL_TYPES = {
  multi_persona: {
    minPersonas: 2,
    maxPersonas: 10,
    features: ['voting', 'threading', 'insights'],
    description: 'General discussion between several personas',
  },
  focus_group: {
    minPersonas: 3,
    maxPersonas: 8,
    features: ['voting', 'consensus', 'structured_feedback'],
    description: 'Structured feedback from a group of personas',
  },
  expert_panel: {
    minPersonas: 2,
    maxPersonas: 5,
    features: ['expertise_validation', 'citations', 'technical_depth'],
    description: 'Technical discussion between domain experts',
  },
  brainstorm: {
    minPersonas: 2,
    maxPersonas: 10,
    features: ['idea_tracking', 'building_on_ideas', 'divergent_thinking'],
    description: 'Idea generation building on each other',
  },
};

export const DEFAULT_PERSONAS = {
  analyst: {
    name: 'Analytical Thinker',
    description: 'Breaks problems down and reasons from data',
    traits: ['logical', 'data-driven', 'systematic'],
  },
  creative: {
    name: 'Creative Innovator',
    description: 'Proposes unconventional ideas',
    traits: ['creative', 'innovative', 'imaginative'],
  },
  pragmatist: {
    name: 'Practical Pragmatist',
    description: 'Focuses on what can be done now',
    traits: ['practical', 'realistic', 'solution-oriented'],
  },
};

export const PanelConfigSchema = z
  .strictObject({
    panelSessionsDirectory: pathComponent('panel_sessions'),
    globalPersonasDirectory: pathComponent('personas_global'),
    insightsSubdirectory: pathComponent('insights'),
    personasSubdirectory: pathComponent('personas'),
    panelMetadataFilename: pathComponent('panel.json'),
    panelIdPrefix: idPrefix.default('panel'),
    maxPersonasPerPanel: posInt(10),
    minPersonasPerPanel: posInt(2),
    maxMessagesPerPanel: posInt(10_000),
    maxPanelsPerUser: posInt(100),
    globalPersonaLimit: posInt(50),
    userPersonaLimit: posInt(20),
    allowCustomPersonas: bool(true),
    requirePersonaValidation: bool(true),
    insightGenerationEnabled: bool(true),
    insightRetentionDays: posInt(90),
    insightMinMessages: posInt(5),
    insightUpdateFrequency: z.enum(['on_demand', 'periodic', 'real_time']).default('on_demand'),
    messageThreadingEnabled: bool(true),
    maxThreadDepth: posInt(10),
    threadBranchingAllowed: bool(true),
    votingEnabled: bool(true),
    consensusTracking: bool(true),
    disagreementHighlighting: bool(true),
    panelTypes: z
      .record(z.string().min(1), PanelTypeSchema)
      .default(() => structuredClone(DEFAULT_PANEL_TYPES)),
    defaultPersonas: z
      .record(z.string().min(1), DefaultPersonaSchema)
      .default(() => structuredClone(DEFAULT_PERSONAS)),
    lazyLoadInsights: bool(true),
    cachePanelState: bool(true),
    panelStateCacheTtl: posInt(3600),
    maintainPersonaContext: bool(true),
    contextWindowMessages: posInt(50),
    contextSummaryEnabled: bool(true),
  })
  .prefault({});

// ---------------------------------------------------------------------------------------------- runtime

/** Entity patterns, keyed by the camelCase entity type `extractEntities` reports (API.md §6.8). */
export const DEFAULT_ENTITY_PATTERNS = {
  urls: String.raw`https?://[^\s]+`,
  emails: String.raw`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b`,
  codeBlocks: '```[\\s\\S]*?```',
  mentions: String.raw`@\w+`,
  hashtags: String.raw`#\w+`,
  numbers: String.raw`\b\d+\.?\d*\b`,
  phoneNumbers: String.raw`\b(?:\+?1[-.\s]?)?\(?\d{3}\)?[-.\s]?\d{3}[-.\s]?\d{4}\b`,
  ipAddresses: String.raw`\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b`,
  filePaths: String.raw`(?:[a-zA-Z]:)?[\\/](?:[^\\/\s]+[\\/])*[^\\/\s]+`,
  githubRepos: String.raw`(?:https?://)?github\.com/[\w-]+/[\w.-]+`,
  jiraTickets: String.raw`\b[A-Z]{2,}-\d+\b`,
  uuids: String.raw`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`,
};

export const RuntimeConfigSchema = z
  .strictObject({
    cacheSizeLimit: posInt(100),
    cacheTtlSeconds: posInt(300),
    fileRetryDelayMs: posInt(10),
    fileRetryMaxDelayMs: posInt(1000),
    fileRetryAttempts: intRange(3, 0, 100),
    fileRetryBackoffFactor: numRange(2, 1, 10),
    diskUsageWarningThreshold: numRange(90, 0, 100),
    diskUsageCriticalThreshold: numRange(95, 0, 100),
    defaultSearchLimit: posInt(100),
    // Not in the reference.
    /** Memory for the message ids the manager keeps (4 bytes a message): duplicate-id checks, getMessage. */
    messageIdCacheBytes: intRange(64 * MiB, 0, 2 ** 40),
    similarityThreshold: unit(0.7),
    vectorSearchTopK: posInt(10),
    hybridSearchVectorWeight: unit(0.5),
    compressionMinSizeBytes: nonNegInt(1024),
    compressionMinReductionPercent: numRange(10, 0, 100),
    compressionChunkSizeBytes: posInt(MiB),
    defaultLockTimeoutSeconds: posNum(30),
    vectorSearchDefaultLimit: posInt(100),
    documentProcessorMaxKeywords: posInt(10),
    documentProcessorMaxSummaryLength: posInt(500),
    storageDefaultSessionLimit: posInt(50),
    storageDefaultMessageLimit: posInt(100),
    largeSessionThresholdBytes: posInt(1_000_000),
    largeSessionWarningEnabled: bool(true),
    documentContentExtension: suffix('.txt'),
    contextFileExtension: suffix('.json'),
    personaFileExtension: suffix('.json'),
    insightFileExtension: suffix('.json'),
    pathComponentMinLength: posInt(2),
    userIdPathIndex: nonNegInt(1),
    enableLargeSessionWarnings: bool(true),
    enableEmptySessionNotifications: bool(true),
    // Length rules applied where things are created. Their upper bounds are the hard ones: API.md §1's
    // user id pattern (100), and the longest title, filename and persona name the entities store.
    minUserIdLength: intRange(1, 1, 100),
    maxUserIdLength: intRange(100, 1, 100),
    minSessionNameLength: intRange(1, 1, SESSION_TITLE_MAX_CHARS),
    maxSessionNameLength: intRange(200, 1, SESSION_TITLE_MAX_CHARS),
    minFilenameLength: intRange(1, 1, 255),
    // At least 10: a stored filename is `<8 hex>_<name>`.
    maxFilenameLength: intRange(255, 10, 255),
    minMessageContentLength: posInt(1),
    minDocumentContentLength: nonNegInt(0),
    maxPanelNameLength: posInt(100),
    maxPersonaNameLength: intRange(100, 1, PERSONA_NAME_MAX_CHARS),
    entityPatterns: z
      .record(z.string().min(1), regexSource)
      .refine((m) => Object.keys(m).length > 0, { message: 'cannot be empty' })
      .default(() => ({ ...DEFAULT_ENTITY_PATTERNS })),
    jsonlPageSize: posInt(1000),
    defaultEncoding: z.enum(['utf-8', 'utf8']).default('utf-8'),
    tempDirCleanupIntervalSeconds: posInt(3600),
    maxConcurrentOperations: posInt(10),
    // Not in the reference.
    /** Log threshold of the default logger; `silent` logs nothing. */
    logLevel: z.enum(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('silent'),
    /** Allow message/document contents in log lines (off: logs carry ids and sizes only). */
    logContent: bool(false),
  })
  .prefault({});

// ------------------------------------------------------------------------------------------ compression

export const CompressionConfigSchema = z
  .strictObject({
    enabled: bool(true),
    /** Codec for hot data (log segments, blobs). */
    algorithm: z.enum(['lz4', 'none']).default('lz4'),
    /** Codec for sealed segments older than `archiveAfterDays`. */
    archiveAlgorithm: z.enum(['brotli', 'none']).default('brotli'),
    archiveAfterDays: intRange(30, 1, 36_500),
    /** Payloads smaller than this are stored uncompressed. */
    minSizeBytes: nonNegInt(1024),
    /** Keep the compressed form only when it saves at least this share. */
    minReductionPercent: numRange(10, 0, 100),
    /** LZ4 (HC) level; 0 is the fast default mode. */
    level: intRange(0, 0, 12),
    brotliQuality: intRange(9, 0, 11),
    /** A log segment is sealed (and becomes compressible as a whole) at this size. */
    segmentMaxBytes: posInt(4 * MiB),
    chunkSizeBytes: posInt(MiB),
  })
  .prefault({});

// -------------------------------------------------------------------------------------------- streaming

export const StreamingConfigSchema = z
  .strictObject({
    enabled: bool(true),
    batchSize: posInt(100),
    bufferSize: posInt(8192),
    timeoutSeconds: posInt(300),
    maxConcurrentStreams: posInt(5),
  })
  .prefault({});

// ------------------------------------------------------------------------------------------------- all

export const CONFIG_SECTIONS = [
  'storage',
  'search',
  'vector',
  'document',
  'locking',
  'panel',
  'runtime',
  'compression',
  'streaming',
] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];

/** Section schemas without the cross-field rules (which live on FFConfigSchema). */
export const FFConfigObjectSchema = z.strictObject({
  /** The environment preset this configuration was built from (set by loadConfig). */
  environment: z.string().min(1).default('development'),
  storage: StorageConfigSchema,
  search: SearchConfigSchema,
  vector: VectorConfigSchema,
  document: DocumentConfigSchema,
  locking: LockingConfigSchema,
  panel: PanelConfigSchema,
  runtime: RuntimeConfigSchema,
  compression: CompressionConfigSchema,
  streaming: StreamingConfigSchema,
});

/**
 * The full schema. The relational rules (page size ≤ max page size, the cross-section "exceeds" rules, …)
 * run even when other fields failed, so one parse reports every problem.
 */
export const FFConfigSchema = FFConfigObjectSchema.superRefine(
  (value, ctx) => {
    for (const issue of relationalIssues(value)) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path.split('.') });
    }
  },
  { when: () => true },
);

export type FFConfig = z.infer<typeof FFConfigSchema>;
/** What a configuration input may look like: any subset, defaults fill the rest. */
export type FFConfigInput = z.input<typeof FFConfigSchema>;
export type StorageConfig = FFConfig['storage'];
export type SearchConfig = FFConfig['search'];
export type VectorConfig = FFConfig['vector'];
export type DocumentConfig = FFConfig['document'];
export type LockingConfig = FFConfig['locking'];
export type PanelConfig = FFConfig['panel'];
export type RuntimeConfig = FFConfig['runtime'];
export type CompressionConfig = FFConfig['compression'];
export type StreamingConfig = FFConfig['streaming'];
export type EmbeddingEndpointConfig = VectorConfig['embedding'];

export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly U[] | U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** The default configuration (development preset values are applied by loadConfig, not here). */
export const DEFAULT_CONFIG: FFConfig = deepFreeze(FFConfigSchema.parse({}));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

import { camelizeConfig } from './keys.js';
import { isPlainObject, mergeLayers } from './merge.js';
import { DEFAULT_ENVIRONMENT, isEnvironmentName, PRESETS } from './presets.js';
import { type DeepPartial, DEFAULT_CONFIG, type FFConfig } from './schema.js';
import { validateConfig } from './validate.js';

/** The reference's `get_summary()`: the handful of settings an operator wants to see at a glance. */
export interface ConfigSummary {
  environment: string;
  basePath: string;
  /** The reference's own summary fields, camelCased (its `get_summary()` returns exactly these eight). */
  lockingEnabled: boolean;
  vectorProvider: string;
  searchCacheEnabled: boolean;
  /** How many extensions `document.allowedExtensions` allows (the reference gives the count). */
  documentExtensions: number;
  /** `document.maxFileSizeBytes` in MiB, not rounded. */
  maxFileSizeMb: number;
  panelTypes: string[];
  valid: boolean;
  issueCount: number;
  sections: string[];
  limits: {
    maxMessageSizeBytes: number;
    maxDocumentSizeBytes: number;
    maxMessagesPerSession: number;
    maxSessionsPerUser: number;
    maxFileSizeBytes: number;
    maxPersonasPerPanel: number;
    maxMessagesPerPanel: number;
    maxTotalResults: number;
  };
  storage: { durability: string; maxOpenFiles: number; sessionTypes: string[] };
  search: { defaultLimit: number; defaultPageSize: number; maxPageSize: number };
  vector: {
    defaultEmbeddingProvider: string;
    embeddingDimension: number | undefined;
    defaultChunkingStrategy: string;
    indexType: string;
    distanceMetric: string;
    embeddingProviders: string[];
  };
  locking: { enabled: boolean; strategy: string; timeoutSeconds: number };
  compression: { enabled: boolean; algorithm: string; archiveAlgorithm: string; archiveAfterDays: number };
  streaming: { enabled: boolean; batchSize: number; maxConcurrentStreams: number };
  features: {
    searchCache: boolean;
    vectorCache: boolean;
    embedMessages: boolean;
    documentAnalysis: boolean;
    documentVersioning: boolean;
    panelInsights: boolean;
    compression: boolean;
    streaming: boolean;
    locking: boolean;
  };
  logLevel: string;
}

/**
 * A full configuration from a partial one: the defaults, the preset its `environment` names, then the
 * given fields, as loadConfig layers them. A section that is not an object keeps its defaults.
 */
function completed(input: unknown): FFConfig {
  const given = (isPlainObject(input) ? camelizeConfig(input, []) : {}) as Record<string, unknown>;
  // loadConfig's default environment when none is named.
  const environment = typeof given.environment === 'string' ? given.environment : DEFAULT_ENVIRONMENT;
  const preset = isEnvironmentName(environment) ? PRESETS[environment] : {};
  const merged = mergeLayers(DEFAULT_CONFIG, preset, given);
  for (const [section, defaults] of Object.entries(DEFAULT_CONFIG)) {
    if (isPlainObject(defaults) && !isPlainObject(merged[section])) merged[section] = defaults;
  }
  return merged as unknown as FFConfig;
}

/**
 * Also takes a partial configuration (either key style), completed with the defaults and its preset as
 * loadConfig would; its issues are counted, never thrown.
 */
export function configSummary(input: FFConfig | DeepPartial<FFConfig>): ConfigSummary {
  const issues = validateConfig(input);
  const config = completed(input);
  try {
    return summarize(config, issues.length);
  } catch {
    // A field of the wrong shape (an issue counted above): its section is summarised from the defaults.
    const fixed = { ...config } as unknown as Record<string, unknown>;
    for (const issue of issues) {
      const section = issue.path.split('.')[0] ?? '';
      if (Object.hasOwn(DEFAULT_CONFIG, section))
        fixed[section] = (DEFAULT_CONFIG as unknown as Record<string, unknown>)[section];
    }
    return summarize(fixed as unknown as FFConfig, issues.length);
  }
}

function summarize(config: FFConfig, issueCount: number): ConfigSummary {
  const provider = isPlainObject(config.vector.embeddingProviders)
    ? config.vector.embeddingProviders[config.vector.defaultEmbeddingProvider]
    : undefined;
  return {
    environment: config.environment,
    basePath: config.storage.basePath,
    lockingEnabled: config.locking.enabled,
    vectorProvider: config.vector.defaultEmbeddingProvider,
    searchCacheEnabled: config.search.enableSearchCache,
    documentExtensions: config.document.allowedExtensions.length,
    maxFileSizeMb: config.document.maxFileSizeBytes / 1_048_576,
    panelTypes: isPlainObject(config.panel.panelTypes) ? Object.keys(config.panel.panelTypes) : [],
    valid: issueCount === 0,
    issueCount,
    sections: [
      'storage',
      'search',
      'vector',
      'document',
      'locking',
      'panel',
      'runtime',
      'compression',
      'streaming',
    ],
    limits: {
      maxMessageSizeBytes: config.storage.maxMessageSizeBytes,
      maxDocumentSizeBytes: config.storage.maxDocumentSizeBytes,
      maxMessagesPerSession: config.storage.maxMessagesPerSession,
      maxSessionsPerUser: config.storage.maxSessionsPerUser,
      maxFileSizeBytes: config.document.maxFileSizeBytes,
      maxPersonasPerPanel: config.panel.maxPersonasPerPanel,
      maxMessagesPerPanel: config.panel.maxMessagesPerPanel,
      maxTotalResults: config.search.maxTotalResults,
    },
    storage: {
      durability: config.storage.durability,
      maxOpenFiles: config.storage.maxOpenFiles,
      sessionTypes: Object.keys(config.storage.sessionTypes),
    },
    search: {
      defaultLimit: config.search.defaultLimit,
      defaultPageSize: config.search.defaultPageSize,
      maxPageSize: config.search.maxPageSize,
    },
    vector: {
      defaultEmbeddingProvider: config.vector.defaultEmbeddingProvider,
      embeddingDimension: provider?.embeddingDimension,
      defaultChunkingStrategy: config.vector.defaultChunkingStrategy,
      indexType: config.vector.indexType,
      distanceMetric: config.vector.distanceMetric,
      embeddingProviders: Object.keys(config.vector.embeddingProviders),
    },
    locking: {
      enabled: config.locking.enabled,
      strategy: config.locking.strategy,
      timeoutSeconds: config.locking.timeoutSeconds,
    },
    compression: {
      enabled: config.compression.enabled,
      algorithm: config.compression.algorithm,
      archiveAlgorithm: config.compression.archiveAlgorithm,
      archiveAfterDays: config.compression.archiveAfterDays,
    },
    streaming: {
      enabled: config.streaming.enabled,
      batchSize: config.streaming.batchSize,
      maxConcurrentStreams: config.streaming.maxConcurrentStreams,
    },
    features: {
      searchCache: config.search.enableSearchCache,
      vectorCache: config.vector.cacheEnabled,
      embedMessages: config.vector.embedMessages,
      documentAnalysis: config.document.enableContentAnalysis,
      documentVersioning: config.document.enableVersioning,
      panelInsights: config.panel.insightGenerationEnabled,
      compression: config.compression.enabled && config.compression.algorithm !== 'none',
      streaming: config.streaming.enabled,
      locking: config.locking.enabled,
    },
    logLevel: config.runtime.logLevel,
  };
}

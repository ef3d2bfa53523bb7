/**
 * Maps provider names (the original's and ours) onto embedders:
 *   hashed-ngram                                   -> HashedNgramEmbedder (offline, the default)
 *   openai, openai-3-small, openai-3-large          -> OpenAI-compatible, api.openai.com unless a base URL is set; key required
 *   nomic-ai, sentence-transformers                 -> OpenAI-compatible against a configured local server
 *                                                      (Ollama, LM Studio, vLLM): needs vector.embedding.baseUrl
 *   any other name in vector.embeddingProviders with an apiUrl -> OpenAI-compatible
 * Unknown names and missing keys/URLs throw; nothing falls back to zero vectors.
 */
import { type Embedder, FFEmbeddingError, FFValidationError } from '@ffdb/core-types';
import { HASHED_NGRAM_PROVIDER, HashedNgramEmbedder } from './hashed-ngram-embedder.js';
import { OpenAICompatibleEmbedder } from './openai-compatible-embedder.js';

export interface ProviderEntry {
  modelName: string;
  embeddingDimension: number;
  requiresApiKey?: boolean;
  apiUrl?: string;
  [key: string]: unknown;
}

/** The slice of FFConfig.vector the registry reads (kept structural so tests can pass plain objects). */
export interface EmbedderConfig {
  defaultEmbeddingProvider?: string;
  embeddingProviders?: Record<string, ProviderEntry>;
  embedding?: {
    baseUrl?: string;
    model?: string;
    apiKey?: string;
    timeoutMs?: number;
    maxRetries?: number;
    batchSize?: number;
  };
}

interface BuiltIn {
  model: string;
  dimension: number;
  /** Default base URL; undefined = a local server must be configured. */
  baseUrl?: string;
  keyRequired: boolean;
  /** Model name on Ollama-style servers when the original name is a Hugging Face id. */
  serverModel?: string;
}

const OPENAI_URL = 'https://api.openai.com/v1';

export const BUILT_IN_PROVIDERS: Readonly<Record<string, BuiltIn>> = {
  openai: { model: 'text-embedding-ada-002', dimension: 1536, baseUrl: OPENAI_URL, keyRequired: true },
  'openai-3-small': {
    model: 'text-embedding-3-small',
    dimension: 1536,
    baseUrl: OPENAI_URL,
    keyRequired: true,
  },
  'openai-3-large': {
    model: 'text-embedding-3-large',
    dimension: 3072,
    baseUrl: OPENAI_URL,
    keyRequired: true,
  },
  'nomic-ai': {
    model: 'nomic-ai/nomic-embed-text-v1',
    dimension: 768,
    keyRequired: false,
    serverModel: 'nomic-embed-text',
  },
  'sentence-transformers': {
    model: 'all-MiniLM-L6-v2',
    dimension: 384,
    keyRequired: false,
    serverModel: 'all-minilm',
  },
};

export function availableProviders(config: EmbedderConfig = {}): string[] {
  return [
    ...new Set([
      HASHED_NGRAM_PROVIDER,
      ...Object.keys(BUILT_IN_PROVIDERS),
      ...Object.keys(config.embeddingProviders ?? {}),
    ]),
  ].sort();
}

/** Strips a trailing `/embeddings` so both `…/v1` and `…/v1/embeddings` (the reference's api_url) work. */
function baseOf(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/embeddings$/, '');
}

/**
 * Builds the embedder for `provider` (default: config.defaultEmbeddingProvider, else hashed-ngram).
 * `env` supplies OPENAI_API_KEY / CHATDB_EMBEDDING_API_KEY when the config has no key.
 */
export function createEmbedder(
  provider: string | undefined,
  config: EmbedderConfig = {},
  env: Record<string, string | undefined> = process.env,
  extra: { fetch?: typeof fetch } = {},
): Embedder {
  const name = provider ?? config.defaultEmbeddingProvider ?? HASHED_NGRAM_PROVIDER;
  if (typeof name !== 'string' || !name)
    throw new FFValidationError([{ path: 'embeddingProvider', message: 'must be a non-empty string' }]);
  const entry = config.embeddingProviders?.[name];
  const ep = config.embedding ?? {};
  if (name === HASHED_NGRAM_PROVIDER) {
    return new HashedNgramEmbedder({ dimension: entry?.embeddingDimension ?? 384 });
  }
  const builtIn = BUILT_IN_PROVIDERS[name];
  if (!builtIn && !entry) {
    throw new FFValidationError([
      {
        path: 'embeddingProvider',
        message: `unknown provider ${JSON.stringify(name)}; available: ${availableProviders(config).join(', ')}`,
      },
    ]);
  }
  const isDefault = name === (config.defaultEmbeddingProvider ?? HASHED_NGRAM_PROVIDER);
  const configuredBase = ep.baseUrl ?? (entry?.apiUrl ? baseOf(entry.apiUrl) : undefined);
  const baseUrl = configuredBase ?? builtIn?.baseUrl;
  if (!baseUrl) {
    throw new FFEmbeddingError(
      name,
      'needs an OpenAI-compatible server (Ollama, LM Studio, vLLM): set vector.embedding.baseUrl, e.g. http://localhost:11434/v1',
    );
  }
  const usingLocalServer = configuredBase !== undefined && configuredBase !== OPENAI_URL;
  let model = entry?.modelName ?? builtIn?.model ?? name;
  if (usingLocalServer && builtIn?.serverModel && model === builtIn.model) model = builtIn.serverModel;
  if (isDefault && ep.model) model = ep.model;
  const dimension = entry?.embeddingDimension ?? builtIn?.dimension;
  const keyRequired = (entry?.requiresApiKey ?? builtIn?.keyRequired ?? false) && !usingLocalServer;
  const apiKey =
    ep.apiKey ?? env.CHATDB_EMBEDDING_API_KEY ?? (baseUrl === OPENAI_URL ? env.OPENAI_API_KEY : undefined);
  if (keyRequired && !apiKey) {
    throw new FFEmbeddingError(
      name,
      'API key required: set vector.embedding.apiKey, CHATDB_EMBEDDING_API_KEY or OPENAI_API_KEY',
    );
  }
  return new OpenAICompatibleEmbedder({
    provider: name,
    baseUrl,
    model,
    ...(dimension ? { dimension } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(ep.timeoutMs ? { timeoutMs: ep.timeoutMs } : {}),
    ...(ep.maxRetries !== undefined ? { maxRetries: ep.maxRetries } : {}),
    ...(ep.batchSize ? { batchSize: ep.batchSize } : {}),
    ...(extra.fetch ? { fetch: extra.fetch } : {}),
  });
}

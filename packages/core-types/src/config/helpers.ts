import type {
  ChunkingStrategyConfig,
  DefaultPersonaConfig,
  EmbeddingProviderConfig,
  FFConfig,
  LockingConfig,
  PanelTypeConfig,
} from './schema.js';

/** Lookups of the reference's config DTOs (`get_session_prefix`, `get_retry_delay`, …), camelCased. */

/**
 * The session id prefix for a session type (`chat` -> `chat_session`). A prefix itself
 * (`panel_session`) is accepted too; unknown types fall back to `storage.sessionIdPrefix`.
 */
export function getSessionPrefix(config: FFConfig, type = 'chat'): string {
  const types = config.storage.sessionTypes;
  if (Object.hasOwn(types, type)) return types[type] as string;
  if (Object.values(types).includes(type)) return type;
  return config.storage.sessionIdPrefix;
}

/** The session type a session id belongs to (longest matching prefix; `chat` when none matches). */
export function detectSessionType(config: FFConfig, sessionId: string): string {
  let best: [string, string] | undefined;
  for (const [type, prefix] of Object.entries(config.storage.sessionTypes)) {
    if (sessionId.startsWith(`${prefix}_`) && (!best || prefix.length > best[1].length))
      best = [type, prefix];
  }
  return best?.[0] ?? 'chat';
}

export function getPanelTypeConfig(config: FFConfig, type: string): PanelTypeConfig | undefined {
  return Object.hasOwn(config.panel.panelTypes, type) ? config.panel.panelTypes[type] : undefined;
}

export function getDefaultPersona(config: FFConfig, personaId: string): DefaultPersonaConfig | undefined {
  return Object.hasOwn(config.panel.defaultPersonas, personaId)
    ? config.panel.defaultPersonas[personaId]
    : undefined;
}

/** The embedding provider's settings; the default provider when none is named. */
export function getEmbeddingConfig(config: FFConfig, provider?: string): EmbeddingProviderConfig | undefined {
  const name = provider ?? config.vector.defaultEmbeddingProvider;
  return Object.hasOwn(config.vector.embeddingProviders, name)
    ? config.vector.embeddingProviders[name]
    : undefined;
}

/** The chunking strategy's settings; the default strategy when none is named. */
export function getChunkingConfig(config: FFConfig, strategy?: string): ChunkingStrategyConfig | undefined {
  const name = strategy ?? config.vector.defaultChunkingStrategy;
  return Object.hasOwn(config.vector.chunkingStrategies, name)
    ? config.vector.chunkingStrategies[name]
    : undefined;
}

/**
 * Delay in **seconds** before retry number `attempt` (0-based), as the reference's
 * `get_retry_delay`: 0 when retry is disabled or attempts are exhausted; fixed = initial,
 * linear = initial·(attempt+1), exponential = initial·multiplier^attempt; capped at retryMaxDelaySeconds.
 */
export function getRetryDelay(config: FFConfig | LockingConfig, attempt: number): number {
  const locking = 'locking' in config ? config.locking : config;
  if (!locking.retryEnabled || attempt >= locking.retryMaxAttempts || attempt < 0) return 0;
  const initial = locking.retryInitialDelayMs / 1000;
  let delay: number;
  switch (locking.retryStrategy) {
    case 'fixed':
      delay = initial;
      break;
    case 'linear':
      delay = initial * (attempt + 1);
      break;
    default:
      delay = initial * locking.retryMultiplier ** attempt;
  }
  return Math.min(delay, locking.retryMaxDelaySeconds);
}

/** Per-MIME processing settings: exact match, then the `type/*` wildcard, else `{}`. */
export function getFileTypeConfig(config: FFConfig, mimeType: string): Record<string, unknown> {
  const strategies = config.document.fileTypeStrategies;
  if (Object.hasOwn(strategies, mimeType)) return strategies[mimeType] as Record<string, unknown>;
  const wildcard = `${mimeType.split('/')[0]}/*`;
  return Object.hasOwn(strategies, wildcard) ? (strategies[wildcard] as Record<string, unknown>) : {};
}

/**
 * Whether a file may be stored: the extension (leading dot optional, case-insensitive) must be in
 * `document.allowedExtensions`; when a MIME type is given it must match `document.allowedMimeTypes`,
 * where a trailing `*` (`text/*`, `application/vnd.openxmlformats-officedocument.*`) matches by prefix.
 */
export function isAllowedFile(config: FFConfig, extension: string, mimeType?: string): boolean {
  const ext = (extension.startsWith('.') ? extension : `.${extension}`).toLowerCase();
  if (!config.document.allowedExtensions.some((e) => e.toLowerCase() === ext)) return false;
  if (mimeType === undefined) return true;
  const mime = mimeType.toLowerCase();
  return config.document.allowedMimeTypes.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.endsWith('*') ? mime.startsWith(p.slice(0, -1)) : mime === p;
  });
}

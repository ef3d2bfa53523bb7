import type { DeepPartial, FFConfig } from './schema.js';

/**
 * Environment presets (API.md §6.4). Unlike the reference, presets are a layer below the file and the
 * environment variables (they never overwrite explicit settings), and each one is valid on its own.
 */
export const PRESETS = {
  development: {
    storage: { basePath: './data', validateJsonOnRead: true },
    locking: { deadlockDetectionEnabled: true },
    search: { enableSearchCache: false },
  },
  test: {
    storage: { basePath: './test_data', maxMessagesPerSession: 1000 },
    locking: { timeoutSeconds: 5 },
    search: { maxTotalResults: 100 },
    // The reference's test preset left this at 10 000, above maxMessagesPerSession: invalid on its own.
    panel: { maxMessagesPerPanel: 1000 },
  },
  production: {
    storage: { basePath: '/var/lib/ffdb/data', validateJsonOnRead: false, jsonlReadBufferSize: 16384 },
    locking: { retryMaxAttempts: 200 },
    search: { cacheTtlSeconds: 600 },
  },
} as const satisfies Record<string, DeepPartial<FFConfig>>;

export type EnvironmentName = keyof typeof PRESETS;
export const ENVIRONMENTS = Object.keys(PRESETS) as EnvironmentName[];
export const DEFAULT_ENVIRONMENT: EnvironmentName = 'development';

export function isEnvironmentName(name: string): name is EnvironmentName {
  return Object.hasOwn(PRESETS, name);
}

import type { ViteUserConfig } from 'vitest/config';

/**
 * Shared vitest settings. Tests resolve workspace packages to their TypeScript sources through the
 * `ffdb-source` export condition, so a package's tests never depend on another package's stale `dist`.
 */
export const sharedTestConfig: ViteUserConfig = {
  resolve: { conditions: ['ffdb-source'] },
  ssr: { resolve: { conditions: ['ffdb-source'], externalConditions: ['ffdb-source'] } },
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: [],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
};

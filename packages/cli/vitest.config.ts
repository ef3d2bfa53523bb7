import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.js';

// CLI tests run the BUILT binary as a subprocess: the global setup builds it (tsc -b builds its references).
export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, globalSetup: ['test/global-setup.ts'], testTimeout: 60_000 },
});

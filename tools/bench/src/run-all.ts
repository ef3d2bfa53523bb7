import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchRoot } from './harness.js';

/**
 * `pnpm bench`: runs every area's suite in its own Node process (so one area's heap and caches do not
 * colour the next), passing the command-line flags through. Areas whose entry is not built yet are skipped.
 */
const AREAS = ['storage', 'search', 'vector', 'manager'] as const;
let failed = 0;
for (const area of AREAS) {
  const entry = join(benchRoot(), 'dist', area, 'main.js');
  if (!existsSync(entry)) {
    process.stdout.write(`\n(${area}: no benchmark suite yet, skipped)\n`);
    continue;
  }
  const child = spawnSync(process.execPath, ['--expose-gc', entry, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;

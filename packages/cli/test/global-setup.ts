import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Builds packages/cli and everything it references, so the tests run the real dist/bin.js. */
export default function setup(): void {
  // FFDB_SKIP_BUILD=1 reuses the existing dist/ (while iterating on tests only).
  if (process.env.FFDB_SKIP_BUILD === '1') return;
  try {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/cli'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  } catch (e) {
    const out = (e as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`tsc -b packages/cli failed:\n${out.slice(0, 4000)}`);
  }
}

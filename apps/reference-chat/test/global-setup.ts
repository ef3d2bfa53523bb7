import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Builds the app (and what it references) so the test drives the real dist/main.js. */
export default function setup(): void {
  // FFDB_SKIP_BUILD=1 reuses the existing dist/ (while iterating on tests only).
  if (process.env.FFDB_SKIP_BUILD === '1') return;
  try {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-b', 'apps/reference-chat'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  } catch (e) {
    throw new Error(
      `tsc -b apps/reference-chat failed:\n${(e as { stdout?: Buffer }).stdout?.toString().slice(0, 4000)}`,
    );
  }
}

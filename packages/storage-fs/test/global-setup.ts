import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Child-process tests run the built package; build it (and its references) once per run. */
export default function setup(): void {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const tsc = path.resolve(pkg, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-b', pkg], { stdio: 'inherit', timeout: 180_000 });
}

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Child-process tests run the built packages (a plain `node` child cannot load TypeScript): build
 * this one and the storage and compression it runs on, with their references, once per run.
 */
export default function setup(): void {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const tsc = path.resolve(pkg, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const projects = [pkg, path.resolve(pkg, '..', 'storage-fs'), path.resolve(pkg, '..', 'compression')];
  execFileSync(process.execPath, [tsc, '-b', ...projects], { stdio: 'inherit', timeout: 180_000 });
}

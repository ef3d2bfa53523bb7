/** Spawns test/fixtures/child-writer.ts in a real second Node process (TypeScript sources via a loader). */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export function spawnChild(
  env: Record<string, string>,
): ChildProcess & { lines: string[]; waitFor(re: RegExp, timeoutMs?: number): Promise<string> } {
  const child = spawn(
    process.execPath,
    [
      '--conditions=ffdb-source',
      '--import',
      path.join(here, 'fixtures/ts-loader.mjs'),
      path.join(here, 'fixtures/child-writer.ts'),
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  ) as ChildProcess & { lines: string[]; waitFor(re: RegExp, timeoutMs?: number): Promise<string> };
  child.lines = [];
  let buf = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      child.lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.waitFor = (re, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const hit = child.lines.find((l) => re.test(l));
      if (hit) return resolve(hit);
      const timer = setTimeout(
        () => reject(new Error(`child did not print ${re} in time; stderr: ${err.slice(-2000)}`)),
        timeoutMs,
      );
      waiters.push({
        re,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      child.on('exit', (code) => {
        if (code !== 0 && code !== null) {
          clearTimeout(timer);
          reject(new Error(`child exited with ${code}: ${err.slice(-2000)}`));
        }
      });
    });
  return child;
}

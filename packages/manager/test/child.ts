/** Spawns test/fixtures/child-writer.ts in a real second Node process (TypeScript sources via a loader). */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Node arguments that run the workspace's TypeScript sources (the loader the search worker uses too). */
export const SOURCE_NODE_ARGS = [
  '--conditions=ffdb-source',
  '--import',
  path.join(here, '../scripts/ts-source-loader.mjs'),
];

/**
 * Runs a TypeScript script in a real child process until it prints a line matching `marker` (which must
 * end in `\n`), then kills it with SIGKILL; resolves to the match once the child is gone.
 */
export function runUntilThenKill(
  script: string,
  env: Record<string, string>,
  marker: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not report in time; stderr: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = marker.exec(out);
      if (!m) return;
      child.kill('SIGKILL');
      child.once('exit', (_code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') resolve(m);
        else reject(new Error(`child ended with ${signal}`));
      });
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before ${marker}; stderr: ${err.slice(-2000)}`));
      }
    });
  });
}

export function spawnChild(
  env: Record<string, string>,
): ChildProcess & { lines: string[]; waitFor(re: RegExp, timeoutMs?: number): Promise<string> } {
  const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, path.join(here, 'fixtures/child-writer.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { lines: string[]; waitFor(re: RegExp, timeoutMs?: number): Promise<string> };
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

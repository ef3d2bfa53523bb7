import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '@ffdb/core-types';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Child scripts import the built package (dist); test/global-setup.ts builds it first. */
export const CHILD_SCRIPT = path.join(here, '..', 'fixtures', 'child-worker.mjs');

/** Runs the worker in another process to append `records` to `log` and waits for it. */
export function appendFromChild(basePath: string, log: string, records: JsonObject[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CHILD_SCRIPT, 'append-once', basePath, log, JSON.stringify(records)],
      { timeout: 20_000 },
      (err, _stdout, stderr) =>
        err ? reject(new Error(`child failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

/** Starts the worker in another process; `options` are its store options (FFDB_CHILD_OPTIONS). */
export function spawnWorker(args: string[], options?: JsonObject) {
  const env = options ? { ...process.env, FFDB_CHILD_OPTIONS: JSON.stringify(options) } : process.env;
  return spawn(process.execPath, [CHILD_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** A child's exit code, and whether it still runs (for loops that work until it is done). */
export function watchExit(child: ChildProcess): {
  exited: Promise<number | null>;
  readonly running: boolean;
} {
  let running = true;
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  void exited.then(() => {
    running = false;
  });
  return {
    exited,
    get running() {
      return running;
    },
  };
}

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { DIR_MODE, createdChain, fsyncAsync, fsyncDir } from './atomic-file.js';
import type { SegmentStore } from './segments.js';

/** fsyncs a checkpoint keeps in flight at once on the thread pool. */
const SYNC_CONCURRENCY = 16;

/**
 * What one checkpoint wrote into segments: the segment files and the new directory entries that must
 * be durable before the WAL may forget the records. `close()` must run whatever happened.
 */
export class CheckpointWrites {
  private readonly fds: number[] = [];
  private readonly dirs = new Set<string>();

  constructor(private readonly segments: SegmentStore) {}

  /** Appends one log's records to its segments (`madeDirs`: its directories, made already by makeNewLogDirs). */
  append(dir: string, base: number, recs: readonly string[], madeDirs?: readonly string[]): void {
    const res = this.segments.append(dir, base, recs, madeDirs);
    if (res.fd !== undefined) this.fds.push(res.fd);
    if (res.created) this.dirs.add(dir);
    this.addMadeDirs(res.newDirs);
  }

  /** Directories made for a log (deepest first): their parents' new entries are synced too. */
  addMadeDirs(made: readonly string[]): void {
    for (const d of made) this.dirs.add(path.dirname(d));
  }

  /** Syncs every segment file written, then every directory that got a new entry. */
  async sync(): Promise<void> {
    await runLimited(
      this.fds.map((fd) => () => fsyncAsync(fd)),
      SYNC_CONCURRENCY,
    );
    await runLimited(
      [...this.dirs].map((d) => () => fsyncDir(d)),
      SYNC_CONCURRENCY,
    );
  }

  close(): void {
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
  }
}

/**
 * Creates the log directories `dirs` (logs never checkpointed before) all at once on the thread pool:
 * a new log costs a `mkdir` per missing level (~0.1 ms each on the development disk), which the
 * checkpoint's synchronous segment writes would otherwise spend on the event loop, between commits.
 * Returns, per log directory, the directories created (deepest first) for the segment append to
 * report for syncing. A failure is left to the synchronous path, which reports it with its key.
 */
export async function makeNewLogDirs(dirs: readonly string[]): Promise<Map<string, string[]>> {
  const made = new Map<string, string[]>();
  if (dirs.length === 0) return made;
  await Promise.all(
    dirs.map((dir) =>
      fsp.mkdir(dir, { recursive: true, mode: DIR_MODE }).then(
        (first) => {
          const chain = createdChain(dir, first);
          if (chain.length > 0) made.set(dir, chain);
        },
        () => undefined,
      ),
    ),
  );
  return made;
}

async function runLimited(tasks: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < tasks.length) {
      const t = tasks[i++] as () => Promise<unknown>;
      await t();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { FFLockTimeoutError } from '@ffdb/core-types';
import { osCode, toStorageError } from './io-errors.js';
// Lock waits run on real time so they keep working under an application's fake timers.
import { monotonicMs, realSetImmediate, realSetTimeout, wallClockMs } from './real-time.js';

const HOST = os.hostname();

interface LockOwner {
  pid: number;
  host: string;
  nonce: string;
  at: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return osCode(err) === 'EPERM';
  }
}

function encodeOwner(o: LockOwner): string {
  return `${o.pid}@${o.nonce}@${o.at}@${o.host}`;
}

function decodeOwner(text: string): LockOwner | undefined {
  const m = /^(\d+)@([^@]+)@(\d+)@(.*)$/.exec(text);
  return m ? { pid: Number(m[1]), nonce: m[2] as string, at: Number(m[3]), host: m[4] as string } : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => realSetTimeout(r, ms));

/**
 * A cross-process exclusive lock: a symlink whose target names the owner's pid, host and a
 * nonce (created atomically; EEXIST when held). A lock whose owner process is gone (same host), or which is older than `staleMs` and
 * unreadable or from another host, is stale: it is broken under a second O_EXCL "breaker" file
 * that re-checks the nonce, so two processes never both break and both take the same lock.
 */
export class FileLock {
  private nonce: string | undefined;

  constructor(
    readonly file: string,
    private readonly staleMs: number,
    private readonly label: string,
  ) {}

  get held(): boolean {
    return this.nonce !== undefined;
  }

  /** Tries once; true when acquired. */
  tryAcquire(): boolean {
    const nonce = randomBytes(8).toString('hex');
    const owner: LockOwner = { pid: process.pid, host: HOST, nonce, at: wallClockMs() };
    try {
      // A symlink is created atomically (EEXIST when taken) and, with a short target, carries the
      // owner record inside the inode: no data block, so taking and dropping it is cheap.
      fs.symlinkSync(encodeOwner(owner), this.file);
    } catch (err) {
      if (osCode(err) === 'EEXIST') {
        this.breakIfStale();
        return false;
      }
      throw toStorageError('lock', this.label, err);
    }
    this.nonce = nonce;
    return true;
  }

  /** Waits (with backoff) until acquired or `timeoutMs` passed. */
  async acquire(timeoutMs: number): Promise<void> {
    if (this.tryAcquire()) {
      // A "want" signal left by a waiter that died would make every holder hand over in vain;
      // live waiters simply signal again on their next poll.
      if (this.othersWaiting()) fs.rmSync(this.wantFile, { force: true });
      return;
    }
    const deadline = monotonicMs() + timeoutMs;
    let delay = 0.25;
    try {
      for (;;) {
        if (delay < 1) await new Promise<void>((r) => realSetImmediate(r));
        else await sleep(Math.min(delay, Math.max(0, deadline - monotonicMs())));
        if (this.tryAcquire()) return;
        if (monotonicMs() >= deadline) throw new FFLockTimeoutError(this.label, timeoutMs);
        // Tell a holder that keeps the lock between its commits to hand it over.
        this.signalWaiting();
        delay = Math.min(delay * 1.5, 5);
      }
    } finally {
      if (this.held) fs.rmSync(this.wantFile, { force: true });
    }
  }

  private get wantFile(): string {
    return `${this.file}.want`;
  }

  private signalWaiting(): void {
    try {
      fs.symlinkSync(String(process.pid), this.wantFile);
    } catch {
      // already signalled by someone
    }
  }

  /** True when another process waits for this lock. */
  othersWaiting(): boolean {
    // Called on every commit: no exception for the usual "nobody waits" (throwing costs ~10 µs).
    try {
      return fs.lstatSync(this.wantFile, { throwIfNoEntry: false }) !== undefined;
    } catch {
      return false;
    }
  }

  /** After releasing because others wait: give them up to 20 ms to take the lock before competing again. */
  async handOver(): Promise<void> {
    const until = monotonicMs() + 20;
    while (monotonicMs() < until && this.othersWaiting()) await sleep(1);
  }

  release(): void {
    if (this.nonce === undefined) return;
    this.nonce = undefined;
    try {
      fs.unlinkSync(this.file);
    } catch {
      // already broken or removed: nothing to release
    }
  }

  private readOwner(file: string): { owner: LockOwner | undefined; ageMs: number } | undefined {
    try {
      const st = fs.lstatSync(file);
      return { owner: decodeOwner(fs.readlinkSync(file)), ageMs: wallClockMs() - st.mtimeMs };
    } catch {
      return undefined;
    }
  }

  private isStale(info: { owner: LockOwner | undefined; ageMs: number }): boolean {
    const { owner, ageMs } = info;
    // The owner writes its record right after creating the file; an empty file for 2 s means it died in between.
    if (!owner || typeof owner.pid !== 'number') return ageMs > Math.min(2000, this.staleMs);
    if (owner.host === HOST) return !pidAlive(owner.pid);
    return ageMs > this.staleMs;
  }

  private breakIfStale(): void {
    const info = this.readOwner(this.file);
    if (!info || !this.isStale(info)) return;
    const breaker = `${this.file}.break`;
    try {
      fs.symlinkSync(
        encodeOwner({ pid: process.pid, host: HOST, nonce: 'breaker', at: wallClockMs() }),
        breaker,
      );
    } catch {
      const b = this.readOwner(breaker);
      if (b && b.ageMs > 2000) fs.rmSync(breaker, { force: true });
      return;
    }
    try {
      const again = this.readOwner(this.file);
      const sameOwner = again && (again.owner?.nonce ?? null) === (info.owner?.nonce ?? null);
      if (again && sameOwner && this.isStale(again)) fs.rmSync(this.file, { force: true });
    } finally {
      fs.rmSync(breaker, { force: true });
    }
  }
}

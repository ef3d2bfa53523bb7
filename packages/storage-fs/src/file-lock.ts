import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { FFLockTimeoutError } from '@ffdb/core-types';
import { osCode, toStorageError } from './io-errors.js';

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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A cross-process exclusive lock: a file created with O_EXCL holding the owner's pid, host and a
 * nonce. A lock whose owner process is gone (same host), or which is older than `staleMs` and
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
    let fd: number;
    try {
      fd = fs.openSync(this.file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
    } catch (err) {
      if (osCode(err) === 'EEXIST') {
        this.breakIfStale();
        return false;
      }
      throw toStorageError('lock', this.label, err);
    }
    try {
      const owner: LockOwner = { pid: process.pid, host: HOST, nonce, at: Date.now() };
      fs.writeSync(fd, JSON.stringify(owner));
    } finally {
      fs.closeSync(fd);
    }
    this.nonce = nonce;
    return true;
  }

  /** Waits (with backoff) until acquired or `timeoutMs` passed. */
  async acquire(timeoutMs: number): Promise<void> {
    if (this.tryAcquire()) return;
    const deadline = Date.now() + timeoutMs;
    let delay = 0.25;
    for (;;) {
      if (delay < 1) await new Promise<void>((r) => setImmediate(r));
      else await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      if (this.tryAcquire()) return;
      if (Date.now() >= deadline) throw new FFLockTimeoutError(this.label, timeoutMs);
      delay = Math.min(delay * 1.5, 25);
    }
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
      const st = fs.statSync(file);
      const text = fs.readFileSync(file, 'utf8');
      let owner: LockOwner | undefined;
      try {
        owner = JSON.parse(text) as LockOwner;
      } catch {
        owner = undefined;
      }
      return { owner, ageMs: Date.now() - st.mtimeMs };
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
    let fd: number;
    try {
      fd = fs.openSync(breaker, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
    } catch {
      const b = this.readOwner(breaker);
      if (b && b.ageMs > 2000) fs.rmSync(breaker, { force: true });
      return;
    }
    try {
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: HOST, nonce: 'breaker', at: Date.now() }));
      fs.closeSync(fd);
      const again = this.readOwner(this.file);
      const sameOwner = again && (again.owner?.nonce ?? null) === (info.owner?.nonce ?? null);
      if (again && sameOwner && this.isStale(again)) fs.rmSync(this.file, { force: true });
    } finally {
      fs.rmSync(breaker, { force: true });
    }
  }
}

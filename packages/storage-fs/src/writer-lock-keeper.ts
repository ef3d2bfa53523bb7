import type { FileLock } from './file-lock.js';
import { monotonicMs, realClearTimeout, realSetTimeout } from './real-time.js';

/** How long the lock is kept after a commit for the next one (a writer awaiting each append re-enters at once). */
const LOCK_LINGER_MS = 2;
/**
 * A holder keeps the writer lock across commits while nobody waits (waiters signal through the
 * lock's "want" file, checked at most once per WAIT_CHECK_MS); MAX_HOLD_MS only bounds a wait whose
 * signal got lost.
 */
const MAX_HOLD_MS = 1000;
const WAIT_CHECK_MS = 1;

/**
 * The store's cross-process writer lock, kept across commits. Taking it costs a symlink + unlink
 * (directory writes), so after a commit it lingers for a few milliseconds, never longer than
 * MAX_HOLD_MS in one stretch, and is handed over at once when another process has signalled that it
 * waits.
 */
export class WriterLockKeeper {
  private heldSince = 0;
  /** Set while a commit (or other exclusive work) uses the lock: the linger timer leaves it alone. */
  private busy = false;
  private lingerUntil = 0;
  /** Re-armed lazily from lingerUntil (a setTimeout/clearTimeout pair per commit costs µs). */
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Cached result of the "does another process wait for the lock" check (an lstat). */
  private waitCheckAt = 0;
  private waitSeen = false;

  constructor(readonly lock: FileLock) {}

  /** True when the lock is still ours from an earlier commit, not held too long, and nobody waits for it. */
  holdsForNextCommit(): boolean {
    return this.lock.held && monotonicMs() - this.heldSince <= MAX_HOLD_MS && !this.othersWaiting();
  }

  /**
   * Marks the lock in use and makes sure we hold it. Returns undefined when it is still ours (nobody
   * else can have written meanwhile); otherwise a promise that hands it over if another process
   * waits, takes it again and then calls `afterRetake` (to catch up with what others wrote).
   */
  take(timeoutMs: number, afterRetake: () => void): Promise<void> | undefined {
    this.busy = true;
    if (this.holdsForNextCommit()) return undefined;
    return this.retake(timeoutMs, afterRetake);
  }

  private async retake(timeoutMs: number, afterRetake: () => void): Promise<void> {
    const lock = this.lock;
    if (lock.held) {
      lock.release();
      this.waitCheckAt = 0;
      await lock.handOver();
    }
    if (!lock.held) {
      await lock.acquire(timeoutMs);
      this.heldSince = monotonicMs();
      afterRetake();
    }
  }

  /**
   * After the exclusive work: keep the lock for LOCK_LINGER_MS more, or release it at once when the
   * store is no longer open or another process waits.
   */
  linger(storeOpen: boolean): void {
    this.busy = false;
    const lock = this.lock;
    if (!lock.held) return;
    if (!storeOpen || this.othersWaiting()) {
      lock.release();
      this.waitCheckAt = 0;
      return;
    }
    this.lingerUntil = monotonicMs() + LOCK_LINGER_MS;
    if (this.lingerTimer) return; // armed already: it re-arms itself until lingerUntil
    const fire = () => {
      this.lingerTimer = undefined;
      if (this.busy || !lock.held) return; // in use again; its linger re-arms
      const left = this.lingerUntil - monotonicMs();
      if (left > 0) {
        this.lingerTimer = realSetTimeout(fire, left);
        this.lingerTimer.unref?.();
        return;
      }
      lock.release();
    };
    this.lingerTimer = realSetTimeout(fire, LOCK_LINGER_MS);
    this.lingerTimer.unref?.();
  }

  /** Stops lingering and releases the lock (close). */
  release(): void {
    if (this.lingerTimer) realClearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.lock.release();
  }

  /** lock.othersWaiting() (an lstat) at most once per WAIT_CHECK_MS: it was two syscalls per commit. */
  private othersWaiting(): boolean {
    const now = monotonicMs();
    if (now < this.waitCheckAt) return this.waitSeen;
    this.waitCheckAt = now + WAIT_CHECK_MS;
    this.waitSeen = this.lock.othersWaiting();
    return this.waitSeen;
  }
}

import { FFLockTimeoutError } from '@ffdb/core-types';

interface Waiter {
  grant: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * One async mutex per key. Waiters are served in FIFO order; a waiter that times out leaves the queue
 * and rejects with FFLockTimeoutError without disturbing the others. Not re-entrant: a holder that asks
 * for its own key again waits for itself and times out (documented in writing-a-backend.md).
 */
export class KeyedMutex {
  private readonly held = new Set<string>();
  private readonly queues = new Map<string, Waiter[]>();

  async run<T>(key: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    await this.acquire(key, timeoutMs);
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }

  private acquire(key: string, timeoutMs: number): Promise<void> {
    if (!this.held.has(key)) {
      this.held.add(key);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      this.queues.set(key, queue);
      const waiter: Waiter = {
        grant: () => {
          if (waiter.timer) clearTimeout(waiter.timer);
          resolve();
        },
        timer: undefined,
      };
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(
          () => {
            const i = queue.indexOf(waiter);
            if (i >= 0) queue.splice(i, 1);
            if (queue.length === 0 && this.queues.get(key) === queue) this.queues.delete(key);
            reject(new FFLockTimeoutError(key, timeoutMs));
          },
          Math.max(0, timeoutMs),
        );
      }
      queue.push(waiter);
    });
  }

  private release(key: string): void {
    const queue = this.queues.get(key);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.queues.delete(key);
    // Ownership passes straight to the next waiter, so nobody can slip in between.
    if (next) next.grant();
    else this.held.delete(key);
  }
}

import { FFLockTimeoutError } from '@ffdb/core-types';
import { realClearTimeout, realSetTimeout } from './real-time.js';

interface Waiter {
  grant: () => void;
}

/**
 * One FIFO async mutex per key, created on demand and dropped when idle, so memory does not
 * grow with the number of keys ever locked.
 */
export class KeyedMutex {
  private readonly queues = new Map<string, Waiter[]>();

  /** Resolves to a release function; rejects with FFLockTimeoutError after `timeoutMs`. */
  acquire(key: string, timeoutMs: number): Promise<() => void> {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = [];
      this.queues.set(key, queue);
    }
    const q = queue;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        grant: () => {
          if (timer) realClearTimeout(timer);
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.release(key, q, waiter);
          });
        },
      };
      q.push(waiter);
      if (q.length === 1) waiter.grant();
      else {
        timer = realSetTimeout(() => {
          const i = q.indexOf(waiter);
          if (i > 0) {
            q.splice(i, 1);
            reject(new FFLockTimeoutError(key, timeoutMs));
          }
        }, timeoutMs);
      }
    });
  }

  /**
   * Takes the mutex at once when nobody holds or waits for it (no promise, no closure per waiter on
   * the hot path of a lone writer); undefined otherwise, then use `acquire`.
   */
  tryAcquire(key: string): (() => void) | undefined {
    if (this.queues.has(key)) return undefined;
    const waiter: Waiter = { grant() {} };
    const q: Waiter[] = [waiter];
    this.queues.set(key, q);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(key, q, waiter);
    };
  }

  private release(key: string, q: Waiter[], waiter: Waiter): void {
    if (q[0] !== waiter) return;
    q.shift();
    const next = q[0];
    if (next) next.grant();
    else if (this.queues.get(key) === q) this.queues.delete(key);
  }

  /** Whether someone waits for `key` behind its holder. */
  waiting(key: string): boolean {
    return (this.queues.get(key)?.length ?? 0) > 1;
  }

  get size(): number {
    return this.queues.size;
  }
}

/**
 * Which facade calls are in flight, so background work of derived data (the search worker's segment and
 * manifest writes) can wait for a quiet moment instead of sharing the disk with a request's fsync.
 * Deferring is bounded (`maxWaitMs`): persistence of derived data is delayed, never dropped, and the
 * acknowledged data itself is durable before any of this (crash catch-up covers what is not persisted).
 */
import { setTimeout as delay } from 'node:timers';

export class ForegroundActivity {
  private active = 0;
  private lastEnd = 0;

  enter(): void {
    this.active++;
  }

  exit(): void {
    this.active--;
    this.lastEnd = performance.now();
  }

  /** True when no call is in flight and none ended in the last `quietMs`. */
  isQuiet(quietMs: number): boolean {
    return this.active === 0 && performance.now() - this.lastEnd >= quietMs;
  }

  /**
   * Resolves once the facade has been quiet for `quietMs`, `release()` says to go on, or `maxWaitMs`
   * passed — whichever comes first.
   */
  async whenQuiet(quietMs: number, maxWaitMs: number, release: () => boolean = () => false): Promise<void> {
    const start = performance.now();
    while (!this.isQuiet(quietMs) && !release() && performance.now() - start < maxWaitMs) {
      await new Promise<void>((resolve) => delay(resolve, quietMs).unref());
    }
  }
}

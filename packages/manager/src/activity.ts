/**
 * Which facade calls are in flight, so background work of derived data (the search worker's segment and
 * manifest writes) can wait for a quiet moment instead of sharing the disk with a request's fsync.
 * Deferring is bounded (`maxWaitMs`): persistence of derived data is delayed, never dropped, and the
 * acknowledged data itself is durable before any of this (crash catch-up covers what is not persisted).
 */
import { setTimeout as delay } from 'node:timers';

// Real time even under an application's fake timers (they replace `performance` and the timer
// globals; node:timers' exports and a function captured at load stay real): with a frozen clock the
// quiet period and the bound would never pass, and derived data would never be persisted.
const now = performance.now.bind(performance);

export class ForegroundActivity {
  private active = 0;
  private lastEnd = 0;

  enter(): void {
    this.active++;
  }

  exit(): void {
    this.active--;
    this.lastEnd = now();
  }

  /** True when no call is in flight and none ended in the last `quietMs`. */
  isQuiet(quietMs: number): boolean {
    return this.active === 0 && now() - this.lastEnd >= quietMs;
  }

  /**
   * Resolves once the facade has been quiet for `quietMs`, `release()` says to go on, or `maxWaitMs`
   * passed — whichever comes first.
   */
  async whenQuiet(quietMs: number, maxWaitMs: number, release: () => boolean = () => false): Promise<void> {
    const start = now();
    while (!this.isQuiet(quietMs) && !release() && now() - start < maxWaitMs) {
      await new Promise<void>((resolve) => delay(resolve, quietMs).unref());
    }
  }
}

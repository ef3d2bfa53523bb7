/**
 * Timings for the facade: every public async method of FFStorageManager is wrapped once so that a call
 * taking at least `slowOperationMs` (ManagerOptions, default 100 ms) is logged at debug level as
 * `{ op, ms }` — never arguments, so no content can leak into logs. It also counts the calls in flight
 * (`activity`), which background work of the features yields to.
 */
import type { Logger } from '@ffdb/core-types';
import type { ForegroundActivity } from './activity.js';

export const DEFAULT_SLOW_OPERATION_MS = 100;

interface Instrumented {
  readonly slowOperationMs: number;
  readonly log: Logger;
  /** Calls in flight (background work of features yields to them; see activity.ts). */
  readonly activity?: ForegroundActivity;
}

const SKIP = new Set(['constructor', 'initialize', 'close']);

export function instrumentAsyncMethods(proto: object): void {
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (SKIP.has(name)) continue;
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    const fn = desc?.value as ((...args: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function' || fn.constructor.name !== 'AsyncFunction') continue;
    const wrapped = async function (this: Instrumented, ...args: unknown[]) {
      const start = performance.now();
      this.activity?.enter();
      try {
        return await fn.apply(this, args);
      } finally {
        this.activity?.exit();
        const ms = performance.now() - start;
        if (ms >= this.slowOperationMs)
          this.log.debug({ op: name, ms: Math.round(ms * 10) / 10 }, 'slow operation');
      }
    };
    Object.defineProperty(wrapped, 'name', { value: name });
    Object.defineProperty(proto, name, { ...desc, value: wrapped });
  }
}

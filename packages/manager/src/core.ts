/**
 * What the manager's services share: the resolved adapters, the session index and the feature hooks.
 * One Core per FFStorageManager instance — two managers never share state.
 */
import type { Clock, FFConfig, Logger, StorageBackend } from '@ffdb/core-types';
import type { FeatureHooks } from './features/types.js';
import type { SessionIndex } from './services/session-index.js';
import { describeError } from './features/loader.js';

export interface Core {
  readonly config: FFConfig;
  readonly storage: StorageBackend;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly index: SessionIndex;
  /** Features loaded at initialize (installed optional packages). */
  readonly hooks: HookDispatcher;
  /** Current time as an ISO-8601 UTC string. */
  now(): string;
}

type HookName = Exclude<keyof FeatureHooks, 'open' | 'close' | 'stats' | 'verify' | 'compact'>;

/** Calls a change hook on every loaded feature; failures are logged and never fail the write. */
export class HookDispatcher {
  private readonly features: { name: string; feature: FeatureHooks }[] = [];

  constructor(private readonly logger: Logger) {}

  add(name: string, feature: FeatureHooks): void {
    this.features.push({ name, feature });
  }

  clear(): void {
    this.features.length = 0;
  }

  get size(): number {
    return this.features.length;
  }

  has(hook: HookName): boolean {
    return this.features.some((f) => typeof f.feature[hook] === 'function');
  }

  async emit<H extends HookName>(hook: H, ...args: Parameters<NonNullable<FeatureHooks[H]>>): Promise<void> {
    if (this.features.length === 0) return;
    await Promise.all(
      this.features.map(async ({ name, feature }) => {
        const fn = feature[hook] as ((...a: unknown[]) => Promise<void>) | undefined;
        if (typeof fn !== 'function') return;
        try {
          await fn.apply(feature, args);
        } catch (error) {
          this.logger.error({ feature: name, hook, err: describeError(error) }, 'feature hook failed');
        }
      }),
    );
  }
}

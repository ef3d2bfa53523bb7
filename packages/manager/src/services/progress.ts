/**
 * Progress and cancellation of long maintenance calls (exportData, importData, compact, verify).
 *
 * - `onProgress` is called after each unit of work (a user, a session, a batch of records) with
 *   `{ done, total, item? }` — the shape the CLI's progress bar and importFromPython use. A callback
 *   declared with two or more parameters, `(done, total) => …`, gets them positionally instead.
 * - `signal`: when it aborts, the call stops between units (never inside one), leaves the store
 *   consistent, and resolves with the partial report marked `aborted: true`. It never rejects for an abort.
 */
import { z } from 'zod';

export interface ProgressInfo {
  done: number;
  total: number;
  /** What was just finished (a user id, `user/session`, a log name). */
  item?: string;
}

export type ProgressCallback =
  | ((progress: ProgressInfo) => void)
  | ((done: number, total: number, item?: string) => void);

export interface LongRunningOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** zod fields for the two options (validated like every other option). */
export const longRunningFields = {
  onProgress: z
    .custom<ProgressCallback>((v) => typeof v === 'function', { message: 'must be a function' })
    .optional(),
  signal: z
    .custom<AbortSignal>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as AbortSignal).aborted === 'boolean' &&
        typeof (v as AbortSignal).addEventListener === 'function',
      { message: 'must be an AbortSignal' },
    )
    .optional(),
};

/** Counts units and reports them; `aborted` is checked between units. */
export class ProgressTracker {
  done = 0;
  total: number;

  constructor(
    private readonly opts: LongRunningOptions,
    total = 0,
  ) {
    this.total = total;
  }

  get aborted(): boolean {
    return this.opts.signal?.aborted === true;
  }

  /** Marks `n` units done and reports. */
  tick(item?: string, n = 1): void {
    this.done += n;
    if (this.done > this.total) this.total = this.done;
    this.report(item);
  }

  report(item?: string): void {
    const cb = this.opts.onProgress;
    if (!cb) return;
    if (cb.length >= 2)
      (cb as (done: number, total: number, item?: string) => void)(this.done, this.total, item);
    else
      (cb as (p: ProgressInfo) => void)(
        item === undefined
          ? { done: this.done, total: this.total }
          : { done: this.done, total: this.total, item },
      );
  }
}

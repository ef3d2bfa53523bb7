import type { Clock } from '@ffdb/core-types';

function toDate(value: Date | string | number): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid start time');
  return date;
}

/** Always the same instant (a fresh Date each call, so callers cannot move it). */
export class FixedClock implements Clock {
  private readonly ms: number;
  constructor(at: Date | string | number = '2025-01-01T00:00:00.000Z') {
    this.ms = toDate(at).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
}

/** Starts at `start` and moves forward `stepMs` on every call: strictly increasing timestamps. */
export class SteppingClock implements Clock {
  private ms: number;
  private readonly stepMs: number;
  constructor(start: Date | string | number = '2025-01-01T00:00:00.000Z', stepMs = 1000) {
    this.ms = toDate(start).getTime();
    this.stepMs = stepMs;
  }
  now(): Date {
    const current = new Date(this.ms);
    this.ms += this.stepMs;
    return current;
  }
  /** Jump forward without reading the time. */
  advance(ms: number): void {
    this.ms += ms;
  }
}

// The engine's own timing must keep running when an application's tests install fake timers
// (vi.useFakeTimers(), sinon): they replace the globals — setTimeout, setImmediate, Date,
// performance — unless the test advances them, a writer lock would never be let go, a lock wait
// never time out and an idle WAL never be checkpointed. node:timers' exports and functions captured
// when this module loads are the real ones. (A module first imported after the fake timers were
// installed captures the fakes; imports run before a test's body, so that is rare.)
import {
  clearTimeout as realClearTimeout,
  setImmediate as realSetImmediate,
  setTimeout as realSetTimeout,
} from 'node:timers';

const dateNow = Date.now;
const perf = performance;
const perfNow = perf.now.bind(perf);

/** Milliseconds on a monotonic clock, for intervals and deadlines (never goes back with the wall clock). */
export function monotonicMs(): number {
  return perfNow();
}

/** Wall-clock milliseconds since the epoch, for comparing with file times (lock ages, leftovers). */
export function wallClockMs(): number {
  return dateNow();
}

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => realSetImmediate(resolve));
}

export { realClearTimeout, realSetImmediate, realSetTimeout };

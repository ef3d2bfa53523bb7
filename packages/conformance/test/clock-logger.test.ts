import { describe, expect, it } from 'vitest';
import { FixedClock, MemoryLogger, SteppingClock } from '../src/index.js';

describe('clocks', () => {
  it('FixedClock always tells the same time and cannot be moved by callers', () => {
    const clock = new FixedClock('2025-06-01T12:00:00.000Z');
    const a = clock.now();
    a.setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe('2025-06-01T12:00:00.000Z');
  });

  it('SteppingClock moves forward on every read and on advance', () => {
    const clock = new SteppingClock('2025-06-01T12:00:00.000Z', 1500);
    expect(clock.now().toISOString()).toBe('2025-06-01T12:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2025-06-01T12:00:01.500Z');
    clock.advance(60_000);
    expect(clock.now().toISOString()).toBe('2025-06-01T12:01:03.000Z');
  });

  it('rejects an invalid start', () => {
    expect(() => new FixedClock('not a date')).toThrow(RangeError);
  });
});

describe('MemoryLogger', () => {
  it('captures entries with child bindings in one shared list', () => {
    const root = new MemoryLogger({ app: 'ffdb' });
    const child = root.child({ component: 'storage' });
    root.info('started');
    child.warn({ key: 'users/u1' }, 'slow write');
    child.child({ op: 'append' }).error({ code: 'FF_STORAGE' });
    expect(root.entries).toEqual([
      { level: 'info', fields: { app: 'ffdb' }, msg: 'started' },
      { level: 'warn', fields: { app: 'ffdb', component: 'storage', key: 'users/u1' }, msg: 'slow write' },
      {
        level: 'error',
        fields: { app: 'ffdb', component: 'storage', op: 'append', code: 'FF_STORAGE' },
        msg: undefined,
      },
    ]);
    expect(child.at('warn')).toHaveLength(1);
    root.clear();
    expect(child.entries).toEqual([]);
  });
});

describe('@ffdb/conformance/memory', () => {
  it('exports the reference adapters without the suites', async () => {
    const memory = await import('../src/memory/index.js');
    expect(typeof memory.MemoryStorageBackend).toBe('function');
    expect('runStorageBackendSuite' in memory).toBe(false);
  });
});

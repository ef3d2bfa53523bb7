import { describe, expect, it } from 'vitest';
import { KeyedGate } from '../src/keyed-gate.js';

/** A task that logs its start and end, and finishes when `release()` is called. */
function step(log: string[], name: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return {
    task: async () => {
      log.push(`${name}+`);
      await gate;
      log.push(`${name}-`);
      return name;
    },
    release: () => release(),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedGate', () => {
  it('runs shared tasks together and an exclusive one alone, in arrival order', async () => {
    const gate = new KeyedGate();
    const log: string[] = [];
    const a = step(log, 'a');
    const b = step(log, 'b');
    const x = step(log, 'x');
    const c = step(log, 'c');
    const pa = gate.shared('k', a.task);
    const pb = gate.shared('k', b.task);
    const px = gate.exclusive('k', x.task);
    const pc = gate.shared('k', c.task);
    await tick();
    expect(log).toEqual(['a+', 'b+']); // x waits for a and b; c waits for x
    a.release();
    await tick();
    expect(log).toEqual(['a+', 'b+', 'a-']);
    b.release();
    await tick();
    expect(log).toEqual(['a+', 'b+', 'a-', 'b-', 'x+']);
    x.release();
    await tick();
    expect(log).toEqual(['a+', 'b+', 'a-', 'b-', 'x+', 'x-', 'c+']);
    c.release();
    expect(await Promise.all([pa, pb, px, pc])).toEqual(['a', 'b', 'x', 'c']);
  });

  it('keeps keys apart, passes failures through and forgets idle keys', async () => {
    const gate = new KeyedGate();
    const log: string[] = [];
    const x = step(log, 'x');
    const px = gate.exclusive('one', x.task);
    const other = await gate.shared('two', async () => 'not blocked');
    expect(other).toBe('not blocked');
    x.release();
    await px;
    await expect(gate.exclusive('one', async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await gate.shared('one', async () => 'after a failure')).toBe('after a failure');
    await tick();
    await tick();
    expect((gate as unknown as { keys: Map<string, unknown> }).keys.size).toBe(0);
  });
});

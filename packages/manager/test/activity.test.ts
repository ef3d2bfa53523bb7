/**
 * ForegroundActivity (src/activity.ts): the search worker's blob writes wait while facade calls are in
 * flight, and go when the facade is quiet, when something needs them (release) or after the bound.
 */
import { setTimeout as realSetTimeout } from 'node:timers';
import { describe, expect, it, vi } from 'vitest';
import { ForegroundActivity } from '../src/activity.js';
import { FFStorageManager } from '../src/index.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function settled(p: Promise<unknown>): () => boolean {
  let done = false;
  void p.then(() => {
    done = true;
  });
  return () => done;
}

describe('ForegroundActivity', () => {
  it('waits while a call is in flight and goes once it ended and the quiet period passed', async () => {
    const a = new ForegroundActivity();
    a.enter();
    const done = settled(a.whenQuiet(2, 60_000));
    await tick(30);
    expect(done()).toBe(false);
    a.exit();
    await tick(30);
    expect(done()).toBe(true);
    expect(a.isQuiet(0)).toBe(true);
  });

  it('goes at once when released, and after the bound when calls never stop', async () => {
    const a = new ForegroundActivity();
    a.enter();
    let release = false;
    const done = settled(a.whenQuiet(2, 60_000, () => release));
    await tick(20);
    expect(done()).toBe(false);
    release = true;
    await tick(20);
    expect(done()).toBe(true);
    const started = performance.now();
    await a.whenQuiet(2, 40);
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
    a.exit();
  });

  it('keeps real time under fake timers: the quiet period and the bound still pass', async () => {
    const a = new ForegroundActivity();
    vi.useFakeTimers();
    try {
      a.enter();
      a.exit();
      const quiet = settled(a.whenQuiet(2, 60_000));
      a.enter();
      const bounded = settled(a.whenQuiet(2, 30));
      await new Promise((r) => realSetTimeout(r, 300));
      expect(bounded()).toBe(true);
      a.exit();
      await new Promise((r) => realSetTimeout(r, 300));
      expect(quiet()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts facade calls: in flight during a call, quiet after it', async () => {
    const basePath = tempDir('ffdb-activity-');
    const manager = await FFStorageManager.open({
      config: testConfig(basePath),
      features: { search: false, vectors: false, personas: false },
    });
    try {
      const pending = manager.createSession('alice', 'x');
      expect(manager.activity.isQuiet(0)).toBe(false);
      await pending;
      await tick(5);
      expect(manager.activity.isQuiet(2)).toBe(true);
    } finally {
      await manager.close();
      removeDir(basePath);
    }
  });
});

import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileLock } from '../src/file-lock.js';
import { WriterLockKeeper } from '../src/writer-lock-keeper.js';
import { tempDir } from './helpers/temp-store.js';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

function lockFile(): string {
  const t = tempDir('ffdb-keeper-');
  cleanup = t.cleanup;
  return path.join(t.dir, 'writer.lock');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('WriterLockKeeper', () => {
  it('takes the lock once and keeps it across back-to-back commits, catching up only when it took it', async () => {
    const keeper = new WriterLockKeeper(new FileLock(lockFile(), 30_000, 'test writer'));
    let retaken = 0;
    const first = keeper.take(1000, () => retaken++);
    expect(first).toBeInstanceOf(Promise);
    await first;
    expect(keeper.lock.held).toBe(true);
    expect(retaken).toBe(1);
    keeper.linger(true);
    // The next commit comes at once: still ours, no lock traffic, nothing to catch up with.
    expect(keeper.take(1000, () => retaken++)).toBeUndefined();
    expect(retaken).toBe(1);
    keeper.linger(true);
    keeper.release();
    expect(keeper.lock.held).toBe(false);
  });

  it('lets the lock go a few milliseconds after the last commit, and at once when the store closes', async () => {
    const file = lockFile();
    const keeper = new WriterLockKeeper(new FileLock(file, 30_000, 'test writer'));
    await keeper.take(1000, () => {});
    keeper.linger(true);
    expect(keeper.lock.held).toBe(true);
    // The linger is a few milliseconds; a loaded machine may fire the timer late, so poll for it.
    for (let waited = 0; keeper.lock.held && waited < 2000; waited += 10) await sleep(10);
    expect(keeper.lock.held).toBe(false);
    // Another holder can take it now.
    const other = new FileLock(file, 30_000, 'other');
    expect(other.tryAcquire()).toBe(true);
    other.release();

    await keeper.take(1000, () => {});
    keeper.linger(false);
    expect(keeper.lock.held).toBe(false);
  });

  it('is not let go while a commit is using it, even past the linger time', async () => {
    const keeper = new WriterLockKeeper(new FileLock(lockFile(), 30_000, 'test writer'));
    await keeper.take(1000, () => {});
    keeper.linger(true);
    // A new commit starts before the linger timer fires and is still running when it fires.
    expect(keeper.take(1000, () => {})).toBeUndefined();
    await sleep(50);
    expect(keeper.lock.held).toBe(true);
    keeper.release();
  });

  it('hands the lock over to a waiting holder, then takes it again and catches up', async () => {
    const file = lockFile();
    const keeper = new WriterLockKeeper(new FileLock(file, 30_000, 'test writer'));
    await keeper.take(1000, () => {});
    keeper.linger(true);
    // Re-take at once, as a busy writer would: the other holder's wait must still win.
    expect(keeper.take(1000, () => {})).toBeUndefined();
    const other = new FileLock(file, 30_000, 'other');
    const otherGot = other.acquire(2000).then(() => 'other');
    // The waiter signals on its second poll; give it a moment, then the keeper sees it.
    await sleep(20);
    expect(keeper.holdsForNextCommit()).toBe(false);
    keeper.linger(true); // others wait: released at once
    expect(keeper.lock.held).toBe(false);
    expect(await otherGot).toBe('other');
    let retaken = 0;
    const again = keeper.take(2000, () => retaken++);
    expect(again).toBeInstanceOf(Promise);
    await sleep(10);
    expect(keeper.lock.held).toBe(false); // the other still holds it
    other.release();
    await again;
    expect(keeper.lock.held).toBe(true);
    expect(retaken).toBe(1);
    keeper.release();
  });
});

import { FFLockTimeoutError, FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { MemoryStorageBackend } from '../src/index.js';

describe('MemoryStorageBackend specifics', () => {
  it('copies buffers in and out', async () => {
    const b = new MemoryStorageBackend();
    const data = new Uint8Array([1, 2, 3]);
    await b.write('a/b', data);
    data[0] = 9;
    const out = await b.read('a/b');
    expect([...(out ?? [])]).toEqual([1, 2, 3]);
    out?.fill(7);
    expect([...((await b.read('a/b')) ?? [])]).toEqual([1, 2, 3]);
  });

  it('log records are copies', async () => {
    const b = new MemoryStorageBackend();
    const rec = { x: { y: 1 } };
    await b.append('l', [rec]);
    rec.x.y = 2;
    const [e] = await b.readLog<{ x: { y: number } }>('l');
    expect(e?.data.x.y).toBe(1);
  });

  it('rejects a bad batch whole', async () => {
    const b = new MemoryStorageBackend();
    await expect(b.append('l', [{ a: 1 }, [] as unknown as { a: number }])).rejects.toBeInstanceOf(
      FFValidationError,
    );
    expect(await b.countLog('l')).toBe(0);
  });

  it('closed store refuses work until reopened and keeps its data', async () => {
    const b = new MemoryStorageBackend();
    await b.write('k', new Uint8Array([5]));
    await b.close();
    await expect(b.read('k')).rejects.toMatchObject({ code: 'FF_CLOSED' });
    await b.open();
    expect([...((await b.read('k')) ?? [])]).toEqual([5]);
  });

  it('uses the configured default lock timeout', async () => {
    const b = new MemoryStorageBackend({ lockTimeoutMs: 20 });
    let release!: () => void;
    const held = b.withLock('k', () => new Promise<void>((r) => (release = r)));
    await expect(b.withLock('k', async () => 1)).rejects.toBeInstanceOf(FFLockTimeoutError);
    release();
    await held;
    expect(await b.withLock('k', async () => 2)).toBe(2);
  });

  it('rejects bad options', () => {
    expect(() => new MemoryStorageBackend({ lockTimeoutMs: -1 })).toThrow(FFValidationError);
  });
});

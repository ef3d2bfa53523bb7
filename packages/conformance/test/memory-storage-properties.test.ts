import { FFError, keyProblems } from '@ffdb/core-types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorageBackend } from '../src/index.js';

// Strings built from pieces that make keys hostile, mixed with ordinary ones.
const piece = fc.constantFrom(
  'a',
  'b1',
  'users',
  '..',
  '.',
  '',
  '/',
  '\\',
  ':',
  'C:',
  '\0',
  '\n',
  '\u0001',
  '\u007f',
  'é',
  ' ',
  '-_.@',
);
const keyish = fc.oneof(
  fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join('')),
  fc.string({ maxLength: 12 }),
);

describe('MemoryStorageBackend key handling (property-based)', () => {
  it('accepts exactly the keys validateKey accepts, and writes nothing for the others', async () => {
    await fc.assert(
      fc.asyncProperty(keyish, async (key) => {
        const b = new MemoryStorageBackend();
        const valid = keyProblems(key).length === 0;
        let error: unknown;
        try {
          await b.write(key, new Uint8Array([1]));
          await b.append(`${key}/log`, [{ a: 1 }]);
        } catch (e) {
          error = e;
        }
        if (valid) {
          expect(error).toBeUndefined();
          expect([...((await b.read(key)) ?? [])]).toEqual([1]);
          expect(await b.countLog(`${key}/log`)).toBe(1);
        } else {
          expect(FFError.isInstance(error) && (error as FFError).code === 'FF_VALIDATION').toBe(true);
          expect(await b.list('', { recursive: true })).toEqual([]);
          expect(await b.listLogs('')).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('watchers end quietly when the store closes', async () => {
    const b = new MemoryStorageBackend();
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const batch of b.watchLog<{ n: number }>('w')) for (const e of batch) seen.push(e.data.n);
    })();
    await b.append('w', [{ n: 1 }]);
    await new Promise((r) => setTimeout(r, 10));
    await b.close();
    await consumer;
    expect(seen).toEqual([1]);
  });
});

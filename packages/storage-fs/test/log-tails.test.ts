import { describe, expect, it } from 'vitest';
import { LogTails } from '../src/log-tails.js';
import { capturingLogger } from './helpers/capturing-logger.js';

const texts = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => JSON.stringify({ n: from + i }));

describe('LogTails', () => {
  it('joins consecutive records, skips records it holds already, and keeps (and logs) a gap', () => {
    const logger = capturingLogger();
    const tails = new LogTails(logger);
    tails.add('a', 10, texts(10, 12));
    tails.add('a', 13, texts(13, 14));
    // A frame read again after the commit that wrote it was applied: 12..15, of which 15 is new.
    tails.add('a', 12, texts(12, 15));
    expect(tails.get('a')).toEqual({ base: 10, recs: texts(10, 15) });
    expect(tails.end('a')).toBe(16);
    expect(logger.lines).toEqual([]);
    tails.add('a', 20, texts(20, 20));
    expect(tails.get('a')?.recs).toHaveLength(7);
    expect(logger.lines.map((l) => [l.level, l.msg])).toEqual([['error', 'WAL records out of sequence']]);
    expect(tails.end('missing')).toBeUndefined();
  });

  it('trims records a checkpoint wrote and forgets a log trimmed to its end', () => {
    const tails = new LogTails(capturingLogger());
    tails.add('a', 0, texts(0, 9));
    tails.add('b', 5, texts(5, 6));
    const boundary = tails.ends();
    expect([...boundary]).toEqual([
      ['a', 10],
      ['b', 7],
    ]);
    tails.add('a', 10, texts(10, 11));
    tails.trimTo(boundary);
    expect(tails.get('a')).toEqual({ base: 10, recs: texts(10, 11) });
    expect(tails.has('b')).toBe(false);
    expect(tails.size).toBe(1);
    // A boundary below a tail's base (trimmed already) changes nothing.
    tails.trimTo(new Map([['a', 4]]));
    expect(tails.get('a')?.base).toBe(10);
  });

  it('matches keys under a prefix by whole segments, and "" lists every log', () => {
    const tails = new LogTails(capturingLogger());
    tails.add('u/s1/messages', 0, texts(0, 1));
    tails.add('u/s10/messages', 0, texts(0, 0));
    tails.add('v/s1/messages', 0, texts(0, 2));
    expect(tails.hasUnder('u/s1')).toBe(true);
    expect(tails.hasUnder('u/s')).toBe(false);
    expect(tails.logsUnder('u').sort()).toEqual(['u/s1/messages', 'u/s10/messages']);
    expect(tails.logsUnder('').sort()).toEqual(['u/s1/messages', 'u/s10/messages', 'v/s1/messages']);
    const bytes = (keys: string[]) =>
      keys.flatMap((k) => tails.get(k)?.recs ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0);
    expect(tails.bytesUnder('v')).toBe(bytes(['v/s1/messages']));
    expect(tails.bytesUnder('')).toBe(bytes(['u/s1/messages', 'u/s10/messages', 'v/s1/messages']));
    tails.deleteUnder('u/s1');
    expect(tails.logsUnder('').sort()).toEqual(['u/s10/messages', 'v/s1/messages']);
    // A delete names a key: "" is not "everything" there.
    tails.deleteUnder('');
    expect(tails.size).toBe(2);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLine, parseLine, scanBackward, scanBuffer } from '../src/active-segment.js';
import { BuiltinJsonCodec, IdentityCompressor } from '../src/builtin-codecs.js';
import { crc32 } from '../src/checksum.js';
import { parseSegmentName, sealedSegmentName, activeSegmentName } from '../src/layout.js';
import { blockFor, encodeSealed, readBlock, readFooter } from '../src/sealed-segment.js';
import { checkFrame, encodeAppend, encodeDelete, encodeEnd } from '../src/wal-frame.js';
import { tempDir } from './helpers/temp-store.js';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('WAL frames', () => {
  const recs = ['{"a":1}', '{"b":"ü"}'];

  it('round-trips append, delete and end frames', () => {
    const buf = Buffer.concat([
      encodeAppend(7, 'u/s/log', 41, recs),
      encodeDelete(7, 'u/x'),
      encodeEnd(7, 8),
    ]);
    const a = checkFrame(buf, 0, 7);
    expect(a.kind).toBe('frame');
    if (a.kind !== 'frame') return;
    expect(a.frame).toEqual({
      type: 'append',
      key: 'u/s/log',
      firstSeq: 41,
      recs: ['{"a":1}', '{"b":"ü"}'],
      bytes: 17,
    });
    const d = checkFrame(buf, a.size, 7);
    expect(d.kind === 'frame' && d.frame).toEqual({ type: 'delete', prefix: 'u/x' });
    const e = checkFrame(buf, a.size + (d.kind === 'frame' ? d.size : 0), 7);
    expect(e.kind === 'frame' && e.frame).toEqual({ type: 'end', nextGen: 8 });
  });

  it('rejects a flipped bit, another generation, and reports torn and zero regions', () => {
    const f = encodeAppend(3, 'log', 0, recs);
    const flipped = Buffer.from(f);
    flipped[flipped.length - 2] = (flipped[flipped.length - 2] as number) ^ 0x10;
    expect(checkFrame(flipped, 0, 3).kind).toBe('bad');
    expect(checkFrame(f, 0, 4).kind).toBe('bad');
    expect(checkFrame(f.subarray(0, f.length - 3), 0, 3).kind).toBe('need');
    expect(checkFrame(Buffer.alloc(64), 0, 3).kind).toBe('zero');
  });
});

describe('active segment lines', () => {
  it('encodes readable JSON lines with length and checksum', () => {
    const line = encodeLine(12, '{"role":"user","content":"hi\\nthere"}');
    const text = line.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').length).toBe(2);
    expect(JSON.parse(text.slice(18))).toEqual({ seq: 12, data: { role: 'user', content: 'hi\nthere' } });
    expect(parseLine(line, 0, line.length - 1)).toEqual({
      seq: 12,
      data: '{"role":"user","content":"hi\\nthere"}',
    });
  });

  it('skips a damaged line without losing its neighbours, and finds a torn tail', () => {
    const lines = [0, 1, 2, 3].map((i) => encodeLine(i, JSON.stringify({ i, pad: 'x'.repeat(i * 10) })));
    const damaged = Buffer.from(lines[1] as Buffer);
    damaged[25] = 0x41;
    const torn = (lines[3] as Buffer).subarray(0, 10);
    const buf = Buffer.concat([lines[0] as Buffer, damaged, lines[2] as Buffer, torn]);
    const scan = scanBuffer(buf, 0);
    expect(scan.lines.map((l) => l.seq)).toEqual([0, 2]);
    expect(scan.corrupt).toHaveLength(1);
    expect(scan.completeEnd).toBe(buf.length - torn.length);
  });

  it('reads backwards across chunk boundaries', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'seg');
    const all = Array.from({ length: 500 }, (_, i) =>
      encodeLine(i, JSON.stringify({ i, pad: 'y'.repeat(i % 97) })),
    );
    fs.writeFileSync(file, Buffer.concat([...all, Buffer.from('00000010 deadbeef {"se')]));
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const back = scanBackward(fd, size, (l) => l.seq <= 100, 1000);
      expect(back.lines.map((l) => l.seq)).toEqual(Array.from({ length: 400 }, (_, i) => 499 - i));
      expect(back.validEnd).toBe(size - 22);
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('sealed segments', () => {
  it('round-trips blocks through the footer index', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const records = Array.from({ length: 300 }, (_, i) => JSON.stringify({ i, text: `message ${i}` }));
    const img = encodeSealed(
      1000,
      records,
      new BuiltinJsonCodec(),
      new IdentityCompressor(),
      1024,
      '2026-01-01T00:00:00.000Z',
    );
    const file = path.join(t.dir, 'x.sseg');
    fs.writeFileSync(file, Buffer.concat(img.chunks));
    expect(fs.statSync(file).size).toBe(img.bytes);
    const fd = fs.openSync(file, 'r');
    try {
      const footer = readFooter(fd);
      expect(footer).toMatchObject({
        first: 1000,
        last: 1299,
        count: 300,
        codec: 'json',
        compressor: 'raw',
      });
      expect(footer.blocks.length).toBeGreaterThan(5);
      const bi = blockFor(footer, 1150);
      const block = footer.blocks[bi];
      expect(block && block.first <= 1150 && block.first + block.count > 1150).toBe(true);
      const recs = readBlock(
        fd,
        block as NonNullable<typeof block>,
        new BuiltinJsonCodec(),
        new IdentityCompressor(),
      );
      expect(recs[1150 - (block?.first ?? 0)]).toEqual({ i: 150, text: 'message 150' });
    } finally {
      fs.closeSync(fd);
    }
  });

  it('names segments so their range is known without opening them', () => {
    expect(parseSegmentName(activeSegmentName(42))).toMatchObject({ kind: 'active', first: 42 });
    expect(parseSegmentName(sealedSegmentName(0, 1999, 3))).toMatchObject({
      kind: 'sealed',
      first: 0,
      last: 1999,
      rev: 3,
    });
    expect(parseSegmentName('junk.seg')).toBeUndefined();
  });
});

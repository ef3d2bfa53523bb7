import { FFCorruptionError, type FFError, FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import {
  BrotliCompressor,
  createCompressor,
  GzipCompressor,
  HEADER_SIZE,
  Lz4Compressor,
  NoneCompressor,
  peekHeader,
} from '../src/index.js';
import { chatJsonl, randomBytes } from './fixtures.js';

const inputs: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  oneByte: Uint8Array.of(42),
  zeros: new Uint8Array(100_000),
  random: randomBytes(70_000),
  chat: chatJsonl(400),
};

const compressors = [
  new Lz4Compressor(),
  new BrotliCompressor({ quality: 5 }),
  new BrotliCompressor(),
  new NoneCompressor(),
  new GzipCompressor(),
  new GzipCompressor({ format: 'zlib', level: 9 }),
];

describe.each(
  compressors.map(
    (c) =>
      [
        `${c.id}${c instanceof BrotliCompressor ? ` q${c.quality}` : ''}${c instanceof GzipCompressor ? ` ${c.format}` : ''}`,
        c,
      ] as const,
  ),
)('%s', (_name, compressor) => {
  it.each(Object.entries(inputs))('round-trips %s byte-exact', (_k, input) => {
    const packed = compressor.compress(input);
    const out = compressor.decompress(packed);
    expect(out).toBeInstanceOf(Uint8Array);
    expect(out.constructor).toBe(Uint8Array);
    expect(Buffer.from(out).equals(Buffer.from(input))).toBe(true);
  });

  it('does not modify its input and accepts a Uint8Array view with an offset', () => {
    const backing = chatJsonl(50);
    const view = backing.subarray(17, backing.length - 3);
    const before = Buffer.from(view);
    const out = compressor.decompress(compressor.compress(view));
    expect(Buffer.from(view).equals(before)).toBe(true);
    expect(Buffer.from(out).equals(before)).toBe(true);
  });

  it('rejects arbitrary bytes with FFCorruptionError', () => {
    for (const junk of [
      randomBytes(100, 3),
      new TextEncoder().encode('{"plain":"json"}\n'),
      new Uint8Array(0),
    ]) {
      expect(() => compressor.decompress(junk)).toThrow(FFCorruptionError);
    }
  });

  it('rejects a non-Uint8Array with FFValidationError', () => {
    expect(() => compressor.compress('text' as unknown as Uint8Array)).toThrow(FFValidationError);
  });
});

describe('ffdb header', () => {
  const framed = [new Lz4Compressor(), new BrotliCompressor({ quality: 4 }), new NoneCompressor()];

  it.each(framed.map((c) => [c.id, c] as const))('%s writes magic, algorithm and length', (id, c) => {
    const input = inputs.chat as Uint8Array;
    const packed = c.compress(input);
    expect(Array.from(packed.subarray(0, 4))).toEqual([0x89, 0x46, 0x46, 0x5a]);
    expect(peekHeader(packed)).toEqual({ version: 1, algorithm: id, uncompressedLength: input.length });
  });

  it.each(framed.map((c) => [c.id, c] as const))('%s detects a flipped bit anywhere (checksum)', (_id, c) => {
    const packed = c.compress(inputs.chat as Uint8Array);
    for (const pos of [4, 5, 8, 12, HEADER_SIZE, HEADER_SIZE + 7, packed.length - 1]) {
      const bad = packed.slice();
      bad[pos] = (bad[pos] ?? 0) ^ 0x10;
      const err = (() => {
        try {
          c.decompress(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(FFCorruptionError.isInstance(err), `flip at ${pos}`).toBe(true);
      expect((err as FFError).code).toBe('FF_CORRUPTION');
    }
  });

  it('detects truncation', () => {
    const c = new Lz4Compressor();
    const packed = c.compress(inputs.chat as Uint8Array);
    for (const len of [3, 10, HEADER_SIZE, packed.length - 1]) {
      expect(() => c.decompress(packed.subarray(0, len))).toThrow(FFCorruptionError);
    }
  });

  it('an lz4 compressor rejects a valid brotli block (wrong algorithm)', () => {
    const brotli = new BrotliCompressor({ quality: 1 }).compress(inputs.chat as Uint8Array);
    expect(() => new Lz4Compressor().decompress(brotli)).toThrow(FFCorruptionError);
    expect(() => new NoneCompressor().decompress(brotli)).toThrow(FFCorruptionError);
    const lz4 = new Lz4Compressor().compress(inputs.chat as Uint8Array);
    expect(() => new BrotliCompressor().decompress(lz4)).toThrow(FFCorruptionError);
  });

  it('lz4 rejects a block whose size prefix disagrees with the header, before allocating', () => {
    const c = new Lz4Compressor({ checksum: false });
    const packed = c.compress(inputs.chat as Uint8Array);
    packed[HEADER_SIZE + 3] = 0x7f; // lz4 size prefix now claims ~2 GiB
    expect(() => c.decompress(packed)).toThrow(FFCorruptionError);
  });

  it('rejects an unknown version', () => {
    const packed = new NoneCompressor().compress(Uint8Array.of(1, 2, 3));
    packed[4] = 9;
    expect(() => new NoneCompressor().decompress(packed)).toThrow(/version 9/);
  });

  it('error messages never contain the data', () => {
    const secret = new TextEncoder().encode('SECRET-CONTENT '.repeat(20));
    const packed = new Lz4Compressor().compress(secret);
    packed[packed.length - 2] = (packed[packed.length - 2] ?? 0) ^ 1;
    try {
      new Lz4Compressor().decompress(packed);
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('SECRET');
    }
  });
});

describe('compression is real', () => {
  it('lz4 and brotli shrink chat JSONL; brotli more than lz4', () => {
    const chat = inputs.chat as Uint8Array;
    const lz4 = new Lz4Compressor().compress(chat).length;
    const br = new BrotliCompressor().compress(chat).length;
    expect(lz4).toBeLessThan(chat.length * 0.7);
    expect(br).toBeLessThan(lz4);
  });

  it('gzip output is a standard gzip stream', () => {
    const out = new GzipCompressor().compress(inputs.chat as Uint8Array);
    expect([out[0], out[1]]).toEqual([0x1f, 0x8b]);
  });
});

describe('options and factory', () => {
  it('createCompressor builds each algorithm', () => {
    expect(createCompressor({ algorithm: 'lz4' })).toBeInstanceOf(Lz4Compressor);
    expect(createCompressor({ algorithm: 'none' })).toBeInstanceOf(NoneCompressor);
    expect(createCompressor({ algorithm: 'gzip', level: 1 })).toBeInstanceOf(GzipCompressor);
    const br = createCompressor({ algorithm: 'brotli', quality: 3 }) as BrotliCompressor;
    expect(br.quality).toBe(3);
    expect(new BrotliCompressor().quality).toBeGreaterThanOrEqual(9);
  });

  it('rejects an unknown algorithm naming the field', () => {
    try {
      createCompressor({ algorithm: 'zstd' } as never);
      expect.unreachable();
    } catch (e) {
      expect(FFValidationError.isInstance(e)).toBe(true);
      expect((e as FFValidationError).issues[0]?.path).toBe('compression.algorithm');
    }
  });

  it('rejects out-of-range brotli quality with the limit', () => {
    try {
      new BrotliCompressor({ quality: 12 });
      expect.unreachable();
    } catch (e) {
      expect(FFValidationError.isInstance(e)).toBe(true);
      const issue = (e as FFValidationError).issues[0];
      expect(issue?.path).toBe('compression.quality');
      expect(issue?.limit).toBe(11);
    }
  });

  it('rejects unknown option keys', () => {
    expect(() => new Lz4Compressor({ level: 3 } as never)).toThrow(FFValidationError);
    expect(() => createCompressor({ algorithm: 'none', extra: 1 } as never)).toThrow(FFValidationError);
  });

  it('adapters identify themselves', () => {
    for (const c of compressors) {
      expect(typeof c.id).toBe('string');
      expect(c.capabilities).toEqual({ streaming: false });
    }
  });
});

describe('checksum: false (for callers that checksum blocks themselves)', () => {
  const plain = [
    new Lz4Compressor({ checksum: false }),
    new BrotliCompressor({ quality: 2, checksum: false }),
    new NoneCompressor({ checksum: false }),
  ];

  it.each(plain.map((c) => [c.id, c] as const))(
    '%s round-trips and is read by a checksumming instance',
    (_id, c) => {
      const input = inputs.chat as Uint8Array;
      const packed = c.compress(input);
      expect(packed[6]).toBe(1);
      expect(Buffer.from(c.decompress(packed)).equals(Buffer.from(input))).toBe(true);
      const withCrc =
        c.id === 'lz4'
          ? new Lz4Compressor()
          : c.id === 'none'
            ? new NoneCompressor()
            : new BrotliCompressor();
      expect(Buffer.from(withCrc.decompress(packed)).equals(Buffer.from(input))).toBe(true);
    },
  );

  it('still rejects foreign data, wrong algorithms, truncation and length mismatches', () => {
    const c = new Lz4Compressor({ checksum: false });
    const packed = c.compress(inputs.chat as Uint8Array);
    expect(() => c.decompress(randomBytes(64, 9))).toThrow(FFCorruptionError);
    expect(() => c.decompress(packed.subarray(0, packed.length - 1))).toThrow(FFCorruptionError);
    expect(() => c.decompress(new NoneCompressor({ checksum: false }).compress(Uint8Array.of(1)))).toThrow(
      FFCorruptionError,
    );
    const lying = new NoneCompressor({ checksum: false }).compress(Uint8Array.of(1, 2, 3));
    lying[8] = 4; // header claims 4 bytes, payload has 3
    expect(() => new NoneCompressor().decompress(lying)).toThrow(FFCorruptionError);
  });

  it('a bit flip that sets the no-checksum flag on a checksummed block is caught', () => {
    const packed = new Lz4Compressor().compress(inputs.chat as Uint8Array);
    packed[6] = 1;
    expect(() => new Lz4Compressor().decompress(packed)).toThrow(FFCorruptionError);
  });

  it('unknown flags are rejected', () => {
    const packed = new NoneCompressor({ checksum: false }).compress(Uint8Array.of(1));
    packed[6] = 4;
    expect(() => new NoneCompressor().decompress(packed)).toThrow(FFCorruptionError);
  });
});

describe('decompress(data, { verified: true }) (the caller checked the bytes against its own checksum)', () => {
  const framed = [new Lz4Compressor(), new BrotliCompressor({ quality: 2 }), new NoneCompressor()];

  it.each(framed.map((c) => [c.id, c] as const))(
    '%s returns the same bytes without its own CRC',
    (_id, c) => {
      const input = inputs.chat as Uint8Array;
      const packed = c.compress(input);
      expect(Buffer.from(c.decompress(packed, { verified: true })).equals(Buffer.from(input))).toBe(true);
      // Damage the stored CRC only: the checksum is what `verified` skips, and nothing else.
      const crcDamaged = packed.slice();
      crcDamaged[12] = (crcDamaged[12] as number) ^ 0xff;
      expect(() => c.decompress(crcDamaged)).toThrow(FFCorruptionError);
      expect(Buffer.from(c.decompress(crcDamaged, { verified: true })).equals(Buffer.from(input))).toBe(true);
    },
  );

  it('still checks magic, version, flags and lengths', () => {
    const c = new Lz4Compressor();
    const packed = c.compress(inputs.chat as Uint8Array);
    expect(() => c.decompress(randomBytes(64, 9), { verified: true })).toThrow(FFCorruptionError);
    expect(() => c.decompress(packed.subarray(0, packed.length - 1), { verified: true })).toThrow(
      FFCorruptionError,
    );
    const version = packed.slice();
    version[4] = 9;
    expect(() => c.decompress(version, { verified: true })).toThrow(FFCorruptionError);
    const length = packed.slice();
    length[8] = (length[8] as number) ^ 1;
    expect(() => c.decompress(length, { verified: true })).toThrow(FFCorruptionError);
    const flags = packed.slice();
    flags[6] = 4;
    expect(() => c.decompress(flags, { verified: true })).toThrow(FFCorruptionError);
  });
});

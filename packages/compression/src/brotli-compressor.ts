import type { Compressor, DecompressOptions } from '@ffdb/core-types';
import { parseOrThrow } from '@ffdb/core-types';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { z } from 'zod';
import { asUint8Array } from './bytes.js';
import { assertBlockSize, assertLength, corruption, frameBlock, readBlock } from './frame-header.js';

/**
 * Default brotli quality for the archival tier. Measured on chat JSONL (docs/performance.md, B6): in
 * 64 KiB blocks quality 5–9 stop at ~69 % and only 10–11 pass 70 % (72 %, ~1.4 MB/s at 10); in 1 MiB
 * blocks quality 6 already gives ~71 % at ~16 MB/s. Pick a lower quality when you compress large blocks.
 */
export const DEFAULT_BROTLI_QUALITY = 10;
/** Window of 16 MiB (the brotli maximum): archival blocks are large and gain from long matches. */
export const DEFAULT_BROTLI_WINDOW_BITS = 24;

export const BrotliCompressorOptionsSchema = z
  .object({
    algorithm: z.literal('brotli').optional(),
    /**
     * CRC-32 over the block (default true). Turn off only when the caller checksums blocks itself,
     * as storage-fs does: it saves ~10 % of compression and ~1/3 of lz4 decompression time.
     */
    checksum: z.boolean().default(true),
    /** 0 (fastest) … 11 (smallest, ~1 MB/s). */
    quality: z.number().int().min(0).max(11).default(DEFAULT_BROTLI_QUALITY),
    /** log2 of the sliding window, 10 … 24. */
    windowBits: z.number().int().min(10).max(24).default(DEFAULT_BROTLI_WINDOW_BITS),
    /** Tune for UTF-8 text (chat JSONL) rather than generic bytes. */
    textMode: z.boolean().default(true),
  })
  .strict();
export type BrotliCompressorOptions = z.input<typeof BrotliCompressorOptionsSchema>;

/**
 * Brotli (Node's built-in zlib) for the archival tier (`compression.archiveAlgorithm: 'brotli'`):
 * 70 %+ smaller chat data at the cost of slow compression; decompression stays fast (100+ MB/s).
 */
export class BrotliCompressor implements Compressor {
  readonly id = 'brotli';
  readonly capabilities = { streaming: false } as const;
  readonly quality: number;
  readonly windowBits: number;
  readonly checksum: boolean;
  private readonly params: Record<number, number>;

  constructor(options: BrotliCompressorOptions = {}) {
    const parsed = parseOrThrow(BrotliCompressorOptionsSchema, options, 'compression');
    this.quality = parsed.quality;
    this.windowBits = parsed.windowBits;
    this.checksum = parsed.checksum;
    this.params = {
      [constants.BROTLI_PARAM_QUALITY]: parsed.quality,
      [constants.BROTLI_PARAM_LGWIN]: parsed.windowBits,
      [constants.BROTLI_PARAM_MODE]: parsed.textMode
        ? constants.BROTLI_MODE_TEXT
        : constants.BROTLI_MODE_GENERIC,
    };
  }

  compress(data: Uint8Array): Uint8Array {
    assertBlockSize(data);
    const params = { ...this.params, [constants.BROTLI_PARAM_SIZE_HINT]: data.length };
    return frameBlock('brotli', data.length, brotliCompressSync(data, { params }), this.checksum);
  }

  decompress(data: Uint8Array, options?: DecompressOptions): Uint8Array {
    const { header, payload } = readBlock(data, undefined, options?.verified === true);
    if (header.algorithm !== 'brotli') throw corruption(`brotli (block says ${header.algorithm})`, undefined);
    let out: Buffer;
    try {
      out = brotliDecompressSync(payload, {
        // Never inflate past what the header promised: a bounded decoder cannot be zip-bombed.
        maxOutputLength: Math.max(1, header.uncompressedLength),
      });
    } catch (cause) {
      throw corruption('brotli block', cause);
    }
    assertLength(out.length, header);
    return asUint8Array(out);
  }
}

export function createBrotliCompressor(options: BrotliCompressorOptions = {}): BrotliCompressor {
  return new BrotliCompressor(options);
}

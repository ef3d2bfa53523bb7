import type { Compressor, DecompressOptions } from '@ffdb/core-types';
import { parseOrThrow } from '@ffdb/core-types';
import { z } from 'zod';
import { assertBlockSize, assertLength, corruption, frameBlock, readBlock } from './frame-header.js';

export const NoneCompressorOptionsSchema = z
  .object({
    algorithm: z.literal('none').optional(),
    /**
     * CRC-32 over the block (default true). Turn off only when the caller checksums blocks itself,
     * as storage-fs does: it saves ~10 % of compression and ~1/3 of lz4 decompression time.
     */
    checksum: z.boolean().default(true),
  })
  .strict();
export type NoneCompressorOptions = z.input<typeof NoneCompressorOptionsSchema>;

/**
 * Stores bytes as they are, inside the same checksummed ffdb header as the real algorithms, so a
 * store configured with `compression.algorithm: 'none'` still detects damaged blocks.
 */
export class NoneCompressor implements Compressor {
  readonly id = 'none';
  readonly capabilities = { streaming: false } as const;
  /** Whether blocks carry a CRC-32 (decompress verifies it whenever a block has one). */
  readonly checksum: boolean;

  constructor(options: NoneCompressorOptions = {}) {
    this.checksum = parseOrThrow(NoneCompressorOptionsSchema, options, 'compression').checksum;
  }

  compress(data: Uint8Array): Uint8Array {
    assertBlockSize(data);
    return frameBlock('none', data.length, data, this.checksum);
  }

  decompress(data: Uint8Array, options?: DecompressOptions): Uint8Array {
    const { header, payload } = readBlock(data, undefined, options?.verified === true);
    if (header.algorithm !== 'none') throw corruption(`none (block says ${header.algorithm})`, undefined);
    assertLength(payload.length, header);
    // A copy, so the caller may keep or mutate the result without pinning or altering the input.
    return payload.slice();
  }
}

export function createNoneCompressor(options: NoneCompressorOptions = {}): NoneCompressor {
  return new NoneCompressor(options);
}

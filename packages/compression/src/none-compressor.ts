import type { Compressor } from '@ffdb/core-types';
import { parseOrThrow } from '@ffdb/core-types';
import { z } from 'zod';
import { assertBlockSize, assertLength, corruption, frameBlock, readBlock } from './frame-header.js';

export const NoneCompressorOptionsSchema = z
  .object({
    algorithm: z.literal('none').optional(),
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

  constructor(options: NoneCompressorOptions = {}) {
    parseOrThrow(NoneCompressorOptionsSchema, options, 'compression');
  }

  compress(data: Uint8Array): Uint8Array {
    assertBlockSize(data);
    return frameBlock('none', data.length, data);
  }

  decompress(data: Uint8Array): Uint8Array {
    const { header, payload } = readBlock(data);
    if (header.algorithm !== 'none') throw corruption(`none (block says ${header.algorithm})`, undefined);
    assertLength(payload.length, header);
    // A copy, so the caller may keep or mutate the result without pinning or altering the input.
    return payload.slice();
  }
}

export function createNoneCompressor(options: NoneCompressorOptions = {}): NoneCompressor {
  return new NoneCompressor(options);
}

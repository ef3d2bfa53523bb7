import type { Compressor } from '@ffdb/core-types';
import { FFCorruptionError, FFValidationError, parseOrThrow } from '@ffdb/core-types';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { asUint8Array } from './bytes.js';
import { assertBlockSize } from './frame-header.js';

export const GzipCompressorOptionsSchema = z
  .object({
    algorithm: z.literal('gzip').optional(),
    /** 1 … 9, the original's default was 6. */
    level: z.number().int().min(1).max(9).default(6),
    /** What `compress` writes: a gzip file (`.gz`, the original's default) or a raw zlib stream. */
    format: z.enum(['gzip', 'zlib']).default('gzip'),
  })
  .strict();
export type GzipCompressorOptions = z.input<typeof GzipCompressorOptionsSchema>;

/** Which legacy container a buffer is in, by its magic bytes. */
export type LegacyFormat = 'gzip' | 'zlib';

/**
 * Detects gzip (`1f 8b`) and zlib (`78 01`, `78 5e`, `78 9c`, `78 da`: levels 1, 2–5, 6, 7–9).
 * The original Python store missed `78 da` (level-9 zlib); we do not. The zlib check also verifies
 * the header checksum (CMF·256+FLG divisible by 31), so random text starting with `x` is not taken for zlib.
 */
export function detectLegacyFormat(data: Uint8Array): LegacyFormat | undefined {
  const b0 = data[0];
  const b1 = data[1];
  if (b0 === undefined || b1 === undefined) return undefined;
  if (b0 === 0x1f && b1 === 0x8b) return 'gzip';
  if (
    b0 === 0x78 &&
    (b1 === 0x01 || b1 === 0x5e || b1 === 0x9c || b1 === 0xda) &&
    (b0 * 256 + b1) % 31 === 0
  ) {
    return 'zlib';
  }
  return undefined;
}

/** Inflates gzip or zlib data; throws FFCorruptionError when it is neither or is damaged. */
export function inflateLegacy(data: Uint8Array, maxOutputLength?: number): Uint8Array {
  if (!(data instanceof Uint8Array))
    throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
  const format = detectLegacyFormat(data);
  if (format === undefined) throw new FFCorruptionError('Not gzip or zlib data (unknown magic bytes)');
  const opts = maxOutputLength === undefined ? {} : { maxOutputLength };
  try {
    return asUint8Array(format === 'gzip' ? gunzipSync(data, opts) : inflateSync(data, opts));
  } catch (cause) {
    throw new FFCorruptionError(`${format} data failed to decompress`, { cause });
  }
}

/**
 * gzip/zlib for interchange with the original Python store (`*.json.gz` exports, compressed message
 * files). Unlike lz4/brotli it writes no ffdb header: its output is a standard `.gz`/zlib stream other
 * tools can read, and `decompress` accepts either container (detected by magic bytes).
 */
export class GzipCompressor implements Compressor {
  readonly id = 'gzip';
  readonly capabilities = { streaming: false } as const;
  readonly level: number;
  readonly format: LegacyFormat;

  constructor(options: GzipCompressorOptions = {}) {
    const parsed = parseOrThrow(GzipCompressorOptionsSchema, options, 'compression');
    this.level = parsed.level;
    this.format = parsed.format;
  }

  compress(data: Uint8Array): Uint8Array {
    assertBlockSize(data);
    const out =
      this.format === 'gzip'
        ? gzipSync(data, { level: this.level })
        : deflateSync(data, { level: this.level });
    return asUint8Array(out);
  }

  decompress(data: Uint8Array): Uint8Array {
    return inflateLegacy(data);
  }
}

/** Reading the original's gzip/zlib files is this class's main job; the alias says so at call sites. */
export const GzipReader = GzipCompressor;
export type GzipReader = GzipCompressor;

export function createGzipCompressor(options: GzipCompressorOptions = {}): GzipCompressor {
  return new GzipCompressor(options);
}

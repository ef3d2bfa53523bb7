import type { Codec, Compressor } from '@ffdb/core-types';
import { FFValidationError } from '@ffdb/core-types';
import { BrotliCompressor, type BrotliCompressorOptions } from './brotli-compressor.js';
import { CborCodec, type CborCodecOptions } from './cbor-codec.js';
import { GzipCompressor, type GzipCompressorOptions } from './gzip-compressor.js';
import { JsonCodec, type JsonCodecOptions } from './json-codec.js';
import { Lz4Compressor, type Lz4CompressorOptions } from './lz4-compressor.js';
import { NoneCompressor, type NoneCompressorOptions } from './none-compressor.js';

export const COMPRESSION_ALGORITHMS = ['lz4', 'brotli', 'gzip', 'none'] as const;
export type CompressionAlgorithm = (typeof COMPRESSION_ALGORITHMS)[number];
export const CODEC_FORMATS = ['cbor', 'json'] as const;
export type CodecFormat = (typeof CODEC_FORMATS)[number];

export type CompressorOptions =
  | (Lz4CompressorOptions & { algorithm: 'lz4' })
  | (BrotliCompressorOptions & { algorithm: 'brotli' })
  | (GzipCompressorOptions & { algorithm: 'gzip' })
  | (NoneCompressorOptions & { algorithm: 'none' });

export type CodecOptions = (CborCodecOptions & { format: 'cbor' }) | (JsonCodecOptions & { format: 'json' });

/**
 * `createCompressor({ algorithm: 'lz4' })`, `({ algorithm: 'brotli', quality: 9 })`, `({ algorithm: 'none' })`.
 * Each adapter's own zod schema validates the remaining options; unknown keys are rejected.
 */
export function createCompressor(options: CompressorOptions): Compressor {
  switch (options?.algorithm) {
    case 'lz4':
      return new Lz4Compressor(options);
    case 'brotli':
      return new BrotliCompressor(options);
    case 'gzip':
      return new GzipCompressor(options);
    case 'none':
      return new NoneCompressor(options);
    default:
      throw new FFValidationError([
        {
          path: 'compression.algorithm',
          message: `must be one of ${COMPRESSION_ALGORITHMS.join(', ')}`,
          limit: COMPRESSION_ALGORITHMS.join('|'),
        },
      ]);
  }
}

/** `createCodec({ format: 'cbor' })` or `({ format: 'json' })`. */
export function createCodec(options: CodecOptions): Codec {
  switch (options?.format) {
    case 'cbor':
      return new CborCodec(options);
    case 'json':
      return new JsonCodec(options);
    default:
      throw new FFValidationError([
        {
          path: 'codec.format',
          message: `must be one of ${CODEC_FORMATS.join(', ')}`,
          limit: CODEC_FORMATS.join('|'),
        },
      ]);
  }
}

export {
  BrotliCompressor,
  BrotliCompressorOptionsSchema,
  type BrotliCompressorOptions,
  createBrotliCompressor,
  DEFAULT_BROTLI_QUALITY,
  DEFAULT_BROTLI_WINDOW_BITS,
} from './brotli-compressor.js';
export { CborCodec, CborCodecOptionsSchema, type CborCodecOptions, createCborCodec } from './cbor-codec.js';
export {
  type DecompressAutoOptions,
  type DetectedCompression,
  decompressAuto,
  detectCompression,
} from './decompress-auto.js';
export {
  CODEC_FORMATS,
  COMPRESSION_ALGORITHMS,
  type CodecFormat,
  type CodecOptions,
  type CompressionAlgorithm,
  type CompressorOptions,
  createCodec,
  createCompressor,
} from './factories.js';
export { type BlockHeader, HEADER_SIZE, hasFfdbHeader, MAX_BLOCK_BYTES, peekHeader } from './frame-header.js';
export {
  createGzipCompressor,
  detectLegacyFormat,
  GzipCompressor,
  GzipCompressorOptionsSchema,
  type GzipCompressorOptions,
  GzipReader,
  inflateLegacy,
  type LegacyFormat,
} from './gzip-compressor.js';
export { createJsonCodec, JsonCodec, JsonCodecOptionsSchema, type JsonCodecOptions } from './json-codec.js';
export {
  createLz4Compressor,
  Lz4Compressor,
  Lz4CompressorOptionsSchema,
  type Lz4CompressorOptions,
} from './lz4-compressor.js';
export {
  createNoneCompressor,
  NoneCompressor,
  NoneCompressorOptionsSchema,
  type NoneCompressorOptions,
} from './none-compressor.js';

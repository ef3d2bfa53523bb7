import { FFValidationError } from '@ffdb/core-types';
import { BrotliCompressor } from './brotli-compressor.js';
import { type HeaderAlgorithm, hasFfdbHeader, peekHeader, readBlock } from './frame-header.js';
import { detectLegacyFormat, inflateLegacy, type LegacyFormat } from './gzip-compressor.js';
import { Lz4Compressor } from './lz4-compressor.js';
import { NoneCompressor } from './none-compressor.js';

export type DetectedCompression = HeaderAlgorithm | LegacyFormat;

/**
 * What produced these bytes, judged by magic bytes only: an ffdb block (`lz4`, `brotli`, `none`),
 * a legacy `gzip`/`zlib` stream from the original Python store, or `undefined` (plain data).
 */
export function detectCompression(data: Uint8Array): DetectedCompression | undefined {
  return peekHeader(data)?.algorithm ?? detectLegacyFormat(data);
}

export interface DecompressAutoOptions {
  /**
   * What to do with bytes that carry no known magic. `true` (default, like the original's
   * `decompress_data`) returns them unchanged, for importing files that were never compressed;
   * `false` throws FFCorruptionError.
   */
  passthrough?: boolean;
  /**
   * Upper bound on the inflated size of gzip/zlib input (default 1 GiB), so a hostile import file
   * cannot exhaust memory. ffdb's own blocks are bounded by the length in their header.
   */
  maxOutputBytes?: number;
}

const DEFAULT_MAX_OUTPUT = 1 << 30;

// Decompression is stateless, so one instance of each serves every caller.
const decoders: Record<HeaderAlgorithm, { decompress(data: Uint8Array): Uint8Array }> = {
  lz4: new Lz4Compressor(),
  brotli: new BrotliCompressor(),
  none: new NoneCompressor(),
};

/**
 * Decompresses anything ffdb can read: its own framed blocks (any algorithm, checksum verified) and
 * gzip/zlib data imported from the original. Damaged data throws FFCorruptionError.
 */
export function decompressAuto(data: Uint8Array, options: DecompressAutoOptions = {}): Uint8Array {
  if (!(data instanceof Uint8Array))
    throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
  if (hasFfdbHeader(data)) {
    const header = peekHeader(data);
    // Magic present but header unusable: readBlock throws the precise FFCorruptionError.
    if (header === undefined) return readBlock(data).payload;
    return decoders[header.algorithm].decompress(data); // verifies version and checksum
  }
  if (detectLegacyFormat(data) !== undefined)
    return inflateLegacy(data, options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  if (options.passthrough === false) return inflateLegacy(data); // throws the typed "unknown magic" error
  return data;
}

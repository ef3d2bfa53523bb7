import type { Adapter } from './common.js';

/**
 * Turns bytes into fewer bytes. Implementations write a small self-describing header so that
 * `decompress` can reject data that was not produced by the same algorithm.
 */
export interface Compressor extends Adapter<{ streaming: boolean }> {
  /** `lz4`, `brotli`, `gzip`, `none`. */
  readonly id: string;
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

/**
 * Encodes a block of records into bytes and back. A block must be self-contained: anything the
 * decoder needs (for cbor, the record structures) is stored inside the block, never per process.
 */
export interface Codec extends Adapter<{ binary: boolean }> {
  /** `cbor`, `json`. */
  readonly id: string;
  encode(records: readonly unknown[]): Uint8Array;
  decode(data: Uint8Array): unknown[];
  /**
   * Optional: records `from` .. `from + count - 1` of a block, equal to `decode(data).slice(from,
   * from + count)`, for codecs that can skip the other records cheaply (a reader that needs a page
   * of a large block). Throws FFValidationError when the range is not inside the block, and
   * FFCorruptionError on a damaged block, like `decode`.
   */
  decodeRange?(data: Uint8Array, from: number, count: number): unknown[];
}

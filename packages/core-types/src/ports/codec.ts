import type { Adapter } from './common.js';

/**
 * Turns bytes into fewer bytes. Implementations write a small self-describing header so that
 * `decompress` can reject data that was not produced by the same algorithm.
 */
export interface Compressor extends Adapter<{ streaming: boolean }> {
  /** `lz4`, `brotli`, `gzip`, `none`. */
  readonly id: string;
  compress(data: Uint8Array): Uint8Array;
  /** `options` is optional and additive: implementations may ignore it (see DecompressOptions). */
  decompress(data: Uint8Array, options?: DecompressOptions): Uint8Array;
}

export interface DecompressOptions {
  /**
   * The caller has just checked these exact bytes against a checksum of its own (storage-fs keeps a
   * CRC-32 of every stored block in the segment footer): the compressor may skip its own checksum
   * of the same bytes. Everything else (magic, lengths, the decompressor's own checks) still applies.
   */
  verified?: boolean;
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

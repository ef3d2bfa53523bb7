import { crc32 } from 'node:zlib';
import { FFCorruptionError, FFValidationError } from '@ffdb/core-types';

/**
 * The 16-byte header every ffdb Compressor writes in front of its payload, so `decompress` can reject
 * bytes that were not produced by ffdb (or by another algorithm) with a typed error instead of
 * returning garbage, and so a reader can tell lz4 blocks from archival brotli blocks.
 *
 * ```
 * offset size field
 *   0     4   magic 0x89 'F' 'F' 'Z'   (high first byte: never valid UTF-8 text, JSON, gzip or zlib)
 *   4     1   format version (1)
 *   5     1   algorithm id (0 none, 1 lz4, 2 brotli)
 *   6     1   flags: bit 0 = no checksum (the CRC field must then be zero)
 *   7     1   reserved, zero
 *   8     4   uncompressed length, uint32 little-endian
 *  12     4   CRC-32 of bytes 4..11 and the payload (the compressed bytes), uint32 little-endian
 * ```
 * The checksum covers the compressed payload rather than the original data: it is cheaper (the
 * payload is smaller) and it catches corruption before a decompressor is fed damaged input. A caller
 * that already checksums every block (storage-fs does, in its segment footer) may turn it off: CRC-32
 * runs at ~1 GB/s here, which costs ~10 % of lz4 compression and ~1/3 of lz4 decompression time.
 * A block written without checksum must carry a zero CRC field, so a bit flip that sets the flag on a
 * checksummed block is still caught.
 */
export const HEADER_SIZE = 16;
export const HEADER_VERSION = 1;
export const MAGIC = Uint8Array.of(0x89, 0x46, 0x46, 0x5a);
/** Largest input a single block can hold (the length field is a uint32). */
export const MAX_BLOCK_BYTES = 0xffff_ffff;

const FLAG_NO_CHECKSUM = 1;

export const ALGORITHM_IDS = { none: 0, lz4: 1, brotli: 2 } as const;
export type HeaderAlgorithm = keyof typeof ALGORITHM_IDS;

const ALGORITHM_BY_ID: readonly HeaderAlgorithm[] = ['none', 'lz4', 'brotli'];

export interface BlockHeader {
  version: number;
  algorithm: HeaderAlgorithm;
  uncompressedLength: number;
}

/** True when `data` starts with the ffdb compression magic (cheap sniff, no length or checksum check). */
export function hasFfdbHeader(data: Uint8Array): boolean {
  return data[0] === MAGIC[0] && data[1] === MAGIC[1] && data[2] === MAGIC[2] && data[3] === MAGIC[3];
}

export function assertBlockSize(data: Uint8Array, field = 'data'): void {
  if (!(data instanceof Uint8Array)) {
    throw new FFValidationError([{ path: field, message: 'must be a Uint8Array' }]);
  }
  if (data.length > MAX_BLOCK_BYTES) {
    throw new FFValidationError([
      { path: field, message: `block larger than ${MAX_BLOCK_BYTES} bytes`, limit: MAX_BLOCK_BYTES },
    ]);
  }
}

/** Builds header + payload in one buffer. */
export function frameBlock(
  algorithm: HeaderAlgorithm,
  uncompressedLength: number,
  payload: Uint8Array,
  checksum = true,
): Uint8Array {
  // allocUnsafe: every byte is written below (reserved bytes explicitly), so skip the zero fill.
  const buf = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  const out = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[4] = HEADER_VERSION;
  out[5] = ALGORITHM_IDS[algorithm];
  out[6] = checksum ? 0 : FLAG_NO_CHECKSUM;
  out[7] = 0;
  view.setUint32(8, uncompressedLength, true);
  out.set(payload, HEADER_SIZE);
  view.setUint32(12, checksum ? checksumOf(out) : 0, true);
  return out;
}

function checksumOf(block: Uint8Array): number {
  const head = crc32(block.subarray(4, 12));
  return crc32(block.subarray(HEADER_SIZE), head) >>> 0;
}

/**
 * Parses and verifies a framed block. Throws FFCorruptionError (never a plain Error) when the magic,
 * version, algorithm or checksum is wrong (the checksum is not computed when the caller says it
 * `verified` the bytes itself). Returns the header and the payload view (no copy).
 */
export function readBlock(
  data: Uint8Array,
  key?: string,
  verified = false,
): { header: BlockHeader; payload: Uint8Array } {
  if (!(data instanceof Uint8Array)) {
    throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
  }
  const opts = key === undefined ? {} : { key };
  if (!hasFfdbHeader(data)) {
    throw new FFCorruptionError('Not an ffdb compressed block (missing or wrong magic bytes)', opts);
  }
  if (data.length < HEADER_SIZE) {
    throw new FFCorruptionError(
      `Truncated ffdb compressed block (${data.length} bytes, header needs ${HEADER_SIZE})`,
      opts,
    );
  }
  const version = data[4] ?? 0;
  if (version !== HEADER_VERSION) {
    throw new FFCorruptionError(`Unsupported ffdb compressed block version ${version}`, opts);
  }
  const algorithm = ALGORITHM_BY_ID[data[5] ?? 255];
  if (algorithm === undefined) {
    throw new FFCorruptionError(`Unknown compression algorithm id ${data[5]}`, opts);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stored = view.getUint32(12, true);
  const flags = data[6] ?? 0;
  if ((flags & ~FLAG_NO_CHECKSUM) !== 0 || data[7] !== 0) {
    throw new FFCorruptionError('Compressed block has unknown header flags', opts);
  }
  // `verified`: the caller checked these bytes against its own checksum (DecompressOptions).
  if (flags & FLAG_NO_CHECKSUM ? stored !== 0 : !verified && stored !== checksumOf(data)) {
    throw new FFCorruptionError('Compressed block failed its checksum', opts);
  }
  return {
    header: { version, algorithm, uncompressedLength: view.getUint32(8, true) },
    payload: data.subarray(HEADER_SIZE),
  };
}

/** Reads the header of a block without verifying its checksum (e.g. to pick a decompressor). */
export function peekHeader(data: Uint8Array): BlockHeader | undefined {
  if (!hasFfdbHeader(data) || data.length < HEADER_SIZE) return undefined;
  const algorithm = ALGORITHM_BY_ID[data[5] ?? 255];
  if (algorithm === undefined) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { version: data[4] ?? 0, algorithm, uncompressedLength: view.getUint32(8, true) };
}

/** Verifies that a decompressor produced exactly the length the header promised. */
export function assertLength(actual: number, header: BlockHeader, key?: string): void {
  if (actual !== header.uncompressedLength) {
    throw new FFCorruptionError(
      `Decompressed length ${actual} does not match the header's ${header.uncompressedLength}`,
      key === undefined ? {} : { key },
    );
  }
}

/** Wraps a decompressor failure (a native error on damaged input) into FFCorruptionError. */
export function corruption(what: string, cause: unknown, key?: string): FFCorruptionError {
  return new FFCorruptionError(
    `${what} failed to decompress`,
    key === undefined ? { cause } : { cause, key },
  );
}

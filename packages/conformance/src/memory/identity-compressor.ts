import { type Compressor, FFCorruptionError, FFValidationError } from '@ffdb/core-types';

/** `FFN1`: ffdb, no compression, header version 1. */
const MAGIC = [0x46, 0x46, 0x4e, 0x31] as const;
const HEADER_BYTES = 8; // magic + u32 payload length

/**
 * The `none` compressor: payload stored as is behind an 8-byte header (magic + length), so data not
 * produced by it, or cut short, is rejected instead of being passed on as if it were valid.
 */
export class IdentityCompressor implements Compressor {
  readonly id = 'none';
  readonly capabilities = { streaming: false };

  compress(data: Uint8Array): Uint8Array {
    if (!(data instanceof Uint8Array))
      throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
    const out = new Uint8Array(HEADER_BYTES + data.byteLength);
    out.set(MAGIC, 0);
    new DataView(out.buffer).setUint32(4, data.byteLength, false);
    out.set(data, HEADER_BYTES);
    return out;
  }

  decompress(data: Uint8Array): Uint8Array {
    if (!(data instanceof Uint8Array))
      throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
    if (data.byteLength < HEADER_BYTES || MAGIC.some((byte, i) => data[i] !== byte)) {
      throw new FFCorruptionError('not a block written by the none compressor (bad header)');
    }
    const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4, false);
    if (data.byteLength - HEADER_BYTES !== length) {
      throw new FFCorruptionError(
        `none-compressed block is ${data.byteLength - HEADER_BYTES} bytes, header says ${length}`,
      );
    }
    return data.slice(HEADER_BYTES);
  }
}

export function createIdentityCompressor(): IdentityCompressor {
  return new IdentityCompressor();
}

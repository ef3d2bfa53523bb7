import type { Codec, Compressor } from '@ffdb/core-types';

/** The default compressor: bytes unchanged. Sealed segments still get blocks, index and checksums. */
export class IdentityCompressor implements Compressor {
  readonly id = 'none';
  readonly capabilities = { streaming: false };
  compress(data: Uint8Array): Uint8Array {
    return data;
  }
  decompress(data: Uint8Array): Uint8Array {
    return data;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The default codec: a block is a JSON array of records. */
export class BuiltinJsonCodec implements Codec {
  readonly id = 'json';
  readonly capabilities = { binary: false };
  encode(records: readonly unknown[]): Uint8Array {
    return encoder.encode(JSON.stringify(records));
  }
  decode(data: Uint8Array): unknown[] {
    const value = JSON.parse(decoder.decode(data)) as unknown;
    if (!Array.isArray(value)) throw new Error('json block is not an array');
    return value;
  }
}

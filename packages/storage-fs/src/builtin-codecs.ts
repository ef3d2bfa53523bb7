import type { Codec, Compressor } from '@ffdb/core-types';

/**
 * The default compressor: bytes unchanged. Its id is `raw`, not `none`, because
 * `@ffdb/compression`'s `none` wraps blocks in a header: a footer must name the exact format.
 * Sealed segments still get blocks, an index and checksums.
 */
export class IdentityCompressor implements Compressor {
  readonly id = 'raw';
  readonly capabilities = { streaming: false };
  compress(data: Uint8Array): Uint8Array {
    return data;
  }
  decompress(data: Uint8Array): Uint8Array {
    return data;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The default codec, `json`: one JSON record per line (the same bytes as `@ffdb/compression`'s
 * JsonCodec, so either reads the other's blocks). Decoding also accepts a JSON array.
 */
export class BuiltinJsonCodec implements Codec {
  readonly id = 'json';
  readonly capabilities = { binary: false };
  encode(records: readonly unknown[]): Uint8Array {
    let text = '';
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    return Buffer.from(text, 'utf8');
  }
  decode(data: Uint8Array): unknown[] {
    const text = decoder.decode(data);
    if (text.startsWith('[')) {
      const value = JSON.parse(text) as unknown;
      if (!Array.isArray(value)) throw new Error('json block is not an array');
      return value;
    }
    if (text !== '' && !text.endsWith('\n')) throw new Error('json block is truncated');
    return text === ''
      ? []
      : text
          .slice(0, -1)
          .split('\n')
          .map((line) => JSON.parse(line) as unknown);
  }
}

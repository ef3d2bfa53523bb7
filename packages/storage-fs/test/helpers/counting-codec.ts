import { CborCodec } from '@ffdb/compression';
import type { Codec } from '@ffdb/core-types';

/**
 * The real cbor codec, counting which of its decoders the store calls. `withRange: false` leaves out
 * `decodeRange`, so the store decodes every block it reads whole.
 */
export function countingCbor({ withRange = true }: { withRange?: boolean } = {}) {
  const real = new CborCodec();
  const calls = { decode: 0, decodeRange: 0 };
  const codec: Codec = {
    id: real.id,
    capabilities: real.capabilities,
    encode: (records) => real.encode(records),
    decode: (data) => {
      calls.decode++;
      return real.decode(data);
    },
    ...(withRange
      ? {
          decodeRange: (data: Uint8Array, from: number, count: number) => {
            calls.decodeRange++;
            return real.decodeRange(data, from, count);
          },
        }
      : {}),
  };
  return { codec, calls };
}

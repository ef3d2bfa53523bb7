import zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, seed?: number) => number;

/** zlib.crc32 (native, Node >= 20.15); a table fallback keeps older runtimes working. */
const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

let table: Uint32Array | undefined;
function fallback(data: Uint8Array, seed = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++)
    crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 (IEEE 802.3, the zlib/gzip polynomial) of `data`, continuing from `seed`. */
export const crc32: Crc32 = native ? (data, seed = 0) => native(data, seed) >>> 0 : fallback;

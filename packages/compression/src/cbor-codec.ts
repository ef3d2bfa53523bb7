import type { Codec } from '@ffdb/core-types';
import { FFCorruptionError, FFValidationError, parseOrThrow } from '@ffdb/core-types';
import { Decoder, decode as decodePlain, Encoder, encode as encodePlain } from 'cbor-x';
import { z } from 'zod';
import { type ColumnarBlock, fromColumns, toColumns } from './columnar-layout.js';

function toColumnArray(block: ColumnarBlock): unknown[] {
  return [block.shapes, block.order, block.columns, block.others];
}

export const CborCodecOptionsSchema = z
  .object({
    format: z.literal('cbor').optional(),
    /**
     * Encode objects as cbor-x records (key lists written once per block, ~15 % smaller and ~2x faster
     * than plain CBOR maps). The key lists are stored in the block itself, so any process can decode it.
     */
    records: z.boolean().default(true),
    /**
     * Store the block column by column (all `content` values together, all timestamps together, …)
     * so the compressor finds longer matches: ~1 point smaller after lz4, ~1.3 after brotli on chat data.
     */
    columnar: z.boolean().default(true),
  })
  .strict();
export type CborCodecOptions = z.input<typeof CborCodecOptionsSchema>;

/**
 * Block layout:
 * ```
 *   0  4  magic 0x89 'F' 'C' 'B'
 *   4  1  version (1)
 *   5  1  flags: bit 0 = records (a structures table follows), bit 1 = columnar body
 *   6  2  reserved, zero
 *   8  4  byte length S of the structures table, uint32 LE (0 without records)
 *  12  S  structures table: plain CBOR array of key arrays
 * 12+S …  the body, encoded against that table: the records as one CBOR array, or with the columnar
 *         flag `[shapes, order, columns, others]` (see columnar-layout.ts)
 * ```
 * cbor-x's records need the encoder's and decoder's `structures` to agree. Sharing them per process
 * (the library's default pattern) breaks the moment a fresh process reads old data, so every block
 * gets a fresh encoder and carries its own table.
 */
const MAGIC = Uint8Array.of(0x89, 0x46, 0x43, 0x42);
const VERSION = 1;
const HEADER = 12;
const FLAG_RECORDS = 1;
const FLAG_COLUMNAR = 2;
const KNOWN_FLAGS = FLAG_RECORDS | FLAG_COLUMNAR;

export class CborCodec implements Codec {
  readonly id = 'cbor';
  readonly capabilities = { binary: true } as const;
  readonly records: boolean;
  readonly columnar: boolean;

  constructor(options: CborCodecOptions = {}) {
    const parsed = parseOrThrow(CborCodecOptionsSchema, options, 'codec');
    this.records = parsed.records;
    this.columnar = parsed.columnar;
  }

  encode(records: readonly unknown[]): Uint8Array {
    if (!Array.isArray(records))
      throw new FFValidationError([{ path: 'records', message: 'must be an array' }]);
    let table: Uint8Array = new Uint8Array(0);
    let body: Uint8Array;
    const value: unknown = this.columnar ? toColumnArray(toColumns(records)) : records;
    if (this.records) {
      const structures: string[][] = [];
      body = new Encoder({ structures, useRecords: true }).encode(value);
      // Copy to plain arrays: cbor-x hangs bookkeeping properties on the live table.
      table = encodePlain(structures.map((keys) => Array.from(keys, String)));
    } else {
      body = new Encoder({ useRecords: false }).encode(value);
    }
    const out = new Uint8Array(HEADER + table.length + body.length);
    out.set(MAGIC, 0);
    out[4] = VERSION;
    out[5] = (this.records ? FLAG_RECORDS : 0) | (this.columnar ? FLAG_COLUMNAR : 0);
    new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(8, table.length, true);
    out.set(table, HEADER);
    out.set(body, HEADER + table.length);
    return out;
  }

  decode(data: Uint8Array): unknown[] {
    if (!(data instanceof Uint8Array))
      throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
    if (data.length < HEADER || MAGIC.some((b, i) => data[i] !== b)) {
      throw new FFCorruptionError('Not an ffdb CBOR block (missing or wrong magic bytes)');
    }
    if (data[4] !== VERSION) throw new FFCorruptionError(`Unsupported ffdb CBOR block version ${data[4]}`);
    const tableLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(8, true);
    if (HEADER + tableLength > data.length) throw new FFCorruptionError('ffdb CBOR block is truncated');
    const flags = data[5] ?? 0;
    if ((flags & ~KNOWN_FLAGS) !== 0 || data[6] !== 0 || data[7] !== 0) {
      throw new FFCorruptionError('ffdb CBOR block has unknown flags');
    }
    const withRecords = (flags & FLAG_RECORDS) !== 0;
    let result: unknown;
    try {
      if (withRecords) {
        const structures = decodePlain(data.subarray(HEADER, HEADER + tableLength)) as unknown;
        if (!Array.isArray(structures) || !structures.every((s) => Array.isArray(s))) {
          throw new Error('structures table is not an array of key arrays');
        }
        result = new Decoder({ structures: structures as string[][], useRecords: true }).decode(
          data.subarray(HEADER + tableLength),
        );
      } else {
        result = new Decoder({ useRecords: false }).decode(data.subarray(HEADER + tableLength));
      }
      if (flags & FLAG_COLUMNAR) result = fromColumns(result);
    } catch (cause) {
      throw new FFCorruptionError('ffdb CBOR block failed to decode', { cause });
    }
    if (!Array.isArray(result))
      throw new FFCorruptionError('ffdb CBOR block does not hold an array of records');
    return result;
  }
}

export function createCborCodec(options: CborCodecOptions = {}): CborCodec {
  return new CborCodec(options);
}

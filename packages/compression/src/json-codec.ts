import type { Codec } from '@ffdb/core-types';
import { FFCorruptionError, FFValidationError, parseOrThrow } from '@ffdb/core-types';
import { z } from 'zod';
import { asUint8Array } from './bytes.js';

export const JsonCodecOptionsSchema = z
  .object({
    format: z.literal('json').optional(),
  })
  .strict();
export type JsonCodecOptions = z.input<typeof JsonCodecOptionsSchema>;

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON lines: one `JSON.stringify`d record per line, each ending in `\n`. What the active segment
 * and exports use, so a person can read the newest data with `tail`, `jq` or `grep`. JSON escapes
 * newlines inside strings, so a line is always exactly one record. Values JSON cannot represent
 * (Dates, typed arrays, undefined) follow JSON's rules; use the cbor codec to keep them.
 */
export class JsonCodec implements Codec {
  readonly id = 'json';
  readonly capabilities = { binary: false } as const;

  constructor(options: JsonCodecOptions = {}) {
    parseOrThrow(JsonCodecOptionsSchema, options, 'codec');
  }

  encode(records: readonly unknown[]): Uint8Array {
    if (!Array.isArray(records))
      throw new FFValidationError([{ path: 'records', message: 'must be an array' }]);
    let text = '';
    for (let i = 0; i < records.length; i++) {
      let line: string | undefined;
      try {
        line = JSON.stringify(records[i]);
      } catch (cause) {
        throw new FFValidationError([{ path: `records.${i}`, message: 'is not JSON-serialisable' }], {
          cause,
        });
      }
      if (line === undefined) {
        throw new FFValidationError([{ path: `records.${i}`, message: 'is not JSON-serialisable' }]);
      }
      text += `${line}\n`;
    }
    return asUint8Array(Buffer.from(text, 'utf8'));
  }

  decode(data: Uint8Array): unknown[] {
    if (!(data instanceof Uint8Array))
      throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
    let text: string;
    try {
      text = decoder.decode(data);
    } catch (cause) {
      throw new FFCorruptionError('JSON lines block is not valid UTF-8', { cause });
    }
    // A block always ends with a newline; a missing one means it was cut short.
    if (text !== '' && !text.endsWith('\n'))
      throw new FFCorruptionError('JSON lines block is truncated (no final newline)');
    const out: unknown[] = [];
    let line = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      line++;
      const raw = text.slice(start, end);
      start = end + 1;
      if (raw.trim() === '') continue;
      try {
        out.push(JSON.parse(raw));
      } catch (cause) {
        // Never echo the line: it is user content.
        throw new FFCorruptionError(`JSON lines block: line ${line} is not valid JSON`, { cause });
      }
    }
    return out;
  }
}

export function createJsonCodec(options: JsonCodecOptions = {}): JsonCodec {
  return new JsonCodec(options);
}

import { type Codec, FFCorruptionError, FFValidationError } from '@ffdb/core-types';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The `json` codec: one JSON document per line, UTF-8. JSON escapes newlines inside strings, so a
 * line break always ends a record. Self-contained by construction (nothing kept per process).
 */
export class JsonLinesCodec implements Codec {
  readonly id = 'json';
  readonly capabilities = { binary: false };

  encode(records: readonly unknown[]): Uint8Array {
    if (!Array.isArray(records))
      throw new FFValidationError([{ path: 'records', message: 'must be an array' }]);
    const lines = records.map((record, i) => {
      const line = record === undefined ? undefined : JSON.stringify(record);
      if (line === undefined)
        throw new FFValidationError([{ path: `records.${i}`, message: 'is not JSON-serialisable' }]);
      return line;
    });
    return encoder.encode(lines.length ? `${lines.join('\n')}\n` : '');
  }

  decode(data: Uint8Array): unknown[] {
    if (!(data instanceof Uint8Array))
      throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
    let text: string;
    try {
      text = decoder.decode(data);
    } catch (cause) {
      throw new FFCorruptionError('json block is not valid UTF-8', { cause });
    }
    if (text === '') return [];
    if (!text.endsWith('\n')) throw new FFCorruptionError('json block is truncated (no final newline)');
    const lines = text.slice(0, -1).split('\n');
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (cause) {
        throw new FFCorruptionError(`json block record ${i} does not parse`, { cause });
      }
    });
  }
}

export function createJsonLinesCodec(): JsonLinesCodec {
  return new JsonLinesCodec();
}

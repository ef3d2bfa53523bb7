/** JSON blobs through the storage port (profiles, session mirrors, document indexes, contexts). */
import type { Core } from './core.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value, null, 2));
}

/** Parsed JSON, or null when missing. A blob that does not parse is logged (key only) and reads as null. */
export async function readJson<T>(core: Core, key: string): Promise<T | null> {
  const bytes = await core.storage.read(key);
  if (!bytes) return null;
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch {
    core.logger.warn({ key }, 'unreadable JSON blob skipped');
    return null;
  }
}

export async function writeJson(core: Core, key: string, value: unknown): Promise<void> {
  await core.storage.write(key, encodeJson(value));
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

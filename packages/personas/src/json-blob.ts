import { FFCorruptionError, type StorageBackend } from '@ffdb/core-types';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function readJson(
  storage: StorageBackend,
  key: string,
): Promise<Record<string, unknown> | null> {
  const bytes = await storage.read(key);
  if (!bytes) return null;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new FFCorruptionError('stored JSON does not parse', { key, cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FFCorruptionError('stored JSON is not an object', { key });
  }
  return value as Record<string, unknown>;
}

/** Pretty-printed (2 spaces), like the original's files, so people can read them. */
export async function writeJson(storage: StorageBackend, key: string, value: unknown): Promise<void> {
  await storage.write(key, encoder.encode(JSON.stringify(value, null, 2)));
}

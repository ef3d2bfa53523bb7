import type { Codec, Compressor, JsonObject, StorageBackend } from '@ffdb/core-types';
import { createCodec, createCompressor } from '@ffdb/compression';

/**
 * ffdb's side of the storage benchmarks: `@ffdb/storage-fs` with `@ffdb/compression` adapters, built
 * the way the manager builds it. storage-fs is loaded dynamically so this harness compiles while that
 * package is still growing; a missing factory is reported as such.
 */
export interface FfdbStoreOptions {
  durability?: 'always' | 'batch' | 'none';
  compression?: 'lz4' | 'none';
  codec?: 'cbor' | 'json';
  /** Archival compressor used by `compact({ archive: true })`. */
  archive?: 'brotli' | 'none';
  brotliQuality?: number;
  extra?: Record<string, unknown>;
}

type CreateFsStorage = (options: Record<string, unknown>) => StorageBackend;

let factory: CreateFsStorage | undefined;

export async function loadFsStorageFactory(): Promise<CreateFsStorage> {
  if (factory) return factory;
  const mod = (await import('@ffdb/storage-fs')) as Record<string, unknown>;
  const create = mod.createFsStorage;
  if (typeof create !== 'function') throw new Error('@ffdb/storage-fs does not export createFsStorage yet');
  factory = create as CreateFsStorage;
  return factory;
}

export function ffdbAdapters(options: FfdbStoreOptions): {
  compressor: Compressor;
  archiveCompressor: Compressor;
  codec: Codec;
} {
  return {
    compressor: createCompressor({ algorithm: options.compression ?? 'lz4' }),
    archiveCompressor:
      (options.archive ?? 'brotli') === 'brotli'
        ? createCompressor(
            options.brotliQuality === undefined
              ? { algorithm: 'brotli' }
              : { algorithm: 'brotli', quality: options.brotliQuality },
          )
        : createCompressor({ algorithm: 'none' }),
    codec: createCodec({ format: options.codec ?? 'cbor' }),
  };
}

export async function openFfdb(basePath: string, options: FfdbStoreOptions = {}): Promise<StorageBackend> {
  const create = await loadFsStorageFactory();
  const store = create({
    basePath,
    durability: options.durability ?? 'always',
    ...ffdbAdapters(options),
    ...options.extra,
  });
  await store.open();
  return store;
}

/** The log holding one session's messages (the layout of DESIGN.md §2). */
export function sessionLog(sessionId: string, userId = 'bench_user'): string {
  return `users/${userId}/sessions/${sessionId}/messages`;
}

export function asRecords<T extends object>(messages: readonly T[]): JsonObject[] {
  return messages as unknown as JsonObject[];
}

/** Why ffdb's side cannot run (storage-fs not built or lacking its factory), or undefined when it can. */
export async function ffdbUnavailable(): Promise<string | undefined> {
  try {
    await loadFsStorageFactory();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

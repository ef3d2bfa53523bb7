/** The part of @ffdb/vector-faiss this folder uses, typed structurally (the package is optional). */
import type { Chunk, Embedder, Logger, StorageBackend, VectorIndex } from '@ffdb/core-types';

export interface VectorFaissModule {
  createFaissVectorIndex(options: {
    storage: StorageBackend;
    prefix?: string;
    indexType?: 'flat' | 'ivf' | 'hnsw' | 'auto';
    rebuildThreshold?: number;
    nprobe?: number;
    efSearch?: number;
    cacheMaxIndexes?: number;
    logger?: Logger;
  }): VectorIndex;
  createEmbedder(
    provider: string | undefined,
    config?: unknown,
    env?: Record<string, string | undefined>,
  ): Embedder;
  chunkText(
    text: string,
    strategy?: string,
    custom?: Record<string, unknown>,
    configured?: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  ): Chunk[];
  extractText(input: {
    filename: string;
    bytes: Uint8Array | string;
  }): Promise<{ text: string; format: string }>;
  HASHED_NGRAM_PROVIDER: string;
}

export function isVectorFaissModule(pkg: unknown): pkg is VectorFaissModule {
  const p = pkg as Partial<VectorFaissModule> | null;
  return (
    typeof p?.createFaissVectorIndex === 'function' &&
    typeof p.createEmbedder === 'function' &&
    typeof p.chunkText === 'function' &&
    typeof p.extractText === 'function'
  );
}

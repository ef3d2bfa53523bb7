import type { Clock, Logger } from './ports/common.js';
import type { Codec, Compressor } from './ports/codec.js';
import type { SearchIndex } from './ports/search.js';
import type { StorageBackend } from './ports/storage.js';
import type { Embedder, VectorIndex } from './ports/vector.js';

/** A DI token that remembers the type registered under it. */
export type Token<T> = symbol & { readonly __type?: T };

function token<T>(name: string): Token<T> {
  // Symbol.for: two copies of this package still agree on the tokens.
  return Symbol.for(`@ffdb/${name}`) as Token<T>;
}

export const TOKENS = {
  Config: token<import('./config/schema.js').FFConfig>('Config'),
  StorageBackend: token<StorageBackend>('StorageBackend'),
  Compressor: token<Compressor>('Compressor'),
  /** The archival tier (brotli) used by `compact --archive`. */
  ArchiveCompressor: token<Compressor>('ArchiveCompressor'),
  Codec: token<Codec>('Codec'),
  SearchIndex: token<SearchIndex>('SearchIndex'),
  VectorIndex: token<VectorIndex>('VectorIndex'),
  Embedder: token<Embedder>('Embedder'),
  Clock: token<Clock>('Clock'),
  Logger: token<Logger>('Logger'),
} as const;

export type TokenName = keyof typeof TOKENS;
/** The type registered under a token. */
export type TokenType<K extends TokenName> = (typeof TOKENS)[K] extends Token<infer T> ? T : never;

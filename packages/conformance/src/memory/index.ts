/** The reference adapters alone (no vitest import): `@ffdb/conformance/memory`. */
export * from './async-mutex.js';
export * from './brute-force-vector-index.js';
export * from './clocks.js';
export * from './hashing-test-embedder.js';
export * from './identity-compressor.js';
export * from './json-lines-codec.js';
export * from './memory-logger.js';
export * from './memory-search-index.js';
export * from './memory-storage-backend.js';

export * from './memory/index.js';
export * from './suites/codec-suite.js';
export * from './suites/compressor-suite.js';
export * from './suites/embedder-suite.js';
export * from './suites/helpers.js';
export * from './suites/search-index-suite.js';
export * from './suites/storage-suite.js';
export * from './suites/vector-index-suite.js';

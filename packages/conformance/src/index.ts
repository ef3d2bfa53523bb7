export * from './memory/async-mutex.js';
export * from './memory/memory-storage-backend.js';
export * from './suites/helpers.js';
export * from './suites/storage-suite.js';

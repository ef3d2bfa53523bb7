export * from './memory/async-mutex.js';
export * from './memory/memory-storage-backend.js';

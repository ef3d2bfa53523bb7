export * from './codec.js';
export * from './common.js';
export * from './search.js';
export * from './storage.js';
export * from './vector.js';

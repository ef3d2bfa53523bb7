export * from './corpus.js';
export * from './harness.js';
export * from './random.js';
export * from './stats.js';
export * from './table.js';

export * from './rules.js';
export * from './schema.js';

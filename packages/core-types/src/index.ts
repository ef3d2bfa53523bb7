export * from './entities/index.js';
export * from './errors.js';
export * from './ids.js';
export * from './keys.js';
export * from './ports/index.js';
export * from './tokens.js';
export * from './config/index.js';
export * from './text.js';

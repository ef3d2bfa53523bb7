/**
 * @ffdb/manager — FFStorageManager, the facade and composition root of ffdb.
 * Importing this module loads `reflect-metadata` (tsyringe needs it), so users need no setup line,
 * and re-exports everything of @ffdb/core-types (config, errors, schemas, TOKENS, createMessage, …).
 */
import 'reflect-metadata';

export * from '@ffdb/core-types';
export { createDefaultLogger, silentLogger } from './composition/logger.js';
export { REQUIRED_TOKENS } from './composition/container.js';
export type { ManagerOptions, Overrides } from './composition/container.js';
export { FFStorageManager, type OpenOptions, type RebuildSearchIndexOptions } from './manager.js';
export type { MessageStreamHandle } from './services/messages.js';
export type { ExportRecord } from './services/streaming.js';
export type { LongRunningOptions, ProgressCallback, ProgressInfo } from './services/progress.js';
export type { ContextSnapshotEntry } from './services/context.js';
export { BUNDLE_FORMAT, BUNDLE_VERSION, type ExportOptions, type ImportOptions } from './services/bundle.js';
export { FEATURE_PACKAGES } from './features/loader.js';
export type * from './features/types.js';
export { keys as storageKeys, type KeyLayout } from './keys.js';

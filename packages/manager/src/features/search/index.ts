/**
 * The search feature folder: adapts @ffdb/search-fts to the manager (see ../types.ts).
 * An index registered under TOKENS.SearchIndex (overrides) is used as is; otherwise a LunrSearchIndex
 * is created on the manager's storage and compressor, configured from `config.search`.
 */
import { type SearchIndex, TOKENS } from '@ffdb/core-types';
import type { FeatureContext } from '../types.js';
import { FtsSearchFeature } from './search-feature.js';
import { WorkerSearchIndex } from './worker-search-index.js';

export { WorkerSearchIndex } from './worker-search-index.js';

export { EntityExtractor, matchesEntities } from './entities.js';
export {
  FtsSearchFeature,
  matchesMetadata,
  type PanelMessageInput,
  type RebuildProgress,
  type RebuildReport,
} from './search-feature.js';

/** The part of @ffdb/search-fts this folder uses (typed structurally: the package is optional). */
interface SearchFtsModule {
  createLunrSearchIndex(options: Record<string, unknown>): SearchIndex;
}

function isSearchFtsModule(pkg: unknown): pkg is SearchFtsModule {
  return typeof (pkg as { createLunrSearchIndex?: unknown } | null)?.createLunrSearchIndex === 'function';
}

/** Algorithms the worker can rebuild from @ffdb/compression (segments must decode in both threads). */
const WORKER_COMPRESSORS = new Set(['lz4', 'brotli', 'gzip', 'none']);

export function createSearchFeature(ctx: FeatureContext, pkg: unknown): FtsSearchFeature {
  const registered = ctx.resolveOptional(TOKENS.SearchIndex);
  if (registered) return new FtsSearchFeature(ctx, registered, false);
  if (!isSearchFtsModule(pkg)) throw new TypeError('@ffdb/search-fts does not export createLunrSearchIndex');
  const search = ctx.config.search;
  const compressor = ctx.config.compression.enabled ? ctx.compressor : undefined;
  const indexOptions = {
    prefix: ctx.keys.featureRoot('search'),
    flushThreshold: search.flushThreshold,
    segmentCacheSize: search.segmentCacheSize,
    cacheMaxUsers: search.cacheMaxUsers,
    exactMatchBoost: search.relevanceBoostExactMatch,
  };
  const createLocal = (): SearchIndex =>
    pkg.createLunrSearchIndex({
      ...indexOptions,
      storage: ctx.storage,
      compressor,
      logger: ctx.logger,
      clock: ctx.clock,
    });
  // The worker builds its own compressor by algorithm id; a custom compressor keeps indexing in-thread.
  const inWorker = ctx.searchWorker !== false && (!compressor || WORKER_COMPRESSORS.has(compressor.id));
  if (!inWorker) return new FtsSearchFeature(ctx, createLocal(), true);
  let feature: FtsSearchFeature | null = null;
  const index = new WorkerSearchIndex({
    storage: ctx.storage,
    logger: ctx.logger,
    indexOptions,
    compression: compressor?.id,
    createLocal,
    activity: ctx.activity,
    onRestart: () => feature?.resetCatchUp(),
  });
  feature = new FtsSearchFeature(ctx, index, true);
  return feature;
}

/**
 * The vectors feature folder: adapts @ffdb/vector-faiss to the manager (see ../types.ts).
 * A VectorIndex registered under TOKENS.VectorIndex (overrides) is used as is, and an Embedder under
 * TOKENS.Embedder becomes the default embedder; otherwise a FaissVectorIndex is created on the manager's
 * storage under `features/vectors/<userId>/`, configured from `config.vector`.
 */
import { TOKENS } from '@ffdb/core-types';
import type { FeatureContext } from '../types.js';
import { FaissVectorFeature } from './vector-feature.js';
import { isVectorFaissModule } from './vector-module.js';

export { FaissVectorFeature, HASHED_NGRAM_DEFAULT_THRESHOLD } from './vector-feature.js';
export { fuse, RRF_K } from './hybrid-fusion.js';

export function createVectorFeature(ctx: FeatureContext, pkg: unknown): FaissVectorFeature {
  if (!isVectorFaissModule(pkg))
    throw new TypeError('@ffdb/vector-faiss does not export the expected factories');
  const v = ctx.config.vector;
  const registered = ctx.resolveOptional(TOKENS.VectorIndex);
  const embedder = ctx.resolveOptional(TOKENS.Embedder);
  const index =
    registered ??
    pkg.createFaissVectorIndex({
      storage: ctx.storage,
      prefix: ctx.keys.featureRoot('vectors'),
      indexType: v.indexType,
      rebuildThreshold: v.indexRebuildThreshold,
      nprobe: v.nprobe,
      efSearch: v.efSearch,
      cacheMaxIndexes: v.cacheMaxIndexes,
      logger: ctx.logger,
    });
  return new FaissVectorFeature(ctx, pkg, index, registered === undefined, embedder);
}

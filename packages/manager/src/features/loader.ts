/**
 * Loads the optional feature packages. Each feature = an optional peer package + a folder module in
 * this package that adapts it to the manager (see ./types.ts). Nothing is imported until `loadFeature`
 * runs, so @ffdb/manager works with only core-types, storage-fs and compression installed.
 */
import { FFConfigError, type Logger, TOKENS } from '@ffdb/core-types';
import type { FeatureContext, FeatureMap, FeatureName } from './types.js';

export const FEATURE_PACKAGES: Record<FeatureName, string> = {
  search: '@ffdb/search-fts',
  vectors: '@ffdb/vector-faiss',
  personas: '@ffdb/personas',
};

const FEATURE_FACTORIES: Record<FeatureName, string> = {
  search: 'createSearchFeature',
  vectors: 'createVectorFeature',
  personas: 'createPersonaFeature',
};

/** Why a feature is not available. */
export interface FeatureUnavailable {
  reason: 'package-missing' | 'module-missing' | 'disabled' | 'failed';
  error?: unknown;
}

export function packageMissingError(name: FeatureName, method?: string, cause?: unknown): FFConfigError {
  const pkg = FEATURE_PACKAGES[name];
  return new FFConfigError(
    `${method ? `${method}() needs` : 'This feature needs'} the optional package ${pkg}, which is not installed: run \`npm install ${pkg}\``,
    { code: 'FF_PACKAGE_MISSING', cause },
  );
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  const msg = typeof e.message === 'string' ? e.message : '';
  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') {
    // Only "this package is missing", not "a dependency of it is missing" (that is a real failure).
    // Node quotes the missing name: "Cannot find package '@ffdb/search-fts' imported from …"; a missing
    // dependency of an installed package names that dependency instead (and only mentions ours in a path).
    return msg.includes(`'${specifier}'`) || msg.includes(`"${specifier}"`);
  }
  // vite's resolver (tests) reports a missing package with its own wording.
  return /Failed to (load|resolve)/.test(msg) && msg.includes(specifier);
}

// Specifiers are kept in variables so bundlers and tsc do not require the optional packages.
async function importOptional(specifier: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  } catch (error) {
    if (isModuleNotFound(error, specifier)) return null;
    throw error;
  }
}

const FOLDER_MODULES: Record<FeatureName, string> = {
  search: './search/index.js',
  vectors: './vectors/index.js',
  personas: './personas/index.js',
};

async function importFolderModule(name: FeatureName): Promise<Record<string, unknown> | null> {
  const rel = FOLDER_MODULES[name];
  try {
    return (await import(/* @vite-ignore */ new URL(rel, import.meta.url).href)) as Record<string, unknown>;
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    const msg = typeof e?.message === 'string' ? e.message : '';
    if (e?.code === 'ERR_MODULE_NOT_FOUND' || /Failed to load|Cannot find module|does not exist/.test(msg)) {
      // The .js URL does not exist when running from TypeScript sources (tests): try the .ts twin.
      if (rel.endsWith('.js')) {
        try {
          return (await import(
            /* @vite-ignore */ new URL(rel.replace(/\.js$/, '.ts'), import.meta.url).href
          )) as Record<string, unknown>;
        } catch {
          return null;
        }
      }
      return null;
    }
    throw error;
  }
}

/**
 * Loads one feature: imports its package, then its folder module, then calls the factory.
 * Resolves to the feature, or to why it is unavailable (never throws for "not installed").
 */
export async function loadFeature<N extends FeatureName>(
  name: N,
  ctx: FeatureContext,
  logger: Logger,
): Promise<FeatureMap[N] | FeatureUnavailable> {
  const pkg = await importOptional(FEATURE_PACKAGES[name]);
  // Search runs on a caller's own SearchIndex (TOKENS.SearchIndex) without @ffdb/search-fts, which
  // only supplies the default index. Vectors still need @ffdb/vector-faiss for chunking and text
  // extraction, whatever index and embedder are registered.
  const ownAdapter = name === 'search' && ctx.resolveOptional(TOKENS.SearchIndex) !== undefined;
  if (!pkg && !ownAdapter) return { reason: 'package-missing' };
  const folder = await importFolderModule(name);
  const factory = folder?.[FEATURE_FACTORIES[name]];
  if (typeof factory !== 'function') {
    logger.debug({ feature: name }, 'feature module not available yet');
    return { reason: 'module-missing' };
  }
  try {
    const feature = (await factory(ctx, pkg)) as FeatureMap[N];
    return feature;
  } catch (error) {
    logger.error({ feature: name, err: describeError(error) }, 'feature failed to load');
    return { reason: 'failed', error };
  }
}

export function isUnavailable(value: unknown): value is FeatureUnavailable {
  return typeof value === 'object' && value !== null && 'reason' in value && !('open' in value);
}

/** An error summary safe for logs (code and message only; messages never carry content). */
export function describeError(error: unknown): { code?: unknown; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return { code: e?.code, message: typeof e?.message === 'string' ? e.message : String(error) };
}

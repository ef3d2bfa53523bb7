/**
 * The composition root. Each FFStorageManager builds its own tsyringe child container (of the caller's
 * container, or of tsyringe's root — nothing is ever registered in the root), registers adapter
 * *instances* under TOKENS, checks that every required token is present, and closes what it created in
 * reverse order. Overrides (`{ [TOKENS.StorageBackend]: myBackend }`, or a caller's child container with
 * registrations) win over the defaults.
 */
import {
  type Clock,
  type Codec,
  type Compressor,
  type FFConfig,
  FFConfigError,
  type Lifecycle,
  type Logger,
  type StorageBackend,
  type Token,
  TOKENS,
} from '@ffdb/core-types';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { createDefaultLogger } from './logger.js';

/** `overrides` keys: a token symbol, or its name in TOKENS (`'StorageBackend'`). */
export type Overrides = { [token: symbol]: unknown } & Partial<Record<keyof typeof TOKENS, unknown>>;

export interface ManagerOptions {
  /** A tsyringe container whose registrations (by TOKENS) are used; the manager makes a child of it. */
  container?: DependencyContainer;
  /** Adapter instances by token; they win over the container and the defaults. */
  overrides?: Overrides;
  /**
   * Which optional features to load when their package is installed (default: all). A disabled feature
   * behaves like a missing package.
   */
  features?: Partial<Record<'search' | 'vectors' | 'personas', boolean>>;
  /**
   * Run the full-text index (tokenising, stemming, segment building) in a worker thread, off the request
   * thread (default true). Searches still see every write acknowledged before them. `false` indexes on
   * the manager's thread (as before 0.2).
   */
  searchWorker?: boolean;
  /**
   * Create default adapters (storage-fs, lz4, brotli, cbor) for tokens nobody registered (default true).
   * With `false`, every required token must come from `overrides` or `container`.
   */
  defaults?: boolean;
  /** Calls taking at least this long are logged at debug level with their timing (default 100 ms). */
  slowOperationMs?: number;
  /**
   * How long `initialize()` waits for the storage to open (and pass its health check) before it gives
   * up and resolves false (default 60 000 ms; 0 = no limit). A backstop: unusable base paths are
   * normally refused at once.
   */
  openTimeoutMs?: number;
}

/** Tokens the manager cannot work without. */
export const REQUIRED_TOKENS = [
  'Config',
  'StorageBackend',
  'Compressor',
  'ArchiveCompressor',
  'Codec',
  'Clock',
  'Logger',
] as const;

const systemClock: Clock = { now: () => new Date() };

export interface Composition {
  container: DependencyContainer;
  /** Adapters this manager created (closed by it in reverse order). */
  created: { name: string; adapter: Partial<Lifecycle> }[];
}

export function overrideEntries(overrides: Overrides | undefined): [symbol, unknown][] {
  if (!overrides) return [];
  const out: [symbol, unknown][] = [];
  for (const sym of Object.getOwnPropertySymbols(overrides))
    out.push([sym, (overrides as Record<symbol, unknown>)[sym]]);
  for (const [name, value] of Object.entries(overrides)) {
    const token = (TOKENS as Record<string, symbol>)[name];
    if (!token)
      throw new FFConfigError(`Unknown override ${JSON.stringify(name)}: use a TOKENS key or symbol`);
    out.push([token, value]);
  }
  return out;
}

/** Synchronous part: config, clock, logger and overrides are registered at construction. */
export function createComposition(config: FFConfig, options: ManagerOptions): Composition {
  const parent = options.container ?? rootContainer;
  const container = parent.createChildContainer();
  const created: Composition['created'] = [];
  for (const [token, value] of overrideEntries(options.overrides)) {
    if (value === undefined || value === null) continue;
    container.register(token as never, { useValue: value });
  }
  // The validated, complete configuration (a Config override was read into it by the manager).
  container.register(TOKENS.Config, { useValue: config });
  if (!container.isRegistered(TOKENS.Clock, true))
    container.register(TOKENS.Clock, { useValue: systemClock });
  if (!container.isRegistered(TOKENS.Logger, true)) {
    container.register(TOKENS.Logger, { useValue: createDefaultLogger(config) });
  }
  return { container, created };
}

/** Algorithms of @ffdb/compression whose block CRC can be turned off (`checksum: false`). */
const CRC_OPTIONAL = new Set(['lz4', 'brotli']);

type StorageFsModule = {
  createFsStorage: (options: Record<string, unknown>) => StorageBackend;
  fsStorageOptionsFromConfig?: (config: FFConfig, extra?: Record<string, unknown>) => Record<string, unknown>;
};
type CompressionModule = {
  createCompressor: (options: { algorithm: string; checksum?: boolean }) => Compressor;
  createCodec: (options: { format: string }) => Codec;
};

/**
 * Asynchronous part (initialize): default compression and storage adapters for the tokens that have
 * no registration, then the required-token check.
 */
export async function registerDefaults(comp: Composition, config: FFConfig, enabled = true): Promise<void> {
  const { container } = comp;
  if (!enabled) {
    checkRequired(container);
    return;
  }
  const has = (t: symbol) => container.isRegistered(t as never, true);
  const needCompression = !has(TOKENS.Compressor) || !has(TOKENS.ArchiveCompressor) || !has(TOKENS.Codec);
  /** Default compressors for storage-fs without the block CRC (see below); null = use the token's. */
  let fsCompressor: Compressor | null = null;
  let fsArchiveCompressor: Compressor | null = null;
  if (needCompression || !has(TOKENS.StorageBackend)) {
    const compression = (await import('@ffdb/compression')) as unknown as CompressionModule;
    // storage-fs checksums every sealed block itself (CRC-32 over the same compressed bytes, checked
    // before decompressing), so the compressor's own CRC is redundant work there. Other users of the
    // token (the search index's segments) keep it. Blocks written either way stay readable.
    const forFs = (algorithm: string): Compressor | null =>
      CRC_OPTIONAL.has(algorithm) ? compression.createCompressor({ algorithm, checksum: false }) : null;
    if (!has(TOKENS.Compressor)) {
      const algorithm = config.compression.enabled ? config.compression.algorithm : 'none';
      container.register(TOKENS.Compressor, { useValue: compression.createCompressor({ algorithm }) });
      fsCompressor = forFs(algorithm);
    }
    if (!has(TOKENS.ArchiveCompressor)) {
      const algorithm = config.compression.enabled ? config.compression.archiveAlgorithm : 'none';
      container.register(TOKENS.ArchiveCompressor, { useValue: compression.createCompressor({ algorithm }) });
      fsArchiveCompressor = forFs(algorithm);
    }
    if (!has(TOKENS.Codec))
      container.register(TOKENS.Codec, { useValue: compression.createCodec({ format: 'cbor' }) });
  }
  if (!has(TOKENS.StorageBackend)) {
    const fsMod = (await import('@ffdb/storage-fs')) as unknown as StorageFsModule;
    const extra = {
      compressor: fsCompressor ?? resolve(container, TOKENS.Compressor),
      archiveCompressor: fsArchiveCompressor ?? resolve(container, TOKENS.ArchiveCompressor),
      codec: resolve(container, TOKENS.Codec),
      logger: resolve(container, TOKENS.Logger).child({ component: 'storage-fs' }),
      clock: resolve(container, TOKENS.Clock),
    };
    const options = fsMod.fsStorageOptionsFromConfig
      ? fsMod.fsStorageOptionsFromConfig(config, extra)
      : {
          basePath: config.storage.basePath,
          durability: config.storage.durability,
          lockTimeoutMs: Math.round(config.locking.timeoutSeconds * 1000),
          ...extra,
        };
    const storage = fsMod.createFsStorage(options);
    container.register(TOKENS.StorageBackend, { useValue: storage });
    comp.created.push({ name: 'storage', adapter: storage });
  }
  checkRequired(container);
}

export function checkRequired(container: DependencyContainer): void {
  const missing = REQUIRED_TOKENS.filter((name) => !container.isRegistered(TOKENS[name] as never, true));
  if (missing.length) {
    throw new FFConfigError(
      `No adapter registered for required token(s) ${missing.map((n) => `TOKENS.${n}`).join(', ')}`,
      {
        code: 'FF_CONFIG_MISSING_TOKEN',
        issues: missing.map((n) => ({ path: `TOKENS.${n}`, message: 'no adapter registered' })),
      },
    );
  }
}

export function resolve<T>(container: DependencyContainer, token: Token<T>): T {
  return container.resolve(token as never) as T;
}

export function resolveOptional<T>(container: DependencyContainer, token: Token<T>): T | undefined {
  return container.isRegistered(token as never, true) ? (container.resolve(token as never) as T) : undefined;
}

export type { Logger };

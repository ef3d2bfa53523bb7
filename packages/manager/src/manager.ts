/**
 * FFStorageManager: the facade users program against (API.md §3) and the composition root.
 * Each method validates its arguments and delegates to a service (./services) or to an optional
 * feature (./features). Search, vectors and personas methods are one-line delegations to the feature
 * seam, so the engineers of those packages never edit this class.
 */
import {
  type Chunk,
  type Clock,
  type ConversationAnalysis,
  createMessage,
  type DocumentRecord,
  type DocumentStats,
  FFConfigError,
  type FFConfig,
  FFConfigSchema,
  type FFError,
  FFLockTimeoutError,
  FFStorageError,
  FFValidationError,
  type FFConfigInput,
  issuesFromZod,
  loadConfig,
  type Logger,
  type Message,
  type MessageInput,
  type Panel,
  type PanelInsight,
  type PanelMessage,
  type PanelStats,
  type Persona,
  type ProcessingResult,
  type SearchQuery,
  SafeIdSchema,
  SearchQuerySchema,
  type SearchResult,
  type Session,
  type SessionStats,
  type SituationalContext,
  type StorageBackend,
  type StorageErrorCode,
  type StorageStats,
  type Token,
  TOKENS,
  type UserAnalytics,
  type UserProfile,
  type UserStats,
  type VerifyReport,
} from '@ffdb/core-types';
import type { DependencyContainer } from 'tsyringe';
import { z } from 'zod';
import {
  type Composition,
  createComposition,
  type ManagerOptions,
  overrideEntries,
  registerDefaults,
  resolve,
  resolveOptional,
} from './composition/container.js';
import { checkBasePath } from './base-path-guard.js';
import { KeyedGate } from './keyed-gate.js';
import { type Core, HookDispatcher } from './core.js';
import { describeError, isUnavailable, loadFeature, packageMissingError } from './features/loader.js';
import type {
  DocumentSearchHit,
  FeatureContext,
  FeatureHooks,
  FeatureMap,
  FeatureName,
  HybridSearchOptions,
  PersonaFeature,
  ProcessDocumentOptions,
  SearchFeature,
  SearchRebuildProgress,
  SearchRebuildReport,
  StoredMessage,
  VectorFeature,
  VectorRebuildReport,
} from './features/types.js';
import { ForegroundActivity } from './activity.js';
import { DEFAULT_SLOW_OPERATION_MS, instrumentAsyncMethods } from './instrumentation.js';
import { keys } from './keys.js';
import { BundleService, type ExportOptions, type ImportOptions } from './services/bundle.js';
import { type ContextSnapshotEntry, ContextService } from './services/context.js';
import { DocumentService } from './services/documents.js';
import { MaintenanceService } from './services/maintenance.js';
import { hasOwnId, type MessageStreamHandle, MessageService } from './services/messages.js';
import type { PythonImportOptions, PythonImportReport } from './import-python/index.js';
import { PythonImportService } from './import-python/service.js';
import { SessionIndex } from './services/session-index.js';
import { SessionService } from './services/sessions.js';
import { StatsService } from './services/stats.js';
import { type ExportRecord, StreamingService } from './services/streaming.js';
import { type LongRunningOptions, ProgressTracker, longRunningFields } from './services/progress.js';
import { UserService } from './services/users.js';
import { assertSessionId, assertUserId, parseOptions } from './validation.js';
import { byRelevanceThenRecency } from './result-order.js';

const RebuildOptions = z.object({
  onProgress: z
    .custom<(progress: SearchRebuildProgress) => void>((v) => typeof v === 'function', {
      message: 'must be a function',
    })
    .optional(),
});

const VectorRebuildOptions = z.object({ ...longRunningFields });

export interface RebuildSearchIndexOptions {
  onProgress?: (progress: SearchRebuildProgress) => void;
}

const PanelSearchOptions = z.object({
  panelIds: z.array(SafeIdSchema).optional(),
  limit: z.number().int().positive().optional(),
});

export type { ManagerOptions } from './composition/container.js';
export type { MessageStreamHandle } from './services/messages.js';
export type { ExportRecord } from './services/streaming.js';

const FEATURE_ORDER: FeatureName[] = ['search', 'vectors', 'personas'];

/** The configuration registered under TOKENS.Config by `overrides` or the caller's container, if any. */
function configFromContainer(options: ManagerOptions): FFConfig | FFConfigInput | undefined {
  for (const [token, value] of overrideEntries(options.overrides))
    if (token === TOKENS.Config && value !== undefined && value !== null) return value as FFConfigInput;
  if (options.container?.isRegistered(TOKENS.Config, true))
    return options.container.resolve<FFConfigInput>(TOKENS.Config);
  return undefined;
}

/** A complete configuration from a loadConfig() result or any partial input (defaults fill the rest). */
function resolveConfig(input: FFConfig | FFConfigInput | undefined): FFConfig {
  if (input === undefined) return loadConfig();
  const parsed = FFConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new FFConfigError('Invalid configuration', { issues: issuesFromZod(parsed.error) });
  return parsed.data;
}

export type OpenOptions = ManagerOptions & { config?: FFConfig | FFConfigInput };

/** Keys that mark `open()`'s argument as options rather than a configuration. */
const OPEN_OPTION_KEYS = [
  'config',
  'overrides',
  'container',
  'features',
  'searchWorker',
  'defaults',
  'slowOperationMs',
  'openTimeoutMs',
];

/** Default bound on opening the storage in initialize() (ManagerOptions.openTimeoutMs). */
export const DEFAULT_OPEN_TIMEOUT_MS = 60_000;

export class FFStorageManager {
  /** The configuration in use (complete, validated). */
  readonly config: FFConfig;
  private readonly comp: Composition;
  private readonly options: ManagerOptions;
  private readonly logger: Logger;
  /** Calls at least this slow are logged at debug level with their timing (see instrumentation.ts). */
  readonly slowOperationMs: number;
  private core!: Core;
  private initPromise: Promise<boolean> | null = null;
  private initialized = false;
  private closed = false;
  private readonly features = new Map<FeatureName, FeatureMap[FeatureName]>();
  /** createSession (shared) against deleteUser (exclusive), per user id, in this process. */
  private readonly userGate = new KeyedGate();
  private readonly unavailable = new Map<FeatureName, string>();
  /** What a feature that failed to start threw (FF_FEATURE_FAILED's cause, healthCheck's warning). */
  private readonly featureFailures = new Map<FeatureName, unknown>();
  private services!: {
    users: UserService;
    sessions: SessionService;
    messages: MessageService;
    documents: DocumentService;
    context: ContextService;
    streaming: StreamingService;
    stats: StatsService;
    maintenance: MaintenanceService;
    bundle: BundleService;
    python: PythonImportService;
  };

  constructor(config?: FFConfig | FFConfigInput, options: ManagerOptions = {}) {
    // TOKENS.Config in `overrides` (or the caller's container) is the configuration, as any token
    // replaces its default; it is validated like a config argument.
    this.config = resolveConfig(configFromContainer(options) ?? config);
    this.options = options;
    this.comp = createComposition(this.config, options);
    this.logger = resolve(this.comp.container, TOKENS.Logger);
    this.slowOperationMs = options.slowOperationMs ?? DEFAULT_SLOW_OPERATION_MS;
  }

  /** @internal facade calls in flight, for instrumentation and the features' background work. */
  readonly activity = new ForegroundActivity();

  /** @internal the logger, for instrumentation. */
  get log(): Logger {
    return this.logger;
  }

  /** Construct and initialize; throws FFStorageError when the store cannot be opened. */
  static async open(configOrOptions?: FFConfig | FFConfigInput | OpenOptions): Promise<FFStorageManager> {
    let config: FFConfig | FFConfigInput | undefined = configOrOptions as FFConfig | undefined;
    let options: ManagerOptions = {};
    if (
      configOrOptions &&
      typeof configOrOptions === 'object' &&
      OPEN_OPTION_KEYS.some((k) => k in configOrOptions)
    ) {
      const { config: c, ...rest } = configOrOptions as OpenOptions;
      config = c;
      options = rest;
    }
    const manager = new FFStorageManager(config, options);
    if (!(await manager.initialize())) throw manager.openFailure();
    return manager;
  }

  /** Why initialize() failed, as the error open() and every later call throw. */
  private openFailure(): FFError {
    const failure = this.lastInitError;
    // initialize()'s own refusals (unusable base path, open timeout) already say what and where.
    if (failure instanceof FFStorageError && failure.operation === 'initialize') return failure;
    // Another process held the store's lock past locking.timeoutSeconds: API.md's lock timeout,
    // not an unusable base path (trying again later can succeed).
    if (FFLockTimeoutError.isInstance(failure)) return failure;
    const reason = failure ? `: ${describeError(failure).message}` : '';
    // A backend the caller supplied may not use the base path at all: do not name it.
    if (this.callersStorage) {
      return new FFStorageError('initialize', undefined, `the storage backend could not be opened${reason}`, {
        cause: failure,
      });
    }
    return new FFStorageError(
      'initialize',
      this.config.storage.basePath,
      `the store could not be opened${reason}`,
      {
        // The backend's own code when it gave one (FF_FORMAT_TOO_NEW, …); a bare OS failure
        // (ENOENT, ENOTDIR, …) means the base path is unusable.
        code: storageCodeOf(failure) ?? 'FF_STORAGE_MISSING_BASE',
        cause: failure,
      },
    );
  }

  /** The base path from the configuration, as given (not resolved). */
  get basePath(): string {
    return this.config.storage.basePath;
  }

  /** This manager's own tsyringe child container. */
  get container(): DependencyContainer {
    return this.comp.container;
  }

  /** The storage backend in use (after initialize). */
  get storage(): StorageBackend {
    return this.core.storage;
  }

  /** The error that made initialize() return false, if any. */
  lastInitError: unknown = undefined;
  /** The StorageBackend came from the caller (an override or their container), not from the defaults. */
  private callersStorage = false;

  // ============================================================================================ lifecycle

  /** Idempotent. True on success, false when the store is unusable (e.g. the base path cannot be created). */
  initialize(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!this.initPromise) this.initPromise = this.doInitialize();
    return this.initPromise;
  }

  private async doInitialize(): Promise<boolean> {
    const { container } = this.comp;
    // Wiring problems (a missing token, an unknown override) are programming errors: they throw.
    await registerDefaults(this.comp, this.config, this.options.defaults !== false);
    const resolved = resolve(container, TOKENS.StorageBackend);
    this.callersStorage = !this.comp.created.some((c) => c.adapter === resolved);
    const storage = withPortNames(resolved);
    assertStorageShape(storage);
    try {
      // The default file storage gets the base path checked first: on a pseudo-filesystem (/proc) its
      // recursive mkdir would never settle. A backend supplied by the caller may not use the path at all.
      if (!this.callersStorage) {
        const refused = await checkBasePath(this.config.storage.basePath);
        if (refused) throw refused;
      }
      await this.openStorageBounded(storage);
    } catch (error) {
      this.lastInitError = error;
      this.logger.error(
        { basePath: this.config.storage.basePath, err: describeError(error) },
        'initialize failed',
      );
      this.initPromise = null; // a later call may retry (e.g. after fixing permissions)
      return false;
    }
    const clock: Clock = resolve(container, TOKENS.Clock);
    const hooks = new HookDispatcher(this.logger);
    this.core = {
      config: this.config,
      storage,
      clock,
      logger: this.logger,
      index: new SessionIndex(storage, (error) =>
        this.logger.warn({ err: describeError(error) }, 'session activity could not be recorded'),
      ),
      hooks,
      now: () => clock.now().toISOString(),
    };
    const users = new UserService(this.core);
    const sessions = new SessionService(this.core, users);
    const messages = new MessageService(this.core);
    const documents = new DocumentService(this.core);
    const context = new ContextService(this.core, messages);
    const streaming = new StreamingService(this.core, users, sessions, messages, documents, context);
    const featureList = () =>
      [...this.features.entries()].map(([name, feature]) => ({ name, feature: feature as FeatureHooks }));
    const stats = new StatsService(this.core, {
      users,
      sessions,
      messages,
      documents,
      context,
      vectors: () => (this.features.get('vectors') as VectorFeature | undefined) ?? null,
      features: featureList,
    });
    const maintenance = new MaintenanceService(this.core, {
      users,
      sessions,
      documents,
      features: featureList,
    });
    const bundle = new BundleService(this.core, {
      users,
      sessions,
      messages,
      documents,
      context,
      streaming,
      personas: () => (this.features.get('personas') as PersonaFeature | undefined) ?? null,
      vectors: () => (this.features.get('vectors') as VectorFeature | undefined) ?? null,
    });
    const python = new PythonImportService(this.core, { users, sessions, messages, documents, context });
    this.services = {
      users,
      sessions,
      messages,
      documents,
      context,
      streaming,
      stats,
      maintenance,
      bundle,
      python,
    };
    await this.loadFeatures();
    this.initialized = true;
    return true;
  }

  /**
   * Opens the storage and runs its health check within `openTimeoutMs`. On timeout the open is left to
   * finish in the background and the storage is closed when it does (this manager gave up on it).
   */
  private async openStorageBounded(storage: StorageBackend): Promise<void> {
    const basePath = this.config.storage.basePath;
    const opening = (async () => {
      await storage.open();
      const health = await storage.healthCheck().catch(() => null);
      if (health && health.healthy === false && health.canWrite === false) {
        throw new FFStorageError('initialize', basePath, 'the base path is not writable');
      }
    })();
    const limit = this.options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
    if (!(limit > 0) || !Number.isFinite(limit)) return opening;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limit);
      timer.unref?.();
    });
    try {
      if ((await Promise.race([opening, timedOut])) !== 'timeout') return;
    } finally {
      clearTimeout(timer);
    }
    opening.then(
      () =>
        storage
          .close()
          .catch((error) =>
            this.logger.warn({ err: describeError(error) }, 'closing a storage that opened too late failed'),
          ),
      () => undefined,
    );
    throw new FFStorageError('initialize', basePath, `the storage did not open within ${limit} ms`);
  }

  private featureContext(name: FeatureName): FeatureContext {
    const s = this.services;
    const container = this.comp.container;
    return {
      config: this.config,
      storage: this.core.storage,
      compressor: resolve(container, TOKENS.Compressor),
      archiveCompressor: resolve(container, TOKENS.ArchiveCompressor),
      codec: resolve(container, TOKENS.Codec),
      clock: this.core.clock,
      logger: this.logger.child({ feature: name }),
      keys,
      resolveOptional: <T>(token: Token<T>) => resolveOptional(container, token),
      getFeature: (async (n: FeatureName) =>
        (this.features.get(n) as never) ?? null) as FeatureContext['getFeature'],
      listUserIds: () => s.users.list(),
      listSessions: (u) => s.sessions.list(u),
      getSession: (u, sid) => s.sessions.get(u, sid),
      existingSessions: (u, ids) => this.core.index.existing(u, ids),
      userIncarnation: (u) => this.core.index.incarnation(u),
      readMessages: (u, sid, o = {}) => s.messages.read(u, sid, o),
      countMessages: (u, sid) => s.messages.count(u, sid),
      sessionLogLengths: async (u) => {
        const counts = await this.core.index.allMessageCounts(u, (sid) => s.messages.count(u, sid));
        const revs = await this.core.index.revs(u);
        return new Map(
          [...counts].map(([sid, messages]) => {
            const r = revs.get(sid);
            return [
              sid,
              {
                messages,
                ...(r?.d !== undefined ? { documents: r.d } : {}),
                ...(r?.c !== undefined ? { contexts: r.c } : {}),
              },
            ];
          }),
        );
      },
      messagesLogKey: (u, sid) => keys.messagesLog(u, sid),
      listDocuments: (u, sid) => s.documents.list(u, sid),
      documentsLogKey: (u, sid) => keys.documentsIndex(u, sid),
      readDocumentEvents: (u, sid, fromSeq) => s.documents.events(u, sid, fromSeq),
      contextEventsLogKey: (u, sid) => keys.contextEvents(u, sid),
      readContextEvents: (u, sid, fromSeq) => s.context.events(u, sid, fromSeq),
      getContextSnapshot: (u, sid, id) => s.context.snapshot(u, sid, id),
      searchWorker: this.options.searchWorker ?? true,
      activity: this.activity,
      getDocumentInfo: (u, sid, d) => s.documents.info(u, sid, d),
      getDocumentBytes: (u, sid, d) => s.documents.get(u, sid, d),
      getContext: (u, sid) => s.context.get(u, sid),
      getContextHistory: async (u, sid, limit) =>
        (await s.context.history(u, sid, limit)).map(({ snapshotId, ...context }) => ({
          snapshotId,
          context,
        })),
      saveDocument: (u, sid, filename, content, metadata) =>
        s.documents.store(u, sid, { filename, content, ...(metadata ? { metadata } : {}) }),
      deleteDocument: (u, sid, d) => s.documents.remove(u, sid, d),
      addMessages: (u, sid, messages) => this.addMessages(u, sid, messages as MessageInput[]),
    };
  }

  private async loadFeatures(): Promise<void> {
    const enabled = this.options.features ?? {};
    for (const name of FEATURE_ORDER) {
      if (enabled[name] === false) {
        this.unavailable.set(name, 'disabled');
        continue;
      }
      const result = await loadFeature(name, this.featureContext(name), this.logger);
      if (isUnavailable(result)) {
        this.unavailable.set(name, result.reason);
        if (result.reason === 'failed') this.featureFailures.set(name, result.error);
        continue;
      }
      try {
        await result.open();
        this.features.set(name, result);
        this.core.hooks.add(name, result);
      } catch (error) {
        this.unavailable.set(name, 'failed');
        this.featureFailures.set(name, error);
        this.logger.error({ feature: name, err: describeError(error) }, 'feature failed to open');
      }
    }
  }

  /** Which optional features are loaded, and why the others are not. */
  getFeatureStatus(): Record<FeatureName, string> {
    const out = {} as Record<FeatureName, string>;
    for (const name of FEATURE_ORDER)
      out[name] = this.features.has(name) ? 'loaded' : (this.unavailable.get(name) ?? 'not loaded');
    return out;
  }

  /** Flushes, closes features and the adapters this manager created (reverse order). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const init = this.initPromise;
    if (init) await init.catch(() => false);
    if (this.initialized) {
      await this.services.messages.abortAll('manager closed');
      await this.core.index.flush();
      for (const name of [...FEATURE_ORDER].reverse()) {
        const f = this.features.get(name);
        if (!f) continue;
        try {
          await f.close();
        } catch (error) {
          this.logger.error({ feature: name, err: describeError(error) }, 'feature close failed');
        }
      }
      this.features.clear();
      this.core.hooks.clear();
    }
    for (const { name, adapter } of [...this.comp.created].reverse()) {
      try {
        await adapter.close?.();
      } catch (error) {
        this.logger.error({ adapter: name, err: describeError(error) }, 'adapter close failed');
      }
    }
    this.comp.created.length = 0;
    this.comp.container.clearInstances();
  }

  /** Runs after lazy initialization; throws once closed or when the store is unusable. */
  private async ready(): Promise<typeof this.services> {
    if (this.closed)
      throw new FFStorageError('use', undefined, 'the manager is closed', { code: 'FF_CLOSED' });
    if (!this.initialized) {
      const ok = await this.initialize();
      if (!ok) throw this.openFailure();
    }
    return this.services;
  }

  private async feature<N extends FeatureName>(name: N, method: string): Promise<FeatureMap[N]> {
    await this.ready();
    return this.featureSync(name, method);
  }

  private featureSync<N extends FeatureName>(name: N, method: string): FeatureMap[N] {
    const f = this.features.get(name);
    if (f) return f as FeatureMap[N];
    const reason = this.unavailable.get(name);
    if (reason === 'package-missing' || reason === undefined || reason === 'module-missing') {
      if (!this.initialized && reason === undefined) {
        throw new FFConfigError(
          `${method}() needs an initialized manager: call await storage.initialize() first`,
        );
      }
      throw packageMissingError(name, method);
    }
    if (reason === 'failed') {
      // Installed (or supplied by the caller) but it threw while starting: say so, with the cause.
      const cause = this.featureFailures.get(name);
      throw new FFConfigError(
        `${method}() is unavailable: the ${name} feature failed to start (${describeError(cause).message})`,
        { code: 'FF_FEATURE_FAILED', cause },
      );
    }
    throw new FFConfigError(`${method}() is unavailable: the ${name} feature is ${reason}`, {
      code: 'FF_PACKAGE_MISSING',
    });
  }

  // ================================================================================================ users

  async createUser(
    userId: string,
    profile?: {
      username?: string;
      preferences?: Record<string, unknown>;
      metadata?: Record<string, unknown>;
      [k: string]: unknown;
    },
  ): Promise<boolean> {
    return (await this.ready()).users.create(userId, profile);
  }

  async getUserProfile(userId: string): Promise<UserProfile | null> {
    return (await this.ready()).users.get(userId);
  }

  async updateUserProfile(userId: string, updates: Record<string, unknown>): Promise<boolean> {
    return (await this.ready()).users.update(userId, updates);
  }

  async storeUserProfile(profile: Partial<UserProfile> & { userId: string }): Promise<boolean> {
    return (await this.ready()).users.store(profile);
  }

  async userExists(userId: string): Promise<boolean> {
    return (await this.ready()).users.exists(userId);
  }

  async listUsers(opts?: { limit?: number; offset?: number }): Promise<string[]> {
    return (await this.ready()).users.list(opts);
  }

  /** Removes everything of the user; without `force`, refuses (false) while the user has sessions. */
  async deleteUser(userId: string, opts?: { force?: boolean }): Promise<boolean> {
    const s = await this.ready();
    assertUserId(userId);
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
      throw new FFValidationError([{ path: 'opts', message: 'must be an object' }]);
    }
    if (opts?.force !== undefined && typeof opts.force !== 'boolean') {
      throw new FFValidationError([{ path: 'opts.force', message: 'must be a boolean' }]);
    }
    // Exclusive against this process's createSession for the user (KeyedGate): the check "no
    // sessions" and the removal are one step, and a session created meanwhile is never lost.
    const removed = await this.userGate.exclusive(userId, async () => {
      if (!(await s.users.exists(userId))) return false;
      if (!opts?.force && (await this.core.index.count(userId)) > 0) return false;
      await s.users.removeTree(userId);
      s.messages.ids.forgetUser(userId);
      return true;
    });
    if (removed) await this.core.hooks.emit('onUserDeleted', userId);
    return removed;
  }

  // ============================================================================================= sessions

  async createSession(
    userId: string,
    title?: string,
    opts?: {
      sessionType?: 'chat' | 'panel' | 'debate' | 'problem_solving' | (string & {});
      metadata?: Record<string, unknown>;
    },
  ): Promise<string> {
    const s = await this.ready();
    return this.userGate.shared(userId, () => s.sessions.create(userId, title, opts));
  }

  async getSession(userId: string, sessionId: string): Promise<Session | null> {
    return (await this.ready()).sessions.get(userId, sessionId);
  }

  async updateSession(
    userId: string,
    sessionId: string,
    updates: { title?: string; metadata?: Record<string, unknown> },
  ): Promise<boolean> {
    return (await this.ready()).sessions.update(userId, sessionId, updates);
  }

  async updateSessionMetadata(
    userId: string,
    sessionId: string,
    metadata: Record<string, unknown>,
  ): Promise<boolean> {
    return (await this.ready()).sessions.updateMetadata(userId, sessionId, metadata);
  }

  async listSessions(
    userId: string,
    opts?: { limit?: number; offset?: number; sessionType?: string; order?: 'newest' | 'oldest' },
  ): Promise<Session[]> {
    return (await this.ready()).sessions.list(userId, opts);
  }

  async deleteSession(userId: string, sessionId: string): Promise<boolean> {
    const s = await this.ready();
    const removed = await s.sessions.remove(userId, sessionId);
    s.messages.ids.forget(userId, sessionId);
    if (removed) await this.core.hooks.emit('onSessionDeleted', userId, sessionId);
    return removed;
  }

  // ============================================================================================= messages

  /** Validates and fills `messageId`/`timestamp` (the original's FFMessageDTO). Synchronous. */
  createMessage(input: MessageInput | Message): Message {
    return createMessage(input);
  }

  /** False when the session does not exist, or already holds a message under the given `messageId`. */
  async addMessage(userId: string, sessionId: string, message: MessageInput | Message): Promise<boolean> {
    const s = await this.ready();
    assertUserId(userId);
    assertSessionId(sessionId);
    const m = s.messages.prepare(message);
    if (!(await this.core.index.has(userId, sessionId))) return false;
    const stored = await s.messages.add(userId, sessionId, [m], [hasOwnId(message)]);
    return stored !== null && stored.length === 1;
  }

  /**
   * One durable batch; resolves to what was stored ([] when the session does not exist). A message
   * whose given `messageId` the session already holds is left out (retrying a batch stores it once).
   */
  async addMessages(
    userId: string,
    sessionId: string,
    messages: (MessageInput | Message)[],
  ): Promise<StoredMessage[]> {
    const s = await this.ready();
    assertUserId(userId);
    assertSessionId(sessionId);
    if (!Array.isArray(messages)) {
      throw new FFValidationError([{ path: 'messages', message: 'must be an array' }]);
    }
    const prepared = messages.map((m, i) => s.messages.prepare(m, `messages.${i}`));
    // One batch never stores two messages under one id (getMessage could only ever return the first).
    const seen = new Map<string, number>();
    prepared.forEach((m, i) => {
      const first = seen.get(m.messageId);
      if (first !== undefined) {
        throw new FFValidationError([
          { path: `messages.${i}.messageId`, message: `repeats the id of messages.${first}` },
        ]);
      }
      seen.set(m.messageId, i);
    });
    if (prepared.length === 0) return [];
    if (!(await this.core.index.has(userId, sessionId))) return [];
    return (await s.messages.add(userId, sessionId, prepared, messages.map(hasOwnId))) ?? [];
  }

  async getMessages(
    userId: string,
    sessionId: string,
    opts?: { limit?: number; offset?: number; reverse?: boolean },
  ): Promise<StoredMessage[]> {
    return (await this.ready()).messages.getMessages(userId, sessionId, opts);
  }

  async getAllMessages(userId: string, sessionId: string): Promise<StoredMessage[]> {
    return (await this.ready()).messages.getAll(userId, sessionId);
  }

  async getMessage(userId: string, sessionId: string, messageId: string): Promise<StoredMessage | null> {
    return (await this.ready()).messages.getOne(userId, sessionId, messageId);
  }

  /** The last `n` messages, in chronological order. */
  async getRecentMessages(userId: string, sessionId: string, n: number): Promise<StoredMessage[]> {
    return (await this.ready()).messages.getRecent(userId, sessionId, n);
  }

  async countMessages(userId: string, sessionId: string): Promise<number> {
    const s = await this.ready();
    assertUserId(userId);
    assertSessionId(sessionId);
    return s.messages.count(userId, sessionId);
  }

  // ============================================================================================ documents

  async saveDocument(
    userId: string,
    sessionId: string,
    filename: string,
    content: Uint8Array | string,
    metadata?: Record<string, unknown>,
  ): Promise<string> {
    const s = await this.ready();
    try {
      return await s.documents.store(userId, sessionId, {
        filename,
        content,
        ...(metadata !== undefined ? { metadata } : {}),
      });
    } catch (error) {
      // storeDocument's issues say `doc.filename`; here the fields are arguments of their own.
      if (!FFValidationError.isInstance(error)) throw error;
      throw new FFValidationError(
        error.issues.map((i) => ({ ...i, path: i.path.startsWith('doc.') ? i.path.slice(4) : i.path })),
      );
    }
  }

  async storeDocument(
    userId: string,
    sessionId: string,
    doc: {
      filename: string;
      originalName?: string;
      mimeType?: string;
      content?: Uint8Array | string;
      path?: string;
      uploadedBy?: string;
      metadata?: Record<string, unknown>;
    },
  ): Promise<string> {
    return (await this.ready()).documents.store(userId, sessionId, doc);
  }

  async getDocument(userId: string, sessionId: string, documentId: string): Promise<Uint8Array | null> {
    return (await this.ready()).documents.get(userId, sessionId, documentId);
  }

  async getDocumentInfo(
    userId: string,
    sessionId: string,
    documentId: string,
  ): Promise<DocumentRecord | null> {
    return (await this.ready()).documents.info(userId, sessionId, documentId);
  }

  async listDocuments(userId: string, sessionId: string): Promise<DocumentRecord[]> {
    return (await this.ready()).documents.list(userId, sessionId);
  }

  async deleteDocument(userId: string, sessionId: string, documentId: string): Promise<boolean> {
    return (await this.ready()).documents.remove(userId, sessionId, documentId);
  }

  async updateDocumentAnalysis(
    userId: string,
    sessionId: string,
    documentId: string,
    analysis: Record<string, unknown>,
  ): Promise<boolean> {
    return (await this.ready()).documents.updateAnalysis(userId, sessionId, documentId, analysis);
  }

  // ================================================================================= situational context

  async updateContext(
    userId: string,
    sessionId: string,
    ctx: Partial<SituationalContext> & { summary: string },
  ): Promise<boolean> {
    return (await this.ready()).context.update(userId, sessionId, ctx);
  }

  async getContext(userId: string, sessionId: string): Promise<SituationalContext | null> {
    return (await this.ready()).context.get(userId, sessionId);
  }

  async saveContextSnapshot(
    userId: string,
    sessionId: string,
    ctx: Partial<SituationalContext> & { summary: string },
  ): Promise<boolean> {
    return (await this.ready()).context.saveSnapshot(userId, sessionId, ctx);
  }

  /** Newest first; each entry is the context plus its `snapshotId`. */
  async getContextHistory(
    userId: string,
    sessionId: string,
    limit?: number,
  ): Promise<ContextSnapshotEntry[]> {
    return (await this.ready()).context.history(userId, sessionId, limit);
  }

  /** An extractive context from the session's messages (null for a missing or empty session). */
  async extractSituationalContext(
    userId: string,
    sessionId: string,
    opts?: { maxMessages?: number; maxKeyPoints?: number; save?: boolean },
  ): Promise<SituationalContext | null> {
    return (await this.ready()).context.extract(userId, sessionId, opts);
  }

  // ============================================================================================ streaming

  /**
   * `streaming.enabled: false` switches the streaming API off: its methods refuse (FFValidationError at
   * `streaming.enabled`) instead of running as if the switch were on. Plain reads (getMessages) and
   * exportData are not streaming and keep working.
   */
  private assertStreamingEnabled(method: string): void {
    if (this.config.streaming.enabled) return;
    throw new FFValidationError([
      { path: 'streaming.enabled', message: `${method}: streaming is disabled in the configuration` },
    ]);
  }

  streamMessages(
    userId: string,
    sessionId: string,
    opts?: {
      startOffset?: number;
      maxMessages?: number;
      batchSize?: number;
      follow?: boolean;
      signal?: AbortSignal;
    },
  ): AsyncIterable<StoredMessage[]> {
    this.assertStreamingEnabled('streamMessages');
    return this.lazyIterable((s) => s.streaming.streamMessages(userId, sessionId, opts));
  }

  streamMessagesReverse(
    userId: string,
    sessionId: string,
    opts?: { limit?: number; batchSize?: number },
  ): AsyncIterable<StoredMessage[]> {
    this.assertStreamingEnabled('streamMessagesReverse');
    return this.lazyIterable((s) => s.streaming.streamMessagesReverse(userId, sessionId, opts));
  }

  parallelStreamSessions(
    userId: string,
    sessionIds: string[],
    opts?: { batchSize?: number; maxConcurrency?: number },
  ): AsyncIterable<[string, StoredMessage[]]> {
    this.assertStreamingEnabled('parallelStreamSessions');
    return this.lazyIterable((s) => s.streaming.parallelStreamSessions(userId, sessionIds, opts));
  }

  streamSessionExport(
    userId: string,
    sessionId: string,
    opts?: { includeDocuments?: boolean; includeContext?: boolean; batchSize?: number },
  ): AsyncIterable<ExportRecord> {
    this.assertStreamingEnabled('streamSessionExport');
    return this.lazyIterable((s) => s.streaming.streamSessionExport(userId, sessionId, opts));
  }

  streamUserExport(
    userId: string,
    opts?: {
      sessionLimit?: number;
      includeDocuments?: boolean;
      includeContext?: boolean;
      batchSize?: number;
    },
  ): AsyncIterable<ExportRecord> {
    this.assertStreamingEnabled('streamUserExport');
    return this.lazyIterable((s) => s.streaming.streamUserExport(userId, opts));
  }

  /** A reply persisted as it grows; readers see `metadata.streamStatus` streaming -> complete/interrupted. */
  async beginMessageStream(
    userId: string,
    sessionId: string,
    opts: { role: string; messageId?: string; metadata?: Record<string, unknown>; parentId?: string },
  ): Promise<MessageStreamHandle> {
    this.assertStreamingEnabled('beginMessageStream');
    const s = await this.ready();
    assertUserId(userId);
    assertSessionId(sessionId);
    return s.messages.begin(userId, sessionId, opts);
  }

  /** Synchronous counters (zeros before initialize). */
  getStreamingStats(): Record<string, unknown> {
    if (!this.initialized) {
      return {
        activeStreams: 0,
        activeFollowers: 0,
        streamsOpened: 0,
        batchesStreamed: 0,
        messagesStreamed: 0,
      };
    }
    return this.services.streaming.getStreamingStats();
  }

  async getStreamHealth(userId: string, sessionId: string): Promise<Record<string, unknown>> {
    return (await this.ready()).streaming.getStreamHealth(userId, sessionId);
  }

  /** Validates eagerly where possible; initializes on first iteration. */
  private lazyIterable<T>(make: (s: typeof this.services) => AsyncIterable<T>): AsyncIterable<T> {
    if (this.initialized && !this.closed) return make(this.services);
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const s = await self.ready();
        yield* make(s);
      },
    };
  }

  // ================================================================================ statistics / health

  async getSessionStats(userId: string, sessionId: string): Promise<SessionStats> {
    return (await this.ready()).stats.sessionStats(userId, sessionId);
  }

  async getUserStats(userId: string): Promise<UserStats | null> {
    return (await this.ready()).stats.userStats(userId);
  }

  async getStorageStats(): Promise<StorageStats> {
    return (await this.ready()).stats.storageStats();
  }

  async getDocumentStats(userId: string): Promise<DocumentStats | null> {
    return (await this.ready()).stats.documentStats(userId);
  }

  async getDocumentUsagePatterns(userId: string): Promise<Record<string, unknown> | null> {
    return (await this.ready()).stats.documentUsagePatterns(userId);
  }

  async analyzeConversation(userId: string, sessionId: string): Promise<ConversationAnalysis | null> {
    return (await this.ready()).stats.analyzeConversation(userId, sessionId);
  }

  async getUserAnalytics(userId: string, opts?: { days?: number }): Promise<UserAnalytics | null> {
    return (await this.ready()).stats.userAnalytics(userId, opts);
  }

  /** `{ healthy, … }`; never throws (an unusable store reports healthy: false). */
  async healthCheck(): Promise<Record<string, unknown> & { healthy: boolean }> {
    if (this.closed) return { healthy: false, errors: ['the manager is closed'] };
    if (!this.initialized && !(await this.initialize())) {
      return {
        healthy: false,
        basePath: this.config.storage.basePath,
        errors: [`the store could not be opened: ${describeError(this.lastInitError).message}`],
      };
    }
    const h = await this.services.stats.healthCheck(this.config.storage.basePath);
    // A feature that failed to start cannot serve its calls: not healthy, and the warnings say why.
    const failed = [...this.featureFailures].map(
      ([name, error]) => `the ${name} feature failed to start: ${describeError(error).message}`,
    );
    if (failed.length === 0) return { ...h, features: this.getFeatureStatus() };
    const warnings = Array.isArray(h.warnings) ? (h.warnings as string[]) : [];
    return { ...h, healthy: false, warnings: [...warnings, ...failed], features: this.getFeatureStatus() };
  }

  // ========================================================================================= maintenance

  /**
   * Checksums and index consistency; `{ repair: true }` fixes what it can. With `signal`, an abort stops
   * between users and resolves with the partial report, `aborted: true`, `ok: false` (services/progress.ts).
   */
  async verify(
    opts?: { repair?: boolean; orphanGraceMs?: number } & LongRunningOptions,
  ): Promise<VerifyReport & { aborted?: boolean }> {
    return (await this.ready()).maintenance.verify(opts);
  }

  /** Compacts logs and features; `onProgress`/`signal` as for verify (an abort resolves, `aborted: true`). */
  async compact(
    opts?: { archive?: boolean; olderThanDays?: number } & LongRunningOptions,
  ): Promise<Record<string, unknown>> {
    return (await this.ready()).maintenance.compact(opts);
  }

  async cleanupOldData(opts: { olderThanDays: number; dryRun?: boolean }): Promise<Record<string, unknown>> {
    // Through deleteSession, so the features (search index, vectors) forget the removed sessions too.
    return (await this.ready()).maintenance.cleanupOldData(opts, (u, s) => this.deleteSession(u, s));
  }

  /** Writes a portable bundle directory (docs/guide.md "Export and import"). */
  async exportData(dest: string, opts?: ExportOptions): Promise<Record<string, unknown>> {
    return (await this.ready()).bundle.exportData(dest, opts);
  }

  /** Reads a bundle written by exportData, keeping every id. */
  async importData(src: string, opts?: ImportOptions): Promise<Record<string, unknown>> {
    const s = await this.ready();
    const report = await s.bundle.importData(src, opts);
    await this.afterBulkImport(report.userIds as string[]);
    return report;
  }

  /** Imports an original (Python) data directory. */
  async importFromPython(dir: string, opts?: PythonImportOptions): Promise<PythonImportReport> {
    const s = await this.ready();
    const report = await s.python.importDir(
      dir,
      opts,
      this.features.get('personas') as PersonaFeature | undefined,
    );
    await this.afterBulkImport(report.userIds);
    return report;
  }

  private async afterBulkImport(userIds: string[]): Promise<void> {
    for (const [name, f] of this.features) {
      if (!f.onBulkImport) continue;
      try {
        await f.onBulkImport(userIds);
      } catch (error) {
        this.logger.error({ feature: name, err: describeError(error) }, 'feature bulk import hook failed');
      }
    }
  }

  // =============================================================== search (@ffdb/search-fts, delegated)

  async searchMessages(
    userId: string,
    query: string,
    opts?: { sessionId?: string; sessionIds?: string[]; limit?: number },
  ): Promise<Message[]> {
    return (await this.feature('search', 'searchMessages')).searchMessages(userId, query, opts);
  }

  /**
   * Results of the types API.md names; with `includePanelMessages: true` (an opt-in extension) the
   * user's panel messages are merged in as `type: 'panel_message'` (filtered by dates, minimum score,
   * `messageRoles` as persona ids and `sessionIds` as panel ids), best first.
   */
  async advancedSearch(q: SearchQuery): Promise<SearchResult[]> {
    const search = await this.feature('search', 'advancedSearch');
    const results = await search.advancedSearch(q);
    if ((q as { includePanelMessages?: unknown } | null)?.includePanelMessages !== true) return results;
    const parsed = SearchQuerySchema.safeParse(q);
    if (!parsed.success) throw new FFValidationError(issuesFromZod(parsed.error, 'query'));
    const p = parsed.data;
    const limit = p.maxResults ?? this.config.runtime.defaultSearchLimit;
    const users = p.userId !== undefined ? [p.userId] : await this.listUsers();
    const merged = [...results];
    for (const userId of users) {
      for (const hit of await this.searchPanelMessagesWith(search, userId, p.query, { limit })) {
        if (hit.relevanceScore < p.minRelevanceScore) continue;
        if (p.startDate !== undefined && hit.timestamp < p.startDate) continue;
        if (p.endDate !== undefined && hit.timestamp > p.endDate) continue;
        if (p.sessionIds !== undefined && !p.sessionIds.includes(hit.sessionId)) continue;
        const persona = hit.metadata?.personaId;
        if (p.messageRoles !== undefined && !p.messageRoles.includes(String(persona))) continue;
        merged.push(hit);
      }
    }
    merged.sort(byRelevanceThenRecency);
    return merged.slice(0, limit);
  }

  /**
   * Full-text search over the user's panel messages (their own search partition; not part of
   * advancedSearch unless `includePanelMessages`). `panelIds` restricts to some panels.
   */
  async searchPanelMessages(
    userId: string,
    query: string,
    opts?: { panelIds?: string[]; limit?: number },
  ): Promise<SearchResult[]> {
    const search = await this.feature('search', 'searchPanelMessages');
    assertUserId(userId);
    if (typeof query !== 'string')
      throw new FFValidationError([{ path: 'query', message: 'must be a string' }]);
    const o = parseOptions(PanelSearchOptions, opts);
    return this.searchPanelMessagesWith(search, userId, query, o);
  }

  private async searchPanelMessagesWith(
    search: SearchFeature,
    userId: string,
    query: string,
    opts: { panelIds?: string[]; limit?: number },
  ): Promise<SearchResult[]> {
    if (typeof search.searchPanelMessages !== 'function') {
      throw new FFConfigError('searchPanelMessages() is not supported by the installed search feature', {
        code: 'FF_PACKAGE_MISSING',
      });
    }
    return search.searchPanelMessages(userId, query, opts);
  }

  async searchByEntities(
    entities: Record<string, string[]>,
    opts?: { userId?: string; limit?: number },
  ): Promise<SearchResult[]> {
    return (await this.feature('search', 'searchByEntities')).searchByEntities(entities, opts);
  }

  async searchByTimeRange(
    start: Date | string,
    end: Date | string,
    opts?: { userId?: string; queryText?: string; limit?: number },
  ): Promise<SearchResult[]> {
    return (await this.feature('search', 'searchByTimeRange')).searchByTimeRange(start, end, opts);
  }

  /** Synchronous; needs an initialized manager with @ffdb/search-fts installed. */
  extractEntities(text: string): Record<string, string[]> {
    return this.featureSync('search', 'extractEntities').extractEntities(text);
  }

  async searchDocuments(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; documentTypes?: string[]; limit?: number },
  ): Promise<DocumentSearchHit[]> {
    return (await this.feature('search', 'searchDocuments')).searchDocuments(userId, query, opts);
  }

  async searchDocumentsByMetadata(
    userId: string,
    filters: Record<string, unknown>,
  ): Promise<DocumentSearchHit[]> {
    return (await this.feature('search', 'searchDocumentsByMetadata')).searchDocumentsByMetadata(
      userId,
      filters,
    );
  }

  /**
   * Rebuilds the full-text index from stored data (one user, or all). `opts.onProgress` gets the search
   * feature's per-user reports `{ userId, phase, done, total }`; resolves to
   * `{ users, messages, documents, contexts, durationMs }`.
   */
  async rebuildSearchIndex(userId?: string, opts?: RebuildSearchIndexOptions): Promise<SearchRebuildReport> {
    const search = await this.feature('search', 'rebuildSearchIndex');
    const o = parseOptions(RebuildOptions, opts);
    return search.rebuildSearchIndex(userId, o.onProgress ? { onProgress: o.onProgress } : {});
  }

  // =========================================================== vectors (@ffdb/vector-faiss, delegated)

  /**
   * Re-embeds the vector index of one user (or of every user) with the configured default embedding
   * provider: what to do after changing `vector.defaultEmbeddingProvider` or its model or dimension, when
   * the old index answers `FF_SPACE_MISMATCH`. Document chunks are embedded again from their stored text,
   * messages from their logs; a provider that fails leaves a user's index as it was, and a rebuild cut short
   * by a crash is finished at the user's next vector use. `onProgress`/`signal` count users (an abort
   * stops between users and resolves with `aborted: true`).
   */
  async rebuildVectorIndex(
    userId?: string,
    opts?: LongRunningOptions,
  ): Promise<VectorRebuildReport & { aborted?: boolean }> {
    const vectors = await this.feature('vectors', 'rebuildVectorIndex');
    const o = parseOptions(VectorRebuildOptions, opts);
    if (userId !== undefined) assertUserId(userId);
    if (typeof vectors.rebuildUser !== 'function' || typeof vectors.defaultSpace !== 'function')
      throw new FFConfigError('the vector feature in use cannot rebuild an index (no rebuildUser)');
    const started = performance.now();
    const all = await this.listUsers();
    const users = userId !== undefined ? all.filter((u) => u === userId) : all;
    const progress = new ProgressTracker(o, users.length);
    const space = vectors.defaultSpace();
    const report: VectorRebuildReport & { aborted?: boolean } = {
      users: 0,
      chunks: 0,
      messages: 0,
      space: { provider: space.provider, model: space.model, dimension: space.dimension },
      durationMs: 0,
    };
    for (const u of users) {
      if (progress.aborted) {
        report.aborted = true;
        break;
      }
      const r = await vectors.rebuildUser(u);
      report.users++;
      report.chunks += r.chunks;
      report.messages += r.messages;
      progress.tick(u);
    }
    report.durationMs = Math.round(performance.now() - started);
    return report;
  }

  async processDocument(
    source: string | { filename: string; content: Uint8Array | string },
    userId: string,
    sessionId: string,
    opts?: ProcessDocumentOptions,
  ): Promise<ProcessingResult> {
    return (await this.feature('vectors', 'processDocument')).processDocument(
      source,
      userId,
      sessionId,
      opts,
    );
  }

  async storeDocumentWithVectors(
    userId: string,
    sessionId: string,
    documentId: string,
    content: string | Uint8Array,
    opts?: { metadata?: Record<string, unknown>; chunkingStrategy?: string; embeddingProvider?: string },
  ): Promise<boolean> {
    return (await this.feature('vectors', 'storeDocumentWithVectors')).storeDocumentWithVectors(
      userId,
      sessionId,
      documentId,
      content,
      opts,
    );
  }

  async vectorSearch(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; topK?: number; threshold?: number; embeddingProvider?: string },
  ): Promise<SearchResult[]> {
    return (await this.feature('vectors', 'vectorSearch')).vectorSearch(userId, query, opts);
  }

  async searchSimilarMessages(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; similarityThreshold?: number; limit?: number },
  ): Promise<SearchResult[]> {
    return (await this.feature('vectors', 'searchSimilarMessages')).searchSimilarMessages(
      userId,
      query,
      opts,
    );
  }

  async hybridSearch(userId: string, query: string, opts?: HybridSearchOptions): Promise<SearchResult[]> {
    return (await this.feature('vectors', 'hybridSearch')).hybridSearch(userId, query, opts);
  }

  async deleteDocumentVectors(userId: string, sessionId: string, documentId: string): Promise<boolean> {
    return (await this.feature('vectors', 'deleteDocumentVectors')).deleteDocumentVectors(
      userId,
      sessionId,
      documentId,
    );
  }

  async getVectorStats(userId: string, sessionId: string): Promise<Record<string, unknown>> {
    return (await this.feature('vectors', 'getVectorStats')).getVectorStats(userId, sessionId);
  }

  /** Synchronous; needs an initialized manager with @ffdb/vector-faiss installed. */
  chunkText(text: string, strategy?: string, custom?: Record<string, unknown>): Chunk[] {
    return this.featureSync('vectors', 'chunkText').chunkText(text, strategy, custom);
  }

  // ============================================================ personas (@ffdb/personas, delegated)

  async savePersona(personaId: string, data: Record<string, unknown>, userId?: string): Promise<boolean> {
    return (await this.feature('personas', 'savePersona')).savePersona(personaId, data, userId);
  }

  /** Writes a persona keeping its own createdAt/updatedAt (restores; importFromPython uses it). */
  async restorePersona(persona: Record<string, unknown>, userId?: string): Promise<boolean> {
    return (await this.feature('personas', 'restorePersona')).restorePersona(persona, userId);
  }

  async createPersona(persona: Record<string, unknown>): Promise<boolean | string> {
    return (await this.feature('personas', 'createPersona')).createPersona(persona);
  }

  async getPersona(personaId: string, userId?: string): Promise<Persona | null> {
    return (await this.feature('personas', 'getPersona')).getPersona(personaId, userId);
  }

  async listPersonas(userId?: string): Promise<Persona[]> {
    return (await this.feature('personas', 'listPersonas')).listPersonas(userId);
  }

  async deletePersona(personaId: string, userId?: string): Promise<boolean> {
    return (await this.feature('personas', 'deletePersona')).deletePersona(personaId, userId);
  }

  async createPanel(
    panelType: string,
    personaIds: string[],
    config?: Record<string, unknown>,
  ): Promise<string> {
    const personas = await this.feature('personas', 'createPanel');
    // A link given at creation names one of the user's sessions, as linkPanelSession requires: one that
    // does not exist (or is another user's) is refused before the panel is written.
    const link = config as { userId?: unknown; sessionId?: unknown } | undefined;
    if (
      link &&
      typeof link === 'object' &&
      typeof link.sessionId === 'string' &&
      typeof link.userId === 'string'
    ) {
      const userId = assertUserId(link.userId, 'config.userId');
      const sessionId = assertSessionId(link.sessionId, 'config.sessionId');
      if (!(await this.services.sessions.exists(userId, sessionId))) {
        throw new FFValidationError([
          { path: 'config.sessionId', message: `names no session of user ${userId}` },
        ]);
      }
    }
    return personas.createPanel(panelType, personaIds, config);
  }

  /**
   * Links a panel to one of the user's sessions (normally a `panel` session; createPanel's
   * `{ userId, sessionId }` does the same at creation): later panel messages also appear in that
   * session's messages. False when the panel does not exist or the session is unknown.
   */
  async linkPanelSession(panelId: string, userId: string, sessionId: string): Promise<boolean> {
    const s = await this.ready();
    assertUserId(userId);
    assertSessionId(sessionId);
    const personas = this.featureSync('personas', 'linkPanelSession');
    if (!(await s.sessions.exists(userId, sessionId))) return false;
    return personas.linkPanelSession(panelId, userId, sessionId);
  }

  async getPanel(panelId: string): Promise<Panel | null> {
    return (await this.feature('personas', 'getPanel')).getPanel(panelId);
  }

  /** The persona snapshots `createPanel` took of the panel's personas (as they were then); [] for none. */
  async getPanelPersonas(panelId: string): Promise<Record<string, unknown>[]> {
    const personas = await this.feature('personas', 'getPanelPersonas');
    if (!personas.getPanelPersonas) return [];
    return personas.getPanelPersonas(panelId);
  }

  async listPanels(opts?: Record<string, unknown>): Promise<Panel[]> {
    return (await this.feature('personas', 'listPanels')).listPanels(opts);
  }

  /**
   * True once stored, false when the panel does not exist (the reference's `add_panel_message -> bool`).
   * A reply names its parent in `responseTo`: give the parent a `messageId`, or read it back with
   * getPanelMessages.
   */
  async addPanelMessage(panelId: string, message: Record<string, unknown>): Promise<boolean> {
    const stored = await (await this.feature('personas', 'addPanelMessage')).addPanelMessage(
      panelId,
      message,
    );
    return stored !== false;
  }

  async getPanelMessages(
    panelId: string,
    opts?: { limit?: number; offset?: number; personaId?: string },
  ): Promise<PanelMessage[]> {
    return (await this.feature('personas', 'getPanelMessages')).getPanelMessages(panelId, opts);
  }

  /**
   * True once stored, false when the panel does not exist (the reference's `save_panel_insight -> bool`);
   * an `insightId` (or `id`) may be given, else one is generated (getPanelInsights lists them).
   */
  async savePanelInsight(panelId: string, insight: Record<string, unknown>): Promise<boolean> {
    const id = await (await this.feature('personas', 'savePanelInsight')).savePanelInsight(panelId, insight);
    return id !== false;
  }

  async getPanelInsights(panelId: string): Promise<PanelInsight[]> {
    return (await this.feature('personas', 'getPanelInsights')).getPanelInsights(panelId);
  }

  async getPanelStats(panelId: string): Promise<PanelStats | null> {
    return (await this.feature('personas', 'getPanelStats')).getPanelStats(panelId);
  }
}

instrumentAsyncMethods(FFStorageManager.prototype);

/** A storage failure's specific code (not the generic FF_STORAGE), when it has one. */
function storageCodeOf(failure: unknown): StorageErrorCode | undefined {
  if (!(failure instanceof FFStorageError) || failure.code === 'FF_STORAGE') return undefined;
  return failure.code as StorageErrorCode;
}

/** The StorageBackend methods the manager calls (the port in @ffdb/core-types). */
const STORAGE_METHODS = [
  'open',
  'close',
  'read',
  'write',
  'writeStream',
  'readStream',
  'delete',
  'exists',
  'list',
  'stat',
  'append',
  'readLog',
  'countLog',
  'watchLog',
  'listLogs',
  'withLock',
  'healthCheck',
  'verify',
  'compact',
  'usage',
] as const;

/**
 * A StorageBackend the caller supplied is checked once, at initialize(): a missing method is one clear
 * FFConfigError naming it, not a TypeError at the first call that needs it.
 */
/**
 * A backend written from API.md's names (`count`, `watch`) is used as the port's `countLog` /
 * `watchLog`: a view that answers the port's names with the caller's methods. A backend that has the
 * port's names is used as it is.
 */
function withPortNames(storage: StorageBackend): StorageBackend {
  const b = storage as unknown as Record<string, unknown>;
  const alias: Record<string, string> = {};
  if (typeof b?.countLog !== 'function' && typeof b?.count === 'function') alias.countLog = 'count';
  if (typeof b?.watchLog !== 'function' && typeof b?.watch === 'function') alias.watchLog = 'watch';
  if (Object.keys(alias).length === 0) return storage;
  return new Proxy(storage, {
    get(target, prop, receiver) {
      const name = typeof prop === 'string' ? (alias[prop] ?? prop) : prop;
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function assertStorageShape(storage: unknown): void {
  const missing = STORAGE_METHODS.filter(
    (name) => typeof (storage as Record<string, unknown> | null)?.[name] !== 'function',
  );
  if (missing.length === 0) return;
  const hint =
    missing.includes('countLog') || missing.includes('watchLog')
      ? " (API.md's log `count` and `watch` are the port's countLog and watchLog; either name will do)"
      : '';
  throw new FFConfigError(
    `the StorageBackend lacks ${missing.join(', ')}${hint}; ` +
      'it must implement the port of @ffdb/core-types and pass @ffdb/conformance',
    {
      code: 'FF_CONFIG',
      issues: missing.map((name) => ({ path: `StorageBackend.${name}`, message: 'is not a function' })),
    },
  );
}

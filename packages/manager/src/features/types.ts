/**
 * The feature seam between FFStorageManager and the optional feature packages.
 *
 * CONTRACT (stable; owned by the manager engineer — ask before changing):
 *
 * - Each feature folder (`features/search/`, `features/vectors/`, `features/personas/`, each owned by the
 *   engineer of the matching package) exports one factory from its `index.ts`:
 *     `createSearchFeature(ctx: FeatureContext, pkg: unknown): SearchFeature | Promise<SearchFeature>`
 *     `createVectorFeature(ctx: FeatureContext, pkg: unknown): VectorFeature | Promise<VectorFeature>`
 *     `createPersonaFeature(ctx: FeatureContext, pkg: unknown): PersonaFeature | Promise<PersonaFeature>`
 *   `pkg` is the namespace object of the dynamically imported optional package (`@ffdb/search-fts`,
 *   `@ffdb/vector-faiss`, `@ffdb/personas`). Cast it with `import type * as Pkg from '…'` in your folder.
 * - The manager loads every installed feature during `initialize()` (after storage is open) and calls
 *   `open()` once; `close()` is called in reverse order before the storage closes. When a package is not
 *   installed, the feature is absent and calling any of its methods throws
 *   `FFConfigError` code `FF_PACKAGE_MISSING` naming the package (`npm install @ffdb/search-fts`).
 * - The manager validates ids it owns (userId, sessionId) before delegating where the API names them; a
 *   feature still validates everything else (queries, options) and throws `FFValidationError`.
 * - Change hooks: after the manager has durably written a change it awaits the matching hook of every
 *   loaded feature. A hook that throws is logged (never the content) and does not fail the write; features
 *   must therefore be able to catch up from storage (e.g. `SearchIndex.positions` + `ctx.readMessages`).
 *   Hooks must be cheap (push work to a background queue if it is not) — they are on the write path.
 * - Features store their own data under `ctx.keys.featureRoot(name)` (global) or
 *   `ctx.keys.userFeatureRoot(userId, name)` (per user, removed with the user), or through their own ports.
 * - A feature never reaches into the manager's files directly: it reads through the helpers below.
 */
import type {
  Chunk,
  Codec,
  Compressor,
  Clock,
  DocumentRecord,
  FFConfig,
  Logger,
  Message,
  MessageInput,
  Panel,
  PanelInsight,
  PanelMessage,
  PanelStats,
  Persona,
  ProcessingResult,
  SearchQuery,
  SearchResult,
  Session,
  SituationalContext,
  StorageBackend,
  StoredMessage,
  Token,
} from '@ffdb/core-types';
import type { ForegroundActivity } from '../activity.js';
import type { KeyLayout } from '../keys.js';

/** A message as read back from a session log: `seq` is its 0-based position (core-types' StoredMessage). */
export type { StoredMessage };

/** What every feature gets from the manager. */
export interface FeatureContext {
  readonly config: FFConfig;
  readonly storage: StorageBackend;
  readonly compressor: Compressor;
  /** The archival tier (brotli or none). */
  readonly archiveCompressor: Compressor;
  readonly codec: Codec;
  readonly clock: Clock;
  /** A child logger bound to `{ feature: <name> }`. Never log message or document content. */
  readonly logger: Logger;
  /** The key layout of the store (every key the manager writes). */
  readonly keys: KeyLayout;
  /**
   * An adapter registered in this manager's container (overrides included), or undefined. Use this to
   * honour `overrides: { [TOKENS.SearchIndex]: … }` before creating your own default adapter.
   */
  resolveOptional<T>(token: Token<T>): T | undefined;
  /** Another feature (e.g. vectors' hybrid search needs the text leg), or null when it is not installed. */
  getFeature(name: 'search'): Promise<SearchFeature | null>;
  getFeature(name: 'vectors'): Promise<VectorFeature | null>;
  getFeature(name: 'personas'): Promise<PersonaFeature | null>;

  // ---- read helpers (they never throw for a well-formed id that does not exist) ----
  /** Every user id, sorted. */
  listUserIds(): Promise<string[]>;
  /** Every session of a user (no cap), newest activity first. */
  listSessions(userId: string): Promise<Session[]>;
  getSession(userId: string, sessionId: string): Promise<Session | null>;
  /**
   * How many times this process found the user replaced by another process (deleted, perhaps created or
   * restored again): a change means what a feature derived from the user's logs is void. Current as of
   * the last catch-up of the user's session index (any of the calls here that list or count sessions).
   */
  userIncarnation(userId: string): number;
  /** Which of `sessionIds` exist now (one catch-up of the user's session index, then memory). */
  existingSessions(userId: string, sessionIds: readonly string[]): Promise<Set<string>>;
  /** Messages from `fromSeq` (default 0), at most `limit` (default all), chronological, with `seq`. */
  readMessages(
    userId: string,
    sessionId: string,
    opts?: { fromSeq?: number; limit?: number },
  ): Promise<StoredMessage[]>;
  countMessages(userId: string, sessionId: string): Promise<number>;
  /**
   * Every session's log lengths, by session id: messages, and document-event and context-event logs
   * where known (`documents`/`contexts` come from other processes' notes, see SessionIndex.revSoon).
   * Cheap: kept in memory by the session index.
   */
  sessionLogLengths(
    userId: string,
  ): Promise<Map<string, { messages: number; documents?: number; contexts?: number }>>;
  /** The log key of a session's messages (what `SearchIndex.positions` is keyed by). */
  messagesLogKey(userId: string, sessionId: string): string;
  listDocuments(userId: string, sessionId: string): Promise<DocumentRecord[]>;
  /** The log key of a session's document events (what `SearchIndex.positions` is keyed by for documents). */
  documentsLogKey(userId: string, sessionId: string): string;
  /**
   * A session's document events from `fromSeq` on (`put`, `analysis`, `delete`), by log position: what a
   * derived index must catch up after a crash. Fold them with `listDocuments` for the current records.
   */
  readDocumentEvents(
    userId: string,
    sessionId: string,
    fromSeq?: number,
  ): Promise<{ seq: number; op: 'put' | 'analysis' | 'delete'; documentId: string }[]>;
  /** The log key of a session's context events (what `SearchIndex.positions` is keyed by for contexts). */
  contextEventsLogKey(userId: string, sessionId: string): string;
  /** Context events from `fromSeq` on: `target` is `current` or a snapshot id, by log position. */
  readContextEvents(
    userId: string,
    sessionId: string,
    fromSeq?: number,
  ): Promise<{ seq: number; target: string }[]>;
  /** One context snapshot by id, or null. */
  getContextSnapshot(
    userId: string,
    sessionId: string,
    snapshotId: string,
  ): Promise<SituationalContext | null>;
  /**
   * Run the full-text index in a worker thread (default true; ManagerOptions.searchWorker). False keeps
   * it on the manager's thread.
   */
  readonly searchWorker?: boolean;
  /** Facade calls in flight: background writes of derived data may wait for a quiet moment (bounded). */
  readonly activity?: ForegroundActivity;
  getDocumentInfo(userId: string, sessionId: string, documentId: string): Promise<DocumentRecord | null>;
  getDocumentBytes(userId: string, sessionId: string, documentId: string): Promise<Uint8Array | null>;
  getContext(userId: string, sessionId: string): Promise<SituationalContext | null>;
  /** Context snapshots, newest first: every one when `limit` is omitted, else the newest `limit`. */
  getContextHistory(
    userId: string,
    sessionId: string,
    limit?: number,
  ): Promise<{ snapshotId: string; context: SituationalContext }[]>;

  // ---- write helpers ----
  /** The manager's saveDocument (validation, limits, hooks) — for storeDocumentWithVectors / processDocument. */
  saveDocument(
    userId: string,
    sessionId: string,
    filename: string,
    content: Uint8Array | string,
    metadata?: Record<string, unknown>,
  ): Promise<string>;
  /**
   * The manager's deleteDocument (the stored bytes, the listing entry, a `delete` event, then every
   * feature's `onDocumentDeleted` hook): resolves false when it did not exist. processDocument /
   * storeDocumentWithVectors use it to replace an earlier stored copy when a document is processed again.
   */
  deleteDocument(userId: string, sessionId: string, documentId: string): Promise<boolean>;
  /**
   * The manager's addMessages (validation, size limit, `updatedAt`, hooks): one durable batch, resolves
   * to what was stored ([] when the session does not exist). The personas feature mirrors the messages of
   * a panel linked to a user's `panel` session through it.
   */
  addMessages(
    userId: string,
    sessionId: string,
    messages: (MessageInput | Message | Record<string, unknown>)[],
  ): Promise<StoredMessage[]>;
}

/** Lifecycle and change hooks every feature implements (all optional except open/close). */
export interface FeatureHooks {
  open(): Promise<void>;
  /** Flush and release resources. */
  close(): Promise<void>;
  onMessagesAdded?(userId: string, sessionId: string, messages: readonly StoredMessage[]): Promise<void>;
  /** A streamed reply changed (its content grew or its status became complete/interrupted). */
  onMessageUpdated?(userId: string, sessionId: string, message: StoredMessage): Promise<void>;
  onSessionDeleted?(userId: string, sessionId: string): Promise<void>;
  onUserDeleted?(userId: string): Promise<void>;
  /** `source` is the position of the record's `put` event in the session's document log (for catch-up). */
  onDocumentStored?(
    userId: string,
    sessionId: string,
    record: DocumentRecord,
    bytes: Uint8Array,
    source?: { log: string; seq: number },
  ): Promise<void>;
  onDocumentDeleted?(userId: string, sessionId: string, documentId: string): Promise<void>;
  /**
   * `updateDocumentAnalysis` stored a new analysis; `source` is the position of its `analysis` event in
   * the session's document log (a search index re-reads the document from there).
   */
  onDocumentAnalyzed?(
    userId: string,
    sessionId: string,
    documentId: string,
    source: { log: string; seq: number },
  ): Promise<void>;
  /**
   * `snapshotId` is set when the context was saved as a history snapshot rather than as the current one;
   * `source` is the position of its event in the session's context-event log (for catch-up).
   */
  onContextUpdated?(
    userId: string,
    sessionId: string,
    ctx: SituationalContext,
    snapshotId?: string,
    source?: { log: string; seq: number },
  ): Promise<void>;
  /** Contributed to `getStorageStats()` under the feature's name. */
  stats?(): Promise<Record<string, unknown>>;
  /** Contributed to `verify()`: issues use codes prefixed with the feature name. */
  verify?(opts: {
    repair?: boolean;
  }): Promise<{ code: string; key?: string; message: string; repaired?: boolean }[]>;
  /** Contributed to `compact()`. */
  compact?(): Promise<void>;
  /** Called by `importData`/`importFromPython` after bulk loads (rebuild derived data). */
  onBulkImport?(userIds: readonly string[]): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Search (`@ffdb/search-fts`) — the API.md methods of its area.
// ---------------------------------------------------------------------------------------------------
export interface SearchFeature extends FeatureHooks {
  searchMessages(
    userId: string,
    query: string,
    opts?: { sessionId?: string; sessionIds?: string[]; limit?: number },
  ): Promise<Message[]>;
  advancedSearch(q: SearchQuery): Promise<SearchResult[]>;
  searchByEntities(
    entities: Record<string, string[]>,
    opts?: { userId?: string; limit?: number },
  ): Promise<SearchResult[]>;
  searchByTimeRange(
    start: Date | string,
    end: Date | string,
    opts?: { userId?: string; queryText?: string; limit?: number },
  ): Promise<SearchResult[]>;
  extractEntities(text: string): Record<string, string[]>;
  searchDocuments(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; documentTypes?: string[]; limit?: number },
  ): Promise<DocumentSearchHit[]>;
  searchDocumentsByMetadata(userId: string, filters: Record<string, unknown>): Promise<DocumentSearchHit[]>;
  /**
   * Rebuilds the index from stored data (one user, or every user). `onProgress` is called per user as its
   * messages are indexed (`phase: 'messages'`, done/total in messages) and once when the user is finished
   * (`phase: 'done'`). Resolves to what was indexed.
   */
  rebuildSearchIndex(
    userId?: string,
    opts?: { onProgress?: (progress: SearchRebuildProgress) => void },
  ): Promise<SearchRebuildReport>;
  /** Full-text search over a user's panel messages (`type: 'panel_message'`, `sessionId` = panel id). */
  searchPanelMessages?(
    userId: string,
    query: string,
    opts?: { panelIds?: string[]; limit?: number },
  ): Promise<SearchResult[]>;
}

/** One progress report of `rebuildSearchIndex` (per user; `done`/`total` count that user's messages). */
export interface SearchRebuildProgress {
  userId: string;
  phase: 'messages' | 'documents' | 'context' | 'done';
  done: number;
  total: number;
}

/** What `rebuildSearchIndex` indexed. */
export interface SearchRebuildReport {
  users: number;
  messages: number;
  documents: number;
  contexts: number;
  durationMs: number;
}

export interface DocumentSearchHit {
  documentId: string;
  sessionId: string;
  filename: string;
  relevanceScore: number;
  contentPreview: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------------------
// Vectors (`@ffdb/vector-faiss`) — the API.md methods of its area.
// ---------------------------------------------------------------------------------------------------
export interface ProcessDocumentOptions {
  chunkingStrategy?: string;
  embeddingProvider?: string;
  metadata?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The filters of an `advancedSearch` in its vector or hybrid mode (roles, dates, metadata, entities,
 * what to include): the text leg's extra query fields, and a check of each vector-leg result, given the
 * message's or document's own metadata.
 */
/** Options of hybridSearch. */
export interface HybridSearchOptions {
  sessionIds?: string[];
  topK?: number;
  vectorWeight?: number;
  fusion?: 'weighted' | 'rrf';
  /** The vector leg's similarity threshold (default: vectorSearch's, the embedder's). */
  threshold?: number;
}

export interface VectorResultScope {
  text: Partial<SearchQuery>;
  accepts(result: SearchResult, own: Record<string, unknown>): boolean;
}

export interface VectorFeature extends FeatureHooks {
  processDocument(
    source: string | { filename: string; content: Uint8Array | string },
    userId: string,
    sessionId: string,
    opts?: ProcessDocumentOptions,
  ): Promise<ProcessingResult>;
  storeDocumentWithVectors(
    userId: string,
    sessionId: string,
    documentId: string,
    content: string | Uint8Array,
    opts?: { metadata?: Record<string, unknown>; chunkingStrategy?: string; embeddingProvider?: string },
  ): Promise<boolean>;
  vectorSearch(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; topK?: number; threshold?: number; embeddingProvider?: string },
    scope?: VectorResultScope,
  ): Promise<SearchResult[]>;
  searchSimilarMessages(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; similarityThreshold?: number; limit?: number },
  ): Promise<SearchResult[]>;
  hybridSearch(
    userId: string,
    query: string,
    opts?: HybridSearchOptions,
    scope?: VectorResultScope,
  ): Promise<SearchResult[]>;
  deleteDocumentVectors(userId: string, sessionId: string, documentId: string): Promise<boolean>;
  getVectorStats(userId: string, sessionId: string): Promise<Record<string, unknown>>;
  /** Each session's `storageSizeBytes` of getVectorStats, for all of a user's sessions in one pass. */
  vectorBytesBySession(userId: string): Promise<Map<string, number>>;
  /** Synchronous (API.md §6.11). */
  chunkText(text: string, strategy?: string, custom?: Record<string, unknown>): Chunk[];
  /**
   * The document chunks stored for one session, for a bundle: ids and metadata (their text, provider and
   * chunking strategy included), not the vectors.
   */
  exportChunks?(
    userId: string,
    sessionId: string,
  ): Promise<{ id: string; metadata: Record<string, unknown> }[]>;
  /**
   * Stores chunks a bundle carried: each is embedded again with the provider it was embedded with (the
   * same vectors for a deterministic embedder). Resolves to the number stored and what was left out.
   */
  importChunks?(
    userId: string,
    sessionId: string,
    entries: unknown,
  ): Promise<{ stored: number; issues: string[] }>;
  /** Vectors stored for one session (for getSessionStats.vectorCount); 0 when none. */
  countSessionVectors?(userId: string, sessionId: string): Promise<number>;
  /**
   * Re-embeds a user's whole index (document chunks and messages) with the default provider, e.g. after
   * the provider, model or dimension changed. Resolves to how many of each it stored.
   */
  rebuildUser?(userId: string): Promise<{ chunks: number; messages: number }>;
  /** The embedding space of the default provider (what a rebuild embeds into). */
  defaultSpace?(): { provider: string; model: string; dimension: number };
}

/** What `rebuildVectorIndex` re-embedded, and into which embedding space. */
export interface VectorRebuildReport {
  users: number;
  chunks: number;
  messages: number;
  space: { provider: string; model: string; dimension: number };
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------------
// Personas and panels (`@ffdb/personas`) — the API.md methods of its area.
// ---------------------------------------------------------------------------------------------------
export interface PersonaFeature extends FeatureHooks {
  savePersona(personaId: string, data: Record<string, unknown>, userId?: string): Promise<boolean>;
  /** Like savePersona, keeping the persona's own createdAt/updatedAt (imports, restores). */
  restorePersona(persona: Record<string, unknown>, userId?: string): Promise<boolean>;
  /** Links (or re-links) a panel to a user's session: its messages are mirrored there from then on. */
  linkPanelSession(
    panelId: string,
    userId: string,
    sessionId: string,
    opts?: { keepUpdatedAt?: boolean },
  ): Promise<boolean>;
  createPersona(persona: Record<string, unknown>): Promise<boolean | string>;
  getPersona(personaId: string, userId?: string): Promise<Persona | null>;
  /** The persona stored in exactly that scope, never a built-in default (imports decide "exists" by it). */
  getStoredPersona(personaId: string, userId?: string): Promise<Persona | null>;
  listPersonas(userId?: string): Promise<Persona[]>;
  deletePersona(personaId: string, userId?: string): Promise<boolean>;
  createPanel(panelType: string, personaIds: string[], config?: Record<string, unknown>): Promise<string>;
  getPanel(panelId: string): Promise<Panel | null>;
  listPanels(opts?: Record<string, unknown>): Promise<Panel[]>;
  /** `restoring` (imports): the panel's live limits are not applied (see PanelService.addPanelMessage). */
  addPanelMessage(
    panelId: string,
    message: Record<string, unknown>,
    opts?: { restoring?: boolean },
  ): Promise<boolean | PanelMessage>;
  getPanelMessages(
    panelId: string,
    opts?: { limit?: number; offset?: number; personaId?: string },
  ): Promise<PanelMessage[]>;
  savePanelInsight(panelId: string, insight: Record<string, unknown>): Promise<boolean | string>;
  getPanelInsights(panelId: string): Promise<PanelInsight[]>;
  getPanelStats(panelId: string): Promise<PanelStats | null>;
  /** Creates a panel keeping its id and times (imports, restores); false when it exists. */
  restorePanel?(panel: Record<string, unknown>, snapshots?: Record<string, unknown>[]): Promise<boolean>;
  /** The persona snapshots taken when the panel was created (exports). */
  getPanelPersonas?(panelId: string): Promise<Record<string, unknown>[]>;
}

export type FeatureName = 'search' | 'vectors' | 'personas';

export interface FeatureMap {
  search: SearchFeature;
  vectors: VectorFeature;
  personas: PersonaFeature;
}

/** The factory a feature folder exports. */
export type FeatureFactory<N extends FeatureName> = (
  ctx: FeatureContext,
  pkg: unknown,
) => FeatureMap[N] | Promise<FeatureMap[N]>;

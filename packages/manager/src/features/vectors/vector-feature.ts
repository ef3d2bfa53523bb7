/**
 * The manager's vector feature (API.md "Vectors and embeddings", processDocument, §6.10–6.12): document
 * processing (extract -> chunk -> embed -> index in the vector and full-text indexes), vector, message and
 * hybrid search, deletes, statistics. One vector index per user holds document chunks
 * (metadata.kind 'chunk') and, when enabled, messages (metadata.kind 'message').
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as realSetTimeout } from 'node:timers';
import path from 'node:path';
import {
  assertSafeId,
  assertUserId,
  type Chunk,
  type DocumentRecord,
  type Embedder,
  type EmbeddingSpace,
  FFCorruptionError,
  FFEmbeddingError,
  type FFError,
  FFValidationError,
  sliceWhole,
  type IndexDocument,
  type ProcessingResult,
  type SearchIndex,
  type SearchResult,
  type VectorHit,
  type VectorIndex,
} from '@ffdb/core-types';
import { assertAllowedExtension } from '../../services/documents.js';
import type {
  FeatureContext,
  HybridSearchOptions,
  ProcessDocumentOptions,
  StoredMessage,
  VectorFeature,
  VectorResultScope,
} from '../types.js';
import { LogProgress } from '../log-progress.js';
import { EmbeddingQueue, type QueuedMessage } from './embedding-queue.js';
import { fuse } from './hybrid-fusion.js';
import type { VectorFaissModule } from './vector-module.js';

/** Lexical (hashed n-gram) cosines run lower than a neural model's; its default threshold is this. */
export const HASHED_NGRAM_DEFAULT_THRESHOLD = 0.1;
const SNIPPET_CHARS = 200;
/** Stored document ids (`<8 hex>_<sanitized name>`) and caller-chosen ones. */
const DOCUMENT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,254}$/;
const MAX_TOP_K = 10_000;

/** A chunk id within its session: `<documentId>_chunk_<n>`. */
const CHUNK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]*_chunk_\d+$/;

/** Hits fetched when advancedSearch's filters will drop some after ranking: five times as many. */
function scopedFetch(count: number): number {
  return Math.min(MAX_TOP_K, Math.max(count * 5, 100));
}

/** The document's own metadata a chunk carries (what `processDocument(…, { metadata })` was given). */
function documentMetadataOf(h: VectorHit): Record<string, unknown> {
  const m = h.metadata.documentMetadata;
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as Record<string, unknown>) : {};
}
/** What a rebuild writes before it removes the old index: every document chunk, with its text. */
interface RebuildJournal {
  version: 1;
  chunks: { id: string; metadata: Meta }[];
}

/** The document chunks of index entries that carry their text (what a rebuild can embed again). */
function chunkEntries(entries: readonly { id: string; metadata: Meta }[]): { id: string; metadata: Meta }[] {
  return entries
    .filter((e) => e.metadata.kind === 'chunk' && typeof e.metadata.text === 'string')
    .map((e) => ({ id: e.id, metadata: e.metadata }));
}

/** A chunk's identity for reusing a vector: its id and text (a chunk replaced since has other text). */
const chunkKey = (c: { id: string; metadata: Meta }) => `${c.id}\u0000${c.metadata.text as string}`;

/** Messages read per page when catching up after a crash. */
const CATCH_UP_PAGE = 500;
/**
 * verify's second look at messages the index lacks (see verify): past another process's embedding
 * queue and journal write and this index's read refresh. (node:timers' export stays real under an
 * application's fake timers, as in activity.ts.)
 */
const VECTOR_VERIFY_SETTLE_MS = 1_000;
/** The positions entry recording the `vector.embedMessages` policy they were taken under (see catchUp). */
const EMBED_POLICY_KEY = '#embedMessages';

type Meta = Record<string, unknown>;

function validationIssue(pathName: string, message: string, limit?: number): FFValidationError {
  return new FFValidationError([{ path: pathName, message, ...(limit !== undefined ? { limit } : {}) }]);
}

function checkQuery(query: unknown): string {
  if (typeof query !== 'string' || query.trim() === '')
    throw validationIssue('query', 'must be a non-empty string');
  return query;
}

function checkOptions(opts: unknown, field = 'opts'): Record<string, unknown> {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    throw validationIssue(field, 'must be an object');
  return opts as Record<string, unknown>;
}

function optInt(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw validationIssue(`opts.${name}`, `must be an integer in [${min}, ${max}]`, max);
  }
  return v;
}

function optUnit(v: unknown, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > 1)
    throw validationIssue(`opts.${name}`, `must be a number in [${min}, 1]`, 1);
  return v;
}

function optSessionIds(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw validationIssue('opts.sessionIds', 'must be an array of session ids');
  return v.map((s, i) => assertSafeId(s, `opts.sessionIds.${i}`));
}

function optString(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v) throw validationIssue(`opts.${name}`, 'must be a non-empty string');
  return v;
}

/**
 * A session's part of its user's vector store in bytes: the index is one file set per user, so a
 * session's share is proportional to its vectors (getVectorStats and vectorBytesBySession agree).
 */
function shareOfBytes(bytesOnDisk: number, vectors: number, total: number): number {
  return total > 0 ? Math.round((bytesOnDisk * vectors) / total) : 0;
}

function snippetOf(text: string): string {
  return text.length <= SNIPPET_CHARS ? text : `${sliceWhole(text, 0, SNIPPET_CHARS).trimEnd()}…`;
}

export class FaissVectorFeature implements VectorFeature {
  private readonly embedders = new Map<string, Embedder>();
  private readonly queue: EmbeddingQueue;
  /** Per user: the catch-up of messages a previous process never embedded (see ensureUser). */
  private readonly caughtUp = new Map<string, Promise<void>>();
  /** Per message log: seqs of embeddable replies still streaming (positions stop before them). */
  private readonly openStreams = new Map<string, Set<number>>();
  /**
   * Per user and message log, the seq after the newest message this process has considered (embedded
   * or skipped as not embeddable): its own messages, catch-up, gap fills. See fillGaps.
   */
  private readonly consideredUpTo = new LogProgress();
  /** Per user: the look for a rebuild a dead process left unfinished (once per process; see resumeRebuild). */
  private readonly rebuildLooked = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: FeatureContext,
    private readonly pkg: VectorFaissModule,
    private readonly index: VectorIndex,
    private readonly ownsIndex: boolean,
    private readonly defaultEmbedder: Embedder | undefined,
  ) {
    this.queue = new EmbeddingQueue((batch) => this.embedMessages(batch), ctx.logger);
  }

  // ------------------------------------------------------------------ lifecycle

  async open(): Promise<void> {
    // Opened whether it was created here or supplied by the caller (closed only when created here).
    await this.index.open();
  }

  async close(): Promise<void> {
    await this.queue.drain();
    await Promise.allSettled(this.caughtUp.values());
    if (this.ownsIndex) await this.index.close();
    else await this.index.flush();
  }

  // ------------------------------------------------------------------ embedders

  private get vectorConfig() {
    return this.ctx.config.vector;
  }

  private providerName(name?: string): string {
    return name ?? this.defaultEmbedder?.space.provider ?? this.vectorConfig.defaultEmbeddingProvider;
  }

  /** The embedder for a provider name (created once; unknown names and missing keys throw). */
  embedderFor(provider?: string): Embedder {
    if (provider === undefined && this.defaultEmbedder) return this.defaultEmbedder;
    const name = this.providerName(provider);
    if (this.defaultEmbedder && name === this.defaultEmbedder.space.provider) return this.defaultEmbedder;
    let e = this.embedders.get(name);
    if (!e) {
      e = this.pkg.createEmbedder(name, this.vectorConfig, process.env);
      this.embedders.set(name, e);
    }
    return e;
  }

  private defaultThreshold(embedder: Embedder): number {
    const entry = this.vectorConfig.embeddingProviders?.[embedder.space.provider] as
      | { similarityThreshold?: unknown }
      | undefined;
    if (typeof entry?.similarityThreshold === 'number') return entry.similarityThreshold;
    if (embedder.space.provider === this.pkg.HASHED_NGRAM_PROVIDER) return HASHED_NGRAM_DEFAULT_THRESHOLD;
    return this.ctx.config.runtime.similarityThreshold;
  }

  // ------------------------------------------------------------------ documents

  /** `vector.chunkingStrategies` applies: its settings for a name, and the names only it defines. */
  /** An unknown strategy named by the option the caller gave (`opts.chunkingStrategy`), before any work. */
  private checkStrategy(strategy: string): void {
    try {
      this.chunkText('', strategy);
    } catch (error) {
      if (!FFValidationError.isInstance(error)) throw error;
      throw new FFValidationError(
        (error as FFValidationError).issues.map((i) => ({ ...i, path: 'opts.chunkingStrategy' })),
      );
    }
  }

  chunkText(text: string, strategy?: string, custom?: Record<string, unknown>): Chunk[] {
    return this.pkg.chunkText(
      text,
      strategy ?? this.vectorConfig.defaultChunkingStrategy,
      custom,
      this.vectorConfig.chunkingStrategies,
    );
  }

  async processDocument(
    source: string | { filename: string; content: Uint8Array | string },
    userId: string,
    sessionId: string,
    opts?: ProcessDocumentOptions,
  ): Promise<ProcessingResult> {
    const started = performance.now();
    assertUserId(userId);
    assertSafeId(sessionId, 'sessionId');
    const o = checkOptions(opts);
    const strategy =
      optString(o.chunkingStrategy, 'chunkingStrategy') ?? this.vectorConfig.defaultChunkingStrategy;
    const provider = optString(o.embeddingProvider, 'embeddingProvider');
    const metadata = o.metadata === undefined ? {} : (checkOptions(o.metadata, 'opts.metadata') as Meta);
    // The reference's `document_id`: processing again under the same id replaces the earlier version.
    const vectorDocumentId =
      o.documentId === undefined ? undefined : assertSafeId(o.documentId, 'documentId', DOCUMENT_KEY_PATTERN);
    let filename: string;
    let bytes: Uint8Array | string;
    if (typeof source === 'string') {
      if (!source) throw validationIssue('source', 'must be a file path or { filename, content }');
      filename = path.basename(source);
      try {
        bytes = new Uint8Array(await readFile(source));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const error =
          code === 'ENOENT'
            ? `Document not found: ${source}`
            : `Document could not be read (${code ?? 'error'}): ${source}`;
        return this.failure('', started, error);
      }
    } else if (
      source &&
      typeof source === 'object' &&
      typeof source.filename === 'string' &&
      source.filename
    ) {
      filename = source.filename;
      bytes = source.content;
      if (!(bytes instanceof Uint8Array) && typeof bytes !== 'string')
        throw validationIssue('source.content', 'must be a Uint8Array or a string');
    } else {
      throw validationIssue('source', 'must be a file path or { filename, content }');
    }
    // Validate before any work, so bad input throws and writes nothing (as saveDocument would).
    assertAllowedExtension(this.ctx.config.document.allowedExtensions, filename);
    this.checkStrategy(strategy);
    const embedder = this.embedderFor(provider);
    // A well-formed session that does not exist is a failed result, as a missing file is (it is not
    // bad input); checked before the extraction and embedding work.
    if (!(await this.ctx.existingSessions(userId, [sessionId])).has(sessionId)) {
      return this.failure('', started, `Session ${sessionId} not found for user ${userId}`);
    }
    await this.assertUserSpace(userId, embedder);
    const timings: Record<string, number> = {};
    const mark = (stage: string, since: number) => {
      timings[stage] = Math.round((performance.now() - since) * 100) / 100;
      return performance.now();
    };
    let t = performance.now();
    let text: string;
    let format: string;
    try {
      ({ text, format } = await this.pkg.extractText({ filename, bytes }));
    } catch (err) {
      return this.failure('', started, `Text extraction failed: ${(err as Error).message}`);
    }
    t = mark('extract', t);
    const chunks = this.chunkText(text, strategy);
    t = mark('chunk', t);
    let vectors: Float32Array[];
    try {
      vectors = chunks.length ? await embedder.embed(chunks.map((c) => c.text)) : [];
    } catch (err) {
      return this.failure('', started, `Embedding failed: ${(err as Error).message}`);
    }
    t = mark('embed', t);
    // Only now write anything: the document, then its chunks.
    const documentId = await this.ctx.saveDocument(userId, sessionId, filename, bytes, {
      ...metadata,
      ...(vectorDocumentId !== undefined ? { vectorDocumentId } : {}),
      processing: { chunkingStrategy: strategy, embeddingProvider: embedder.space.provider, format },
    });
    try {
      if (vectorDocumentId !== undefined)
        await this.dropEarlierVersions(userId, sessionId, vectorDocumentId, documentId);
      await this.indexChunks(
        userId,
        sessionId,
        vectorDocumentId ?? documentId,
        documentId,
        chunks,
        vectors,
        embedder,
        strategy,
        metadata,
      );
      await this.indexFullText(userId, sessionId, documentId, filename, text);
    } catch (err) {
      return this.failure(documentId, started, `Indexing failed: ${(err as Error).message}`);
    }
    mark('index', t);
    return {
      success: true,
      documentId,
      chunkCount: chunks.length,
      vectorCount: vectors.length,
      processingTime: (performance.now() - started) / 1000,
      timings,
      metadata: {
        chunkingStrategy: strategy,
        embeddingProvider: embedder.space.provider,
        format,
        characters: text.length,
        ...(vectorDocumentId !== undefined ? { vectorDocumentId } : {}),
      },
    };
  }

  /** Throws FF_SPACE_MISMATCH when the user's index already holds vectors of another embedding space. */
  private async assertUserSpace(userId: string, embedder: Embedder): Promise<void> {
    const { space } = await this.index.stats(userId);
    const given = embedder.space;
    if (
      !space ||
      (space.provider === given.provider &&
        space.model === given.model &&
        space.dimension === given.dimension)
    )
      return;
    const describe = (s: EmbeddingSpace) => `${s.provider}/${s.model}/${s.dimension}d`;
    throw new FFEmbeddingError(
      given.provider,
      `embedding space ${describe(given)} does not match the user's index space ${describe(space)}; ` +
        'vectors of different models cannot be compared (use the same provider, or re-embed the index in the ' +
        'new space: rebuildVectorIndex(), `ffdb reindex --vectors`)',
      { code: 'FF_SPACE_MISMATCH' },
    );
  }

  private failure(documentId: string, started: number, error: string): ProcessingResult {
    return {
      success: false,
      documentId,
      chunkCount: 0,
      vectorCount: 0,
      processingTime: (performance.now() - started) / 1000,
      error,
    };
  }

  async storeDocumentWithVectors(
    userId: string,
    sessionId: string,
    documentId: string,
    content: string | Uint8Array,
    opts?: { metadata?: Record<string, unknown>; chunkingStrategy?: string; embeddingProvider?: string },
  ): Promise<boolean> {
    assertUserId(userId);
    assertSafeId(sessionId, 'sessionId');
    assertSafeId(documentId, 'documentId');
    if (typeof content !== 'string' && !(content instanceof Uint8Array))
      throw validationIssue('content', 'must be a string or a Uint8Array');
    const o = checkOptions(opts);
    const strategy =
      optString(o.chunkingStrategy, 'chunkingStrategy') ?? this.vectorConfig.defaultChunkingStrategy;
    const metadata = o.metadata === undefined ? {} : (checkOptions(o.metadata, 'opts.metadata') as Meta);
    this.checkStrategy(strategy);
    const embedder = this.embedderFor(optString(o.embeddingProvider, 'embeddingProvider'));
    // Mixing embedding spaces throws (API.md), before the document is saved.
    await this.assertUserSpace(userId, embedder);
    // As the reference: the document is saved under its id (".txt" added when it has no extension).
    const filename = /\.[A-Za-z0-9]+$/.test(documentId) ? documentId : `${documentId}.txt`;
    try {
      const text =
        typeof content === 'string'
          ? content
          : (await this.pkg.extractText({ filename, bytes: content })).text;
      const chunks = this.chunkText(text, strategy);
      const vectors = chunks.length ? await embedder.embed(chunks.map((c) => c.text)) : [];
      const storedId = await this.ctx.saveDocument(userId, sessionId, filename, content, {
        ...metadata,
        vectorDocumentId: documentId,
      });
      // Reprocessing replaces the previous chunks (and full-text entries) of this document id.
      await this.dropEarlierVersions(userId, sessionId, documentId, storedId);
      await this.indexChunks(
        userId,
        sessionId,
        documentId,
        storedId,
        chunks,
        vectors,
        embedder,
        strategy,
        metadata,
      );
      await this.indexFullText(userId, sessionId, storedId, filename, text);
      return true;
    } catch (err) {
      if (FFValidationError.isInstance(err)) throw err;
      if (FFEmbeddingError.isInstance(err) && err.code === 'FF_SPACE_MISMATCH') throw err;
      this.ctx.logger.warn(
        { code: (err as FFError).code, err: (err as Error).message },
        'storeDocumentWithVectors failed',
      );
      return false;
    }
  }

  /** Re-extracts, re-chunks and re-embeds a stored document, replacing its previous chunks. */
  async reprocessDocument(
    userId: string,
    sessionId: string,
    documentId: string,
    opts: ProcessDocumentOptions = {},
  ): Promise<ProcessingResult> {
    const started = performance.now();
    assertUserId(userId);
    assertSafeId(sessionId, 'sessionId');
    assertSafeId(documentId, 'documentId', DOCUMENT_KEY_PATTERN);
    const o = checkOptions(opts);
    const strategy =
      optString(o.chunkingStrategy, 'chunkingStrategy') ?? this.vectorConfig.defaultChunkingStrategy;
    const metadata = o.metadata === undefined ? {} : (checkOptions(o.metadata, 'opts.metadata') as Meta);
    this.checkStrategy(strategy);
    const embedder = this.embedderFor(optString(o.embeddingProvider, 'embeddingProvider'));
    const info = await this.ctx.getDocumentInfo(userId, sessionId, documentId);
    const bytes = info ? await this.ctx.getDocumentBytes(userId, sessionId, documentId) : null;
    if (!info || !bytes) return this.failure(documentId, started, `Document not found: ${documentId}`);
    // Chunks keep the caller's id when the document was processed under one.
    const vectorDocumentId =
      typeof info.metadata?.vectorDocumentId === 'string' ? info.metadata.vectorDocumentId : documentId;
    try {
      const { text } = await this.pkg.extractText({ filename: info.originalName || info.filename, bytes });
      const chunks = this.chunkText(text, strategy);
      const vectors = chunks.length ? await embedder.embed(chunks.map((c) => c.text)) : [];
      await this.chunkWrite(userId, () =>
        this.index.removeWhere(
          userId,
          (m) => m.kind === 'chunk' && m.sessionId === sessionId && m.storedDocumentId === documentId,
        ),
      );
      await this.indexChunks(
        userId,
        sessionId,
        vectorDocumentId,
        documentId,
        chunks,
        vectors,
        embedder,
        strategy,
        metadata,
      );
      await this.indexFullText(userId, sessionId, documentId, info.filename, text);
      return {
        success: true,
        documentId,
        chunkCount: chunks.length,
        vectorCount: vectors.length,
        processingTime: (performance.now() - started) / 1000,
      };
    } catch (err) {
      return this.failure(documentId, started, (err as Error).message);
    }
  }

  /**
   * Before a document is indexed again under `vectorDocumentId`: removes the chunks of every earlier
   * version, and deletes every earlier stored copy (other than `currentStoredId`) through the manager, so
   * listings, statistics and both searches show only the current version. The delete hooks remove the
   * copies' full-text entries and extracted text. Runs after the new copy is saved (a crash in between
   * leaves two copies rather than none) and before the new chunks are indexed (the vector delete hook
   * matches chunks by the stored id, which a caller may have chosen as `vectorDocumentId`).
   */
  private async dropEarlierVersions(
    userId: string,
    sessionId: string,
    vectorDocumentId: string,
    currentStoredId: string,
  ): Promise<void> {
    const earlier = (await this.ctx.listDocuments(userId, sessionId))
      .filter(
        (d) =>
          d.documentId !== currentStoredId &&
          (d.documentId === vectorDocumentId || d.metadata?.vectorDocumentId === vectorDocumentId),
      )
      .map((d) => d.documentId);
    await this.chunkWrite(userId, () =>
      this.index.removeWhere(
        userId,
        (m) => m.kind === 'chunk' && m.sessionId === sessionId && m.documentId === vectorDocumentId,
      ),
    );
    for (const id of earlier) await this.ctx.deleteDocument(userId, sessionId, id);
  }

  private async indexChunks(
    userId: string,
    sessionId: string,
    documentId: string,
    storedDocumentId: string,
    chunks: Chunk[],
    vectors: Float32Array[],
    embedder: Embedder,
    strategy: string,
    metadata: Meta,
  ): Promise<void> {
    await this.ctx.storage.delete(this.vectorsRemovedKey(userId, sessionId, storedDocumentId));
    if (!chunks.length) return;
    const createdAt = this.ctx.clock.now().toISOString();
    await this.chunkWrite(userId, () =>
      this.index.upsert(
        userId,
        embedder.space,
        chunks.map((c, i) => ({
          id: `${sessionId}/${documentId}_chunk_${c.index}`,
          vector: vectors[i] as Float32Array,
          metadata: {
            kind: 'chunk',
            sessionId,
            documentId,
            storedDocumentId,
            chunkIndex: c.index,
            totalChunks: c.total,
            charCount: c.charCount,
            wordCount: c.wordCount,
            position: { start: c.start, end: c.end },
            text: c.text,
            chunkingStrategy: strategy,
            provider: embedder.space.provider,
            createdAt,
            ...(Object.keys(metadata).length ? { documentMetadata: metadata } : {}),
          },
        })),
      ),
    );
  }

  /**
   * Makes the extracted text (e.g. of a PDF) searchable by the full-text index: the search feature indexes
   * only what it can decode itself, so the document's entry is replaced by one holding the extracted text.
   */
  private extractedTextKey(userId: string, sessionId: string, documentId: string): string {
    return `${this.ctx.keys.userFeatureRoot(userId, 'vectors')}/text/${sessionId}/${documentId}`;
  }

  /**
   * The text extracted from a processed document (e.g. a PDF's), or null. The search feature can use this
   * when it (re)indexes documents it cannot decode itself.
   */
  async extractedText(userId: string, sessionId: string, documentId: string): Promise<string | null> {
    assertUserId(userId);
    assertSafeId(sessionId, 'sessionId');
    const bytes = await this.ctx.storage.read(
      this.extractedTextKey(userId, sessionId, assertSafeId(documentId, 'documentId', DOCUMENT_KEY_PATTERN)),
    );
    return bytes ? new TextDecoder().decode(bytes) : null;
  }

  private async indexFullText(
    userId: string,
    sessionId: string,
    documentId: string,
    filename: string,
    text: string,
  ): Promise<void> {
    await this.ctx.storage.write(
      this.extractedTextKey(userId, sessionId, documentId),
      new TextEncoder().encode(text),
    );
    const search = (await this.ctx.getFeature('search')) as
      | (Record<string, unknown> & {
          index?: SearchIndex;
          indexDocumentText?: (u: string, s: string, d: string, t: string) => Promise<void>;
        })
      | null;
    if (!search || !text.trim()) return;
    if (typeof search.indexDocumentText === 'function') {
      await search.indexDocumentText(userId, sessionId, documentId, text);
      return;
    }
    const index = search.index;
    if (!index || typeof index.add !== 'function') return;
    const info = await this.ctx.getDocumentInfo(userId, sessionId, documentId);
    if (!info) return;
    // Same id and metadata shape as the search feature's own document entries (features/search/items.ts),
    // so its delete hook removes this entry too.
    const item: IndexDocument = {
      id: `d/${sessionId}/${documentId}`,
      userId,
      sessionId,
      type: 'document',
      content: text,
      timestamp: info.uploadedAt,
      title: info.originalName || filename,
      metadata: {
        documentId,
        filename: info.filename,
        originalName: info.originalName,
        mimeType: info.mimeType,
        size: info.size,
        uploadedBy: info.uploadedBy,
        metadata: info.metadata,
      },
    };
    await index.add([item]);
  }

  async deleteDocumentVectors(userId: string, sessionId: string, documentId: string): Promise<boolean> {
    assertUserId(userId);
    assertSafeId(sessionId, 'sessionId');
    // The caller's id (a key like storeDocumentWithVectors') or the stored document's id.
    assertSafeId(documentId, 'documentId', DOCUMENT_KEY_PATTERN);
    // False when nothing matched, as every delete of something missing (API.md §1); the reference's
    // delete_document_vectors returned True regardless.
    const removed = (await this.removeDocumentChunks(userId, sessionId, documentId)) > 0;
    if (removed) {
      // On purpose: verify must not take these documents for interrupted processing and index them again.
      for (const d of await this.ctx.listDocuments(userId, sessionId)) {
        if (d.documentId === documentId || d.metadata?.vectorDocumentId === documentId)
          await this.ctx.storage.write(
            this.vectorsRemovedKey(userId, sessionId, d.documentId),
            new Uint8Array(),
          );
      }
    }
    return removed;
  }

  /** Marks a stored document whose vectors deleteDocumentVectors removed (see unchunkedDocuments). */
  private vectorsRemovedKey(userId: string, sessionId: string, documentId: string): string {
    return `${this.ctx.keys.userFeatureRoot(userId, 'vectors')}/vectors-removed/${sessionId}/${documentId}`;
  }

  /**
   * Removes the chunks of a document, by the caller's id (a vector key) or the stored document's id;
   * resolves to how many were removed.
   */
  private async removeDocumentChunks(userId: string, sessionId: string, documentId: string): Promise<number> {
    return this.chunkWrite(userId, () =>
      this.index.removeWhere(
        userId,
        (m) =>
          m.kind === 'chunk' &&
          m.sessionId === sessionId &&
          (m.documentId === documentId || m.storedDocumentId === documentId),
      ),
    );
  }

  // ------------------------------------------------------------------ search

  /** The `k` nearest vectors passing `filter`; `threshold` defaults to the embedder's (defaultThreshold). */
  private async searchIndex(
    userId: string,
    embedder: Embedder,
    query: string,
    k: number,
    threshold: number | undefined,
    filter: (m: Meta) => boolean,
  ): Promise<VectorHit[]> {
    if (k === 0) return [];
    await this.resumeRebuild(userId);
    const stats = await this.index.stats(userId);
    if (!stats.space || stats.count === 0) return [];
    const [q] = await embedder.embed([query]);
    return this.index.search(userId, embedder.space, q as Float32Array, {
      k,
      threshold: threshold ?? this.defaultThreshold(embedder),
      filter,
    });
  }

  /**
   * What every search method validates first, in this order: the user id, the query, the options object,
   * `sessionIds` and the result count (`countName`, default `runtime.vectorSearchTopK`). Resolves the
   * session filter; method-specific options are validated by the caller from `o`.
   */
  private searchRequest(
    userId: string,
    query: string,
    opts: unknown,
    countName: 'topK' | 'limit',
  ): { o: Record<string, unknown>; count: number; sessionIds?: string[]; inSessions: (m: Meta) => boolean } {
    assertUserId(userId);
    checkQuery(query);
    const o = checkOptions(opts);
    const sessionIds = optSessionIds(o.sessionIds);
    const count = optInt(o[countName], countName, 0, MAX_TOP_K) ?? this.ctx.config.runtime.vectorSearchTopK;
    const sessions = sessionIds ? new Set(sessionIds) : null;
    return {
      o,
      count,
      ...(sessionIds ? { sessionIds } : {}),
      inSessions: (m) => !sessions || sessions.has(m.sessionId as string),
    };
  }

  /** The message embedder, once a crash's unembedded messages are caught up and the queue is drained. */
  private async messageEmbedder(userId: string): Promise<Embedder> {
    const embedder = this.embedderFor();
    await this.ensureUser(userId);
    await this.queue.drain();
    return embedder;
  }

  async vectorSearch(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; topK?: number; threshold?: number; embeddingProvider?: string },
    scope?: VectorResultScope,
  ): Promise<SearchResult[]> {
    const { o, count, inSessions } = this.searchRequest(userId, query, opts, 'topK');
    const threshold = o.threshold === undefined ? undefined : optUnit(o.threshold, 'threshold', -1);
    const embedder = this.embedderFor(optString(o.embeddingProvider, 'embeddingProvider'));
    const hits = await this.searchIndex(
      userId,
      embedder,
      query,
      scope ? scopedFetch(count) : count,
      threshold,
      (m) => m.kind === 'chunk' && inSessions(m),
    );
    const results = hits.map((h) => this.chunkResult(userId, h));
    if (!scope) return results;
    return results
      .filter((r, i) => scope.accepts(r, documentMetadataOf(hits[i] as VectorHit)))
      .slice(0, count);
  }

  private chunkResult(userId: string, h: VectorHit): SearchResult {
    const m = h.metadata;
    const text = typeof m.text === 'string' ? m.text : '';
    const { text: _t, kind: _k, ...rest } = m;
    return {
      id: h.id.slice(h.id.indexOf('/') + 1),
      type: 'vector_chunk',
      content: text,
      sessionId: String(m.sessionId),
      userId,
      timestamp: typeof m.createdAt === 'string' ? m.createdAt : this.ctx.clock.now().toISOString(),
      relevanceScore: h.score,
      highlights: [],
      snippet: snippetOf(text),
      metadata: { ...rest, search_type: 'vector', similarity: h.score },
    };
  }

  async searchSimilarMessages(
    userId: string,
    query: string,
    opts?: { sessionIds?: string[]; similarityThreshold?: number; limit?: number },
  ): Promise<SearchResult[]> {
    const { o, count, inSessions } = this.searchRequest(userId, query, opts, 'limit');
    const threshold = optUnit(o.similarityThreshold, 'similarityThreshold', -1);
    const embedder = await this.messageEmbedder(userId);
    const hits = await this.searchIndex(
      userId,
      embedder,
      query,
      count,
      threshold,
      (m) => m.kind === 'message' && inSessions(m),
    );
    return Promise.all(hits.map((h) => this.messageResult(userId, h)));
  }

  private async messageResult(userId: string, h: VectorHit): Promise<SearchResult> {
    return (await this.messageHit(userId, h)).result;
  }

  /** A message hit as a result, with the message's own metadata (for advancedSearch's filters). */
  private async messageHit(
    userId: string,
    h: VectorHit,
  ): Promise<{ result: SearchResult; own: Record<string, unknown> }> {
    const m = h.metadata;
    const sessionId = String(m.sessionId);
    const seq = typeof m.seq === 'number' ? m.seq : -1;
    let content = '';
    let own: Record<string, unknown> = {};
    if (seq >= 0) {
      const [msg] = await this.ctx.readMessages(userId, sessionId, { fromSeq: seq, limit: 1 });
      if (msg && msg.messageId === m.messageId) {
        content = msg.content;
        own = msg.metadata ?? {};
      }
    }
    const result: SearchResult = {
      id: String(m.messageId),
      type: 'message',
      content,
      sessionId,
      userId,
      timestamp: String(m.timestamp ?? ''),
      relevanceScore: h.score,
      highlights: [],
      snippet: snippetOf(content),
      metadata: { role: m.role, seq, search_type: 'vector', similarity: h.score },
    };
    return { result, own };
  }

  async hybridSearch(
    userId: string,
    query: string,
    opts?: HybridSearchOptions,
    scope?: VectorResultScope,
  ): Promise<SearchResult[]> {
    const { o, count: topK, sessionIds, inSessions } = this.searchRequest(userId, query, opts, 'topK');
    const vectorWeight =
      optUnit(o.vectorWeight, 'vectorWeight') ?? this.ctx.config.runtime.hybridSearchVectorWeight;
    const threshold = o.threshold === undefined ? undefined : optUnit(o.threshold, 'threshold', -1);
    const fusion = o.fusion ?? 'weighted';
    if (fusion !== 'weighted' && fusion !== 'rrf')
      throw validationIssue('opts.fusion', "must be 'weighted' or 'rrf'");
    if (topK === 0) return [];
    // Each leg fetches more than topK so fusion can promote items the other leg ranks lower.
    const fetch = Math.min(MAX_TOP_K, Math.max(topK * 3, 20));
    const search = await this.ctx.getFeature('search');
    const textLeg = search
      ? await search.advancedSearch({
          query,
          userId,
          ...(sessionIds ? { sessionIds } : {}),
          maxResults: fetch,
          includeMessages: true,
          includeDocuments: true,
          includeContext: false,
          ...scope?.text,
        })
      : [];
    const embedder = await this.messageEmbedder(userId);
    // The vector leg is vectorSearch's: below the similarity threshold (the embedder's default unless
    // given) a hit is not evidence, as in the reference, whose hybrid search ran its vector search. With
    // any positive cosine counting, an unrelated message scored 0.98 under rrf at w = 1. A scope's
    // filters drop hits after the index ranked them, so it fetches more.
    const hits = await this.searchIndex(
      userId,
      embedder,
      query,
      scope ? scopedFetch(fetch) : fetch,
      threshold,
      inSessions,
    );
    const scored = await Promise.all(
      hits.map((h) =>
        h.metadata.kind === 'message'
          ? this.messageHit(userId, h)
          : Promise.resolve({ result: this.chunkResult(userId, h), own: documentMetadataOf(h) }),
      ),
    );
    const vectorLeg = scored
      .filter(({ result, own }) => !scope || scope.accepts(result, own))
      .map(({ result }) => result)
      .slice(0, fetch);
    return fuse(textLeg, vectorLeg, { fusion, vectorWeight, topK });
  }

  // ------------------------------------------------------------------ statistics

  private async entriesOf(userId: string): Promise<{ id: string; metadata: Meta }[] | null> {
    // A port method since the sixteenth session; an index written against the older port may lack it.
    return typeof this.index.entries === 'function' ? this.index.entries(userId) : null;
  }

  async getVectorStats(userId: string, sessionId: string): Promise<Record<string, unknown>> {
    assertUserId(userId);
    assertSafeId(sessionId, 'sessionId');
    await this.ensureUser(userId);
    await this.queue.drain();
    const stats = await this.index.stats(userId);
    const entries = (await this.entriesOf(userId)) ?? [];
    const mine = entries.filter((e) => e.metadata.sessionId === sessionId);
    if (!mine.length) {
      return {
        totalVectors: 0,
        totalDocuments: 0,
        vectorDimensions: 0,
        storageSizeBytes: 0,
        providersUsed: [],
        indexType: stats.indexType,
      };
    }
    const documents = new Set(
      mine.filter((e) => e.metadata.kind === 'chunk').map((e) => e.metadata.documentId),
    );
    const providers = new Set(
      mine.map((e) => String(e.metadata.provider ?? stats.space?.provider ?? '')).filter(Boolean),
    );
    return {
      totalVectors: mine.length,
      totalDocuments: documents.size,
      vectorDimensions: stats.space?.dimension ?? 0,
      storageSizeBytes: shareOfBytes(stats.bytesOnDisk, mine.length, entries.length),
      providersUsed: [...providers].sort(),
      messageVectors: mine.filter((e) => e.metadata.kind === 'message').length,
      indexType: stats.indexType,
      embeddingModel: stats.space?.model,
    };
  }

  async vectorBytesBySession(userId: string): Promise<Map<string, number>> {
    assertUserId(userId);
    await this.ensureUser(userId);
    await this.queue.drain();
    const stats = await this.index.stats(userId);
    const entries = (await this.entriesOf(userId)) ?? [];
    const counts = new Map<string, number>();
    for (const e of entries) {
      const sid = String(e.metadata.sessionId);
      counts.set(sid, (counts.get(sid) ?? 0) + 1);
    }
    const out = new Map<string, number>();
    for (const [sid, n] of counts) out.set(sid, shareOfBytes(stats.bytesOnDisk, n, entries.length));
    return out;
  }

  async countSessionVectors(userId: string, sessionId: string): Promise<number> {
    const entries = await this.entriesOf(userId);
    return entries ? entries.filter((e) => e.metadata.sessionId === sessionId).length : 0;
  }

  async stats(): Promise<Record<string, unknown>> {
    return { pendingMessageEmbeddings: this.queue.size, indexId: this.index.id };
  }

  // ------------------------------------------------------------------ bundles

  async exportChunks(userId: string, sessionId: string): Promise<{ id: string; metadata: Meta }[]> {
    const entries = (await this.entriesOf(userId)) ?? [];
    return entries
      .filter((e) => e.metadata.kind === 'chunk' && e.metadata.sessionId === sessionId)
      .map((e) => ({ id: e.id, metadata: e.metadata }));
  }

  /**
   * Stores the chunks of a bundle's `vector_chunks` record, each embedded again with the provider it was
   * embedded with. An entry that is not a chunk of one of this session's documents (wrong session, bad
   * id, no text, no such document) is left out and named in `issues`, as is a provider this process
   * cannot use; the rest are stored (an id given twice once).
   */
  /**
   * The embedder for imported chunks. The user's index decides when it exists (vectors of two spaces
   * cannot share an index); otherwise the provider they were embedded with, or this process's default
   * provider when that one is not available here. Either way the chunks are embedded again.
   */
  private async importEmbedder(userId: string, provider: string): Promise<Embedder> {
    const { space } = await this.index.stats(userId);
    let embedder: Embedder;
    if (space) embedder = this.embedderFor(space.provider);
    else {
      try {
        embedder = this.embedderFor(provider);
      } catch {
        embedder = this.embedderFor();
      }
    }
    await this.assertUserSpace(userId, embedder);
    return embedder;
  }

  async importChunks(
    userId: string,
    sessionId: string,
    raw: unknown,
  ): Promise<{ stored: number; issues: string[] }> {
    if (!Array.isArray(raw)) throw validationIssue('data', 'must be an array of chunks');
    const issues: string[] = [];
    const documents = new Set((await this.ctx.listDocuments(userId, sessionId)).map((d) => d.documentId));
    const maxText = this.ctx.config.storage.maxDocumentSizeBytes;
    const problem = (entry: unknown): string | null => {
      const e = entry as { id?: unknown; metadata?: unknown } | null;
      if (typeof e?.id !== 'string') return 'has no id';
      if (!e.id.startsWith(`${sessionId}/`)) return 'belongs to another session';
      const local = e.id.slice(sessionId.length + 1);
      if (!CHUNK_ID_PATTERN.test(local) || local.includes('..')) return 'has an invalid id';
      const m = e.metadata as Meta | undefined;
      if (!m || typeof m !== 'object' || Array.isArray(m)) return 'has no metadata';
      if (m.kind !== 'chunk') return 'is not a document chunk';
      if (typeof m.text !== 'string' || m.text.trim() === '') return 'has no text';
      if (m.text.length > maxText) return `has a text over storage.maxDocumentSizeBytes (${maxText})`;
      if (typeof m.provider !== 'string' || m.provider === '') return 'names no provider';
      const document = m.storedDocumentId ?? m.documentId;
      if (typeof document !== 'string' || !documents.has(document))
        return 'belongs to no document of the session';
      // The id names its document: a chunk of one document never replaces another's.
      if (local.slice(0, local.lastIndexOf('_chunk_')) !== m.documentId)
        return 'has an id that does not name its documentId';
      return null;
    };
    const byProvider = new Map<string, Map<string, { metadata: Meta; text: string }>>();
    raw.forEach((entry, i) => {
      const why = problem(entry);
      if (why) {
        if (issues.length < 20) issues.push(`chunk ${i} of session ${sessionId} ${why}; left out`);
        return;
      }
      const { id, metadata } = entry as { id: string; metadata: Meta };
      const provider = metadata.provider as string;
      const chunks = byProvider.get(provider) ?? new Map<string, { metadata: Meta; text: string }>();
      chunks.set(id, { metadata: { ...metadata, sessionId }, text: metadata.text as string });
      byProvider.set(provider, chunks);
    });
    let stored = 0;
    for (const [provider, chunks] of byProvider) {
      try {
        const embedder = await this.importEmbedder(userId, provider);
        const list = [...chunks];
        const vectors = await embedder.embed(list.map(([, c]) => c.text));
        const used = embedder.space.provider;
        await this.chunkWrite(userId, () =>
          this.index.upsert(
            userId,
            embedder.space,
            list.map(([id, c], i) => ({
              id,
              vector: vectors[i] as Float32Array,
              metadata: used === provider ? c.metadata : { ...c.metadata, provider: used },
            })),
          ),
        );
        stored += list.length;
      } catch (error) {
        issues.push(
          `${chunks.size} chunks of session ${sessionId} embedded by ${provider} not stored: ${(error as Error).message}`,
        );
      }
    }
    return { stored, issues };
  }

  // ------------------------------------------------------------------ rebuild in a new space

  defaultSpace(): EmbeddingSpace {
    return this.embedderFor().space;
  }

  /** The user's chunk lock (see chunkWrite). */
  private rebuildKey(userId: string): string {
    return `${this.ctx.keys.userFeatureRoot(userId, 'vectors')}/rebuild`;
  }

  private journalKey(userId: string): string {
    return `${this.ctx.keys.userFeatureRoot(userId, 'vectors')}/rebuild.json`;
  }

  private async embedTexts(embedder: Embedder, texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const size = this.vectorConfig.batchSize;
    for (let i = 0; i < texts.length; i += size)
      out.push(...(await embedder.embed(texts.slice(i, i + size))));
    return out;
  }

  /**
   * A write of document chunks (store, replace, delete): after any rebuild a dead process left is finished,
   * and never while a rebuild replaces the user's index (a per-user lock across processes), so a rebuild
   * neither drops a chunk stored meanwhile nor brings back one deleted meanwhile.
   */
  private async chunkWrite<T>(userId: string, write: () => Promise<T>): Promise<T> {
    await this.resumeRebuild(userId);
    return this.ctx.storage.withLock(this.rebuildKey(userId), async () => {
      // A journal a rebuild left after this process last looked (it died since): finished first, or
      // finishing it later would undo this write.
      const left = await this.readJournal(userId);
      if (left) {
        await this.finishRebuild(userId, left);
        // The messages' vectors went with the old index: the next vector use catches them up.
        this.caughtUp.delete(userId);
      }
      return write();
    });
  }

  /** The journal a rebuild left (null when none); an unreadable one is FF_CORRUPTION. */
  private async readJournal(userId: string): Promise<RebuildJournal | null> {
    const raw = await this.ctx.storage.read(this.journalKey(userId));
    if (!raw) return null;
    try {
      const journal = JSON.parse(Buffer.from(raw).toString('utf8')) as RebuildJournal;
      if (journal.version !== 1 || !Array.isArray(journal.chunks)) throw new Error('unknown shape');
      return journal;
    } catch {
      throw new FFCorruptionError(`the vector rebuild journal of user ${userId} cannot be read`, {
        key: this.journalKey(userId),
      });
    }
  }

  /**
   * Re-embeds a user's whole index with the default provider: after a change of provider, model or
   * dimension (FF_SPACE_MISMATCH) the old vectors cannot be compared with new ones. Document chunks are
   * embedded again from the text the index keeps with each, messages from their logs. The chunks' new
   * vectors are computed first, so a provider that fails changes nothing. Then, under the user's chunk
   * lock, the chunks are written to a journal, the old index is removed and the new one filled; a process
   * that dies in between leaves the journal, which the next vector use of the user (in any process)
   * finishes. Messages come back through the catch-up (the positions went with the old index).
   */
  async rebuildUser(userId: string): Promise<{ chunks: number; messages: number }> {
    assertUserId(userId);
    await this.queue.drain();
    await this.caughtUp.get(userId);
    await this.resumeRebuild(userId).catch(async (error: unknown) => {
      // A journal that cannot be read would block the user's vectors for good: this rebuild replaces it
      // with what the index holds (chunks only that journal had are lost either way).
      if (!FFCorruptionError.isInstance(error)) throw error;
      this.ctx.logger.warn(
        { code: 'FF_CORRUPTION' },
        'vector rebuild journal unreadable; rebuilding without it',
      );
      await this.ctx.storage.delete(this.journalKey(userId));
    });
    const embedder = this.embedderFor();
    const chunks = chunkEntries((await this.entriesOf(userId)) ?? []);
    const vectors = await this.embedTexts(
      embedder,
      chunks.map((c) => c.metadata.text as string),
    );
    const known = new Map(chunks.map((c, i) => [chunkKey(c), vectors[i] as Float32Array]));
    const done = (async () => {
      const stored = await this.ctx.storage.withLock(this.rebuildKey(userId), async () => {
        const journal: RebuildJournal = { version: 1, chunks };
        await this.ctx.storage.write(this.journalKey(userId), Buffer.from(JSON.stringify(journal)));
        return this.finishRebuild(userId, journal, known);
      });
      await this.catchUpMessages(userId, true);
      return stored;
    })();
    // Message embedding waits for the rebuild, as it waits for a catch-up.
    this.caughtUp.set(
      userId,
      done.then(
        () => undefined,
        () => void this.caughtUp.delete(userId),
      ),
    );
    let stored: number;
    try {
      stored = await done;
    } catch (error) {
      // A journal left behind is finished at the next vector use, in this process too.
      this.rebuildLooked.delete(userId);
      throw error;
    }
    const messages = ((await this.entriesOf(userId)) ?? []).filter((e) => e.metadata.kind === 'message');
    return { chunks: stored, messages: messages.length };
  }

  /**
   * Under the user's chunk lock: replaces the index by the journal's chunks in the default space, joined
   * by the chunks the index holds now (stored since the journal was written) and without those of
   * documents deleted since. Resolves to the number of chunks stored.
   */
  private async finishRebuild(
    userId: string,
    journal: RebuildJournal,
    known: Map<string, Float32Array> = new Map(),
  ): Promise<number> {
    const embedder = this.embedderFor();
    // The user deleted meanwhile (its tree, the journal with it): nothing to bring back.
    if (!(await this.ctx.listUserIds()).includes(userId)) {
      await this.ctx.storage.delete(this.journalKey(userId));
      return 0;
    }
    const byId = new Map(journal.chunks.map((c) => [c.id, c]));
    for (const c of chunkEntries((await this.entriesOf(userId)) ?? [])) byId.set(c.id, c);
    const documents = new Map<string, Set<string>>();
    const live = async (c: { metadata: Meta }) => {
      const sessionId = String(c.metadata.sessionId);
      let ids = documents.get(sessionId);
      if (!ids) {
        ids = new Set((await this.ctx.listDocuments(userId, sessionId)).map((d) => d.documentId));
        documents.set(sessionId, ids);
      }
      return ids.has(String(c.metadata.storedDocumentId ?? c.metadata.documentId));
    };
    const chunks: { id: string; metadata: Meta }[] = [];
    for (const c of byId.values()) if (await live(c)) chunks.push(c);
    const missing = chunks.filter((c) => !known.has(chunkKey(c)));
    const fresh = await this.embedTexts(
      embedder,
      missing.map((c) => c.metadata.text as string),
    );
    for (const [i, c] of missing.entries()) known.set(chunkKey(c), fresh[i] as Float32Array);
    await this.index.removeUser(userId);
    this.consideredUpTo.forgetUser(userId);
    const size = this.vectorConfig.batchSize;
    for (let i = 0; i < chunks.length; i += size) {
      await this.index.upsert(
        userId,
        embedder.space,
        chunks.slice(i, i + size).map((c) => ({
          id: c.id,
          vector: known.get(chunkKey(c)) as Float32Array,
          metadata: { ...c.metadata, provider: embedder.space.provider },
        })),
      );
    }
    await this.ctx.storage.delete(this.journalKey(userId));
    this.rebuildLooked.set(userId, Promise.resolve());
    return chunks.length;
  }

  /** Finishes a rebuild whose process died (looked for once per user and process, before any vector use). */
  private resumeRebuild(userId: string): Promise<void> {
    let p = this.rebuildLooked.get(userId);
    if (!p) {
      p = (async () => {
        const journal = await this.readJournal(userId);
        if (!journal) return;
        this.ctx.logger.info({ chunks: journal.chunks.length }, 'finishing an interrupted vector rebuild');
        // Embedded before the lock is taken, so other processes' document writes do not wait for it.
        const embedder = this.embedderFor();
        const vectors = await this.embedTexts(
          embedder,
          journal.chunks.map((c) => c.metadata.text as string),
        );
        const known = new Map(journal.chunks.map((c, i) => [chunkKey(c), vectors[i] as Float32Array]));
        let finished = false;
        await this.ctx.storage.withLock(this.rebuildKey(userId), async () => {
          // Another process may have finished it while this one waited for the lock.
          const still = await this.readJournal(userId);
          if (!still) return;
          await this.finishRebuild(userId, still, known);
          finished = true;
        });
        // The messages' vectors went with the old index.
        if (finished) await this.catchUpMessages(userId, true);
      })();
      // A failure is retried at the next use.
      p.catch(() => this.rebuildLooked.delete(userId));
      this.rebuildLooked.set(userId, p);
    }
    return p;
  }

  // ------------------------------------------------------------------ hooks

  private shouldEmbed(m: StoredMessage): boolean {
    if (m.metadata?.streamStatus === 'streaming') return false;
    return this.wantsEmbedding(m) && typeof m.content === 'string' && m.content.trim() !== '';
  }

  private wantsEmbedding(m: StoredMessage): boolean {
    return this.vectorConfig.embedMessages === true || m.metadata?.enableEmbeddings === true;
  }

  private queued(userId: string, sessionId: string, m: StoredMessage): QueuedMessage {
    return {
      userId,
      sessionId,
      messageId: m.messageId,
      seq: m.seq,
      role: m.role,
      content: m.content,
      timestamp: m.timestamp,
    };
  }

  async onMessagesAdded(
    userId: string,
    sessionId: string,
    messages: readonly StoredMessage[],
  ): Promise<void> {
    const log = this.ctx.messagesLogKey(userId, sessionId);
    for (const m of messages) {
      // A reply still streaming is embedded when it completes: until then, positions must not pass it.
      if (m.metadata?.streamStatus === 'streaming' && this.wantsEmbedding(m)) {
        const open = this.openStreams.get(log) ?? new Set<number>();
        open.add(m.seq);
        this.openStreams.set(log, open);
      }
    }
    // Messages right after the last one this process considered (no other process wrote in between)
    // are considered now, embeddable or not; after a gap the next embedding batch fills it first.
    let first = Number.POSITIVE_INFINITY;
    let next = 0;
    for (const m of messages) {
      if (m.seq < first) first = m.seq;
      if (m.seq + 1 > next) next = m.seq + 1;
    }
    if (messages.length > 0 && this.consideredUpTo.get(userId, log) === first) {
      this.consideredUpTo.note(userId, log, next);
    }
    this.queue.enqueue(
      messages.filter((m) => this.shouldEmbed(m)).map((m) => this.queued(userId, sessionId, m)),
    );
  }

  async onMessageUpdated(userId: string, sessionId: string, message: StoredMessage): Promise<void> {
    await this.onMessagesAdded(userId, sessionId, [message]);
  }

  /** Embeds a queued batch, then records how far each message log has been considered. */
  private async embedMessages(batch: QueuedMessage[]): Promise<void> {
    const byUser = new Map<string, QueuedMessage[]>();
    for (const m of batch) byUser.set(m.userId, [...(byUser.get(m.userId) ?? []), m]);
    for (const [userId, items] of byUser) {
      // Catch up first: recording this batch's positions must not skip messages a crash left unembedded.
      await this.ensureUser(userId);
      await this.embedAndUpsert(userId, [...(await this.fillGaps(userId, items)), ...items]);
      // Sessions (or the whole user) deleted while this batch was embedded: their delete hook may have
      // run before these vectors were stored, so they are removed again.
      const sessions = [...new Set(items.map((m) => m.sessionId))];
      const alive = await this.ctx.existingSessions(userId, sessions);
      const gone = new Set(sessions.filter((sid) => !alive.has(sid)));
      if (gone.size > 0) {
        await this.index.removeWhere(userId, (m) => gone.has(m.sessionId as string));
        if (gone.size === sessions.length && !(await this.ctx.listUserIds()).includes(userId)) {
          await this.index.removeUser(userId);
          continue;
        }
      }
      const marks: Record<string, number> = {};
      for (const m of items) {
        const log = this.ctx.messagesLogKey(userId, m.sessionId);
        const open = this.openStreams.get(log);
        if (open?.delete(m.seq) && open.size === 0) this.openStreams.delete(log);
        marks[log] = Math.max(marks[log] ?? 0, m.seq + 1);
      }
      for (const [log, next] of Object.entries(marks)) this.consideredUpTo.note(userId, log, next);
      for (const [log, next] of Object.entries(marks)) {
        const open = this.openStreams.get(log);
        if (open?.size) marks[log] = Math.min(next, ...open);
      }
      await this.index.setPositions?.(userId, marks);
    }
  }

  private async embedAndUpsert(userId: string, items: readonly QueuedMessage[]): Promise<void> {
    if (!items.length) return;
    const embedder = this.embedderFor();
    const size = this.vectorConfig.batchSize;
    for (let i = 0; i < items.length; i += size) {
      const part = items.slice(i, i + size);
      const vectors = await embedder.embed(part.map((m) => m.content));
      await this.index.upsert(
        userId,
        embedder.space,
        part.map((m, j) => ({
          id: `${m.sessionId}/${m.messageId}`,
          vector: vectors[j] as Float32Array,
          metadata: {
            kind: 'message',
            sessionId: m.sessionId,
            messageId: m.messageId,
            seq: m.seq,
            role: m.role,
            timestamp: m.timestamp,
            provider: embedder.space.provider,
          },
        })),
      );
    }
  }

  /**
   * Another process appending to the same session leaves seqs this process never saw between its own
   * messages. Positions are "the seq after the newest message considered", so recording this batch's
   * would claim them and no catch-up would ever embed the other process's messages. Returns the
   * embeddable messages between the last one this process considered from each log and the batch's
   * first.
   */
  private async fillGaps(userId: string, items: readonly QueuedMessage[]): Promise<QueuedMessage[]> {
    const first = new Map<string, { sessionId: string; seq: number }>();
    for (const m of items) {
      const log = this.ctx.messagesLogKey(userId, m.sessionId);
      const f = first.get(log);
      if (!f || m.seq < f.seq) first.set(log, { sessionId: m.sessionId, seq: m.seq });
    }
    const gap: QueuedMessage[] = [];
    for (const [log, { sessionId, seq }] of first) {
      if (seq === 0) continue; // nothing before it
      // The user's catch-up (done before this) noted every log it covered; one it did not know is read
      // from seq 0 (re-embedding a message replaces its vector).
      const known = this.consideredUpTo.get(userId, log) ?? 0;
      for (let at = known; at < seq; at += CATCH_UP_PAGE) {
        const page = await this.ctx.readMessages(userId, sessionId, {
          fromSeq: at,
          limit: Math.min(CATCH_UP_PAGE, seq - at),
        });
        if (!page.length) break;
        for (const m of page) if (this.shouldEmbed(m)) gap.push(this.queued(userId, sessionId, m));
      }
    }
    return gap;
  }

  // ------------------------------------------------------------------ crash catch-up

  /**
   * Embeds what a previous process enqueued but never embedded (it died before the queue drained): once
   * per user and process, before that user's first message search and before new positions are recorded.
   */
  private ensureUser(userId: string): Promise<void> {
    if (typeof this.index.positions !== 'function' || typeof this.index.setPositions !== 'function')
      return Promise.resolve();
    let p = this.caughtUp.get(userId);
    if (!p) {
      p = this.catchUp(userId).catch((err) => {
        this.caughtUp.delete(userId);
        this.ctx.logger.warn(
          { code: (err as FFError)?.code, err: (err as Error)?.message },
          'vector catch-up of stored messages failed',
        );
      });
      this.caughtUp.set(userId, p);
    }
    return p;
  }

  private async catchUp(userId: string): Promise<void> {
    await this.resumeRebuild(userId);
    await this.catchUpMessages(userId);
  }

  /**
   * `fromStart` (after a rebuild replaced the index): every log is read from its start whatever the
   * positions say, as a batch embedded while the index was replaced may have recorded one past messages
   * the new index lacks; what the index holds is skipped.
   */
  private async catchUpMessages(userId: string, fromStart = false): Promise<void> {
    const positions = (await this.index.positions?.(userId)) ?? {};
    const marks: Record<string, number> = {};
    // Positions say which messages were considered, under the policy of their time: a message passed
    // while `vector.embedMessages` was off was not embedded. The policy is recorded with them (odd =
    // on, even = off; positions only grow), and a process that finds it turned on since reads every log
    // again, embedding what it lacks, so turning the setting on covers the older messages too.
    const policy = positions[EMBED_POLICY_KEY] ?? 0;
    const on = this.vectorConfig.embedMessages === true;
    const rescan =
      fromStart || (on && policy % 2 === 0 && Object.keys(positions).some((k) => k !== EMBED_POLICY_KEY));
    const held = rescan ? new Set(((await this.entriesOf(userId)) ?? []).map((e) => e.id)) : undefined;
    let embedded = 0;
    for (const session of await this.ctx.listSessions(userId)) {
      const sessionId = session.sessionId;
      const log = this.ctx.messagesLogKey(userId, sessionId);
      const count = await this.ctx.countMessages(userId, sessionId);
      const from = rescan ? 0 : (positions[log] ?? 0);
      this.consideredUpTo.note(userId, log, Math.min(from, count));
      if (from >= count) continue;
      let stored = 0;
      for (let seq = from; seq < count; seq += CATCH_UP_PAGE) {
        const page = await this.ctx.readMessages(userId, sessionId, { fromSeq: seq, limit: CATCH_UP_PAGE });
        if (!page.length) break;
        const todo = page
          .filter((m) => this.shouldEmbed(m) && !held?.has(`${sessionId}/${m.messageId}`))
          .map((m) => this.queued(userId, sessionId, m));
        await this.embedAndUpsert(userId, todo);
        stored += todo.length;
      }
      embedded += stored;
      // The session deleted while its messages were embedded: its delete hook may have run before these
      // vectors were stored, so they are removed again.
      if (stored > 0 && !(await this.ctx.existingSessions(userId, [sessionId])).has(sessionId)) {
        await this.index.removeWhere(userId, (m) => m.sessionId === sessionId);
        continue;
      }
      const open = this.openStreams.get(log);
      marks[log] = open?.size ? Math.min(count, ...open) : count;
      this.consideredUpTo.note(userId, log, count);
    }
    if (on !== (policy % 2 === 1)) marks[EMBED_POLICY_KEY] = policy + 1;
    if (Object.keys(marks).length) await this.index.setPositions?.(userId, marks);
    if (embedded) this.ctx.logger.info({ messages: embedded }, 'vector catch-up embedded stored messages');
  }

  async onSessionDeleted(userId: string, sessionId: string): Promise<void> {
    await this.queue.drain();
    const log = this.ctx.messagesLogKey(userId, sessionId);
    this.openStreams.delete(log);
    this.consideredUpTo.forgetLog(userId, log);
    // A session recreated under this id starts from seq 0 again.
    await this.index.setPositions?.(userId, { [log]: null });
    await this.ctx.storage.delete(`${this.ctx.keys.userFeatureRoot(userId, 'vectors')}/text/${sessionId}`);
    await this.ctx.storage.delete(
      `${this.ctx.keys.userFeatureRoot(userId, 'vectors')}/vectors-removed/${sessionId}`,
    );
    await this.chunkWrite(userId, () => this.index.removeWhere(userId, (m) => m.sessionId === sessionId));
  }

  async onUserDeleted(userId: string): Promise<void> {
    await this.queue.drain();
    // Under the chunk lock: a rebuild finishing meanwhile must not store the user's chunks again after.
    await this.ctx.storage.withLock(this.rebuildKey(userId), () => this.index.removeUser(userId));
    this.caughtUp.delete(userId);
    this.rebuildLooked.delete(userId);
    this.consideredUpTo.forgetUser(userId);
  }

  /** Imported messages fire no hooks: catch the users up again on their next use. */
  async onBulkImport(userIds: readonly string[]): Promise<void> {
    for (const userId of userIds) {
      this.caughtUp.delete(userId);
      this.consideredUpTo.forgetUser(userId);
    }
  }

  async onDocumentDeleted(userId: string, sessionId: string, documentId: string): Promise<void> {
    await this.ctx.storage.delete(this.extractedTextKey(userId, sessionId, documentId));
    await this.ctx.storage.delete(this.vectorsRemovedKey(userId, sessionId, documentId));
    await this.removeDocumentChunks(userId, sessionId, documentId);
  }

  async compact(): Promise<void> {
    await this.index.flush();
  }

  /**
   * Documents `processDocument` saved (their metadata says how they were processed) whose chunks the
   * index lacks: a process killed between saving the document and indexing its chunks (or indexing that
   * failed) leaves one. Documents whose text gives no chunk at all, and those whose vectors
   * deleteDocumentVectors removed, are not counted.
   */
  private async unchunkedDocuments(
    userId: string,
    candidates?: readonly { sessionId: string; doc: DocumentRecord }[],
  ): Promise<{ sessionId: string; doc: DocumentRecord }[]> {
    const chunked = new Set<string>();
    for (const e of await this.index.entries!(userId)) {
      if (e.metadata.kind !== 'chunk') continue;
      const stored = e.metadata.storedDocumentId ?? e.metadata.documentId;
      if (typeof stored === 'string') chunked.add(`${e.metadata.sessionId}/${stored}`);
    }
    // A second look goes only through the first one's sessions and documents, whose text is known
    // to give chunks.
    const only = candidates && new Set(candidates.map((c) => `${c.sessionId}/${c.doc.documentId}`));
    const sessions = candidates
      ? [...new Set(candidates.map((c) => c.sessionId))]
      : (await this.ctx.listSessions(userId)).map((s) => s.sessionId);
    const out: { sessionId: string; doc: DocumentRecord }[] = [];
    for (const sessionId of sessions) {
      for (const doc of await this.ctx.listDocuments(userId, sessionId)) {
        const key = `${sessionId}/${doc.documentId}`;
        if ((only && !only.has(key)) || !isProcessed(doc) || chunked.has(key)) continue;
        if (await this.ctx.storage.exists(this.vectorsRemovedKey(userId, sessionId, doc.documentId)))
          continue;
        if (!only) {
          const text = await this.storedText(userId, sessionId, doc);
          if (text === null || this.chunkText(text, processingOf(doc).chunkingStrategy).length === 0)
            continue;
        }
        out.push({ sessionId, doc });
      }
    }
    return out;
  }

  /** The text of a stored document as processDocument extracted it (null: its bytes are gone). */
  private async storedText(userId: string, sessionId: string, doc: DocumentRecord): Promise<string | null> {
    const bytes = await this.ctx.getDocumentBytes(userId, sessionId, doc.documentId);
    if (!bytes) return null;
    try {
      return (await this.pkg.extractText({ filename: doc.originalName || doc.filename, bytes })).text;
    } catch {
      return null;
    }
  }

  /** Chunks, embeds and indexes a stored, processed document again (verify's repair). */
  private async reprocessStored(userId: string, sessionId: string, doc: DocumentRecord): Promise<void> {
    const {
      processing: _processing,
      vectorDocumentId: _vectorDocumentId,
      ...metadata
    } = doc.metadata as Meta & { processing?: unknown; vectorDocumentId?: unknown };
    const result = await this.reprocessDocument(userId, sessionId, doc.documentId, {
      chunkingStrategy: processingOf(doc).chunkingStrategy,
      metadata,
    });
    if (!result.success) throw new Error(result.error ?? 'reprocessing failed');
  }

  /**
   * Compares, per session, the embeddable messages of the log with the message vectors the index holds;
   * what it lacks is one `vectors.behind` issue per log (with `repair`, embedded now). Positions cannot
   * show such a hole: with several writer processes, one's checkpoint of the shared index files can
   * drop vectors the other journalled, under positions that cover them (see docs/vectors.md).
   */
  async verify(opts: {
    repair?: boolean;
  }): Promise<{ code: string; key?: string; message: string; repaired?: boolean }[]> {
    const issues: { code: string; key?: string; message: string; repaired?: boolean }[] = [];
    if (typeof this.index.entries !== 'function') return issues;
    await this.queue.drain();
    for (const userId of await this.ctx.listUserIds()) {
      await this.ensureUser(userId);
      const heldIds = async () =>
        new Set(
          (await this.index.entries!(userId)).filter((e) => e.metadata.kind === 'message').map((e) => e.id),
        );
      const have = await heldIds();
      const lacking: { sessionId: string; missing: QueuedMessage[]; embeddable: number }[] = [];
      const unchunked = await this.unchunkedDocuments(userId);
      for (const { sessionId } of await this.ctx.listSessions(userId)) {
        const missing: QueuedMessage[] = [];
        let embeddable = 0;
        const count = await this.ctx.countMessages(userId, sessionId);
        for (let seq = 0; seq < count; seq += CATCH_UP_PAGE) {
          const page = await this.ctx.readMessages(userId, sessionId, { fromSeq: seq, limit: CATCH_UP_PAGE });
          if (!page.length) break;
          for (const m of page) {
            if (!this.shouldEmbed(m)) continue;
            embeddable++;
            if (!have.has(`${sessionId}/${m.messageId}`)) missing.push(this.queued(userId, sessionId, m));
          }
        }
        if (missing.length > 0) lacking.push({ sessionId, missing, embeddable });
      }
      if (lacking.length > 0 || unchunked.length > 0) {
        // Another live process embeds its messages in the background and journals them: what reaches
        // this index within the settle time was in flight, not missing (API.md: visible within 5 s).
        // The same for a processDocument between saving the document and indexing its chunks.
        await new Promise((resolve) => realSetTimeout(resolve, VECTOR_VERIFY_SETTLE_MS));
        await this.queue.drain();
        const now = await heldIds();
        for (const l of lacking)
          l.missing = l.missing.filter((q) => !now.has(`${l.sessionId}/${q.messageId}`));
        const stillUnchunked = new Set(
          (await this.unchunkedDocuments(userId, unchunked)).map((d) => d.doc.documentId),
        );
        for (const d of unchunked) {
          if (!stillUnchunked.has(d.doc.documentId)) continue;
          if (opts.repair) await this.reprocessStored(userId, d.sessionId, d.doc);
          issues.push({
            code: 'vectors.behind',
            key: this.ctx.keys.documentKey(userId, d.sessionId, d.doc.documentId),
            message:
              'a processed document has no chunks in the vector index (processDocument was interrupted)',
            repaired: opts.repair === true,
          });
        }
      }
      for (const { sessionId, missing, embeddable } of lacking) {
        if (missing.length === 0) continue;
        if (opts.repair) await this.embedAndUpsert(userId, missing);
        issues.push({
          code: 'vectors.behind',
          key: this.ctx.messagesLogKey(userId, sessionId),
          message: `vector index lacks ${missing.length} of ${embeddable} embeddable messages`,
          repaired: opts.repair === true,
        });
      }
    }
    return issues;
  }
}

/** Whether processDocument stored this document (its metadata records how it was processed). */
function isProcessed(doc: DocumentRecord): boolean {
  const p = (doc.metadata as Record<string, unknown> | undefined)?.processing;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof (p as { chunkingStrategy?: unknown }).chunkingStrategy === 'string'
  );
}

function processingOf(doc: DocumentRecord): { chunkingStrategy: string } {
  return (doc.metadata as { processing: { chunkingStrategy: string } }).processing;
}

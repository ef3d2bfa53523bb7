/**
 * The manager's search feature: API.md's search methods on top of a SearchIndex (by default the
 * LunrSearchIndex of @ffdb/search-fts), kept up to date by the manager's change hooks and caught up
 * from the message logs after a crash (`SearchIndex.positions`).
 */
import {
  assertUserId,
  DateInput,
  type DocumentRecord,
  FFValidationError,
  type IndexDocument,
  type IndexedItemType,
  type IndexHit,
  type IndexQuery,
  type Message,
  type ParsedSearchQuery,
  SafeIdSchema,
  type SearchIndex,
  type SearchQuery,
  SEARCH_QUERY_MAX_CHARS,
  SearchQuerySchema,
  type SearchResult,
  type SituationalContext,
  sliceWhole,
} from '@ffdb/core-types';
import { setTimeout as realSetTimeout } from 'node:timers';
import { z } from 'zod';
import type {
  DocumentSearchHit,
  FeatureContext,
  SearchFeature,
  StoredMessage,
  VectorFeature,
  VectorResultScope,
} from '../types.js';
import {
  EntityExtractor,
  type EntityMap,
  entityPrefilter,
  matchesEntities,
  mergeEntities,
} from './entities.js';
import {
  contextItem,
  documentItem,
  documentItemId,
  messageItem,
  messageItemId,
  ownMetadata,
  panelItemId,
  toMessage,
  toSearchResult,
} from './items.js';
import { LogProgress } from '../log-progress.js';
import { ThrottledLooks } from './throttled-looks.js';
import { WorkerSearchIndex } from './worker-search-index.js';
import { byRelevanceThenRecency } from '../../result-order.js';

/** One issue of the feature's part of `verify()`. */
type VerifyIssue = { code: string; key?: string; message: string; repaired?: boolean };

/**
 * Candidates fetched first when results are filtered after the index (entities, metadata, document
 * types); when too few of them pass, every candidate is fetched, so no match is missed.
 */
const POST_FILTER_FIRST_FETCH = 1_000;

/** The text entities are extracted from: the item's content and, for a document, its title. */
function textOf(hit: IndexHit): string {
  const title = hit.metadata?.title;
  return typeof title === 'string' ? `${hit.content}\n${title}` : hit.content;
}
const READ_PAGE = 1_000;
/**
 * A query looks for messages other processes appended at most this often per user (see
 * refreshFromOthers): the look reads the session counts the session index keeps, no storage call per
 * session, and another process's appends reach that index within ~50 ms (its touch events).
 */
const OTHERS_REFRESH_MS = 250;
/**
 * verify's second look at lag it found (see verify): past another process's note coalescing (~50 ms)
 * and this process's look at the notes.
 */
const VERIFY_SETTLE_MS = 300;
// (node:timers' export stays real under an application's fake timers, as in activity.ts.)

/** One kind of lag of one session's log (see SearchFeature.verify). */
interface Lag {
  sessionId: string;
  kind: 'messages' | 'absent' | 'documents' | 'contexts';
  /** The log length this look judged up to (the next look judges no further). */
  bound: number;
  key: string;
  message: string;
  repair(): Promise<unknown>;
}
/**
 * advancedSearch matches any word of the query unless `mode: 'and'` is given, as the reference kept
 * every item matching at least one word, ranked by the share matched (the index's `or` scales BM25 by
 * that share). searchMessages keeps `and`: the reference matched its whole query as a substring.
 */
const DEFAULT_ADVANCED_MODE = 'or';
/** What the search feature reads of the personas feature's panels (structural: personas is optional). */
interface PanelSource {
  panelMessageCounts?(userId: string): Promise<Map<string, number>>;
  panelMessagesFrom(panelId: string, fromSeq: number): Promise<(PanelMessageInput & { seq: number })[]>;
}

/** The key this process's progress through a panel's message log is noted under. */
function panelLogKey(panelId: string): string {
  return `panel:${panelId}`;
}

/** Real time even under an application's fake timers (captured at load, as in activity.ts). */
const realNow = performance.now.bind(performance);

export interface RebuildProgress {
  userId: string;
  phase: 'messages' | 'documents' | 'context' | 'done';
  done: number;
  total: number;
}

export interface RebuildReport {
  users: number;
  messages: number;
  documents: number;
  contexts: number;
  durationMs: number;
}

export interface PanelMessageInput {
  messageId: string;
  content: string;
  timestamp: string;
  role?: string;
  personaId?: string;
  metadata?: Record<string, unknown>;
}

function issuesOf(error: z.ZodError, root: string): FFValidationError {
  return new FFValidationError(
    error.issues.map((i) => ({
      path: [root, ...i.path.map(String)].filter(Boolean).join('.'),
      message: i.message,
    })),
  );
}

function parse<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw issuesOf(r.error, root);
  return r.data;
}

/** A result count: 0 asks for nothing and gets `[]` (the reference's `results[:0]`), as vectorSearch's topK. */
const LimitSchema = z.number().int().nonnegative().optional();
const SearchMessagesOpts = z
  .object({
    sessionId: SafeIdSchema.optional(),
    sessionIds: z.array(SafeIdSchema).optional(),
    limit: LimitSchema,
  })
  .optional();
/** A Date or an ISO string, as search queries take them (an impossible calendar date is refused). */
const DateArg = DateInput;

/** The seq after the newest of `events` (a loop: a spread of a long log's events would overflow the stack). */
function nextAfter(events: readonly { seq: number }[]): number {
  let next = 0;
  for (const e of events) if (e.seq + 1 > next) next = e.seq + 1;
  return next;
}

/** A search text argument: a string no longer than the index accepts, named as the caller wrote it. */
function assertQueryText(query: unknown): asserts query is string {
  if (typeof query !== 'string') throw new FFValidationError('must be a string', { path: 'query' });
  if (query.length > SEARCH_QUERY_MAX_CHARS) {
    throw new FFValidationError([
      {
        path: 'query',
        message: `is ${query.length} characters, over the limit of ${SEARCH_QUERY_MAX_CHARS}`,
        limit: SEARCH_QUERY_MAX_CHARS,
      },
    ]);
  }
}

export class FtsSearchFeature implements SearchFeature {
  private readonly ctx: FeatureContext;
  readonly index: SearchIndex;
  private readonly ownsIndex: boolean;
  private readonly extractor: EntityExtractor;
  private readonly caughtUp = new Map<string, Promise<void>>();
  /**
   * Per user and source log (messages, documents, context events): the seq after the newest event this
   * process has indexed from it (its own writes, catch-up, gap fills). See fillGap.
   */
  private readonly indexedUpTo = new LogProgress();
  /** Per user: when a query last looked for other processes' messages, and that look while it runs. */
  private readonly othersLook = new ThrottledLooks<void>(OTHERS_REFRESH_MS, realNow);
  /**
   * Replies read while still being streamed, per user (`sessionId\nseq`): their text grows and their
   * status changes without the log's count changing, so refreshFromOthers reads them again until they end.
   */
  private readonly streamingReplies = new Map<string, Set<string>>();
  /** Per user, the incarnation (see FeatureContext.userIncarnation) this process last indexed under. */
  private readonly userIncarnations = new Map<string, number>();
  /** Removals of deleted sessions' items started by queries (see existingSessions). */
  private readonly removals = new Set<Promise<void>>();
  /** The same for panel messages (see refreshPanels). */
  private readonly panelsLook = new ThrottledLooks<Set<string> | null>(OTHERS_REFRESH_MS, realNow);
  private background: Promise<void> | null = null;
  private closing = false;

  constructor(ctx: FeatureContext, index: SearchIndex, ownsIndex: boolean) {
    this.ctx = ctx;
    this.index = index;
    this.ownsIndex = ownsIndex;
    this.extractor = new EntityExtractor(
      ctx.config.runtime.entityPatterns as Record<string, string>,
      ctx.config.search as unknown as Record<string, unknown>,
    );
  }

  private get searchCap(): number {
    return this.ctx.config.runtime.defaultSearchLimit;
  }

  // ------------------------------------------------------------------ lifecycle

  async open(): Promise<void> {
    // Opened whether it was created here or supplied by the caller (closed only when created here).
    await this.index.open();
    // Catch up every user in the background; a query for a user waits for that user only.
    this.background = (async () => {
      try {
        for (const userId of await this.ctx.listUserIds()) {
          if (this.closing) return;
          await this.ensureUser(userId);
        }
      } catch (error) {
        this.logError('catch-up', error);
      }
    })();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.background;
    await Promise.allSettled(this.caughtUp.values());
    await this.settleRemovals();
    if (this.ownsIndex) await this.index.close();
    // A caller's own index: flushed, unless the caller closed it already (its flush then refuses).
    else
      await this.index.flush().catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 'FF_CLOSED') throw error;
      });
  }

  private logError(what: string, error: unknown): void {
    const e = error as { code?: unknown; message?: unknown };
    this.ctx.logger.warn({ code: e?.code, err: String(e?.message ?? error) }, `search ${what} failed`);
  }

  // ------------------------------------------------------------------ catch-up and rebuild

  /** Index whatever the logs hold beyond what the index covers (after a crash or a fresh index). */
  private ensureUser(userId: string): Promise<void> {
    let p = this.caughtUp.get(userId);
    if (!p) {
      p = this.catchUp(userId).catch((error) => {
        this.caughtUp.delete(userId);
        this.logError('catch-up', error);
      });
      this.caughtUp.set(userId, p);
    }
    return p;
  }

  /** Forget what was caught up (the index was replaced, e.g. the worker died): catch up again lazily. */
  resetCatchUp(): void {
    this.caughtUp.clear();
    this.indexedUpTo.clear();
  }

  private async catchUp(userId: string): Promise<void> {
    const positions = await this.index.positions(userId);
    const fresh = Object.keys(positions).length === 0;
    for (const session of await this.ctx.listSessions(userId)) {
      const log = this.ctx.messagesLogKey(userId, session.sessionId);
      const count = await this.ctx.countMessages(userId, session.sessionId);
      await this.indexMessagesFrom(userId, session.sessionId, positions[log] ?? 0, count);
      this.indexedUpTo.note(userId, log, count);
      // Documents carry their document-log position: what was stored after it is indexed again.
      const docLog = this.ctx.documentsLogKey(userId, session.sessionId);
      this.indexedUpTo.note(userId, docLog, positions[docLog] ?? 0);
      await this.indexDocumentsFrom(userId, session.sessionId, positions[docLog] ?? 0);
      // Contexts by their context-event position; a fresh index also takes those written before events.
      if (fresh) await this.indexContexts(userId, session.sessionId);
      const ctxLog = this.ctx.contextEventsLogKey(userId, session.sessionId);
      this.indexedUpTo.note(userId, ctxLog, positions[ctxLog] ?? 0);
      await this.indexContextsFrom(userId, session.sessionId, positions[ctxLog] ?? 0);
    }
  }

  private async indexMessagesFrom(
    userId: string,
    sessionId: string,
    from: number,
    count: number,
    onPage?: (n: number) => void,
  ): Promise<number> {
    const log = this.ctx.messagesLogKey(userId, sessionId);
    let done = 0;
    for (let seq = from; seq < count; seq += READ_PAGE) {
      const page = await this.ctx.readMessages(userId, sessionId, { fromSeq: seq, limit: READ_PAGE });
      if (page.length === 0) break;
      for (const m of page) this.watchIfStreaming(userId, sessionId, m);
      await this.index.add(page.map((m) => messageItem(userId, sessionId, m, log)));
      done += page.length;
      onPage?.(page.length);
    }
    return done;
  }

  /**
   * Indexes the documents whose events (put, analysis, delete) are at or after `from` in the session's
   * document log, each tagged with the position of its newest event; deleted ones are removed.
   */
  private async indexDocumentsFrom(userId: string, sessionId: string, from: number): Promise<number> {
    const events = await this.ctx.readDocumentEvents(userId, sessionId, from);
    if (events.length === 0) return 0;
    const newest = new Map<string, number>();
    for (const e of events) newest.set(e.documentId, e.seq);
    this.indexedUpTo.note(userId, this.ctx.documentsLogKey(userId, sessionId), nextAfter(events));
    const current = new Map(
      (await this.ctx.listDocuments(userId, sessionId)).map((r) => [r.documentId, r] as const),
    );
    const log = this.ctx.documentsLogKey(userId, sessionId);
    const gone: string[] = [];
    let indexed = 0;
    for (const [documentId, seq] of newest) {
      const record = current.get(documentId);
      if (!record) {
        gone.push(documentItemId(sessionId, documentId));
        continue;
      }
      await this.indexDocument(userId, sessionId, record, { log, seq });
      indexed++;
    }
    if (gone.length > 0) await this.index.remove(userId, gone);
    return indexed;
  }

  /**
   * Applies the document events in [from, to) that another process wrote (this process's own are
   * applied by their hooks): a document stored or changed there is indexed, one deleted there is
   * removed. Removing matters as much as adding: the hook's event at `to` moves this process's
   * position past the delete, so no catch-up would ever look at it again.
   */
  private async indexDocumentEvents(
    userId: string,
    sessionId: string,
    from: number,
    to: number,
  ): Promise<void> {
    const newest = new Map<string, number>();
    for (const e of await this.ctx.readDocumentEvents(userId, sessionId, from)) {
      if (e.seq < to) newest.set(e.documentId, e.seq);
    }
    if (newest.size === 0) return;
    const log = this.ctx.documentsLogKey(userId, sessionId);
    const current = new Map(
      (await this.ctx.listDocuments(userId, sessionId)).map((r) => [r.documentId, r] as const),
    );
    const gone: string[] = [];
    for (const [documentId, seq] of newest) {
      const record = current.get(documentId);
      if (record) await this.indexDocument(userId, sessionId, record, { log, seq });
      else gone.push(documentItemId(sessionId, documentId));
    }
    if (gone.length > 0) await this.index.remove(userId, gone);
  }

  /** One stored document: its bytes (or the text the vectors feature extracted, e.g. of a PDF). */
  private async indexDocument(
    userId: string,
    sessionId: string,
    record: DocumentRecord,
    source: { log: string; seq: number },
  ): Promise<void> {
    const vectors = (await this.ctx.getFeature('vectors')) as {
      extractedText?: (u: string, s: string, d: string) => Promise<string | null>;
    } | null;
    const extracted =
      typeof vectors?.extractedText === 'function'
        ? await vectors.extractedText(userId, sessionId, record.documentId).catch(() => null)
        : null;
    if (extracted?.trim()) {
      const item = documentItem(userId, sessionId, record, null);
      item.content = extracted;
      item.source = source;
      await this.index.add([item]);
      return;
    }
    const bytes = await this.ctx.getDocumentBytes(userId, sessionId, record.documentId);
    await this.addDocument(userId, sessionId, record, bytes ?? new Uint8Array(), source);
  }

  /** Hands the bytes to the index; a worker index decodes them off this thread. */
  private async addDocument(
    userId: string,
    sessionId: string,
    record: DocumentRecord,
    bytes: Uint8Array,
    source?: { log: string; seq: number },
  ): Promise<void> {
    if (this.index instanceof WorkerSearchIndex) {
      await this.index.addDocumentBytes(userId, sessionId, record, bytes, source);
      return;
    }
    const item = documentItem(userId, sessionId, record, bytes);
    if (source) item.source = source;
    await this.index.add([item]);
  }

  /** Indexes the contexts named by the session's context events at or after `from` (newest event each). */
  private async indexContextsFrom(userId: string, sessionId: string, from: number): Promise<number> {
    const events = await this.ctx.readContextEvents(userId, sessionId, from);
    if (events.length === 0) return 0;
    const newest = new Map<string, number>();
    for (const e of events) newest.set(e.target, e.seq);
    const log = this.ctx.contextEventsLogKey(userId, sessionId);
    this.indexedUpTo.note(userId, log, nextAfter(events));
    const items: IndexDocument[] = [];
    for (const [target, seq] of newest) {
      const context =
        target === 'current'
          ? await this.ctx.getContext(userId, sessionId)
          : await this.ctx.getContextSnapshot(userId, sessionId, target);
      if (!context) continue;
      const item = contextItem(userId, sessionId, context, target);
      item.source = { log, seq };
      items.push(item);
    }
    if (items.length > 0) await this.index.add(items);
    return items.length;
  }

  /**
   * Indexes the current context and every snapshot (a rebuild). Each item whose context has an event
   * carries that event as its source, so the index's position covers the context-event log, as after
   * a catch-up: without it, `verify` reported a rebuilt (or imported) session's contexts as lagging.
   */
  private async indexContexts(userId: string, sessionId: string): Promise<number> {
    const events = await this.ctx.readContextEvents(userId, sessionId, 0);
    const log = this.ctx.contextEventsLogKey(userId, sessionId);
    const newest = new Map<string, number>();
    for (const e of events) newest.set(e.target, e.seq);
    const items: IndexDocument[] = [];
    const add = (context: SituationalContext, target: string) => {
      const item = contextItem(userId, sessionId, context, target);
      const seq = newest.get(target);
      if (seq !== undefined) item.source = { log, seq };
      items.push(item);
    };
    const current = await this.ctx.getContext(userId, sessionId);
    if (current) add(current, 'current');
    for (const snap of await this.ctx.getContextHistory(userId, sessionId, 1_000_000)) {
      add(snap.context, snap.snapshotId);
    }
    if (items.length > 0) await this.index.add(items);
    if (events.length > 0) this.indexedUpTo.note(userId, log, nextAfter(events));
    return items.length;
  }

  async rebuildSearchIndex(
    userId?: string,
    opts: { onProgress?: (p: RebuildProgress) => void } = {},
  ): Promise<RebuildReport> {
    const started = performance.now();
    if (userId !== undefined) assertUserId(userId);
    const all = await this.ctx.listUserIds();
    // A user that does not exist has nothing to index (its entries, if any, are cleared below).
    const users = userId !== undefined ? all.filter((u) => u === userId) : all;
    await this.index.clear(userId);
    if (userId === undefined) this.indexedUpTo.clear();
    else this.indexedUpTo.forgetUser(userId);
    const report: RebuildReport = {
      users: users.length,
      messages: 0,
      documents: 0,
      contexts: 0,
      durationMs: 0,
    };
    for (const u of users) {
      const job = (async () => {
        const sessions = await this.ctx.listSessions(u);
        const counts = await Promise.all(sessions.map((s) => this.ctx.countMessages(u, s.sessionId)));
        const total = counts.reduce((a, b) => a + b, 0);
        let done = 0;
        for (let i = 0; i < sessions.length; i++) {
          const sid = (sessions[i] as { sessionId: string }).sessionId;
          report.messages += await this.indexMessagesFrom(u, sid, 0, counts[i] ?? 0, (n) => {
            done += n;
            opts.onProgress?.({ userId: u, phase: 'messages', done, total });
          });
          // Noted, so the next query's look for other processes' messages does not index them again.
          this.indexedUpTo.note(u, this.ctx.messagesLogKey(u, sid), counts[i] ?? 0);
        }
        let docs = 0;
        let ctxs = 0;
        for (const s of sessions) {
          docs += await this.indexDocumentsFrom(u, s.sessionId, 0);
          ctxs += await this.indexContexts(u, s.sessionId);
        }
        report.documents += docs;
        report.contexts += ctxs;
        // Panel messages live in the personas feature's logs; they were cleared with the rest.
        await this.refreshPanels(u, true);
        opts.onProgress?.({ userId: u, phase: 'done', done: total, total });
      })();
      this.caughtUp.set(
        u,
        job.catch(() => undefined),
      );
      await job;
    }
    await this.index.flush();
    report.durationMs = Math.round(performance.now() - started);
    return report;
  }

  // ------------------------------------------------------------------ change hooks

  async onMessagesAdded(
    userId: string,
    sessionId: string,
    messages: readonly StoredMessage[],
  ): Promise<void> {
    const log = this.ctx.messagesLogKey(userId, sessionId);
    if (messages.length === 0) return;
    let first = Number.POSITIVE_INFINITY;
    let next = 0;
    for (const m of messages) {
      if (m.seq < first) first = m.seq;
      if (m.seq + 1 > next) next = m.seq + 1;
    }
    // Right after the last message this process indexed (the usual case, also for concurrent appends
    // of this process): nothing to fill, and later hooks of this log need not look either.
    const known = this.indexedUpTo.get(userId, log);
    if (first === 0 || known === first) this.indexedUpTo.note(userId, log, next);
    else
      await this.fillGap(userId, log, first, (from) =>
        this.indexMessagesFrom(userId, sessionId, from, first),
      );
    await this.index.add(messages.map((m) => messageItem(userId, sessionId, m, log)));
    this.indexedUpTo.note(userId, log, next);
  }

  /**
   * Another process appending to the same log leaves seqs this process never saw (its own messages get
   * seqs around them). The index's positions are "the seq after the newest item", so once this process
   * indexed a later event they would claim the gap, and neither catch-up nor verify would index the
   * other process's items. Before indexing an event at `first`, index what lies between the last event
   * this process indexed from the log and `first`. A log this process has not indexed from yet: the
   * user's catch-up (awaited, once per process) notes every log it covered; one it did not know is
   * filled from seq 0 (re-adding an item replaces it).
   */
  private async fillGap(
    userId: string,
    log: string,
    first: number,
    fill: (from: number) => Promise<unknown>,
  ): Promise<void> {
    if (first === 0) return; // nothing before it (a new session's first message)
    let known = this.indexedUpTo.get(userId, log);
    if (known === undefined) {
      await this.ensureUser(userId);
      known = this.indexedUpTo.get(userId, log) ?? 0;
    }
    if (first > known) await fill(known);
  }

  async onMessageUpdated(userId: string, sessionId: string, message: StoredMessage): Promise<void> {
    await this.onMessagesAdded(userId, sessionId, [message]);
  }

  async onSessionDeleted(userId: string, sessionId: string): Promise<void> {
    // A session recreated under this id starts its logs at seq 0 again.
    this.indexedUpTo.forgetLog(userId, this.ctx.messagesLogKey(userId, sessionId));
    this.indexedUpTo.forgetLog(userId, this.ctx.documentsLogKey(userId, sessionId));
    this.indexedUpTo.forgetLog(userId, this.ctx.contextEventsLogKey(userId, sessionId));
    await this.index.removeSession(userId, sessionId);
  }

  async onUserDeleted(userId: string): Promise<void> {
    this.forgetProgress(userId);
    this.othersLook.forget(userId);
    // (Kept by forgetProgress, which a new incarnation calls too; a deleted user needs none.)
    this.userIncarnations.delete(userId);
    await this.index.removeUser(userId);
  }

  /**
   * Forgets how far this process indexed the user's logs (and its throttles), so the next query catches
   * the user up from the index's positions. The running look, if any, stays in the map until it ends.
   */
  private forgetProgress(userId: string): void {
    this.caughtUp.delete(userId);
    this.panelsLook.forget(userId);
    this.streamingReplies.delete(userId);
    this.indexedUpTo.forgetUser(userId);
  }

  async onDocumentStored(
    userId: string,
    sessionId: string,
    record: DocumentRecord,
    bytes: Uint8Array,
    source?: { log: string; seq: number },
  ): Promise<void> {
    if (source) {
      await this.fillGap(userId, source.log, source.seq, (from) =>
        this.indexDocumentEvents(userId, sessionId, from, source.seq),
      );
    }
    await this.addDocument(userId, sessionId, record, bytes, source);
    if (source) this.indexedUpTo.note(userId, source.log, source.seq + 1);
  }

  async onDocumentAnalyzed(
    userId: string,
    sessionId: string,
    _documentId: string,
    source: { log: string; seq: number },
  ): Promise<void> {
    // Index the document log up to and including the analysis event: the document is re-read with its
    // new analysis (and anything before it that the index had not caught up with yet).
    const through = source.seq + 1;
    await this.fillGap(userId, source.log, through, (from) =>
      this.indexDocumentEvents(userId, sessionId, from, through),
    );
    this.indexedUpTo.note(userId, source.log, through);
  }

  async onDocumentDeleted(userId: string, sessionId: string, documentId: string): Promise<void> {
    await this.index.remove(userId, [documentItemId(sessionId, documentId)]);
  }

  async onContextUpdated(
    userId: string,
    sessionId: string,
    ctx: SituationalContext,
    snapshotId?: string,
    source?: { log: string; seq: number },
  ): Promise<void> {
    if (source) {
      await this.fillGap(userId, source.log, source.seq, (from) =>
        this.indexContextsFrom(userId, sessionId, from),
      );
    }
    const item = contextItem(userId, sessionId, ctx, snapshotId ?? 'current');
    if (source) item.source = source;
    await this.index.add([item]);
    if (source) this.indexedUpTo.note(userId, source.log, source.seq + 1);
  }

  async onBulkImport(userIds: readonly string[]): Promise<void> {
    for (const u of userIds) await this.rebuildSearchIndex(u);
  }

  async stats(): Promise<Record<string, unknown>> {
    return { ...(await this.index.stats()) };
  }

  async compact(): Promise<void> {
    await this.index.flush();
  }

  /**
   * Compares the index's log positions with each session's message log, document log and context-event
   * log; what the index lags behind is one `search.behind` issue per log (with `repair`, indexed now).
   * Lagging documents and contexts are those catch-up would index: a current document whose `put` event is
   * at or after the position, a context or snapshot (that exists) whose newest event is. Deleted documents
   * and trailing `delete`/`analysis` events are not lag: removals carry no position.
   */
  async verify(opts: { repair?: boolean }): Promise<VerifyIssue[]> {
    const issues: VerifyIssue[] = [];
    for (const userId of await this.ctx.listUserIds()) {
      await this.ensureUser(userId);
      // What other processes wrote is not this index lagging: a query would pick it up just the same.
      await this.refreshFromOthers(userId, true);
      let lags = await this.lagsOf(userId);
      if (lags.length > 0) {
        // Another live process's writes reach this process through its session-index notes (touch
        // and revision events, coalesced for ~50 ms) and this process's look at them: lag that is
        // gone after that is in flight, not missing. The second look is bounded by the first's
        // lengths, so what was appended meanwhile is not judged either.
        await new Promise((resolve) => realSetTimeout(resolve, VERIFY_SETTLE_MS));
        await this.refreshFromOthers(userId, true);
        lags = await this.lagsOf(userId, lags);
      }
      for (const lag of lags) {
        if (opts.repair) await lag.repair();
        issues.push({
          code: 'search.behind',
          key: lag.key,
          message: lag.message,
          repaired: opts.repair === true,
        });
      }
    }
    return issues;
  }

  /**
   * What the index lacks of a user's logs (see verify). With `previous`, only those sessions and kinds
   * are looked at again, each up to the length the previous look saw.
   */
  private async lagsOf(userId: string, previous?: readonly Lag[]): Promise<Lag[]> {
    const lags: Lag[] = [];
    const positions = await this.index.positions(userId);
    const bound = (sessionId: string, kind: Lag['kind']): number | undefined => {
      if (!previous) return Number.POSITIVE_INFINITY;
      return previous.find((l) => l.sessionId === sessionId && l.kind === kind)?.bound;
    };
    const sessions = previous
      ? [...new Set(previous.map((l) => l.sessionId))]
      : (await this.ctx.listSessions(userId)).map((s) => s.sessionId);
    for (const sessionId of sessions) {
      const log = this.ctx.messagesLogKey(userId, sessionId);
      const count = await this.ctx.countMessages(userId, sessionId);
      const at = positions[log] ?? 0;
      const upTo = Math.min(count, bound(sessionId, 'messages') ?? 0);
      if (at < upTo) {
        lags.push({
          sessionId,
          kind: 'messages',
          bound: upTo,
          key: log,
          message: `search index covers ${at} of ${upTo} messages`,
          repair: () => this.indexMessagesFrom(userId, sessionId, at, count),
        });
      }
      const covered = Math.min(at, count, bound(sessionId, 'absent') ?? 0);
      const absent = await this.absentMessages(userId, sessionId, covered);
      if (absent.length > 0) {
        lags.push({
          sessionId,
          kind: 'absent',
          bound: covered,
          key: log,
          message: `search index lacks ${absent.length} of the ${covered} messages its position covers`,
          repair: () => this.index.add(absent.map((m) => messageItem(userId, sessionId, m, log))),
        });
      }
      const docBound = bound(sessionId, 'documents');
      if (docBound !== undefined) {
        const docLog = this.ctx.documentsLogKey(userId, sessionId);
        const docAt = positions[docLog] ?? 0;
        const docs = await this.laggingDocuments(userId, sessionId, docAt, docBound);
        if (docs.lagging > 0) {
          lags.push({
            sessionId,
            kind: 'documents',
            bound: docs.end,
            key: docLog,
            message: `search index lacks ${docs.lagging} of ${docs.total} documents (covers ${docAt} document events)`,
            repair: () => this.indexDocumentsFrom(userId, sessionId, docAt),
          });
        }
      }
      const ctxBound = bound(sessionId, 'contexts');
      if (ctxBound !== undefined) {
        const ctxLog = this.ctx.contextEventsLogKey(userId, sessionId);
        const ctxAt = positions[ctxLog] ?? 0;
        const contexts = await this.laggingContexts(userId, sessionId, ctxAt, ctxBound);
        if (contexts.lagging > 0) {
          lags.push({
            sessionId,
            kind: 'contexts',
            bound: contexts.end,
            key: ctxLog,
            message: `search index lacks ${contexts.lagging} context versions (covers ${ctxAt} context events)`,
            repair: () => this.indexContextsFrom(userId, sessionId, ctxAt),
          });
        }
      }
    }
    return lags;
  }

  /**
   * Messages below the index's position for the session's log that the index does not hold: a
   * position must only cover items of segments its manifest names (several processes once overwrote
   * each other's manifests, leaving positions ahead of the segments; only a rebuild brought the items
   * back). Reads the session's messages and the index's message items of the session once each.
   */
  private async absentMessages(userId: string, sessionId: string, upTo: number): Promise<StoredMessage[]> {
    if (upTo <= 0) return [];
    let held: Set<string>;
    try {
      const hits = await this.index.search({
        userId,
        text: '',
        sessionIds: [sessionId],
        types: ['message'],
        limit: upTo * 2 + 16,
      });
      held = new Set(hits.map((h) => h.id));
    } catch {
      return []; // an index that cannot list a session this large (its maxLimit): not checked
    }
    const absent: StoredMessage[] = [];
    for (let seq = 0; seq < upTo; seq += READ_PAGE) {
      const page = await this.ctx.readMessages(userId, sessionId, {
        fromSeq: seq,
        limit: Math.min(READ_PAGE, upTo - seq),
      });
      if (page.length === 0) break;
      for (const m of page) {
        if (m.seq < upTo && !held.has(messageItemId(sessionId, m.messageId))) absent.push(m);
      }
    }
    return absent;
  }

  /** Current documents whose `put` event is at or after `from` (what indexDocumentsFrom would add). */
  private async laggingDocuments(
    userId: string,
    sessionId: string,
    from: number,
    below = Number.POSITIVE_INFINITY,
  ): Promise<{ lagging: number; total: number; end: number }> {
    const events = (await this.ctx.readDocumentEvents(userId, sessionId, from)).filter((e) => e.seq < below);
    const end = events.reduce((n, e) => Math.max(n, e.seq + 1), from);
    const puts = new Set(events.filter((e) => e.op === 'put').map((e) => e.documentId));
    if (puts.size === 0) return { lagging: 0, total: 0, end };
    const current = await this.ctx.listDocuments(userId, sessionId);
    return { lagging: current.filter((d) => puts.has(d.documentId)).length, total: current.length, end };
  }

  /** Contexts (current or snapshots) with an event at or after `from` that still exist. */
  private async laggingContexts(
    userId: string,
    sessionId: string,
    from: number,
    below = Number.POSITIVE_INFINITY,
  ): Promise<{ lagging: number; end: number }> {
    const events = (await this.ctx.readContextEvents(userId, sessionId, from)).filter((e) => e.seq < below);
    const end = events.reduce((n, e) => Math.max(n, e.seq + 1), from);
    const targets = new Set(events.map((e) => e.target));
    let lagging = 0;
    for (const target of targets) {
      const context =
        target === 'current'
          ? await this.ctx.getContext(userId, sessionId)
          : await this.ctx.getContextSnapshot(userId, sessionId, target);
      if (context) lagging++;
    }
    return { lagging, end };
  }

  // ------------------------------------------------------------------ panel messages (personas feature)

  /** Index panel messages in a user's partition (type `panel_message`, session = panel id). */
  async indexPanelMessages(
    userId: string,
    panelId: string,
    messages: readonly (PanelMessageInput & { seq?: number })[],
  ): Promise<void> {
    assertUserId(userId);
    // Progress through the panel's log only while it is contiguous; a gap (another process's messages)
    // is filled by the next panel refresh, which starts from what was noted.
    const key = panelLogKey(panelId);
    for (const m of messages) {
      if (m.seq !== undefined && (this.indexedUpTo.get(userId, key) ?? 0) === m.seq)
        this.indexedUpTo.note(userId, key, m.seq + 1);
    }
    await this.index.add(
      messages.map((m) => ({
        id: panelItemId(panelId, m.messageId),
        userId,
        sessionId: panelId,
        type: 'panel_message' as const,
        content: m.content,
        timestamp: m.timestamp,
        role: m.personaId ?? m.role ?? '',
        metadata: { messageId: m.messageId, personaId: m.personaId, metadata: m.metadata ?? {} },
      })),
    );
  }

  async removePanel(userId: string, panelId: string): Promise<void> {
    assertUserId(userId);
    await this.index.removeSession(userId, panelId);
  }

  async searchPanelMessages(
    userId: string,
    query: string,
    opts: { panelIds?: string[]; limit?: number } = {},
  ): Promise<SearchResult[]> {
    assertUserId(userId);
    const panels = await this.refreshPanels(userId);
    const hits = await this.index.search({
      userId,
      text: query,
      types: ['panel_message'],
      sessionIds: opts.panelIds,
      limit: Math.min(opts.limit ?? this.searchCap, this.searchCap),
    });
    if (!panels) return hits.map(toSearchResult);
    // A panel deleted (here or by another process) is never returned; its items go in the background.
    const gone = new Set(hits.map((h) => h.sessionId).filter((p) => !panels.has(p)));
    for (const p of gone) void this.index.removeSession(userId, p).catch(() => undefined);
    return hits.filter((h) => !gone.has(h.sessionId)).map(toSearchResult);
  }

  /**
   * Indexes the panel messages of the user's panels that this process has not indexed: added by another
   * process, or all of a panel's after a start, a rebuild or an import (re-adding an item replaces it).
   * Throttled like refreshFromOthers and run only by panel queries (it reads every panel's record).
   * Resolves to the user's current panel ids, or null when the personas feature is not loaded.
   */
  private refreshPanels(userId: string, force = false): Promise<Set<string> | null> {
    return this.panelsLook.run(userId, force, () =>
      (async () => {
        const personas = (await this.ctx.getFeature('personas')) as PanelSource | null;
        if (typeof personas?.panelMessageCounts !== 'function') return null;
        const counts = await personas.panelMessageCounts(userId);
        for (const [panelId, count] of counts) {
          const key = panelLogKey(panelId);
          const known = this.indexedUpTo.get(userId, key) ?? 0;
          if (count <= known) continue;
          const messages = await personas.panelMessagesFrom(panelId, known);
          if (messages.length > 0) await this.indexPanelMessages(userId, panelId, messages);
          this.indexedUpTo.note(userId, key, count);
        }
        return new Set(counts.keys());
      })().catch((error) => {
        this.logError('panel refresh', error);
        return null;
      }),
    );
  }

  // ------------------------------------------------------------------ queries

  extractEntities(text: string): Record<string, string[]> {
    if (typeof text !== 'string') throw new FFValidationError('must be a string', { path: 'text' });
    return this.extractor.extract(text);
  }

  /**
   * Sessions that still exist: a deleted session must never be returned, even after a crash or when
   * another process deleted it a moment ago. One catch-up of the user's session index per query (one
   * `countLog` when nothing changed), then lookups in memory.
   */
  private async existingSessions(userId: string, sessionIds: Iterable<string>): Promise<Set<string>> {
    const ids = [...sessionIds];
    if (ids.length === 0) return new Set();
    const out = await this.ctx.existingSessions(userId, ids);
    for (const sid of ids) {
      // Repair the index: the session is gone (awaited by a query that needs the places it took).
      if (out.has(sid)) continue;
      const removal = this.index.removeSession(userId, sid).catch(() => undefined);
      this.removals.add(removal);
      void removal.finally(() => this.removals.delete(removal));
    }
    return out;
  }

  /**
   * Document hits whose document the store no longer holds, removed from the index before this
   * returns. Deleting a document removes it from every copy of the index the deleting process can
   * reach, but another process's copy written meanwhile, or one whose removal a crash lost while
   * the positions already covered it, can outlive it; a deleted document is never returned.
   */
  private async deletedDocumentHits(userId: string, hits: readonly IndexHit[]): Promise<Set<IndexHit>> {
    const gone = new Set<IndexHit>();
    const bySession = new Map<string, IndexHit[]>();
    for (const h of hits) {
      if (h.type !== 'document') continue;
      const list = bySession.get(h.sessionId) ?? [];
      list.push(h);
      bySession.set(h.sessionId, list);
    }
    for (const [sessionId, docs] of bySession) {
      const stored = new Set((await this.ctx.listDocuments(userId, sessionId)).map((r) => r.documentId));
      for (const h of docs) if (!stored.has(String(h.metadata?.documentId ?? h.id))) gone.add(h);
    }
    if (gone.size > 0)
      await this.index.remove(
        userId,
        [...gone].map((h) => h.id),
      );
    return gone;
  }

  private async settleRemovals(): Promise<void> {
    await Promise.all([...this.removals]);
  }

  /** Remembers a reply read while it is still being streamed (see streamingReplies). */
  private watchIfStreaming(userId: string, sessionId: string, m: StoredMessage): void {
    if (m.metadata?.streamStatus !== 'streaming') return;
    let set = this.streamingReplies.get(userId);
    if (!set) {
      set = new Set();
      this.streamingReplies.set(userId, set);
    }
    set.add(`${sessionId}\n${m.seq}`);
  }

  /** Indexes the streamed replies being watched again: their text so far, or their final text. */
  private async refreshStreamingReplies(userId: string): Promise<void> {
    const set = this.streamingReplies.get(userId);
    if (!set) return;
    for (const key of [...set]) {
      const [sessionId = '', seqText = '0'] = key.split('\n');
      const [m] = await this.ctx.readMessages(userId, sessionId, { fromSeq: Number(seqText), limit: 1 });
      if (m?.metadata?.streamStatus !== 'streaming') set.delete(key);
      if (m)
        await this.index.add([messageItem(userId, sessionId, m, this.ctx.messagesLogKey(userId, sessionId))]);
    }
    if (set.size === 0) this.streamingReplies.delete(userId);
  }

  /**
   * Indexes messages that other processes appended since this process last indexed from each session.
   * Their own hooks index them in their own index only; without this look, a process that only reads
   * (a second server behind a load balancer, a worker of a cluster) would not find them until it wrote
   * to that session or restarted. The session index carries every session's message count (touch
   * events' `n`) and the lengths of its document-event and context-event logs (`rev` events), so the
   * look compares lengths with what this process indexed from each log; documents deleted there are
   * removed. Throttled to OTHERS_REFRESH_MS per user (`force` for verify), and concurrent queries share
   * the look in flight.
   */
  private refreshFromOthers(userId: string, force = false): Promise<void> {
    return this.othersLook.run(userId, force, () => this.lookAtOthers(userId));
  }

  private async lookAtOthers(userId: string): Promise<void> {
    try {
      const logLengths = await this.ctx.sessionLogLengths(userId);
      // Another process replaced the user (deleted it, perhaps restored another backup under the same
      // session ids): what this index holds of the user and how far it read each log are void.
      const incarnation = this.ctx.userIncarnation(userId);
      const seen = this.userIncarnations.get(userId);
      this.userIncarnations.set(userId, incarnation);
      if (seen !== undefined && seen !== incarnation) {
        await this.index.clear(userId);
        this.forgetProgress(userId);
        await this.ensureUser(userId);
        return;
      }
      await this.refreshStreamingReplies(userId);
      for (const [sessionId, lengths] of logLengths) {
        const log = this.ctx.messagesLogKey(userId, sessionId);
        const known = this.indexedUpTo.get(userId, log) ?? 0;
        if (lengths.messages > known) {
          await this.indexMessagesFrom(userId, sessionId, known, lengths.messages);
          this.indexedUpTo.note(userId, log, lengths.messages);
        }
        // Document and context events: stored, changed or deleted there (indexing them notes the log).
        const docLog = this.ctx.documentsLogKey(userId, sessionId);
        const docsKnown = this.indexedUpTo.get(userId, docLog) ?? 0;
        if ((lengths.documents ?? 0) > docsKnown) {
          await this.indexDocumentEvents(userId, sessionId, docsKnown, lengths.documents!);
          this.indexedUpTo.note(userId, docLog, lengths.documents!);
        }
        const ctxLog = this.ctx.contextEventsLogKey(userId, sessionId);
        const ctxKnown = this.indexedUpTo.get(userId, ctxLog) ?? 0;
        if ((lengths.contexts ?? 0) > ctxKnown) await this.indexContextsFrom(userId, sessionId, ctxKnown);
      }
    } catch (error) {
      this.logError('refresh', error);
    }
  }

  private async searchUser(userId: string, q: IndexQuery): Promise<IndexHit[]> {
    await this.ensureUser(userId);
    await this.refreshFromOthers(userId);
    const live = async (): Promise<{ hits: IndexHit[]; dropped: number }> => {
      const hits = await this.index.search(q);
      const sessions = new Set(hits.filter((h) => h.type !== 'panel_message').map((h) => h.sessionId));
      const alive = await this.existingSessions(userId, sessions);
      const inLiveSessions = hits.filter((h) => h.type === 'panel_message' || alive.has(h.sessionId));
      const gone = await this.deletedDocumentHits(userId, inLiveSessions);
      const kept = gone.size > 0 ? inLiveSessions.filter((h) => !gone.has(h)) : inLiveSessions;
      return { hits: kept, dropped: hits.length - kept.length };
    };
    const first = await live();
    if (first.dropped === 0) return first.hits;
    // Hits of deleted sessions or documents took places within the limit: ask again once they are out
    // of the index.
    await this.settleRemovals();
    return (await live()).hits;
  }

  /**
   * Index hits of `q` that pass `keep`, best first, at most `limit`: a filter the index cannot apply
   * looks at the best POST_FILTER_FIRST_FETCH candidates first and, when too few of them pass, at every
   * candidate (no hidden window), testing each candidate once.
   */
  private async searchKept(
    userId: string,
    q: IndexQuery,
    limit: number,
    keep: (hit: IndexHit) => boolean,
  ): Promise<IndexHit[]> {
    const first = Math.max(limit, POST_FILTER_FIRST_FETCH);
    const hits = await this.searchUser(userId, { ...q, limit: first });
    const passed = new Map<string, boolean>();
    const key = (h: IndexHit) => `${h.type}\u0000${h.sessionId}\u0000${h.id}`;
    const kept = hits.filter((h) => {
      const ok = keep(h);
      passed.set(key(h), ok);
      return ok;
    });
    if (kept.length >= limit || hits.length < first) return kept.slice(0, limit);
    const all = await this.searchUser(userId, { ...q, limit: Number.MAX_SAFE_INTEGER });
    const out: IndexHit[] = [];
    for (const h of all) {
      const k = key(h);
      let ok = passed.get(k);
      if (ok === undefined) ok = keep(h);
      if (ok && out.push(h) >= limit) break;
    }
    return out;
  }

  private entitiesOf(hit: IndexHit): EntityMap {
    const extracted = this.extractor.extract(textOf(hit));
    if (hit.type === 'context') {
      const stored = hit.metadata?.entities;
      if (stored && typeof stored === 'object') return mergeEntities(extracted, stored as EntityMap);
    }
    return extracted;
  }

  /**
   * advancedSearch with `useVectorSearch` or `hybridSearch`: every filter of the query applies to both
   * legs (the text leg takes them as query fields, each vector result is checked against them). Without
   * `userId` it searches every user (vector indexes are per user) and merges by score.
   */
  private async vectorModeSearch(
    vectors: VectorFeature,
    q: ParsedSearchQuery,
    input: SearchQuery,
    limit: number,
  ): Promise<SearchResult[]> {
    // Vector search finds document chunks: they are left out only when documents are explicitly.
    const documents = input.includeDocuments !== false;
    const startMs = q.startDate === undefined ? undefined : Date.parse(q.startDate);
    const endMs = q.endDate === undefined ? undefined : Date.parse(q.endDate);
    const scope: VectorResultScope = {
      text: {
        includeMessages: q.includeMessages,
        includeDocuments: documents,
        includeContext: q.includeContext,
        fuzzy: q.fuzzy,
        prefix: q.prefix,
        ...(q.messageRoles ? { messageRoles: q.messageRoles } : {}),
        ...(q.startDate ? { startDate: q.startDate } : {}),
        ...(q.endDate ? { endDate: q.endDate } : {}),
        ...(q.entities ? { entities: q.entities } : {}),
        ...(q.metadata ? { metadata: q.metadata } : {}),
        mode: q.mode ?? DEFAULT_ADVANCED_MODE,
      },
      accepts: (r, own) => {
        if (r.type === 'message' || r.type === 'panel_message') {
          if (!q.includeMessages) return false;
          if (q.messageRoles && !q.messageRoles.includes(String(r.metadata.role ?? ''))) return false;
        } else if (r.type === 'context') {
          if (!q.includeContext) return false;
        } else if (!documents) return false;
        if (startMs !== undefined || endMs !== undefined) {
          const at = Date.parse(r.timestamp);
          if (!Number.isFinite(at)) return false;
          if (startMs !== undefined && at < startMs) return false;
          if (endMs !== undefined && at > endMs) return false;
        }
        if (q.metadata && !matchesMetadata(own, q.metadata)) return false;
        if (q.entities && !matchesEntities(this.extractor.extract(r.content), q.entities)) return false;
        return true;
      },
    };
    const users = q.userId !== undefined ? [q.userId] : await this.ctx.listUserIds();
    const results: SearchResult[] = [];
    for (const userId of users) {
      // The vector feature's topK stops at 10,000; maxResults has no such limit in text mode.
      const opts = { ...(q.sessionIds ? { sessionIds: q.sessionIds } : {}), topK: Math.min(limit, 10_000) };
      const found = q.hybridSearch
        ? await vectors.hybridSearch(
            userId,
            q.query,
            {
              ...opts,
              ...(q.vectorWeight !== undefined ? { vectorWeight: q.vectorWeight } : {}),
              ...(q.similarityThreshold !== undefined ? { threshold: q.similarityThreshold } : {}),
            },
            scope,
          )
        : await vectors.vectorSearch(
            userId,
            q.query,
            {
              ...opts,
              ...(q.similarityThreshold !== undefined ? { threshold: q.similarityThreshold } : {}),
              ...(q.embeddingProvider !== undefined ? { embeddingProvider: q.embeddingProvider } : {}),
            },
            scope,
          );
      for (const r of found) if (r.relevanceScore >= q.minRelevanceScore) results.push(r);
    }
    if (users.length > 1) results.sort((a, b) => b.relevanceScore - a.relevanceScore);
    return results.slice(0, limit);
  }

  /**
   * Requested entity types as the extractor names them: the reference's snake_case names
   * (`jira_tickets`) become camelCase (`jiraTickets`, API.md §6.8); an unknown type throws rather than
   * silently matching nothing.
   */
  private entityTypes(entities: EntityMap, root: string): EntityMap {
    const known = new Set([...Object.keys(this.ctx.config.runtime.entityPatterns), 'languages']);
    const out: EntityMap = {};
    for (const [type, values] of Object.entries(entities)) {
      const camel = type.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const name = known.has(type) ? type : known.has(camel) ? camel : undefined;
      if (name === undefined) {
        throw new FFValidationError([
          {
            path: `${root}.${type}`,
            message: `is not an entity type; known types: ${[...known].join(', ')}`,
          },
        ]);
      }
      out[name] = [...(out[name] ?? []), ...values];
    }
    return out;
  }

  async advancedSearch(input: SearchQuery): Promise<SearchResult[]> {
    const q = parse(SearchQuerySchema, input, 'query');
    if (q.userId !== undefined) assertUserId(q.userId);
    if (q.entities) q.entities = this.entityTypes(q.entities, 'query.entities');
    const limit = q.maxResults ?? this.searchCap;
    if (limit === 0) return [];
    if (q.useVectorSearch || q.hybridSearch) {
      const vectors = await this.ctx.getFeature('vectors');
      if (vectors) return this.vectorModeSearch(vectors, q, input, limit);
    }
    const users = q.userId !== undefined ? [q.userId] : await this.ctx.listUserIds();
    const { entities, metadata } = q;
    const mightHold = entities ? entityPrefilter(entities) : undefined;
    const keep = (hit: IndexHit) =>
      (!metadata || matchesMetadata(ownMetadata(hit), metadata)) &&
      (!entities ||
        // Extraction is the costly part: a text that holds none of the values is passed over first
        // (a context's stored entities are not in its text).
        ((hit.type === 'context' || (mightHold as (t: string) => boolean)(textOf(hit))) &&
          matchesEntities(this.entitiesOf(hit), entities)));
    const legs: Pick<IndexQuery, 'types' | 'roles'>[] = [];
    if (q.includeMessages) legs.push({ types: ['message'], roles: q.messageRoles });
    const others: IndexedItemType[] = [];
    if (q.includeDocuments) others.push('document');
    if (q.includeContext) others.push('context');
    if (others.length > 0) legs.push({ types: others });

    const results: SearchResult[] = [];
    for (const userId of users) {
      for (const leg of legs) {
        const query: IndexQuery = {
          userId,
          text: q.query,
          ...leg,
          sessionIds: q.sessionIds,
          startDate: q.startDate,
          endDate: q.endDate,
          mode: q.mode ?? DEFAULT_ADVANCED_MODE,
          prefix: q.prefix,
          fuzzy: q.fuzzy,
          limit,
        };
        const hits =
          entities || metadata
            ? await this.searchKept(userId, query, limit, keep)
            : await this.searchUser(userId, query);
        for (const hit of hits) {
          const r = toSearchResult(hit);
          if (r.relevanceScore >= q.minRelevanceScore) results.push(r);
        }
      }
    }
    results.sort(byRelevanceThenRecency);
    return results.slice(0, limit);
  }

  async searchMessages(
    userId: string,
    query: string,
    opts?: { sessionId?: string; sessionIds?: string[]; limit?: number },
  ): Promise<Message[]> {
    assertUserId(userId);
    assertQueryText(query);
    const o = parse(SearchMessagesOpts, opts, 'opts') ?? {};
    // The reference's scope: `sessionId`, else `sessionIds`, else every session.
    const sessionIds = o.sessionId !== undefined ? [o.sessionId] : o.sessionIds;
    if (o.limit === 0) return [];
    const hits = await this.searchUser(userId, {
      userId,
      text: query,
      types: ['message'],
      sessionIds,
      limit: Math.min(o.limit ?? this.searchCap, this.searchCap),
    });
    return hits.map(toMessage);
  }

  async searchByEntities(
    entities: Record<string, string[]>,
    opts: { userId?: string; limit?: number } = {},
  ): Promise<SearchResult[]> {
    const e = this.entityTypes(
      parse(z.record(z.string(), z.array(z.string())), entities, 'entities'),
      'entities',
    );
    const o = parse(z.object({ userId: z.string().optional(), limit: LimitSchema }), opts ?? {}, 'opts');
    return this.advancedSearch({
      query: '',
      entities: e,
      userId: o.userId,
      includeMessages: true,
      includeContext: true,
      maxResults: o.limit ?? this.searchCap,
    });
  }

  async searchByTimeRange(
    start: Date | string,
    end: Date | string,
    opts: { userId?: string; queryText?: string; limit?: number } = {},
  ): Promise<SearchResult[]> {
    const startDate = parse(DateArg, start, 'start');
    const endDate = parse(DateArg, end, 'end');
    const o = parse(
      z.object({ userId: z.string().optional(), queryText: z.string().optional(), limit: LimitSchema }),
      opts ?? {},
      'opts',
    );
    return this.advancedSearch({
      query: o.queryText ?? '',
      startDate,
      endDate,
      userId: o.userId,
      maxResults: o.limit ?? this.searchCap,
    });
  }

  async searchDocuments(
    userId: string,
    query: string,
    opts: { sessionIds?: string[]; documentTypes?: string[]; limit?: number } = {},
  ): Promise<DocumentSearchHit[]> {
    assertUserId(userId);
    assertQueryText(query);
    const o = parse(
      z.object({
        sessionIds: z.array(SafeIdSchema).optional(),
        documentTypes: z.array(z.string()).optional(),
        limit: LimitSchema,
      }),
      opts ?? {},
      'opts',
    );
    const limit = o.limit ?? this.ctx.config.search.defaultLimit;
    if (limit === 0) return [];
    const { documentTypes } = o;
    const documentQuery: IndexQuery = {
      userId,
      text: query,
      types: ['document'],
      sessionIds: o.sessionIds,
      limit,
    };
    const hits = documentTypes
      ? await this.searchKept(userId, documentQuery, limit, (h) =>
          matchesDocumentType(h.metadata ?? {}, documentTypes),
        )
      : await this.searchUser(userId, documentQuery);
    const out: DocumentSearchHit[] = [];
    for (const hit of hits) {
      const meta = hit.metadata ?? {};
      out.push({
        documentId: String(meta.documentId ?? hit.id),
        sessionId: hit.sessionId,
        filename: String(meta.originalName || meta.filename || ''),
        relevanceScore: hit.score,
        contentPreview: hit.snippet,
        mimeType: meta.mimeType,
        highlights: hit.highlights,
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  async searchDocumentsByMetadata(
    userId: string,
    filters: Record<string, unknown>,
  ): Promise<DocumentSearchHit[]> {
    assertUserId(userId);
    const f = parse(z.record(z.string(), z.unknown()), filters, 'filters');
    const out: DocumentSearchHit[] = [];
    for (const session of await this.ctx.listSessions(userId)) {
      for (const record of await this.ctx.listDocuments(userId, session.sessionId)) {
        const flat: Record<string, unknown> = { ...record, ...record.metadata };
        if (!matchesMetadata(flat, f)) continue;
        out.push({
          documentId: record.documentId,
          sessionId: session.sessionId,
          filename: record.originalName || record.filename,
          relevanceScore: 1,
          contentPreview:
            typeof record.metadata.description === 'string'
              ? sliceWhole(record.metadata.description, 0, 200)
              : '',
          mimeType: record.mimeType,
          metadata: record.metadata,
        });
      }
    }
    return out;
  }
}

/** Every filter key is present with an equal value (arrays: the item's array contains the value). */
export function matchesMetadata(item: Record<string, unknown>, filters: Record<string, unknown>): boolean {
  for (const [k, want] of Object.entries(filters)) {
    const have = item[k];
    if (Array.isArray(have) && !Array.isArray(want)) {
      if (!have.some((v) => equal(v, want))) return false;
    } else if (!equal(have, want)) return false;
  }
  return true;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `documentTypes` entries may be extensions ("pdf", ".pdf") or MIME types ("application/pdf"). */
function matchesDocumentType(meta: Record<string, unknown>, types: string[]): boolean {
  const name = String(meta.originalName || meta.filename || '').toLowerCase();
  const mime = String(meta.mimeType ?? '').toLowerCase();
  return types.some((t) => {
    const v = t.toLowerCase();
    if (v.includes('/')) return mime === v;
    return name.endsWith(v.startsWith('.') ? v : `.${v}`);
  });
}

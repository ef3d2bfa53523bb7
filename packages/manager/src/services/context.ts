/** Situational context: the current one (a blob) and snapshots (one blob each, named by a timed id). */
import {
  FFValidationError,
  generateContextSnapshotId,
  parseOrThrow,
  type SituationalContext,
  SituationalContextInputSchema,
  sliceWhole,
} from '@ffdb/core-types';
import { z } from 'zod';
import type { Core } from '../core.js';
import { readJson, writeJson } from '../json-blob.js';
import { keys } from '../keys.js';
import { EntityExtractor } from '../features/search/entities.js';
import { extractiveSummary, topTerms } from '../text-analysis.js';
import { assertSessionId, assertUserId, parseOptions } from '../validation.js';
import type { MessageService } from './messages.js';

export type ContextSnapshotEntry = SituationalContext & { snapshotId: string };

const ExtractOptions = z.object({
  /** How many of the latest messages to read (default 200). */
  maxMessages: z.number().int().positive().optional(),
  maxKeyPoints: z.number().int().min(0).max(10).optional(),
  /** Also store the result as the current context (and a snapshot). */
  save: z.boolean().optional(),
});

export class ContextService {
  constructor(
    private readonly core: Core,
    private readonly messages: MessageService,
  ) {}

  private complete(input: unknown): SituationalContext {
    const c = parseOrThrow(SituationalContextInputSchema, input, 'context');
    return {
      summary: c.summary,
      keyPoints: c.keyPoints ?? [],
      entities: c.entities ?? {},
      timestamp: c.timestamp ?? this.core.now(),
      confidence: c.confidence ?? 0,
      messageRange: c.messageRange ?? null,
      metadata: c.metadata ?? {},
    };
  }

  async update(userId: string, sessionId: string, ctx: unknown): Promise<boolean> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const context = this.complete(ctx);
    if (!(await this.core.index.has(userId, sessionId))) return false;
    // The event goes first: whenever the context was written, its event exists (a crash in between only
    // makes a catch-up index the previous context again).
    const source = await this.core.index.writeUnlessGone(
      userId,
      sessionId,
      async () => {
        const event = await this.logEvent(userId, sessionId, 'current');
        await writeJson(this.core, keys.contextKey(userId, sessionId), context);
        return event;
      },
      () => null,
    );
    // Deleted meanwhile (by any process): what was written lies in a tree nobody lists; removed again,
    // and the update answers as for a missing session.
    if (!source || (await this.core.index.removeIfGone(userId, sessionId))) return false;
    // Told to other processes only now that the context is written (they read it when they see this).
    this.core.index.revSoon(userId, sessionId, 'c', source.seq + 1);
    await this.core.hooks.emit('onContextUpdated', userId, sessionId, context, undefined, source);
    return true;
  }

  /**
   * Writes a session's current context as stored elsewhere (imports), with its context event like
   * `update`: without the event, a process that already had the user loaded never indexed it, nor did
   * a later catch-up (its position already covered the log).
   */
  async restoreCurrent(userId: string, sessionId: string, context: SituationalContext): Promise<void> {
    const source = await this.logEvent(userId, sessionId, 'current');
    await writeJson(this.core, keys.contextKey(userId, sessionId), context);
    this.core.index.revSoon(userId, sessionId, 'c', source.seq + 1);
  }

  /** Records which context is written, by log position: derived indexes catch up from it after a crash. */
  private async logEvent(
    userId: string,
    sessionId: string,
    target: string,
  ): Promise<{ log: string; seq: number }> {
    const log = keys.contextEvents(userId, sessionId);
    const res = await this.core.storage.append(log, [{ target }]);
    return { log, seq: res.firstSeq };
  }

  /** Context events from `fromSeq` on: `target` is `current` or a snapshot id. */
  async events(userId: string, sessionId: string, fromSeq = 0): Promise<{ seq: number; target: string }[]> {
    const entries = await this.core.storage.readLog<{ target: string }>(
      keys.contextEvents(userId, sessionId),
      {
        fromSeq,
      },
    );
    return entries
      .filter((e) => typeof e.data.target === 'string')
      .map((e) => ({ seq: e.seq, target: e.data.target }));
  }

  /** One snapshot by id, or null. */
  async snapshot(userId: string, sessionId: string, snapshotId: string): Promise<SituationalContext | null> {
    const rec = await readJson<{ snapshotId: string; context: SituationalContext }>(
      this.core,
      keys.contextSnapshot(userId, sessionId, snapshotId),
    );
    return rec?.context ?? null;
  }

  async get(userId: string, sessionId: string): Promise<SituationalContext | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    return readJson<SituationalContext>(this.core, keys.contextKey(userId, sessionId));
  }

  async saveSnapshot(userId: string, sessionId: string, ctx: unknown): Promise<boolean> {
    return (await this.saveSnapshotWithId(userId, sessionId, ctx)) !== null;
  }

  /** Saves a snapshot; resolves to its id, or null when the session does not exist. */
  async saveSnapshotWithId(
    userId: string,
    sessionId: string,
    ctx: unknown,
    snapshotId?: string,
  ): Promise<string | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const context = this.complete(ctx);
    if (!(await this.core.index.has(userId, sessionId))) return null;
    const root = keys.contextHistoryRoot(userId, sessionId);
    const saved = await this.core.index.writeUnlessGone(
      userId,
      sessionId,
      () => this.saveSnapshotLocked(userId, sessionId, root, context, snapshotId),
      () => null,
    );
    // Deleted meanwhile (by any process): removed again, answered as for a missing session (as update).
    if (saved && (await this.core.index.removeIfGone(userId, sessionId))) return null;
    if (saved) this.core.index.revSoon(userId, sessionId, 'c', saved.source.seq + 1);
    if (saved)
      await this.core.hooks.emit('onContextUpdated', userId, sessionId, context, saved.id, saved.source);
    return saved?.id ?? null;
  }

  /** The snapshot write of saveSnapshotWithId, under the history's lock: null when `snapshotId` is taken. */
  private saveSnapshotLocked(
    userId: string,
    sessionId: string,
    root: string,
    context: SituationalContext,
    snapshotId: string | undefined,
  ) {
    return this.core.storage.withLock(root, async () => {
      let candidate = snapshotId ?? generateContextSnapshotId(this.core.clock.now());
      while (await this.core.storage.exists(keys.contextSnapshot(userId, sessionId, candidate))) {
        if (snapshotId) return null;
        candidate = generateContextSnapshotId(this.core.clock.now());
      }
      const source = await this.logEvent(userId, sessionId, candidate);
      await writeJson(this.core, keys.contextSnapshot(userId, sessionId, candidate), {
        snapshotId: candidate,
        context,
      });
      return { id: candidate, source };
    });
  }

  async history(userId: string, sessionId: string, limit?: unknown): Promise<ContextSnapshotEntry[]> {
    assertUserId(userId);
    assertSessionId(sessionId);
    if (
      limit !== undefined &&
      limit !== null &&
      (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)
    ) {
      throw new FFValidationError([{ path: 'limit', message: 'must be a non-negative integer' }]);
    }
    const lim = limit ?? undefined;
    const root = keys.contextHistoryRoot(userId, sessionId);
    const names = (await this.core.storage.list(root))
      .filter((k) => k.endsWith('.json'))
      .sort()
      .reverse();
    const chosen = lim === undefined ? names : names.slice(0, lim);
    const out: ContextSnapshotEntry[] = [];
    for (const key of chosen) {
      const rec = await readJson<{ snapshotId: string; context: SituationalContext }>(this.core, key);
      if (rec?.context) out.push({ ...rec.context, snapshotId: rec.snapshotId });
    }
    return out;
  }

  /**
   * A context derived from the session's messages: an extractive summary (the highest-scoring sentences),
   * key points (the next best sentences, up to `maxKeyPoints`), entities (the configured patterns) and the
   * message range. Deterministic for the same messages. Null when the session does not exist or is empty.
   */
  async extract(userId: string, sessionId: string, opts?: unknown): Promise<SituationalContext | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const o = parseOptions(ExtractOptions, opts);
    if (!(await this.core.index.has(userId, sessionId))) return null;
    const newest = await this.messages.read(userId, sessionId, {
      reverse: true,
      limit: o.maxMessages ?? 200,
    });
    const msgs = newest.reverse().filter((m) => m.content.trim().length > 0);
    if (msgs.length === 0) return null;
    const texts = msgs.map((m) => m.content);
    const maxKeyPoints = o.maxKeyPoints ?? 5;
    const best = extractiveSummary(texts, 2 + maxKeyPoints);
    const summarySentences = best.slice(0, 2);
    const keyPoints = best.slice(2, 2 + maxKeyPoints);
    const top = topTerms(texts, 5, this.core.config.search.minWordLength).map((t) => t.term);
    let summary = summarySentences.join(' ');
    if (!summary)
      summary = `Conversation of ${msgs.length} messages${top.length ? ` about ${top.join(', ')}` : ''}.`;
    const maxLen = this.core.config.document.summaryMaxLength;
    if (summary.length > maxLen) summary = `${summary.slice(0, maxLen - 1)}…`;
    // The same extractor as extractEntities and the search filters (the reference's patterns with its
    // e-mail bug fixed, its language keywords, the search.extract* switches), so a context's entities
    // agree with what extractEntities says of the same text.
    const entities = new EntityExtractor(
      this.core.config.runtime.entityPatterns as Record<string, string>,
      this.core.config.search as unknown as Record<string, unknown>,
    ).extract(texts.join('\n'));
    const first = msgs[0]!;
    const last = msgs[msgs.length - 1]!;
    const context: SituationalContext = {
      summary,
      keyPoints: keyPoints.map((k) => (k.length > 300 ? `${sliceWhole(k, 0, 299)}…` : k)),
      entities,
      timestamp: this.core.now(),
      confidence: Math.round(Math.min(1, 0.3 + msgs.length / 20) * 100) / 100,
      messageRange: { start: first.messageId, end: last.messageId },
      metadata: { method: 'extractive', messageCount: msgs.length, topTerms: top },
    };
    if (o.save) {
      await this.update(userId, sessionId, context);
      await this.saveSnapshot(userId, sessionId, context);
    }
    return context;
  }
}

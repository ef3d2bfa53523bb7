/**
 * Streaming reads: batches in order (optionally following new appends, also from other processes, via
 * the port's `watchLog`), newest-first batches, several sessions at once with bounded concurrency, and
 * the reference's export record streams.
 */
import { FFValidationError } from '@ffdb/core-types';
import { z } from 'zod';
import type { Core } from '../core.js';
import type { StoredMessage } from '../features/types.js';
import { keys } from '../keys.js';
import { assertSessionId, assertUserId, parseOptions } from '../validation.js';
import type { ContextService } from './context.js';
import type { DocumentService } from './documents.js';
import type { MessageService } from './messages.js';
import type { SessionService } from './sessions.js';
import type { UserService } from './users.js';

const StreamOptions = z.object({
  startOffset: z.number().int().nonnegative().optional(),
  maxMessages: z.number().int().nonnegative().optional(),
  batchSize: z.number().int().positive().optional(),
  follow: z.boolean().optional(),
  signal: z.instanceof(AbortSignal).optional(),
  pollIntervalMs: z.number().int().positive().optional(),
});

const ReverseOptions = z.object({
  limit: z.number().int().nonnegative().optional(),
  batchSize: z.number().int().positive().optional(),
});

const ParallelOptions = z.object({
  batchSize: z.number().int().positive().optional(),
  maxConcurrency: z.number().int().positive().optional(),
});

const ExportOptions = z.object({
  includeDocuments: z.boolean().optional(),
  includeContext: z.boolean().optional(),
  batchSize: z.number().int().positive().optional(),
});

const UserExportOptions = ExportOptions.extend({ sessionLimit: z.number().int().nonnegative().optional() });

/** How often a follower re-reads the replies it saw still being written (unless `pollIntervalMs`). */
const LIVE_REPLY_POLL_MS = 250;
const LIVE_POLL: unique symbol = Symbol('live-poll');

/** Resolves after `ms`, or at once when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface ExportRecord {
  type:
    | 'session_metadata'
    | 'messages'
    | 'documents'
    | 'context'
    | 'context_history'
    | 'user_profile'
    | 'session_start'
    | 'session_end';
  data: unknown;
}

export class StreamingService {
  readonly stats = { followers: 0, streamsOpened: 0, batches: 0, messages: 0 };

  constructor(
    private readonly core: Core,
    private readonly users: UserService,
    private readonly sessions: SessionService,
    private readonly messages: MessageService,
    private readonly documents: DocumentService,
    private readonly context: ContextService,
  ) {}

  private count(batch: readonly unknown[]): void {
    this.stats.batches++;
    this.stats.messages += batch.length;
  }

  streamMessages(userId: string, sessionId: string, opts?: unknown): AsyncIterable<StoredMessage[]> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const o = parseOptions(StreamOptions, opts);
    const self = this;
    const batchSize = o.batchSize ?? this.core.config.streaming.batchSize;
    return {
      async *[Symbol.asyncIterator]() {
        self.stats.streamsOpened++;
        let next = o.startOffset ?? 0;
        let remaining = o.maxMessages ?? Number.POSITIVE_INFINITY;
        const signal = o.signal;
        // Following: replies yielded while still being written, by seq (see below).
        const live = new Map<number, string>();
        const noteLive = (batch: readonly StoredMessage[]) => {
          if (!o.follow) return;
          for (const m of batch) if (m.metadata.streamStatus === 'streaming') live.set(m.seq, m.messageId);
        };
        // Catch up with what is stored.
        while (remaining > 0 && !signal?.aborted) {
          const batch = await self.messages.read(userId, sessionId, {
            fromSeq: next,
            limit: Math.min(batchSize, remaining),
          });
          if (batch.length === 0) break;
          next = batch[batch.length - 1]!.seq + 1;
          remaining -= batch.length;
          noteLive(batch);
          self.count(batch);
          yield batch;
          if (batch.length < Math.min(batchSize, remaining + batch.length)) break;
        }
        if (!o.follow || remaining <= 0 || signal?.aborted) return;
        // Follow: the port delivers appends (also other processes') until the signal aborts. A reply
        // still being written (`beginMessageStream`) is yielded when it starts and once more, under the
        // same seq, when it ends (complete or interrupted, with its whole text): its record is appended
        // once, at begin, so the log alone never shows it end.
        self.stats.followers++;
        const stop = new AbortController();
        const onAbort = () => stop.abort();
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          const watch = self.core.storage.watchLog(keys.messagesLog(userId, sessionId), {
            fromSeq: next,
            signal: stop.signal,
            ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
          });
          const entriesOf = watch[Symbol.asyncIterator]();
          let nextEntries = entriesOf.next();
          const pollMs = o.pollIntervalMs ?? LIVE_REPLY_POLL_MS;
          for (;;) {
            const step =
              live.size === 0
                ? await nextEntries
                : await Promise.race([
                    nextEntries,
                    delay(pollMs, stop.signal).then((): typeof LIVE_POLL => LIVE_POLL),
                  ]);
            if (signal?.aborted) return;
            if (step === LIVE_POLL) {
              const ended = await self.endedReplies(userId, sessionId, live);
              if (ended.length > 0) {
                self.count(ended);
                yield ended;
              }
              continue;
            }
            if (step.done) return;
            nextEntries = entriesOf.next();
            const fresh = step.value.filter((e) => e.seq >= next);
            for (let i = 0; i < fresh.length && remaining > 0; i += batchSize) {
              const slice = fresh.slice(i, Math.min(i + batchSize, i + remaining));
              const batch = await self.messages.toStoredMany(userId, sessionId, slice as never);
              if (batch.length === 0) continue;
              next = batch[batch.length - 1]!.seq + 1;
              remaining -= batch.length;
              noteLive(batch);
              self.count(batch);
              yield batch;
            }
            if (remaining <= 0) return;
          }
        } catch (error) {
          if (signal?.aborted || (error as { name?: string }).name === 'AbortError') return;
          throw error;
        } finally {
          signal?.removeEventListener('abort', onAbort);
          stop.abort(); // ends the watch, also when the consumer stopped iterating
          self.stats.followers--;
        }
      },
    };
  }

  /** The replies of `live` that are no longer being written, re-read (and removed from `live`). */
  private async endedReplies(
    userId: string,
    sessionId: string,
    live: Map<number, string>,
  ): Promise<StoredMessage[]> {
    const ended: StoredMessage[] = [];
    for (const [seq, messageId] of live) {
      const [m] = await this.messages.read(userId, sessionId, { fromSeq: seq, limit: 1 });
      if (!m || m.messageId !== messageId) {
        live.delete(seq); // the session was deleted or replaced meanwhile
      } else if (m.metadata.streamStatus !== 'streaming') {
        live.delete(seq);
        ended.push(m);
      }
    }
    return ended;
  }

  streamMessagesReverse(userId: string, sessionId: string, opts?: unknown): AsyncIterable<StoredMessage[]> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const o = parseOptions(ReverseOptions, opts);
    const self = this;
    const batchSize = o.batchSize ?? this.core.config.streaming.batchSize;
    return {
      async *[Symbol.asyncIterator]() {
        self.stats.streamsOpened++;
        const n = await self.messages.count(userId, sessionId);
        let from = n - 1;
        let remaining = o.limit ?? n;
        while (from >= 0 && remaining > 0) {
          const batch = await self.messages.read(userId, sessionId, {
            fromSeq: from,
            limit: Math.min(batchSize, remaining),
            reverse: true,
          });
          if (batch.length === 0) return;
          from = batch[batch.length - 1]!.seq - 1;
          remaining -= batch.length;
          self.count(batch);
          yield batch;
        }
      },
    };
  }

  /** Every batch of every session, at most `streaming.maxConcurrentStreams` sessions read at once. */
  parallelStreamSessions(
    userId: string,
    sessionIds: unknown,
    opts?: unknown,
  ): AsyncIterable<[string, StoredMessage[]]> {
    assertUserId(userId);
    if (!Array.isArray(sessionIds)) {
      throw new FFValidationError([{ path: 'sessionIds', message: 'must be an array of session ids' }]);
    }
    const ids = sessionIds.map((s, i) => assertSessionId(s, `sessionIds.${i}`));
    const o = parseOptions(ParallelOptions, opts);
    const limit = o.maxConcurrency ?? this.core.config.streaming.maxConcurrentStreams;
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        // A small bounded queue: workers push, the consumer pulls; each worker waits while it is full.
        const queue: ([string, StoredMessage[]] | { error: unknown })[] = [];
        let wake: (() => void) | null = null;
        let space: (() => void) | null = null;
        let active = 0;
        let cursor = 0;
        let stopped = false;
        const notify = () => {
          const w = wake;
          wake = null;
          w?.();
        };
        const worker = async () => {
          while (!stopped && cursor < ids.length) {
            const sid = ids[cursor++]!;
            try {
              for await (const batch of self.streamMessages(userId, sid, { batchSize: o.batchSize })) {
                if (stopped) return;
                queue.push([sid, batch]);
                notify();
                while (queue.length >= limit * 2 && !stopped) await new Promise<void>((r) => (space = r));
              }
            } catch (error) {
              queue.push({ error });
              notify();
              return;
            }
          }
        };
        const workers = Array.from({ length: Math.min(limit, ids.length) }, async () => {
          active++;
          try {
            await worker();
          } finally {
            active--;
            notify();
          }
        });
        try {
          while (true) {
            const item = queue.shift();
            if (item) {
              const s = space as (() => void) | null;
              space = null;
              s?.();
              if ('error' in item) throw item.error;
              yield item;
              continue;
            }
            if (active === 0 && cursor >= ids.length) break;
            await new Promise<void>((r) => (wake = r));
          }
        } finally {
          stopped = true;
          const s = space as (() => void) | null;
          s?.();
          await Promise.allSettled(workers);
        }
      },
    };
  }

  streamSessionExport(userId: string, sessionId: string, opts?: unknown): AsyncIterable<ExportRecord> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const o = parseOptions(ExportOptions, opts);
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        yield* self.sessionRecords(userId, sessionId, o);
      },
    };
  }

  private async *sessionRecords(
    userId: string,
    sessionId: string,
    o: z.output<typeof ExportOptions>,
  ): AsyncGenerator<ExportRecord> {
    const session = await this.sessions.get(userId, sessionId);
    if (!session) return;
    yield { type: 'session_metadata', data: session };
    for await (const batch of this.streamMessages(userId, sessionId, { batchSize: o.batchSize })) {
      yield { type: 'messages', data: batch };
    }
    if (o.includeDocuments !== false) {
      const docs = await this.documents.list(userId, sessionId);
      yield { type: 'documents', data: Object.fromEntries(docs.map((d) => [d.documentId, d])) };
    }
    if (o.includeContext !== false) {
      const ctx = await this.context.get(userId, sessionId);
      if (ctx) yield { type: 'context', data: ctx };
      const history = await this.context.history(userId, sessionId);
      for (const h of history.reverse()) {
        const { snapshotId, ...context } = h;
        yield { type: 'context_history', data: { snapshotId, context } };
      }
    }
  }

  streamUserExport(userId: string, opts?: unknown): AsyncIterable<ExportRecord> {
    assertUserId(userId);
    const o = parseOptions(UserExportOptions, opts);
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const profile = await self.users.get(userId);
        if (!profile) return;
        yield { type: 'user_profile', data: profile };
        const ids = await self.sessions.ids(userId);
        const chosen = o.sessionLimit === undefined ? ids : ids.slice(0, o.sessionLimit);
        for (const sid of chosen) {
          yield { type: 'session_start', data: { sessionId: sid } };
          yield* self.sessionRecords(userId, sid, o);
          yield { type: 'session_end', data: { sessionId: sid } };
        }
      },
    };
  }

  getStreamingStats(): Record<string, unknown> {
    const c = this.messages.counters;
    return {
      activeStreams: c.active.size,
      activeFollowers: this.stats.followers,
      streamsOpened: this.stats.streamsOpened,
      batchesStreamed: this.stats.batches,
      messagesStreamed: this.stats.messages,
      repliesStarted: c.started,
      repliesCompleted: c.completed,
      repliesInterrupted: c.interrupted,
      maxConcurrentStreams: this.core.config.streaming.maxConcurrentStreams,
      batchSize: this.core.config.streaming.batchSize,
      enabled: this.core.config.streaming.enabled,
    };
  }

  async getStreamHealth(userId: string, sessionId: string): Promise<Record<string, unknown>> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const session = await this.sessions.get(userId, sessionId);
    if (!session) {
      return { userId, sessionId, exists: false, healthy: false, errors: ['session not found'] };
    }
    const streamKeys = await this.core.storage.listLogs(keys.streamsRoot(userId, sessionId));
    const statuses = { streaming: 0, complete: 0, interrupted: 0 };
    const recent = await this.messages.read(userId, sessionId, { reverse: true, limit: 1 });
    // Replies are few; resolve each one's state from its log.
    for (const key of streamKeys) {
      const messageId = key.slice(key.lastIndexOf('/') + 1);
      const owner = await this.findOwner(userId, sessionId, messageId);
      const r = await this.messages.replies.resolve(userId, sessionId, messageId, owner);
      statuses[r.status]++;
    }
    const activeHere = [...this.messages.counters.active.values()].filter(
      (a) => a.userId === userId && a.sessionId === sessionId,
    ).length;
    return {
      userId,
      sessionId,
      exists: true,
      healthy: true,
      messageCount: session.messageCount,
      lastMessageAt: recent[0]?.timestamp ?? null,
      activeStreams: activeHere,
      replies: { total: streamKeys.length, ...statuses },
      followers: this.stats.followers,
      warnings:
        statuses.interrupted > 0
          ? [`${statuses.interrupted} interrupted repl${statuses.interrupted === 1 ? 'y' : 'ies'}`]
          : [],
    };
  }

  private async findOwner(userId: string, sessionId: string, messageId: string) {
    const page = 1000;
    const log = keys.messagesLog(userId, sessionId);
    const n = await this.core.storage.countLog(log);
    for (let from = n - 1; from >= 0; from -= page) {
      const entries = await this.core.storage.readLog<Record<string, unknown>>(log, {
        fromSeq: from,
        limit: page,
        reverse: true,
      });
      const hit = entries.find((e) => e.data.messageId === messageId);
      if (hit) return hit.data.stream as never;
      if (entries.length === 0) break;
    }
    return undefined;
  }
}

/**
 * Messages: one append-only log per session. `seq` is the log position; `messageCount` is the log's
 * count; a session's `updatedAt` is bumped by a small `touch` event in the user's session index (coalesced,
 * written just after the append) — never a read-modify-write of session metadata.
 */
import {
  createMessage,
  FFConflictError,
  FFNotFoundError,
  FFValidationError,
  generateMessageId,
  type LogEntry,
  type Message,
  Metadata,
  sliceWhole,
} from '@ffdb/core-types';
import { z } from 'zod';
import type { Core } from '../core.js';
import type { StoredMessage } from '../features/types.js';
import { utf8Length } from '../json-blob.js';
import { keys } from '../keys.js';
import {
  assertLengthRule,
  assertMessageId,
  assertSessionId,
  assertStoredMessageId,
  assertUserId,
  parseOptions,
} from '../validation.js';
import { markActive, markDone, newOwner, ReplyResolver, type StreamOwner } from './live-replies.js';
import { MessageIdIndex } from './message-ids.js';

/** Whether the caller chose the message's id (else createMessage generates a fresh one). */
export function hasOwnId(input: unknown): boolean {
  return (input as { messageId?: unknown }).messageId !== undefined;
}

/** What a message log record holds: the message, plus an owner stamp for streamed replies. */
type MessageRecord = Message & { stream?: StreamOwner };

const GetMessagesOptions = z.object({
  limit: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
  reverse: z.boolean().optional(),
});

const BeginStreamOptions = z.object({
  role: z.string().trim().min(1, 'role cannot be empty').max(200),
  messageId: z.string().optional(),
  metadata: Metadata.optional(),
  parentId: z.string().min(1).max(200).optional(),
});

export interface MessageStreamHandle {
  readonly messageId: string;
  /** Appends text; durable when the promise resolves. */
  write(delta: string): Promise<void>;
  /** Marks the reply complete; resolves to the final message. */
  complete(): Promise<StoredMessage>;
  /**
   * Marks the reply interrupted (keeps the text written so far); resolves to the final message, as
   * complete() does. On a reply already finished it changes nothing and resolves to that message.
   */
  abort(reason?: string): Promise<StoredMessage>;
}

export interface StreamCounters {
  started: number;
  completed: number;
  interrupted: number;
  active: Map<string, { userId: string; sessionId: string; messageId: string; startedAt: string }>;
}

export class MessageService {
  readonly replies: ReplyResolver;
  readonly ids: MessageIdIndex;
  readonly counters: StreamCounters = { started: 0, completed: 0, interrupted: 0, active: new Map() };
  private readonly handles = new Set<{ abort(reason?: string): Promise<unknown> }>();

  constructor(private readonly core: Core) {
    this.replies = new ReplyResolver(core);
    this.ids = new MessageIdIndex(
      core.storage,
      () => core.config.runtime.messageIdCacheBytes,
      async (userId) => {
        await core.index.refresh(userId);
        return core.index.incarnation(userId);
      },
    );
  }

  /**
   * Adds prepared messages to an existing session, leaving out those whose id (given by the caller:
   * `ownIds[i]`) the session already holds. Resolves to what was stored, or null when the session was
   * deleted meanwhile (see append).
   */
  async add(
    userId: string,
    sessionId: string,
    messages: Message[],
    ownIds: readonly boolean[],
  ): Promise<StoredMessage[] | null> {
    const given = messages.filter((_, i) => ownIds[i]).map((m) => m.messageId);
    if (given.length === 0) return this.append(userId, sessionId, messages);
    const free = await this.ids.reserve(userId, sessionId, given);
    const reserved = given.filter((_, i) => free[i]);
    const existing = new Set(given.filter((_, i) => !free[i]));
    const fresh = messages.filter((m, i) => !ownIds[i] || !existing.has(m.messageId));
    try {
      return fresh.length === 0 ? [] : await this.append(userId, sessionId, fresh);
    } finally {
      this.ids.settle(userId, sessionId, reserved);
    }
  }

  /**
   * Validates and fills a message; throws FFValidationError for bad input, size over the limit or (for
   * a new message, `checkLength`) content shorter than `runtime.minMessageContentLength`. An import
   * keeps the messages it restores as they were.
   */
  prepare(input: unknown, field = 'message', checkLength = true): Message {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new FFValidationError([{ path: field, message: 'must be an object with role and content' }]);
    }
    let m: Message;
    try {
      m = createMessage(input as Message, this.core.clock.now());
    } catch (error) {
      // In a batch, name the entry (`messages.3.content`); a lone message keeps createMessage's paths.
      if (field === 'message' || !FFValidationError.isInstance(error)) throw error;
      throw new FFValidationError(
        error.issues.map((i) => ({ ...i, path: i.path ? `${field}.${i.path}` : field })),
      );
    }
    // Stored-message fields callers may pass back (e.g. a message read earlier): seq is positional.
    if (m.messageId.includes('/') || m.messageId.includes('..')) {
      throw new FFValidationError([{ path: `${field}.messageId`, message: 'has invalid characters' }]);
    }
    this.checkSize(m, field);
    if (checkLength) {
      assertLengthRule(m.content.length, field === 'message' ? 'content' : `${field}.content`, {
        min: this.core.config.runtime.minMessageContentLength,
        minField: 'runtime.minMessageContentLength',
      });
    }
    return m;
  }

  checkSize(m: Message, field = 'message'): void {
    const limit = this.core.config.storage.maxMessageSizeBytes;
    const size = utf8Length(JSON.stringify(m));
    if (size > limit) {
      throw new FFValidationError([
        {
          path: field,
          message: `message is ${size} bytes (UTF-8 JSON), over storage.maxMessageSizeBytes ${limit}`,
          limit,
        },
      ]);
    }
  }

  /**
   * Appends prepared messages to an existing session. Resolves to the stored messages with seq, or null
   * when the session was deleted (by any process) while they were being appended: their log then lies
   * in a tree nobody lists, so it is removed again and the append counts as refused (the delete came
   * first). Checking before the append alone leaves that window open.
   */
  async append(userId: string, sessionId: string, messages: Message[]): Promise<StoredMessage[] | null> {
    const log = keys.messagesLog(userId, sessionId);
    const res = await this.core.storage.append(log, messages as unknown as Record<string, unknown>[]);
    // Deleted meanwhile: the session (a tombstone), or the whole user (its index is gone, so the
    // session is simply no longer in it).
    if (await this.core.index.removeIfGone(userId, sessionId)) return null;
    const at = this.core.index.activityStamp(userId, this.core.now());
    this.core.index.touchSoon(userId, sessionId, at, res.firstSeq + messages.length);
    this.ids.appended(
      userId,
      sessionId,
      messages.map((m) => m.messageId),
      res.firstSeq,
    );
    const stored = messages.map((m, i) => ({ ...m, seq: res.firstSeq + i }));
    await this.core.hooks.emit('onMessagesAdded', userId, sessionId, stored);
    return stored;
  }

  private async toStored(
    userId: string,
    sessionId: string,
    e: LogEntry<MessageRecord>,
  ): Promise<StoredMessage> {
    const { stream, ...m } = e.data;
    const out = { ...m, seq: e.seq } as StoredMessage;
    if (stream) {
      const r = await this.replies.resolve(userId, sessionId, m.messageId, stream);
      out.content = r.content;
      out.metadata = { ...m.metadata, streamStatus: r.status };
      if (r.reason) out.metadata.streamReason = r.reason;
    }
    return out;
  }

  async toStoredMany(
    userId: string,
    sessionId: string,
    entries: LogEntry<MessageRecord>[],
  ): Promise<StoredMessage[]> {
    const out: StoredMessage[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      // Fast path: plain messages need no lookups.
      if (!e.data.stream) {
        out[i] = { ...e.data, seq: e.seq } as StoredMessage;
      } else {
        out[i] = await this.toStored(userId, sessionId, e);
      }
    }
    return out;
  }

  /** Raw ranged read (internal, ids already validated). */
  async read(
    userId: string,
    sessionId: string,
    opts: { fromSeq?: number; limit?: number; reverse?: boolean } = {},
  ): Promise<StoredMessage[]> {
    const entries = await this.core.storage.readLog<MessageRecord>(keys.messagesLog(userId, sessionId), opts);
    return this.toStoredMany(userId, sessionId, entries);
  }

  count(userId: string, sessionId: string): Promise<number> {
    return this.core.storage.countLog(keys.messagesLog(userId, sessionId));
  }

  async getMessages(userId: string, sessionId: string, opts?: unknown): Promise<StoredMessage[]> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const o = parseOptions(GetMessagesOptions, opts);
    const limit = o.limit ?? this.core.config.search.defaultPageSize;
    const offset = o.offset ?? 0;
    if (limit === 0) return [];
    if (!o.reverse) return this.read(userId, sessionId, { fromSeq: offset, limit });
    const n = await this.count(userId, sessionId);
    const from = n - 1 - offset;
    if (from < 0) return [];
    return this.read(userId, sessionId, { fromSeq: from, limit, reverse: true });
  }

  async getAll(userId: string, sessionId: string): Promise<StoredMessage[]> {
    assertUserId(userId);
    assertSessionId(sessionId);
    return this.read(userId, sessionId);
  }

  async getOne(userId: string, sessionId: string, messageId: string): Promise<StoredMessage | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    assertStoredMessageId(messageId);
    const hit = await this.ids.find<MessageRecord>(userId, sessionId, messageId);
    return hit ? this.toStored(userId, sessionId, hit) : null;
  }

  async getRecent(userId: string, sessionId: string, n: unknown): Promise<StoredMessage[]> {
    assertUserId(userId);
    assertSessionId(sessionId);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new FFValidationError([{ path: 'n', message: 'must be a non-negative integer' }]);
    }
    if (n === 0) return [];
    const newestFirst = await this.read(userId, sessionId, { reverse: true, limit: n });
    return newestFirst.reverse();
  }

  // ------------------------------------------------------------------------------------------ live replies

  async begin(userId: string, sessionId: string, opts: unknown): Promise<MessageStreamHandle> {
    const o = parseOptions(BeginStreamOptions, opts, 'opts');
    const messageId =
      o.messageId === undefined ? generateMessageId() : assertMessageId(o.messageId, 'opts.messageId');
    if (!(await this.core.index.has(userId, sessionId))) {
      throw new FFNotFoundError(`Session ${sessionId} not found for user ${userId}`);
    }
    if (o.messageId !== undefined) {
      const [free] = await this.ids.reserve(userId, sessionId, [messageId]);
      if (!free) {
        throw new FFConflictError(`session ${sessionId} already has a message ${messageId}`);
      }
    }
    const now = this.core.now();
    const owner = newOwner(now);
    const streamKey = keys.streamLog(userId, sessionId, messageId);
    const record: MessageRecord = {
      messageId,
      role: o.role,
      content: '',
      timestamp: now,
      attachments: [],
      metadata: { ...(o.metadata ?? {}), streamStatus: 'streaming' },
      stream: owner,
    };
    if (o.parentId !== undefined) record.parentId = o.parentId;
    markActive(streamKey);
    let res: { firstSeq: number };
    try {
      res = await this.core.storage.append(keys.messagesLog(userId, sessionId), [
        record as unknown as Record<string, unknown>,
      ]);
      this.core.index.touchSoon(
        userId,
        sessionId,
        this.core.index.activityStamp(userId, now),
        res.firstSeq + 1,
      );
      this.ids.appended(userId, sessionId, [messageId], res.firstSeq);
      await this.refuseIfGone(userId, sessionId);
    } catch (error) {
      markDone(streamKey);
      throw error;
    } finally {
      if (o.messageId !== undefined) this.ids.settle(userId, sessionId, [messageId]);
    }
    const seq = res.firstSeq;
    this.counters.started++;
    this.counters.active.set(streamKey, { userId, sessionId, messageId, startedAt: now });
    const base = { ...record, stream: undefined };
    delete (base as { stream?: unknown }).stream;
    let content = '';
    let finished = false;
    // Readers take a reply idle past streaming.timeoutSeconds as interrupted; a later write or complete
    // must not bring it back (see timedOut).
    let lastActivityMs = Date.parse(now);
    let chain: Promise<void> = Promise.resolve();
    const core = this.core;
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const run = chain.then(fn);
      chain = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    };
    let final: StoredMessage | undefined;
    const finish = async (status: 'complete' | 'interrupted', reason?: string): Promise<StoredMessage> => {
      finished = true;
      const end: Record<string, unknown> = { end: status, at: core.now(), content };
      if (reason) end.reason = reason;
      try {
        await core.storage.append(streamKey, [end]);
      } finally {
        markDone(streamKey);
        this.counters.active.delete(streamKey);
        this.handles.delete(handle);
      }
      await this.refuseIfGone(userId, sessionId);
      if (status === 'complete') this.counters.completed++;
      else this.counters.interrupted++;
      core.index.touchSoon(userId, sessionId, core.index.activityStamp(userId, core.now()));
      const message: StoredMessage = {
        ...(base as Message),
        content,
        metadata: { ...base.metadata, streamStatus: status, ...(reason ? { streamReason: reason } : {}) },
        seq,
      };
      final = message;
      await core.hooks.emit('onMessageUpdated', userId, sessionId, message);
      return message;
    };
    const timedOut = async (): Promise<void> => {
      const timeoutMs = core.config.streaming.timeoutSeconds * 1000;
      if (core.clock.now().getTime() - lastActivityMs <= timeoutMs) return;
      await finish('interrupted', 'timed out');
      throw new FFConflictError(
        `stream ${messageId} was idle longer than streaming.timeoutSeconds ` +
          `(${timeoutMs / 1000} s) and is interrupted`,
      );
    };
    const handle: MessageStreamHandle = {
      messageId,
      write: (delta: string) =>
        serial(async () => {
          if (finished) throw new FFConflictError(`stream ${messageId} is already finished`);
          await timedOut();
          if (typeof delta !== 'string')
            throw new FFValidationError([{ path: 'delta', message: 'must be a string' }]);
          if (delta.length === 0) return;
          const next = content + delta;
          this.checkSize({ ...(base as Message), content: next }, 'delta');
          await core.storage.append(streamKey, [{ d: delta, at: core.now() }]);
          await this.refuseIfGone(userId, sessionId, () => {
            finished = true;
            markDone(streamKey);
            this.counters.active.delete(streamKey);
            this.handles.delete(handle);
          });
          content = next;
          lastActivityMs = core.clock.now().getTime();
        }),
      complete: () =>
        serial(async () => {
          if (finished) throw new FFConflictError(`stream ${messageId} is already finished`);
          await timedOut();
          return finish('complete');
        }),
      abort: (reason?: string) =>
        serial(async () => {
          if (finished && final) return final;
          if (finished) throw new FFConflictError(`stream ${messageId} could not be finished`);
          return finish('interrupted', typeof reason === 'string' ? sliceWhole(reason, 0, 500) : undefined);
        }),
    };
    this.handles.add(handle);
    return handle;
  }

  /**
   * After a write into a session: when the session was deleted meanwhile (by any process), what was
   * written lies in a tree nobody lists; it is removed again and the write fails with FFNotFoundError
   * (the delete came first), as addMessage resolves false. `before` runs first (the stream is over).
   */
  private async refuseIfGone(userId: string, sessionId: string, before?: () => void): Promise<void> {
    if (!(await this.core.index.removeIfGone(userId, sessionId))) return;
    before?.();
    throw new FFNotFoundError(`Session ${sessionId} not found for user ${userId} (deleted)`);
  }

  /** Marks every reply still being written by this manager as interrupted (close()). */
  async abortAll(reason: string): Promise<void> {
    await Promise.all([...this.handles].map((h) => h.abort(reason).catch(() => undefined)));
  }
}

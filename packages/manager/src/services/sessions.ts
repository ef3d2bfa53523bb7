/**
 * Sessions live in the user's session index log (create/update/touch/delete events, see session-index.ts);
 * a session's messages, documents and context live under users/<u>/sessions/<sid>/.
 */
import {
  DEFAULT_SESSION_TITLES,
  FALLBACK_SESSION_TITLE,
  generateSessionId,
  Metadata,
  parseOrThrow,
  type Session,
  SessionUpdateSchema,
} from '@ffdb/core-types';
import { z } from 'zod';
import type { Core } from '../core.js';
import { keys } from '../keys.js';
import {
  assertLengthRule,
  assertPlainObject,
  assertSessionId,
  assertString,
  assertUserId,
  parseOptions,
} from '../validation.js';
import type { SessionEntry } from './session-index.js';
import { backupTree } from './trash.js';
import type { UserService } from './users.js';

const CreateSessionOptions = z.object({
  sessionType: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .optional(),
  metadata: Metadata.optional(),
});

const ListSessionsOptions = z.object({
  limit: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
  sessionType: z.string().optional(),
  order: z.enum(['newest', 'oldest']).optional(),
});

/** The time part of a generated id (`…_YYYYMMDD_HHMMSS_NNNNNN`): creation order across prefixes. */
function creationKey(e: SessionEntry): string {
  const m = /\d{8}_\d{6}_\d{6}$/.exec(e.sessionId);
  return `${e.createdAt}|${m ? m[0] : e.sessionId}`;
}

/** Newest activity first (a tie of times: the later activity), then newest creation. */
function byRecency(a: SessionEntry, b: SessionEntry): number {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt < b.updatedAt ? 1 : -1;
  const order = (b.activity ?? 0) - (a.activity ?? 0);
  if (order !== 0) return order;
  const ka = creationKey(a);
  const kb = creationKey(b);
  return ka < kb ? 1 : ka > kb ? -1 : 0;
}

export class SessionService {
  constructor(
    private readonly core: Core,
    private readonly users: UserService,
  ) {}

  private toSession(userId: string, e: SessionEntry, messageCount: number): Session {
    return {
      sessionId: e.sessionId,
      userId,
      title: e.title,
      sessionType: e.sessionType,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      messageCount,
      metadata: { ...e.metadata },
    };
  }

  async create(userId: string, title?: unknown, opts?: unknown): Promise<string> {
    assertUserId(userId);
    if (title !== undefined && title !== null) {
      const given = assertString(title, 'title');
      // An empty title takes the type's default title; any other follows the configured bounds.
      if (given.length > 0) this.assertTitle(given, 'title');
    }
    const o = parseOptions(CreateSessionOptions, opts);
    const type = o.sessionType ?? 'chat';
    const types = this.core.config.storage.sessionTypes as Record<string, string>;
    const prefix = types[type] ?? types.chat ?? 'chat_session';
    const finalTitle =
      typeof title === 'string' && title.length > 0
        ? title
        : (DEFAULT_SESSION_TITLES[type] ?? FALLBACK_SESSION_TITLE);
    await this.users.ensure(userId);
    // Lock-free: the first create event of an id in the user's index log wins; a loser retries.
    for (;;) {
      // The creation time is an activity stamp (after the user's latest activity), and the id's time part
      // is that time: listing by time and by id agree.
      const { at: now, activity } = await this.core.index.creationStamp(userId, this.core.now());
      const sessionId = generateSessionId(prefix, new Date(now));
      if (await this.core.index.taken(userId, sessionId)) continue;
      const entry: SessionEntry = {
        sessionId,
        title: finalTitle,
        sessionType: type,
        createdAt: now,
        updatedAt: now,
        metadata: o.metadata ?? {},
        ...(activity !== undefined ? { activity } : {}),
      };
      if (!(await this.core.index.create(userId, entry))) continue;
      return sessionId;
    }
  }

  /** runtime.min/maxSessionNameLength, for a title being set. */
  private assertTitle(title: string, field: string): void {
    const { runtime } = this.core.config;
    assertLengthRule(title.length, field, {
      min: runtime.minSessionNameLength,
      max: runtime.maxSessionNameLength,
      minField: 'runtime.minSessionNameLength',
      maxField: 'runtime.maxSessionNameLength',
    });
  }

  /** Creates a session with a given id (import, which keeps ids and titles as they were). False when it exists. */
  async createWithId(userId: string, session: Omit<Session, 'messageCount' | 'userId'>): Promise<boolean> {
    await this.users.ensure(userId, false);
    return this.core.storage.withLock(keys.sessionIndex(userId), async () => {
      if (await this.core.index.has(userId, session.sessionId)) return false;
      const entry: SessionEntry = { ...session, metadata: session.metadata ?? {} };
      if (!(await this.core.index.create(userId, entry))) return false;
      if (session.updatedAt > session.createdAt)
        await this.core.index.touch(userId, session.sessionId, session.updatedAt);
      return true;
    });
  }

  async exists(userId: string, sessionId: string): Promise<boolean> {
    return this.core.index.has(userId, sessionId);
  }

  async get(userId: string, sessionId: string): Promise<Session | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const e = await this.core.index.get(userId, sessionId);
    if (!e) return null;
    const n = await this.core.storage.countLog(keys.messagesLog(userId, sessionId));
    this.core.index.noteCount(userId, sessionId, n);
    return this.toSession(userId, e, n);
  }

  /** `updateSessionMetadata`: its argument is the metadata itself, and issues are named after it. */
  updateMetadata(userId: string, sessionId: string, metadata: unknown): Promise<boolean> {
    assertUserId(userId);
    assertSessionId(sessionId);
    return this.update(userId, sessionId, { metadata: parseOrThrow(Metadata, metadata, 'metadata') });
  }

  async update(userId: string, sessionId: string, updates: unknown): Promise<boolean> {
    assertUserId(userId);
    assertSessionId(sessionId);
    // No updates at all is a touch (updatedAt bumped), as the reference's update_session(**{}) was; null,
    // an array or a scalar is a wrong type, refused before anything is written.
    const u = parseOrThrow(
      SessionUpdateSchema,
      updates === undefined ? {} : assertPlainObject(updates, 'updates'),
      'updates',
    );
    if (u.title !== undefined) this.assertTitle(u.title, 'updates.title');
    return this.core.storage.withLock(keys.sessionMeta(userId, sessionId), async () => {
      const e = await this.core.index.get(userId, sessionId);
      if (!e) return false;
      const title = u.title ?? e.title;
      const metadata = u.metadata ? { ...e.metadata, ...u.metadata } : e.metadata;
      const at = this.core.index.activityStamp(userId, this.core.now());
      await this.core.index.update(userId, sessionId, title, metadata, at);
      return true;
    });
  }

  async list(userId: string, opts?: unknown): Promise<Session[]> {
    assertUserId(userId);
    const o = parseOptions(ListSessionsOptions, opts);
    let entries = await this.core.index.list(userId);
    if (o.sessionType !== undefined) entries = entries.filter((e) => e.sessionType === o.sessionType);
    // newest = last activity first, then creation (ids order by creation).
    entries.sort(byRecency);
    if (o.order === 'oldest') entries.reverse();
    const offset = o.offset ?? 0;
    const page = o.limit === undefined ? entries.slice(offset) : entries.slice(offset, offset + o.limit);
    // Exact counts without a storage call per session once the user's fold is warm (session-index.ts).
    const counts = await this.core.index.messageCounts(
      userId,
      page.map((e) => e.sessionId),
      (sid) => this.core.storage.countLog(keys.messagesLog(userId, sid)),
    );
    return page.map((e, i) => this.toSession(userId, e, counts[i] ?? 0));
  }

  /** Every session id of a user, newest first (internal: no validation). */
  async ids(userId: string): Promise<string[]> {
    const entries = await this.core.index.list(userId);
    return entries.sort(byRecency).map((e) => e.sessionId);
  }

  /** Removes a session: hidden from the index first, then its tree. Callers emit hooks. */
  async remove(userId: string, sessionId: string): Promise<boolean> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const removed = await this.core.storage.withLock(keys.sessionIndex(userId), async () => {
      if (!(await this.core.index.has(userId, sessionId))) return false;
      if (this.core.config.storage.backupBeforeDelete) {
        await backupTree(this.core, keys.sessionRoot(userId, sessionId), `${userId}_${sessionId}`);
      }
      await this.core.index.remove(userId, sessionId, this.core.now());
      return true;
    });
    if (!removed) {
      // Deleted before, but a crash between hiding it and removing its tree may have left the tree:
      // deleting again finishes the job (and still reports that nothing was there to delete).
      if (await this.core.index.wasDeleted(userId, sessionId)) {
        await this.core.storage.delete(keys.sessionRoot(userId, sessionId));
      }
      return false;
    }
    await this.core.storage.delete(keys.sessionRoot(userId, sessionId));
    return true;
  }
}

/**
 * The per-user session index: an append-only log of session events, folded into memory.
 *
 * Why: listing a user's sessions by recency must stay fast at 10,000 sessions, and `updatedAt` changes
 * with every message. Globbing the tree (the original) or rewriting session.json per message (a lost
 * update under concurrency) are both wrong. Each event is one small record:
 *   { op: 'create', s, title, type, createdAt, metadata }
 *   { op: 'update', s, title, metadata, at }       (full values: folding is idempotent)
 *   { op: 'touch',  s, at, n? }                     (messages appended at `at`; `n` = count after it)
 *   { op: 'count',  s, n }                          (raw appends of an import: count only, no activity)
 *   { op: 'rev',    s, d?, c? }                     (document / context-event log lengths after a change:
 *                                                   how other processes' derived indexes see it)
 *   { op: 'delete', s, at }
 * A process keeps the fold per user and catches up by reading the log from the last seq it saw, so
 * events written by another process are picked up on the next call. The log is the only record of a
 * session's metadata (title, type, times, metadata).
 *
 * Message counts: listing 10,000 sessions must not ask the storage for 10,000 log counts on every call.
 * The fold keeps each session's count; this process updates it on every append it makes, and the `n`
 * carried by touch/count events brings in the appends of other processes. The first listing of a user
 * in a process (a cold fold) still counts every log, so a count left stale by a crashed writer is
 * corrected on the next cold start; after that, a warm listing costs no storage call per session.
 *
 * Replaced users: another process may delete a user and create (or restore) it again, and its new log
 * may already be as long as the one folded here. A refresh notices it when the log shrank, when the
 * event it folded last is not at its place any more, or (at most once a second) when the log's first
 * event, a create carrying a random nonce, differs; the fold then starts over and the user's
 * `incarnation` grows, which tells caches derived from the user's logs (message ids, the search index)
 * that theirs are void.
 */
import { FFStorageError, type StorageBackend } from '@ffdb/core-types';
import { keys } from '../keys.js';

export interface SessionEntry {
  sessionId: string;
  title: string;
  sessionType: string;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, unknown>;
  /** Random tag of the create event that won (first in the log) — lock-free creation check. */
  nonce?: string;
  /**
   * Order of the session's last activity among the user's sessions (a counter of the fold): breaks a
   * tie of `updatedAt` in favour of the later activity. A creation counts when this process made it
   * (numbered with its id, so in the ids' order); a session read back with no activity since its
   * creation has none, and ties between those go by creation (their ids' order).
   */
  activity?: number;
}

type IndexEvent =
  | {
      op: 'create';
      s: string;
      title: string;
      type: string;
      createdAt: string;
      metadata: Record<string, unknown>;
      n?: string;
    }
  | { op: 'update'; s: string; title: string; metadata: Record<string, unknown>; at: string }
  | { op: 'touch'; s: string; at: string; n?: number }
  | { op: 'count'; s: string; n: number }
  | { op: 'rev'; s: string; d?: number; c?: number }
  | { op: 'delete'; s: string; at: string };

interface UserFold {
  nextSeq: number;
  sessions: Map<string, SessionEntry>;
  deleted: Set<string>;
  /** In-flight catch-up, shared by concurrent callers. */
  refreshing: Promise<void> | null;
  /** Events folded since the last snapshot was written or read. */
  sinceSnapshot: number;
  /** Message count per live session (see the header): exact once `countsChecked`. */
  counts: Map<string, number>;
  /** Every session's count was read from its log once in this process (at `countsCheckedAt`). */
  countsChecked: boolean;
  /** When the last full sweep ended (realNow): counts are trusted for COUNTS_TRUSTED_MS after it. */
  countsCheckedAt: number;
  /** Lengths of a session's document-event and context-event logs, as the `rev` events folded tell. */
  revs: Map<string, { d?: number; c?: number }>;
  /** The JSON of the last event folded (seq nextSeq - 1): tells a replaced log from a grown one. */
  lastEvent?: string;
  /** The JSON of the log's first event (a create with a random nonce) and when it was last compared. */
  firstEvent?: string;
  firstCheckedAt: number;
  /** The last `activity` number given out (see SessionEntry.activity). */
  activityCounter: number;
  /** The latest activity time of any live session, ms (computed when first needed; see activityStamp). */
  latestMs?: number;
}

/**
 * The log grows with every burst of activity (touch events), so a cold process would re-read all of it.
 * A snapshot blob of the fold (`users/<u>/session-index.snapshot.json`, `{ upto, sessions, deleted }`)
 * is written every SNAPSHOT_EVERY events (or more, with many sessions); a cold start reads it and only the
 * log after `upto`. A snapshot is derived data: any process may write one, a stale one only means a
 * longer catch-up, and one whose `upto` is beyond the log (user deleted and recreated) is ignored.
 */
const SNAPSHOT_EVERY = 2000;
/** How often a refresh compares the log's first event with the one folded (see refresh). */
const FIRST_EVENT_CHECK_MS = 1000;
/** Real time even under an application's fake timers (captured at load, as in activity.ts). */
const realNow = performance.now.bind(performance);
/** Touch events of a user are appended at most this often (see `schedule`). */
const TOUCH_DELAY_MS = 50;
/** How far ahead of the clock a user's activity times may be moved to keep them increasing (see activityStamp). */
const MAX_ACTIVITY_LEAD_MS = 1_000;
/** Users whose folds stay in memory. */
const MAX_CACHED_USERS = 1000;

interface Snapshot {
  upto: number;
  sessions: SessionEntry[];
  deleted: string[];
}

export class SessionIndex {
  private readonly folds = new Map<string, UserFold>();
  /** See incarnation(). Kept apart from the folds, which are evicted and read again. */
  private readonly incarnations = new Map<string, number>();
  /**
   * Events not yet appended, per user: sessionId -> latest activity time and message count (a touch),
   * and document / context-event log lengths (a rev); coalesced into one append.
   */
  private readonly pendingTouches = new Map<string, Map<string, PendingTouch>>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly storage: StorageBackend,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Keeps memory bounded with many users: the least recently used idle folds are dropped (re-read later). */
  private evict(): void {
    if (this.folds.size < MAX_CACHED_USERS) return;
    for (const [userId, f] of this.folds) {
      if (this.folds.size < MAX_CACHED_USERS * 0.9) break;
      if (f.refreshing || this.inflight.has(userId)) continue;
      this.folds.delete(userId);
    }
  }

  /** Forget a user's fold (after deleteUser, or to force a full re-read). */
  drop(userId: string): void {
    this.folds.delete(userId);
  }

  dropAll(): void {
    this.folds.clear();
  }

  private fold(userId: string): UserFold {
    let f = this.folds.get(userId);
    if (f) {
      // Most recently used last (Map order), for the eviction below.
      this.folds.delete(userId);
      this.folds.set(userId, f);
    } else {
      this.evict();
      f = {
        nextSeq: 0,
        sessions: new Map(),
        deleted: new Set(),
        refreshing: null,
        sinceSnapshot: 0,
        counts: new Map(),
        countsChecked: false,
        countsCheckedAt: 0,
        revs: new Map(),
        firstCheckedAt: 0,
        activityCounter: 0,
      };
      this.folds.set(userId, f);
    }
    return f;
  }

  /**
   * How many times this process found the user's session index replaced by another process (the user
   * deleted, perhaps created or restored again): caches keyed by the user's sessions compare it to know
   * theirs are void. Read after a `refresh`.
   */
  incarnation(userId: string): number {
    return this.incarnations.get(userId) ?? 0;
  }

  private replaced(userId: string, f: UserFold): void {
    resetFold(f);
    this.incarnations.set(userId, this.incarnation(userId) + 1);
  }

  /** Catches up with the log (cheap when nothing changed: one count). */
  async refresh(userId: string): Promise<UserFold> {
    const f = this.fold(userId);
    while (f.refreshing) await f.refreshing;
    const run = (async () => {
      const log = keys.sessionIndex(userId);
      const n = await this.storage.countLog(log);
      // The user was deleted (and maybe recreated) elsewhere: start over.
      if (n < f.nextSeq) this.replaced(userId, f);
      // The same, with a new log at least as long as the old: its first event (a create, with a random
      // nonce) differs. Read at most once per FIRST_EVENT_CHECK_MS: one record, cheap but not free.
      if (f.nextSeq > 0 && realNow() - f.firstCheckedAt >= FIRST_EVENT_CHECK_MS) {
        f.firstCheckedAt = realNow();
        const [first] = await this.storage.readLog<IndexEvent>(log, { fromSeq: 0, limit: 1 });
        const json = first?.seq === 0 ? JSON.stringify(first.data) : undefined;
        // A fold from a snapshot has not seen the first event: it is taken as the one to compare with.
        if (f.firstEvent === undefined) f.firstEvent = json;
        else if (json !== f.firstEvent) this.replaced(userId, f);
      }
      if (f.nextSeq === 0 && n > SNAPSHOT_EVERY) await this.loadSnapshot(userId, f, n);
      if (n > f.nextSeq) {
        // Read from the last event folded too: if it is not the same event, the log was replaced (the
        // user deleted and recreated elsewhere, and its new log already as long as the old one).
        const check = f.nextSeq > 0 && f.lastEvent !== undefined;
        let entries = await this.storage.readLog<IndexEvent>(log, { fromSeq: f.nextSeq - (check ? 1 : 0) });
        if (check) {
          const first = entries[0];
          if (first?.seq === f.nextSeq - 1 && JSON.stringify(first.data) === f.lastEvent)
            entries = entries.slice(1);
          else {
            this.replaced(userId, f);
            entries = await this.storage.readLog<IndexEvent>(log, { fromSeq: 0 });
          }
        }
        const from = f.nextSeq;
        for (const e of entries) {
          if (e.seq === 0) {
            f.firstEvent = JSON.stringify(e.data);
            f.firstCheckedAt = realNow();
          }
          apply(f, e.data);
          if (e.seq + 1 > f.nextSeq) f.nextSeq = e.seq + 1;
        }
        const last = entries[entries.length - 1];
        if (last) f.lastEvent = JSON.stringify(last.data);
        f.sinceSnapshot += f.nextSeq - from;
        if (f.sinceSnapshot > Math.max(SNAPSHOT_EVERY, f.sessions.size)) await this.saveSnapshot(userId, f);
      }
    })();
    f.refreshing = run;
    try {
      await run;
    } finally {
      f.refreshing = null;
    }
    return f;
  }

  private async loadSnapshot(userId: string, f: UserFold, logCount: number): Promise<void> {
    const bytes = await this.storage.read(snapshotKey(userId));
    if (!bytes) return;
    try {
      const snap = JSON.parse(new TextDecoder().decode(bytes)) as Snapshot;
      if (!Number.isInteger(snap.upto) || snap.upto > logCount) return;
      let counter = 0;
      for (const e of snap.sessions) counter = Math.max(counter, e.activity ?? 0);
      f.sessions = new Map(snap.sessions.map((e) => [e.sessionId, e]));
      f.activityCounter = counter;
      f.latestMs = undefined;
      f.deleted = new Set(snap.deleted);
      f.nextSeq = snap.upto;
      f.lastEvent = undefined;
      f.sinceSnapshot = 0;
    } catch {
      // An unreadable snapshot is ignored: the log is the truth.
    }
  }

  private async saveSnapshot(userId: string, f: UserFold): Promise<void> {
    const snap: Snapshot = { upto: f.nextSeq, sessions: [...f.sessions.values()], deleted: [...f.deleted] };
    try {
      await this.storage.write(snapshotKey(userId), new TextEncoder().encode(JSON.stringify(snap)));
      f.sinceSnapshot = 0;
    } catch (error) {
      this.onError(error);
    }
  }

  async get(userId: string, sessionId: string): Promise<SessionEntry | null> {
    // Always catch up (one countLog when nothing changed) so `updatedAt` written elsewhere shows up.
    const f = await this.refresh(userId);
    return f.sessions.get(sessionId) ?? null;
  }

  /**
   * Always catches up first (one countLog when nothing changed): a session another process deleted
   * must refuse this process's next write, not accept it into a tree nobody lists.
   */
  async has(userId: string, sessionId: string): Promise<boolean> {
    return (await this.refresh(userId)).sessions.has(sessionId);
  }

  /** Which of `sessionIds` exist, after one catch-up. */
  async existing(userId: string, sessionIds: readonly string[]): Promise<Set<string>> {
    const f = await this.refresh(userId);
    return new Set(sessionIds.filter((sid) => f.sessions.has(sid)));
  }

  /**
   * Whether the session is gone as seen now: deleted (a tombstone) or its user deleted (the session is
   * no longer in the index). A write into a session checks this after writing: one that raced a delete
   * lies in a tree nobody lists, and the writer removes it again (checking before alone leaves a window).
   */
  async gone(userId: string, sessionId: string): Promise<boolean> {
    return (await this.wasDeleted(userId, sessionId)) || !(await this.has(userId, sessionId));
  }

  /** After a write into a session: when it is gone, removes its tree again and resolves true. */
  async removeIfGone(userId: string, sessionId: string): Promise<boolean> {
    if (!(await this.gone(userId, sessionId))) return false;
    await this.storage.delete(keys.sessionRoot(userId, sessionId));
    return true;
  }

  /**
   * Runs a write into a session's tree. A deleteSession (or deleteUser) removing that tree meanwhile
   * makes the write fail with a storage error (ENOENT: its directory went away under it); that failure
   * is the race, not an I/O fault, so the caller answers `gone()` as for a missing session.
   */
  async writeUnlessGone<T>(
    userId: string,
    sessionId: string,
    write: () => Promise<T>,
    gone: () => T,
  ): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (FFStorageError.isInstance(error) && (await this.removeIfGone(userId, sessionId))) return gone();
      throw error;
    }
  }

  /** Was this id ever deleted (ids are never reused). */
  async wasDeleted(userId: string, sessionId: string): Promise<boolean> {
    return (await this.refresh(userId)).deleted.has(sessionId);
  }

  async list(userId: string): Promise<SessionEntry[]> {
    const f = await this.refresh(userId);
    return [...f.sessions.values()];
  }

  async count(userId: string): Promise<number> {
    return (await this.refresh(userId)).sessions.size;
  }

  async appendEvents(userId: string, events: IndexEvent[]): Promise<void> {
    const res = await this.storage.append(
      keys.sessionIndex(userId),
      events as unknown as Record<string, unknown>[],
    );
    // Apply locally too so this process reads its own writes without waiting for a refresh. When they
    // are the log's next events (nothing appended in between by anyone) the fold also moves past them,
    // so the next refresh does not read them back; otherwise creates are left to the refresh (their
    // winner is decided by log order, see `create`).
    const f = this.folds.get(userId);
    if (!f) return;
    // These are this process's activities, happening now: `live` (see touched).
    if (!f.refreshing && f.nextSeq === res.firstSeq) {
      for (const e of events) apply(f, e, true);
      f.nextSeq = res.firstSeq + events.length;
      f.sinceSnapshot += events.length;
      f.lastEvent = JSON.stringify(events[events.length - 1]);
      if (res.firstSeq === 0) f.firstEvent = JSON.stringify(events[0]);
    } else {
      for (const e of events) if (e.op !== 'create') apply(f, e, true);
    }
  }

  /**
   * Appends a create event and reports whether it won: when two processes generate the same id at once,
   * the first create in the log wins and the other caller retries with a new id. No lock needed.
   */
  async create(userId: string, entry: SessionEntry): Promise<boolean> {
    const nonce = Math.random().toString(36).slice(2) + Date.now().toString(36);
    const event: IndexEvent = {
      op: 'create',
      s: entry.sessionId,
      title: entry.title,
      type: entry.sessionType,
      createdAt: entry.createdAt,
      metadata: entry.metadata,
      n: nonce,
    };
    const res = await this.storage.append(keys.sessionIndex(userId), [
      event as unknown as Record<string, unknown>,
    ]);
    let f = this.folds.get(userId);
    if (f && !f.refreshing && f.nextSeq === res.firstSeq) {
      // Nothing was appended between what the fold covers and this event (by anyone, in any process): it
      // is the log's next event, so folding it here decides the winner exactly as reading it back would,
      // without a second read of the log on every create.
      apply(f, event);
      f.nextSeq = res.firstSeq + 1;
      f.lastEvent = JSON.stringify(event);
      if (res.firstSeq === 0) f.firstEvent = f.lastEvent;
      f.sinceSnapshot++;
      if (f.sinceSnapshot > Math.max(SNAPSHOT_EVERY, f.sessions.size)) await this.saveSnapshot(userId, f);
    } else {
      f = await this.refresh(userId);
    }
    const created = f.sessions.get(entry.sessionId);
    const won = created?.nonce === nonce;
    if (won) this.noteCount(userId, entry.sessionId, 0);
    // The creation's place among this process's activities, unless an activity already followed it.
    if (won && created && entry.activity !== undefined && created.activity === undefined)
      created.activity = entry.activity;
    return won;
  }

  /** Known (live or deleted) — ids are never reused. */
  async taken(userId: string, sessionId: string): Promise<boolean> {
    const f = await this.refresh(userId);
    return f.sessions.has(sessionId) || f.deleted.has(sessionId);
  }

  update(
    userId: string,
    sessionId: string,
    title: string,
    metadata: Record<string, unknown>,
    at: string,
  ): Promise<void> {
    return this.appendEvents(userId, [{ op: 'update', s: sessionId, title, metadata, at }]);
  }

  touch(userId: string, sessionId: string, at: string): Promise<void> {
    return this.appendEvents(userId, [{ op: 'touch', s: sessionId, at }]);
  }

  /**
   * Records activity without making the caller wait for a second durable append: the fold is updated at
   * once (this process reads its own writes) and the touches of a user are coalesced into one append
   * shortly after. A crash before it lands only leaves `updatedAt` a little older; `flush` (close, delete)
   * waits for them.
   */
  /**
   * The time of a new activity of the user's sessions (a creation, update or message): `now`, or 1 ms
   * after the user's latest activity when that is not earlier, so "newest" lists the latest activity
   * first and `updatedAt` always moves forward. Bounded: activities faster than one per millisecond move
   * the time at most MAX_ACTIVITY_LEAD_MS ahead of the clock; there it stays until the clock catches up,
   * and ties are ordered by `activity`.
   */
  activityStamp(userId: string, now: string): string {
    const f = this.folds.get(userId);
    const nowMs = Date.parse(now);
    if (!f || !Number.isFinite(nowMs)) return now;
    if (f.latestMs === undefined) {
      let latest = Number.NEGATIVE_INFINITY;
      for (const e of f.sessions.values())
        latest = Math.max(latest, timeMs(e.createdAt), timeMs(e.updatedAt));
      f.latestMs = latest;
    }
    if (nowMs > f.latestMs) {
      f.latestMs = nowMs;
      return now;
    }
    // At the bound the time stays where it is: times never go back, and ties are ordered by `activity`
    // (by creation between sessions with no activity since).
    if (f.latestMs + 1 <= nowMs + MAX_ACTIVITY_LEAD_MS) f.latestMs += 1;
    return new Date(f.latestMs).toISOString();
  }

  /**
   * activityStamp for a creation, with the user's fold loaded first (a creation may be the user's first
   * call), and the creation's place among this process's activities (see SessionEntry.activity): taken
   * together, so a creation held at the lead bound still lists above earlier activities.
   */
  async creationStamp(userId: string, now: string): Promise<{ at: string; activity?: number }> {
    if (!this.folds.has(userId)) await this.refresh(userId);
    const at = this.activityStamp(userId, now);
    const f = this.folds.get(userId);
    return f ? { at, activity: ++f.activityCounter } : { at };
  }

  touchSoon(userId: string, sessionId: string, at: string, count?: number): void {
    const f = this.folds.get(userId);
    const s = f?.sessions.get(sessionId);
    if (f && s) touched(f, s, at, true);
    if (count !== undefined) this.noteCount(userId, sessionId, count);
    let pending = this.pendingTouches.get(userId);
    if (!pending) {
      pending = new Map();
      this.pendingTouches.set(userId, pending);
    }
    const prev = pending.get(sessionId);
    const n = Math.max(prev?.n ?? -1, count ?? -1);
    pending.set(sessionId, {
      ...prev,
      at: prev?.at ? later(prev.at, at) : at,
      ...(n >= 0 ? { n } : {}),
    });
    this.schedule(userId);
  }

  /**
   * Records that a session's document-event (`d`) or context-event (`c`) log now holds `next` events,
   * for other processes (their search indexes pick the change up from it; see the search feature's
   * refresh). Coalesced with the touches; no activity time (`updatedAt` follows messages only).
   */
  revSoon(userId: string, sessionId: string, log: 'd' | 'c', next: number): void {
    const f = this.folds.get(userId);
    if (f?.sessions.has(sessionId)) bumpRev(f, sessionId, log, next);
    let pending = this.pendingTouches.get(userId);
    if (!pending) {
      pending = new Map();
      this.pendingTouches.set(userId, pending);
    }
    const prev = pending.get(sessionId) ?? {};
    pending.set(sessionId, { ...prev, [log]: Math.max(prev[log] ?? 0, next) });
    this.schedule(userId);
  }

  /** Every live session's document-event and context-event log lengths, where a rev event told them. */
  async revs(userId: string): Promise<Map<string, { d?: number; c?: number }>> {
    const f = await this.refresh(userId);
    return new Map([...f.revs].filter(([sid]) => f.sessions.has(sid)));
  }

  /** This process knows a session's log holds (at least) `count` messages (counts only grow). */
  noteCount(userId: string, sessionId: string, count: number): void {
    const f = this.folds.get(userId);
    if (f?.sessions.has(sessionId)) f.counts.set(sessionId, Math.max(f.counts.get(sessionId) ?? 0, count));
  }

  /** Records the count after a raw append (imports: no activity time) for this and other processes. */
  recordCount(userId: string, sessionId: string, count: number): Promise<void> {
    return this.appendEvents(userId, [{ op: 'count', s: sessionId, n: count }]);
  }

  /** Forget every known count (after a repair that may have cut logs): the next listing re-counts. */
  forgetCounts(): void {
    for (const f of this.folds.values()) {
      f.counts.clear();
      f.countsChecked = false;
    }
  }

  /**
   * Exact message counts of some of a user's sessions: from the fold when it is warm, otherwise (and for
   * a session this process has no count for) from `countLog`, which then warms the fold.
   */
  async messageCounts(
    userId: string,
    sessionIds: readonly string[],
    countLog: (sessionId: string) => Promise<number>,
  ): Promise<number[]> {
    const f = await this.refresh(userId);
    const check = !countsTrusted(f);
    const out = await Promise.all(
      sessionIds.map(async (sid) => {
        const known = f.counts.get(sid);
        if (!check && known !== undefined) return known;
        const n = await countLog(sid);
        const now = Math.max(n, f.counts.get(sid) ?? 0);
        if (f.sessions.has(sid)) f.counts.set(sid, now);
        return now;
      }),
    );
    // Only a sweep over every live session makes the fold trustworthy.
    if (check && sessionIds.length >= f.sessions.size && sessionIds.every((s) => f.sessions.has(s))) {
      f.countsChecked = true;
      f.countsCheckedAt = realNow();
    }
    return out;
  }

  /**
   * Every live session's message count. With a warm fold (see the header) this reads memory only: no
   * storage call and no promise per session, so a caller may look often.
   */
  async allMessageCounts(
    userId: string,
    countLog: (sessionId: string) => Promise<number>,
  ): Promise<Map<string, number>> {
    const f = await this.refresh(userId);
    const out = new Map<string, number>();
    const unknown: string[] = [];
    for (const sid of f.sessions.keys()) {
      const n = countsTrusted(f) ? f.counts.get(sid) : undefined;
      if (n === undefined) unknown.push(sid);
      else out.set(sid, n);
    }
    if (unknown.length > 0) {
      const counts = await this.messageCounts(userId, unknown, countLog);
      unknown.forEach((sid, i) => {
        out.set(sid, counts[i] ?? 0);
      });
    }
    return out;
  }

  /**
   * At most one touch append per user per TOUCH_DELAY_MS: a durable append competes with the message
   * appends for the disk, so a busy session must not pay two syncs per message. `flush` (close,
   * deleteUser) drains at once. The timer keeps the process alive: a script that ends without `close()`
   * still records its last activity (an unref'd timer let the process exit first and lost it).
   */
  private schedule(userId: string): void {
    if (this.timers.has(userId) || this.inflight.has(userId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(userId);
      this.kick(userId);
    }, TOUCH_DELAY_MS);
    this.timers.set(userId, timer);
  }

  private kick(userId: string): void {
    if (!this.inflight.has(userId)) this.inflight.set(userId, this.drain(userId));
  }

  private async drain(userId: string): Promise<void> {
    try {
      const pending = this.pendingTouches.get(userId);
      if (!pending || pending.size === 0) return;
      this.pendingTouches.delete(userId);
      const events: IndexEvent[] = [];
      for (const [s, { at, n, d, c }] of pending) {
        if (at !== undefined)
          events.push(n === undefined ? { op: 'touch', s, at } : { op: 'touch', s, at, n });
        if (d !== undefined || c !== undefined)
          events.push({ op: 'rev', s, ...(d !== undefined ? { d } : {}), ...(c !== undefined ? { c } : {}) });
      }
      try {
        await this.storage.append(keys.sessionIndex(userId), events as unknown as Record<string, unknown>[]);
      } catch (error) {
        this.onError(error);
      }
    } finally {
      this.inflight.delete(userId);
      // Touches that arrived meanwhile wait for the next window.
      if (this.pendingTouches.get(userId)?.size) this.schedule(userId);
    }
  }

  /** Appends every pending touch (of one user, or all) now and waits for it. */
  async flush(userId?: string): Promise<void> {
    for (;;) {
      const users =
        userId === undefined
          ? [...new Set([...this.timers.keys(), ...this.pendingTouches.keys()])]
          : [userId];
      for (const u of users) {
        const t = this.timers.get(u);
        if (t) clearTimeout(t);
        this.timers.delete(u);
        if (this.pendingTouches.get(u)?.size) this.kick(u);
      }
      const waits =
        userId === undefined ? [...this.inflight.values()] : [this.inflight.get(userId)].filter(Boolean);
      if (waits.length === 0) return;
      await Promise.all(waits);
    }
  }

  /** Forget pending touches of a user that is being deleted. */
  discardPending(userId: string): void {
    this.pendingTouches.delete(userId);
  }

  remove(userId: string, sessionId: string, at: string): Promise<void> {
    return this.appendEvents(userId, [{ op: 'delete', s: sessionId, at }]);
  }
}

function snapshotKey(userId: string): string {
  return `${keys.sessionIndex(userId)}.snapshot.json`;
}

/**
 * How long a full count sweep is trusted. The fold learns another process's appends from its activity
 * records (written <= 50 ms after the append); a writer killed in between never writes one, so without
 * a re-sweep every live process would under-count that session for good. With it, they heal within this.
 */
const COUNTS_TRUSTED_MS = 5_000;

function countsTrusted(f: UserFold): boolean {
  return f.countsChecked && realNow() - f.countsCheckedAt < COUNTS_TRUSTED_MS;
}

function resetFold(f: UserFold): void {
  f.nextSeq = 0;
  f.sessions.clear();
  f.deleted.clear();
  f.counts.clear();
  f.countsChecked = false;
  f.revs.clear();
  f.lastEvent = undefined;
  f.firstEvent = undefined;
  f.sinceSnapshot = 0;
  f.activityCounter = 0;
  f.latestMs = undefined;
}

interface PendingTouch {
  at?: string;
  n?: number;
  d?: number;
  c?: number;
}

function bumpRev(f: UserFold, sessionId: string, log: 'd' | 'c', next: number): void {
  const r = f.revs.get(sessionId) ?? {};
  r[log] = Math.max(r[log] ?? 0, next);
  f.revs.set(sessionId, r);
}

function later(a: string, b: string): string {
  return a >= b ? a : b;
}

/** A time in ms, or -Infinity for a value that is not a time (it never counts as the latest). */
function timeMs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
}

/**
 * An activity of a session at `at`: its `updatedAt` moves forward, and it becomes the user's latest
 * activity unless it is older than the session's (an event of this process read back from the log, or
 * a late coalesced touch of another process), which changes nothing.
 */
function touched(f: UserFold, s: SessionEntry, at: string, live = false): void {
  if (at < s.updatedAt) return;
  // A live activity (this process's, now) is the latest even at an equal time; an event read from the
  // log is only when its time is later (else it is one this process has applied already).
  if (live || at > s.updatedAt || s.activity === undefined) s.activity = ++f.activityCounter;
  s.updatedAt = at;
  const ms = timeMs(at);
  if (f.latestMs !== undefined && ms > f.latestMs) f.latestMs = ms;
}

function apply(f: UserFold, e: IndexEvent, live = false): void {
  switch (e.op) {
    case 'create':
      if (f.deleted.has(e.s)) return;
      if (!f.sessions.has(e.s)) {
        f.sessions.set(e.s, {
          sessionId: e.s,
          title: e.title,
          sessionType: e.type,
          createdAt: e.createdAt,
          updatedAt: e.createdAt,
          metadata: e.metadata ?? {},
          ...(e.n ? { nonce: e.n } : {}),
        });
        const ms = timeMs(e.createdAt);
        if (f.latestMs !== undefined && ms > f.latestMs) f.latestMs = ms;
      }
      return;
    case 'update': {
      const s = f.sessions.get(e.s);
      if (!s) return;
      s.title = e.title;
      s.metadata = e.metadata ?? {};
      touched(f, s, e.at, live);
      return;
    }
    case 'touch': {
      const s = f.sessions.get(e.s);
      if (s) touched(f, s, e.at, live);
      if (s && typeof e.n === 'number') f.counts.set(e.s, Math.max(f.counts.get(e.s) ?? 0, e.n));
      return;
    }
    case 'count':
      if (f.sessions.has(e.s) && typeof e.n === 'number')
        f.counts.set(e.s, Math.max(f.counts.get(e.s) ?? 0, e.n));
      return;
    case 'rev':
      if (!f.sessions.has(e.s)) return;
      if (typeof e.d === 'number') bumpRev(f, e.s, 'd', e.d);
      if (typeof e.c === 'number') bumpRev(f, e.s, 'c', e.c);
      return;
    case 'delete':
      f.sessions.delete(e.s);
      f.counts.delete(e.s);
      f.revs.delete(e.s);
      f.deleted.add(e.s);
      return;
  }
}

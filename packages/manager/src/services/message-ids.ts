/**
 * Which message ids a session's log holds, so that adding a message under an id the session already
 * has is refused (API.md: "creating something that exists -> false") and `getMessage` finds its record
 * without reading the whole log.
 *
 * Per session log, a `Uint32Array` holding a 32-bit hash of the id at each seq (4 bytes a message),
 * built on first use by reading the log once and caught up from the log's count before every look
 * (another process may have appended). A look scans the array (~10 µs for 20,000 messages) and
 * confirms a matching hash by reading that one record, so a hash collision never refuses a new id.
 * The arrays of all sessions share `runtime.messageIdCacheBytes`; the least recently used go first.
 *
 * In this process, the check and the append of one id are exclusive: an id being appended is reserved
 * until its append settles, and a second add of it waits for that and looks again. Across processes,
 * two adds of one id at the same instant can both land (an append takes no store-wide lock); getMessage
 * then returns the first.
 */
import type { LogEntry, StorageBackend } from '@ffdb/core-types';
import { keys } from '../keys.js';

type IdRecord = { messageId?: unknown };

interface SessionIds {
  /** In the cache (its bytes count against the budget); an evicted entry may still be in use. */
  cached: boolean;
  /** hashes[seq]: the id's hash (never 0), or 0 for a seq not known here (or a damaged record). */
  hashes: Uint32Array;
  /** Seqs below this were read from the log (higher ones may be known too: this process's appends). */
  known: number;
  /** One past the highest seq with a hash (the part of `hashes` a look scans). */
  size: number;
  /** Bumped whenever a hash is written, so a check that awaited can tell it must look again. */
  version: number;
  /** The catch-up read in flight: callers share it instead of each reading the log. */
  reading: Promise<void> | null;
  /** Looks in progress: an entry in use is never evicted. */
  users: number;
  /** The user's incarnation this entry was read under (see SessionIndex.incarnation). */
  userInc: number;
}

const PAGE = 1000;

/** FNV-1a over UTF-16 units, never 0 (0 marks "no id known at this seq"). */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

export class MessageIdIndex {
  private readonly sessions = new Map<string, SessionIds>();
  /** Ids being appended by this process, per session log: settled when the append is. */
  private readonly pending = new Map<string, Map<string, Promise<void>>>();
  private readonly settlers = new Map<string, () => void>();
  /** Bytes of all cached `hashes` arrays. */
  private bytes = 0;

  constructor(
    private readonly storage: StorageBackend,
    private readonly maxBytes: () => number,
    /** The user's incarnation, caught up: another process may have deleted and restored the user. */
    private readonly userIncarnation: (userId: string) => Promise<number>,
  ) {}

  /** The record stored under `messageId` (the first, if another process stored it twice), or null. */
  async find<T extends IdRecord>(
    userId: string,
    sessionId: string,
    messageId: string,
  ): Promise<LogEntry<T> | null> {
    const log = keys.messagesLog(userId, sessionId);
    // A session that does not exist (or has no messages) is not worth a cache entry.
    if (!this.sessions.has(log) && (await this.storage.countLog(log)) === 0) return null;
    return this.use(userId, log, (s) => this.lookUp<T>(log, s, messageId));
  }

  /**
   * Reserves the ids the session does not hold yet. Resolves to which of `ids` are free (reserved
   * now); the caller must `settle` those once its append has resolved or failed.
   */
  async reserve(userId: string, sessionId: string, ids: readonly string[]): Promise<boolean[]> {
    const log = keys.messagesLog(userId, sessionId);
    for (;;) {
      // Another add of this process is storing one of these ids: wait for it, then look again.
      const busy = this.pending.get(log);
      const waits = busy ? ids.flatMap((id) => busy.get(id) ?? []) : [];
      if (waits.length > 0) {
        await Promise.all(waits);
        continue;
      }
      const free = await this.use(userId, log, async (s) => {
        const version = s.version;
        const stored: boolean[] = [];
        for (const id of ids) stored.push((await this.lookUp(log, s, id)) !== null);
        // From here on no await: the checks above still hold only if nothing changed while they ran.
        const taken = this.pending.get(log);
        const changed =
          s.version !== version || this.sessions.get(log) !== s || ids.some((id) => taken?.has(id));
        if (changed) return null;
        ids.forEach((id, i) => {
          if (!stored[i]) this.hold(log, id);
        });
        return stored.map((x) => !x);
      });
      if (free) return free;
    }
  }

  /** Ends reservations once their append has settled (what it stored was noted by `appended`). */
  settle(userId: string, sessionId: string, ids: readonly string[]): void {
    const log = keys.messagesLog(userId, sessionId);
    const held = this.pending.get(log);
    for (const id of ids) {
      held?.delete(id);
      const key = `${log}\n${id}`;
      this.settlers.get(key)?.();
      this.settlers.delete(key);
    }
    if (held?.size === 0) this.pending.delete(log);
  }

  /** Notes ids this process appended, from `firstSeq` on. */
  appended(userId: string, sessionId: string, ids: readonly string[], firstSeq: number): void {
    const s = this.sessions.get(keys.messagesLog(userId, sessionId));
    if (!s) return; // not cached: the first look reads the log
    ids.forEach((id, i) => {
      this.setHash(s, firstSeq + i, hashId(id));
    });
  }

  /** Drops a session (deleted): a session recreated under its id starts empty. */
  forget(userId: string, sessionId: string): void {
    this.drop(keys.messagesLog(userId, sessionId));
  }

  /** Drops every session of a user (deleted, perhaps to be restored from a bundle). */
  forgetUser(userId: string): void {
    const prefix = `${keys.userRoot(userId)}/`;
    for (const log of [...this.sessions.keys()]) if (log.startsWith(prefix)) this.drop(log);
  }

  private hold(log: string, id: string): void {
    let held = this.pending.get(log);
    if (!held) {
      held = new Map();
      this.pending.set(log, held);
    }
    held.set(
      id,
      new Promise<void>((resolve) => {
        this.settlers.set(`${log}\n${id}`, resolve);
      }),
    );
  }

  private async lookUp<T extends IdRecord>(
    log: string,
    s: SessionIds,
    id: string,
  ): Promise<LogEntry<T> | null> {
    const hash = hashId(id);
    const candidates: number[] = [];
    for (let seq = 0; seq < s.size; seq++) if (s.hashes[seq] === hash) candidates.push(seq);
    for (const seq of candidates) {
      const [e] = await this.storage.readLog<T>(log, { fromSeq: seq, limit: 1 });
      if (e !== undefined && e.seq === seq && e.data.messageId === id) return e;
    }
    return null;
  }

  /** Runs `fn` on the session's entry, caught up with the log, keeping it cached meanwhile. */
  private async use<R>(userId: string, log: string, fn: (s: SessionIds) => Promise<R>): Promise<R> {
    const inc = await this.userIncarnation(userId);
    const s = this.entry(log);
    if (s.userInc !== inc) {
      // The user was replaced since this entry was read: a log of the same name may hold anything.
      if (s.known > 0 || s.size > 0) this.reset(s);
      s.userInc = inc;
    }
    s.users++;
    try {
      await this.catchUp(log, s);
      return await fn(s);
    } finally {
      s.users--;
    }
  }

  /** Reads into `s` every record the log holds now (one reader at a time; the others wait for it). */
  private async catchUp(log: string, s: SessionIds): Promise<void> {
    for (;;) {
      if (s.reading) {
        await s.reading;
        continue;
      }
      const count = await this.storage.countLog(log);
      if (s.reading) continue; // another caller started reading meanwhile: share it
      // The log was deleted and started again: what was known of it is void.
      if (count < s.known) this.reset(s);
      if (s.known >= count) return;
      s.reading = this.readFrom(log, s, count).finally(() => {
        s.reading = null;
      });
    }
  }

  private async readFrom(log: string, s: SessionIds, count: number): Promise<void> {
    // The record before the new ones must still be the one read: if not, the log was replaced (its user
    // deleted and restored elsewhere, already as long as before) and is read again from the start.
    const prev = s.known - 1;
    if (prev >= 0 && s.hashes[prev] !== 0) {
      const [e] = await this.storage.readLog<IdRecord>(log, { fromSeq: prev, limit: 1 });
      const same =
        e?.seq === prev &&
        typeof e.data.messageId === 'string' &&
        hashId(e.data.messageId) === s.hashes[prev];
      if (!same) this.reset(s);
    }
    while (s.known < count) {
      const from = s.known;
      const limit = Math.min(PAGE, count - from);
      const entries = await this.storage.readLog<IdRecord>(log, { fromSeq: from, limit });
      for (const e of entries) {
        if (typeof e.data.messageId === 'string') this.setHash(s, e.seq, hashId(e.data.messageId));
      }
      // Reads skip damaged records: move past the page even when it came back short.
      const last = entries.length > 0 ? entries[entries.length - 1]!.seq + 1 : from;
      s.known = Math.min(count, Math.max(last, from + limit));
    }
  }

  private reset(s: SessionIds): void {
    if (s.cached) this.bytes -= s.hashes.byteLength;
    s.hashes = new Uint32Array(0);
    s.known = 0;
    s.size = 0;
    s.version++;
  }

  private setHash(s: SessionIds, seq: number, hash: number): void {
    if (seq >= s.hashes.length) {
      const grown = new Uint32Array(Math.max(64, s.hashes.length * 2, seq + 1));
      grown.set(s.hashes);
      if (s.cached) this.bytes += grown.byteLength - s.hashes.byteLength;
      s.hashes = grown;
    }
    s.hashes[seq] = hash;
    if (seq + 1 > s.size) s.size = seq + 1;
    s.version++;
  }

  private drop(log: string): void {
    const s = this.sessions.get(log);
    if (!s) return;
    this.sessions.delete(log);
    s.cached = false;
    this.bytes -= s.hashes.byteLength;
  }

  /** Gets or creates the entry (synchronously, so concurrent callers share it); keeps the cache bounded. */
  private entry(log: string): SessionIds {
    let s = this.sessions.get(log);
    if (s) this.sessions.delete(log);
    else
      s = {
        cached: true,
        hashes: new Uint32Array(0),
        known: 0,
        size: 0,
        version: 0,
        reading: null,
        users: 0,
        userInc: -1,
      };
    this.sessions.set(log, s); // most recently used last
    const budget = this.maxBytes();
    for (const [other, e] of this.sessions) {
      if (this.bytes <= budget) break;
      // Never one in use or with ids in flight (their appends must land in it).
      if (other === log || e.users > 0 || this.pending.has(other)) continue;
      this.drop(other);
    }
    return s;
  }
}

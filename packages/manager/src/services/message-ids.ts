/**
 * Which message ids a session's log holds, so that adding a message under an id the session already
 * has is refused (API.md: "creating something that exists -> false") and `getMessage` finds its record
 * without reading the whole log.
 *
 * Per session, a map from a 32-bit hash of each id to the seqs holding it, built on first use by
 * reading the log once and caught up from the log's count before every look (another process may have
 * appended). A hit is confirmed by reading that one record, so a hash collision never refuses a new id
 * and the map needs no id strings (memory: one small entry per message of a cached session).
 * At most `runtime.cacheSizeLimit` sessions are kept, least recently used first out.
 *
 * Ids this process is appending are reserved until their append settles, so two concurrent adds of one
 * id in this process store it once. Across processes, two adds of one id at the same instant can both
 * land (no store-wide lock is taken for an append); getMessage then returns the first.
 */
import type { LogEntry, StorageBackend } from '@ffdb/core-types';
import { keys } from '../keys.js';

interface SessionIds {
  /** Log positions below this are in `seqsByHash` (positions above may be too: this process's own). */
  known: number;
  seqsByHash: Map<number, number[]>;
}

type IdRecord = { messageId?: unknown };

const PAGE = 1000;

/** FNV-1a over UTF-16 units: cheap, and collisions only cost a confirming read. */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function addSeq(s: SessionIds, id: string, seq: number): void {
  const h = hashId(id);
  const seqs = s.seqsByHash.get(h);
  if (!seqs) {
    s.seqsByHash.set(h, [seq]);
    return;
  }
  if (seqs.includes(seq)) return;
  seqs.push(seq);
  seqs.sort((a, b) => a - b);
}

export class MessageIdIndex {
  private readonly sessions = new Map<string, SessionIds>();
  /** Ids being appended by this process, per session log. */
  private readonly pending = new Map<string, Set<string>>();

  constructor(
    private readonly storage: StorageBackend,
    private readonly maxSessions: () => number,
  ) {}

  /** The seq of the first record stored under `messageId`, or null. */
  async find(userId: string, sessionId: string, messageId: string): Promise<number | null> {
    const log = keys.messagesLog(userId, sessionId);
    const s = await this.caughtUp(log);
    const seqs = s.seqsByHash.get(hashId(messageId));
    if (!seqs) return null;
    for (const seq of [...seqs]) {
      if (await this.holds(log, seq, messageId)) return seq;
    }
    return null;
  }

  /**
   * Reserves the ids the session does not hold yet and that no other add of this process is storing.
   * Resolves to which of `ids` are free (reserved now); the caller must `settle` them once its append
   * has resolved or failed.
   */
  async reserve(userId: string, sessionId: string, ids: readonly string[]): Promise<boolean[]> {
    const log = keys.messagesLog(userId, sessionId);
    for (;;) {
      const s = await this.caughtUp(log);
      const stored = new Set<string>();
      const checked = new Map<string, number>();
      for (const id of ids) {
        const seqs = s.seqsByHash.get(hashId(id)) ?? [];
        checked.set(id, seqs.length);
        for (const seq of [...seqs]) {
          if (await this.holds(log, seq, id)) {
            stored.add(id);
            break;
          }
        }
      }
      // From here on no await: the check of pending ids and the reservation are one step.
      const again = ids.some(
        (id) => !stored.has(id) && (s.seqsByHash.get(hashId(id))?.length ?? 0) !== checked.get(id),
      );
      if (again) continue; // an add of this process stored a same-hash id meanwhile: look again
      const taken = this.pending.get(log) ?? new Set<string>();
      const free = ids.map((id) => !stored.has(id) && !taken.has(id));
      ids.forEach((id, i) => {
        if (free[i]) taken.add(id);
      });
      if (taken.size > 0) this.pending.set(log, taken);
      return free;
    }
  }

  /** Ends reservations once their append has settled (what it stored was noted by `appended`). */
  settle(userId: string, sessionId: string, ids: readonly string[]): void {
    const log = keys.messagesLog(userId, sessionId);
    const taken = this.pending.get(log);
    if (!taken) return;
    for (const id of ids) taken.delete(id);
    if (taken.size === 0) this.pending.delete(log);
  }

  /** Notes ids this process appended, from `firstSeq` on. */
  appended(userId: string, sessionId: string, ids: readonly string[], firstSeq: number): void {
    const s = this.sessions.get(keys.messagesLog(userId, sessionId));
    if (!s) return; // not cached: the first look reads the log
    for (const [i, id] of ids.entries()) addSeq(s, id, firstSeq + i);
  }

  /** Drops a session (deleted): a session recreated under its id starts empty. */
  forget(userId: string, sessionId: string): void {
    this.sessions.delete(keys.messagesLog(userId, sessionId));
  }

  clear(): void {
    this.sessions.clear();
  }

  private async holds(log: string, seq: number, id: string): Promise<boolean> {
    const [e] = await this.storage.readLog<IdRecord>(log, { fromSeq: seq, limit: 1 });
    return e !== undefined && e.seq === seq && e.data.messageId === id;
  }

  /** The session's entry, with every record the log holds now read into it. */
  private async caughtUp(log: string): Promise<SessionIds> {
    let s = this.sessions.get(log);
    const count = await this.storage.countLog(log);
    if (s && count < s.known) s = undefined; // the log was deleted and started again
    if (!s) s = { known: 0, seqsByHash: new Map() };
    // Most recently used last; the oldest goes when the cache is full.
    this.sessions.delete(log);
    this.sessions.set(log, s);
    while (this.sessions.size > Math.max(1, this.maxSessions())) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    while (s.known < count) {
      const from = s.known;
      const entries: LogEntry<IdRecord>[] = await this.storage.readLog<IdRecord>(log, {
        fromSeq: from,
        limit: Math.min(PAGE, count - from),
      });
      for (const e of entries) {
        if (typeof e.data.messageId === 'string') addSeq(s, e.data.messageId, e.seq);
      }
      // Damaged records are skipped by reads: move past the page even when it came back short.
      const last = entries.length > 0 ? entries[entries.length - 1]!.seq + 1 : count;
      s.known = Math.max(s.known, Math.min(count, Math.max(last, from + Math.min(PAGE, count - from))));
    }
    return s;
  }
}

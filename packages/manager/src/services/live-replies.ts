/**
 * Replies persisted as they grow (`beginMessageStream`).
 *
 * Durable design on the append-only log port:
 * - `begin` appends the message record to the session log at once (so it has its position, `seq`)
 *   with empty `content`, `metadata.streamStatus: 'streaming'` and an owner stamp `stream: { pid, instance }`.
 * - every `write(delta)` appends `{ d, at }` to a per-reply log `…/streams/<messageId>` (durable when it resolves);
 * - `complete()` / `abort()` append `{ end: 'complete' | 'interrupted', at, content }` to that log (the
 *   whole text again, so reading a finished reply costs one record, not every delta).
 * Readers resolve such a record: content = the deltas joined; status = the end record, or — when there is
 * none — `streaming` while the owner is alive (same process: registered here; another process: its pid
 * answers signal 0) and not idle past `streaming.timeoutSeconds`, else `interrupted`. So a reply whose
 * process was killed reads back as `interrupted` with the text written so far, with no repair step.
 */
import { randomUUID } from 'node:crypto';
import type { Core } from '../core.js';
import { keys } from '../keys.js';

export type StreamStatus = 'streaming' | 'complete' | 'interrupted';

export interface StreamOwner {
  pid: number;
  instance: string;
  startedAt: string;
}

interface DeltaRecord {
  d?: string;
  at: string;
  end?: 'complete' | 'interrupted';
  reason?: string;
  /** The whole text, repeated in the end record so a finished reply is read with one record. */
  content?: string;
}

/** Every reply being written by this process, across manager instances. */
const ACTIVE_IN_PROCESS = new Set<string>();
const PROCESS_INSTANCE = randomUUID();

export function markActive(streamKey: string): void {
  ACTIVE_IN_PROCESS.add(streamKey);
}

export function markDone(streamKey: string): void {
  ACTIVE_IN_PROCESS.delete(streamKey);
}

export function newOwner(now: string): StreamOwner {
  return { pid: process.pid, instance: PROCESS_INSTANCE, startedAt: now };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

export interface Resolved {
  content: string;
  status: StreamStatus;
  reason?: string;
  lastWriteAt?: string;
}

/** Finished replies never change again: cache their resolved text (bounded). */
const FINISHED_CACHE_LIMIT = 2000;

export class ReplyResolver {
  private readonly finished = new Map<string, Resolved>();

  constructor(private readonly core: Core) {}

  async resolve(
    userId: string,
    sessionId: string,
    messageId: string,
    owner: StreamOwner | undefined,
  ): Promise<Resolved> {
    const key = keys.streamLog(userId, sessionId, messageId);
    const cached = this.finished.get(key);
    if (cached) return cached;
    // A finished reply: its end record carries the whole text.
    const [last] = await this.core.storage.readLog<DeltaRecord & Record<string, unknown>>(key, {
      reverse: true,
      limit: 1,
    });
    if (last?.data.end && typeof last.data.content === 'string') {
      const r: Resolved = { content: last.data.content, status: last.data.end, lastWriteAt: last.data.at };
      if (last.data.reason) r.reason = last.data.reason;
      this.remember(key, r);
      return r;
    }
    const entries = await this.core.storage.readLog<DeltaRecord & Record<string, unknown>>(key);
    let content = '';
    let end: DeltaRecord | undefined;
    let lastWriteAt: string | undefined;
    for (const { data } of entries) {
      if (typeof data.d === 'string') content += data.d;
      if (data.end) end = data;
      lastWriteAt = data.at;
    }
    if (end?.end) {
      const r: Resolved = { content, status: end.end, lastWriteAt };
      if (end.reason) r.reason = end.reason;
      this.remember(key, r);
      return r;
    }
    return {
      content,
      status: this.ownerAlive(key, owner, lastWriteAt) ? 'streaming' : 'interrupted',
      lastWriteAt,
    };
  }

  private ownerAlive(key: string, owner: StreamOwner | undefined, lastWriteAt: string | undefined): boolean {
    if (!owner) return false;
    const alive =
      owner.pid === process.pid && owner.instance === PROCESS_INSTANCE
        ? ACTIVE_IN_PROCESS.has(key)
        : owner.pid !== process.pid && pidAlive(owner.pid);
    if (!alive) return false;
    const since = lastWriteAt ?? owner.startedAt;
    const idleMs = this.core.clock.now().getTime() - Date.parse(since);
    return idleMs <= this.core.config.streaming.timeoutSeconds * 1000;
  }

  private remember(key: string, r: Resolved): void {
    this.finished.set(key, r);
    if (this.finished.size > FINISHED_CACHE_LIMIT) {
      const first = this.finished.keys().next().value;
      if (first !== undefined) this.finished.delete(first);
    }
  }

  forget(key: string): void {
    this.finished.delete(key);
  }
}

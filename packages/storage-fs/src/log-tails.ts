import type { Logger } from '@ffdb/core-types';

/** One log's records that are in the WAL but not yet in its segments: seq `base` upward, as JSON texts. */
export interface Tail {
  /** seq of recs[0]. */
  base: number;
  /** JSON texts of records appended since the last checkpoint. */
  recs: string[];
}

/**
 * Per log, the records appended since its last checkpoint (they live only in the WAL): reads serve
 * them after the log's segments, a log's count ends with them, and the next checkpoint writes them
 * to segments. Fed by this process's commits and by the frames other processes wrote to the WAL.
 */
export class LogTails {
  private readonly byLog = new Map<string, Tail>();

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.byLog.size;
  }

  get(key: string): Tail | undefined {
    return this.byLog.get(key);
  }

  has(key: string): boolean {
    return this.byLog.has(key);
  }

  [Symbol.iterator](): IterableIterator<[string, Tail]> {
    return this.byLog.entries();
  }

  clear(): void {
    this.byLog.clear();
  }

  /** The seq after the log's last record when this holds records of it (its count), else undefined. */
  end(key: string): number | undefined {
    const tail = this.byLog.get(key);
    return tail && tail.recs.length > 0 ? tail.base + tail.recs.length : undefined;
  }

  /**
   * Adds a log's records (first seq `firstSeq`); records it holds already are skipped (a frame read
   * again after a commit applied it). A gap is logged and the records are kept anyway.
   */
  add(key: string, firstSeq: number, recs: string[]): void {
    const tail = this.byLog.get(key);
    if (!tail) {
      // The array is ours (built by append() or decoded from a frame) and used by nobody else.
      this.byLog.set(key, { base: firstSeq, recs });
      return;
    }
    const expected = tail.base + tail.recs.length;
    if (firstSeq === expected) for (let i = 0; i < recs.length; i++) tail.recs.push(recs[i] as string);
    else if (firstSeq < expected) {
      for (let i = expected - firstSeq; i < recs.length; i++) tail.recs.push(recs[i] as string);
    } else {
      this.logger.error({ log: key, expected, got: firstSeq }, 'WAL records out of sequence');
      for (let i = 0; i < recs.length; i++) tail.recs.push(recs[i] as string);
    }
  }

  /** True when the key `prefix` or a key below it has a tail. */
  hasUnder(prefix: string): boolean {
    for (const k of this.byLog.keys()) if (isUnder(k, prefix)) return true;
    return false;
  }

  /** Forgets the tails of the key `prefix` and of the keys below it (a delete). */
  deleteUnder(prefix: string): void {
    for (const k of [...this.byLog.keys()]) if (isUnder(k, prefix)) this.byLog.delete(k);
  }

  /** Where every log's records end now: a generation rotated now holds the records below these. */
  ends(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [k, t] of this.byLog) m.set(k, t.base + t.recs.length);
    return m;
  }

  /** Drops the records below `boundary` (per log): they are in segments now. */
  trimTo(boundary: ReadonlyMap<string, number>): void {
    for (const [key, end] of boundary) {
      const tail = this.byLog.get(key);
      if (!tail || end <= tail.base) continue;
      const drop = Math.min(end - tail.base, tail.recs.length);
      if (drop >= tail.recs.length) this.byLog.delete(key);
      else {
        tail.recs.splice(0, drop);
        tail.base += drop;
      }
    }
  }

  /** Logs under `prefix` ('' for all) that hold at least one record. */
  logsUnder(prefix: string): string[] {
    const out: string[] = [];
    for (const [k, t] of this.byLog) if (t.recs.length > 0 && inPrefix(k, prefix)) out.push(k);
    return out;
  }

  /** UTF-8 bytes of the JSON texts of the logs under `prefix` ('' for all). */
  bytesUnder(prefix: string): number {
    let bytes = 0;
    for (const [k, t] of this.byLog) {
      if (!inPrefix(k, prefix)) continue;
      for (const r of t.recs) bytes += Buffer.byteLength(r);
    }
    return bytes;
  }
}

/** `key` is the key `prefix` itself or below it. */
function isUnder(key: string, prefix: string): boolean {
  return key === prefix || key.startsWith(`${prefix}/`);
}

/** Like isUnder, with '' standing for the whole store (a listing prefix). */
function inPrefix(key: string, prefix: string): boolean {
  return prefix === '' || isUnder(key, prefix);
}

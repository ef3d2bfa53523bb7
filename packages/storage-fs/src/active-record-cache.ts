import { realSetImmediate } from './real-time.js';
import { cloneRecord } from './json-clone.js';
import { Lru } from './lru.js';

/**
 * Records per cached chunk of an active segment, counted from the segment's first seq. The newest
 * messages of a chat are read over and over (B4 warm): parsed once, they are handed out as copies from
 * the block cache instead of being read, checked and parsed again on every read.
 */
const CHUNK = 64;
/**
 * Only reads of up to this many records fill the cache (a chat view's page); a long read (a scan of
 * the history, an export) is served as before and caches nothing, so it cannot push the newest records
 * out or queue fills without bound.
 */
const FILL_MAX_RECORDS = 2 * CHUNK;
/** Chunks whose fill may wait at once (each holds its records' JSON text until it runs). */
const FILL_MAX_PENDING = 64;

export interface ParsedRecord {
  seq: number;
  value: unknown;
}

/**
 * Reads and parses the lines of records lo..hi from the segment file into `out`, reporting damaged
 * lines itself; `bytes` and `texts` (when given) receive each returned record's JSON length and text.
 */
export type ReadLines = (
  lo: number,
  hi: number,
  out: ParsedRecord[],
  bytes?: number[],
  texts?: string[],
) => void;

/**
 * Parsed records of active segments, kept in the store's block cache (so within `cacheMaxBytes`) under
 * `<file>#a<chunk start>`. A chunk's entry is an array indexed by seq − chunk start holding one run of
 * consecutive records (the slots before the run are empty), so an entry that has the first and the
 * last seq a read needs has every seq between. Only complete lines whose checksum matched are ever
 * parsed, and a line never changes once written (the torn tail a recovery cuts was never complete),
 * so an entry stays right until its file is forgotten (a deleted log's names are reused).
 */
export class ActiveRecordCache {
  /** Chunks read once: what the next read of such a chunk parses is kept. One-off reads keep nothing. */
  private readonly wanted = new Lru<string, true>(1024);
  /** Chunks whose fill is scheduled. */
  private readonly pending = new Set<string>();
  /** Bumped whenever cached files may have been replaced; pending fills check it. */
  private epoch = 0;

  constructor(private readonly blocks: Lru<string, unknown[]>) {}

  /** Fills scheduled and not run yet (tests check the bound). */
  get pendingFills(): number {
    return this.pending.size;
  }

  /**
   * Forgets what it knows of chunks whose key matches and makes every pending fill void; their block
   * cache entries are the caller's to drop (with the rest of the files' cache entries).
   */
  forget(under: (key: string) => boolean): void {
    this.epoch++;
    this.wanted.deleteWhere(under);
    for (const k of [...this.pending]) if (under(k)) this.pending.delete(k);
  }

  /** Forgets one file's chunks, block cache entries included. */
  forgetFile(file: string): void {
    const under = (k: string) => k.startsWith(`${file}#a`);
    this.forget(under);
    this.blocks.deleteWhere(under);
  }

  /** Records lo..hi of the active segment `file` (whose first seq is `first`), ascending, into `out`. */
  read(file: string, first: number, lo: number, hi: number, out: ParsedRecord[], readLines: ReadLines): void {
    const chunkOf = (seq: number) => first + Math.floor((seq - first) / CHUNK) * CHUNK;
    const keyOf = (chunk: number) => `${file}#a${chunk}`;
    const cached: unknown[][] = [];
    for (let c = chunkOf(lo); c <= hi; c += CHUNK) {
      const run = this.blocks.get(keyOf(c));
      const last = Math.min(hi, c + CHUNK - 1) - c;
      if (!run || run.length <= last || run[Math.max(lo, c) - c] === undefined) break;
      cached.push(run);
    }
    if (cached.length > 0 && chunkOf(lo) + (cached.length - 1) * CHUNK === chunkOf(hi)) {
      // Every record in the cache: copies, no I/O, no parsing.
      for (let s = lo; s <= hi; s++) {
        const run = cached[(chunkOf(s) - chunkOf(lo)) / CHUNK] as unknown[];
        out.push({ seq: s, value: cloneRecord(run[s - chunkOf(s)]) });
      }
      return;
    }
    if (hi - lo + 1 > FILL_MAX_RECORDS || this.pending.size >= FILL_MAX_PENDING) {
      readLines(lo, hi, out);
      return;
    }
    let keep = false;
    for (let c = chunkOf(lo); c <= hi; c += CHUNK) {
      if (this.wanted.get(keyOf(c)) || this.blocks.get(keyOf(c))) keep = true;
      else this.wanted.set(keyOf(c), true);
    }
    if (!keep) {
      readLines(lo, hi, out);
      return;
    }
    const keys: string[] = [];
    for (let c = chunkOf(lo); c <= hi; c += CHUNK) keys.push(keyOf(c));
    const bytes: number[] = [];
    if (keys.some((k) => this.pending.has(k))) {
      // A third read before the fill below ran (reads in a loop that never yields to the event loop):
      // fill now, and hand out copies of what goes into the cache.
      for (const k of keys) this.pending.delete(k);
      const parsed: ParsedRecord[] = [];
      readLines(lo, hi, parsed, bytes);
      this.keepRuns(parsed, bytes, keyOf, chunkOf);
      for (const e of parsed) out.push({ seq: e.seq, value: cloneRecord(e.value) });
      return;
    }
    // Read before: this read parses and returns its records as without a cache; they are put into the
    // cache (parsed again) right after it, off this read's path, so a cold read stays as cheap.
    const firstOut = out.length;
    const texts: string[] = [];
    readLines(lo, hi, out, bytes, texts);
    const seqs = out.slice(firstOut).map((e) => e.seq);
    const epoch = this.epoch;
    for (const k of keys) this.pending.add(k);
    realSetImmediate(() => {
      // Filled already by a third read, or the files forgotten meanwhile: nothing to do but let go.
      const current = epoch === this.epoch && keys.every((k) => this.pending.has(k));
      for (const k of keys) this.pending.delete(k);
      if (!current) return;
      const parsed: ParsedRecord[] = seqs.map((seq, k) => ({
        seq,
        value: JSON.parse(texts[k] as string) as unknown,
      }));
      this.keepRuns(parsed, bytes, keyOf, chunkOf);
    });
  }

  /** Puts each run of consecutive records (within one chunk) into its chunk's entry. */
  private keepRuns(
    parsed: readonly ParsedRecord[],
    bytes: readonly number[],
    keyOf: (chunk: number) => string,
    chunkOf: (seq: number) => number,
  ): void {
    let i = 0;
    while (i < parsed.length) {
      const first = (parsed[i] as ParsedRecord).seq;
      const chunk = chunkOf(first);
      let j = i + 1;
      let size = bytes[i] as number;
      while (
        j < parsed.length &&
        (parsed[j] as ParsedRecord).seq === first + (j - i) &&
        chunkOf((parsed[j] as ParsedRecord).seq) === chunk
      ) {
        size += bytes[j] as number;
        j++;
      }
      const from = first - chunk;
      const to = from + (j - i) - 1;
      // Joined with the entry already there when the two runs touch or overlap (else replaced).
      const old = this.blocks.get(keyOf(chunk));
      let oldFrom = 0;
      while (old && oldFrom < old.length && old[oldFrom] === undefined) oldFrom++;
      const join = old !== undefined && oldFrom < old.length && oldFrom <= to + 1 && old.length >= from;
      const run: unknown[] = new Array(join ? Math.max(old.length, to + 1) : to + 1);
      if (join) for (let k = oldFrom; k < old.length; k++) run[k] = old[k];
      for (let k = i; k < j; k++) run[from + k - i] = (parsed[k] as ParsedRecord).value;
      const held = (join ? Math.max(old.length, to + 1) - Math.min(oldFrom, from) : j - i) || 1;
      // Budget in bytes of JSON, the block cache's unit (a sealed block's rawBytes), per record held.
      this.blocks.set(keyOf(chunk), run, Math.max(1, Math.round((size / (j - i)) * held)));
      this.wanted.delete(keyOf(chunk));
      i = j;
    }
  }
}

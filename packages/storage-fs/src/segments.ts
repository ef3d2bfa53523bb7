import fs from 'node:fs';
import path from 'node:path';
import type { Clock, Codec, Compressor, Logger } from '@ffdb/core-types';
import {
  type ScannedLine,
  encodeLineInto,
  lineSize,
  scanBackward,
  scanBuffer,
  scanFile,
} from './active-segment.js';
import {
  FILE_MODE,
  createdChain,
  mkdirpSync,
  readExactSync,
  writeAllSync,
  writeFileAtomicSync,
} from './atomic-file.js';
import type { FdCache } from './fd-cache.js';
import { faultPoint } from './fault-seam.js';
import { TMP_PREFIX, activeSegmentName, parseSegmentName, sealedSegmentName } from './layout.js';
import { Lru } from './lru.js';
import {
  type SealedFooter,
  blockFor,
  decodeRecords,
  decompressBlock,
  encodeSealed,
  readBlock,
  readFooter,
} from './sealed-segment.js';

type SealedBlockRef = SealedFooter['blocks'][number];
import { osCode } from './io-errors.js';
import { ActiveRecordCache } from './active-record-cache.js';
import { cloneRecord } from './json-clone.js';

const TAIL_PREFETCH = 64 << 10;

export interface SegmentRef {
  kind: 'active' | 'sealed';
  first: number;
  /** Last seq (for the newest active segment: from its last valid line; else implied by the next segment). */
  last: number;
  rev: number;
  name: string;
}

/** The segments of one log as seen at one moment. */
export interface LogView {
  dir: string;
  segments: SegmentRef[];
  /** Next seq to append = exact record count (positions are never reused). */
  count: number;
  /** Files superseded by a newer one (a crash between sealing and unlinking); verify removes them. */
  leftovers: string[];
  /** For the newest active segment: end of its last complete line and its size (a torn tail when different). */
  activeValidEnd?: number;
  activeSize?: number;
}

export interface Entry {
  seq: number;
  value: unknown;
}

export interface CorruptRange {
  file: string;
  detail: string;
  seq?: number;
}

/** Valid lines of an active segment: seq, start and end offset (sorted by seq). */
interface LineIndex {
  completeEnd: number;
  seqs: number[];
  offs: number[];
  ends: number[];
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface SegmentStoreDeps {
  fds: FdCache;
  footers: Lru<string, SealedFooter>;
  blocks: Lru<string, unknown[]>;
  codec: Codec;
  compressor: Compressor;
  compressors: Map<string, Compressor>;
  codecs: Map<string, Codec>;
  logger: Logger;
  clock: Clock;
  segmentMaxBytes: number;
  segmentMaxRecords: number;
  blockBytes: number;
  durable: boolean;
}

/** Reads, appends to and seals the segment files of logs. Synchronous I/O: every call is small and bounded. */
export class SegmentStore {
  /** Parsed records of active segments read again, kept in the block cache (see active-record-cache.ts). */
  private readonly activeRecords: ActiveRecordCache;

  constructor(private readonly d: SegmentStoreDeps) {
    this.activeRecords = new ActiveRecordCache(d.blocks);
  }

  view(dir: string): LogView {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      const code = osCode(err);
      // ENAMETOOLONG: a log whose directory name cannot exist (appends refuse such keys) is empty.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG')
        return { dir, segments: [], count: 0, leftovers: [] };
      throw err;
    }
    const sealed: SegmentRef[] = [];
    const actives: SegmentRef[] = [];
    for (const n of names) {
      const p = parseSegmentName(n);
      if (!p) continue;
      if (p.kind === 'sealed')
        sealed.push({ kind: 'sealed', first: p.first, last: p.last, rev: p.rev, name: n });
      else actives.push({ kind: 'active', first: p.first, last: -1, rev: 0, name: n });
    }
    const leftovers: string[] = [];
    // Highest revision wins; a segment overlapping an accepted one is a leftover of a rewrite.
    sealed.sort((a, b) => b.rev - a.rev || a.first - b.first);
    const accepted: SegmentRef[] = [];
    for (const s of sealed) {
      if (accepted.some((a) => s.first <= a.last && a.first <= s.last)) leftovers.push(s.name);
      else accepted.push(s);
    }
    for (const a of actives) {
      if (accepted.some((s) => a.first >= s.first && a.first <= s.last)) leftovers.push(a.name);
      else accepted.push(a);
    }
    accepted.sort((a, b) => a.first - b.first);
    for (let i = 0; i < accepted.length - 1; i++) {
      const s = accepted[i] as SegmentRef;
      if (s.kind === 'active') s.last = (accepted[i + 1] as SegmentRef).first - 1;
    }
    const view: LogView = { dir, segments: accepted, count: 0, leftovers };
    const lastSeg = accepted[accepted.length - 1];
    if (!lastSeg) return view;
    if (lastSeg.kind === 'sealed') {
      view.count = lastSeg.last + 1;
      return view;
    }
    // The newest active segment's last seq (hence the count) needs a read of its end. It is done
    // lazily, on first use: a page that lies in sealed segments never touches the active one (one
    // random read less when cold).
    const file = path.join(dir, lastSeg.name);
    const state = { resolved: false, last: -1, count: 0, validEnd: 0, size: 0 };
    const resolve = () => {
      if (state.resolved) return;
      const fd = this.d.fds.get(file);
      const size = fs.fstatSync(fd).size;
      // One 64 KiB read serves both this and the read that usually follows (the newest records).
      const n = Math.min(size, TAIL_PREFETCH);
      const pre = { start: size - n, buf: readExactSync(fd, n, size - n) };
      const back = scanBackward(fd, size, () => true, TAIL_PREFETCH, pre);
      this.prefetched.set(file, { size, ...pre });
      const newest = back.lines[0];
      state.last = newest ? newest.seq : lastSeg.first - 1;
      state.count = state.last + 1;
      state.validEnd = newest ? newest.end : back.validEnd;
      state.size = size;
      state.resolved = true;
    };
    const lazy = <K extends 'last' | 'count' | 'validEnd' | 'size'>(obj: object, prop: string, k: K) =>
      Object.defineProperty(obj, prop, {
        enumerable: true,
        configurable: true,
        get: () => {
          resolve();
          return state[k];
        },
        set: (v: number) => {
          resolve();
          state[k] = v;
        },
      });
    lazy(lastSeg, 'last', 'last');
    lazy(view, 'count', 'count');
    lazy(view, 'activeValidEnd', 'validEnd');
    lazy(view, 'activeSize', 'size');
    return view;
  }

  /** End-of-file bytes read while resolving a view, used once by the next read of that file. */
  private readonly prefetched = new Lru<string, { size: number; start: number; buf: Buffer }>(64);

  /**
   * True when seqs up to `hi` lie in sealed segments: such a read needs neither the count nor the
   * active segment (whose `last` would cost a read).
   */
  sealedCovers(view: LogView, hi: number): boolean {
    for (const s of view.segments) {
      if (s.kind !== 'sealed') break;
      if (s.last >= hi) return true;
    }
    return false;
  }

  /** Records with lo <= seq <= hi, ascending; damaged records are reported through `onCorrupt` and skipped. */
  read(view: LogView, lo: number, hi: number, onCorrupt: (c: CorruptRange) => void): Entry[] {
    const out: Entry[] = [];
    for (const s of view.segments) {
      // `first` before `last`: the newest active segment's `last` costs a read (see view()).
      if (s.first > hi || s.last < lo) continue;
      const a = Math.max(lo, s.first);
      const b = Math.min(hi, s.last);
      if (s.kind === 'sealed') this.readSealed(path.join(view.dir, s.name), a, b, out, onCorrupt);
      else this.readActive(path.join(view.dir, s.name), s, a, b, out, onCorrupt);
    }
    return out;
  }

  private readonly lineIndexes = new Lru<string, LineIndex>(64);

  private lineIndex(file: string, fd: number, size: number): LineIndex {
    let idx = this.lineIndexes.get(file);
    if (!idx || idx.completeEnd > size) {
      idx = { completeEnd: 0, seqs: [], offs: [], ends: [] };
      this.lineIndexes.set(file, idx);
    }
    if (idx.completeEnd < size) {
      const scan = scanBuffer(readExactSync(fd, size - idx.completeEnd, idx.completeEnd), idx.completeEnd);
      for (const l of scan.lines) {
        idx.seqs.push(l.seq);
        idx.offs.push(l.offset);
        idx.ends.push(l.end);
      }
      idx.completeEnd = scan.completeEnd;
    }
    return idx;
  }

  /**
   * Drops everything cached about files under `dir` (a log was deleted or cut). Sealed footers and
   * decoded blocks too: they are keyed by file name, and a log written again after a delete reuses
   * the same names (`<first>-<last>.r0.sseg`), so a stale entry would hand out the deleted records.
   */
  forget(dir: string): void {
    const under = (k: string) => k.startsWith(dir);
    this.lineIndexes.deleteWhere(under);
    this.prefetched.deleteWhere(under);
    this.partBlocks.deleteWhere(under);
    this.activeRecords.forget(under); // also voids its pending fills: their files may be gone
    this.d.footers.deleteWhere(under);
    this.d.blocks.deleteWhere(under);
  }

  footer(file: string): SealedFooter {
    let f = this.d.footers.get(file);
    if (!f) {
      f = readFooter(this.d.fds.get(file));
      this.d.footers.set(file, f);
    }
    return f;
  }

  decoders(footer: SealedFooter): { codec: Codec; compressor: Compressor } {
    const codec = this.d.codecs.get(footer.codec);
    const compressor = this.d.compressors.get(footer.compressor);
    if (!codec || !compressor) {
      throw new Error(
        `segment written with codec "${footer.codec}" and compressor "${footer.compressor}", which are not configured`,
      );
    }
    return { codec, compressor };
  }

  private readSealed(
    file: string,
    lo: number,
    hi: number,
    out: Entry[],
    onCorrupt: (c: CorruptRange) => void,
  ): void {
    let footer: SealedFooter;
    try {
      footer = this.footer(file);
    } catch (err) {
      if (osCode(err) === 'ENOENT') throw err;
      onCorrupt({ file, detail: (err as Error).message });
      return;
    }
    const { codec, compressor } = this.decoders(footer);
    const firstBlock = blockFor(footer, lo);
    const raw = this.readAdjacentBlocks(file, footer, firstBlock, hi);
    for (let bi = firstBlock; bi < footer.blocks.length; bi++) {
      const block = footer.blocks[bi];
      if (!block || block.first > hi) break;
      const from = Math.max(lo, block.first);
      const to = Math.min(hi, block.first + block.count - 1);
      const cacheKey = `${file}#${bi}`;
      let records = this.d.blocks.get(cacheKey);
      if (!records) {
        try {
          // A block read in part before: its decompressed bytes are kept, decode it whole now.
          let plain = this.partBlocks.get(cacheKey);
          if (plain) {
            this.partBlocks.delete(cacheKey);
          } else {
            const bytes = raw?.buf.subarray(
              block.offset - raw.start,
              block.offset - raw.start + block.length,
            );
            plain = decompressBlock(
              bytes ?? readExactSync(this.d.fds.get(file), block.length, block.offset),
              block,
              compressor,
            );
            if (codec.decodeRange && to - from + 1 < block.count) {
              // First read of this block, for part of it (a page): decode only that part (a page of
              // 50 out of ~128 chat messages costs ~1/3 of a whole-block decode) and hand out the
              // fresh records as they are. The bytes are kept, so a second read of the block decodes
              // it whole into the block cache without reading and decompressing it again.
              const part = codec.decodeRange(plain, from - block.first, to - from + 1);
              this.partBlocks.set(cacheKey, plain, plain.length);
              for (let i = 0; i < part.length; i++) out.push({ seq: from + i, value: part[i] });
              continue;
            }
          }
          records = decodeRecords(plain, block, codec);
        } catch (err) {
          if (osCode(err) === 'ENOENT') throw err;
          onCorrupt({ file, detail: `block ${bi}: ${(err as Error).message}`, seq: block.first });
          continue;
        }
        this.d.blocks.set(cacheKey, records, block.rawBytes);
      }
      for (let s = from; s <= to; s++) out.push({ seq: s, value: cloneRecord(records[s - block.first]) });
    }
  }

  /**
   * Decompressed bytes of sealed blocks that were read in part (decodeRange), by `file#block`: the
   * next read of such a block decodes it whole from here. Small (a few blocks), like `prefetched`.
   */
  private readonly partBlocks = new Lru<string, Uint8Array>(32, 2 << 20);

  /**
   * When a range spans several blocks, none cached yet and stored back to back (the usual page that
   * crosses a block boundary), their bytes come in one pread instead of one per block: on a cold
   * cache each read is a disk round trip.
   */
  private readAdjacentBlocks(
    file: string,
    footer: SealedFooter,
    firstBlock: number,
    hi: number,
  ): { buf: Buffer; start: number } | undefined {
    const blocks = footer.blocks;
    let last = firstBlock;
    while (last + 1 < blocks.length && (blocks[last + 1] as SealedBlockRef).first <= hi) last++;
    if (last === firstBlock) return undefined;
    for (let bi = firstBlock; bi <= last; bi++) {
      const key = `${file}#${bi}`;
      if (this.d.blocks.get(key) || this.partBlocks.get(key)) return undefined;
      const b = blocks[bi] as SealedBlockRef;
      if (bi < last && b.offset + b.length !== (blocks[bi + 1] as SealedBlockRef).offset) return undefined;
    }
    const a = blocks[firstBlock] as SealedBlockRef;
    const z = blocks[last] as SealedBlockRef;
    const buf = readExactSync(this.d.fds.get(file), z.offset + z.length - a.offset, a.offset);
    return { buf, start: a.offset };
  }

  private readActive(
    file: string,
    seg: SegmentRef,
    lo: number,
    hi: number,
    out: Entry[],
    onCorrupt: (c: CorruptRange) => void,
  ): void {
    this.activeRecords.read(file, seg.first, lo, hi, out, (a, b, into, bytes, texts) =>
      this.readActiveLines(file, seg, a, b, into, onCorrupt, bytes, texts),
    );
  }

  /** Reads and parses the lines of records lo..hi of an active segment (`bytes`: each one's JSON length). */
  private readActiveLines(
    file: string,
    seg: SegmentRef,
    lo: number,
    hi: number,
    out: Entry[],
    onCorrupt: (c: CorruptRange) => void,
    bytes?: number[],
    texts?: string[],
  ): void {
    const fd = this.d.fds.get(file);
    const size = fs.fstatSync(fd).size;
    const pre = this.prefetched.get(file);
    if (pre) this.prefetched.delete(file);
    const prefetch = pre && pre.size === size ? pre : undefined;
    const span = Math.max(1, seg.last - seg.first + 1);
    const avg = size / span;
    let lines: ScannedLine[];
    let corrupt: { offset: number; end: number }[];
    if ((seg.last - lo + 1) * avg < 256 << 10) {
      // Near the end (the common "latest messages" read): scan backwards, never the whole file.
      // Read about what the range needs (plus slack) instead of a fixed chunk.
      const want = Math.ceil((seg.last - lo + 1) * avg * 1.1) + 1024;
      const back = scanBackward(
        fd,
        size,
        (l) => l.seq <= lo,
        Math.min(256 << 10, Math.max(prefetch ? prefetch.buf.length : 4096, want)),
        prefetch,
      );
      lines = back.lines.reverse();
      corrupt = back.corrupt;
    } else {
      // Far from the end: a line index of the segment (built once, extended as it grows) gives
      // the byte range to read.
      const idx = this.lineIndex(file, fd, size);
      const i = lowerBound(idx.seqs, lo);
      let j = lowerBound(idx.seqs, hi + 1) - 1;
      if (i > j || i >= idx.seqs.length) {
        lines = [];
        corrupt = [];
      } else {
        j = Math.min(j, idx.seqs.length - 1);
        const from = idx.offs[i] as number;
        const to = idx.ends[j] as number;
        const scan = scanBuffer(readExactSync(fd, to - from, from), from);
        lines = scan.lines;
        corrupt = scan.corrupt;
      }
    }
    for (const c of corrupt) onCorrupt({ file, detail: `damaged line at byte ${c.offset}` });
    for (const l of lines) {
      if (l.seq < lo || l.seq > hi) continue;
      try {
        out.push({ seq: l.seq, value: JSON.parse(l.data) as unknown });
        bytes?.push(l.data.length);
        texts?.push(l.data);
      } catch {
        onCorrupt({ file, detail: `unparseable record at byte ${l.offset}`, seq: l.seq });
      }
    }
  }

  /**
   * Appends the records `recs` (seq `base` upward) that the segments do not hold yet, rolling and
   * sealing segments at `segmentMaxBytes`. Idempotent by seq, so a replayed WAL is harmless.
   * Returns the fd of the segment left open for the caller to fsync (closed by the caller).
   * `madeDirs`: the directories the caller has just created for this log (deepest first, `dir`
   * itself first), e.g. in parallel on the thread pool; they are reported back in `newDirs`.
   */
  append(
    dir: string,
    base: number,
    recs: readonly string[],
    madeDirs: readonly string[] = [],
  ): { fd?: number; created: boolean; count: number; newDirs: string[] } {
    let created = false;
    // Directories created here must have their parents synced for the new entries to be durable.
    const newDirs = madeDirs.length > 0 ? [...madeDirs] : createdChain(dir, mkdirpSync(dir));
    // A directory created just now, under the store writer lock, is empty: no temp files to clear
    // and no segments to list (two directory reads less per new log; a checkpoint after a burst of
    // new sessions creates hundreds).
    const fresh = newDirs[0] === dir;
    if (!fresh) {
      // Called under the store writer lock, so a temp file here is a sealing that a crash interrupted.
      for (const n of fs.readdirSync(dir))
        if (n.startsWith(TMP_PREFIX)) fs.rmSync(path.join(dir, n), { force: true });
    }
    let view: LogView = fresh ? { dir, segments: [], count: 0, leftovers: [] } : this.view(dir);
    if (view.leftovers.length > 0) {
      // Files a crash left between writing a sealed/rewritten segment and removing the one it
      // replaces (readers ignore them already): tidy up while we hold the log for writing.
      for (const n of view.leftovers) fs.rmSync(path.join(dir, n), { force: true });
      for (const n of view.leftovers) this.d.fds.drop(path.join(dir, n));
      view = this.view(dir);
    }
    let next = view.count;
    if (base + recs.length <= next) return { created, count: next, newDirs };
    let skip = Math.max(0, next - base);
    if (base > next) {
      this.d.logger.error(
        { dir: path.basename(dir), expected: next, got: base },
        'log has a gap before replayed records',
      );
      next = base;
      skip = 0;
    }
    let last = view.segments[view.segments.length - 1];
    let file: string;
    let fd: number;
    let size: number;
    let activeFirst = next;
    if (last && last.kind === 'active' && last.last + 1 === next) {
      activeFirst = last.first;
      file = path.join(dir, last.name);
      fd = fs.openSync(file, 'r+');
      size = fs.fstatSync(fd).size;
      if (view.activeValidEnd !== undefined && view.activeValidEnd < size) {
        // A torn tail from a crash during an earlier checkpoint: cut it before appending.
        this.d.logger.warn({ file: last.name, bytes: size - view.activeValidEnd }, 'cut torn segment tail');
        fs.ftruncateSync(fd, view.activeValidEnd);
        this.lineIndexes.delete(file);
        this.prefetched.delete(file);
        // Only complete, checked lines are ever cached and none is cut here; dropped all the same.
        this.activeRecords.forgetFile(file);
        size = view.activeValidEnd;
        this.d.fds.drop(file);
      }
    } else {
      ({ fd, file } = this.createActive(dir, next));
      size = 0;
      created = true;
      last = undefined;
    }
    // Every line this call writes is encoded into one buffer; `flush` writes what is not written yet.
    const dataBytes: number[] = new Array(recs.length);
    let total = 0;
    for (let i = skip; i < recs.length; i++) {
      const n = Buffer.byteLength(recs[i] as string, 'utf8');
      dataBytes[i] = n;
      total += lineSize(base + i, n);
    }
    const lines = Buffer.allocUnsafe(total);
    let encoded = 0;
    let written = 0;
    const flush = () => {
      if (encoded === written) return;
      faultPoint('segment-write', file);
      this.prefetched.delete(file);
      writeAllSync(fd, lines.subarray(written, encoded), size);
      size += encoded - written;
      written = encoded;
    };
    for (let i = skip; i < recs.length; i++) {
      encoded = encodeLineInto(lines, encoded, base + i, recs[i] as string, dataBytes[i] as number);
      if (
        size + (encoded - written) >= this.d.segmentMaxBytes ||
        base + i + 1 - activeFirst >= this.d.segmentMaxRecords
      ) {
        flush();
        if (this.seal(dir, file, fd)) {
          fs.closeSync(fd);
          ({ fd, file } = this.createActive(dir, base + i + 1));
          activeFirst = base + i + 1;
          size = 0;
          created = true;
        }
      }
    }
    flush();
    return { fd, created, count: base + recs.length, newDirs };
  }

  private createActive(dir: string, first: number): { fd: number; file: string } {
    const file = path.join(dir, activeSegmentName(first));
    const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, FILE_MODE);
    return { fd, file };
  }

  /**
   * Re-encodes an active segment as a sealed one (codec blocks, compressed, with a footer index),
   * then removes the active file. Refuses (false) when the segment has damaged lines, so positions
   * can never shift; verify reports such a segment.
   */
  seal(dir: string, file: string, fd: number, compressor = this.d.compressor): boolean {
    fs.fsyncSync(fd);
    const scan = scanFile(fd);
    const first = scan.lines[0]?.seq;
    if (first === undefined) return false;
    const contiguous = scan.lines.every((l, i) => l.seq === first + i);
    if (scan.corrupt.length > 0 || !contiguous || scan.completeEnd !== scan.size) {
      this.d.logger.error({ file: path.basename(file) }, 'segment has damaged records; not sealed');
      return false;
    }
    const last = first + scan.lines.length - 1;
    const img = encodeSealed(
      first,
      scan.lines.map((l) => l.data),
      this.d.codec,
      compressor,
      this.d.blockBytes,
      this.d.clock.now().toISOString(),
    );
    writeFileAtomicSync(path.join(dir, sealedSegmentName(first, last, 0)), img.chunks, this.d.durable);
    fs.unlinkSync(file);
    this.d.fds.drop(file);
    return true;
  }

  /** Rewrites a sealed segment with another compressor (archival tier), as revision rev+1. */
  rewriteSealed(
    dir: string,
    ref: SegmentRef,
    compressor: Compressor,
    blockBytes = this.d.blockBytes,
  ): { before: number; after: number } {
    const file = path.join(dir, ref.name);
    const fd = this.d.fds.get(file);
    const before = fs.fstatSync(fd).size;
    const footer = this.footer(file);
    const { codec, compressor: dec } = this.decoders(footer);
    const records: string[] = [];
    for (const block of footer.blocks) {
      for (const r of readBlock(fd, block, codec, dec)) records.push(JSON.stringify(r));
    }
    const img = encodeSealed(footer.first, records, this.d.codec, compressor, blockBytes, footer.createdAt);
    const name = sealedSegmentName(footer.first, footer.last, ref.rev + 1);
    writeFileAtomicSync(path.join(dir, name), img.chunks, this.d.durable);
    fs.unlinkSync(file);
    this.d.fds.drop(file);
    return { before, after: img.bytes };
  }

  /** Raw bytes of a file region (verify uses it to re-check blocks). */
  readRegion(file: string, offset: number, length: number): Buffer {
    return readExactSync(this.d.fds.get(file), length, offset);
  }
}

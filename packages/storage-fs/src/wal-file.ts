import fs from 'node:fs';
import path from 'node:path';
import { FILE_MODE, fsyncDirSync, readExactSync, writeAllSync } from './atomic-file.js';
import { faultPoint } from './fault-seam.js';
import { parseWalFileName, walFileName } from './layout.js';
import { type WalFrame, checkFrame } from './wal-frame.js';

/** When pre-allocated zeros are synced: before returning, on the thread pool, or never (durability 'none'). */
export type ExtentSync = 'now' | 'background' | 'none';

/**
 * One WAL generation file. It is pre-allocated with zeros in extents so that the per-commit
 * fdatasync never changes the file size (an in-place write is cheaper to make durable than an
 * append, see perf-baselines b5).
 */
export class WalFile {
  constructor(
    readonly gen: number,
    readonly file: string,
    readonly fd: number,
    /** End of the frames applied so far (the next write position for the writer). */
    public offset: number,
    /** Bytes known to be allocated (file size). */
    public allocated: number,
  ) {}

  static open(dir: string, gen: number): WalFile {
    const file = path.join(dir, walFileName(gen));
    const fd = fs.openSync(file, 'r+');
    return new WalFile(gen, file, fd, 0, fs.fstatSync(fd).size);
  }

  /** Creates and pre-allocates a new generation (durable: file and directory entry synced). */
  static create(dir: string, gen: number, extent: number): WalFile {
    const file = path.join(dir, walFileName(gen));
    const fd = fs.openSync(
      file,
      fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_RDWR,
      FILE_MODE,
    );
    const w = new WalFile(gen, file, fd, 0, 0);
    try {
      w.extend(extent);
      fsyncDirSync(dir);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw err;
    }
    return w;
  }

  /** Makes sure `bytes` more can be written at `offset` without growing the file during a commit. */
  ensure(bytes: number, extent: number, sync: ExtentSync = 'now'): void {
    if (this.offset + bytes <= this.allocated) return;
    // Extend from the file's real end, never from what we last knew of it: another process may have
    // pre-allocated (and written frames into) the file since. Zeros written from a stale, smaller
    // size would erase its committed frames.
    this.allocated = fs.fstatSync(this.fd).size;
    if (this.offset + bytes <= this.allocated) return;
    const grow = Math.max(extent, this.offset + bytes - this.allocated);
    this.extend(grow, sync);
  }

  private extend(grow: number, sync: ExtentSync = 'now'): void {
    faultPoint('wal-extend', this.file);
    const zeros = Buffer.alloc(Math.min(grow, 4 << 20));
    let done = 0;
    while (done < grow) {
      const n = Math.min(zeros.length, grow - done);
      writeAllSync(this.fd, zeros.subarray(0, n), this.allocated + done);
      done += n;
    }
    if (sync === 'now') fs.fsyncSync(this.fd);
    else if (sync === 'background') {
      // Not needed for durability (a commit's fdatasync covers its bytes and the size). A failure is
      // kept and fails the next commit (checkBackgroundSync): the kernel reports a writeback error to
      // one fsync only, and that may have been this one. EBADF: the file was closed meanwhile.
      fs.fsync(this.fd, (err) => {
        if (err && (err as NodeJS.ErrnoException).code !== 'EBADF') this.backgroundSyncError ??= err;
      });
    }
    this.allocated += grow;
  }

  /** Overwrites [from, to) with zeros (removing torn or failed frames) and syncs. */
  zero(from: number, to: number): void {
    if (to <= from) return;
    const zeros = Buffer.alloc(Math.min(to - from, 1 << 20));
    for (let p = from; p < to; p += zeros.length)
      writeAllSync(this.fd, zeros.subarray(0, Math.min(zeros.length, to - p)), p);
    fs.fdatasyncSync(this.fd);
  }

  /** An error of a background extent fsync, not yet reported to a commit. */
  backgroundSyncError: Error | undefined;

  /** Throws (once) the error of a background extent fsync. */
  checkBackgroundSync(): void {
    const err = this.backgroundSyncError;
    if (!err) return;
    this.backgroundSyncError = undefined;
    throw err;
  }

  private dsync: number | undefined;

  /**
   * A second descriptor on this file opened with O_DSYNC (undefined where the platform has none):
   * a `pwrite` through it returns once the bytes are durable, one system call instead of write +
   * fdatasync. Used for commits that carry a single request (a lone writer awaiting each append).
   */
  dsyncFd(): number | undefined {
    const flag = fs.constants.O_DSYNC;
    if (this.dsync === undefined && flag) this.dsync = fs.openSync(this.file, fs.constants.O_RDWR | flag);
    return this.dsync;
  }

  private readonly syncFds: number[] = [];

  /**
   * Descriptor `slot` for an fdatasync (0: the main one; others opened on first use). Pipelined
   * commits sync on different descriptors: the kernel reports a writeback error once per open file
   * description, so two syncs in flight on one descriptor could each miss the other's error.
   */
  syncFd(slot: number): number {
    if (slot === 0) return this.fd;
    let fd = this.syncFds[slot - 1];
    if (fd === undefined) {
      fd = fs.openSync(this.file, 'r+');
      this.syncFds[slot - 1] = fd;
    }
    return fd;
  }

  private closed = false;

  /** Whether close() ran (a sync in flight then fails with EBADF, and has nothing left to sync). */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Closes every descriptor once. A second call must not close anything: the kernel hands a closed
   * descriptor's number to the next open, so closing it again closed a file of whoever opened next
   * (another store in the same process got EBADF on its cached segment descriptors).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of [this.fd, this.dsync, ...this.syncFds.splice(0)]) {
      if (fd === undefined) continue;
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.dsync = undefined;
  }

  /**
   * Reads frames from `offset`, calling `apply` for each valid one and advancing `offset`.
   * Stops at the zero region, a torn/invalid frame ('bad': garbage left by a crashed writer, or a
   * frame being written right now by another process) or an END frame.
   */
  scan(apply: (frame: WalFrame) => void): {
    stop: 'zero' | 'eof' | 'bad' | 'end' | 'rotate';
    reason?: string;
  } {
    let requested = 8 << 10;
    let buf = readExactSync(this.fd, requested, this.offset);
    let base = this.offset;
    for (;;) {
      const rel = this.offset - base;
      const r = checkFrame(buf, rel, this.gen);
      if (r.kind === 'zero') return { stop: 'zero' };
      if (r.kind === 'bad') return { stop: 'bad', reason: r.reason };
      if (r.kind === 'need') {
        if (rel === 0 && (buf.length < requested || requested >= r.bytes)) {
          // The file ends inside this frame.
          return buf.every((b) => b === 0)
            ? { stop: 'eof' }
            : { stop: 'bad', reason: 'torn frame at end of file' };
        }
        base = this.offset;
        requested = Math.max(256 << 10, r.bytes);
        buf = readExactSync(this.fd, requested, base);
        continue;
      }
      this.offset += r.size;
      apply(r.frame);
      if (r.frame.type === 'end') return { stop: 'end' };
      if (r.frame.type === 'rotate') return { stop: 'rotate' };
    }
  }

  /** The frame at `offset` when it is a complete, valid frame (used to look for END after ROTATE). */
  frameAt(offset: number): WalFrame | undefined {
    const buf = readExactSync(this.fd, 64, offset);
    const r = checkFrame(buf, 0, this.gen);
    return r.kind === 'frame' ? r.frame : undefined;
  }

  /** True when the bytes at `offset` are not all zero (garbage that must be cleared before writing). */
  dirtyAt(offset: number): boolean {
    const b = readExactSync(this.fd, 64, offset);
    return b.some((x) => x !== 0);
  }
}

export function listWalGens(dir: string): number[] {
  const gens: number[] = [];
  for (const n of fs.readdirSync(dir)) {
    const g = parseWalFileName(n);
    if (g !== undefined) gens.push(g);
  }
  return gens.sort((a, b) => a - b);
}

import fs from 'node:fs';
import { Lru } from './lru.js';

/**
 * Read-only file descriptors kept open across reads, bounded by `maxOpenFiles`. Segment files
 * are append-only or immutable, so a cached fd stays valid; the engine drops entries of deleted
 * logs and after every WAL generation switch.
 */
export class FdCache {
  private readonly lru: Lru<string, number>;
  constructor(private readonly maxOpenFiles: number) {
    this.lru = new Lru<string, number>(maxOpenFiles, Number.POSITIVE_INFINITY, (_k, fd) => {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    });
  }

  /** Open (or reuse) `file` for reading; throws ENOENT like fs.openSync. */
  get(file: string): number {
    const cached = this.lru.get(file);
    if (cached !== undefined) return cached;
    const fd = fs.openSync(file, 'r');
    this.lru.set(file, fd);
    return fd;
  }

  /**
   * Opens those of `files` not open yet, in order, into the budget's spare room only: no open
   * descriptor is evicted for them, so pinning never costs another read its file. A file that cannot
   * be opened (gone under a concurrent rewrite) ends the pass; the read that needs it looks again.
   */
  openIntoSpareRoom(files: Iterable<string>): void {
    for (const file of files) {
      if (this.lru.size >= this.maxOpenFiles) return;
      if (this.lru.has(file)) continue;
      let fd: number;
      try {
        fd = fs.openSync(file, 'r');
      } catch {
        return;
      }
      this.lru.set(file, fd);
    }
  }

  drop(file: string): void {
    this.lru.delete(file);
  }

  dropUnder(dir: string): void {
    this.lru.deleteWhere((k) => k === dir || k.startsWith(dir));
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}

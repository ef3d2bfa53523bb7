import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { BlobStat } from '@ffdb/core-types';
import { fsyncDir } from './atomic-file.js';
import type { FdCache } from './fd-cache.js';
import { osCode, toStorageError } from './io-errors.js';
import { FORMAT_FILE, INTERNAL_DIR, LOG_SUFFIX, type Layout, SEALED_SUFFIX, TMP_PREFIX } from './layout.js';
import { wallClockMs } from './real-time.js';

/**
 * The file-system side of blobs and of the store's directory tree: reading, listing, statting and
 * moving whole trees to the trash. Locking, key checks, the WAL and the readiness of the store stay
 * in the backend, which calls these with checked keys.
 */
export class BlobFiles {
  constructor(
    private readonly layout: Layout,
    private readonly fds: FdCache,
    private readonly durable: boolean,
  ) {}

  /**
   * The blob's bytes, or null when there is no file at the key. A blob up to SYNC_READ_MAX is read with
   * synchronous calls: `fs.promises.readFile` makes four thread-pool round trips (open, fstat, read,
   * close), 90-146 µs for a 20-byte blob here against ~10 µs; a larger one is read on the thread pool,
   * off the event loop.
   */
  async read(key: string): Promise<Uint8Array | null> {
    let fd: number;
    try {
      fd = fs.openSync(this.layout.blob(key), 'r');
    } catch (err) {
      return missing(err, 'read', key);
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return null;
      if (st.size <= SYNC_READ_MAX) return readWholeSync(fd, st.size);
      return new Uint8Array(await readFileAsync(fd));
    } catch (err) {
      return missing(err, 'read', key);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The blob's bytes in 64 KiB chunks (the file is opened now, read as the caller iterates), or null. */
  async readStream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.layout.blob(key), 'r');
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        return null;
      }
    } catch (err) {
      const code = osCode(err);
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
      throw toStorageError('readStream', key, err);
    }
    const handle = fh;
    return (async function* () {
      try {
        const buf = Buffer.allocUnsafe(64 << 10);
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          yield new Uint8Array(buf.subarray(0, bytesRead));
        }
      } catch (err) {
        throw toStorageError('readStream', key, err);
      } finally {
        await handle.close();
      }
    })();
  }

  /** True when the key names a file, a directory holding anything, or a log directory. */
  async exists(key: string): Promise<boolean> {
    const st = await this.lstat(this.layout.blob(key));
    if (st?.isFile()) return true;
    if (st?.isDirectory() && (await this.hasEntries(this.layout.blob(key)))) return true;
    return (await this.lstat(this.layout.logDir(key)))?.isDirectory() ?? false;
  }

  async stat(key: string): Promise<BlobStat | null> {
    const st = await this.lstat(this.layout.blob(key));
    if (!st || !(st.isFile() || st.isDirectory())) return null;
    return {
      key,
      size: st.isFile() ? st.size : 0,
      isDirectory: st.isDirectory(),
      createdAt: st.birthtime.toISOString(),
      modifiedAt: st.mtime.toISOString(),
    };
  }

  /**
   * Keys under `prefix`, sorted: files, and (not recursive) directories with visible content. The
   * engine's own entries (`.ffdb/`, `ffdb.json`, temp files, log directories) are never listed.
   */
  async list(prefix: string, recursive: boolean): Promise<string[]> {
    const out: string[] = [];
    const walk = async (abs: string, rel: string, deep: boolean): Promise<void> => {
      const entries = await dirEntries(abs, 'list', prefix);
      for (const e of entries) {
        if (isInternalEntry(rel, e.name)) continue;
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isFile()) out.push(key);
        else if (e.isDirectory()) {
          if (deep) await walk(path.join(abs, e.name), key, true);
          else if (await this.hasVisibleContent(path.join(abs, e.name))) out.push(key);
        }
      }
    };
    await walk(this.layout.prefix(prefix), prefix, recursive);
    return out.sort();
  }

  /** Removes a plain blob (unlink is atomic) and, when durable, makes the removal durable. */
  /** Remove a blob; false when it was gone already (another process sharing the store removed it). */
  async unlink(key: string): Promise<boolean> {
    const blob = this.layout.blob(key);
    try {
      await fsp.unlink(blob);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    if (this.durable) await fsyncDir(path.dirname(blob));
    return true;
  }

  /**
   * Moves the blob tree and the log directory of `prefix` into the trash: one rename per path makes
   * everything under it disappear at once. Descriptors cached for files under it are dropped.
   */
  async moveToTrash(prefix: string): Promise<void> {
    const targets = [this.layout.blob(prefix), this.layout.logDir(prefix)];
    const parents = new Set<string>();
    for (const t of targets) {
      const dest = path.join(this.layout.trashDir, `${wallClockMs()}-${randomBytes(6).toString('hex')}`);
      try {
        await fsp.rename(t, dest);
        parents.add(path.dirname(t));
      } catch (err) {
        const code = osCode(err);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      }
    }
    this.fds.dropUnder(this.layout.blob(prefix));
    if (this.durable) {
      for (const d of parents) await fsyncDir(d);
      if (parents.size) await fsyncDir(this.layout.trashDir);
    }
  }

  /** Best effort: what stays behind is reported by verify. */
  async emptyTrash(): Promise<void> {
    try {
      const names = await fsp.readdir(this.layout.trashDir);
      for (const n of names)
        await fsp.rm(path.join(this.layout.trashDir, n), { recursive: true, force: true });
    } catch {
      // verify reports leftovers
    }
  }

  /** lstat, or undefined when nothing is there; other failures are FFStorageErrors naming the key. */
  /** A synchronous `lstat` (one system call, ~3 µs; on the thread pool it was a 30-50 µs round trip). */
  async lstat(p: string): Promise<fs.Stats | undefined> {
    try {
      return fs.lstatSync(p, { throwIfNoEntry: false });
    } catch (err) {
      const code = osCode(err);
      // ENAMETOOLONG: nothing by that name can exist. Keys allow 255-character segments, so the log
      // variant of a long blob key (segment + ".fflog") is such a name; probing it must not fail.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return undefined;
      throw toStorageError('stat', this.layout.keyOf(p), err);
    }
  }

  /**
   * Bytes on disk under `prefix` (files as they are, the WAL not included) and their logical size,
   * where a sealed segment counts its records' raw bytes (`rawBytesOf`, from its footer).
   */
  async usage(
    prefix: string,
    rawBytesOf: (file: string) => number,
  ): Promise<{ bytes: number; logicalBytes: number; files: number }> {
    let bytes = 0;
    let logicalBytes = 0;
    let files = 0;
    const walk = async (abs: string, rel: string, inLog: boolean): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(abs, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (rel === '' && e.name === INTERNAL_DIR) continue;
        const full = path.join(abs, e.name);
        if (e.isDirectory())
          await walk(full, rel === '' ? e.name : `${rel}/${e.name}`, inLog || e.name.endsWith(LOG_SUFFIX));
        else if (e.isFile()) {
          const st = await fsp.stat(full).catch(() => undefined);
          if (!st) continue;
          files++;
          bytes += st.size;
          if (inLog && e.name.endsWith(SEALED_SUFFIX)) {
            try {
              logicalBytes += rawBytesOf(full);
            } catch {
              logicalBytes += st.size;
            }
          } else logicalBytes += st.size;
        }
      }
    };
    await walk(this.layout.prefix(prefix), prefix, false);
    return { bytes, logicalBytes, files };
  }

  /** A prefix exists when its directory holds anything but temp files (blobs, logs, sub-trees). */
  private async hasEntries(dir: string): Promise<boolean> {
    try {
      return (await fsp.readdir(dir)).some((n) => !n.startsWith(TMP_PREFIX));
    } catch {
      return false;
    }
  }

  private async hasVisibleContent(dir: string): Promise<boolean> {
    try {
      const entries = await fsp.readdir(dir);
      const rel = this.layout.keyOf(dir);
      return entries.some((n) => !isInternalEntry(rel, n));
    } catch {
      return false;
    }
  }
}

/**
 * A directory's entries; none when it is gone (ENOENT) or not a directory (ENOTDIR). Other failures
 * throw an FFStorageError naming `operation` and `key`.
 */
export async function dirEntries(abs: string, operation: string, key: string): Promise<fs.Dirent[]> {
  try {
    return await fsp.readdir(abs, { withFileTypes: true });
  } catch (err) {
    const code = osCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw toStorageError(operation, key, err);
  }
}

/** The engine's own entries, never listed as keys: `.ffdb/` and `ffdb.json` at the root, temp files, log directories. */
function isInternalEntry(relDir: string, name: string): boolean {
  if (relDir === '' && (name === INTERNAL_DIR || name === FORMAT_FILE)) return true;
  return name.startsWith(TMP_PREFIX) || name.endsWith(LOG_SUFFIX);
}

/**
 * Blobs up to this size are read with synchronous calls (see BlobFiles.read): metadata (sessions,
 * profiles, manifests) is this small. Larger ones go to the thread pool, so that a loop of reads of
 * large blobs still lets the event loop poll for I/O between them (the conformance suite's readers
 * hammering an overwritten 4-204 KB blob starved its writer with a 256 KiB bound).
 */
const SYNC_READ_MAX = 16 << 10;

/** null for "no file at the key" (the file, or a directory on its path, is missing or not a file). */
function missing(err: unknown, operation: string, key: string): null {
  const code = osCode(err);
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
  throw toStorageError(operation, key, err);
}

/**
 * The file's `size` bytes (its size when opened: a blob is replaced by a rename, never written in
 * place), in an ArrayBuffer of their own (not Buffer's shared pool: callers may keep or view `.buffer`).
 */
function readWholeSync(fd: number, size: number): Uint8Array {
  const buf = Buffer.allocUnsafeSlow(size);
  let off = 0;
  while (off < size) {
    const n = fs.readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, off);
}

/** The whole file behind `fd`, read on the thread pool (the descriptor stays open). */
function readFileAsync(fd: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    fs.readFile(fd, (err, data) => (err ? reject(err) : resolve(data))),
  );
}

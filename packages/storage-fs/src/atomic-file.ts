import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { FFValidationError } from '@ffdb/core-types';
import { faultPoint } from './fault-seam.js';
import { TMP_PREFIX } from './layout.js';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** fsync a directory so a rename/create/unlink inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * mkdir -p with mode 0700. When `durable`, every directory it created is made durable by syncing
 * its parent (a new directory entry is only durable once its parent directory is synced).
 */
export async function ensureDir(dir: string, durable: boolean): Promise<void> {
  let first: string | undefined;
  try {
    first = await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw revealMkdirError(dir, err);
  }
  if (!durable) return;
  for (const d of createdChain(dir, first)) await fsyncDir(path.dirname(d));
}

/**
 * Recursive mkdir reports ENOENT for failures such as EROFS or EACCES on the last component;
 * a plain mkdir of that component tells the real reason.
 */
export function revealMkdirError(dir: string, err: unknown): unknown {
  if ((err as { code?: string }).code !== 'ENOENT') return err;
  try {
    fs.mkdirSync(dir, { mode: DIR_MODE });
    fs.rmdirSync(dir);
  } catch (real) {
    return real;
  }
  return err;
}

/** The directories a recursive mkdir of `dir` created, deepest first, given the first one it created. */
export function createdChain(dir: string, first: string | undefined): string[] {
  const created: string[] = [];
  if (!first) return created;
  for (let d = dir; ; d = path.dirname(d)) {
    created.push(d);
    if (d === first || path.dirname(d) === d) break;
  }
  return created;
}

/** mkdir -p (sync); returns the first directory created, if any. */
export function mkdirpSync(dir: string): string | undefined {
  try {
    return fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw revealMkdirError(dir, err);
  }
}

export function tempPathFor(file: string): string {
  return path.join(
    path.dirname(file),
    `${TMP_PREFIX}${path.basename(file).slice(0, 40)}-${randomBytes(6).toString('hex')}`,
  );
}

/**
 * Write-to-temp, fsync, rename, fsync-dir: a reader sees the old bytes or the new ones, never a
 * mix, and after a crash the file is whole or absent. The temp file is removed on any failure.
 */
export async function writeFileAtomic(
  file: string,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  durable: boolean,
): Promise<number> {
  await ensureDir(path.dirname(file), durable);
  const tmp = tempPathFor(file);
  let size = 0;
  faultPoint('blob-write', file);
  const fh = await fsp.open(
    tmp,
    fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY,
    FILE_MODE,
  );
  try {
    try {
      if (data instanceof Uint8Array) {
        await fh.writeFile(data);
        size = data.byteLength;
      } else {
        for await (const chunk of data) {
          if (!(chunk instanceof Uint8Array))
            throw new FFValidationError([
              { path: 'chunks', message: 'every stream chunk must be a Uint8Array' },
            ]);
          let off = 0;
          while (off < chunk.byteLength) {
            const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
            off += bytesWritten;
          }
          size += chunk.byteLength;
        }
      }
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (durable) await fsyncDir(path.dirname(file));
  return size;
}

/** Synchronous variant for small engine files (sealed segments are written through this). */
export function writeFileAtomicSync(file: string, chunks: readonly Uint8Array[], durable: boolean): void {
  faultPoint('segment-seal', file);
  const tmp = tempPathFor(file);
  const fd = fs.openSync(tmp, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, FILE_MODE);
  try {
    try {
      for (const c of chunks) writeAllSync(fd, c, null);
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (durable) fsyncDirSync(path.dirname(file));
}

export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** writeSync until every byte is written (short writes happen near ENOSPC). */
export function writeAllSync(fd: number, data: Uint8Array, position: number | null): void {
  let off = 0;
  while (off < data.byteLength) {
    const n = fs.writeSync(fd, data, off, data.byteLength - off, position === null ? null : position + off);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    off += n;
  }
}

export function readExactSync(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const n = fs.readSync(fd, buf, off, length - off, position + off);
    if (n === 0) return buf.subarray(0, off);
    off += n;
  }
  return buf;
}

export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

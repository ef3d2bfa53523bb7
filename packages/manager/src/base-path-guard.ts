/**
 * Checks a store base path before the default file storage opens it.
 *
 * Why: on kernel pseudo-filesystems a recursive mkdir may never settle (Node's `fs.mkdir(…, { recursive:
 * true })` under /proc spins forever in a libuv worker thread), so `initialize()` would hang instead of
 * resolving false. The check looks at the nearest existing ancestor of the base path (symlinks resolved):
 * it must be a directory on a writable, non-pseudo filesystem. Anything the check cannot decide (e.g. a
 * permission error while resolving) is left to the storage backend, which reports it itself.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { FFStorageError } from '@ffdb/core-types';

/** Path prefixes of kernel pseudo-filesystems a store can never live on. */
const PSEUDO_ROOTS = ['/proc', '/sys'];

/** `statfs` magic numbers of pseudo-filesystems (linux/magic.h); elsewhere the values never match. */
const PSEUDO_FS_TYPES = new Map<number, string>([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x65735543, 'fusectl'],
]);

function underPseudoRoot(p: string): string | undefined {
  return PSEUDO_ROOTS.find((root) => p === root || p.startsWith(`${root}/`));
}

function unusable(basePath: string, reason: string, cause?: unknown): FFStorageError {
  return new FFStorageError('initialize', basePath, reason, {
    code: 'FF_STORAGE_MISSING_BASE',
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The nearest existing ancestor of `abs` (itself included), symlinks resolved; null when undecidable. */
async function nearestExisting(abs: string): Promise<string | null> {
  let candidate = abs;
  for (;;) {
    try {
      return await fsp.realpath(candidate);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return null;
      const parent = path.dirname(candidate);
      if (parent === candidate) return null;
      candidate = parent;
    }
  }
}

/**
 * Why `dir` lies on a kernel pseudo-filesystem ("is under /proc, …") (where a recursive mkdir may never settle), or null. Also
 * used for export destinations: `exportData('/proc/x')` spun forever in that mkdir.
 */
export async function pseudoFilesystemReason(dir: string): Promise<string | null> {
  const abs = path.resolve(dir);
  const root = underPseudoRoot(abs);
  if (root) return `is under ${root}, a kernel pseudo-filesystem`;
  const existing = await nearestExisting(abs);
  if (existing === null) return null;
  const realRoot = underPseudoRoot(existing);
  if (realRoot) return `resolves to ${realRoot}, a kernel pseudo-filesystem`;
  const fsType = await fsp
    .statfs(existing)
    .then((s) => PSEUDO_FS_TYPES.get(Number(s.type)))
    .catch(() => undefined);
  return fsType ? `is on ${fsType}, a pseudo-filesystem` : null;
}

/**
 * Resolves to an FFStorageError saying why `basePath` cannot hold a store, or null when it looks usable
 * (or when only the storage backend can tell).
 */
export async function checkBasePath(basePath: string): Promise<FFStorageError | null> {
  const abs = path.resolve(basePath);
  const pseudo = await pseudoFilesystemReason(abs);
  if (pseudo) return unusable(basePath, `the base path ${pseudo}`);
  const existing = await nearestExisting(abs);
  if (existing === null) return null;
  const stat = await fsp.stat(existing).catch(() => null);
  if (!stat) return null;
  if (!stat.isDirectory()) {
    return unusable(
      basePath,
      existing === abs ? 'the base path is not a directory' : 'a parent of the base path is not a directory',
    );
  }
  try {
    await fsp.access(existing, fsConstants.W_OK);
  } catch (error) {
    // FFStorageError maps EROFS/EACCES/EPERM to FF_STORAGE_READ_ONLY / FF_STORAGE_PERMISSION.
    return new FFStorageError(
      'initialize',
      basePath,
      existing === abs
        ? 'the base path is not writable'
        : 'the base path cannot be created (parent not writable)',
      { cause: error },
    );
  }
  return null;
}

import { FFError, FFStorageError } from '@ffdb/core-types';

/**
 * Turns anything thrown by `fs` into an FFStorageError naming the operation and key. The OS
 * message is kept (it names a path, never file contents); FFErrors pass through untouched.
 */
export function toStorageError(operation: string, key: string | undefined, err: unknown): FFError {
  if (FFError.isInstance(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const reason =
    typeof code === 'string' ? describeOsCode(code) : err instanceof Error ? err.message : String(err);
  return new FFStorageError(operation, key, reason, { cause: err });
}

function describeOsCode(code: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left on device (${code})`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EROFS':
      return 'read-only file system (EROFS)';
    case 'ENOENT':
      return 'no such file or directory (ENOENT)';
    case 'ENOTDIR':
      return 'a path component is a file, not a directory (ENOTDIR)';
    case 'EISDIR':
      return 'the key is a directory (EISDIR)';
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files (${code})`;
    default:
      return code;
  }
}

export function osCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Runs `fn`, rethrowing failures as FFStorageError. */
export async function guard<T>(operation: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStorageError(operation, key, err);
  }
}

/** `guard` for synchronous work. */
export function guardSync<T>(operation: string, key: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStorageError(operation, key, err);
  }
}

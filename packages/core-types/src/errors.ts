/**
 * ffdb's typed errors. Every error carries a stable `code` from the catalogue (docs/errors.md).
 * `isInstance` checks a global brand instead of `instanceof`, so it works across duplicate copies
 * of this package (two versions installed side by side, or a bundled copy).
 */

const BRAND = Symbol.for('@ffdb/core-types/FFError');

/** The code catalogue. Extend it (and docs/errors.md) rather than inventing ad-hoc strings. */
export const ERROR_CODES = {
  FF_VALIDATION: 'Input failed validation; `issues` lists each problem with its path.',
  FF_NOT_FOUND: 'A required entity does not exist.',
  FF_CONFLICT: 'The entity already exists or was changed concurrently.',
  FF_STORAGE: 'An I/O operation failed; `operation` and `key` say which.',
  FF_STORAGE_NO_SPACE: 'The disk is full (ENOSPC); nothing was acknowledged.',
  FF_STORAGE_PERMISSION: 'Permission denied (EACCES/EPERM).',
  FF_STORAGE_READ_ONLY: 'The file system is read-only (EROFS).',
  FF_STORAGE_MISSING_BASE: 'The store base path does not exist or is not a directory.',
  FF_FORMAT_TOO_NEW: 'The store was written by a newer on-disk format version.',
  FF_CLOSED: 'The store or manager was used after close().',
  FF_LOCK_TIMEOUT: 'A lock could not be acquired within locking.timeoutSeconds.',
  FF_CORRUPTION: 'A record or file failed its checksum or framing check.',
  FF_CONFIG: 'The configuration is invalid; `issues` lists each problem with a dotted path.',
  FF_CONFIG_MISSING_TOKEN: 'A required DI token has no registered adapter.',
  FF_PACKAGE_MISSING: 'An optional ffdb package needed for this feature is not installed.',
  FF_FEATURE_FAILED: "An optional feature (its package or the caller's adapter) threw while starting; see `cause`.",
  FF_EMBEDDING: 'An embedding provider failed (HTTP error, timeout, malformed reply).',
  FF_SPACE_MISMATCH: 'A vector index was used with a different embedding space.',
  FF_UNSUPPORTED: 'The adapter does not support this operation.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `storage.maxMessageSizeBytes` or `content`. */
  path: string;
  message: string;
  /** The limit that was exceeded, when there is one. */
  limit?: number | string;
}

export interface FFErrorOptions {
  cause?: unknown;
}

export class FFError extends Error {
  readonly code: ErrorCode;
  override readonly cause: unknown;

  constructor(code: ErrorCode, message: string, options: FFErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.cause = options.cause;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /** True for any ffdb error of this class (or a subclass), even from another copy of the package. */
  // `this` is typed as any constructor of an FFError so subclasses with other constructor signatures qualify.
  static isInstance<T extends FFError>(this: abstract new (...args: any[]) => T, value: unknown): value is T {
    if (typeof value !== 'object' || value === null || !(BRAND in value)) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the check was called on
    if (this === (FFError as unknown)) return true;
    // Compare by name along the prototype chain so duplicate package copies still match.
    let proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
    while (proto) {
      // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the check was called on
      if (proto.constructor?.name === this.name) return true;
      proto = Object.getPrototypeOf(proto);
    }
    return false;
  }
}

function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

export class FFValidationError extends FFError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[] | string, options: FFErrorOptions & { path?: string } = {}) {
    const list = typeof issues === 'string' ? [{ path: options.path ?? '', message: issues }] : issues;
    super('FF_VALIDATION', `Invalid input: ${describeIssues(list)}`, options);
    this.issues = list;
  }
}

export class FFNotFoundError extends FFError {
  constructor(message: string, options: FFErrorOptions = {}) {
    super('FF_NOT_FOUND', message, options);
  }
}

export class FFConflictError extends FFError {
  constructor(message: string, options: FFErrorOptions = {}) {
    super('FF_CONFLICT', message, options);
  }
}

export type StorageErrorCode = Extract<
  ErrorCode,
  | 'FF_STORAGE'
  | 'FF_STORAGE_NO_SPACE'
  | 'FF_STORAGE_PERMISSION'
  | 'FF_STORAGE_READ_ONLY'
  | 'FF_STORAGE_MISSING_BASE'
  | 'FF_FORMAT_TOO_NEW'
  | 'FF_CLOSED'
  | 'FF_UNSUPPORTED'
>;

/** An I/O failure. The message names the operation and key, never file contents. */
export class FFStorageError extends FFError {
  readonly operation: string;
  readonly key: string | undefined;
  /** The OS error code (ENOSPC, EACCES, …) when there is one. */
  readonly osCode: string | undefined;

  constructor(
    operation: string,
    key: string | undefined,
    message: string,
    options: FFErrorOptions & { code?: StorageErrorCode } = {},
  ) {
    const osCode = (options.cause as { code?: unknown } | undefined)?.code;
    const code: StorageErrorCode =
      options.code ?? storageCodeFor(typeof osCode === 'string' ? osCode : undefined);
    super(
      code,
      `${operation}${key !== undefined ? ` ${JSON.stringify(key)}` : ''} failed: ${message}`,
      options,
    );
    this.operation = operation;
    this.key = key;
    this.osCode = typeof osCode === 'string' ? osCode : undefined;
  }
}

/** Maps an OS error code to the matching storage error code. */
export function storageCodeFor(osCode: string | undefined): StorageErrorCode {
  switch (osCode) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'FF_STORAGE_NO_SPACE';
    case 'EACCES':
    case 'EPERM':
      return 'FF_STORAGE_PERMISSION';
    case 'EROFS':
      return 'FF_STORAGE_READ_ONLY';
    default:
      return 'FF_STORAGE';
  }
}

export class FFLockTimeoutError extends FFError {
  readonly key: string;
  readonly timeoutMs: number;
  constructor(key: string, timeoutMs: number, options: FFErrorOptions = {}) {
    const ms = Math.round(timeoutMs); // timeouts come from seconds in the config (e.g. 0.0005 s)
    super('FF_LOCK_TIMEOUT', `Could not acquire lock on ${JSON.stringify(key)} within ${ms} ms`, options);
    this.key = key;
    this.timeoutMs = ms;
  }
}

export class FFCorruptionError extends FFError {
  readonly key: string | undefined;
  constructor(message: string, options: FFErrorOptions & { key?: string } = {}) {
    super('FF_CORRUPTION', message, options);
    this.key = options.key;
  }
}

export class FFConfigError extends FFError {
  readonly issues: ValidationIssue[];
  constructor(
    message: string,
    options: FFErrorOptions & {
      issues?: ValidationIssue[];
      code?: 'FF_CONFIG' | 'FF_CONFIG_MISSING_TOKEN' | 'FF_PACKAGE_MISSING' | 'FF_FEATURE_FAILED';
    } = {},
  ) {
    const issues = options.issues ?? [];
    super(
      options.code ?? 'FF_CONFIG',
      issues.length ? `${message}: ${describeIssues(issues)}` : message,
      options,
    );
    this.issues = issues;
  }
}

export class FFEmbeddingError extends FFError {
  readonly provider: string;
  readonly status: number | undefined;
  constructor(
    provider: string,
    message: string,
    options: FFErrorOptions & { status?: number; code?: 'FF_EMBEDDING' | 'FF_SPACE_MISMATCH' } = {},
  ) {
    super(
      options.code ?? 'FF_EMBEDDING',
      `Embedding provider ${JSON.stringify(provider)}: ${message}`,
      options,
    );
    this.provider = provider;
    this.status = options.status;
  }
}

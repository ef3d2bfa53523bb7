/**
 * Messages between the manager thread and the search worker (search-worker.ts). One MessagePort, FIFO in
 * both directions: a `search` posted after an `add` is evaluated after that add (read-your-writes).
 * One worker per process serves the indexes of every manager in it; `inst` says which one.
 */
import { FFError, FFValidationError, type ValidationIssue } from '@ffdb/core-types';

/** SearchIndex methods the worker serves (plus `addDocumentBytes`, which builds the item in the worker). */
export type WorkerMethod =
  | 'create'
  | 'add'
  | 'addDocumentBytes'
  | 'remove'
  | 'removeSession'
  | 'removeUser'
  | 'search'
  | 'positions'
  | 'flush'
  | 'clear'
  | 'stats'
  | 'idle'
  | 'close';

/**
 * Storage operations the worker's index may ask the manager thread to run. `lock` takes the storage's
 * `withLock` on a key and answers a token once held; `unlock` (with that token) releases it.
 */
export type StorageOp = 'read' | 'write' | 'list' | 'delete' | 'exists' | 'stat' | 'lock' | 'unlock';

/** What the worker needs to build one LunrSearchIndex (everything but the ports, which it proxies). */
export interface IndexInit {
  indexOptions: Record<string, unknown>;
  /** `createCompressor({ algorithm })` of @ffdb/compression in the worker; undefined = no compression. */
  compression?: string;
}

/** The worker's own start data. */
export interface WorkerInit {
  /** Import specifier of the search package (resolved from the worker file). */
  searchPackage: string;
}

export type ToWorker =
  | { t: 'call'; inst: number; id: number; method: WorkerMethod; args: unknown[] }
  | { t: 'io'; inst: number; id: number; ok: true; value: unknown }
  | { t: 'io'; inst: number; id: number; ok: false; error: SerializedError };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'init-failed'; error: SerializedError }
  | { t: 'result'; inst: number; id: number; ok: true; value: unknown }
  | { t: 'result'; inst: number; id: number; ok: false; error: SerializedError }
  | { t: 'io'; inst: number; id: number; op: StorageOp; args: unknown[] }
  | {
      t: 'log';
      inst: number;
      level: 'debug' | 'info' | 'warn' | 'error';
      obj: Record<string, unknown>;
      msg: string;
    };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  issues?: ValidationIssue[];
}

export function serializeError(error: unknown): SerializedError {
  const e = error as { name?: unknown; message?: unknown; code?: unknown; issues?: unknown };
  const out: SerializedError = {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
  if (typeof e?.code === 'string') out.code = e.code;
  if (Array.isArray(e?.issues)) out.issues = e.issues as ValidationIssue[];
  return out;
}

/** The typed ffdb error again (validation issues kept), so callers see what an in-thread index throws. */
export function deserializeError(s: SerializedError): Error {
  if (s.code === 'FF_VALIDATION' && s.issues) return new FFValidationError(s.issues);
  if (s.code?.startsWith('FF_')) {
    const err = new FFError(s.code as ConstructorParameters<typeof FFError>[0], s.message);
    if (s.issues) Object.assign(err, { issues: s.issues });
    return err;
  }
  const err = new Error(s.message);
  if (s.code) Object.assign(err, { code: s.code });
  return err;
}

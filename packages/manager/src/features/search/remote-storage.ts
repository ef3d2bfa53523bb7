/**
 * The part of the StorageBackend port the full-text index uses (read, write, list, delete, exists, stat),
 * served by the manager thread's StorageBackend: a store has one writer per process, and the worker must
 * not open a second one on the same files. Bytes are copied across (structured clone), never transferred:
 * the index may keep using its buffers, and a storage read may be a view into a shared pool.
 */
import type { BlobStat } from '@ffdb/core-types';
import { deserializeError, type FromWorker, type StorageOp, type ToWorker } from './worker-protocol.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class RemoteStorage {
  readonly id = 'remote';
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly inst: number,
    private readonly post: (m: FromWorker) => void,
  ) {}

  private call<T>(op: StorageOp, args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ t: 'io', inst: this.inst, id, op, args });
    });
  }

  /** A reply from the manager thread. */
  settle(m: Extract<ToWorker, { t: 'io' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(deserializeError(m.error));
  }

  read(key: string): Promise<Uint8Array | null> {
    return this.call('read', [key]);
  }

  write(key: string, data: Uint8Array): Promise<void> {
    return this.call('write', [key, data]);
  }

  list(prefix: string, options?: { recursive?: boolean }): Promise<string[]> {
    return this.call('list', options ? [prefix, options] : [prefix]);
  }

  delete(key: string): Promise<boolean> {
    return this.call('delete', [key]);
  }

  exists(key: string): Promise<boolean> {
    return this.call('exists', [key]);
  }

  stat(key: string): Promise<BlobStat | null> {
    return this.call('stat', [key]);
  }

  /**
   * The storage's lock on `key` (cross-process with storage-fs), held by the manager thread while `fn`
   * runs here: the index merges its manifest into the one on disk under it.
   */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const token = await this.call<number>('lock', [key]);
    try {
      return await fn();
    } finally {
      await this.call('unlock', [token]);
    }
  }
}

/**
 * The marker an import keeps in a session while it writes that session's records (`importing.json`).
 * It names its import (a random id) and that import's process, so that:
 * - a marker left by an import that stopped (its process is gone) is taken over and finished by the
 *   next import of the bundle, and `verify` reports it;
 * - a marker of an import still running (here or in another live process) is left alone: a second
 *   import of the same bundle then skips the session instead of writing it twice.
 * Checks and takeovers run under the marker's lock, so two imports never both claim one marker.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Core } from '../core.js';
import { readJson, writeJson } from '../json-blob.js';
import { keys } from '../keys.js';

interface Marker {
  importId: string;
  pid: number;
  host: string;
  startedAt: string;
}

/** Imports running in this process (a pid alone cannot tell two of them apart). */
const running = new Set<string>();

/** Whether the import that wrote `m` may still be running. Unsure (another host) counts as running. */
function mayBeRunning(m: Marker | null): boolean {
  if (!m || typeof m.pid !== 'number' || typeof m.importId !== 'string') return false;
  if (m.host !== os.hostname()) return true;
  if (m.pid === process.pid) return running.has(m.importId);
  try {
    process.kill(m.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

export class ImportMarkers {
  readonly importId = randomBytes(8).toString('hex');

  constructor(private readonly core: Core) {}

  /** Marks this import as running (until `end`), so its markers are not taken over. */
  begin(): void {
    running.add(this.importId);
  }

  end(): void {
    running.delete(this.importId);
  }

  private read(userId: string, sessionId: string): Promise<Marker | null> {
    return readJson<Marker>(this.core, keys.importMarker(userId, sessionId));
  }

  private write(userId: string, sessionId: string): Promise<void> {
    return writeJson(this.core, keys.importMarker(userId, sessionId), {
      importId: this.importId,
      pid: process.pid,
      host: os.hostname(),
      startedAt: this.core.now(),
    } satisfies Marker);
  }

  private locked<T>(userId: string, sessionId: string, fn: () => Promise<T>): Promise<T> {
    return this.core.storage.withLock(keys.importMarker(userId, sessionId), fn);
  }

  /** Marks a session this import is about to create. */
  claimNew(userId: string, sessionId: string): Promise<void> {
    return this.locked(userId, sessionId, () => this.write(userId, sessionId));
  }

  /** Takes over the marker of an import that stopped: true when this import now owns it. */
  claimStopped(userId: string, sessionId: string): Promise<boolean> {
    return this.locked(userId, sessionId, async () => {
      if (!(await this.core.storage.exists(keys.importMarker(userId, sessionId)))) return false;
      if (mayBeRunning(await this.read(userId, sessionId))) return false;
      await this.write(userId, sessionId);
      return true;
    });
  }

  /** Removes the session's marker when this import still owns it. */
  release(userId: string, sessionId: string): Promise<void> {
    return this.locked(userId, sessionId, async () => {
      if ((await this.read(userId, sessionId))?.importId === this.importId)
        await this.core.storage.delete(keys.importMarker(userId, sessionId));
    });
  }

  /** Removes a marker whose import stopped (a session it cannot finish, such as a deleted one). */
  dropStopped(userId: string, sessionId: string): Promise<void> {
    return this.locked(userId, sessionId, async () => {
      const key = keys.importMarker(userId, sessionId);
      if ((await this.core.storage.exists(key)) && !mayBeRunning(await this.read(userId, sessionId)))
        await this.core.storage.delete(key);
    });
  }
}

/** Whether the session holds the marker of an import that stopped (verify's IMPORT_INCOMPLETE). */
export async function stoppedImport(core: Core, userId: string, sessionId: string): Promise<boolean> {
  const key = keys.importMarker(userId, sessionId);
  if (!(await core.storage.exists(key))) return false;
  return !mayBeRunning(await readJson<Marker>(core, key));
}

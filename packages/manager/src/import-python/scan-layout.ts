/**
 * Finds what an original data directory holds, in both layouts the reference describes:
 * `users/<u>/<session_id>/…` (newest) and `<base>/<u>/<session_id>/…` (older data, no `users/` level).
 * Only reads directory listings; the files are read by the importer.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export interface ScannedSession {
  sessionId: string;
  /** Absolute directory. */
  dir: string;
}

export interface ScannedUser {
  userId: string;
  dir: string;
  sessions: ScannedSession[];
  /** Directories under the user that are not sessions (backups, vector trees, …), relative to the root. */
  ignored: string[];
}

export interface ScannedStore {
  root: string;
  users: ScannedUser[];
  globalPersonaFiles: string[];
  panelDirs: string[];
  /** Top-level entries that are neither part of the layout nor an old-layout user. */
  unknown: string[];
}

const RESERVED_TOP = new Set(['users', 'personas_global', 'panel_sessions', 'system']);

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function listFiles(dir: string, ext: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(ext))
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A session directory holds session.json or messages.jsonl. */
export function isSessionDir(dir: string): boolean {
  return isFile(path.join(dir, 'session.json')) || isFile(path.join(dir, 'messages.jsonl'));
}

function scanUser(root: string, userId: string, dir: string): ScannedUser {
  const sessions: ScannedSession[] = [];
  const ignored: string[] = [];
  for (const name of listDirs(dir)) {
    if (name === 'personas') continue;
    const sub = path.join(dir, name);
    if (isSessionDir(sub) && !/\.backup_\d{8}_\d{6}$/.test(name))
      sessions.push({ sessionId: name, dir: sub });
    else ignored.push(path.relative(root, sub));
  }
  return { userId, dir, sessions, ignored };
}

export function scanPythonStore(root: string): ScannedStore {
  const users = new Map<string, ScannedUser>();
  const unknown: string[] = [];
  for (const userId of listDirs(path.join(root, 'users'))) {
    users.set(userId, scanUser(root, userId, path.join(root, 'users', userId)));
  }
  // Older layout: <base>/<user>/<session>/ — a top-level directory whose children are sessions.
  for (const name of listDirs(root)) {
    if (RESERVED_TOP.has(name)) continue;
    const dir = path.join(root, name);
    const scanned = scanUser(root, name, dir);
    const hasProfile = isFile(path.join(dir, 'profile.json'));
    if (scanned.sessions.length === 0 && !hasProfile) {
      unknown.push(name);
      continue;
    }
    const existing = users.get(name);
    if (existing) {
      const known = new Set(existing.sessions.map((s) => s.sessionId));
      existing.sessions.push(...scanned.sessions.filter((s) => !known.has(s.sessionId)));
    } else {
      users.set(name, scanned);
    }
  }
  const panelRoot = path.join(root, 'panel_sessions');
  return {
    root,
    users: [...users.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1)),
    globalPersonaFiles: listFiles(path.join(root, 'personas_global'), '.json'),
    panelDirs: listDirs(panelRoot).map((d) => path.join(panelRoot, d)),
    unknown,
  };
}

export { listFiles, isFile };

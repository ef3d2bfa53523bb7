/**
 * importFromPython: reads a data directory of the Python original (reference §2 and §4) and writes it
 * through the manager, keeping every id. Malformed lines and files are skipped and reported; nothing
 * in a report ever quotes file contents. Re-running on the same directory adds nothing twice.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  DOCUMENT_ID_PATTERN,
  FFError,
  FFValidationError,
  isValidUserId,
  MAX_KEY_SEGMENT_LENGTH,
  SAFE_ID_PATTERN,
} from '@ffdb/core-types';
import {
  type Json,
  type MappedMessage,
  type MappedPanelMessage,
  type TimeCtx,
  isObject,
  mapContext,
  mapDocument,
  mapInsight,
  mapMessage,
  mapPanel,
  mapPanelMessage,
  mapPersona,
  mapProfile,
  mapSession,
} from './map-records.js';
import { assertTimeZone } from './naive-time.js';
import { type PythonImportReport, ReportBuilder } from './report.js';
import { type ScannedSession, type ScannedUser, isFile, listFiles, scanPythonStore } from './scan-layout.js';
import type { ImportSink } from './sink.js';

export type { PythonImportReport, SkippedItem, PythonImportCounts } from './report.js';
export type { ImportSink } from './sink.js';
export { naiveToUtcIso } from './naive-time.js';
export { scanPythonStore } from './scan-layout.js';

export interface PythonImportProgress {
  done: number;
  total: number;
  /** What is being imported, e.g. `users/alice/chat_session_…`. */
  item: string;
}

export interface PythonImportOptions {
  /** IANA zone the original's naive timestamps are in; default: the importing process's zone. */
  timezone?: string;
  /** The same as `timezone` (the report's spelling); give one of them. */
  timeZone?: string;
  /** Rebuild the search index afterwards (default true). */
  rebuildIndex?: boolean;
  onProgress?: (p: PythonImportProgress) => void;
  /** Stops between items; what was imported so far stays consistent. */
  signal?: AbortSignal;
}

const MESSAGE_BATCH = 500;

type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

function readJson(file: string): ReadResult<unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, reason: `unreadable (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'malformed JSON' };
  }
}

/** Lines of a JSONL file, each parsed; blank lines are ignored, malformed ones reported by line number. */
function* readJsonl(
  file: string,
): Generator<{ line: number; value: unknown } | { line: number; error: string }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    try {
      yield { line: i + 1, value: parsePythonJson(raw) };
    } catch {
      yield { line: i + 1, error: 'malformed JSON line' };
    }
  }
}

function stem(file: string): string {
  return path.basename(file).replace(/\.json$/, '');
}

export class PythonImporter {
  private readonly report = new ReportBuilder();
  private readonly ctx: TimeCtx;
  private readonly userIds = new Set<string>();
  private done = 0;
  private total = 0;

  constructor(
    private readonly sink: ImportSink,
    private readonly root: string,
    private readonly opts: PythonImportOptions,
  ) {
    this.ctx = { timeZone: opts.timezone, fallback: new Date().toISOString() };
  }

  private rel(p: string): string {
    return path.relative(this.root, p).split(path.sep).join('/');
  }

  private tick(item: string): void {
    this.done++;
    this.opts.onProgress?.({ done: this.done, total: this.total, item });
  }

  private aborted(): boolean {
    return this.opts.signal?.aborted === true;
  }

  async run(): Promise<PythonImportReport> {
    const started = Date.now();
    const scan = scanPythonStore(this.root);
    this.total =
      scan.users.reduce((n, u) => n + 1 + u.sessions.length, 0) +
      scan.globalPersonaFiles.length +
      scan.panelDirs.length;
    for (const name of scan.unknown) this.report.skip(name, 'not part of the original layout');

    for (const file of scan.globalPersonaFiles) {
      if (this.aborted()) break;
      await this.importPersona(file, null);
      this.tick(this.rel(file));
    }
    for (const user of scan.users) {
      if (this.aborted()) break;
      await this.importUser(user);
    }
    for (const dir of scan.panelDirs) {
      if (this.aborted()) break;
      await this.importPanel(dir);
      this.tick(this.rel(dir));
    }
    let rebuilt = false;
    if (!this.aborted() && this.opts.rebuildIndex !== false) rebuilt = await this.sink.rebuildSearchIndex();
    return {
      source: this.root,
      timeZone: this.opts.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      userIds: [...this.userIds].sort(),
      imported: this.report.imported,
      existing: this.report.existing,
      skippedCount: this.report.skippedCount,
      skipped: this.report.skipped,
      searchIndexRebuilt: rebuilt,
      durationMs: Date.now() - started,
      ...(this.aborted() ? { aborted: true } : {}),
    };
  }

  private async importPersona(file: string, ownerId: string | null): Promise<void> {
    const read = readJson(file);
    if (!read.ok) return this.report.skip(this.rel(file), read.reason);
    const mapped = mapPersona(read.value, stem(file), ownerId, this.ctx);
    if (!mapped.ok) return this.report.skip(this.rel(file), mapped.reason);
    const id = String(mapped.value.personaId);
    if (!SAFE_ID_PATTERN.test(id))
      return this.report.skip(this.rel(file), 'persona id has invalid characters');
    if (await this.sink.personaExists(id, ownerId)) {
      this.report.existing.personas++;
      return;
    }
    await this.guard(file, async () => {
      await this.sink.putPersona(id, mapped.value, ownerId);
      this.report.imported.personas++;
    });
  }

  /** Runs a write; a validation error skips the item (reported), anything else aborts the import. */
  private async guard(file: string, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      if (FFError.isInstance(e) && e.code === 'FF_VALIDATION') {
        this.report.skip(this.rel(file), e.message);
        return false;
      }
      throw e;
    }
  }

  private async importUser(user: ScannedUser): Promise<void> {
    const userDir = user.dir;
    if (!isValidUserId(user.userId)) {
      this.report.skip(this.rel(userDir), 'user id is not a valid ffdb user id');
      this.done += 1 + user.sessions.length;
      return;
    }
    const profileFile = path.join(userDir, 'profile.json');
    if (!isFile(profileFile) && user.sessions.length === 0) {
      // e.g. the original's `users/default/sessions/<sid>/vectors/` tree: no user to import.
      this.report.skip(this.rel(userDir), 'no profile.json and no sessions (vector data is not imported)');
      this.done += 1;
      return;
    }
    this.userIds.add(user.userId);
    for (const ignored of user.ignored)
      this.report.skip(ignored, 'not a session directory (backup or vector data)');
    let profileRec: Json = {};
    if (isFile(profileFile)) {
      const read = readJson(profileFile);
      if (read.ok && isObject(read.value)) profileRec = read.value;
      else this.report.skip(this.rel(profileFile), read.ok ? 'not a JSON object' : read.reason);
    }
    if (await this.sink.userExists(user.userId)) {
      this.report.existing.users++;
    } else {
      const ok = await this.guard(profileFile, () =>
        this.sink.putProfile(mapProfile(profileRec, user.userId, this.ctx)),
      );
      if (!ok) {
        this.done += 1 + user.sessions.length;
        return;
      }
      this.report.imported.users++;
    }
    this.tick(this.rel(userDir));
    for (const file of listFiles(path.join(userDir, 'personas'), '.json'))
      await this.importPersona(file, user.userId);
    for (const session of user.sessions) {
      if (this.aborted()) return;
      await this.importSession(user.userId, session);
      this.tick(this.rel(session.dir));
    }
  }

  private readMessages<T extends MappedMessage>(
    file: string,
    map: (rec: unknown, ctx: TimeCtx) => { ok: true; value: T } | { ok: false; reason: string },
  ): T[] {
    const out: T[] = [];
    const seen = new Set<string>();
    for (const entry of readJsonl(file)) {
      const where = `${this.rel(file)}:${entry.line}`;
      if ('error' in entry) {
        this.report.skip(where, entry.error);
        continue;
      }
      const mapped = map(entry.value, this.ctx);
      if (!mapped.ok) {
        this.report.skip(where, mapped.reason);
        continue;
      }
      if (seen.has(mapped.value.messageId)) {
        this.report.skip(where, 'duplicate message id');
        continue;
      }
      seen.add(mapped.value.messageId);
      out.push(mapped.value);
    }
    return out;
  }

  private async importSession(userId: string, scanned: ScannedSession): Promise<void> {
    const { sessionId, dir } = scanned;
    if (!SAFE_ID_PATTERN.test(sessionId))
      return this.report.skip(this.rel(dir), 'session id has invalid characters');
    const metaFile = path.join(dir, 'session.json');
    let rec: Json = {};
    if (isFile(metaFile)) {
      const read = readJson(metaFile);
      if (read.ok && isObject(read.value)) rec = read.value;
      else this.report.skip(this.rel(metaFile), read.ok ? 'not a JSON object' : read.reason);
    }
    const messages = this.readMessages(path.join(dir, 'messages.jsonl'), mapMessage);
    const session = mapSession(rec, sessionId, userId, this.ctx);
    if (!isFile(metaFile) || rec.created_at === undefined) {
      // No usable session.json: the messages give the session's times.
      session.createdAt = messages[0]?.timestamp ?? session.createdAt;
      session.updatedAt = messages.at(-1)?.timestamp ?? session.updatedAt;
    }
    for (const f of listFiles(dir, '_messages.jsonl')) {
      this.report.skip(this.rel(f), 'per-persona copy of messages.jsonl (the messages are imported once)');
    }

    let known = new Set<string>();
    const existed = await this.sink.sessionExists(userId, sessionId);
    if (existed) {
      this.report.existing.sessions++;
      known = await this.sink.messageIds(userId, sessionId);
    } else {
      if (!(await this.guard(metaFile, () => this.sink.putSession(session)))) return;
      this.report.imported.sessions++;
    }
    const fresh = messages.filter((m) => !known.has(m.messageId) && this.acceptable(m, dir));
    this.report.existing.messages += messages.filter((m) => known.has(m.messageId)).length;
    for (let i = 0; i < fresh.length; i += MESSAGE_BATCH) {
      const batch = fresh.slice(i, i + MESSAGE_BATCH);
      await this.sink.appendMessages(userId, sessionId, batch);
      this.report.imported.messages += batch.length;
    }
    await this.importDocuments(userId, sessionId, dir);
    await this.importContext(userId, sessionId, dir, existed);
  }

  /** The sink's own message check (e.g. the size limit); a refused message is skipped and reported. */
  private acceptable(m: MappedMessage, dir: string): boolean {
    if (!this.sink.checkMessage) return true;
    try {
      this.sink.checkMessage(m);
      return true;
    } catch (e) {
      if (FFError.isInstance(e) && e.code === 'FF_VALIDATION') {
        this.report.skip(`${this.rel(path.join(dir, 'messages.jsonl'))}#${m.messageId}`, e.message);
        return false;
      }
      throw e;
    }
  }

  private async importDocuments(userId: string, sessionId: string, dir: string): Promise<void> {
    const docDir = path.join(dir, 'documents');
    const metaFile = path.join(docDir, 'metadata.json');
    if (!isFile(metaFile)) return;
    const read = readJson(metaFile);
    if (!read.ok || !isObject(read.value)) {
      return this.report.skip(this.rel(metaFile), read.ok ? 'not a JSON object' : read.reason);
    }
    for (const [docId, entry] of Object.entries(read.value)) {
      const where = `${this.rel(metaFile)}#${docId}`;
      // The rule every document id meets in ffdb (assertDocumentId): `<8 hex>_<name>` up to one file name
      // (255 characters), or a safe id. The original truncated names at 255, so its ids reach 264.
      const validId =
        (DOCUMENT_ID_PATTERN.test(docId) || SAFE_ID_PATTERN.test(docId)) && !docId.includes('..');
      if (!validId) {
        this.report.skip(
          where,
          docId.length > MAX_KEY_SEGMENT_LENGTH
            ? `document id has ${docId.length} characters, more than one file name holds (${MAX_KEY_SEGMENT_LENGTH})`
            : 'document id has invalid characters',
        );
        continue;
      }
      const mapped = mapDocument(docId, entry, this.ctx);
      if (!mapped.ok) {
        this.report.skip(where, mapped.reason);
        continue;
      }
      const bytesFile = path.join(docDir, path.basename(mapped.value.filename));
      const fallbackFile = path.join(docDir, docId);
      const file = isFile(bytesFile) ? bytesFile : isFile(fallbackFile) ? fallbackFile : null;
      if (!file) {
        this.report.skip(where, 'document bytes are missing');
        continue;
      }
      if (await this.sink.documentExists(userId, sessionId, docId)) {
        this.report.existing.documents++;
        continue;
      }
      const bytes = new Uint8Array(readFileSync(file));
      if (await this.guard(file, () => this.sink.putDocument(userId, sessionId, mapped.value, bytes))) {
        this.report.imported.documents++;
      }
    }
  }

  private async importContext(
    userId: string,
    sessionId: string,
    dir: string,
    existed: boolean,
  ): Promise<void> {
    const current = path.join(dir, 'situational_context.json');
    // A session imported before keeps its current context (it may have changed since).
    if (existed && isFile(current)) this.report.existing.contexts++;
    else if (isFile(current)) {
      const read = readJson(current);
      const mapped = read.ok ? mapContext(read.value, this.ctx) : read;
      if (!mapped.ok) this.report.skip(this.rel(current), mapped.reason);
      else if (await this.guard(current, () => this.sink.putContext(userId, sessionId, mapped.value))) {
        this.report.imported.contexts++;
      }
    }
    const historyFiles = listFiles(path.join(dir, 'context_history'), '.json');
    if (historyFiles.length === 0) return;
    const known = await this.sink.contextSnapshotIds(userId, sessionId);
    for (const file of historyFiles) {
      const id = stem(file);
      if (!SAFE_ID_PATTERN.test(id)) {
        this.report.skip(this.rel(file), 'snapshot id has invalid characters');
        continue;
      }
      if (known.has(id)) {
        this.report.existing.contextSnapshots++;
        continue;
      }
      const read = readJson(file);
      const mapped = read.ok ? mapContext(read.value, this.ctx) : read;
      if (!mapped.ok) {
        this.report.skip(this.rel(file), mapped.reason);
        continue;
      }
      if (await this.guard(file, () => this.sink.putContextSnapshot(userId, sessionId, id, mapped.value))) {
        this.report.imported.contextSnapshots++;
      }
    }
  }

  private async importPanel(dir: string): Promise<void> {
    const panelId = path.basename(dir);
    if (!SAFE_ID_PATTERN.test(panelId))
      return this.report.skip(this.rel(dir), 'panel id has invalid characters');
    const panelFile = path.join(dir, 'panel.json');
    const read = readJson(panelFile);
    const mapped = read.ok ? mapPanel(read.value, panelId, this.ctx) : read;
    if (!mapped.ok) return this.report.skip(this.rel(panelFile), mapped.reason);
    if (await this.sink.panelExists(panelId)) {
      this.report.existing.panels++;
    } else {
      const snapshots: Record<string, unknown>[] = [];
      for (const file of listFiles(path.join(dir, 'personas'), '.json')) {
        const snap = readJson(file);
        const persona = snap.ok ? mapPersona(snap.value, stem(file), null, this.ctx) : snap;
        if (persona.ok) snapshots.push(persona.value);
        else this.report.skip(this.rel(file), persona.reason);
      }
      if (!(await this.guard(panelFile, () => this.sink.putPanel(mapped.value, snapshots)))) return;
      this.report.imported.panels++;
    }
    const messages: MappedPanelMessage[] = this.readMessages(
      path.join(dir, 'messages.jsonl'),
      mapPanelMessage,
    );
    const knownMessages = await this.sink.panelMessageIds(panelId);
    const fresh = messages.filter((m) => !knownMessages.has(m.messageId));
    this.report.existing.panelMessages += messages.length - fresh.length;
    // One at a time: a message the store refuses is skipped and reported, the rest still arrive.
    const messagesFile = path.join(dir, 'messages.jsonl');
    for (const m of fresh) {
      if (await this.guard(messagesFile, () => this.sink.appendPanelMessages(panelId, [m]))) {
        this.report.imported.panelMessages++;
      }
    }
    const knownInsights = await this.sink.insightIds(panelId);
    for (const file of listFiles(path.join(dir, 'insights'), '.json')) {
      const r = readJson(file);
      const insight = r.ok ? mapInsight(r.value, stem(file), panelId, this.ctx) : r;
      if (!insight.ok) {
        this.report.skip(this.rel(file), insight.reason);
        continue;
      }
      if (knownInsights.has(insight.value.insightId)) {
        this.report.existing.panelInsights++;
        continue;
      }
      if (await this.guard(file, () => this.sink.putInsight(insight.value)))
        this.report.imported.panelInsights++;
    }
  }
}

const PYTHON_IMPORT_OPTIONS = ['timezone', 'timeZone', 'rebuildIndex', 'onProgress', 'signal'];

/**
 * The options, checked: a misspelt key is an error rather than silently ignored (a `timeZone` read as
 * nothing would convert every timestamp in the wrong zone); `timeZone` is taken for `timezone`.
 */
function pythonImportOptions(opts: unknown): PythonImportOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts))
    throw new FFValidationError('must be an options object', { path: 'opts' });
  const o = opts as PythonImportOptions;
  for (const key of Object.keys(o)) {
    if (!PYTHON_IMPORT_OPTIONS.includes(key))
      throw new FFValidationError(`is not an option; known: ${PYTHON_IMPORT_OPTIONS.join(', ')}`, {
        path: `opts.${key}`,
      });
  }
  if (o.timeZone !== undefined && o.timezone !== undefined && o.timeZone !== o.timezone)
    throw new FFValidationError('give timezone or timeZone, not both', { path: 'opts.timeZone' });
  const { timeZone, ...rest } = o;
  return timeZone !== undefined ? { ...rest, timezone: timeZone } : rest;
}

/**
 * Imports an original Python data directory into `sink`. FFStorageManager.importFromPython(dir, opts)
 * calls it with the sink of PythonImportService (service.ts); `ffdb import --from python DIR` goes
 * through that method.
 */
export async function importFromPython(
  sink: ImportSink,
  dir: string,
  opts: PythonImportOptions = {},
): Promise<PythonImportReport> {
  if (typeof dir !== 'string' || dir === '')
    throw new FFValidationError('must be a directory path', { path: 'dir' });
  opts = pythonImportOptions(opts);
  if (opts.timezone !== undefined) {
    try {
      assertTimeZone(opts.timezone);
    } catch {
      throw new FFValidationError('must be an IANA time zone name such as Europe/Berlin', {
        path: 'timezone',
      });
    }
  }
  const root = path.resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new FFValidationError('is not a readable directory', { path: 'dir' });
  return new PythonImporter(sink, root, opts).run();
}

/**
 * JSON.parse of a line Python's json.dumps wrote. With its defaults it writes NaN, Infinity and -Infinity
 * for such floats (a metadata logprob, say), which JSON.parse refuses; the original read them back. They
 * become null (JSON has no such numbers) instead of costing the whole line. Strings are left alone.
 */
export function parsePythonJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    if (!/NaN|Infinity/.test(raw)) throw error;
    let out = '';
    let inString = false;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as string;
      if (inString) {
        out += c;
        if (c === '\\') out += raw[++i] ?? '';
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') {
        inString = true;
        out += c;
        continue;
      }
      const token = /^(?:-?Infinity|NaN)/.exec(raw.slice(i, i + 9));
      if (token) {
        out += 'null';
        i += token[0].length - 1;
        continue;
      }
      out += c;
    }
    return JSON.parse(out);
  }
}

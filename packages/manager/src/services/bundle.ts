/**
 * Portable bundles (exportData / importData), format `ffdb-bundle` version 1 (docs/guide.md):
 *
 *   <dir>/manifest.json     { format: 'ffdb-bundle', version: 1, createdAt, counts, users }
 *   <dir>/records.jsonl     one record per line, in dependency order:
 *       { type: 'user', data: UserProfile }
 *       { type: 'session', userId, data: { sessionId, title, sessionType, createdAt, updatedAt, metadata } }
 *       { type: 'message', userId, sessionId, data: Message }              (chronological, without seq)
 *       { type: 'document', userId, sessionId, file, data: DocumentRecord } (bytes at <dir>/<file>)
 *       { type: 'vector_chunks', userId, sessionId, data: { id, metadata }[] } (a session's document
 *         chunks, at most 200 a record: text and provider, no vectors; the importer embeds them again)
 *       { type: 'context', userId, sessionId, data: SituationalContext }
 *       { type: 'context_snapshot', userId, sessionId, snapshotId, data: SituationalContext }
 *     then, with the personas feature installed (record types added within version 1: an importer that
 *     does not know them skips them):
 *       { type: 'persona', userId?, data: Persona }                       (global, or a user's own)
 *       { type: 'panel', data: Panel, personas: snapshot[] }              (oldest first, without its link)
 *       { type: 'panel_message', panelId, data: PanelMessage }            (in order, without seq)
 *       { type: 'panel_insight', panelId, data: PanelInsight }
 *       { type: 'panel_link', panelId, userId, sessionId }                (after the panel's messages)
 *   <dir>/documents/<userId>/<sessionId>/<documentId>   exact document bytes
 *
 * Everything is streamed: neither side holds a whole session or document in memory.
 *
 * Progress and cancellation (services/progress.ts): the units are users and sessions on export, and
 * records (messages in batches) on import. An abort stops at a session boundary — every exported or
 * imported session is complete — and resolves with the partial report marked `aborted: true`; an aborted
 * export still writes a manifest (with `complete: false`), so the partial bundle can be imported.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type DocumentRecord,
  FFValidationError,
  isValidUserId,
  type Message,
  MessageSchema,
  SAFE_ID_PATTERN,
  type SituationalContext,
  type UserProfile,
} from '@ffdb/core-types';
import { z } from 'zod';
import type { Core } from '../core.js';
import { pseudoFilesystemReason } from '../base-path-guard.js';
import type { PersonaFeature, VectorFeature } from '../features/types.js';
import { writeJson } from '../json-blob.js';
import { ImportMarkers } from './import-marker.js';
import { keys } from '../keys.js';
import { assertUserId, parseOptions } from '../validation.js';
import type { ContextService } from './context.js';
import type { DocumentService } from './documents.js';
import type { MessageService } from './messages.js';
import type { SessionService } from './sessions.js';
import type { StreamingService } from './streaming.js';
import { type LongRunningOptions, longRunningFields, ProgressTracker } from './progress.js';
import type { UserService } from './users.js';

export const BUNDLE_FORMAT = 'ffdb-bundle';
export const BUNDLE_VERSION = 1;

/**
 * A message of a bundle: MessageSchema, except that a streamed reply (`metadata.streamStatus` set) may
 * be empty. The store keeps a reply stopped before its first token, so its bundle must bring it back
 * (same id, same place in the session); a plain message still needs content.
 */
const BundleMessageSchema = MessageSchema.extend({ content: z.string() }).superRefine((m, ctx) => {
  if (m.content.trim().length === 0 && typeof m.metadata.streamStatus !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['content'], message: 'content cannot be empty' });
  }
});

/**
 * A reply exported while it was still being written can never be finished here (its writer lives in
 * the other store): it is stored as interrupted, as a reply idle past streaming.timeoutSeconds reads.
 */
function settledReply(m: Message): Message {
  if (m.metadata.streamStatus !== 'streaming') return m;
  return {
    ...m,
    metadata: {
      ...m.metadata,
      streamStatus: 'interrupted',
      streamReason: m.metadata.streamReason ?? 'imported while streaming',
    },
  };
}

export interface ExportOptions extends LongRunningOptions {
  /** Only these users (default: all). */
  userIds?: string[];
  /** Leave document bytes out (records are still written). */
  includeDocuments?: boolean;
}

export interface ImportOptions extends LongRunningOptions {
  /** Stop at the first bad record instead of skipping it. */
  strict?: boolean;
}

const ExportOpts = z.object({
  userIds: z.array(z.string()).optional(),
  includeDocuments: z.boolean().optional(),
  ...longRunningFields,
});
const ImportOpts = z.object({ strict: z.boolean().optional(), ...longRunningFields });

interface Deps {
  users: UserService;
  sessions: SessionService;
  messages: MessageService;
  documents: DocumentService;
  context: ContextService;
  streaming: StreamingService;
  /** The personas feature, when installed (personas and panels travel in the bundle too). */
  personas: () => PersonaFeature | null;
  /** The vectors feature, when installed (document chunks travel in the bundle too). */
  vectors: () => VectorFeature | null;
}

/** Why an import skips a session this store deleted (bundle and Python imports). */
export function deletedSessionMessage(userId: string, sessionId: string): string {
  return (
    `session ${sessionId} of user ${userId} was deleted in this store and is not restored ` +
    '(session ids are never reused; its records are skipped)'
  );
}

/** Document chunks per `vector_chunks` record. */
const CHUNKS_PER_RECORD = 200;

/** What a bundle holds, by record kind (the export's report, the manifest's counts, the import's report). */
function emptyCounts() {
  return {
    users: 0,
    sessions: 0,
    messages: 0,
    documents: 0,
    vectorChunks: 0,
    contexts: 0,
    contextSnapshots: 0,
    personas: 0,
    panels: 0,
    panelMessages: 0,
    panelInsights: 0,
  };
}

async function writeLine(out: fs.WriteStream, record: unknown): Promise<void> {
  if (!out.write(`${JSON.stringify(record)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
}

export class BundleService {
  constructor(
    private readonly core: Core,
    private readonly d: Deps,
  ) {}

  async exportData(dest: unknown, opts?: unknown): Promise<Record<string, unknown>> {
    if (typeof dest !== 'string' || dest.length === 0 || dest.includes('\0')) {
      throw new FFValidationError([{ path: 'dest', message: 'must be a directory path (no NUL character)' }]);
    }
    const o = parseOptions(ExportOpts, opts);
    const userIds = o.userIds
      ? o.userIds.map((u, i) => assertUserId(u, `opts.userIds.${i}`))
      : await this.d.users.list();
    // Never mix two bundles (or a bundle and other files): records.jsonl would be replaced but old
    // document files would stay beside it.
    const pseudo = await pseudoFilesystemReason(dest);
    if (pseudo)
      throw new FFValidationError([{ path: 'dest', message: `cannot hold a bundle: the path ${pseudo}` }]);
    let present: string[];
    try {
      await fs.promises.mkdir(dest, { recursive: true });
      present = await fs.promises.readdir(dest);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new FFValidationError([{ path: 'dest', message: `cannot be used as a directory (${code})` }]);
    }
    if (present.length > 0) {
      throw new FFValidationError([
        { path: 'dest', message: `must be an empty or new directory (it holds ${present.length} entries)` },
      ]);
    }
    const counts = emptyCounts();
    // Units: each user and each of its sessions (totals from the in-memory session index: cheap).
    let total = 0;
    for (const userId of userIds) total += 1 + (await this.core.index.count(userId));
    const progress = new ProgressTracker(o, total);
    const out = fs.createWriteStream(path.join(dest, 'records.jsonl'));
    const closed = new Promise<void>((resolve, reject) => {
      out.on('close', () => resolve());
      out.on('error', reject);
    });
    try {
      users: for (const userId of userIds) {
        if (progress.aborted) break;
        const profile = await this.d.users.get(userId);
        if (!profile) continue;
        await writeLine(out, { type: 'user', data: profile });
        counts.users++;
        const sessions = await this.d.sessions.list(userId, { order: 'oldest' });
        progress.tick(userId);
        for (const s of sessions) {
          if (progress.aborted) break users;
          const { messageCount: _c, userId: _u, ...session } = s;
          await writeLine(out, { type: 'session', userId, data: session });
          counts.sessions++;
          for await (const batch of this.d.streaming.streamMessages(userId, s.sessionId, {
            batchSize: 500,
          })) {
            for (const m of batch) {
              const { seq: _seq, ...message } = m;
              await writeLine(out, { type: 'message', userId, sessionId: s.sessionId, data: message });
              counts.messages++;
            }
          }
          for (const doc of await this.d.documents.list(userId, s.sessionId)) {
            const file = `documents/${userId}/${s.sessionId}/${doc.documentId}`;
            if (o.includeDocuments !== false) {
              const stream = await this.core.storage.readStream(
                keys.documentKey(userId, s.sessionId, doc.documentId),
              );
              if (!stream) continue;
              await fs.promises.mkdir(path.dirname(path.join(dest, file)), { recursive: true });
              await pipeline(Readable.from(stream), fs.createWriteStream(path.join(dest, file)));
            }
            await writeLine(out, { type: 'document', userId, sessionId: s.sessionId, file, data: doc });
            counts.documents++;
          }
          const chunks = (await this.d.vectors()?.exportChunks?.(userId, s.sessionId)) ?? [];
          for (let i = 0; i < chunks.length; i += CHUNKS_PER_RECORD) {
            const data = chunks.slice(i, i + CHUNKS_PER_RECORD);
            await writeLine(out, { type: 'vector_chunks', userId, sessionId: s.sessionId, data });
            counts.vectorChunks += data.length;
          }
          const ctx = await this.d.context.get(userId, s.sessionId);
          if (ctx) {
            await writeLine(out, { type: 'context', userId, sessionId: s.sessionId, data: ctx });
            counts.contexts++;
          }
          const history = await this.d.context.history(userId, s.sessionId);
          for (const h of history.reverse()) {
            const { snapshotId, ...context } = h;
            await writeLine(out, {
              type: 'context_snapshot',
              userId,
              sessionId: s.sessionId,
              snapshotId,
              data: context,
            });
            counts.contextSnapshots++;
          }
          progress.tick(`${userId}/${s.sessionId}`);
        }
      }
      const personas = this.d.personas();
      if (personas && !progress.aborted) {
        await this.exportPersonas(personas, o.userIds === undefined ? null : userIds, out, counts);
      }
    } finally {
      out.end();
      await closed;
    }
    const manifest = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      createdAt: this.core.now(),
      counts,
      users: userIds,
      complete: !progress.aborted,
      files: { records: 'records.jsonl', documents: 'documents/' },
    };
    await fs.promises.writeFile(path.join(dest, 'manifest.json'), JSON.stringify(manifest, null, 2));
    return { dest, ...counts, ...(progress.aborted ? { aborted: true } : {}) };
  }

  /**
   * Global personas (whole-store exports only), the exported users' own personas, and the panels (all of
   * them, or the exported users' ones) with their persona snapshots, messages and insights. A panel's link
   * to a session is written after its messages: restored earlier, the import would mirror each message
   * into that session a second time.
   */
  private async exportPersonas(
    personas: PersonaFeature,
    only: readonly string[] | null,
    out: fs.WriteStream,
    counts: { personas: number; panels: number; panelMessages: number; panelInsights: number },
  ): Promise<void> {
    if (only === null) {
      for (const persona of await personas.listPersonas()) {
        // Built-in personas (panel.defaultPersonas) come with the configuration, not the data.
        if (!persona.isGlobal || persona.metadata?.builtin === true) continue;
        await writeLine(out, { type: 'persona', data: persona });
        counts.personas++;
      }
    }
    const userIds = only ?? (await this.d.users.list());
    for (const userId of userIds) {
      for (const persona of await personas.listPersonas(userId)) {
        if (persona.isGlobal || persona.ownerId !== userId) continue;
        await writeLine(out, { type: 'persona', userId, data: persona });
        counts.personas++;
      }
    }
    const panels =
      only === null
        ? await personas.listPanels()
        : (await Promise.all(only.map((userId) => personas.listPanels({ userId })))).flat();
    // listPanels is newest first; restore them oldest first.
    for (const panel of panels.reverse()) {
      const { messageCount: _count, sessionId, ...meta } = panel;
      const snapshots = personas.getPanelPersonas ? await personas.getPanelPersonas(panel.panelId) : [];
      await writeLine(out, { type: 'panel', data: meta, personas: snapshots });
      counts.panels++;
      for (const m of await personas.getPanelMessages(panel.panelId)) {
        const {
          seq: _seq,
          threadDepth: _depth,
          panelId: _panel,
          ...message
        } = m as typeof m & {
          threadDepth?: number;
        };
        await writeLine(out, { type: 'panel_message', panelId: panel.panelId, data: message });
        counts.panelMessages++;
      }
      for (const insight of await personas.getPanelInsights(panel.panelId)) {
        await writeLine(out, { type: 'panel_insight', panelId: panel.panelId, data: insight });
        counts.panelInsights++;
      }
      if (sessionId !== undefined && panel.userId !== undefined) {
        await writeLine(out, { type: 'panel_link', panelId: panel.panelId, userId: panel.userId, sessionId });
      }
    }
  }

  async importData(src: unknown, opts?: unknown): Promise<Record<string, unknown> & { userIds: string[] }> {
    if (typeof src !== 'string' || src.length === 0 || src.includes('\0')) {
      throw new FFValidationError([{ path: 'src', message: 'must be a directory path (no NUL character)' }]);
    }
    const o = parseOptions(ImportOpts, opts);
    const manifestText = await fs.promises
      .readFile(path.join(src, 'manifest.json'), 'utf8')
      .catch(() => null);
    if (manifestText === null)
      throw new FFValidationError([{ path: 'src', message: 'has no manifest.json (not an ffdb bundle)' }]);
    let manifest: { format?: unknown; version?: unknown; counts?: Record<string, unknown> };
    try {
      manifest = JSON.parse(manifestText);
    } catch {
      throw new FFValidationError([{ path: 'src', message: 'manifest.json is not valid JSON' }]);
    }
    if (manifest.format !== BUNDLE_FORMAT)
      throw new FFValidationError([{ path: 'src', message: 'not an ffdb bundle' }]);
    if (typeof manifest.version !== 'number' || manifest.version > BUNDLE_VERSION) {
      throw new FFValidationError([
        {
          path: 'src',
          message: `bundle version ${String(manifest.version)} is newer than supported ${BUNDLE_VERSION}`,
          limit: BUNDLE_VERSION,
        },
      ]);
    }
    const recordsFile = path.join(src, 'records.jsonl');
    const recordsStat = await fs.promises.stat(recordsFile).catch(() => null);
    if (!recordsStat?.isFile())
      throw new FFValidationError([
        { path: 'src', message: 'has no records.jsonl (an incomplete ffdb bundle); nothing was imported' },
      ]);
    const counts = { ...emptyCounts(), skipped: 0, sessionsResumed: 0 };
    const livePanels = new Set<string>(); // panels created by this import (others are skipped)
    const personasFeature = (): PersonaFeature => {
      const p = this.d.personas();
      if (!p) throw new Error('personas and panels need @ffdb/personas installed');
      return p;
    };
    const issues: { line: number; message: string }[] = [];
    // Units: records (the manifest's counts give the total; messages are reported per batch).
    const total = Object.values(manifest.counts ?? {}).reduce<number>(
      (n, v) => n + (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0),
      0,
    );
    const progress = new ProgressTracker(o, total);
    let unreported = 0;
    const report = (item?: string) => {
      if (unreported > 0) progress.tick(item, unreported);
      unreported = 0;
    };
    let aborted = false;
    const userIds = new Set<string>();
    const liveSessions = new Set<string>(); // sessions created by this import (others are skipped)
    // A session's records are written under this import's marker, removed after its last record. A
    // session whose marker belongs to an import that stopped (a crash) is finished by this import,
    // skipping the messages and documents it already holds (services/import-marker.ts).
    const markers = new ImportMarkers(this.core);
    markers.begin();
    let current: { userId: string; sessionId: string } | null = null;
    const resumed = new Map<string, Set<string>>(); // live session -> ids of the messages it holds
    const finishSession = async () => {
      if (!current) return;
      await flush();
      await markers.release(current.userId, current.sessionId);
      current = null;
    };
    let pending: { userId: string; sessionId: string; messages: Message[] } | null = null;
    const flush = async () => {
      if (!pending || pending.messages.length === 0) return;
      const { userId, sessionId, messages } = pending;
      const res = await this.core.storage.append(
        keys.messagesLog(userId, sessionId),
        messages as unknown as Record<string, unknown>[],
      );
      await this.core.index.recordCount(userId, sessionId, res.firstSeq + messages.length);
      report(`${userId}/${sessionId}`);
      await this.core.hooks.emit(
        'onMessagesAdded',
        userId,
        sessionId,
        messages.map((m, i) => ({ ...m, seq: res.firstSeq + i })),
      );
      pending.messages = [];
    };
    const lines = readline.createInterface({
      input: fs.createReadStream(recordsFile),
      crlfDelay: Infinity,
    });
    let lineNo = 0;
    try {
      for await (const line of lines) {
        lineNo++;
        if (!line.trim()) continue;
        try {
          const rec = JSON.parse(line) as {
            type: string;
            userId?: string;
            sessionId?: string;
            data: any;
            file?: string;
            snapshotId?: string;
            panelId?: string;
            personas?: Record<string, unknown>[];
          };
          if (rec.type !== 'message') await flush();
          // A session's records end where the next user or session begins (or the file ends).
          if (rec.type === 'user' || rec.type === 'session') await finishSession();
          // Stop only where a new user or session begins: the sessions imported so far are complete.
          if ((rec.type === 'user' || rec.type === 'session') && progress.aborted) {
            aborted = true;
            break;
          }
          unreported++;
          if (rec.type !== 'message') report(rec.type);
          switch (rec.type) {
            case 'user': {
              const profile = rec.data as UserProfile;
              const userId = assertUserId(profile?.userId, 'user.userId');
              userIds.add(userId);
              if (!(await this.d.users.exists(userId))) {
                await writeJson(this.core, keys.profile(userId), profile);
                counts.users++;
              }
              break;
            }
            case 'session': {
              const userId = assertUserId(rec.userId);
              const s = rec.data;
              if (typeof s?.sessionId !== 'string' || !SAFE_ID_PATTERN.test(s.sessionId))
                throw new Error('bad session id');
              const key = `${userId}/${s.sessionId}`;
              const deleted = await this.core.index.wasDeleted(userId, s.sessionId);
              const fresh = !deleted && !(await this.d.sessions.exists(userId, s.sessionId));
              if (fresh) await markers.claimNew(userId, s.sessionId);
              const created = await this.d.sessions.createWithId(userId, {
                sessionId: s.sessionId,
                title: String(s.title ?? ''),
                sessionType: String(s.sessionType ?? 'chat'),
                createdAt: isoTime(s.createdAt) ?? this.core.now(),
                updatedAt: isoTime(s.updatedAt) ?? isoTime(s.createdAt) ?? this.core.now(),
                metadata: s.metadata ?? {},
              });
              userIds.add(userId);
              if (created) {
                liveSessions.add(key);
                current = { userId, sessionId: s.sessionId };
                counts.sessions++;
              } else if (!fresh && !deleted && (await markers.claimStopped(userId, s.sessionId))) {
                const held = await this.d.messages.getAll(userId, s.sessionId);
                resumed.set(key, new Set(held.map((m) => m.messageId)));
                liveSessions.add(key);
                current = { userId, sessionId: s.sessionId };
                counts.sessionsResumed++;
              } else {
                // Another import created it meanwhile (its own marker stays), or it was deleted here.
                if (fresh) await markers.release(userId, s.sessionId);
                if (deleted) await markers.dropStopped(userId, s.sessionId);
                counts.skipped++;
                // A session that exists is skipped quietly (importing twice adds nothing twice); one this
                // store deleted stays deleted (session ids are never reused), which the report says.
                if (deleted && issues.length < 100) {
                  issues.push({ line: lineNo, message: deletedSessionMessage(userId, s.sessionId) });
                }
              }
              break;
            }
            case 'message': {
              const userId = rec.userId!;
              const sessionId = rec.sessionId!;
              if (!liveSessions.has(`${userId}/${sessionId}`)) {
                counts.skipped++;
                break;
              }
              const m = settledReply(BundleMessageSchema.parse(rec.data));
              delete (m as { seq?: number }).seq;
              if (resumed.get(`${userId}/${sessionId}`)?.has(m.messageId)) break; // stored before the stop
              if (!pending || pending.userId !== userId || pending.sessionId !== sessionId) {
                await flush();
                pending = { userId, sessionId, messages: [] };
              }
              pending.messages.push(m);
              counts.messages++;
              if (pending.messages.length >= 500) await flush();
              break;
            }
            case 'document': {
              const userId = rec.userId!;
              const sessionId = rec.sessionId!;
              if (!liveSessions.has(`${userId}/${sessionId}`)) {
                counts.skipped++;
                break;
              }
              const doc = rec.data as DocumentRecord;
              if (
                typeof doc?.documentId !== 'string' ||
                doc.documentId.includes('/') ||
                doc.documentId.includes('..')
              ) {
                throw new Error('bad document id');
              }
              if (
                resumed.has(`${userId}/${sessionId}`) &&
                (await this.d.documents.info(userId, sessionId, doc.documentId))
              ) {
                break; // stored before the stop
              }
              const key = keys.documentKey(userId, sessionId, doc.documentId);
              const file = path.join(src, rec.file ?? `documents/${userId}/${sessionId}/${doc.documentId}`);
              const rel = path.relative(src, file);
              if (rel.startsWith('..') || path.isAbsolute(rel))
                throw new Error('document file outside the bundle');
              const exists = await fs.promises.stat(file).then(
                (st) => st.isFile(),
                () => false,
              );
              if (!exists) throw new Error('document file missing');
              await this.core.storage.writeStream(key, fs.createReadStream(file));
              await this.d.documents.putRecord(userId, sessionId, { ...doc, path: key });
              counts.documents++;
              break;
            }
            case 'vector_chunks': {
              const userId = rec.userId!;
              const sessionId = rec.sessionId!;
              // Progress counts chunks (the manifest's total does): this record was one of them.
              if (Array.isArray(rec.data)) unreported += Math.max(0, rec.data.length - 1);
              const vectors = this.d.vectors();
              if (!liveSessions.has(`${userId}/${sessionId}`) || !vectors?.importChunks) {
                counts.skipped++;
                break;
              }
              const chunks = await vectors.importChunks(userId, sessionId, rec.data);
              counts.vectorChunks += chunks.stored;
              for (const message of chunks.issues)
                if (issues.length < 100) issues.push({ line: lineNo, message });
              break;
            }
            case 'context': {
              const userId = rec.userId!;
              const sessionId = rec.sessionId!;
              if (!liveSessions.has(`${userId}/${sessionId}`)) {
                counts.skipped++;
                break;
              }
              await this.d.context.restoreCurrent(userId, sessionId, rec.data as SituationalContext);
              counts.contexts++;
              break;
            }
            case 'context_snapshot': {
              const userId = rec.userId!;
              const sessionId = rec.sessionId!;
              if (!liveSessions.has(`${userId}/${sessionId}`)) {
                counts.skipped++;
                break;
              }
              const id = await this.d.context.saveSnapshotWithId(userId, sessionId, rec.data, rec.snapshotId);
              if (id) counts.contextSnapshots++;
              else counts.skipped++;
              break;
            }
            case 'persona': {
              const p = personasFeature();
              const userId = rec.userId === undefined ? undefined : assertUserId(rec.userId);
              const personaId = rec.data?.personaId;
              if (typeof personaId !== 'string') throw new Error('bad persona id');
              // Stored in its scope: a built-in default of the same id is not "existing" (the bundle's
              // stored global persona replaced it where it came from, and replaces it here).
              const exists = (await p.getStoredPersona(personaId, userId)) !== null;
              if (exists) counts.skipped++;
              else {
                await p.restorePersona(rec.data, userId);
                counts.personas++;
              }
              break;
            }
            case 'panel': {
              const p = personasFeature();
              if (!p.restorePanel) throw new Error('the personas feature cannot restore panels');
              const panelId = rec.data?.panelId;
              if (typeof panelId !== 'string') throw new Error('bad panel id');
              // Without its session link: see exportPersonas (the link record follows the messages).
              const { sessionId: _link, ...panel } = rec.data as Record<string, unknown>;
              if (await p.restorePanel({ ...panel, messageCount: 0 }, rec.personas ?? [])) {
                livePanels.add(panelId);
                counts.panels++;
              } else counts.skipped++;
              break;
            }
            case 'panel_message':
            case 'panel_insight':
            case 'panel_link': {
              const panelId = rec.panelId;
              if (typeof panelId !== 'string' || !livePanels.has(panelId)) {
                counts.skipped++;
                break;
              }
              const p = personasFeature();
              if (rec.type === 'panel_message') {
                await p.addPanelMessage(panelId, rec.data, { restoring: true });
                counts.panelMessages++;
              } else if (rec.type === 'panel_insight') {
                await p.savePanelInsight(panelId, rec.data);
                counts.panelInsights++;
              } else {
                await p.linkPanelSession(panelId, assertUserId(rec.userId), String(rec.sessionId), {
                  keepUpdatedAt: true,
                });
              }
              break;
            }
            default:
              counts.skipped++;
          }
        } catch (error) {
          if (o.strict)
            throw new FFValidationError([
              { path: `records.jsonl:${lineNo}`, message: (error as Error).message },
            ]);
          counts.skipped++;
          if (issues.length < 100) issues.push({ line: lineNo, message: (error as Error).message });
        }
      }
      lines.close();
      await flush();
      // The last session is complete unless the import was stopped inside it (strict mode throws out).
      await finishSession();
    } finally {
      markers.end();
    }
    report();
    return {
      src,
      ...counts,
      issues,
      userIds: [...userIds].filter(isValidUserId),
      ...(aborted ? { aborted: true } : {}),
    };
  }
}

/**
 * A bundle's time as the store keeps it (`toISOString`, UTC with milliseconds), or undefined when it is
 * not a readable time: listings order sessions by comparing these strings.
 */
function isoTime(value: unknown): string | undefined {
  // Date.parse alone is lenient ("Session 5" reads as 2001-05-01): an ISO-8601 date-time first.
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * PythonImportService: the manager-side wiring of importFromPython. It implements the ImportSink with
 * the manager's internal services — the same primitives `importData` uses to keep every id and
 * timestamp (profile blobs, `createWithId`, raw log appends, document records, snapshots with ids) —
 * and the personas feature for personas and panels. Derived data (search index, vectors) is rebuilt by
 * the manager's `onBulkImport` hooks for the returned `userIds`.
 *
 * Wiring in manager.ts: `new PythonImportService(core, { users, sessions, messages, documents, context })`
 * and `importDir(dir, opts, personasFeature)`.
 */
import {
  type DocumentRecord,
  FFValidationError,
  type Message,
  type SituationalContext,
} from '@ffdb/core-types';
import type { Core } from '../core.js';
import type { PersonaFeature } from '../features/types.js';
import { writeJson } from '../json-blob.js';
import { deletedSessionMessage } from '../services/bundle.js';
import { keys } from '../keys.js';
import type { ContextService } from '../services/context.js';
import type { DocumentService } from '../services/documents.js';
import type { MessageService } from '../services/messages.js';
import type { SessionService } from '../services/sessions.js';
import type { UserService } from '../services/users.js';
import { type PythonImportOptions, importFromPython } from './index.js';
import type { PythonImportReport } from './report.js';
import type { ImportSink } from './sink.js';

interface Deps {
  users: UserService;
  sessions: SessionService;
  messages: MessageService;
  documents: DocumentService;
  context: ContextService;
}

type Rec = Record<string, unknown>;

function needPersonas(p: PersonaFeature | undefined): PersonaFeature {
  if (!p)
    throw new FFValidationError('personas and panels need @ffdb/personas installed', { path: 'personas' });
  return p;
}

export class PythonImportService {
  constructor(
    private readonly core: Core,
    private readonly d: Deps,
  ) {}

  async importDir(
    dir: unknown,
    opts?: PythonImportOptions,
    personas?: PersonaFeature,
  ): Promise<PythonImportReport> {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts)))
      throw new FFValidationError('must be an options object', { path: 'opts' });
    return importFromPython(this.sink(personas), dir as string, { ...opts, rebuildIndex: true });
  }

  private sink(personas: PersonaFeature | undefined): ImportSink {
    const { core, d } = this;
    return {
      userExists: (u) => d.users.exists(u),
      putProfile: async (profile) => {
        // Written whole so createdAt/updatedAt of the original survive (create/store would reset them).
        await writeJson(core, keys.profile(profile.userId), profile);
      },
      sessionExists: (u, s) => d.sessions.exists(u, s),
      putSession: async (s) => {
        const created = await d.sessions.createWithId(s.userId, {
          sessionId: s.sessionId,
          title: s.title,
          sessionType: s.sessionType,
          createdAt: s.createdAt,
          updatedAt: s.updatedAt,
          metadata: s.metadata,
        });
        if (!created) {
          const message = (await core.index.wasDeleted(s.userId, s.sessionId))
            ? deletedSessionMessage(s.userId, s.sessionId)
            : 'session already exists';
          throw new FFValidationError(message, { path: 'sessionId' });
        }
      },
      messageIds: async (u, s) => new Set((await d.messages.getAll(u, s)).map((m) => m.messageId)),
      checkMessage: (m) => {
        d.messages.prepare(m, 'message', false);
      },
      appendMessages: async (u, s, messages) => {
        const prepared: Message[] = messages.map((m) => d.messages.prepare(m, 'message', false));
        // A raw append: the session's updatedAt stays the original's instead of becoming "now".
        const res = await core.storage.append(keys.messagesLog(u, s), prepared as unknown as Rec[]);
        await core.index.recordCount(u, s, res.firstSeq + prepared.length);
        await core.hooks.emit(
          'onMessagesAdded',
          u,
          s,
          prepared.map((m, i) => ({ ...m, seq: res.firstSeq + i })),
        );
      },
      documentExists: async (u, s, id) => (await d.documents.info(u, s, id)) !== null,
      putDocument: async (u, s, doc, bytes) => {
        const key = keys.documentKey(u, s, doc.documentId);
        await core.storage.write(key, bytes);
        const record: DocumentRecord = {
          documentId: doc.documentId,
          filename: doc.filename,
          originalName: doc.originalName,
          path: key,
          mimeType: doc.mimeType,
          size: bytes.byteLength,
          uploadedAt: doc.uploadedAt,
          uploadedBy: doc.uploadedBy,
          analysis: doc.analysis,
          metadata: doc.metadata,
        };
        await d.documents.putRecord(u, s, record);
      },
      putContext: async (u, s, ctx) => {
        await d.context.restoreCurrent(u, s, ctx satisfies SituationalContext);
      },
      contextSnapshotIds: async (u, s) => new Set((await d.context.history(u, s)).map((c) => c.snapshotId)),
      putContextSnapshot: async (u, s, id, ctx) => {
        const saved = await d.context.saveSnapshotWithId(u, s, ctx, id);
        if (saved === null) throw new FFValidationError('snapshot already exists', { path: 'snapshotId' });
      },
      // Stored in that scope: a built-in default of the same id (the original's own analyst, creative,
      // pragmatist) does not count, so the original's stored persona replaces it as it did there.
      personaExists: async (id, u) =>
        personas ? (await personas.getStoredPersona(id, u ?? undefined)) !== null : false,
      putPersona: async (id, data, u) => {
        // restorePersona keeps the original's createdAt/updatedAt (savePersona would stamp "now").
        await needPersonas(personas).restorePersona({ ...data, personaId: id }, u ?? undefined);
      },
      panelExists: async (id) => (personas ? (await personas.getPanel(id)) !== null : false),
      putPanel: async (panel, snapshots) => {
        const p = needPersonas(personas) as PersonaFeature & {
          restorePanel?: (panel: Rec, snapshots?: Rec[]) => Promise<unknown>;
        };
        if (p.restorePanel) {
          await p.restorePanel({ ...panel, messageCount: 0 }, snapshots);
          return;
        }
        const id = await p.createPanel(panel.type, panel.personas, {
          ...panel.config,
          panelId: panel.panelId,
        });
        if (id !== panel.panelId) {
          throw new FFValidationError('the personas feature cannot create a panel with a given id', {
            path: 'panelId',
          });
        }
      },
      panelMessageIds: async (id) =>
        personas
          ? new Set(
              (await personas.getPanelMessages(id, { limit: Number.MAX_SAFE_INTEGER })).map(
                (m) => m.messageId,
              ),
            )
          : new Set(),
      appendPanelMessages: async (id, messages) => {
        const p = needPersonas(personas);
        // Restoring: the original enforced no thread depth or message count, so neither may refuse here.
        for (const m of messages) await p.addPanelMessage(id, { ...m, panelId: id }, { restoring: true });
      },
      insightIds: async (id) =>
        personas ? new Set((await personas.getPanelInsights(id)).map((i) => i.insightId)) : new Set(),
      putInsight: async (insight) => {
        await needPersonas(personas).savePanelInsight(insight.panelId, { ...insight });
      },
      // The manager's onBulkImport hooks rebuild the index for the touched users.
      rebuildSearchIndex: async () => core.hooks.has('onBulkImport'),
    };
  }
}

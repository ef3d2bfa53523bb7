/**
 * The ImportSink over FFStorageManager's methods. Ids and timestamps are kept: sessions, documents,
 * context snapshots and panels go through the manager's restore entry points (the ones `importData`
 * uses to keep every id); messages, personas, panel messages and insights carry their ids in the
 * public inputs.
 */
import type { ImportSink } from './sink.js';

type Rec = Record<string, unknown>;

/** The part of FFStorageManager the importer uses. Methods marked optional belong to optional features. */
export interface ImportManager {
  userExists(userId: string): Promise<boolean>;
  storeUserProfile(profile: Rec): Promise<boolean>;
  getSession(userId: string, sessionId: string): Promise<unknown | null>;
  createSession(userId: string, title?: string, opts?: Rec): Promise<string>;
  getAllMessages(userId: string, sessionId: string): Promise<{ messageId: string }[]>;
  addMessages(userId: string, sessionId: string, messages: Rec[]): Promise<unknown[]>;
  getDocumentInfo(userId: string, sessionId: string, documentId: string): Promise<unknown | null>;
  storeDocument(userId: string, sessionId: string, doc: Rec): Promise<string>;
  updateContext(userId: string, sessionId: string, ctx: Rec): Promise<boolean>;
  getContextHistory(userId: string, sessionId: string, limit?: number): Promise<unknown[]>;
  saveContextSnapshot(userId: string, sessionId: string, ctx: Rec, opts?: Rec): Promise<unknown>;
  getPersona?(personaId: string, userId?: string): Promise<unknown | null>;
  savePersona?(personaId: string, data: Rec, userId?: string): Promise<boolean>;
  getPanel?(panelId: string): Promise<unknown | null>;
  createPanel?(panelType: string, personaIds: string[], config?: Rec): Promise<string>;
  getPanelMessages?(panelId: string, opts?: Rec): Promise<{ messageId: string }[]>;
  addPanelMessage?(panelId: string, message: Rec): Promise<unknown>;
  getPanelInsights?(panelId: string): Promise<{ insightId: string }[]>;
  savePanelInsight?(panelId: string, insight: Rec): Promise<unknown>;
  rebuildSearchIndex?(userId?: string): Promise<unknown>;
  /** Restore entry points (keep ids and timestamps), when the manager has them. */
  restoreSession?(session: Rec): Promise<unknown>;
  restoreDocument?(userId: string, sessionId: string, record: Rec, bytes: Uint8Array): Promise<unknown>;
  restoreContextSnapshot?(userId: string, sessionId: string, snapshotId: string, ctx: Rec): Promise<unknown>;
  restorePanel?(panel: Rec, snapshots?: Rec[]): Promise<unknown>;
}

function idsOf(list: unknown[], key: string): Set<string> {
  const out = new Set<string>();
  for (const item of list) {
    const obj = item as Rec;
    const direct = obj[key];
    if (typeof direct === 'string') out.add(direct);
  }
  return out;
}

function missing(feature: string): never {
  throw new Error(`importFromPython: the manager has no ${feature}`);
}

export function sinkFromManager(m: ImportManager): ImportSink {
  return {
    userExists: (u) => m.userExists(u),
    putProfile: async (profile) => {
      await m.storeUserProfile(profile);
    },
    sessionExists: async (u, s) => (await m.getSession(u, s)) !== null,
    putSession: async (session) => {
      const { recordedMessageCount: _ignored, ...rest } = session;
      if (m.restoreSession) {
        await m.restoreSession({ ...rest, messageCount: 0 });
        return;
      }
      const id = await m.createSession(session.userId, session.title, {
        sessionType: session.sessionType,
        metadata: session.metadata,
        sessionId: session.sessionId,
        createdAt: session.createdAt,
      });
      if (id !== session.sessionId) missing('way to create a session with a given id (restoreSession)');
    },
    messageIds: async (u, s) => idsOf(await m.getAllMessages(u, s), 'messageId'),
    appendMessages: async (u, s, messages) => {
      await m.addMessages(u, s, messages as unknown as Rec[]);
    },
    documentExists: async (u, s, d) => (await m.getDocumentInfo(u, s, d)) !== null,
    putDocument: async (u, s, doc, bytes) => {
      // The record's `path` is where the manager puts the bytes; the original's path is not kept.
      const { originalPath: _path, recordedSize: _size, ...rest } = doc;
      if (m.restoreDocument) {
        await m.restoreDocument(u, s, { ...rest, size: bytes.byteLength }, bytes);
        return;
      }
      missing('way to store a document with a given id (restoreDocument)');
    },
    putContext: async (u, s, ctx) => {
      await m.updateContext(u, s, ctx as unknown as Rec);
    },
    contextSnapshotIds: async (u, s) =>
      idsOf(await m.getContextHistory(u, s, Number.MAX_SAFE_INTEGER), 'snapshotId'),
    putContextSnapshot: async (u, s, id, ctx) => {
      if (m.restoreContextSnapshot) {
        await m.restoreContextSnapshot(u, s, id, ctx as unknown as Rec);
        return;
      }
      await m.saveContextSnapshot(u, s, ctx as unknown as Rec, { snapshotId: id });
    },
    personaExists: async (id, u) => {
      if (!m.getPersona) return false;
      const found = (await m.getPersona(id, u ?? undefined)) as Rec | null;
      // getPersona falls back to the global persona; a user persona exists only if it is the user's.
      return found !== null && (u === null || found.ownerId === u);
    },
    putPersona: async (id, data, u) => {
      if (!m.savePersona) missing('personas feature (@ffdb/personas)');
      await m.savePersona(id, data, u ?? undefined);
    },
    panelExists: async (id) => (m.getPanel ? (await m.getPanel(id)) !== null : false),
    putPanel: async (panel, snapshots) => {
      if (m.restorePanel) {
        await m.restorePanel({ ...panel, messageCount: 0 }, snapshots);
        return;
      }
      if (!m.createPanel) missing('personas feature (@ffdb/personas)');
      const id = await m.createPanel(panel.type, panel.personas, {
        ...panel.config,
        panelId: panel.panelId,
        createdAt: panel.createdAt,
        metadata: panel.metadata,
      });
      if (id !== panel.panelId) missing('way to create a panel with a given id (restorePanel)');
    },
    panelMessageIds: async (id) =>
      m.getPanelMessages
        ? idsOf(await m.getPanelMessages(id, { limit: Number.MAX_SAFE_INTEGER }), 'messageId')
        : new Set(),
    appendPanelMessages: async (id, messages) => {
      if (!m.addPanelMessage) missing('personas feature (@ffdb/personas)');
      for (const msg of messages) await m.addPanelMessage(id, { ...msg, panelId: id });
    },
    insightIds: async (id) =>
      m.getPanelInsights ? idsOf(await m.getPanelInsights(id), 'insightId') : new Set(),
    putInsight: async (insight) => {
      if (!m.savePanelInsight) missing('personas feature (@ffdb/personas)');
      await m.savePanelInsight(insight.panelId, insight as unknown as Rec);
    },
    rebuildSearchIndex: async () => {
      if (!m.rebuildSearchIndex) return false;
      try {
        await m.rebuildSearchIndex();
        return true;
      } catch (e) {
        // No search package installed: the import itself is complete.
        if ((e as { code?: string }).code === 'FF_PACKAGE_MISSING') return false;
        throw e;
      }
    },
  };
}

/**
 * Where imported records go. The importer only talks to this interface; `service.ts` implements it
 * with the manager's internal services (which keep ids and timestamps), so the reading side stays
 * independent of storage.
 */
import type {
  MappedContext,
  MappedDocument,
  MappedInsight,
  MappedMessage,
  MappedPanel,
  MappedPanelMessage,
  MappedProfile,
  MappedSession,
} from './map-records.js';

export interface ImportSink {
  userExists(userId: string): Promise<boolean>;
  putProfile(profile: MappedProfile): Promise<void>;
  sessionExists(userId: string, sessionId: string): Promise<boolean>;
  /** Creates the session with its id and timestamps. */
  putSession(session: MappedSession): Promise<void>;
  messageIds(userId: string, sessionId: string): Promise<Set<string>>;
  /** Throws FFValidationError when the store would refuse this message (size limits, …). */
  checkMessage?(message: MappedMessage): void;
  /** Appends in order, keeping ids and timestamps. */
  appendMessages(userId: string, sessionId: string, messages: MappedMessage[]): Promise<void>;
  documentExists(userId: string, sessionId: string, documentId: string): Promise<boolean>;
  putDocument(userId: string, sessionId: string, doc: MappedDocument, bytes: Uint8Array): Promise<void>;
  putContext(userId: string, sessionId: string, context: MappedContext): Promise<void>;
  contextSnapshotIds(userId: string, sessionId: string): Promise<Set<string>>;
  putContextSnapshot(
    userId: string,
    sessionId: string,
    snapshotId: string,
    context: MappedContext,
  ): Promise<void>;
  personaExists(personaId: string, userId: string | null): Promise<boolean>;
  putPersona(personaId: string, data: Record<string, unknown>, userId: string | null): Promise<void>;
  panelExists(panelId: string): Promise<boolean>;
  /** Creates the panel with its id; `snapshots` are the persona files found under the panel. */
  putPanel(panel: MappedPanel, snapshots: Record<string, unknown>[]): Promise<void>;
  panelMessageIds(panelId: string): Promise<Set<string>>;
  appendPanelMessages(panelId: string, messages: MappedPanelMessage[]): Promise<void>;
  insightIds(panelId: string): Promise<Set<string>>;
  putInsight(insight: MappedInsight): Promise<void>;
  /** Rebuilds the search index; false when no search package is installed. */
  rebuildSearchIndex(): Promise<boolean>;
}

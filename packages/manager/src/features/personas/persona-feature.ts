import type { Panel, PanelInsight, PanelStats, Persona } from '@ffdb/core-types';
import type * as PersonasPkg from '@ffdb/personas';
import type { FeatureContext, PersonaFeature } from '../types.js';

type Services = ReturnType<typeof PersonasPkg.createPersonaServices>;
type StoredPanelMessage = PersonasPkg.StoredPanelMessage;

/** What this folder needs from the search feature (structural: search is optional). */
interface PanelIndexer {
  indexPanelMessages(
    userId: string,
    panelId: string,
    messages: readonly {
      messageId: string;
      content: string;
      timestamp: string;
      role?: string;
      personaId?: string;
      metadata?: Record<string, unknown>;
      /** Position in the panel's message log (lets the indexer tell what it has seen). */
      seq?: number;
    }[],
  ): Promise<void>;
  removePanel?(userId: string, panelId: string): Promise<void>;
}

function isIndexer(value: unknown): value is PanelIndexer {
  return typeof (value as { indexPanelMessages?: unknown } | null)?.indexPanelMessages === 'function';
}

/**
 * The manager's persona/panel feature: @ffdb/personas services over the manager's storage, clock and
 * logger. Messages of a panel that belongs to a user are indexed by the search feature (type
 * `panel_message`) so they show in that user's search results (advancedSearch with
 * `includePanelMessages`, searchPanelMessages); messages of a panel linked to a user's session are
 * mirrored into that session through `ctx.addMessages`, so both views show them.
 */
export class PersonaPanelFeature implements PersonaFeature {
  private readonly services: Services;

  constructor(
    private readonly ctx: FeatureContext,
    pkg: typeof PersonasPkg,
  ) {
    this.services = pkg.createPersonaServices({
      storage: ctx.storage,
      config: ctx.config,
      clock: ctx.clock,
      logger: ctx.logger,
      lockTimeoutMs: ctx.config.locking.timeoutSeconds * 1000,
      onMessageStored: (panel, message) => this.afterMessage(panel, message),
    });
  }

  private async indexer(): Promise<PanelIndexer | null> {
    const search = await this.ctx.getFeature('search');
    return isIndexer(search) ? search : null;
  }

  private async afterMessage(panel: Panel, m: StoredPanelMessage): Promise<void> {
    if (panel.userId === undefined) return;
    const indexer = await this.indexer();
    try {
      await indexer?.indexPanelMessages(panel.userId, panel.panelId, [
        {
          messageId: m.messageId,
          content: m.content,
          timestamp: m.timestamp,
          role: m.role,
          personaId: m.personaId,
          metadata: m.metadata,
          seq: m.seq,
        },
      ]);
    } catch (error) {
      // Derived data (rebuilt by onBulkImport/reindex): it must not keep the message from its session.
      this.ctx.logger.warn(
        { panelId: panel.panelId, err: (error as Error)?.name },
        'indexing a panel message failed',
      );
    }
    if (panel.sessionId !== undefined) {
      await this.ctx.addMessages(panel.userId, panel.sessionId, [
        {
          role: m.personaId,
          content: m.content,
          timestamp: m.timestamp,
          metadata: {
            ...m.metadata,
            panelId: panel.panelId,
            panelMessageId: m.messageId,
            personaId: m.personaId,
          },
        },
      ]);
    }
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  // ---- personas ----
  savePersona(personaId: string, data: Record<string, unknown>, userId?: string): Promise<boolean> {
    return this.services.personas.savePersona(personaId, data, userId);
  }
  restorePersona(persona: Record<string, unknown>, userId?: string): Promise<boolean> {
    return this.services.personas.restorePersona(persona, userId);
  }
  createPersona(persona: Record<string, unknown>): Promise<boolean> {
    return this.services.personas.createPersona(persona);
  }
  getPersona(personaId: string, userId?: string): Promise<Persona | null> {
    return this.services.personas.getPersona(personaId, userId);
  }

  getStoredPersona(personaId: string, userId?: string): Promise<Persona | null> {
    return this.services.personas.getStoredPersona(personaId, userId);
  }
  listPersonas(userId?: string): Promise<Persona[]> {
    return this.services.personas.listPersonas(userId);
  }
  deletePersona(personaId: string, userId?: string): Promise<boolean> {
    return this.services.personas.deletePersona(personaId, userId);
  }

  // ---- panels ----
  createPanel(panelType: string, personaIds: string[], config?: Record<string, unknown>): Promise<string> {
    return this.services.panels.createPanel(panelType, personaIds, config);
  }
  getPanel(panelId: string): Promise<Panel | null> {
    return this.services.panels.getPanel(panelId);
  }
  listPanels(opts?: Record<string, unknown>): Promise<Panel[]> {
    return this.services.panels.listPanels(opts);
  }
  addPanelMessage(
    panelId: string,
    message: Record<string, unknown>,
    opts?: { restoring?: boolean },
  ): Promise<false | StoredPanelMessage> {
    return this.services.panels.addPanelMessage(panelId, message as PersonasPkg.AddPanelMessageInput, opts);
  }
  getPanelMessages(
    panelId: string,
    opts?: { limit?: number; offset?: number; personaId?: string },
  ): Promise<StoredPanelMessage[]> {
    return this.services.panels.getPanelMessages(panelId, opts);
  }
  savePanelInsight(panelId: string, insight: Record<string, unknown>): Promise<string | false> {
    return this.services.panels.savePanelInsight(panelId, insight);
  }
  getPanelInsights(panelId: string, opts?: { type?: string }): Promise<PanelInsight[]> {
    return this.services.panels.getPanelInsights(panelId, opts);
  }
  getPanelStats(panelId: string): Promise<PanelStats | null> {
    return this.services.panels.getPanelStats(panelId);
  }
  /** Used by importData / importFromPython to keep panel ids. */
  restorePanel(panel: Record<string, unknown>, snapshots?: Record<string, unknown>[]): Promise<boolean> {
    return this.services.panels.restorePanel(panel, snapshots);
  }
  getPanelPersonas(panelId: string): Promise<Record<string, unknown>[]> {
    return this.services.panels.getPanelPersonas(panelId);
  }
  linkPanelSession(
    panelId: string,
    userId: string,
    sessionId: string,
    opts?: { keepUpdatedAt?: boolean },
  ): Promise<boolean> {
    return this.services.panels.linkSession(panelId, userId, sessionId, opts);
  }
  deletePanel(panelId: string): Promise<boolean> {
    return this.services.panels.deletePanel(panelId);
  }

  // ---- hooks ----
  /** A user's panels go with the user (their personas live under the user's tree already). */
  async onUserDeleted(userId: string): Promise<void> {
    for (const panel of await this.services.panels.listPanels({ userId }))
      await this.services.panels.deletePanel(panel.panelId);
  }

  /** A deleted session never shows up again: panels linked to it lose the link (they stay the user's). */
  async onSessionDeleted(userId: string, sessionId: string): Promise<void> {
    for (const panel of await this.services.panels.findPanelsForSession(userId, sessionId)) {
      await this.services.panels.unlinkSession(panel.panelId);
    }
  }

  /**
   * A user's panels and the length of each one's message log: the search feature indexes what it has
   * not seen of them (messages another process added, or all of them after a rebuild or an import).
   */
  async panelMessageCounts(userId: string): Promise<Map<string, number>> {
    const panels = await this.services.panels.listPanels({ userId });
    return new Map(
      panels.map((p) => [p.panelId, (p as Panel & { messageCount?: number }).messageCount ?? 0]),
    );
  }

  /** A panel's messages from `fromSeq` on, with their seq. */
  panelMessagesFrom(panelId: string, fromSeq: number): Promise<StoredPanelMessage[]> {
    return this.services.panels.getPanelMessages(panelId, { offset: fromSeq });
  }

  async stats(): Promise<Record<string, unknown>> {
    const panels = await this.services.panels.listPanels();
    return { panels: panels.length, personas: (await this.services.personas.listPersonas()).length };
  }
}

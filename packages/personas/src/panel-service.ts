import {
  assertSafeId,
  assertUserId,
  createMessage,
  FFValidationError,
  generateInsightId,
  generatePanelId,
  issuesFromZod,
  type Panel,
  type PanelInsight,
  PanelInsightSchema,
  PanelSchema,
  type PanelStats,
  refineJson,
  UtcTimestampInput,
} from '@ffdb/core-types';
import { z } from 'zod';
import { readJson, writeJson } from './json-blob.js';
import { idFromJsonKey, PersonaKeys } from './keys.js';
import {
  type PersonaServicesOptions,
  type ResolvedOptions,
  resolveOptions,
  type StoredPanelMessageShape,
} from './options.js';
import { assertPersonaId } from './persona-record.js';
import { PersonaService } from './persona-service.js';

/** createPanel's optional third argument. Unknown keys are kept in `panel.config`. */
export const PanelCreateConfigSchema = z
  .looseObject({
    /** The user the panel belongs to (personas resolve with that user's shadowing; quota maxPanelsPerUser). */
    userId: z.string().optional(),
    /** A `panel` session of that user to link (see linkSession). */
    sessionId: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  // Kept in the panel's JSON: refused before anything (persona snapshots) is written.
  .superRefine(refineJson);

export const AddPanelMessageSchema = z.looseObject({
  role: z.string().optional(),
  personaId: z.string().optional(),
  content: z.string(),
  messageId: z.string().optional(),
  timestamp: UtcTimestampInput.optional(),
  attachments: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  responseTo: z.string().nullable().optional(),
  consensusLevel: z.number().min(0).max(1).nullable().optional(),
});
export type AddPanelMessageInput = z.input<typeof AddPanelMessageSchema>;

/** The reference's FFPanelMessageDTO spelling (`persona_id`, `response_to`, …) as camelCase keys. */
const PANEL_MESSAGE_SNAKE_KEYS: Record<string, string> = {
  persona_id: 'personaId',
  response_to: 'responseTo',
  consensus_level: 'consensusLevel',
  message_id: 'messageId',
};

function camelizePanelMessage(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const camel = PANEL_MESSAGE_SNAKE_KEYS[k];
    // A camelCase key given too wins over its snake_case twin.
    if (camel === undefined) out[k] = v;
    else if (!(camel in input)) out[camel] = v;
  }
  return out;
}

export const PanelMessagesQuerySchema = z.strictObject({
  limit: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
  personaId: z.string().optional(),
});

export const ListPanelsQuerySchema = z.strictObject({
  userId: z.string().optional(),
  type: z.string().optional(),
  limit: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
});

/** A stored panel message with its 0-based position in the panel. */
export type StoredPanelMessage = StoredPanelMessageShape;

export interface PanelStatsResult extends PanelStats {
  panelId: string;
  messageCount: number;
  messagesByPersona: Record<string, number>;
  averageConsensus: number | null;
  insightCount: number;
  /** Conversation roots that have at least one reply. */
  activeThreads: number;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new FFValidationError(issuesFromZod(r.error, prefix));
  return r.data;
}

interface ThreadInfo {
  depth: number;
  personaId: string;
  responseTo: string | null;
}

/** What we know about a panel's log, kept in memory and refreshed from the log when it grew elsewhere. */
interface ThreadCache {
  count: number;
  byId: Map<string, ThreadInfo>;
}

/**
 * Panels: a group of personas discussing, with an append-only message log, threads (`responseTo`),
 * consensus levels and insights. Everything goes through the StorageBackend port.
 */
export class PanelService {
  private readonly o: ResolvedOptions;
  private readonly keys: PersonaKeys;
  private readonly personas: PersonaService;
  private readonly threads = new Map<string, ThreadCache>();

  constructor(options: PersonaServicesOptions | ResolvedOptions, personas?: PersonaService) {
    this.o =
      'panel' in options && 'maxMessageSizeBytes' in options
        ? options
        : resolveOptions(options as PersonaServicesOptions);
    this.keys = new PersonaKeys(this.o.panel);
    this.personas = personas ?? new PersonaService(this.o);
  }

  private lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.o.storage.withLock(key, fn, { timeoutMs: this.o.lockTimeoutMs });
  }

  /**
   * The configured panel types as configured (their persona bounds describe the type; createPanel
   * enforces the global panel.minPersonasPerPanel..maxPersonasPerPanel).
   */
  panelTypes(): Record<
    string,
    { minPersonas: number; maxPersonas: number; features: string[]; description: string }
  > {
    const out: Record<
      string,
      { minPersonas: number; maxPersonas: number; features: string[]; description: string }
    > = {};
    for (const [type, t] of Object.entries(this.o.panel.panelTypes)) {
      out[type] = {
        minPersonas: t.minPersonas,
        maxPersonas: t.maxPersonas,
        features: t.features,
        description: t.description,
      };
    }
    return out;
  }

  /**
   * Creates a panel of a configured type with `personaIds` (distinct, within the global min..max),
   * snapshots the personas that exist, and returns the panel id.
   */
  async createPanel(
    panelType: string,
    personaIds: string[],
    config: Record<string, unknown> = {},
  ): Promise<string> {
    const types = this.panelTypes();
    if (typeof panelType !== 'string' || !Object.hasOwn(types, panelType)) {
      throw new FFValidationError([
        { path: 'panelType', message: `must be one of ${Object.keys(types).join(', ')}` },
      ]);
    }
    if (!Array.isArray(personaIds))
      throw new FFValidationError([{ path: 'personaIds', message: 'must be an array of persona ids' }]);
    for (const [i, id] of personaIds.entries()) assertPersonaId(id, `personaIds.${i}`);
    if (new Set(personaIds).size !== personaIds.length) {
      throw new FFValidationError([{ path: 'personaIds', message: 'must not contain duplicates' }]);
    }
    // API.md: the global bounds decide, for every type. A type's own minPersonas/maxPersonas describe
    // it (as in the reference, which never enforced them); narrowing by them refused panels the
    // configured bounds allow, and raising the global maximum could never widen a type.
    const { minPersonasPerPanel: min, maxPersonasPerPanel: max } = this.o.panel;
    if (personaIds.length < min) {
      throw new FFValidationError([
        {
          path: 'personaIds',
          message: `a panel needs at least ${min} personas (panel.minPersonasPerPanel), got ${personaIds.length}`,
          limit: min,
        },
      ]);
    }
    if (personaIds.length > max) {
      throw new FFValidationError([
        {
          path: 'personaIds',
          message: `a panel allows at most ${max} personas (panel.maxPersonasPerPanel), got ${personaIds.length}`,
          limit: max,
        },
      ]);
    }
    const cfg = parse(PanelCreateConfigSchema, config, 'config');
    if (cfg.userId !== undefined) assertUserId(cfg.userId, 'config.userId');
    if (cfg.sessionId !== undefined) {
      if (cfg.userId === undefined)
        throw new FFValidationError([{ path: 'config.sessionId', message: 'needs config.userId' }]);
      assertSafeId(cfg.sessionId, 'config.sessionId');
    }
    const { userId, sessionId, metadata, ...rest } = cfg;

    return this.lock(this.keys.panelsLock(), async () => {
      if (userId !== undefined) {
        const owned = (await this.allPanels()).filter((p) => p.userId === userId).length;
        if (owned >= this.o.panel.maxPanelsPerUser) {
          throw new FFValidationError([
            {
              path: 'panel.maxPanelsPerUser',
              message: `user ${userId} already has ${owned} panels`,
              limit: this.o.panel.maxPanelsPerUser,
            },
          ]);
        }
      }
      let panelId = generatePanelId(this.o.clock.now(), this.o.panel.panelIdPrefix);
      while (await this.o.storage.exists(this.keys.panelMeta(panelId)))
        panelId = generatePanelId(this.o.clock.now(), this.o.panel.panelIdPrefix);
      const now = this.o.clock.now().toISOString();
      const panel: Panel = {
        panelId,
        type: panelType,
        personas: [...personaIds],
        createdAt: now,
        updatedAt: now,
        messageCount: 0,
        config: rest,
        metadata: metadata ?? {},
        ...(userId !== undefined ? { userId } : {}),
        ...(sessionId !== undefined ? { sessionId } : {}),
      };
      // Snapshots first, metadata last: a panel is visible only once it is complete.
      for (const personaId of personaIds) {
        const persona = await this.personas.getPersona(personaId, userId);
        if (persona) await writeJson(this.o.storage, this.keys.panelSnapshot(panelId, personaId), persona);
      }
      await writeJson(this.o.storage, this.keys.panelMeta(panelId), panel);
      return panelId;
    });
  }

  private async readPanel(panelId: string): Promise<Panel | null> {
    const raw = await readJson(this.o.storage, this.keys.panelMeta(panelId));
    if (!raw) return null;
    const r = PanelSchema.safeParse({
      panelId,
      ...raw,
      ...(raw.id && !raw.panelId ? { panelId: raw.id } : {}),
    });
    if (!r.success) {
      this.o.logger?.warn({ panelId, code: 'PANEL_INVALID' }, 'stored panel fails validation; ignored');
      return null;
    }
    return r.data;
  }

  /**
   * Writes a panel with a given id (import and restore). False when a panel with that id exists.
   * The panel type and persona bounds are not re-checked: the data was valid where it came from.
   */
  async restorePanel(
    input: Record<string, unknown>,
    snapshots: Record<string, unknown>[] = [],
  ): Promise<boolean> {
    const now = this.o.clock.now().toISOString();
    const panel = parse(
      PanelSchema,
      { createdAt: now, updatedAt: now, messageCount: 0, config: {}, metadata: {}, ...input },
      'panel',
    );
    assertSafeId(panel.panelId, 'panel.panelId');
    if (panel.userId !== undefined) assertUserId(panel.userId, 'panel.userId');
    const personaSnapshots = snapshots.map((snap, i) => {
      const id = (snap.personaId ?? snap.persona_id ?? snap.id) as unknown;
      return { id: assertPersonaId(id, `snapshots.${i}.personaId`), snap };
    });
    return this.lock(this.keys.panelLock(panel.panelId), async () => {
      if (await this.o.storage.exists(this.keys.panelMeta(panel.panelId))) return false;
      for (const { id, snap } of personaSnapshots)
        await writeJson(this.o.storage, this.keys.panelSnapshot(panel.panelId, id), snap);
      await writeJson(this.o.storage, this.keys.panelMeta(panel.panelId), { ...panel, messageCount: 0 });
      return true;
    });
  }

  /** The panel with its exact message count (from the log), or null. */
  async getPanel(panelId: string): Promise<Panel | null> {
    assertSafeId(panelId, 'panelId');
    const panel = await this.readPanel(panelId);
    if (!panel) return null;
    return this.withActivity(panel);
  }

  /**
   * The panel's exact message count, and its `updatedAt` moved up to its newest message's time (as a
   * session's is by its messages), read from the log's tail instead of rewriting the panel per message.
   */
  private async withActivity(panel: Panel): Promise<Panel> {
    const log = this.keys.panelMessages(panel.panelId);
    const messageCount = await this.o.storage.countLog(log);
    let { updatedAt } = panel;
    if (messageCount > 0) {
      const [last] = await this.o.storage.readLog<Record<string, unknown>>(log, { reverse: true, limit: 1 });
      const at = last?.data.timestamp;
      if (typeof at === 'string' && at > updatedAt) updatedAt = at;
    }
    return { ...panel, messageCount, updatedAt };
  }

  private async allPanels(): Promise<Panel[]> {
    const dirs = await this.o.storage.list(this.keys.panelsDir());
    const panels: Panel[] = [];
    for (const dir of dirs) {
      const panelId = dir.slice(dir.lastIndexOf('/') + 1);
      const panel = await this.readPanel(panelId);
      if (panel) panels.push(panel);
    }
    return panels;
  }

  /** Panels, newest first, optionally of one user or type, paged. */
  async listPanels(
    opts: { userId?: string; type?: string; limit?: number; offset?: number } = {},
  ): Promise<Panel[]> {
    const q = parse(ListPanelsQuerySchema, opts, 'opts');
    if (q.userId !== undefined) assertUserId(q.userId);
    const panels = (await this.allPanels())
      .filter(
        (p) =>
          (q.userId === undefined || p.userId === q.userId) && (q.type === undefined || p.type === q.type),
      )
      .sort((a, b) =>
        a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.panelId < b.panelId ? 1 : -1,
      );
    const page = panels.slice(q.offset ?? 0, q.limit === undefined ? undefined : (q.offset ?? 0) + q.limit);
    return Promise.all(page.map((p) => this.withActivity(p)));
  }

  /** The persona snapshots taken when the panel was created. */
  async getPanelPersonas(panelId: string): Promise<Record<string, unknown>[]> {
    assertSafeId(panelId, 'panelId');
    const keys = await this.o.storage.list(
      `${this.keys.panelDir(panelId)}/${this.o.panel.personasSubdirectory}`,
    );
    const out: Record<string, unknown>[] = [];
    for (const key of keys) if (idFromJsonKey(key)) out.push((await readJson(this.o.storage, key)) ?? {});
    return out;
  }

  /**
   * Links (or re-links) a panel to a user's `panel` session. False when the panel does not exist.
   * `keepUpdatedAt` (imports restoring a link): the panel's `updatedAt` stays as it was written.
   */
  async linkSession(
    panelId: string,
    userId: string,
    sessionId: string,
    opts: { keepUpdatedAt?: boolean } = {},
  ): Promise<boolean> {
    assertSafeId(panelId, 'panelId');
    assertUserId(userId);
    assertSafeId(sessionId, 'sessionId');
    return this.lock(this.keys.panelLock(panelId), async () => {
      const panel = await this.readPanel(panelId);
      if (!panel) return false;
      if (panel.userId !== undefined && panel.userId !== userId) {
        throw new FFValidationError([{ path: 'userId', message: 'the panel belongs to another user' }]);
      }
      await writeJson(this.o.storage, this.keys.panelMeta(panelId), {
        ...panel,
        userId,
        sessionId,
        updatedAt: opts.keepUpdatedAt ? panel.updatedAt : this.o.clock.now().toISOString(),
      });
      return true;
    });
  }

  /** Removes a panel's session link (the panel stays the user's). False when it does not exist. */
  async unlinkSession(panelId: string): Promise<boolean> {
    assertSafeId(panelId, 'panelId');
    return this.lock(this.keys.panelLock(panelId), async () => {
      const panel = await this.readPanel(panelId);
      if (!panel) return false;
      const { sessionId: _dropped, ...rest } = panel;
      await writeJson(this.o.storage, this.keys.panelMeta(panelId), {
        ...rest,
        updatedAt: this.o.clock.now().toISOString(),
      });
      return true;
    });
  }

  /** Panels linked to one session of a user. */
  async findPanelsForSession(userId: string, sessionId: string): Promise<Panel[]> {
    assertUserId(userId);
    return (await this.listPanels({ userId })).filter((p) => p.sessionId === sessionId);
  }

  private async threadCache(panelId: string): Promise<ThreadCache> {
    const log = this.keys.panelMessages(panelId);
    const count = await this.o.storage.countLog(log);
    let cache = this.threads.get(panelId);
    if (!cache || cache.count > count) cache = { count: 0, byId: new Map() };
    if (cache.count < count) {
      // Another instance (or process) appended: read only what we have not seen.
      for (const e of await this.o.storage.readLog<Record<string, unknown>>(log, { fromSeq: cache.count })) {
        const d = e.data;
        cache.byId.set(String(d.messageId), {
          depth: typeof d.threadDepth === 'number' ? d.threadDepth : 0,
          personaId: String(d.personaId ?? d.role ?? ''),
          responseTo: typeof d.responseTo === 'string' ? d.responseTo : null,
        });
      }
      cache.count = count;
    }
    this.threads.set(panelId, cache);
    return cache;
  }

  /**
   * Appends a message from a panel persona (or `user`/`assistant`/`system`) and returns it as stored,
   * with `seq`. `responseTo` must name a message of the panel; the thread may be at most
   * `panel.maxThreadDepth` replies deep. False when the panel does not exist or already holds a
   * message under the given `messageId`.
   *
   * `restoring` (imports: an ffdb bundle, the Python original): the message was valid where it was
   * written, so the panel's live limits — panel.maxMessagesPerPanel, panel.maxThreadDepth, whether
   * threading is on, a reply's parent being present — are not applied; refusing there would lose data
   * (the original enforced none of them). A reply whose parent is missing gets depth 0.
   */
  async addPanelMessage(
    panelId: string,
    input: AddPanelMessageInput,
    opts: { restoring?: boolean } = {},
  ): Promise<StoredPanelMessage | false> {
    const restoring = opts.restoring === true;
    assertSafeId(panelId, 'panelId');
    const m = parse(AddPanelMessageSchema, camelizePanelMessage(input), 'message');
    const personaId = m.personaId ?? m.role;
    // Any speaker id is accepted (panel personas, a moderator, `user`, imported speakers of the original).
    if (personaId === undefined || personaId.trim() === '' || personaId.length > 200) {
      throw new FFValidationError([
        {
          path: 'message.personaId',
          message: 'role or personaId is required (1-200 characters)',
          limit: 200,
        },
      ]);
    }
    const {
      personaId: _p,
      responseTo: _r,
      consensusLevel: _c,
      role: _role,
      content,
      messageId,
      timestamp,
      attachments,
      metadata,
      ...extra
    } = m;
    const base = createMessage(
      {
        role: m.role ?? personaId,
        content,
        ...(messageId !== undefined ? { messageId } : {}),
        ...(timestamp !== undefined ? { timestamp } : {}),
        ...(attachments !== undefined ? { attachments } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
      },
      this.o.clock.now(),
    );
    const responseTo = m.responseTo ?? null;
    if (responseTo !== null && !this.o.panel.messageThreadingEnabled && !restoring) {
      throw new FFValidationError([
        { path: 'message.responseTo', message: 'threading is disabled (panel.messageThreadingEnabled)' },
      ]);
    }

    return this.lock(this.keys.panelLock(panelId), async () => {
      const panel = await this.readPanel(panelId);
      if (!panel) return false;
      const cache = await this.threadCache(panelId);
      if (cache.count >= this.o.panel.maxMessagesPerPanel && !restoring) {
        throw new FFValidationError([
          {
            path: 'panel.maxMessagesPerPanel',
            message: `the panel already has ${cache.count} messages`,
            limit: this.o.panel.maxMessagesPerPanel,
          },
        ]);
      }
      // Creating something that exists resolves false (API.md), as addMessage does for a session.
      if (cache.byId.has(base.messageId)) return false;
      let threadDepth = 0;
      if (responseTo !== null) {
        const parent = cache.byId.get(responseTo);
        if (!parent && !restoring)
          throw new FFValidationError([
            { path: 'message.responseTo', message: 'does not name a message of this panel' },
          ]);
        threadDepth = parent ? parent.depth + 1 : 0;
        if (threadDepth > this.o.panel.maxThreadDepth && !restoring) {
          throw new FFValidationError([
            {
              path: 'panel.maxThreadDepth',
              message: `a reply at depth ${threadDepth} is deeper than allowed`,
              limit: this.o.panel.maxThreadDepth,
            },
          ]);
        }
      }
      const record = {
        ...extra,
        ...base,
        panelId,
        personaId,
        responseTo,
        consensusLevel: m.consensusLevel ?? null,
        threadDepth,
      };
      const size = new TextEncoder().encode(JSON.stringify(record)).byteLength;
      if (size > this.o.maxMessageSizeBytes) {
        throw new FFValidationError([
          {
            path: 'message.content',
            message: `message is ${size} bytes (storage.maxMessageSizeBytes)`,
            limit: this.o.maxMessageSizeBytes,
          },
        ]);
      }
      const { firstSeq } = await this.o.storage.append(this.keys.panelMessages(panelId), [record]);
      cache.count = firstSeq + 1;
      cache.byId.set(base.messageId, { depth: threadDepth, personaId, responseTo });
      const stored: StoredPanelMessage = { ...record, seq: firstSeq };
      await this.index(panel, stored);
      if (this.o.onMessageStored) {
        try {
          await this.o.onMessageStored(panel, stored);
        } catch (error) {
          this.o.logger?.warn({ panelId, err: (error as Error)?.name }, 'onMessageStored failed');
        }
      }
      return stored;
    });
  }

  /** Panel messages of a user's panel go to the search index (when one was given) as `panel_message`. */
  private async index(panel: Panel, message: StoredPanelMessage): Promise<void> {
    if (!this.o.search || panel.userId === undefined) return;
    try {
      await this.o.search.add([
        {
          id: `${panel.panelId}/${message.messageId}`,
          userId: panel.userId,
          sessionId: panel.sessionId ?? panel.panelId,
          type: 'panel_message',
          content: message.content,
          timestamp: message.timestamp,
          role: message.personaId,
          metadata: { panelId: panel.panelId, messageId: message.messageId, personaId: message.personaId },
          source: { log: this.keys.panelMessages(panel.panelId), seq: message.seq },
        },
      ]);
    } catch (error) {
      // The message is durable; the index is derived data and can be rebuilt (reindexPanel).
      this.o.logger?.warn(
        { panelId: panel.panelId, err: (error as Error)?.name },
        'indexing a panel message failed',
      );
    }
  }

  /** Re-adds every message of a panel to the search index (after a crash or an index rebuild). */
  async reindexPanel(panelId: string): Promise<number> {
    assertSafeId(panelId, 'panelId');
    const panel = await this.readPanel(panelId);
    if (!panel || !this.o.search || panel.userId === undefined) return 0;
    const messages = await this.getPanelMessages(panelId);
    for (const m of messages) await this.index(panel, m);
    return messages.length;
  }

  /** Chronological; `offset`/`limit` page after the `personaId` filter. No cap when `limit` is omitted. */
  async getPanelMessages(
    panelId: string,
    opts: { limit?: number; offset?: number; personaId?: string } = {},
  ): Promise<StoredPanelMessage[]> {
    assertSafeId(panelId, 'panelId');
    const q = parse(PanelMessagesQuerySchema, opts, 'opts');
    const log = this.keys.panelMessages(panelId);
    const offset = q.offset ?? 0;
    const toMessage = (e: { seq: number; data: Record<string, unknown> }) =>
      ({ ...e.data, seq: e.seq }) as StoredPanelMessage;
    if (q.personaId === undefined) {
      return (
        await this.o.storage.readLog(log, {
          fromSeq: offset,
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        })
      ).map(toMessage);
    }
    const all = (await this.o.storage.readLog(log)).map(toMessage).filter((m) => m.personaId === q.personaId);
    return all.slice(offset, q.limit === undefined ? undefined : offset + q.limit);
  }

  /** Stores an insight; resolves to its id, or false when the panel does not exist. */
  async savePanelInsight(panelId: string, input: Record<string, unknown>): Promise<string | false> {
    assertSafeId(panelId, 'panelId');
    if (typeof input !== 'object' || input === null)
      throw new FFValidationError([{ path: 'insight', message: 'must be an object' }]);
    const raw = input as Record<string, unknown>;
    const insightId = (raw.insightId ?? raw.id ?? generateInsightId()) as string;
    assertSafeId(insightId, 'insight.insightId');
    const {
      id: _id,
      supporting_messages,
      consensus_level,
      created_by,
      created_at,
      panel_id: _pid,
      ...rest
    } = raw;
    const insight = parse(
      PanelInsightSchema,
      {
        ...(supporting_messages !== undefined ? { supportingMessages: supporting_messages } : {}),
        ...(consensus_level !== undefined ? { consensusLevel: consensus_level } : {}),
        ...(created_by !== undefined ? { createdBy: created_by } : {}),
        createdAt: (created_at as string | undefined) ?? this.o.clock.now().toISOString(),
        ...rest,
        insightId,
        panelId,
      },
      'insight',
    );
    return this.lock(this.keys.panelLock(panelId), async () => {
      if (!(await this.readPanel(panelId))) return false;
      await writeJson(this.o.storage, this.keys.insight(panelId, insightId), insight);
      return insightId;
    });
  }

  /** Insights of a panel, oldest first, optionally of one type. */
  async getPanelInsights(panelId: string, opts: { type?: string } = {}): Promise<PanelInsight[]> {
    assertSafeId(panelId, 'panelId');
    const keys = await this.o.storage.list(this.keys.insightsDir(panelId));
    const out: PanelInsight[] = [];
    for (const key of keys) {
      if (!idFromJsonKey(key)) continue;
      const r = PanelInsightSchema.safeParse(await readJson(this.o.storage, key));
      if (r.success && (opts.type === undefined || r.data.type === opts.type)) out.push(r.data);
    }
    return out.sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.insightId < b.insightId ? -1 : 1,
    );
  }

  /** Counts per persona, average consensus (null when no message carries one), insights, active threads. */
  async getPanelStats(panelId: string): Promise<PanelStatsResult | null> {
    assertSafeId(panelId, 'panelId');
    if (!(await this.readPanel(panelId))) return null;
    const messages = await this.getPanelMessages(panelId);
    const messagesByPersona: Record<string, number> = {};
    let consensusSum = 0;
    let consensusN = 0;
    const byId = new Map(messages.map((m) => [m.messageId, m]));
    const activeRoots = new Set<string>();
    for (const m of messages) {
      messagesByPersona[m.personaId] = (messagesByPersona[m.personaId] ?? 0) + 1;
      if (typeof m.consensusLevel === 'number') {
        consensusSum += m.consensusLevel;
        consensusN++;
      }
      // Walk up to the root of the thread this reply belongs to.
      let cur = m;
      while (typeof cur.responseTo === 'string' && byId.has(cur.responseTo))
        cur = byId.get(cur.responseTo) as StoredPanelMessage;
      if (cur !== m) activeRoots.add(cur.messageId);
    }
    return {
      panelId,
      messageCount: messages.length,
      messagesByPersona,
      averageConsensus: consensusN ? consensusSum / consensusN : null,
      insightCount: (await this.getPanelInsights(panelId)).length,
      activeThreads: activeRoots.size,
    };
  }

  /** Deletes a panel with its messages, snapshots and insights. */
  async deletePanel(panelId: string): Promise<boolean> {
    assertSafeId(panelId, 'panelId');
    return this.lock(this.keys.panelLock(panelId), async () => {
      const panel = await this.readPanel(panelId);
      this.threads.delete(panelId);
      if (panel?.userId !== undefined && this.o.search) {
        const ids = (await this.getPanelMessages(panelId)).map((m) => `${panelId}/${m.messageId}`);
        await this.o.search.remove(panel.userId, ids);
      }
      return this.o.storage.delete(this.keys.panelDir(panelId));
    });
  }
}

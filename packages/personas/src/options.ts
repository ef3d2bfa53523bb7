import {
  type Clock,
  type FFConfig,
  FFValidationError,
  issuesFromZod,
  type Logger,
  type Panel,
  type PanelMessage,
  PanelConfigSchema,
  type SearchIndex,
  type StorageBackend,
} from '@ffdb/core-types';
import { z } from 'zod';

const isObjectWith =
  (...methods: string[]) =>
  (value: unknown) =>
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');

/** A stored panel message (also exported as StoredPanelMessage). */
export type StoredPanelMessageShape = PanelMessage & { seq: number; panelId: string; threadDepth: number };

/** What the persona and panel services need: ports and configuration, nothing concrete. */
export const PersonaServicesOptionsSchema = z.object({
  storage: z.custom<StorageBackend>(
    isObjectWith('read', 'write', 'append', 'readLog', 'countLog', 'withLock'),
    {
      message: 'must be a StorageBackend',
    },
  ),
  /** An FFConfig (or any object with a `panel` section; missing fields take their defaults). */
  config: z.custom<Partial<FFConfig>>((v) => typeof v === 'object' && v !== null, {
    message: 'must be an FFConfig object',
  }),
  clock: z.custom<Clock>(isObjectWith('now'), { message: 'must be a Clock' }).optional(),
  logger: z
    .custom<Logger>(isObjectWith('warn', 'error', 'child'), { message: 'must be a Logger' })
    .optional(),
  /** When given, messages of panels that belong to a user are indexed (type `panel_message`). */
  search: z
    .custom<SearchIndex>(isObjectWith('add', 'search', 'remove'), { message: 'must be a SearchIndex' })
    .optional(),
  /**
   * Called after a panel message is durably stored (e.g. to index it elsewhere or mirror it into a
   * linked session). A failure is logged and never fails the write.
   */
  onMessageStored: z
    .custom<(panel: Panel, message: StoredPanelMessageShape) => Promise<void>>(
      (v) => typeof v === 'function',
      {
        message: 'must be a function',
      },
    )
    .optional(),
  /** Lock wait for panel and persona writes (default `locking.timeoutSeconds`, else 10 s). */
  lockTimeoutMs: z.number().int().positive().optional(),
});

export type PersonaServicesOptions = z.input<typeof PersonaServicesOptionsSchema>;

export type PanelSettings = z.output<typeof PanelConfigSchema>;

export interface ResolvedOptions {
  storage: StorageBackend;
  panel: PanelSettings;
  maxMessageSizeBytes: number;
  /** `runtime.maxPersonaNameLength`: the longest name a persona being saved may have. */
  maxPersonaNameLength: number;
  clock: Clock;
  logger: Logger | undefined;
  search: SearchIndex | undefined;
  onMessageStored: ((panel: Panel, message: StoredPanelMessageShape) => Promise<void>) | undefined;
  lockTimeoutMs: number;
}

const systemClock: Clock = { now: () => new Date() };

export function resolveOptions(options: PersonaServicesOptions): ResolvedOptions {
  const parsed = PersonaServicesOptionsSchema.safeParse(options);
  if (!parsed.success) throw new FFValidationError(issuesFromZod(parsed.error));
  const o = parsed.data;
  const panelParsed = PanelConfigSchema.safeParse(o.config.panel ?? {});
  if (!panelParsed.success) throw new FFValidationError(issuesFromZod(panelParsed.error, 'panel'));
  const storageSection = (o.config.storage ?? {}) as { maxMessageSizeBytes?: number };
  const locking = (o.config.locking ?? {}) as { timeoutSeconds?: number };
  const runtime = (o.config.runtime ?? {}) as { maxPersonaNameLength?: number };
  return {
    storage: o.storage,
    panel: panelParsed.data,
    maxMessageSizeBytes: storageSection.maxMessageSizeBytes ?? 1024 * 1024,
    maxPersonaNameLength: runtime.maxPersonaNameLength ?? 100,
    clock: o.clock ?? systemClock,
    logger: o.logger,
    search: o.search,
    onMessageStored: o.onMessageStored,
    lockTimeoutMs: o.lockTimeoutMs ?? (locking.timeoutSeconds ? locking.timeoutSeconds * 1000 : 10_000),
  };
}

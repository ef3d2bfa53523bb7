import { z } from 'zod';
import { IsoTimestamp, Metadata, refineJson, UnitInterval, UtcTimestampInput } from './common.js';
import { MessageSchema } from './message.js';

/** The longest persona name any configuration allows (`runtime.maxPersonaNameLength` may not exceed it). */
export const PERSONA_NAME_MAX_CHARS = 1000;

/**
 * A persona. Loose: the original's richer persona files (demographics, behavioral traits,
 * capabilities, expertise areas, LLM settings, system prompt, …) keep every field.
 */
export const PersonaSchema = z
  .looseObject({
    personaId: z.string().min(1).max(100),
    name: z.string().trim().min(1, 'name cannot be empty').max(PERSONA_NAME_MAX_CHARS),
    description: z.string().default(''),
    traits: z.array(z.string()).default([]),
    expertise: z.array(z.string()).default([]),
    communicationStyle: z.union([z.record(z.string(), z.unknown()), z.string()]).default({}),
    isGlobal: z.boolean().default(true),
    ownerId: z.string().nullable().default(null),
    metadata: Metadata.default({}),
    createdAt: UtcTimestampInput.optional(),
    updatedAt: UtcTimestampInput.optional(),
    // Rich fields of the original's persona files (all optional).
    category: z.string().optional(),
    demographics: z.record(z.string(), z.unknown()).optional(),
    behavioralTraits: z.record(z.string(), z.unknown()).optional(),
    capabilities: z.array(z.unknown()).optional(),
    expertiseAreas: z.array(z.unknown()).optional(),
    llmConfigPersona: z.record(z.string(), z.unknown()).optional(),
    systemPrompt: z.string().optional(),
  })
  .refine((p) => p.isGlobal || (p.ownerId !== null && p.ownerId !== ''), {
    message: 'user-specific personas must have an ownerId',
    path: ['ownerId'],
  })
  // Every field, the rich and the unknown ones included, is stored as JSON (metadata is checked above).
  .superRefine(({ metadata: _m, ...rest }, ctx) => refineJson(rest, ctx));
export type Persona = z.infer<typeof PersonaSchema>;
export type PersonaInput = z.input<typeof PersonaSchema>;

export const PANEL_TYPES = ['multi_persona', 'focus_group', 'expert_panel', 'brainstorm'] as const;

export const PanelSchema = z.object({
  panelId: z.string().min(1),
  type: z.string().min(1),
  personas: z.array(z.string().min(1)).min(1, 'panel must have at least one persona'),
  createdAt: IsoTimestamp,
  updatedAt: IsoTimestamp,
  messageCount: z.number().int().nonnegative(),
  config: Metadata,
  metadata: Metadata,
  /** Owner user, when the panel belongs to one (panel sessions). */
  userId: z.string().optional(),
  /** A linked `panel` session of that user. */
  sessionId: z.string().optional(),
});
export type Panel = z.infer<typeof PanelSchema>;

export const PanelMessageSchema = MessageSchema.extend({
  panelId: z.string().optional(),
  personaId: z.string(),
  responseTo: z.string().nullable().optional(),
  consensusLevel: UnitInterval.nullable().optional(),
  threadDepth: z.number().int().nonnegative().optional(),
});
export type PanelMessage = z.infer<typeof PanelMessageSchema>;

export const INSIGHT_TYPES = ['conclusion', 'analysis', 'summary', 'recommendation'] as const;

export const PanelInsightSchema = z.object({
  insightId: z.string().min(1),
  panelId: z.string().min(1),
  type: z.enum(INSIGHT_TYPES).default('conclusion'),
  content: z.string().refine((s) => s.trim().length > 0, { message: 'content cannot be empty' }),
  supportingMessages: z.array(z.string()).default([]),
  consensusLevel: UnitInterval.default(0),
  createdAt: IsoTimestamp,
  createdBy: z.string().default('system'),
  metadata: Metadata.default({}),
});
export type PanelInsight = z.infer<typeof PanelInsightSchema>;

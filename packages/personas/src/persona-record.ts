import {
  assertSafeId,
  FFValidationError,
  issuesFromZod,
  type Persona,
  PersonaSchema,
} from '@ffdb/core-types';

/**
 * The original's persona files use snake_case (and sometimes `id`); these keys are renamed to the
 * camelCase schema. Every other field — demographics, category, anything unknown — is kept verbatim.
 */
const SNAKE_TO_CAMEL: Record<string, string> = {
  persona_id: 'personaId',
  is_global: 'isGlobal',
  owner_id: 'ownerId',
  communication_style: 'communicationStyle',
  behavioral_traits: 'behavioralTraits',
  expertise_areas: 'expertiseAreas',
  llm_config_persona: 'llmConfigPersona',
  system_prompt: 'systemPrompt',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
};

export const PERSONA_ID_FIELD = 'personaId';

/** Renames the original's keys; camelCase wins when both spellings are present. */
export function camelizePersona(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const camel = SNAKE_TO_CAMEL[key];
    if (camel) {
      if (!(camel in input)) out[camel] = value;
    } else if (key !== 'id') {
      out[key] = value;
    }
  }
  if (out.personaId === undefined && input.id !== undefined) out.personaId = input.id;
  return out;
}

export function assertPersonaId(value: unknown, field = 'personaId'): string {
  return assertSafeId(value, field);
}

/** Validates a persona (either spelling); throws one FFValidationError listing every problem. */
export function parsePersona(input: unknown): Persona {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FFValidationError([{ path: 'persona', message: 'must be an object' }]);
  }
  const camel = camelizePersona(input as Record<string, unknown>);
  assertPersonaId(camel.personaId);
  const parsed = PersonaSchema.safeParse(camel);
  if (!parsed.success) throw new FFValidationError(issuesFromZod(parsed.error));
  return parsed.data;
}

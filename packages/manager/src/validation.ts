/** Argument validation shared by the manager's services: one FFValidationError naming the field. */
import {
  assertSafeId,
  assertUserId,
  DOCUMENT_ID_PATTERN,
  FFValidationError,
  issuesFromZod,
  MESSAGE_INPUT_ID_PATTERN,
  SAFE_ID_PATTERN,
} from '@ffdb/core-types';
import { z } from 'zod';

export { assertUserId };

export function assertSessionId(value: unknown, field = 'sessionId'): string {
  return assertSafeId(value, field);
}

export function assertDocumentId(value: unknown, field = 'documentId'): string {
  if (typeof value === 'string' && DOCUMENT_ID_PATTERN.test(value) && !value.includes('..')) return value;
  return assertSafeId(value, field, SAFE_ID_PATTERN);
}

/** Message ids become key segments for streamed replies, so they use the safe id alphabet. */
export function assertMessageId(value: unknown, field = 'messageId'): string {
  return assertSafeId(value, field);
}

/**
 * The id of a message to look up: one `createMessage` accepts (letters, digits, `_ . : -`) or one a
 * streamed reply accepts (the safe id alphabet). A hostile id (`../x`, a NUL, a slash) throws rather
 * than reading as "not found" (API.md §6.3).
 */
export function assertStoredMessageId(value: unknown, field = 'messageId'): string {
  if (typeof value === 'string' && MESSAGE_INPUT_ID_PATTERN.test(value) && !value.includes('..'))
    return value;
  return assertSafeId(value, field);
}

export function assertString(
  value: unknown,
  field: string,
  opts: { nonEmpty?: boolean; max?: number } = {},
): string {
  if (typeof value !== 'string') throw new FFValidationError([{ path: field, message: 'must be a string' }]);
  if (opts.nonEmpty && value.trim().length === 0)
    throw new FFValidationError([{ path: field, message: 'cannot be empty' }]);
  if (opts.max !== undefined && value.length > opts.max) {
    throw new FFValidationError([
      { path: field, message: `longer than ${opts.max} characters`, limit: opts.max },
    ]);
  }
  return value;
}

export function assertPlainObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FFValidationError([{ path: field, message: 'must be an object' }]);
  }
  return value as Record<string, unknown>;
}

/** Parses an options object (undefined -> {}); wrong types throw FFValidationError with `opts.<field>`. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, prefix = 'opts'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new FFValidationError(issuesFromZod(result.error, prefix));
  return result.data;
}

export const count = z.number().int().nonnegative();
export const positive = z.number().int().positive();

/**
 * A length rule of `runtime` (`minUserIdLength`/`maxUserIdLength`, …), applied where something is
 * created or renamed: one FFValidationError naming the field, the length and the config field whose
 * limit it breaks. Reads never apply it, so what a looser configuration stored stays readable.
 */
export function assertLengthRule(
  length: number,
  field: string,
  rule: { min: number; minField: string; max?: number; maxField?: string },
  unit = 'characters',
): void {
  if (length < rule.min) {
    throw new FFValidationError([
      {
        path: field,
        message: `is ${length} ${unit}; ${rule.minField} requires at least ${rule.min}`,
        limit: rule.min,
      },
    ]);
  }
  if (rule.max !== undefined && length > rule.max) {
    throw new FFValidationError([
      {
        path: field,
        message: `is ${length} ${unit}; ${rule.maxField} allows at most ${rule.max}`,
        limit: rule.max,
      },
    ]);
  }
}

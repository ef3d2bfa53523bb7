import type { z } from 'zod';
import { FFValidationError, type ValidationIssue } from '../errors.js';

/** Converts zod issues to ffdb issues with dotted paths, keeping numeric limits when zod reports them. */
export function issuesFromZod(error: z.ZodError, prefix = ''): ValidationIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const out: ValidationIssue = { path, message: issue.message };
    const limit =
      (issue as { maximum?: unknown; minimum?: unknown }).maximum ?? (issue as { minimum?: unknown }).minimum;
    if (typeof limit === 'number' || typeof limit === 'bigint') out.limit = Number(limit);
    if (issue.code === 'unrecognized_keys')
      out.message = `unknown key(s): ${(issue as { keys: string[] }).keys.join(', ')}`;
    return out;
  });
}

/** Parse or throw FFValidationError. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new FFValidationError(issuesFromZod(result.error, prefix));
}

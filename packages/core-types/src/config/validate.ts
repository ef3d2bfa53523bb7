import type { z } from 'zod';
import type { ValidationIssue } from '../errors.js';
import { camelizeConfig, MANAGER_FIELDS } from './keys.js';
import { mergeLayers } from './merge.js';
import { DEFAULT_CONFIG, type FFConfig, FFConfigSchema } from './schema.js';

/** zod issues -> ffdb issues: dotted paths, one issue per unknown key (path = the key itself). */
export function configIssuesFromZod(error: z.ZodError): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: base ? `${base}.${key}` : key, message: `unknown key ${JSON.stringify(key)}` });
      }
      continue;
    }
    const entry: ValidationIssue = { path: base, message: issue.message };
    const limit =
      (issue as { maximum?: unknown; minimum?: unknown }).maximum ?? (issue as { minimum?: unknown }).minimum;
    if (typeof limit === 'number' || typeof limit === 'bigint') entry.limit = Number(limit);
    out.push(entry);
  }
  return out;
}

export type ParseConfigResult = { ok: true; config: FFConfig } | { ok: false; issues: ValidationIssue[] };

/** Parses a camelCase configuration object (defaults fill the gaps), collecting every problem. */
export function parseConfig(input: unknown): ParseConfigResult {
  const result = FFConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, issues: configIssuesFromZod(result.error) };
}

/**
 * Every problem with a configuration input (camelCase or snake_case keys, any subset of fields);
 * `[]` when it is valid. The input is read the way loadConfig reads a layer: over the defaults, with data
 * maps merged key by key. Never throws.
 */
export function validateConfig(input: unknown): ValidationIssue[] {
  try {
    if (input === undefined || input === null) return [];
    if (typeof input !== 'object' || Array.isArray(input)) {
      return [{ path: '', message: 'configuration must be an object' }];
    }
    const problems: ValidationIssue[] = [];
    const camel = camelizeConfig(input, problems) as Record<string, unknown>;
    for (const key of MANAGER_FIELDS) delete camel[key];
    const result = parseConfig(mergeLayers(DEFAULT_CONFIG, camel));
    return [...problems, ...(result.ok ? [] : result.issues)];
  } catch (e) {
    return [
      { path: '', message: `configuration could not be validated: ${(e as Error)?.message ?? String(e)}` },
    ];
  }
}

import type { ValidationIssue } from '../errors.js';
import { type ConfigField, configFields, type FieldKind, setAtPath } from './introspect.js';
import { CONFIG_SECTIONS } from './schema.js';

/**
 * The environment-variable layer: `CHATDB_<SECTION>_<FIELD>` (UPPER_SNAKE) plus the reference's
 * general variables. Values are converted to the type the schema declares for the field.
 */

export const ENV_PREFIX = 'CHATDB_';
/** Variables that select how configuration is loaded; they are not fields. */
export const LOADER_ENV_VARS = ['CHATDB_ENV', 'CHATDB_CONFIG_PATH'] as const;
/** General variables of the reference and the fields each one sets. */
export const GENERAL_ENV_VARS: Readonly<Record<string, { kind: FieldKind; paths: readonly string[] }>> = {
  CHATDB_BASE_PATH: { kind: 'string', paths: ['storage.basePath'] },
  CHATDB_MAX_FILE_SIZE: { kind: 'int', paths: ['storage.maxDocumentSizeBytes', 'document.maxFileSizeBytes'] },
  CHATDB_ENABLE_CACHING: {
    kind: 'boolean',
    paths: ['search.enableSearchCache', 'vector.cacheEnabled', 'document.cacheProcessedDocuments'],
  },
};

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
const SECRET = /key|secret|token|password/i;

class ConversionError extends Error {}

/** Python int()'s decimal form: optional sign, digits, single underscores between digits. */
const DECIMAL_INT = /^[+-]?\d+(?:_\d+)*$/;
/** A decimal number with an optional exponent (float() minus inf/nan, which are not finite anyway). */
const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function scalar(kind: FieldKind, raw: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'int': {
      // Decimal digits only, as the reference's int(): Number() alone also took 0x10, 0b11 and 1e3.
      const n = DECIMAL_INT.test(text) ? Number(text.replaceAll('_', '')) : Number.NaN;
      if (!Number.isSafeInteger(n)) throw new ConversionError('expected an integer');
      return n;
    }
    case 'float': {
      const n = DECIMAL_FLOAT.test(text) ? Number(text) : Number.NaN;
      if (!Number.isFinite(n)) throw new ConversionError('expected a number');
      return n;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw new ConversionError('expected a boolean (true/1/yes/on or false/0/no/off)');
    }
    case 'map':
    case 'object': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ConversionError('expected a JSON object');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new ConversionError('expected a JSON object');
      return parsed;
    }
    default:
      return raw;
  }
}

/** Converts one variable's text to the field's type; throws ConversionError with a reason. */
export function convertEnvValue(kind: FieldKind, raw: string, elementKind: FieldKind = 'string'): unknown {
  if (kind !== 'list') return scalar(kind, raw);
  const text = raw.trim();
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConversionError('expected a JSON list');
    }
    if (!Array.isArray(parsed)) throw new ConversionError('expected a JSON list');
    return parsed;
  }
  if (text === '') return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => scalar(elementKind, s));
}

let byVar: Map<string, ConfigField> | undefined;
function fieldsByVar(): Map<string, ConfigField> {
  byVar ??= new Map(configFields().map((f) => [f.envVar, f]));
  return byVar;
}

/** The env-var name of a config path (`storage.basePath` -> `CHATDB_STORAGE_BASE_PATH`). */
export function envVarFor(path: string): string | undefined {
  return configFields().find((f) => f.path === path)?.envVar;
}

/**
 * Builds the env-var layer. Problems (bad values, unknown fields of known sections) are returned as
 * issues naming the variable; variables that are not ours (no known section) are ignored.
 */
export function envLayer(env: Record<string, string | undefined>): {
  layer: Record<string, unknown>;
  issues: ValidationIssue[];
} {
  const layer: Record<string, unknown> = {};
  const issues: ValidationIssue[] = [];
  const describe = (name: string, raw: string, reason: string) =>
    SECRET.test(name)
      ? `${name}: ${reason}`
      : `${name}: ${reason}, got ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)}`;

  // General variables first, so the specific CHATDB_<SECTION>_<FIELD> ones win.
  for (const [name, spec] of Object.entries(GENERAL_ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined) continue;
    try {
      const value = convertEnvValue(spec.kind, raw);
      for (const p of spec.paths) setAtPath(layer, p, value);
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      issues.push({ path: spec.paths[0] as string, message: describe(name, raw, e.message) });
    }
  }

  const sections = CONFIG_SECTIONS.map((s) => `${ENV_PREFIX}${s.toUpperCase()}_`);
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (raw === undefined || !name.startsWith(ENV_PREFIX)) continue;
    if ((LOADER_ENV_VARS as readonly string[]).includes(name) || name in GENERAL_ENV_VARS) continue;
    const field = fieldsByVar().get(name);
    if (!field) {
      const section = sections.find((p) => name.startsWith(p));
      if (section) {
        const sectionName = section.slice(ENV_PREFIX.length, -1).toLowerCase();
        issues.push({
          path: sectionName,
          message: `${name}: unknown configuration field for section "${sectionName}"`,
        });
      }
      continue;
    }
    // An empty variable for an optional field (`CHATDB_VECTOR_EMBEDDING_API_KEY=`) means "not set".
    if (field.optional && raw.trim() === '') continue;
    try {
      setAtPath(layer, field.path, convertEnvValue(field.kind, raw, field.elementKind));
    } catch (e) {
      if (!(e instanceof ConversionError)) throw e;
      issues.push({ path: field.path, message: describe(name, raw, e.message) });
    }
  }
  return { layer, issues };
}

import type { z } from 'zod';
import { camelToUpperSnake } from './keys.js';
import { CONFIG_SECTIONS, FFConfigObjectSchema } from './schema.js';

/**
 * Reads the configuration schema itself, so that environment-variable conversion and the generated
 * documentation (docs/configuration.md) follow the schema and can never drift from it.
 */

export type FieldKind = 'int' | 'float' | 'boolean' | 'string' | 'enum' | 'list' | 'map' | 'object';

export interface ConfigField {
  /** Dotted path, e.g. `storage.basePath` or `vector.embedding.baseUrl`. */
  path: string;
  /** `CHATDB_<SECTION>_<FIELD>` in UPPER_SNAKE. */
  envVar: string;
  kind: FieldKind;
  /** For lists: the kind of the elements. */
  elementKind?: FieldKind;
  /** Human-readable validation rule derived from the zod checks. */
  rule: string;
  optional: boolean;
  schema: z.ZodType;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  checks?: { _zod: { def: Record<string, unknown> } }[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strips defaults, optionals and pipes; reports whether the field may be absent. */
export function unwrapSchema(schema: z.ZodType): { inner: z.ZodType; optional: boolean } {
  let s = schema;
  let optional = false;
  for (;;) {
    const d = defOf(s);
    if (d.type === 'optional' || d.type === 'nullable') optional = true;
    if (
      ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type) &&
      d.innerType
    ) {
      s = d.innerType;
    } else if (d.type === 'pipe' && d.in) {
      s = d.in;
    } else {
      return { inner: s, optional };
    }
  }
}

export function kindOf(schema: z.ZodType): FieldKind {
  const { inner } = unwrapSchema(schema);
  const d = defOf(inner);
  switch (d.type) {
    case 'number':
      return (inner as unknown as { isInt?: boolean }).isInt ? 'int' : 'float';
    case 'boolean':
      return 'boolean';
    case 'enum':
    case 'literal':
      return 'enum';
    case 'array':
      return 'list';
    case 'record':
      return 'map';
    case 'object':
      return 'object';
    default:
      return 'string';
  }
}

/** Plain-language names of the patterns the schema uses (keyed by regex source). */
const PATTERN_NAMES: Record<string, string> = {
  '^(?!\\.{1,2}$)[^/\\\\\\0]+$': 'one path component (no `/`, `\\`, NUL; not `.` or `..`)',
  '^[a-z][a-z_]*$': 'lower-case letters and `_`',
  '^\\.[A-Za-z0-9_.-]+$': 'starts with `.`, no separators',
  '^\\.[A-Za-z0-9]+$': 'starts with `.`, then letters or digits',
};

function fmt(n: unknown): string {
  return typeof n === 'number' && Math.abs(n) >= 2 ** 53 - 1 ? (n > 0 ? '∞' : '-∞') : String(n);
}

export function ruleOf(schema: z.ZodType): string {
  const { inner } = unwrapSchema(schema);
  const d = defOf(inner);
  const parts: string[] = [];
  if (d.type === 'enum' && d.entries)
    parts.push(
      `one of ${Object.values(d.entries)
        .map((v) => `\`${v}\``)
        .join(', ')}`,
    );
  if (d.type === 'number') parts.push((inner as unknown as { isInt?: boolean }).isInt ? 'integer' : 'number');
  if (d.type === 'array' && d.element) {
    const el = ruleOf(d.element);
    parts.push(el ? `list (each: ${el})` : 'list');
  }
  if (d.type === 'record') parts.push('map');
  for (const c of d.checks ?? []) {
    const cd = c._zod.def;
    switch (cd.check) {
      case 'greater_than':
        parts.push(`${cd.inclusive ? '≥' : '>'} ${fmt(cd.value)}`);
        break;
      case 'less_than':
        if (fmt(cd.value) !== '∞') parts.push(`${cd.inclusive ? '≤' : '<'} ${fmt(cd.value)}`);
        break;
      case 'min_length':
        parts.push(cd.minimum === 1 ? 'non-empty' : `length ≥ ${String(cd.minimum)}`);
        break;
      case 'max_length':
        parts.push(`length ≤ ${String(cd.maximum)}`);
        break;
      case 'string_format':
        if (cd.format === 'regex' && cd.pattern) {
          const source = String((cd.pattern as RegExp).source ?? cd.pattern);
          parts.push(PATTERN_NAMES[source] ?? `matches \`${source}\``);
        } else if (cd.format === 'url') parts.push('URL');
        break;
      case 'custom':
        break;
    }
  }
  return parts.join(', ');
}

function walk(shape: Record<string, z.ZodType>, path: string, envPrefix: string, out: ConfigField[]): void {
  for (const [key, schema] of Object.entries(shape)) {
    const { inner, optional } = unwrapSchema(schema);
    const d = defOf(inner);
    const fieldPath = `${path}.${key}`;
    const envVar = `${envPrefix}_${camelToUpperSnake(key)}`;
    if (d.type === 'object' && d.shape) {
      walk(d.shape, fieldPath, envVar, out);
      continue;
    }
    const kind = kindOf(inner);
    const field: ConfigField = { path: fieldPath, envVar, kind, rule: ruleOf(inner), optional, schema };
    if (kind === 'list' && d.element) field.elementKind = kindOf(d.element);
    out.push(field);
  }
}

let cache: ConfigField[] | undefined;

/** Every leaf field of every section (nested strict objects such as `vector.embedding` are flattened). */
export function configFields(): readonly ConfigField[] {
  if (cache) return cache;
  const out: ConfigField[] = [];
  const shape = (FFConfigObjectSchema as unknown as { shape: Record<string, z.ZodType> }).shape;
  for (const section of CONFIG_SECTIONS) {
    const sectionShape = defOf(unwrapSchema(shape[section] as z.ZodType).inner).shape ?? {};
    walk(sectionShape, section, `CHATDB_${section.toUpperCase()}`, out);
  }
  cache = out;
  return out;
}

/** Reads the value at a dotted path. */
export function getAtPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Sets the value at a dotted path, creating objects on the way. */
export function setAtPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FFConfigError, type ValidationIssue } from '../errors.js';
import { envLayer } from './env.js';
import { camelizeConfig, MANAGER_FIELDS } from './keys.js';
import { isPlainObject, mergeLayers } from './merge.js';
import { DEFAULT_ENVIRONMENT, ENVIRONMENTS, isEnvironmentName, PRESETS } from './presets.js';
import { CONFIG_SECTIONS, type DeepPartial, DEFAULT_CONFIG, type FFConfig } from './schema.js';
import { parseConfig } from './validate.js';

export interface LoadConfigOptions extends DeepPartial<Pick<FFConfig, (typeof CONFIG_SECTIONS)[number]>> {
  /** JSON file (camelCase or snake_case keys). Default: `$CHATDB_CONFIG_PATH`. */
  path?: string;
  /** `development` | `test` | `production`. Default: `$CHATDB_ENV`, else `development`. */
  environment?: string;
  /** Applied last; wins over everything. */
  overrides?: DeepPartial<FFConfig>;
  /** Environment variables to read. Default: `process.env`. */
  env?: Record<string, string | undefined>;
}

const OPTION_KEYS = ['path', 'environment', 'overrides', 'env'] as const;
const SECTION_KEYS: ReadonlySet<string> = new Set(CONFIG_SECTIONS);

/**
 * Checks the options object itself. Sections given at its top level (`loadConfig({ storage: { … } })`,
 * a natural slip for `overrides`) are taken as overrides rather than dropped: dropping them sent data
 * to ./data. Any other unknown key, or an option of the wrong type, is an FFConfigError naming it.
 * Returns the section shorthand as one layer.
 */
function checkOptions(opts: unknown): Record<string, unknown> {
  if (!isPlainObject(opts)) {
    throw new FFConfigError('loadConfig options must be an object', {
      issues: [{ path: 'opts', message: 'must be an object like { environment, overrides }' }],
    });
  }
  const issues: ValidationIssue[] = [];
  const sections: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) {
    if (value === undefined) continue;
    if (SECTION_KEYS.has(key)) sections[key] = value;
    else if (key === 'path' || key === 'environment') {
      if (typeof value !== 'string') issues.push({ path: key, message: 'must be a string' });
    } else if (key === 'overrides' || key === 'env') {
      if (!isPlainObject(value)) issues.push({ path: key, message: 'must be an object' });
    } else {
      issues.push({
        path: key,
        message: `unknown option (loadConfig takes ${OPTION_KEYS.join(', ')}, or configuration sections: ${CONFIG_SECTIONS.join(', ')})`,
      });
    }
  }
  if (issues.length) throw new FFConfigError('Invalid loadConfig options', { issues });
  return sections;
}

/** Human position of a JSON syntax error, without quoting the file (messages never carry contents). */
function jsonErrorPosition(text: string, error: unknown): string {
  const m = /position (\d+)/.exec((error as Error)?.message ?? '');
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

/** Reads and key-normalises a JSON configuration file; throws FFConfigError naming the file. */
export function readConfigFile(file: string): Record<string, unknown> {
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'not found'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot be read (${code ?? 'error'})`;
    throw new FFConfigError(`Configuration file ${resolved} ${why}`, {
      issues: [{ path: '', message: `configuration file ${why}: ${resolved}` }],
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const where = jsonErrorPosition(text, e);
    throw new FFConfigError(`Configuration file ${resolved} is not valid JSON${where}`, {
      issues: [{ path: '', message: `malformed JSON${where} in ${resolved}` }],
    });
  }
  if (!isPlainObject(parsed)) {
    throw new FFConfigError(`Configuration file ${resolved} must contain a JSON object`, {
      issues: [{ path: '', message: `top level of ${resolved} is not an object` }],
    });
  }
  const problems: ValidationIssue[] = [];
  const camel = camelizeConfig(parsed, problems) as Record<string, unknown>;
  for (const key of MANAGER_FIELDS) delete camel[key];
  if (problems.length)
    throw new FFConfigError(`Configuration file ${resolved} is invalid`, { issues: problems });
  return camel;
}

/**
 * Builds the configuration from five layers, later wins: defaults -> environment preset -> JSON file
 * (`path` or `$CHATDB_CONFIG_PATH`) -> `CHATDB_*` environment variables -> `overrides` (sections given
 * at the top level of the options count as overrides, before `overrides` itself).
 * Throws one FFConfigError listing every problem (dotted paths) when the result is invalid.
 */
export function loadConfig(opts: LoadConfigOptions = {}): FFConfig {
  const sectionLayer = checkOptions(opts);
  const env = opts.env ?? process.env;
  // An empty or blank CHATDB_ENV means unset (as CHATDB_CONFIG_PATH does); an unknown name is an error
  // rather than the reference's bare defaults, so a typo never sends data to ./data.
  const environment = (opts.environment ?? (env.CHATDB_ENV?.trim() || DEFAULT_ENVIRONMENT))
    .trim()
    .toLowerCase();
  if (!isEnvironmentName(environment)) {
    throw new FFConfigError(`Unknown environment ${JSON.stringify(environment)}`, {
      issues: [{ path: 'environment', message: `must be one of ${ENVIRONMENTS.join(', ')}` }],
    });
  }
  const file = opts.path ?? (env.CHATDB_CONFIG_PATH || undefined);
  const fileLayer = file ? readConfigFile(file) : {};
  const { layer: rawVarsLayer, issues: envIssues } = envLayer(env);
  // JSON values of map variables may use snake_case inside, like files.
  const varsLayer = camelizeConfig(rawVarsLayer, envIssues);
  const merged = mergeLayers(
    DEFAULT_CONFIG,
    { environment },
    PRESETS[environment],
    fileLayer,
    varsLayer,
    sectionLayer,
    opts.overrides,
  );
  const result = parseConfig(merged);
  const issues = [...envIssues, ...(result.ok ? [] : result.issues)];
  if (issues.length || !result.ok) {
    const source = file
      ? ` (file ${path.resolve(file)}, environment ${environment})`
      : ` (environment ${environment})`;
    throw new FFConfigError(`Invalid configuration${source}`, { issues });
  }
  return result.config;
}

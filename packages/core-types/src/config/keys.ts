/**
 * Key-style conversion for configuration files: the original (Python) wrote snake_case keys, ffdb uses
 * camelCase. Config keys are converted; the keys of data maps (names chosen by the user, such as
 * provider, strategy, panel type, persona, entity type or MIME type names) stay as written, while the
 * config objects inside those maps are converted.
 */

/** Dotted paths (after conversion) of the maps whose keys are data, not config field names. */
export const DATA_MAP_PATHS: ReadonlySet<string> = new Set([
  'storage.sessionTypes',
  'vector.embeddingProviders',
  'vector.chunkingStrategies',
  'panel.panelTypes',
  'panel.defaultPersonas',
  'runtime.entityPatterns',
  'document.fileTypeStrategies',
]);

/**
 * The reference named its built-in entity patterns in snake_case; ffdb reports them in camelCase
 * (API.md §6.8). A Python file overriding `code_blocks` therefore overrides `codeBlocks` instead of
 * adding a second pattern. Other entity pattern names stay as written.
 */
const ENTITY_PATTERN_ALIASES: Readonly<Record<string, string>> = {
  code_blocks: 'codeBlocks',
  phone_numbers: 'phoneNumbers',
  ip_addresses: 'ipAddresses',
  file_paths: 'filePaths',
  github_repos: 'githubRepos',
  jira_tickets: 'jiraTickets',
};

export function snakeToCamel(key: string): string {
  // Only underscores between word characters: `__proto__` or `_x` stay as written (and are then rejected).
  return key.includes('_')
    ? key.replace(/(?<=[a-zA-Z0-9])_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())
    : key;
}

export function camelToUpperSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CamelizeProblem {
  path: string;
  message: string;
}

/**
 * Converts a config object with snake_case and/or camelCase keys to camelCase, keeping the keys of
 * data maps. Reports keys given twice (once in each style).
 */
export function camelizeConfig(input: unknown, problems: CamelizeProblem[] = [], path = ''): unknown {
  if (Array.isArray(input)) return input.map((v) => camelizeConfig(v, problems, path));
  if (!isPlainObject(input)) return input;
  const isDataMap = DATA_MAP_PATHS.has(path);
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(input)) {
    let key: string;
    if (isDataMap)
      key = path === 'runtime.entityPatterns' ? (ENTITY_PATTERN_ALIASES[rawKey] ?? rawKey) : rawKey;
    else key = snakeToCamel(rawKey);
    // Inside a data map each value is a config object again; its path is that of the map's entries.
    const childPath = isDataMap ? `${path}.*` : path ? `${path}.${key}` : key;
    if (key === '__proto__') {
      problems.push({ path: displayPath(path, key), message: 'key "__proto__" is not allowed' });
      continue;
    }
    if (Object.hasOwn(out, key)) {
      problems.push({
        path: displayPath(path, key),
        message: `key given twice (as ${JSON.stringify(rawKey)} and in another style)`,
      });
    }
    out[key] = camelizeConfig(value, problems, childPath);
  }
  return out;
}

function displayPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Fields of the reference's configuration manager that may appear in a Python-written file; not config.
 * (`environment` is chosen by `opts.environment`/`$CHATDB_ENV`, before the file is read.) loadConfig and
 * validateConfig both drop them, so a file one accepts the other accepts.
 */
export const MANAGER_FIELDS: ReadonlySet<string> = new Set([
  'configFilePath',
  'autoReload',
  'validateOnLoad',
  'environment',
]);

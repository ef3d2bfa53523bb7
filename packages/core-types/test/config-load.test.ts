import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  FFConfigError,
  type FFConfig,
  loadConfig,
  PRESETS,
  validateConfig,
} from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-config-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

/** loadConfig that must throw FFConfigError; returns it. */
function configError(fn: () => unknown): FFConfigError {
  try {
    fn();
  } catch (e) {
    expect(FFConfigError.isInstance(e)).toBe(true);
    expect((e as FFConfigError).code).toBe('FF_CONFIG');
    return e as FFConfigError;
  }
  throw new Error('expected an FFConfigError');
}

const noEnv = {};

describe('defaults and presets', () => {
  it('defaults to the development preset with ./data', () => {
    const c = loadConfig({ env: noEnv });
    expect(c.environment).toBe('development');
    expect(c.storage.basePath).toBe('./data');
    expect(c.search.enableSearchCache).toBe(false);
    expect(c.compression).toMatchObject({
      enabled: true,
      algorithm: 'lz4',
      archiveAlgorithm: 'brotli',
      archiveAfterDays: 30,
    });
    expect(c.compression.segmentMaxBytes).toBe(4 * 1024 * 1024);
    expect(c.streaming).toEqual({
      enabled: true,
      batchSize: 100,
      bufferSize: 8192,
      timeoutSeconds: 300,
      maxConcurrentStreams: 5,
    });
    expect(c.storage.durability).toBe('always');
    expect(c.vector.defaultEmbeddingProvider).toBe('hashed-ngram');
    expect(Object.keys(c.vector.embeddingProviders)).toEqual(
      expect.arrayContaining(['hashed-ngram', 'nomic-ai', 'openai', 'sentence-transformers']),
    );
    expect(c.runtime.logLevel).toBe('silent');
    expect(c.runtime.logContent).toBe(false);
  });

  it('DEFAULT_CONFIG is the bare defaults, valid and frozen', () => {
    expect(DEFAULT_CONFIG.storage.basePath).toBe('./data');
    expect(DEFAULT_CONFIG.storage.maxMessageSizeBytes).toBe(1_048_576);
    expect(validateConfig(DEFAULT_CONFIG)).toEqual([]);
    expect(Object.isFrozen(DEFAULT_CONFIG.storage)).toBe(true);
  });

  it.each([
    ['development', './data'],
    ['test', './test_data'],
    ['production', '/var/lib/ffdb/data'],
  ])('preset %s is valid on its own with basePath %s', (environment, basePath) => {
    const c = loadConfig({ environment, env: noEnv });
    expect(c.environment).toBe(environment);
    expect(c.storage.basePath).toBe(basePath);
    expect(validateConfig(c)).toEqual([]);
    expect(validateConfig(PRESETS[environment as keyof typeof PRESETS])).toEqual([]);
  });

  it('applies the reference preset changes', () => {
    const t = loadConfig({ environment: 'test', env: noEnv });
    expect(t.storage.maxMessagesPerSession).toBe(1000);
    expect(t.locking.timeoutSeconds).toBe(5);
    expect(t.search.maxTotalResults).toBe(100);
    expect(t.panel.maxMessagesPerPanel).toBeLessThanOrEqual(t.storage.maxMessagesPerSession);
    const p = loadConfig({ environment: 'production', env: noEnv });
    expect(p.storage.validateJsonOnRead).toBe(false);
    expect(p.storage.jsonlReadBufferSize).toBe(16384);
    expect(p.locking.retryMaxAttempts).toBe(200);
    expect(p.search.cacheTtlSeconds).toBe(600);
  });

  it('takes the environment from CHATDB_ENV, and the option over it', () => {
    expect(loadConfig({ env: { CHATDB_ENV: 'test' } }).storage.basePath).toBe('./test_data');
    expect(loadConfig({ environment: 'production', env: { CHATDB_ENV: 'test' } }).environment).toBe(
      'production',
    );
    // An empty variable means unset.
    expect(loadConfig({ env: { CHATDB_ENV: '' } }).environment).toBe('development');
    expect(loadConfig({ env: { CHATDB_ENV: '  ' } }).storage.basePath).toBe('./data');
  });

  it('rejects an unknown environment name', () => {
    const e = configError(() => loadConfig({ environment: 'staging', env: noEnv }));
    expect(e.message).toContain('staging');
    expect(e.issues[0]?.path).toBe('environment');
  });
});

describe('JSON files', () => {
  it('loads a camelCase file', () => {
    const file = writeJson('camel.json', {
      storage: { basePath: '/srv/chat', maxMessageSizeBytes: 2048 },
      search: { defaultPageSize: 10 },
      compression: { algorithm: 'none' },
    });
    const c = loadConfig({ path: file, env: noEnv });
    expect(c.storage.basePath).toBe('/srv/chat');
    expect(c.storage.maxMessageSizeBytes).toBe(2048);
    expect(c.search.defaultPageSize).toBe(10);
    expect(c.compression.algorithm).toBe('none');
    expect(c.storage.userDataDirectory).toBe('users');
  });

  it('loads a Python-style snake_case file, keeping data-map keys as written', () => {
    // Shaped like the reference's FFConfigurationManagerConfigDTO.to_dict() output.
    const python = {
      config_file_path: null,
      environment: null,
      auto_reload: false,
      validate_on_load: true,
      storage: {
        base_path: '/home/me/chat_data',
        user_data_directory: 'users',
        session_id_prefix: 'chat_session',
        session_types: { chat: 'chat_session', panel: 'panel_session', my_custom_type: 'custom_session' },
        max_message_size_bytes: 524288,
        max_document_size_bytes: 104857600,
        max_messages_per_session: 100000,
        atomic_write_temp_suffix: '.tmp',
        validate_json_on_read: true,
        jsonl_read_buffer_size: 8192,
        message_id_length: 12,
      },
      search: {
        default_page_size: 25,
        max_page_size: 100,
        min_relevance_score: 0.1,
        enable_search_cache: true,
      },
      vector: {
        default_embedding_provider: 'nomic-ai',
        embedding_providers: {
          'nomic-ai': {
            model_name: 'nomic-ai/nomic-embed-text-v1',
            embedding_dimension: 768,
            requires_api_key: false,
          },
          my_local_model: { model_name: 'local/e5', embedding_dimension: 512, max_tokens: 256 },
        },
        chunking_strategies: { my_strategy: { chunk_size: 300, chunk_overlap: 30 } },
        default_chunking_strategy: 'my_strategy',
        similarity_threshold: 0.6,
        index_type: 'flat',
      },
      document: {
        allowed_extensions: ['.txt', '.md', '.pdf'],
        file_type_strategies: { 'image/*': { max_dimension: 1024, thumbnail_size: [128, 128] } },
      },
      locking: { timeout_seconds: 12.5, retry_strategy: 'linear' },
      panel: {
        max_personas_per_panel: 8,
        panel_types: {
          round_table: { min_personas: 2, max_personas: 6, features: ['voting'], description: 'x' },
        },
        default_personas: { devils_advocate: { name: "Devil's Advocate", traits: ['contrarian'] } },
      },
      runtime: {
        disk_usage_warning_threshold: 80.0,
        entity_patterns: { code_blocks: '```[\\s\\S]*?```', order_numbers: 'ORD-\\d+' },
      },
    };
    // validateConfig accepts what loadConfig loads: the reference's manager fields are not config.
    expect(validateConfig(python)).toEqual([]);
    const file = writeJson('python.json', python);
    const c = loadConfig({ path: file, env: noEnv });
    expect(c.storage.basePath).toBe('/home/me/chat_data');
    expect(c.storage.maxMessageSizeBytes).toBe(524288);
    expect(c.storage.sessionTypes.my_custom_type).toBe('custom_session');
    expect(c.storage.sessionTypes).not.toHaveProperty('myCustomType');
    expect(c.search.defaultPageSize).toBe(25);
    expect(c.vector.defaultEmbeddingProvider).toBe('nomic-ai');
    expect(c.vector.embeddingProviders.my_local_model).toMatchObject({
      modelName: 'local/e5',
      embeddingDimension: 512,
      maxTokens: 256,
    });
    expect(c.vector.chunkingStrategies.my_strategy).toMatchObject({ chunkSize: 300, chunkOverlap: 30 });
    expect(c.vector.chunkingStrategies.optimized_summary).toBeDefined();
    // A strategy's kind, when given, is one the chunker has.
    const badKind = validateConfig({ vector: { chunkingStrategies: { mine: { kind: 'magic' } } } });
    expect(badKind.map((i) => i.path)).toContain('vector.chunkingStrategies.mine.kind');
    // Entries the chunker would refuse at first use are refused here, merged with their defaults.
    const paths = (chunkingStrategies: Record<string, unknown>) =>
      validateConfig({ vector: { chunkingStrategies } }).map((i) => i.path);
    expect(paths({ sentence_based: { sentencesPerChunk: 1 } })).toEqual([
      'vector.chunkingStrategies.sentence_based.overlapSentences',
    ]);
    expect(paths({ mine: { chunkSize: 10 } })).toEqual(['vector.chunkingStrategies.mine.chunkSize']);
    expect(paths({ mine: { chunkSize: 10, chunkOverlap: 2 } })).toEqual([]);
    expect(paths({ sentence_short: { chunkSize: 10 } })).toEqual([]);
    expect(paths({ optimized_summary: { sentencePerChunk: 1 } })).toEqual([]);
    expect(validateConfig({ runtime: { maxFilenameLength: 9 } }).map((i) => i.path)).toContain(
      'runtime.maxFilenameLength',
    );
    expect(c.document.allowedExtensions).toEqual(['.txt', '.md', '.pdf']);
    expect(c.document.fileTypeStrategies['image/*']).toMatchObject({
      maxDimension: 1024,
      thumbnailSize: [128, 128],
      extractExif: true,
    });
    expect(c.locking.timeoutSeconds).toBe(12.5);
    expect(c.locking.retryStrategy).toBe('linear');
    expect(c.panel.panelTypes.round_table).toMatchObject({ minPersonas: 2, maxPersonas: 6 });
    expect(c.panel.defaultPersonas.devils_advocate?.name).toBe("Devil's Advocate");
    expect(c.runtime.diskUsageWarningThreshold).toBe(80);
    // The reference's snake_case built-in pattern name overrides the camelCase one instead of duplicating it.
    expect(c.runtime.entityPatterns).not.toHaveProperty('code_blocks');
    expect(c.runtime.entityPatterns.codeBlocks).toBeDefined();
    expect(c.runtime.entityPatterns.order_numbers).toBe('ORD-\\d+');
  });

  it('loads a complete Python to_dict() dump with every reference field in snake_case', () => {
    // test/fixtures/python-config.json: every section and field of the reference (§3), its defaults,
    // its manager fields and its snake_case entity pattern names.
    const file = path.join(import.meta.dirname, 'fixtures', 'python-config.json');
    const c = loadConfig({ path: file, env: noEnv, environment: 'development' });
    // The file sets every field, so nothing of the preset shows through: the bare defaults, with the
    // reference's default provider.
    const expected = structuredClone(DEFAULT_CONFIG) as FFConfig;
    expected.vector.defaultEmbeddingProvider = 'nomic-ai';
    // The original's extension list has no HTML, which ffdb's default adds for the document pipeline.
    expected.document.allowedExtensions = expected.document.allowedExtensions.filter(
      (e) => e !== '.html' && e !== '.htm',
    );
    expect(c).toEqual(expected);
    expect(Object.keys(c.runtime.entityPatterns).sort()).toEqual(
      Object.keys(DEFAULT_CONFIG.runtime.entityPatterns).sort(),
    );
  });

  it("the file's manager fields (environment, auto_reload, …) do not change the chosen environment", () => {
    const file = writeJson('manager-fields.json', {
      environment: 'production',
      auto_reload: true,
      storage: {},
    });
    const c = loadConfig({ path: file, environment: 'test', env: noEnv });
    expect(c.environment).toBe('test');
    expect(c.storage.basePath).toBe('./test_data');
  });

  it('reads the file from CHATDB_CONFIG_PATH', () => {
    const file = writeJson('from-env.json', { storage: { base_path: '/from/env' } });
    expect(loadConfig({ env: { CHATDB_CONFIG_PATH: file } }).storage.basePath).toBe('/from/env');
  });

  it('a missing file is a clear FFConfigError naming the file', () => {
    const missing = path.join(dir, 'nope.json');
    const e = configError(() => loadConfig({ path: missing, env: noEnv }));
    expect(e.message).toContain(missing);
    expect(e.message).toMatch(/not found/);
  });

  it('malformed JSON is a clear FFConfigError naming the file and position, not quoting it', () => {
    const file = writeJson('bad.json', '{\n  "storage": { "basePath": "SECRET-CONTENT", }\n}');
    const e = configError(() => loadConfig({ path: file, env: noEnv }));
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/not valid JSON/);
    expect(e.message).toMatch(/line 2/);
    expect(e.message).not.toContain('SECRET-CONTENT');
  });

  it('a file whose top level is not an object is rejected', () => {
    const file = writeJson('list.json', '[1, 2]');
    expect(configError(() => loadConfig({ path: file, env: noEnv })).message).toMatch(/JSON object/);
  });

  it('unknown keys are rejected with the key named (both styles, nested too)', () => {
    const file = writeJson('unknown.json', {
      storage: { base_path: './x', bogus_field: 1 },
      search: { notAThing: true },
      mystery_section: {},
      vector: { embedding: { base_url: 'http://localhost:1234/v1', colour: 'red' } },
    });
    const e = configError(() => loadConfig({ path: file, env: noEnv }));
    const paths = e.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'storage.bogusField',
        'search.notAThing',
        'mysterySection',
        'vector.embedding.colour',
      ]),
    );
    expect(e.message).toContain('bogusField');
    expect(e.message).toContain('colour');
  });

  it('a key given in both styles is reported', () => {
    const file = writeJson('dup.json', { storage: { base_path: './a', basePath: './b' } });
    const e = configError(() => loadConfig({ path: file, env: noEnv }));
    expect(e.issues[0]?.path).toBe('storage.basePath');
  });
});

describe('environment variables', () => {
  it('converts ints, floats, strings and enums by the schema type', () => {
    const c = loadConfig({
      env: {
        CHATDB_STORAGE_BASE_PATH: '/env/path',
        CHATDB_STORAGE_MAX_MESSAGE_SIZE_BYTES: '2048',
        CHATDB_LOCKING_TIMEOUT_SECONDS: '2.5',
        CHATDB_VECTOR_SIMILARITY_THRESHOLD: '0.25',
        CHATDB_STORAGE_DURABILITY: 'batch',
        CHATDB_VECTOR_EMBEDDING_BASE_URL: 'http://localhost:8080/v1',
        CHATDB_VECTOR_EMBEDDING_TIMEOUT_MS: '1500',
      },
    });
    expect(c.storage.basePath).toBe('/env/path');
    expect(c.storage.maxMessageSizeBytes).toBe(2048);
    expect(c.locking.timeoutSeconds).toBe(2.5);
    expect(c.vector.similarityThreshold).toBe(0.25);
    expect(c.storage.durability).toBe('batch');
    expect(c.vector.embedding.baseUrl).toBe('http://localhost:8080/v1');
    expect(c.vector.embedding.timeoutMs).toBe(1500);
  });

  it.each(['true', '1', 'yes', 'on', 'TRUE', 'Yes', ' On '])('boolean %j is true', (v) => {
    expect(loadConfig({ env: { CHATDB_SEARCH_CASE_SENSITIVE: v } }).search.caseSensitive).toBe(true);
  });

  it.each(['false', '0', 'no', 'off', 'False', 'NO'])('boolean %j is false', (v) => {
    expect(loadConfig({ env: { CHATDB_STORAGE_BACKUP_BEFORE_DELETE: v } }).storage.backupBeforeDelete).toBe(
      false,
    );
  });

  it('a bad boolean is an error naming the variable', () => {
    const e = configError(() => loadConfig({ env: { CHATDB_SEARCH_CASE_SENSITIVE: 'maybe' } }));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.path).toBe('search.caseSensitive');
    expect(e.message).toContain('CHATDB_SEARCH_CASE_SENSITIVE');
  });

  it('a bad int or float is an error naming the variable', () => {
    const e = configError(() =>
      loadConfig({ env: { CHATDB_STORAGE_MAX_OPEN_FILES: '12.5', CHATDB_LOCKING_TIMEOUT_SECONDS: 'soon' } }),
    );
    expect(e.message).toContain('CHATDB_STORAGE_MAX_OPEN_FILES');
    expect(e.message).toContain('CHATDB_LOCKING_TIMEOUT_SECONDS');
  });

  it('integers take decimal digits only (0x10, 0b11, 1e3 are errors); floats no hex either', () => {
    for (const bad of ['0x10', '0b11', '1e3', '0o7', '12abc']) {
      const e = configError(() => loadConfig({ env: { CHATDB_STORAGE_MAX_MESSAGE_SIZE_BYTES: bad } }));
      expect(e.message).toContain('CHATDB_STORAGE_MAX_MESSAGE_SIZE_BYTES');
    }
    expect(
      loadConfig({ env: { CHATDB_STORAGE_MAX_MESSAGE_SIZE_BYTES: ' +4_096 ' } }).storage.maxMessageSizeBytes,
    ).toBe(4096);
    configError(() => loadConfig({ env: { CHATDB_LOCKING_TIMEOUT_SECONDS: '0x10' } }));
    expect(loadConfig({ env: { CHATDB_LOCKING_TIMEOUT_SECONDS: '.5' } }).locking.timeoutSeconds).toBe(0.5);
    expect(loadConfig({ env: { CHATDB_LOCKING_TIMEOUT_SECONDS: '1e1' } }).locking.timeoutSeconds).toBe(10);
  });

  it('lists: JSON when starting with [, else comma-split', () => {
    const json = loadConfig({ env: { CHATDB_DOCUMENT_ALLOWED_EXTENSIONS: '[".txt", ".md"]' } });
    expect(json.document.allowedExtensions).toEqual(['.txt', '.md']);
    const comma = loadConfig({ env: { CHATDB_DOCUMENT_ALLOWED_EXTENSIONS: '.txt, .pdf ,.csv' } });
    expect(comma.document.allowedExtensions).toEqual(['.txt', '.pdf', '.csv']);
    const e = configError(() => loadConfig({ env: { CHATDB_DOCUMENT_ALLOWED_EXTENSIONS: '[".txt",' } }));
    expect(e.message).toContain('CHATDB_DOCUMENT_ALLOWED_EXTENSIONS');
  });

  it('map variables may use snake_case inside, like files', () => {
    const c = loadConfig({
      env: { CHATDB_VECTOR_EMBEDDING_PROVIDERS: '{"my_model":{"model_name":"m","embedding_dimension":16}}' },
    });
    expect(c.vector.embeddingProviders.my_model).toMatchObject({ modelName: 'm', embeddingDimension: 16 });
  });

  it('maps: JSON objects', () => {
    const c = loadConfig({
      env: { CHATDB_STORAGE_SESSION_TYPES: '{"chat":"chat_session","support":"support_session"}' },
    });
    expect(c.storage.sessionTypes.support).toBe('support_session');
  });

  it('general variables: CHATDB_BASE_PATH, CHATDB_MAX_FILE_SIZE, CHATDB_ENABLE_CACHING', () => {
    const c = loadConfig({
      env: { CHATDB_BASE_PATH: '/general', CHATDB_MAX_FILE_SIZE: '5000000', CHATDB_ENABLE_CACHING: 'yes' },
    });
    expect(c.storage.basePath).toBe('/general');
    expect(c.storage.maxDocumentSizeBytes).toBe(5_000_000);
    expect(c.document.maxFileSizeBytes).toBe(5_000_000);
    expect(c.search.enableSearchCache).toBe(true);
    expect(c.vector.cacheEnabled).toBe(true);
    expect(c.document.cacheProcessedDocuments).toBe(true);
    const off = loadConfig({ env: { CHATDB_ENABLE_CACHING: 'off' } });
    expect(off.vector.cacheEnabled).toBe(false);
    // The specific variable wins over the general one.
    expect(
      loadConfig({ env: { CHATDB_BASE_PATH: '/g', CHATDB_STORAGE_BASE_PATH: '/s' } }).storage.basePath,
    ).toBe('/s');
  });

  it('an unknown field of a known section is an error naming it; foreign variables are ignored', () => {
    const e = configError(() => loadConfig({ env: { CHATDB_STORAGE_NO_SUCH_FIELD: '1' } }));
    expect(e.message).toContain('CHATDB_STORAGE_NO_SUCH_FIELD');
    expect(() =>
      loadConfig({ env: { CHATDB_SOMETHING_ELSE: '1', PATH: '/bin', CHATDB_ENV: 'test' } }),
    ).not.toThrow();
  });
});

describe('the options object', () => {
  it('configuration sections at its top level are taken as overrides, `overrides` winning', () => {
    const c = loadConfig({ env: noEnv, storage: { basePath: '/top/level', maxMessageSizeBytes: 4096 } });
    expect(c.storage.basePath).toBe('/top/level');
    expect(c.storage.maxMessageSizeBytes).toBe(4096);
    const both = loadConfig({
      env: noEnv,
      storage: { basePath: '/top/level' },
      overrides: { storage: { basePath: '/from/overrides' } },
    });
    expect(both.storage.basePath).toBe('/from/overrides');
    const bad = configError(() => loadConfig({ env: noEnv, storage: { maxMessageSizeBytes: -1 } }));
    expect(bad.issues[0]?.path).toBe('storage.maxMessageSizeBytes');
  });

  it('an unknown option, or one of the wrong type, is an FFConfigError naming it', () => {
    const typo = configError(() =>
      loadConfig({ env: noEnv, overides: { storage: { basePath: '/x' } } } as Parameters<
        typeof loadConfig
      >[0]),
    );
    expect(typo.issues.map((i) => i.path)).toEqual(['overides']);
    expect(typo.issues[0]?.message).toContain('overrides');
    const types = configError(() =>
      loadConfig({ environment: 5, path: 5, overrides: 'x', env: [1] } as unknown as Parameters<
        typeof loadConfig
      >[0]),
    );
    expect(types.issues.map((i) => i.path).sort()).toEqual(['env', 'environment', 'overrides', 'path']);
    for (const notAnObject of ['x', 5, null, [1]]) {
      const e = configError(() => loadConfig(notAnObject as unknown as Parameters<typeof loadConfig>[0]));
      expect(e.issues[0]?.path).toBe('opts');
    }
  });
});

describe('layering order', () => {
  it('defaults < preset < file < env < overrides', () => {
    const file = writeJson('layers.json', {
      storage: { basePath: '/file', maxMessageSizeBytes: 111, maxSessionsPerUser: 7 },
      search: { defaultLimit: 3 },
    });
    const env = { CHATDB_STORAGE_MAX_MESSAGE_SIZE_BYTES: '222', CHATDB_SEARCH_DEFAULT_LIMIT: '4' };
    const c = loadConfig({
      environment: 'test',
      path: file,
      env,
      overrides: { search: { defaultLimit: 5 } },
    });
    expect(c.locking.timeoutSeconds).toBe(5); // preset beats defaults
    expect(c.storage.basePath).toBe('/file'); // file beats preset
    expect(c.storage.maxSessionsPerUser).toBe(7); // file beats defaults
    expect(c.storage.maxMessageSizeBytes).toBe(222); // env beats file
    expect(c.search.defaultLimit).toBe(5); // overrides beat env
    expect(c.storage.userDataDirectory).toBe('users'); // untouched defaults stay
  });

  it('overrides can fix what the env broke and are validated too', () => {
    const e = configError(() =>
      loadConfig({ env: noEnv, overrides: { storage: { maxMessageSizeBytes: -1 } } }),
    );
    expect(e.issues.map((i) => i.path)).toEqual(['storage.maxMessageSizeBytes']);
  });

  it('data maps merge key by key across layers', () => {
    const file = writeJson('maps.json', {
      vector: { embeddingProviders: { extra: { modelName: 'm', embeddingDimension: 8 } } },
    });
    const c = loadConfig({ path: file, env: noEnv });
    expect(Object.keys(c.vector.embeddingProviders)).toEqual(
      expect.arrayContaining(['extra', 'hashed-ngram', 'openai']),
    );
  });
});

describe('validation reports every problem', () => {
  it('several bad fields are all listed with dotted paths', () => {
    const bad: Record<string, unknown> = {
      storage: { maxMessageSizeBytes: 0, basePath: '', durability: 'sometimes' },
      search: { defaultPageSize: 500, maxPageSize: 100, minRelevanceScore: 1.5 },
      vector: { defaultEmbeddingProvider: 'missing', hybridSearchWeight: -0.1 },
      document: { allowedExtensions: ['txt', '.md'] },
      panel: { minPersonasPerPanel: 5, maxPersonasPerPanel: 3 },
      runtime: { diskUsageWarningThreshold: 96, diskUsageCriticalThreshold: 95 },
      locking: { retryMultiplier: 20 },
      streaming: { batchSize: 'many' },
    };
    const e = configError(() => loadConfig({ env: noEnv, overrides: bad as never }));
    const paths = e.issues.map((i) => i.path);
    for (const p of [
      'storage.maxMessageSizeBytes',
      'storage.basePath',
      'storage.durability',
      'search.defaultPageSize',
      'search.minRelevanceScore',
      'vector.defaultEmbeddingProvider',
      'vector.hybridSearchWeight',
      'document.allowedExtensions.0',
      'panel.minPersonasPerPanel',
      'runtime.diskUsageWarningThreshold',
      'locking.retryMultiplier',
      'streaming.batchSize',
    ]) {
      expect(paths).toContain(p);
    }
    expect(
      validateConfig(bad)
        .map((i) => i.path)
        .sort(),
    ).toEqual([...paths].sort());
  });

  it('cross-section rules say "exceeds"', () => {
    const issues = validateConfig({
      storage: { maxDocumentSizeBytes: 1000, maxMessagesPerSession: 50 },
      document: { maxFileSizeBytes: 2000 },
      search: { maxResultsPerSession: 100 },
      panel: { maxMessagesPerPanel: 60 },
    });
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath['document.maxFileSizeBytes']).toMatch(/exceeds/);
    expect(byPath['search.maxResultsPerSession']).toMatch(/exceeds/);
    expect(byPath['panel.maxMessagesPerPanel']).toMatch(/exceeds/);
    expect(issues).toHaveLength(3);
  });

  it('cross-section rules still run when other fields are invalid', () => {
    const issues = validateConfig({
      storage: { maxMessagesPerSession: 10, basePath: 42 },
      search: { maxResultsPerSession: 20 },
    });
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['storage.basePath', 'search.maxResultsPerSession']),
    );
  });

  it('validateConfig never throws and accepts snake_case input', () => {
    expect(validateConfig(undefined)).toEqual([]);
    expect(validateConfig('nonsense').length).toBeGreaterThan(0);
    expect(validateConfig({ storage: { max_page_size: 1 } })[0]?.path).toBe('storage.maxPageSize');
    expect(validateConfig({ search: { default_page_size: 5 } })).toEqual([]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => validateConfig(cyclic)).not.toThrow();
  });

  it('the loaded config is a plain FFConfig usable by everyone', () => {
    const c: FFConfig = loadConfig({ env: noEnv });
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });
});

describe('hostile configuration input', () => {
  it('a __proto__ key in a file is rejected and pollutes nothing', () => {
    const file = writeJson(
      'proto.json',
      '{"__proto__": {"polluted": true}, "storage": {"__proto__": {"polluted": true}}}',
    );
    const e = configError(() => loadConfig({ path: file, env: noEnv }));
    expect(e.message).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(validateConfig(JSON.parse('{"search": {"__proto__": {"polluted": 1}}}')).length).toBeGreaterThan(
      0,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('map variables with __proto__ do not pollute', () => {
    expect(() =>
      loadConfig({ env: { CHATDB_STORAGE_SESSION_TYPES: '{"__proto__":{"polluted":"x"}}' } }),
    ).toThrow();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('validateConfig merges maps like loadConfig and rejects non-objects', () => {
    expect(
      validateConfig({
        vector: { embeddingProviders: { extra: { modelName: 'm', embeddingDimension: 4 } } },
      }),
    ).toEqual([]);
    expect(validateConfig([1, 2])[0]?.message).toMatch(/object/);
    expect(validateConfig(null)).toEqual([]);
  });

  it('an empty variable for an optional field means unset', () => {
    const c = loadConfig({
      env: { CHATDB_VECTOR_EMBEDDING_API_KEY: '', CHATDB_VECTOR_EMBEDDING_BASE_URL: ' ' },
    });
    expect(c.vector.embedding.apiKey).toBeUndefined();
    expect(c.vector.embedding.baseUrl).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import {
  configFields,
  configSummary,
  DEFAULT_CONFIG,
  detectSessionType,
  envVarFor,
  type FFConfig,
  getChunkingConfig,
  getDefaultPersona,
  getEmbeddingConfig,
  getFileTypeConfig,
  getPanelTypeConfig,
  getRetryDelay,
  getSessionPrefix,
  isAllowedFile,
  loadConfig,
  snakeToCamel,
} from '../src/index.js';

const config = loadConfig({ env: {} });
const withLocking = (locking: Partial<FFConfig['locking']>): FFConfig => ({
  ...config,
  locking: { ...config.locking, ...locking },
});

describe('config lookups', () => {
  it('getSessionPrefix maps types, accepts prefixes and falls back', () => {
    expect(getSessionPrefix(config)).toBe('chat_session');
    expect(getSessionPrefix(config, 'panel')).toBe('panel_session');
    expect(getSessionPrefix(config, 'problem_solving')).toBe('problem_solving_session');
    expect(getSessionPrefix(config, 'debate_session')).toBe('debate_session');
    expect(getSessionPrefix(config, 'unknown')).toBe('chat_session');
    expect(getSessionPrefix(config, '__proto__')).toBe('chat_session');
  });

  it('detectSessionType uses the longest matching prefix', () => {
    expect(detectSessionType(config, 'panel_session_20250101_000000_000000')).toBe('panel');
    expect(detectSessionType(config, 'problem_solving_session_20250101_000000_000000')).toBe(
      'problem_solving',
    );
    expect(detectSessionType(config, 'whatever')).toBe('chat');
  });

  it('panel types, default personas, embedding and chunking configs', () => {
    expect(getPanelTypeConfig(config, 'focus_group')).toMatchObject({ minPersonas: 3, maxPersonas: 8 });
    expect(getPanelTypeConfig(config, 'nope')).toBeUndefined();
    expect(getDefaultPersona(config, 'analyst')?.name).toBe('Analytical Thinker');
    expect(getDefaultPersona(config, 'toString')).toBeUndefined();
    expect(getEmbeddingConfig(config)?.modelName).toBe('hashed-ngram');
    expect(getEmbeddingConfig(config, 'openai')).toMatchObject({
      embeddingDimension: 1536,
      requiresApiKey: true,
    });
    expect(getEmbeddingConfig(config, 'nope')).toBeUndefined();
    expect(getChunkingConfig(config)).toMatchObject({ chunkSize: 800, chunkOverlap: 100 });
    expect(getChunkingConfig(config, 'fixed_size')).toMatchObject({ chunkSize: 512, chunkOverlap: 64 });
  });

  it('getRetryDelay follows the reference (seconds, capped, 0 when disabled or exhausted)', () => {
    expect(getRetryDelay(config, 0)).toBeCloseTo(0.01);
    expect(getRetryDelay(config, 3)).toBeCloseTo(0.08);
    expect(getRetryDelay(config, 20)).toBe(1); // capped at retryMaxDelaySeconds
    expect(getRetryDelay(config, 100)).toBe(0); // attempts exhausted
    expect(getRetryDelay(config.locking, 1)).toBeCloseTo(0.02);
    expect(getRetryDelay(withLocking({ retryStrategy: 'fixed' }), 5)).toBeCloseTo(0.01);
    expect(getRetryDelay(withLocking({ retryStrategy: 'linear' }), 4)).toBeCloseTo(0.05);
    expect(getRetryDelay(withLocking({ retryEnabled: false }), 1)).toBe(0);
  });

  it('file type configs and allowed files (trailing-wildcard MIME patterns match by prefix)', () => {
    expect(getFileTypeConfig(config, 'text/plain')).toMatchObject({ chunkSize: 4096 });
    expect(getFileTypeConfig(config, 'image/png')).toMatchObject({ maxDimension: 2048 });
    expect(getFileTypeConfig(config, 'audio/mpeg')).toEqual({});
    expect(isAllowedFile(config, '.TXT')).toBe(true);
    expect(isAllowedFile(config, 'pdf', 'application/pdf')).toBe(true);
    expect(isAllowedFile(config, '.exe')).toBe(false);
    expect(isAllowedFile(config, '.txt', 'application/x-msdownload')).toBe(false);
    expect(
      isAllowedFile(
        config,
        '.docx',
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      ),
    ).toBe(true);
  });
});

describe('configSummary', () => {
  it('summarises environment, base path, limits and features', () => {
    const s = configSummary(loadConfig({ environment: 'production', env: {} }));
    expect(s).toMatchObject({
      environment: 'production',
      basePath: '/var/lib/ffdb/data',
      valid: true,
      issueCount: 0,
      limits: {
        maxMessageSizeBytes: 1_048_576,
        maxDocumentSizeBytes: 104_857_600,
        maxMessagesPerSession: 100_000,
      },
      vector: { defaultEmbeddingProvider: 'hashed-ngram', embeddingDimension: 384 },
      compression: { enabled: true, algorithm: 'lz4', archiveAlgorithm: 'brotli' },
      features: { compression: true, embedMessages: false, streaming: true },
    });
    expect(s.sections).toHaveLength(9);
    expect(JSON.stringify(s)).not.toContain('apiKey');
  });

  it("carries the reference's own get_summary() fields, camelCased", () => {
    const s = configSummary(
      loadConfig({
        env: {},
        overrides: {
          locking: { enabled: false },
          search: { enableSearchCache: true },
          document: { allowedExtensions: ['.txt', '.md'], maxFileSizeBytes: 3 * 1_048_576 + 524_288 },
        },
      }),
    );
    expect(s).toMatchObject({
      environment: 'development',
      basePath: './data',
      lockingEnabled: false,
      vectorProvider: 'hashed-ngram',
      searchCacheEnabled: true,
      documentExtensions: 2,
      maxFileSizeMb: 3.5,
    });
    expect(s.panelTypes).toEqual(Object.keys(DEFAULT_CONFIG.panel.panelTypes));
    expect(s.panelTypes.length).toBeGreaterThan(0);
  });

  it('reports an invalid config instead of throwing', () => {
    const bad = {
      ...DEFAULT_CONFIG,
      search: { ...DEFAULT_CONFIG.search, defaultPageSize: 1000 },
    } as FFConfig;
    expect(configSummary(bad)).toMatchObject({ valid: false, issueCount: 1 });
  });

  it('takes a partial configuration in either key style, completed with the defaults', () => {
    expect(configSummary({ storage: { basePath: '/srv/chat' } })).toMatchObject({
      environment: 'development',
      basePath: '/srv/chat',
      valid: true,
      limits: { maxMessageSizeBytes: DEFAULT_CONFIG.storage.maxMessageSizeBytes },
    });
    expect(configSummary({ storage: { base_path: '/srv/py' } } as never)).toMatchObject({
      basePath: '/srv/py',
    });
    expect(configSummary({ search: { defaultPageSize: 1000 } })).toMatchObject({ valid: false });
    // The same summary loadConfig's result gives: the preset applies (development when none is named).
    for (const environment of ['development', 'test', 'production'] as const) {
      expect(configSummary({ environment })).toEqual(configSummary(loadConfig({ environment, env: {} })));
    }
    // Sections of the wrong shape are counted as issues, never thrown.
    for (const bad of [{ vector: null }, { storage: null }, { vector: { embeddingProviders: null } }]) {
      expect(configSummary(bad as never)).toMatchObject({ valid: false, issueCount: 1, basePath: './data' });
    }
  });
});

describe('schema introspection', () => {
  it('every field has a distinct CHATDB_ variable that round-trips to its path', () => {
    const fields = configFields();
    expect(fields.length).toBeGreaterThan(200);
    expect(new Set(fields.map((f) => f.envVar)).size).toBe(fields.length);
    for (const f of fields) {
      expect(f.envVar).toMatch(/^CHATDB_[A-Z0-9_]+$/);
      expect(envVarFor(f.path)).toBe(f.envVar);
      const [, ...rest] = f.path.split('.');
      expect(
        rest
          .join('_')
          .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
          .toUpperCase(),
      ).toBe(f.envVar.replace(/^CHATDB_[A-Z]+_/, ''));
    }
    expect(envVarFor('storage.basePath')).toBe('CHATDB_STORAGE_BASE_PATH');
  });

  it('snakeToCamel', () => {
    expect(snakeToCamel('max_message_size_bytes')).toBe('maxMessageSizeBytes');
    expect(snakeToCamel('alreadyCamel')).toBe('alreadyCamel');
    expect(snakeToCamel('ip_addresses')).toBe('ipAddresses');
    expect(snakeToCamel('a_b_c')).toBe('aBC');
    expect(snakeToCamel('__proto__')).toBe('__proto__');
    expect(snakeToCamel('_private')).toBe('_private');
  });
});

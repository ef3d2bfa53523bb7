import type { ValidationIssue } from '../errors.js';

/**
 * Rules that relate two or more fields. They run on possibly-invalid input (so that one validation
 * reports every problem), hence the defensive reads: a rule only fires when all its fields are
 * present with the right type; type errors themselves are reported by the field schemas.
 */

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Describes one relational rule, for the documentation generator. */
export const RELATIONAL_RULES: readonly string[] = [
  'search.defaultPageSize ≤ search.maxPageSize',
  'search.cacheTtlSeconds and search.maxCacheEntries > 0 when search.enableSearchCache',
  'vector.defaultEmbeddingProvider is a key of vector.embeddingProviders',
  'vector.defaultChunkingStrategy is a key of vector.chunkingStrategies',
  'each chunking strategy: chunkOverlap < chunkSize (a fixed one without chunkOverlap overlaps 64), overlapSentences < sentencesPerChunk (sentence kinds), minChunkSize ≤ maxChunkSize, minTokensPerChunk ≤ maxTokensPerChunk',
  'locking.retryMultiplier in [1, 10] when locking.retryStrategy is exponential',
  'panel.minPersonasPerPanel ≤ panel.maxPersonasPerPanel; each panel type: minPersonas ≤ maxPersonas',
  'runtime.diskUsageWarningThreshold < runtime.diskUsageCriticalThreshold',
  'runtime.fileRetryDelayMs ≤ runtime.fileRetryMaxDelayMs',
  'runtime min*Length ≤ max*Length (user id, session name, filename)',
  'document.maxFileSizeBytes must not exceed storage.maxDocumentSizeBytes',
  'search.maxResultsPerSession must not exceed storage.maxMessagesPerSession',
  'panel.maxMessagesPerPanel must not exceed storage.maxMessagesPerSession',
];

/** The kinds of @ffdb/vector-faiss's built-in chunking strategies (the reference's and its config's). */
const BUILT_IN_CHUNKING_KINDS: Readonly<Record<string, string>> = {
  optimized_summary: 'optimize',
  default_fixed: 'fixed',
  sentence_short: 'sentence',
  sentence_medium: 'sentence',
  large_context: 'optimize',
  fixed_size: 'fixed',
  sentence_based: 'sentence',
  semantic: 'semantic',
};

export function relationalIssues(input: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const root = obj(input);
  if (!root) return issues;
  const storage = obj(root.storage);
  const search = obj(root.search);
  const vector = obj(root.vector);
  const document = obj(root.document);
  const locking = obj(root.locking);
  const panel = obj(root.panel);
  const runtime = obj(root.runtime);

  /** Adds an issue when both values are numbers and `ok(a, b)` is false. */
  const pair = (
    path: string,
    a: unknown,
    b: unknown,
    ok: (a: number, b: number) => boolean,
    message: (a: number, b: number) => string,
  ) => {
    const x = num(a);
    const y = num(b);
    if (x !== undefined && y !== undefined && !ok(x, y))
      issues.push({ path, message: message(x, y), limit: y });
  };

  if (search) {
    pair(
      'search.defaultPageSize',
      search.defaultPageSize,
      search.maxPageSize,
      (a, b) => a <= b,
      (a, b) => `default page size ${a} exceeds max page size ${b}`,
    );
    if (search.enableSearchCache === true) {
      for (const f of ['cacheTtlSeconds', 'maxCacheEntries'] as const) {
        const v = num(search[f]);
        if (v !== undefined && v <= 0)
          issues.push({
            path: `search.${f}`,
            message: `must be positive when the search cache is enabled, got ${v}`,
          });
      }
    }
  }

  if (vector) {
    const providers = obj(vector.embeddingProviders);
    const provider = vector.defaultEmbeddingProvider;
    if (providers && typeof provider === 'string' && provider && !(provider in providers)) {
      issues.push({
        path: 'vector.defaultEmbeddingProvider',
        message: `provider ${JSON.stringify(provider)} is not defined in vector.embeddingProviders`,
      });
    }
    const strategies = obj(vector.chunkingStrategies);
    const strategy = vector.defaultChunkingStrategy;
    if (strategies && typeof strategy === 'string' && strategy && !(strategy in strategies)) {
      issues.push({
        path: 'vector.defaultChunkingStrategy',
        message: `strategy ${JSON.stringify(strategy)} is not defined in vector.chunkingStrategies`,
      });
    }
    for (const [name, raw] of Object.entries(strategies ?? {})) {
      const s = obj(raw);
      if (!s) continue;
      const base = `vector.chunkingStrategies.${name}`;
      pair(
        `${base}.chunkOverlap`,
        s.chunkOverlap,
        s.chunkSize,
        (a, b) => a < b,
        (a, b) => `overlap ${a} must be smaller than chunk size ${b}`,
      );
      const has = (...keys: string[]) => keys.some((k) => s[k] !== undefined);
      const tokens = has('minTokensPerChunk', 'maxTokensPerChunk', 'minTokens', 'maxTokens');
      const semantic = has('targetChunkSize', 'similarityThreshold');
      const sentences = has('sentencesPerChunk', 'sentencePerChunk', 'overlapSentences', 'sentenceOverlap');
      // The kind as @ffdb/vector-faiss resolves it: its built-in strategy of that name, else the entry's
      // `kind`, else what its settings describe.
      const kind =
        (Object.hasOwn(BUILT_IN_CHUNKING_KINDS, name) ? BUILT_IN_CHUNKING_KINDS[name] : undefined) ??
        (typeof s.kind === 'string'
          ? s.kind
          : semantic
            ? 'semantic'
            : tokens
              ? 'optimize'
              : sentences
                ? 'sentence'
                : 'fixed');
      if (kind === 'sentence') {
        pair(
          `${base}.overlapSentences`,
          s.overlapSentences ?? s.sentenceOverlap,
          s.sentencesPerChunk ?? s.sentencePerChunk,
          (a, b) => a < b,
          (a, b) => `overlap of ${a} sentences must be smaller than ${b} sentences per chunk`,
        );
      }
      const size = num(s.chunkSize);
      // The chunker's default overlap of a fixed strategy (the reference's default_fixed: 512/64).
      if (kind === 'fixed' && size !== undefined && s.chunkOverlap === undefined && size <= 64) {
        issues.push({
          path: `${base}.chunkSize`,
          message: `${size} leaves no room for the default chunkOverlap of 64; set chunkOverlap below ${size}`,
          limit: 65,
        });
      }
      pair(
        `${base}.minChunkSize`,
        s.minChunkSize,
        s.maxChunkSize,
        (a, b) => a <= b,
        (a, b) => `min chunk size ${a} exceeds max chunk size ${b}`,
      );
      pair(
        `${base}.minTokensPerChunk`,
        s.minTokensPerChunk,
        s.maxTokensPerChunk,
        (a, b) => a <= b,
        (a, b) => `min tokens ${a} exceeds max tokens ${b}`,
      );
    }
  }

  if (locking && (locking.retryStrategy ?? 'exponential') === 'exponential') {
    const m = num(locking.retryMultiplier);
    if (m !== undefined && (m < 1 || m > 10)) {
      issues.push({
        path: 'locking.retryMultiplier',
        message: `must be between 1 and 10 for exponential retry, got ${m}`,
        limit: 10,
      });
    }
  }

  if (panel) {
    pair(
      'panel.minPersonasPerPanel',
      panel.minPersonasPerPanel,
      panel.maxPersonasPerPanel,
      (a, b) => a <= b,
      (a, b) => `min personas ${a} exceeds max personas ${b}`,
    );
    for (const [name, raw] of Object.entries(obj(panel.panelTypes) ?? {})) {
      const t = obj(raw);
      if (t)
        pair(
          `panel.panelTypes.${name}.minPersonas`,
          t.minPersonas,
          t.maxPersonas,
          (a, b) => a <= b,
          (a, b) => `min personas ${a} exceeds max personas ${b}`,
        );
    }
  }

  if (runtime) {
    pair(
      'runtime.diskUsageWarningThreshold',
      runtime.diskUsageWarningThreshold,
      runtime.diskUsageCriticalThreshold,
      (a, b) => a < b,
      (a, b) => `warning threshold ${a} must be below critical threshold ${b}`,
    );
    pair(
      'runtime.fileRetryDelayMs',
      runtime.fileRetryDelayMs,
      runtime.fileRetryMaxDelayMs,
      (a, b) => a <= b,
      (a, b) => `retry delay ${a} exceeds max retry delay ${b}`,
    );
    for (const [lo, hi] of [
      ['minUserIdLength', 'maxUserIdLength'],
      ['minSessionNameLength', 'maxSessionNameLength'],
      ['minFilenameLength', 'maxFilenameLength'],
    ] as const) {
      pair(
        `runtime.${lo}`,
        runtime[lo],
        runtime[hi],
        (a, b) => a <= b,
        (a, b) => `${a} exceeds runtime.${hi} (${b})`,
      );
    }
  }

  // Cross-section rules of the reference; each message contains "exceeds".
  if (storage) {
    pair(
      'document.maxFileSizeBytes',
      document?.maxFileSizeBytes,
      storage.maxDocumentSizeBytes,
      (a, b) => a <= b,
      (a, b) => `document.maxFileSizeBytes (${a}) exceeds storage.maxDocumentSizeBytes (${b})`,
    );
    pair(
      'search.maxResultsPerSession',
      search?.maxResultsPerSession,
      storage.maxMessagesPerSession,
      (a, b) => a <= b,
      (a, b) => `search.maxResultsPerSession (${a}) exceeds storage.maxMessagesPerSession (${b})`,
    );
    pair(
      'panel.maxMessagesPerPanel',
      panel?.maxMessagesPerPanel,
      storage.maxMessagesPerSession,
      (a, b) => a <= b,
      (a, b) => `panel.maxMessagesPerPanel (${a}) exceeds storage.maxMessagesPerSession (${b})`,
    );
  }
  return issues;
}

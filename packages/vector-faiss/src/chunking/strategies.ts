/**
 * The reference's five chunking strategies (its older standalone chunker), its config's names for
 * them, and strategies defined in `vector.chunkingStrategies`: a configured entry's settings apply
 * over the built-in strategy of that name, and a name only the configuration knows gets the kind its
 * settings describe.
 */
import { FFValidationError, type ValidationIssue } from '@ffdb/core-types';

export type StrategyKind = 'fixed' | 'sentence' | 'optimize' | 'semantic';
const KINDS: readonly StrategyKind[] = ['fixed', 'sentence', 'optimize', 'semantic'];

export interface StrategyParams {
  kind: StrategyKind;
  /** fixed: characters per chunk and overlap. */
  chunkSize: number;
  chunkOverlap: number;
  /** fixed: end a chunk at a word boundary rather than inside a word. */
  preserveWords: boolean;
  /** sentence/optimize: sentences per chunk and sentences shared with the next chunk. */
  sentencesPerChunk: number;
  overlapSentences: number;
  /** optimize: grow below minTokens words, truncate above maxTokens words. */
  minTokens: number;
  maxTokens: number;
  /**
   * Every kind: a chunk longer than maxChunkSize characters is cut at word boundaries; one shorter
   * than minChunkSize joins the chunk before it when the two fit in maxChunkSize.
   */
  minChunkSize: number;
  maxChunkSize: number;
  /** semantic: the chunk length aimed at, and the boundary similarity below which the topic shifts. */
  targetChunkSize: number;
  similarityThreshold: number;
}

const base: Omit<StrategyParams, 'kind'> = {
  chunkSize: 512,
  chunkOverlap: 64,
  preserveWords: false,
  sentencesPerChunk: 5,
  overlapSentences: 1,
  minTokens: 0,
  maxTokens: Infinity,
  minChunkSize: 0,
  maxChunkSize: Infinity,
  targetChunkSize: 500,
  similarityThreshold: 0.8,
};

export const CHUNKING_STRATEGIES: Readonly<Record<string, StrategyParams>> = {
  optimized_summary: {
    ...base,
    kind: 'optimize',
    chunkSize: 800,
    chunkOverlap: 100,
    sentencesPerChunk: 5,
    overlapSentences: 1,
    minTokens: 128,
    maxTokens: 800,
  },
  default_fixed: { ...base, kind: 'fixed', chunkSize: 512, chunkOverlap: 64 },
  sentence_short: { ...base, kind: 'sentence', sentencesPerChunk: 2, overlapSentences: 0 },
  sentence_medium: { ...base, kind: 'sentence', sentencesPerChunk: 5, overlapSentences: 1 },
  large_context: {
    ...base,
    kind: 'optimize',
    sentencesPerChunk: 8,
    overlapSentences: 2,
    minTokens: 200,
    maxTokens: 1200,
  },
  // The reference's vector config names its strategies differently; accept those names too, with
  // that config's defaults.
  fixed_size: { ...base, kind: 'fixed', chunkSize: 512, chunkOverlap: 64, preserveWords: true },
  sentence_based: {
    ...base,
    kind: 'sentence',
    sentencesPerChunk: 3,
    overlapSentences: 1,
    minChunkSize: 50,
    maxChunkSize: 1000,
  },
  semantic: {
    ...base,
    kind: 'semantic',
    targetChunkSize: 500,
    similarityThreshold: 0.8,
    minChunkSize: 100,
    maxChunkSize: 1000,
  },
};

export const DEFAULT_CHUNKING_STRATEGY = 'optimized_summary';

/** Strategy settings by name, as in `vector.chunkingStrategies` (camelCase or the reference's snake_case keys). */
export type ConfiguredStrategies = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

type CountField = Exclude<keyof StrategyParams, 'kind' | 'preserveWords' | 'similarityThreshold'>;

/** Whole-number settings (reference snake_case names and the config's camelCase ones). */
const COUNT_KEYS: Record<string, CountField> = {
  chunk_size: 'chunkSize',
  chunkSize: 'chunkSize',
  overlap: 'chunkOverlap',
  chunk_overlap: 'chunkOverlap',
  chunkOverlap: 'chunkOverlap',
  sentence_per_chunk: 'sentencesPerChunk',
  sentences_per_chunk: 'sentencesPerChunk',
  sentencePerChunk: 'sentencesPerChunk',
  sentencesPerChunk: 'sentencesPerChunk',
  chunk_overlap_sentences: 'overlapSentences',
  sentence_overlap: 'overlapSentences',
  overlap_sentences: 'overlapSentences',
  sentenceOverlap: 'overlapSentences',
  overlapSentences: 'overlapSentences',
  min_tokens: 'minTokens',
  minTokens: 'minTokens',
  minTokensPerChunk: 'minTokens',
  min_tokens_per_chunk: 'minTokens',
  max_tokens: 'maxTokens',
  maxTokens: 'maxTokens',
  maxTokensPerChunk: 'maxTokens',
  max_tokens_per_chunk: 'maxTokens',
  min_chunk_size: 'minChunkSize',
  minChunkSize: 'minChunkSize',
  max_chunk_size: 'maxChunkSize',
  maxChunkSize: 'maxChunkSize',
  target_chunk_size: 'targetChunkSize',
  targetChunkSize: 'targetChunkSize',
};
const FLAG_KEYS: Record<string, 'preserveWords'> = {
  preserve_words: 'preserveWords',
  preserveWords: 'preserveWords',
};
const THRESHOLD_KEYS = new Set(['similarity_threshold', 'similarityThreshold']);

/** The kind a configured entry describes: its `kind`, else the settings only that kind reads. */
function kindOf(settings: Readonly<Record<string, unknown>>): StrategyKind {
  if (typeof settings.kind === 'string' && (KINDS as readonly string[]).includes(settings.kind))
    return settings.kind as StrategyKind;
  const has = (...keys: string[]) => keys.some((k) => settings[k] !== undefined);
  if (has('targetChunkSize', 'target_chunk_size', 'similarityThreshold', 'similarity_threshold'))
    return 'semantic';
  if (has('minTokensPerChunk', 'maxTokensPerChunk', 'minTokens', 'maxTokens', 'min_tokens', 'max_tokens'))
    return 'optimize';
  if (
    has(
      'sentencesPerChunk',
      'sentencePerChunk',
      'sentence_per_chunk',
      'sentences_per_chunk',
      'overlapSentences',
      'sentenceOverlap',
    )
  )
    return 'sentence';
  return 'fixed';
}

/**
 * Applies settings over params. `where` prefixes the issue paths, so a bad value is named where it
 * was written (`custom.chunkSize` or `vector.chunkingStrategies.mine.chunkSize`). Settings no kind
 * reads (the reference's `preserveSentences`, `sentenceBuffer`) are accepted and ignored.
 */
function applySettings(
  params: StrategyParams,
  settings: unknown,
  where: string,
  origin: Map<keyof StrategyParams, string>,
): void {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new FFValidationError([{ path: where, message: 'must be an object' }]);
  }
  for (const [key, value] of Object.entries(settings)) {
    const path = `${where}.${key}`;
    if (key === 'kind') {
      if (typeof value !== 'string' || !(KINDS as readonly string[]).includes(value)) {
        throw new FFValidationError([{ path, message: `must be one of ${KINDS.join(', ')}` }]);
      }
      params.kind = value as StrategyKind;
      continue;
    }
    if (THRESHOLD_KEYS.has(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
        throw new FFValidationError([{ path, message: 'must be a number from 0 to 1' }]);
      }
      params.similarityThreshold = value;
      origin.set('similarityThreshold', path);
      continue;
    }
    const flag = FLAG_KEYS[key];
    if (flag) {
      if (typeof value !== 'boolean') throw new FFValidationError([{ path, message: 'must be a boolean' }]);
      params[flag] = value;
      continue;
    }
    const field = COUNT_KEYS[key];
    if (!field) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new FFValidationError([{ path, message: 'must be a non-negative integer' }]);
    }
    params[field] = value;
    origin.set(field, path);
  }
}

function availableNames(configured: ConfiguredStrategies | undefined): string {
  const names = new Set(Object.keys(CHUNKING_STRATEGIES));
  for (const name of Object.keys(configured ?? {})) names.add(name);
  return [...names].join(', ');
}

/**
 * The parameters of a strategy: the built-in one of that name (or, for a name only `configured`
 * knows, the defaults of the kind its settings describe), then its configured settings, then the
 * caller's `custom` settings, later winning.
 */
export function resolveStrategy(
  strategy: string | undefined,
  custom?: Record<string, unknown>,
  configured?: ConfiguredStrategies,
): StrategyParams {
  const name = strategy ?? DEFAULT_CHUNKING_STRATEGY;
  const settings =
    typeof name === 'string' && configured && Object.hasOwn(configured, name) ? configured[name] : undefined;
  const builtIn =
    typeof name === 'string' && Object.hasOwn(CHUNKING_STRATEGIES, name)
      ? CHUNKING_STRATEGIES[name]
      : undefined;
  const preset = builtIn ?? (settings ? { ...base, kind: kindOf(settings) } : undefined);
  if (!preset) {
    throw new FFValidationError([
      {
        path: 'strategy',
        message: `Unknown strategy: ${String(name)}; available: ${availableNames(configured)}`,
      },
    ]);
  }
  const params: StrategyParams = { ...preset };
  const origin = new Map<keyof StrategyParams, string>();
  if (settings !== undefined) applySettings(params, settings, `vector.chunkingStrategies.${name}`, origin);
  if (custom !== undefined) applySettings(params, custom, 'custom', origin);
  // A value nobody set came from the strategy's defaults: it is named under the strategy's own settings
  // when the configuration has some, else under `custom`.
  const unsetPrefix = settings !== undefined ? `vector.chunkingStrategies.${name}` : 'custom';
  const issues = checkParams(params, origin, (field) => origin.get(field) ?? `${unsetPrefix}.${field}`);
  if (issues.length) throw new FFValidationError(issues);
  return params;
}

function checkParams(
  p: StrategyParams,
  origin: ReadonlyMap<keyof StrategyParams, string>,
  pathOf: (field: keyof StrategyParams) => string,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const atLeastOne = (field: keyof StrategyParams, value: number) => {
    if (value < 1) issues.push({ path: pathOf(field), message: 'must be at least 1', limit: 1 });
  };
  /**
   * `small` below `large` (or at most, when not strict). The issue names the field the caller or the
   * configuration set: the smaller one when it was set (or neither was), else the larger one.
   */
  const ordered = (small: CountField, large: CountField, strict: boolean) => {
    const a = p[small];
    const b = p[large];
    if ((strict ? a < b : a <= b) || b < 1) return;
    if (origin.has(small) || !origin.has(large)) {
      issues.push({
        path: pathOf(small),
        message: `must be ${strict ? 'smaller than' : 'at most'} ${large} (${b})`,
        limit: strict ? b - 1 : b,
      });
    } else {
      issues.push({
        path: pathOf(large),
        message: `must be ${strict ? 'larger than' : 'at least'} ${small} (${a})`,
        limit: strict ? a + 1 : a,
      });
    }
  };
  if (p.kind === 'fixed') {
    atLeastOne('chunkSize', p.chunkSize);
    ordered('chunkOverlap', 'chunkSize', true);
  } else if (p.kind === 'semantic') {
    atLeastOne('targetChunkSize', p.targetChunkSize);
  } else {
    atLeastOne('sentencesPerChunk', p.sentencesPerChunk);
    if (p.kind === 'sentence') ordered('overlapSentences', 'sentencesPerChunk', true);
    if (p.kind === 'optimize') atLeastOne('maxTokens', p.maxTokens);
  }
  atLeastOne('maxChunkSize', p.maxChunkSize);
  ordered('minChunkSize', 'maxChunkSize', false);
  return issues;
}

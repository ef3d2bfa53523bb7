/** The reference's five chunking strategies (its older standalone chunker), plus its config's aliases. */
import { FFValidationError } from '@ffdb/core-types';

export type StrategyKind = 'fixed' | 'sentence' | 'optimize';

export interface StrategyParams {
  kind: StrategyKind;
  /** fixed: characters per chunk and overlap. */
  chunkSize: number;
  chunkOverlap: number;
  /** sentence/optimize: sentences per chunk and sentences shared with the next chunk. */
  sentencesPerChunk: number;
  overlapSentences: number;
  /** optimize: grow below minTokens words, truncate above maxTokens words. */
  minTokens: number;
  maxTokens: number;
}

const base = {
  chunkSize: 512,
  chunkOverlap: 64,
  sentencesPerChunk: 5,
  overlapSentences: 1,
  minTokens: 0,
  maxTokens: Infinity,
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
  // The reference's vector config names its strategies differently; accept those names too.
  fixed_size: { ...base, kind: 'fixed', chunkSize: 512, chunkOverlap: 64 },
  sentence_based: { ...base, kind: 'sentence', sentencesPerChunk: 3, overlapSentences: 1 },
};

export const DEFAULT_CHUNKING_STRATEGY = 'optimized_summary';

/** Custom keys accepted (reference snake_case names and the config's camelCase ones). */
const CUSTOM_KEYS: Record<string, keyof Omit<StrategyParams, 'kind'>> = {
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
  max_tokens: 'maxTokens',
  maxTokens: 'maxTokens',
  maxTokensPerChunk: 'maxTokens',
};

export function resolveStrategy(
  strategy: string | undefined,
  custom?: Record<string, unknown>,
): StrategyParams {
  const name = strategy ?? DEFAULT_CHUNKING_STRATEGY;
  const preset = typeof name === 'string' ? CHUNKING_STRATEGIES[name] : undefined;
  if (!preset) {
    throw new FFValidationError([
      {
        path: 'strategy',
        message: `Unknown strategy: ${String(name)}; available: ${Object.keys(CHUNKING_STRATEGIES).join(', ')}`,
      },
    ]);
  }
  const params: StrategyParams = { ...preset };
  if (custom !== undefined) {
    if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) {
      throw new FFValidationError([{ path: 'custom', message: 'must be an object' }]);
    }
    for (const [key, value] of Object.entries(custom)) {
      const field = CUSTOM_KEYS[key];
      if (!field) continue; // unrelated settings (e.g. preserveSentences) are accepted and ignored
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw new FFValidationError([{ path: `custom.${key}`, message: 'must be a non-negative integer' }]);
      }
      params[field] = value;
    }
  }
  const issues = [];
  if (params.kind === 'fixed') {
    if (params.chunkSize < 1)
      issues.push({ path: 'custom.chunkSize', message: 'must be at least 1', limit: 1 });
    if (params.chunkOverlap >= params.chunkSize) {
      issues.push({
        path: 'custom.chunkOverlap',
        message: 'must be smaller than chunkSize',
        limit: params.chunkSize - 1,
      });
    }
  } else {
    if (params.sentencesPerChunk < 1)
      issues.push({ path: 'custom.sentencesPerChunk', message: 'must be at least 1', limit: 1 });
    if (params.overlapSentences >= params.sentencesPerChunk && params.kind === 'sentence') {
      issues.push({
        path: 'custom.overlapSentences',
        message: 'must be smaller than sentencesPerChunk',
        limit: params.sentencesPerChunk - 1,
      });
    }
    if (params.maxTokens < 1)
      issues.push({ path: 'custom.maxTokens', message: 'must be at least 1', limit: 1 });
  }
  if (issues.length) throw new FFValidationError(issues);
  return params;
}

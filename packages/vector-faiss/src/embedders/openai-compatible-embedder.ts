/**
 * An embedder for any OpenAI-compatible `POST {baseUrl}/embeddings` endpoint: OpenAI, Ollama
 * (`http://localhost:11434/v1`), LM Studio (`http://localhost:1234/v1`), vLLM, llama.cpp server.
 * Batches inputs, retries 429/5xx/network errors with exponential backoff (honouring Retry-After),
 * times out each request, validates every reply, L2-normalises, and throws FFEmbeddingError on any
 * failure. It never returns zero vectors in place of an error.
 */
import { type Embedder, type EmbeddingSpace, FFEmbeddingError, FFValidationError } from '@ffdb/core-types';
import { z } from 'zod';
import { zodToValidationError } from '../index/zod-error.js';

/** Dimensions of well-known models, used when `dimension` is not given. */
export const KNOWN_MODEL_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-ada-002': 1536,
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'nomic-embed-text': 768,
  'nomic-ai/nomic-embed-text-v1': 768,
  'nomic-ai/nomic-embed-text-v1.5': 768,
  'all-minilm': 384,
  'all-MiniLM-L6-v2': 384,
  'sentence-transformers/all-MiniLM-L6-v2': 384,
  'mxbai-embed-large': 1024,
  'bge-m3': 1024,
};

export const OpenAICompatibleEmbedderOptionsSchema = z.object({
  /** Provider name recorded in the embedding space (e.g. `openai`, `ollama`, `nomic-ai`). */
  provider: z.string().min(1).default('openai-compatible'),
  /** Base URL up to and including the API version, e.g. `https://api.openai.com/v1`. */
  baseUrl: z.string().url(),
  model: z.string().min(1),
  /** Vector length; required unless the model is in KNOWN_MODEL_DIMENSIONS. */
  dimension: z.number().int().positive().max(65_536).optional(),
  /** Sent as `dimensions` (text-embedding-3-* can shorten vectors). */
  requestDimensions: z.boolean().default(false),
  apiKey: z.string().min(1).optional(),
  /** Fail at construction when no key is configured. */
  requireApiKey: z.boolean().default(false),
  batchSize: z.number().int().positive().max(2048).default(64),
  maxRetries: z.number().int().min(0).max(20).default(3),
  timeoutMs: z.number().int().positive().default(30_000),
  /** First backoff delay; doubles per attempt (with jitter), capped by maxBackoffMs. */
  backoffMs: z.number().int().nonnegative().default(500),
  maxBackoffMs: z.number().int().nonnegative().default(20_000),
  headers: z.record(z.string(), z.string()).default({}),
  /** Injected fetch (defaults to the global one). */
  fetch: z.custom<typeof fetch>((v) => v === undefined || typeof v === 'function').optional(),
});
export type OpenAICompatibleEmbedderOptions = z.input<typeof OpenAICompatibleEmbedderOptionsSchema>;

const ReplySchema = z.object({
  data: z.array(
    z.object({ index: z.number().int().nonnegative().optional(), embedding: z.array(z.number()) }),
  ),
});

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export class OpenAICompatibleEmbedder implements Embedder {
  readonly id = 'openai-compatible';
  readonly capabilities = { local: false, batch: true };
  readonly space: EmbeddingSpace;
  private readonly o: z.output<typeof OpenAICompatibleEmbedderOptionsSchema>;
  private readonly url: string;

  constructor(options: OpenAICompatibleEmbedderOptions) {
    const parsed = OpenAICompatibleEmbedderOptionsSchema.safeParse(options);
    if (!parsed.success) throw zodToValidationError(parsed.error, 'options');
    this.o = parsed.data;
    const dimension = this.o.dimension ?? KNOWN_MODEL_DIMENSIONS[this.o.model];
    if (!dimension) {
      throw new FFValidationError([
        {
          path: 'options.dimension',
          message: `is required for model ${JSON.stringify(this.o.model)} (its vector length is not known)`,
        },
      ]);
    }
    if (this.o.requireApiKey && !this.o.apiKey) {
      throw new FFEmbeddingError(
        this.o.provider,
        'an API key is required (set vector.embedding.apiKey or the provider key variable)',
      );
    }
    this.space = { provider: this.o.provider, model: this.o.model, dimension };
    this.url = `${this.o.baseUrl.replace(/\/+$/, '')}/embeddings`;
  }

  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    if (!Array.isArray(texts))
      throw new FFValidationError([{ path: 'texts', message: 'must be an array of strings' }]);
    texts.forEach((t, i) => {
      if (typeof t !== 'string' || t.trim() === '') {
        throw new FFValidationError([{ path: `texts[${i}]`, message: 'must be a non-empty string' }]);
      }
    });
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.o.batchSize) {
      out.push(...(await this.embedBatch(texts.slice(i, i + this.o.batchSize), options.signal)));
    }
    return out;
  }

  private async embedBatch(batch: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    let lastError: FFEmbeddingError | undefined;
    for (let attempt = 0; attempt <= this.o.maxRetries; attempt++) {
      if (attempt > 0) {
        const backoff = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (attempt - 1));
        const wait =
          lastError && retryAfterMs.has(lastError)
            ? (retryAfterMs.get(lastError) as number)
            : backoff * (0.75 + Math.random() * 0.5);
        await sleep(Math.min(wait, this.o.maxBackoffMs), signal);
      }
      const result = await this.request(batch, signal);
      if (result.ok) return result.vectors;
      lastError = result.error;
      if (!result.retryable) throw result.error;
    }
    throw new FFEmbeddingError(
      this.o.provider,
      `gave up after ${this.o.maxRetries + 1} attempts: ${lastError?.message ?? 'unknown error'}`,
      {
        cause: lastError,
        status: lastError?.status,
      },
    );
  }

  private async request(
    batch: readonly string[],
    signal?: AbortSignal,
  ): Promise<
    { ok: true; vectors: Float32Array[] } | { ok: false; retryable: boolean; error: FFEmbeddingError }
  > {
    const provider = this.o.provider;
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.o.headers };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    const body: Record<string, unknown> = { model: this.o.model, input: batch, encoding_format: 'float' };
    if (this.o.requestDimensions) body.dimensions = this.space.dimension;
    const doFetch = this.o.fetch ?? fetch;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: combined,
      });
      text = await res.text();
    } catch (cause) {
      if (signal?.aborted) throw new FFEmbeddingError(provider, 'request aborted by the caller', { cause });
      const timedOut = timeout.aborted;
      return {
        ok: false,
        retryable: true,
        error: new FFEmbeddingError(
          provider,
          timedOut
            ? `request timed out after ${this.o.timeoutMs} ms`
            : `request failed: ${(cause as Error)?.message ?? 'network error'}`,
          { cause },
        ),
      };
    }
    if (!res.ok) {
      const error = new FFEmbeddingError(
        provider,
        `HTTP ${res.status} ${res.statusText}${describeApiError(text)}`,
        { status: res.status },
      );
      const ra = parseRetryAfter(res.headers.get('retry-after'));
      if (ra !== undefined) retryAfterMs.set(error, ra);
      const retryable = res.status === 429 || res.status === 408 || res.status >= 500;
      return { ok: false, retryable, error };
    }
    let reply: z.infer<typeof ReplySchema>;
    try {
      reply = ReplySchema.parse(JSON.parse(text));
    } catch (cause) {
      return {
        ok: false,
        retryable: false,
        error: new FFEmbeddingError(
          provider,
          'malformed reply: expected { data: [{ embedding: number[] }] }',
          { cause, status: res.status },
        ),
      };
    }
    if (reply.data.length !== batch.length) {
      return {
        ok: false,
        retryable: false,
        error: new FFEmbeddingError(
          provider,
          `malformed reply: ${reply.data.length} embeddings for ${batch.length} inputs`,
          { status: res.status },
        ),
      };
    }
    const ordered = reply.data.every((d) => d.index !== undefined)
      ? [...reply.data].sort((a, b) => (a.index as number) - (b.index as number))
      : reply.data;
    const vectors: Float32Array[] = [];
    for (const [i, item] of ordered.entries()) {
      const problem = checkVector(item.embedding, this.space.dimension);
      if (problem) {
        return {
          ok: false,
          retryable: false,
          error: new FFEmbeddingError(provider, `malformed reply: embedding ${i} ${problem}`, {
            status: res.status,
          }),
        };
      }
      vectors.push(normalized(item.embedding));
    }
    return { ok: true, vectors };
  }
}

const retryAfterMs = new WeakMap<FFEmbeddingError, number>();

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** The API's own error message (OpenAI `{error:{message}}` or Ollama `{error}`), shortened; never request content. */
function describeApiError(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string };
    const msg =
      typeof j.error === 'string' ? j.error : typeof j.error?.message === 'string' ? j.error.message : '';
    return msg ? `: ${msg.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

function checkVector(v: number[], dimension: number): string | undefined {
  if (v.length !== dimension) return `has ${v.length} dimensions, expected ${dimension}`;
  let n = 0;
  for (const x of v) {
    if (!Number.isFinite(x)) return 'contains a non-finite number';
    n += x * x;
  }
  if (n === 0) return 'is all zeros';
  return undefined;
}

function normalized(v: number[]): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / n;
  return out;
}

export function createOpenAICompatibleEmbedder(
  options: OpenAICompatibleEmbedderOptions,
): OpenAICompatibleEmbedder {
  return new OpenAICompatibleEmbedder(options);
}

/** The HTTP embedder against a real local HTTP server (node:http): success, batching, 429 retry, timeout, bad replies. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FFEmbeddingError, FFValidationError } from '@ffdb/core-types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmbedder, createOpenAICompatibleEmbedder, norm } from '../src/index.js';

type Handler = (
  body: { model: string; input: string[] },
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => void;

let server: http.Server;
let baseUrl: string;
let handler: Handler;
const requests: { body: { model: string; input: string[] }; auth: string | undefined }[] = [];

/** A deterministic fake model: dimension 4, vector from the text length and first char code. */
function fakeVector(text: string): number[] {
  return [text.length, text.charCodeAt(0), 1, 2];
}

const ok: Handler = (body, _req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  // Reply out of order: the embedder must sort by index.
  const data = body.input
    .map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t) }))
    .reverse();
  res.end(JSON.stringify({ object: 'list', data, model: body.model }));
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw || '{}');
      requests.push({ body, auth: req.headers.authorization });
      handler(body, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  requests.length = 0;
  handler = ok;
});

const make = (extra: Record<string, unknown> = {}) =>
  createOpenAICompatibleEmbedder({
    provider: 'test',
    baseUrl,
    model: 'fake',
    dimension: 4,
    backoffMs: 10,
    ...extra,
  });

describe('OpenAICompatibleEmbedder', () => {
  it('embeds in batches, in input order, L2-normalised, sending the key', async () => {
    const e = make({ batchSize: 2, apiKey: 'sk-test' });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const vectors = await e.embed(texts);
    expect(requests).toHaveLength(3);
    expect(requests[0]?.body).toMatchObject({ model: 'fake', input: ['a', 'bb'] });
    expect(requests[0]?.auth).toBe('Bearer sk-test');
    vectors.forEach((v, i) => {
      expect(norm(v)).toBeCloseTo(1, 5);
      const raw = fakeVector(texts[i] as string);
      const n = Math.hypot(...raw);
      expect(Array.from(v)).toEqual(raw.map((x) => expect.closeTo(x / n, 5)));
    });
    expect(e.space).toEqual({ provider: 'test', model: 'fake', dimension: 4 });
  });

  it('retries 429 with backoff (honouring Retry-After) and then succeeds', async () => {
    let calls = 0;
    handler = (body, req, res) => {
      calls++;
      if (calls <= 2) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end(JSON.stringify({ error: { message: 'Rate limit reached' } }));
        return;
      }
      ok(body, req, res);
    };
    const v = await make({ maxRetries: 3 }).embed(['hello']);
    expect(calls).toBe(3);
    expect(v).toHaveLength(1);
  });

  it('gives up after maxRetries with a clear FFEmbeddingError carrying the status', async () => {
    handler = (_b, _req, res) => {
      res.writeHead(503);
      res.end('down');
    };
    const err = await make({ maxRetries: 2 })
      .embed(['x'])
      .catch((e) => e);
    expect(FFEmbeddingError.isInstance(err)).toBe(true);
    expect(err.code).toBe('FF_EMBEDDING');
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/gave up after 3 attempts/);
    expect(requests).toHaveLength(3);
  });

  it('does not retry a 401, and never puts the input text in the error', async () => {
    handler = (_b, _req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
    };
    const err = await make()
      .embed(['secret user text'])
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'FF_EMBEDDING', status: 401 });
    expect(err.message).toMatch(/HTTP 401.*Incorrect API key/);
    expect(err.message).not.toContain('secret user text');
    expect(requests).toHaveLength(1);
  });

  it('times out a request that never answers', async () => {
    handler = () => {
      /* never respond */
    };
    const started = Date.now();
    const err = await make({ timeoutMs: 150, maxRetries: 1 })
      .embed(['x'])
      .catch((e) => e);
    expect(FFEmbeddingError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/timed out after 150 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(requests).toHaveLength(2);
  });

  it('rejects malformed replies instead of returning zero vectors', async () => {
    const cases: [string, unknown][] = [
      ['not json', 'this is not json'],
      ['wrong shape', { result: [] }],
      ['count', { data: [{ index: 0, embedding: [1, 2, 3, 4] }] }],
      [
        'dimension',
        {
          data: [
            { index: 0, embedding: [1, 2, 3] },
            { index: 1, embedding: [1, 2, 3] },
          ],
        },
      ],
      [
        'zeros',
        {
          data: [
            { index: 0, embedding: [0, 0, 0, 0] },
            { index: 1, embedding: [1, 0, 0, 0] },
          ],
        },
      ],
    ];
    for (const [name, reply] of cases) {
      handler = (_b, _req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(typeof reply === 'string' ? reply : JSON.stringify(reply));
      };
      const err = await make()
        .embed(['a', 'b'])
        .catch((e) => e);
      expect(FFEmbeddingError.isInstance(err), name).toBe(true);
      expect(err.message, name).toMatch(/malformed reply/);
    }
  });

  it('validates options and input', async () => {
    expect(() => createOpenAICompatibleEmbedder({ baseUrl: 'not a url', model: 'm', dimension: 4 })).toThrow(
      FFValidationError,
    );
    expect(() => createOpenAICompatibleEmbedder({ baseUrl, model: 'unknown-model' })).toThrow(/dimension/);
    expect(createOpenAICompatibleEmbedder({ baseUrl, model: 'text-embedding-3-small' }).space.dimension).toBe(
      1536,
    );
    await expect(make().embed(['ok', '  '])).rejects.toBeInstanceOf(FFValidationError);
  });
});

describe('provider registry', () => {
  it('maps the original provider names', () => {
    const env = { OPENAI_API_KEY: 'sk-env' };
    expect(createEmbedder(undefined, {}).space).toMatchObject({ provider: 'hashed-ngram', dimension: 384 });
    expect(createEmbedder('openai', {}, env).space).toEqual({
      provider: 'openai',
      model: 'text-embedding-ada-002',
      dimension: 1536,
    });
    expect(createEmbedder('openai-3-small', {}, env).space.model).toBe('text-embedding-3-small');
    expect(createEmbedder('openai-3-large', {}, env).space.dimension).toBe(3072);
    const local = { embedding: { baseUrl } };
    expect(createEmbedder('nomic-ai', local, {}).space).toEqual({
      provider: 'nomic-ai',
      model: 'nomic-embed-text',
      dimension: 768,
    });
    expect(createEmbedder('sentence-transformers', local, {}).space).toEqual({
      provider: 'sentence-transformers',
      model: 'all-minilm',
      dimension: 384,
    });
  });

  it('throws for a missing key, a missing server and an unknown name', () => {
    expect(() => createEmbedder('openai', {}, {})).toThrow(FFEmbeddingError);
    expect(() => createEmbedder('openai', {}, {})).toThrow(/API key required/);
    expect(() => createEmbedder('nomic-ai', {}, {})).toThrow(/baseUrl/);
    expect(() => createEmbedder('nope', {}, {})).toThrow(
      /unknown provider "nope"; available: .*hashed-ngram/,
    );
  });

  it('uses a configured local server end to end', async () => {
    const e = createEmbedder(
      'custom',
      {
        embeddingProviders: {
          custom: { modelName: 'fake', embeddingDimension: 4, apiUrl: `${baseUrl}/embeddings` },
        },
      },
      {},
    );
    const [v] = await e.embed(['hello']);
    expect(v).toHaveLength(4);
    expect(requests[0]?.body.model).toBe('fake');
  });
});

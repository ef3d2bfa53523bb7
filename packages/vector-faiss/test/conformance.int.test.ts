/** @ffdb/conformance suites: the faiss index (flat and HNSW, on storage-fs in a temp dir) and the embedders. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runEmbedderSuite, runVectorIndexSuite } from '@ffdb/conformance';
import type { VectorIndex } from '@ffdb/core-types';
import { createFsStorage } from '@ffdb/storage-fs';
import { afterAll, beforeAll } from 'vitest';
import {
  createFaissVectorIndex,
  createHashedNgramEmbedder,
  createOpenAICompatibleEmbedder,
  type FaissVectorIndexOptions,
} from '../src/index.js';

function fsIndexFactory(extra: Partial<FaissVectorIndexOptions>) {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-vec-conf-'));
    const storage = createFsStorage({ basePath: dir, durability: 'none' });
    await storage.open();
    const index = createFaissVectorIndex({ storage, ...extra });
    await index.open();
    return {
      index,
      cleanup: async () => {
        await index.close();
        await storage.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

/** A second index on the same storage, as after a restart. */
const reopenWith = (extra: Partial<FaissVectorIndexOptions>) => async (index: VectorIndex) =>
  createFaissVectorIndex({
    storage: (index as unknown as { options: { storage: never } }).options.storage,
    ...extra,
  });

runVectorIndexSuite('faiss flat on storage-fs', fsIndexFactory({ indexType: 'flat' }), {
  capabilities: { persistent: true, exact: true, ann: false },
  reopen: reopenWith({ indexType: 'flat' }),
});

runVectorIndexSuite('faiss hnsw on storage-fs', fsIndexFactory({ indexType: 'hnsw' }), {
  capabilities: { persistent: true, exact: false, ann: true },
  minRecall: 0.9,
  reopen: reopenWith({ indexType: 'hnsw' }),
});

runEmbedderSuite('hashed-ngram', () => createHashedNgramEmbedder());

// The HTTP embedder against a local server answering like a real one (deterministic fake model).
let server: http.Server;
let baseUrl = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const { input } = JSON.parse(raw) as { input: string[] };
      const data = input.map((t, index) => {
        const v = [t.length, 1, 0, 0, 0, 0, 0, 0];
        for (let i = 0; i < t.length; i++) v[2 + (i % 6)] += t.charCodeAt(i) % 97;
        return { index, embedding: v };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
runEmbedderSuite('openai-compatible (local server)', () =>
  createOpenAICompatibleEmbedder({ provider: 'local', baseUrl, model: 'fake', dimension: 8 }),
);

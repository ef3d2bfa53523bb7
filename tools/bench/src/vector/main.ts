import { defineSuite, runSuite } from '../harness.js';
import { v1 } from './v1-index-types.js';

/** `pnpm bench:vector [--quick] [--only V1]`: ffdb's faiss index vs a plain-JS scan and hnswlib-node 3.0.0. */
export const vectorSuite = defineSuite({
  area: 'vector',
  title: 'Vectors',
  preamble: () => [
    'Data: embeddings of real text (the default hashed n-gram embedder over Brown chat messages, tools/bench/src/corpus.ts seed 42; queries seed 99), not random vectors.',
    'Peers in the same process run: a plain-JS Float32Array scan and hnswlib-node 3.0.0. faiss is Debian libfaiss 1.7.3 through the patched faiss-node 0.5.1.',
  ],
  benches: [v1],
});

await runSuite(vectorSuite);

import { defineSuite, fsyncProbe, runSuite } from '../harness.js';
import { b1 } from './b1-single-writer.js';
import { b2 } from './b2-concurrent-writers.js';
import { b3 } from './b3-batches.js';
import { b4 } from './b4-tail-read.js';
import { b5 } from './b5-page-read.js';
import { b6 } from './b6-compression.js';
import { b7 } from './b7-memory.js';

/** `pnpm bench:storage [--quick] [--runs N] [--only B1,B4]`: ffdb storage-fs vs better-sqlite3 12.11.1. */
export const storageSuite = defineSuite({
  area: 'storage',
  title: 'Storage',
  preamble: (tempRoot) => [
    `Disk right now: ${Math.round(fsyncProbe(tempRoot)).toLocaleString('en-US')} fsync/s (530 B write + fsync, 1 s probe; perf-baselines.md measured 4,165/s on an idle machine).`,
    'Peer: better-sqlite3 12.11.1 (WAL; schema and index of perf-baselines.md) in the same process run, same messages.',
    'Corpus: Brown chat messages (tools/bench/src/corpus.ts, seed 42). Temp dirs under the OS temp dir (same ext4 disk).',
  ],
  benches: [b1, b2, b3, b4, b5, b6, b7],
});

await runSuite(storageSuite);

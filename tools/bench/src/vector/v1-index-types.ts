/**
 * V1: build time, single-query p50/p99 and recall@10 for ffdb's FaissVectorIndex (flat, IVF, HNSW with a
 * parameter sweep) against a plain-JS Float32Array scan and hnswlib-node 3.0.0 (M 16, efConstruction 200,
 * as perf-baselines.md §5), all on the same embeddings in one process run; plus batched exact queries
 * and bulk-add throughput.
 */
import {
  chooseNlist,
  createFaissVectorIndex,
  createHashedNgramEmbedder,
  type FaissVectorIndex,
  loadFaiss,
} from '@ffdb/vector-faiss';
import hnswlib from 'hnswlib-node';
import type { Bench, BenchContext, TargetCheck } from '../harness.js';
import { fmt, fmtPercent, nowMs, ratio, summarize } from '../stats.js';
import type { Table } from '../table.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFfdb } from '../storage/ffdb-store.js';
import { bruteForce, loadVectorData, recallAtK, type VectorData } from './vector-data.js';

const K = 10;
/** efSearch / ef values swept for both HNSW implementations. */
const EF_SWEEP = [16, 24, 32, 48, 64, 128, 256];
const USER = 'bench';

interface Row {
  system: string;
  param: string;
  buildS: number | null;
  p50: number;
  p99: number;
  recall: number;
}

function sizes(ctx: BenchContext) {
  return ctx.quick
    ? { n: 10_000, queries: 100, warmup: 10, hnswlibMax: 10_000 }
    : { n: 100_000, queries: 500, warmup: 20, hnswlibMax: 100_000 };
}

async function timeQueries(
  data: VectorData,
  warmup: number,
  search: (q: Float32Array) => Promise<number[]> | number[],
): Promise<{ p50: number; p99: number; results: number[][] }> {
  for (let i = 0; i < warmup; i++) await search(data.queries[i % data.queries.length] as Float32Array);
  const times: number[] = [];
  const results: number[][] = [];
  for (const q of data.queries) {
    const t0 = nowMs();
    results.push(await search(q));
    times.push(nowMs() - t0);
  }
  const s = summarize(times);
  return { p50: s.p50, p99: s.p99, results };
}

function items(data: VectorData) {
  const d = data.dimension;
  return Array.from({ length: data.n }, (_, i) => ({
    id: String(i),
    vector: data.base.subarray(i * d, (i + 1) * d),
    metadata: {},
  }));
}

export const v1: Bench = {
  id: 'V1',
  title: 'vector search: flat / IVF / HNSW vs plain-JS scan and hnswlib-node',
  async run(ctx) {
    const sz = sizes(ctx);
    const space = createHashedNgramEmbedder().space;
    ctx.log(`embedding ${sz.n.toLocaleString('en-US')} corpus messages with the default embedder…`);
    const data = await loadVectorData(sz.n, sz.queries);
    const d = data.dimension;
    ctx.log(
      `embedded in ${(data.embedMs / 1000).toFixed(1)} s (${fmt((data.n * 1000) / data.embedMs)} texts/s)`,
    );
    const rows: Row[] = [];

    // Plain-JS exact scan: the truth and the latency peer.
    const truthKth: number[] = [];
    const brute = await timeQueries(data, sz.warmup, (q) =>
      Array.from(bruteForce(data.base, data.n, d, q, K).ids),
    );
    for (const q of data.queries)
      truthKth.push(bruteForce(data.base, data.n, d, q, K).scores[K - 1] as number);
    rows.push({
      system: 'plain JS scan (Float32Array)',
      param: '-',
      buildS: 0,
      ...brute,
      recall: recallAtK(data, truthKth, brute.results, K),
    });
    ctx.log(`brute force p50 ${brute.p50.toFixed(2)} ms`);

    const ffdb = async (indexType: 'flat' | 'ivf' | 'hnsw', extra: Record<string, number> = {}) => {
      // Persisted on the real disk through storage-fs, as the manager does.
      const storage = await openFfdb(ctx.tempDir(`vectors-${indexType}`), { durability: 'batch' });
      const index = createFaissVectorIndex({ storage, indexType, ...extra });
      const batch = items(data); // the caller's items exist before the call
      const t0 = nowMs();
      await index.upsert(USER, space, batch);
      const buildMs = nowMs() - t0;
      return { index, buildMs };
    };
    const searchWith = (index: FaissVectorIndex) => async (q: Float32Array) =>
      (await index.search(USER, space, q, { k: K })).map((h) => Number(h.id));

    // Flat (exact).
    const flat = await ffdb('flat');
    const flatQ = await timeQueries(data, sz.warmup, searchWith(flat.index));
    rows.push({
      system: 'ffdb flat (IndexFlatIP)',
      param: '-',
      buildS: flat.buildMs / 1000,
      ...flatQ,
      recall: recallAtK(data, truthKth, flatQ.results, K),
    });
    const batchT0 = nowMs();
    const batched = await flat.index.searchBatch(USER, space, data.queries, { k: K });
    const batchPerQuery = (nowMs() - batchT0) / data.queries.length;
    if (batched.length !== data.queries.length) throw new Error('batched search returned the wrong count');
    await flat.index.close();
    // The same bulk upsert with storage-fs on tmpfs (/dev/shm): the adapter's own cost without the disk.
    const shm = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ffdb-bench-vec-'));
    const shmStorage = await openFfdb(shm, { durability: 'none' });
    const memIndex = createFaissVectorIndex({ storage: shmStorage, indexType: 'flat' });
    const memBatch = items(data);
    const memT0 = nowMs();
    await memIndex.upsert(USER, space, memBatch);
    const memAddMs = nowMs() - memT0;
    await memIndex.close();
    await shmStorage.close();
    rmSync(shm, { recursive: true, force: true });
    // Raw bulk add into the patched binding (Float32Array), without the adapter's label map and snapshot.
    const faiss = loadFaiss();
    const raw = new faiss.IndexFlatIP(d);
    const rawT0 = nowMs();
    raw.add(data.base);
    const rawAddMs = nowMs() - rawT0;
    ctx.log(
      `flat: build ${fmt(flat.buildMs)} ms (adapter), raw add ${fmt(rawAddMs)} ms, p50 ${flatQ.p50.toFixed(2)} ms, batched ${batchPerQuery.toFixed(3)} ms/query`,
    );

    // IVF with an nprobe sweep (the default, 256, included).
    const ivf = await ffdb('ivf');
    const nprobes = [32, 64, 128, 192, 256];
    for (const nprobe of nprobes) {
      ivf.index.setSearchParams({ nprobe });
      const r = await timeQueries(data, sz.warmup, searchWith(ivf.index));
      rows.push({
        system: `ffdb IVF (IVF${chooseNlist(data.n)},Flat)`,
        param: `nprobe ${nprobe}`,
        buildS: nprobe === nprobes[0] ? ivf.buildMs / 1000 : null,
        ...r,
        recall: recallAtK(data, truthKth, r.results, K),
      });
      ctx.log(`ivf nprobe ${nprobe}: p50 ${r.p50.toFixed(3)} ms recall ${rows.at(-1)?.recall.toFixed(3)}`);
    }
    await ivf.index.close();

    // HNSW with an efSearch sweep (the same values as hnswlib's, plus the default 128).
    const hnsw = await ffdb('hnsw');
    ctx.log(`hnsw built in ${(hnsw.buildMs / 1000).toFixed(1)} s`);
    const { hnswM, efConstruction } = hnsw.index.options;
    for (const ef of EF_SWEEP) {
      hnsw.index.setSearchParams({ efSearch: ef });
      const r = await timeQueries(data, sz.warmup, searchWith(hnsw.index));
      rows.push({
        system: `ffdb HNSW (HNSW${hnswM},Flat, efC ${efConstruction})`,
        param: `efSearch ${ef}`,
        buildS: ef === EF_SWEEP[0] ? hnsw.buildMs / 1000 : null,
        ...r,
        recall: recallAtK(data, truthKth, r.results, K),
      });
      ctx.log(`hnsw ef ${ef}: p50 ${r.p50.toFixed(3)} ms recall ${rows.at(-1)?.recall.toFixed(3)}`);
    }
    await hnsw.index.close();

    // hnswlib-node peer.
    const n = Math.min(data.n, sz.hnswlibMax);
    const lib = new hnswlib.HierarchicalNSW('ip', d);
    lib.initIndex(n, 16, 200, 100);
    const libT0 = nowMs();
    for (let i = 0; i < n; i++) lib.addPoint(Array.from(data.base.subarray(i * d, (i + 1) * d)), i);
    const libBuildMs = nowMs() - libT0;
    ctx.log(`hnswlib built in ${(libBuildMs / 1000).toFixed(1)} s`);
    for (const ef of EF_SWEEP) {
      lib.setEf(ef);
      const r = await timeQueries(data, sz.warmup, (q) => lib.searchKnn(Array.from(q), K).neighbors);
      rows.push({
        system: 'hnswlib-node 3.0.0 (M 16, efC 200)',
        param: `ef ${ef}`,
        buildS: ef === EF_SWEEP[0] ? libBuildMs / 1000 : null,
        ...r,
        recall: recallAtK(data, truthKth, r.results, K),
      });
    }

    // Checks.
    const reaching = (prefix: string) =>
      rows.filter((r) => r.system.startsWith(prefix) && r.recall >= 0.95).sort((a, b) => a.p50 - b.p50)[0];
    const bestAnn = [reaching('ffdb IVF'), reaching('ffdb HNSW')]
      .filter((r): r is Row => !!r)
      .sort((a, b) => a.p50 - b.p50)[0];
    const peer = reaching('hnswlib');
    const flatRow = rows.find((r) => r.system.startsWith('ffdb flat')) as Row;
    const bruteRow = rows[0] as Row;
    const adapterAddRate = (data.n * 1000) / flat.buildMs;
    const rawAddRate = (data.n * 1000) / rawAddMs;
    const memAddRate = (data.n * 1000) / memAddMs;
    const checks: TargetCheck[] = [
      {
        name: 'V1 IVF or HNSW p50 at recall@10 >= 0.95 vs hnswlib-node at recall >= 0.95',
        measured:
          bestAnn && peer
            ? `${ratio(bestAnn.p50, peer.p50)} (${bestAnn.system} ${bestAnn.param}: ${bestAnn.p50.toFixed(3)} ms @ ${bestAnn.recall.toFixed(3)}; hnswlib ${peer.param}: ${peer.p50.toFixed(3)} ms @ ${peer.recall.toFixed(3)})`
            : 'no config reached 0.95',
        target: '<= 1.5x',
        pass: !!bestAnn && !!peer && bestAnn.p50 <= 1.5 * peer.p50,
      },
      {
        name: 'V1 flat p50 vs plain-JS scan',
        measured: `${ratio(flatRow.p50, bruteRow.p50)} (${flatRow.p50.toFixed(2)} vs ${bruteRow.p50.toFixed(2)} ms)`,
        target: '<= 1.0x',
        pass: flatRow.p50 <= bruteRow.p50,
      },
      {
        name: 'V1 flat batched queries vs single',
        measured: `${batchPerQuery.toFixed(3)} ms/query batched vs ${flatRow.p50.toFixed(2)} ms single`,
        target: 'batched faster',
        pass: batchPerQuery < flatRow.p50,
      },
      {
        name: 'V1 flat bulk add, durable (upsert on storage-fs on the VM disk)',
        measured: `${fmt(adapterAddRate)} vectors/s`,
        target: '>= 100,000 vectors/s',
        pass: adapterAddRate >= 100_000,
      },
      {
        name: 'V1 flat bulk add, storage-fs on tmpfs (raw binding add in brackets)',
        measured: `${fmt(memAddRate)} vectors/s (${fmt(rawAddRate)} raw)`,
        target: '>= 100,000 vectors/s',
        pass: memAddRate >= 100_000,
      },
    ];
    const table: Table = {
      title: `V1 ${data.n.toLocaleString('en-US')} x ${d} embeddings of Brown chat messages, k = ${K}, ${data.queries.length} single queries`,
      columns: ['system', 'parameter', 'build s', 'p50 ms', 'p99 ms', 'recall@10', 'p50 vs JS scan'],
      rows: rows.map((r) => [
        r.system,
        r.param,
        r.buildS === null ? '' : fmt(r.buildS, 2),
        fmt(r.p50, 3),
        fmt(r.p99, 3),
        fmtPercent(r.recall),
        ratio(r.p50, bruteRow.p50),
      ]),
      notes: [
        `Embedding ${data.n.toLocaleString('en-US')} texts with the default hashed n-gram embedder took ${(data.embedMs / 1000).toFixed(1)} s (${fmt((data.n * 1000) / data.embedMs)} texts/s).`,
        `Flat batched: ${data.queries.length} queries in one call = ${batchPerQuery.toFixed(3)} ms per query. Bulk add: durable upsert on storage-fs ${fmt(adapterAddRate)} vectors/s, upsert on storage-fs on tmpfs ${fmt(memAddRate)} vectors/s, raw binding ${fmt(rawAddRate)} vectors/s.`,
        'Recall is tie-aware against the exact scan (the corpus repeats messages). ffdb latencies include the adapter (validation, normalisation, label map).',
        `faiss distance kernels: ${faiss.distanceKernels()} (Debian libfaiss 1.7.3's own are scalar; the faiss-node patch replaces them).`,
      ],
    };
    return { tables: [table], checks };
  },
};

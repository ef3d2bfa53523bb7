// Runs in a child process (FAISS_NODE_SIMD is read when the binding loads): searches small random sets with
// odd and even dimensions through faiss and prints, as JSON, the kernels in use and the largest error of any
// returned distance against the same distance computed in double precision here.
import { createRequire } from 'node:module';

const faiss = createRequire(import.meta.url)('faiss-node');

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

const rand = rng(7);
const n = 40;
let worst = 0;
let incomplete = 0;
let checked = 0;
// Flat indexes must return every vector; HNSW may leave a few unreachable (-1), the rest must be right.
const check = (index, x, q, d, exact, complete = true) => {
  index.add(x);
  const { distances, labels } = index.search(q, n);
  const found = labels.filter((l) => l >= 0);
  if (found.some((l) => l >= n) || new Set(found).size !== found.length || (complete && found.length !== n))
    incomplete++;
  labels.forEach((label, i) => {
    if (label < 0) return;
    checked++;
    const { value, scale } = exact(x.subarray(label * d, (label + 1) * d), q);
    worst = Math.max(worst, Math.abs(distances[i] - value) / (scale + 1));
  });
};
const dims = [1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 384, 389];
for (const d of dims) {
  const x = Float32Array.from({ length: n * d }, rand);
  const q = Float32Array.from({ length: d }, rand);
  const ip = (v, w) => {
    let value = 0;
    let scale = 0;
    for (let i = 0; i < d; i++) {
      value += v[i] * w[i];
      scale += Math.abs(v[i] * w[i]);
    }
    return { value, scale };
  };
  const l2 = (v, w) => {
    let value = 0;
    for (let i = 0; i < d; i++) value += (v[i] - w[i]) ** 2;
    return { value, scale: value };
  };
  check(new faiss.IndexFlatIP(d), x, q, d, ip);
  check(new faiss.IndexFlatL2(d), x, q, d, l2);
  check(faiss.Index.fromFactory(d, 'HNSW8,Flat', faiss.MetricType.METRIC_INNER_PRODUCT), x, q, d, ip, false);
}
process.stdout.write(
  JSON.stringify({ kernels: faiss.distanceKernels(), worst, incomplete, checked, dims: dims.length }),
);

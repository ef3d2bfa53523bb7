/** Exact top-k by a plain scan (the reference the faiss results are checked against). */
export function bruteForceTopK(
  vectors: readonly Float32Array[],
  query: Float32Array,
  k: number,
): { index: number; score: number }[] {
  const scored = vectors.map((v, index) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += (v[i] as number) * (query[i] as number);
    return { index, score: s };
  });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, k);
}

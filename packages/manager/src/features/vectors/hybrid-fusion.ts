/**
 * Fusion of the full-text and vector legs of hybrid search (pure functions, no I/O).
 * - weighted: each leg's scores are divided by that leg's best score (so both lie in [0, 1] with the best
 *   hit of each leg at 1), then fused = (1 - w) * text + w * vector; a leg that missed an item counts 0.
 *   w = 0 ranks by the text leg alone, w = 1 by the vector leg alone.
 * - rrf: reciprocal-rank fusion, sum of 1 / (k + rank) over the legs that found the item (k = 60),
 *   each leg weighted as above (2(1 - w) for the text leg, 2w for the vector leg: w = 0.5 is plain RRF,
 *   and w = 0 or 1 ranks by one leg, as API.md §6.12 says of every hybrid search), divided by its
 *   maximum 2 / (k + 1) so fused scores also lie in [0, 1].
 */
import type { SearchResult } from '@ffdb/core-types';

export const RRF_K = 60;

export interface Leg {
  results: SearchResult[];
}

const keyOf = (r: SearchResult) => `${r.sessionId}\u0000${r.id}`;

/**
 * The vector leg's key of a result: a chunk of a document the text leg found stands for that document
 * (its best chunk does; the others fold into it), so a document both legs found is one result with both
 * scores rather than a `document` and a `vector_chunk` at half a score each.
 */
function vectorKeyOf(textDocuments: ReadonlySet<string>): (r: SearchResult) => string {
  return (r) => {
    if (r.type !== 'vector_chunk') return keyOf(r);
    // storedDocumentId: the stored document's id where the caller named the vectors' document otherwise.
    for (const documentId of [r.metadata?.storedDocumentId, r.metadata?.documentId]) {
      if (typeof documentId !== 'string') continue;
      const key = `${r.sessionId}\u0000${documentId}`;
      if (textDocuments.has(key)) return key;
    }
    return keyOf(r);
  };
}

function normalise(
  results: SearchResult[],
  key: (r: SearchResult) => string = keyOf,
): Map<string, { r: SearchResult; score: number; rank: number }> {
  const max = results.reduce((m, r) => Math.max(m, r.relevanceScore), 0);
  const out = new Map<string, { r: SearchResult; score: number; rank: number }>();
  results.forEach((r) => {
    const k = key(r);
    if (out.has(k)) return; // keep the best-ranked copy
    out.set(k, { r, score: max > 0 ? Math.max(0, r.relevanceScore) / max : 0, rank: out.size + 1 });
  });
  return out;
}

export function fuse(
  text: SearchResult[],
  vector: SearchResult[],
  opts: { fusion: 'weighted' | 'rrf'; vectorWeight: number; topK: number },
): SearchResult[] {
  const t = normalise(text);
  const textDocuments = new Set(text.filter((r) => r.type === 'document').map(keyOf));
  const vectorKey = vectorKeyOf(textDocuments);
  const v = normalise(vector, vectorKey);
  const keys = new Set([...t.keys(), ...v.keys()]);
  const w = opts.vectorWeight;
  const fused: SearchResult[] = [];
  for (const key of keys) {
    const tl = t.get(key);
    const vl = v.get(key);
    let score: number;
    if (opts.fusion === 'rrf') {
      const raw = (tl ? (2 * (1 - w)) / (RRF_K + tl.rank) : 0) + (vl ? (2 * w) / (RRF_K + vl.rank) : 0);
      score = raw / (2 / (RRF_K + 1));
    } else {
      score = (1 - w) * (tl?.score ?? 0) + w * (vl?.score ?? 0);
    }
    // The text leg's copy carries highlights and snippet; the vector leg's copy carries chunk metadata.
    const base = (tl?.r ?? vl?.r) as SearchResult;
    const explain: { text?: number; vector?: number; fused: number } = { fused: score };
    if (tl) explain.text = tl.score;
    if (vl) explain.vector = vl.score;
    fused.push({
      ...base,
      metadata: {
        ...(vl?.r.metadata ?? {}),
        ...(tl?.r.metadata ?? {}),
        search_type: 'hybrid',
        fusion: opts.fusion,
      },
      relevanceScore: score,
      explain,
    });
  }
  // Ties (e.g. w = 1 and items only the text leg found) keep the order of the deciding leg.
  const order = (r: SearchResult) => {
    const k = keyOf(r);
    const primary = w >= 0.5 ? v.get(k) : t.get(k);
    const secondary = w >= 0.5 ? t.get(k) : v.get(k);
    return [
      primary ? primary.rank : Number.MAX_SAFE_INTEGER,
      secondary ? secondary.rank : Number.MAX_SAFE_INTEGER,
    ];
  };
  fused.sort((a, b) => {
    if (b.relevanceScore !== a.relevanceScore) return b.relevanceScore - a.relevanceScore;
    const [pa, sa] = order(a);
    const [pb, sb] = order(b);
    return (pa as number) - (pb as number) || (sa as number) - (sb as number);
  });
  return fused.slice(0, opts.topK);
}

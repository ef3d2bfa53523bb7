/**
 * Small deterministic text analysis for situational context and conversation analytics: tokenising,
 * stop words, term counts and an extractive summary (sentences scored by the frequency of their terms).
 * Entities come from features/search/entities.ts, the extractor extractEntities uses. No network, no models.
 */

const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or ' +
    'other our ours ourselves out over own same she should so some such than that the their theirs them themselves then ' +
    'there these they this those through to too under until up very was we were what when where which while who whom why ' +
    'will with would you your yours yourself yourselves also get got like one use using used may might must shall want ' +
    'need ok okay yes yeah thanks thank please hi hello sure well really much many make made'
  ).split(' '),
);

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu) ?? [];
}

export function terms(text: string, minLength = 3): string[] {
  return tokenize(text).filter((t) => t.length >= minLength && !STOP_WORDS.has(t) && !/^\d+$/.test(t));
}

export function topTerms(
  texts: Iterable<string>,
  limit = 10,
  minLength = 3,
): { term: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const text of texts) for (const t of terms(text, minLength)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([term, count]) => ({ term, count }));
}

export function sentences(text: string): string[] {
  return text
    .replace(/```[\s\S]*?```/g, ' ')
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 12 && /\p{L}/u.test(s));
}

/**
 * Picks the `n` highest-scoring sentences (score = mean frequency of their terms across the whole text),
 * returned in their original order. Ties break by position, so the result is deterministic.
 */
export function extractiveSummary(texts: readonly string[], n: number): string[] {
  const all = texts.flatMap((t) => sentences(t));
  if (all.length === 0) return [];
  const freq = new Map<string, number>();
  for (const s of all) for (const t of new Set(terms(s))) freq.set(t, (freq.get(t) ?? 0) + 1);
  const scored = all.map((s, i) => {
    const ts = terms(s);
    const score = ts.length ? ts.reduce((sum, t) => sum + (freq.get(t) ?? 0), 0) / Math.sqrt(ts.length) : 0;
    return { s, i, score };
  });
  const seen = new Set<string>();
  const best = scored
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .filter((x) => {
      const k = x.s.toLowerCase();
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .slice(0, n);
  return best.sort((a, b) => a.i - b.i).map((x) => x.s);
}

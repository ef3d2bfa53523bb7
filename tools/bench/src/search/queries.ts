import { termOf } from '@ffdb/search-fts';
import type { CorpusMessage } from '../corpus.js';
import { mulberry32 } from '../random.js';

/**
 * Query sets of perf-baselines.md §4, identical for every engine: 1-term queries are non-stop-words
 * of >= 3 letters whose document-frequency rank is 100–5000; 3-term AND queries are 3 distinct such
 * words taken from one random message (so >= 1 hit); prefix queries are the first 4 letters of a
 * 1-term word of >= 6 letters; filtered queries are 1-term queries restricted to role `user` and the
 * middle half of the time range. Seed 7.
 */
export interface QuerySets {
  oneTerm: string[];
  threeTerm: string[][];
  prefix: string[];
  filtered: { term: string; role: string; start: string; end: string }[];
}

const WORD = /[a-z]+/g;

function usable(w: string): boolean {
  return w.length >= 3 && termOf(w) !== '';
}

export function buildQueries(messages: readonly CorpusMessage[], count = 200, seed = 7): QuerySets {
  const rand = mulberry32(seed);
  const df = new Map<string, number>();
  for (const m of messages) {
    for (const w of new Set(m.content.toLowerCase().match(WORD) ?? []))
      if (usable(w)) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const ranked = [...df.entries()].sort((a, b) => b[1] - a[1]).map((e) => e[0]);
  const band = ranked.slice(Math.min(100, ranked.length >> 2), 5000);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const oneTerm = Array.from({ length: count }, () => pick(band));
  const threeTerm: string[][] = [];
  while (threeTerm.length < count) {
    const m = pick(messages);
    const words = [...new Set((m.content.toLowerCase().match(WORD) ?? []).filter(usable))];
    if (words.length < 3) continue;
    const chosen = new Set<string>();
    while (chosen.size < 3) chosen.add(pick(words));
    threeTerm.push([...chosen]);
  }
  const long = band.filter((w) => w.length >= 6);
  const prefix = Array.from({ length: count }, () => pick(long).slice(0, 4));
  const times = messages.map((m) => m.timestamp).sort();
  const start = times[Math.floor(times.length / 4)] as string;
  const end = times[Math.floor((times.length * 3) / 4)] as string;
  const filtered = Array.from({ length: count }, () => ({ term: pick(band), role: 'user', start, end }));
  return { oneTerm, threeTerm, prefix, filtered };
}

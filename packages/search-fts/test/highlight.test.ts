import { describe, expect, it } from 'vitest';
import { highlightsFor } from '../src/highlight.js';
import { termOf, wordSpans } from '../src/text-pipeline.js';

/** The plain definition: every word whose stemmed term, or the word itself, is a query term. */
function reference(content: string, terms: ReadonlySet<string>): [number, number][] {
  if (terms.size === 0) return [];
  return wordSpans(content)
    .filter((w) => (w.term !== '' && terms.has(w.term)) || terms.has(w.word))
    .map((w) => [w.start, w.end]);
}

const WORDS = (
  'Testing tests tested happy happiness Yellow yearly you Ying agreed Generalization generously ' +
  'running runs ran The the of AND café Über über naïve 日本語 𝒳mark x y ab ABC abilities ' +
  'relational conditional rational valency hopeful goodness formalize electrical sensibility ' +
  'caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled ' +
  'sized hopping tanned falling hissing fizzed failing filing happy sky'
).split(' ');

describe('highlightsFor', () => {
  it('marks exactly the words the plain definition marks (skipping by first letter loses nothing)', () => {
    let seed = 3;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const pick = () => WORDS[Math.floor(rand() * WORDS.length)] as string;
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const content = Array.from({ length: 30 }, () => pick()).join(rand() < 0.5 ? ' ' : ', ');
      const queryWords = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick().toLowerCase());
      const terms = new Set(queryWords.map((w) => termOf(w) || w));
      if (rand() < 0.3) terms.add(pick().toLowerCase()); // an unstemmed word as a term
      const want = reference(content, terms);
      expect(highlightsFor(content, terms)).toEqual(want);
      compared += want.length;
    }
    expect(compared).toBeGreaterThan(500); // the cases really contain matches
  });
});

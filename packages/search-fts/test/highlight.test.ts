import { describe, expect, it } from 'vitest';
import { highlightsFor, snippetFor } from '../src/highlight.js';
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

describe('snippetFor', () => {
  it('never cuts an emoji (a surrogate pair) in half at either end of the window', () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    const content = '😀'.repeat(200);
    // Every window position and length: odd offsets land inside a pair.
    for (const length of [20, 21, 160, 161]) {
      for (let at = 0; at < content.length; at += 7) {
        const snippet = snippetFor(content, [[at, at + 2]], length);
        expect(snippet, `window ${length} at ${at}`).not.toMatch(lone);
      }
    }
    expect(snippetFor(`${'😀'.repeat(100)} needle ${'😀'.repeat(100)}`, [[201, 207]], 40)).toContain(
      'needle',
    );
  });
});

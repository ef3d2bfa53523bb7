import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sliceWhole } from '../src/text.js';

/** True when `s` has a high surrogate not followed by a low one, or a low one not preceded by a high one. */
function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (!(n >= 0xdc00 && n <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

describe('sliceWhole', () => {
  it('never cuts an emoji in half', () => {
    const text = 'a😀b😀c';
    expect(text.slice(2, 5)).not.toBe(sliceWhole(text, 2, 5));
    expect(sliceWhole(text, 2, 5)).toBe('😀b');
    expect(sliceWhole(text, 0, 2)).toBe('a');
    expect(sliceWhole(text, 1, 3)).toBe('😀');
    expect(sliceWhole(text, 5)).toBe('😀c');
    expect(sliceWhole(text, -3, 99)).toBe(text);
    expect(sliceWhole(text, 4, 2)).toBe('');
  });

  it('gives a piece of the text without lone surrogates, for any text of whole code points and cut', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(), fc.nat(), (text, x, y) => {
        const [a, b] = [x % (text.length + 1), y % (text.length + 1)].sort((p, q) => p - q) as [
          number,
          number,
        ];
        const out = sliceWhole(text, a, b);
        expect(hasLoneSurrogate(out)).toBe(false);
        expect(text.includes(out)).toBe(true);
        expect(Math.abs(out.length - (b - a))).toBeLessThanOrEqual(1);
      }),
    );
  });
});

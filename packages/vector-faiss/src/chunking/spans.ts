/** Character ranges of the whitespace-normalised text, and cutting them at word boundaries. */

export type Span = { start: number; end: number };

/** text[start, end) without its leading and trailing spaces (the text is whitespace-normalised). */
export function trimmed(text: string, start: number, end: number): Span {
  let s = start;
  let e = end;
  while (s < e && text[s] === ' ') s++;
  while (e > s && text[e - 1] === ' ') e--;
  return { start: s, end: e };
}

/** True when a cut at `at` would separate the two UTF-16 halves of one character (an emoji, a rare CJK ideograph). */
export function splitsPair(text: string, at: number): boolean {
  if (at <= 0 || at >= text.length) return false;
  const before = text.charCodeAt(at - 1);
  const after = text.charCodeAt(at);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/**
 * A cut at `at` moved off the middle of a surrogate pair: back by one, so the character goes to the
 * next piece, unless that leaves the piece from `floor` empty; then forward, taking the whole character.
 */
export function cutBetweenCharacters(text: string, at: number, floor: number): number {
  if (!splitsPair(text, at)) return at;
  return at - 1 > floor ? at - 1 : at + 1;
}

export const insideWord = (text: string, at: number) =>
  at > 0 && at < text.length && text[at - 1] !== ' ' && text[at] !== ' ';

/**
 * The last space in text(from, to), or -1. Bounded by `from`: `lastIndexOf` would scan back to the
 * start of the text, which made chunking a long run without spaces quadratic.
 */
export function lastSpaceBetween(text: string, from: number, to: number): number {
  for (let i = to - 1; i > from; i--) if (text.charCodeAt(i) === 32) return i;
  return -1;
}

/** The first space in text[from, to), or -1 (bounded, like lastSpaceBetween). */
export function firstSpaceBetween(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 32) return i;
  return -1;
}

/**
 * Cuts text[start, end) into pieces of at most `max` characters, each ending at a word boundary
 * unless one word alone is longer than `max`.
 */
export function cutAtWords(text: string, start: number, end: number, max: number): Span[] {
  const out: Span[] = [];
  let s = start;
  while (s < end) {
    let e = Math.min(end, s + max);
    if (e < end && insideWord(text, e)) {
      const space = lastSpaceBetween(text, s, e);
      e = space > s ? space : cutBetweenCharacters(text, e, s);
    }
    const piece = trimmed(text, s, e);
    if (piece.end > piece.start) out.push(piece);
    s = e;
    while (s < end && text[s] === ' ') s++;
  }
  return out;
}

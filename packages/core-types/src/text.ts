/**
 * `text.slice(start, end)` widened or narrowed so it never cuts a UTF-16 surrogate pair in half: a
 * snippet or preview cut in the middle of an emoji would carry a lone surrogate, which is not valid
 * Unicode (JSON encoders and terminals show it as U+FFFD). A cut inside a pair moves to the pair's
 * start at the beginning and drops the half pair at the end.
 */
export function sliceWhole(text: string, start: number, end = text.length): string {
  let a = Math.max(0, Math.min(start, text.length));
  let b = Math.max(a, Math.min(end, text.length));
  if (a > 0 && isLowSurrogate(text.charCodeAt(a)) && isHighSurrogate(text.charCodeAt(a - 1))) a--;
  if (
    b < text.length &&
    b > a &&
    isLowSurrogate(text.charCodeAt(b)) &&
    isHighSurrogate(text.charCodeAt(b - 1))
  )
    b--;
  return text.slice(a, b);
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * A rule-based English sentence splitter (what spaCy's sentencizer gave the original, without a model).
 * A boundary is `.`, `!`, `?` or `…` (possibly repeated), optionally followed by closing quotes or
 * brackets, then whitespace, then something that can start a sentence (an upper-case letter, a digit, an
 * opening quote or bracket). It is NOT a boundary after a known abbreviation (Dr., e.g., U.S.), after a
 * single initial (J. Smith), inside a number (3.14 has no space) or before a lower-case word. The
 * full stops of Chinese and Japanese (`。！？`) end a sentence with no space after them.
 */

export interface SentenceSpan {
  text: string;
  /** Offsets into the input string. */
  start: number;
  end: number;
}

const ABBREVIATIONS = new Set(
  (
    'mr mrs ms dr prof sr jr st mt ft rev gen col capt lt sgt cmdr adm gov sen rep pres hon messrs mme mlle ' +
    'vs etc al approx dept est fig figs no nos vol vols pp ed eds op cit ibid cf ca ch sec art inc ltd co corp ' +
    'bros llc plc jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun ' +
    'e.g i.e a.m p.m u.s u.k u.n e.u u.s.a ph.d m.d b.a m.a b.sc d.c n.y l.a viz'
  ).split(' '),
);

const CLOSERS = '"\'”’»)]}」』）】〕';
/** Full stops of Chinese and Japanese: they end a sentence with no space after them. */
const CJK_STOPS = '。！？｡';
const OPENERS = '"\'“‘«([{';

function isSentenceStart(ch: string): boolean {
  return /[\p{Lu}\p{N}]/u.test(ch) || OPENERS.includes(ch) || /[\p{Lo}]/u.test(ch);
}

/** The word (letters and inner dots) that ends right before position `dot`. */
function wordBefore(text: string, dot: number): string {
  let i = dot;
  while (i > 0 && /[\p{L}.]/u.test(text[i - 1] as string)) i--;
  return text.slice(i, dot);
}

export function splitSentences(text: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  const n = text.length;
  let start = 0;
  // Skip leading whitespace.
  while (start < n && /\s/.test(text[start] as string)) start++;
  let i = start;
  while (i < n) {
    const ch = text[i] as string;
    if (CJK_STOPS.includes(ch)) {
      let j = i + 1;
      while (j < n && CJK_STOPS.includes(text[j] as string)) j++;
      while (j < n && CLOSERS.includes(text[j] as string)) j++;
      const s = text.slice(start, j).trim();
      if (s) spans.push({ text: s, start, end: start + text.slice(start, j).trimEnd().length });
      let k = j;
      while (k < n && /\s/.test(text[k] as string)) k++;
      start = k;
      i = k;
      continue;
    }
    if (ch === '.' || ch === '!' || ch === '?' || ch === '…') {
      let j = i;
      while (j < n && '.!?…'.includes(text[j] as string)) j++;
      const punct = text.slice(i, j);
      while (j < n && CLOSERS.includes(text[j] as string)) j++;
      const end = j;
      let k = j;
      while (k < n && /\s/.test(text[k] as string)) k++;
      const atEnd = k >= n;
      const hasSpace = k > j;
      let boundary = atEnd || (hasSpace && isSentenceStart(text[k] as string));
      if (boundary && !atEnd && punct === '.') {
        const word = wordBefore(text, i);
        const lower = word.toLowerCase();
        if (ABBREVIATIONS.has(lower) || ABBREVIATIONS.has(lower.replace(/\.$/, ''))) boundary = false;
        // A single capital initial ("J. Smith"), but not the pronoun "I." at a sentence end.
        else if (/^\p{Lu}$/u.test(word) && word !== 'I') boundary = false;
        // Dotted acronyms such as "U.S.A." followed by a capitalised word stay inside the sentence.
        else if (/^(\p{L}\.)+\p{L}$/u.test(word)) boundary = false;
      }
      if (boundary) {
        const s = text.slice(start, end).trim();
        if (s) spans.push({ text: s, start, end: start + text.slice(start, end).trimEnd().length });
        start = k;
        i = k;
        continue;
      }
      i = j;
      continue;
    }
    i++;
  }
  if (start < n) {
    const raw = text.slice(start);
    const s = raw.trim();
    if (s) spans.push({ text: s, start, end: start + raw.trimEnd().length });
  }
  return spans;
}

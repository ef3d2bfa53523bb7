/**
 * Entity extraction (`extractEntities`, API.md §6.8) and the entity filter of advanced search.
 *
 * Differences from the reference, on purpose:
 * - the email pattern's `[A-Z|a-z]` (which also accepted "|") is read as `[A-Za-z]`;
 * - language names are matched as whole words (`\b…\b`), so "javascript" does not count as java and
 *   "go" only counts as a word (the reference used substring tests, and "go " with a space);
 * - values keep their first-occurrence order (the reference used a set: undefined order).
 */

/** Keyword lists of the language heuristic (the reference's lists, matched on word boundaries). */
const LANGUAGE_KEYWORDS: readonly [string, readonly string[]][] = [
  ['python', ['python', 'py', 'pip', 'django', 'flask']],
  ['javascript', ['javascript', 'js', 'node', 'npm', 'react', 'vue']],
  ['java', ['java', 'springframework', 'maven', 'gradle']],
  ['go', ['golang', 'go', 'goroutine']],
  ['rust', ['rust', 'cargo', 'rustc']],
];
const LANGUAGE_PATTERNS = LANGUAGE_KEYWORDS.map(
  ([lang, words]) => [lang, new RegExp(`\\b(?:${words.join('|')})\\b`, 'i')] as const,
);

const REFERENCE_EMAIL_BUG = '[A-Z|a-z]';

/** Entity types the `search.extract*` toggles can switch off. */
const TOGGLES: Record<string, string> = {
  urls: 'extractUrls',
  emails: 'extractEmails',
  mentions: 'extractMentions',
  hashtags: 'extractHashtags',
  codeBlocks: 'extractCodeBlocks',
};

export type EntityMap = Record<string, string[]>;

export class EntityExtractor {
  private readonly patterns: [string, RegExp][] = [];

  constructor(patterns: Record<string, string>, toggles: Record<string, unknown> = {}) {
    for (const [type, source] of Object.entries(patterns)) {
      const toggle = TOGGLES[type];
      if (toggle && toggles[toggle] === false) continue;
      const fixed = type === 'emails' ? source.split(REFERENCE_EMAIL_BUG).join('[A-Za-z]') : source;
      try {
        this.patterns.push([type, new RegExp(fixed, 'g')]);
      } catch {
        // The config schema validates regex sources; an invalid one is skipped rather than fatal here.
      }
    }
  }

  extract(text: string): EntityMap {
    const out: EntityMap = {};
    if (typeof text !== 'string' || text === '') return out;
    for (const [type, re] of this.patterns) {
      re.lastIndex = 0;
      const seen = new Set<string>();
      for (const m of text.matchAll(re)) {
        if (m[0] !== '') seen.add(m[0]);
      }
      if (seen.size > 0) out[type] = [...seen];
    }
    const langs = LANGUAGE_PATTERNS.filter(([, re]) => re.test(text)).map(([lang]) => lang);
    if (langs.length > 0) out.languages = langs;
    return out;
  }
}

const norm = (v: string): string => v.toLowerCase().replace(/^[@#]/, '');

/**
 * The reference's entity filter: for every requested type, at least one requested value occurs in the
 * item's entities of that type (case-insensitive; "@x" and "x" are the same mention). A requested type
 * with an empty value list only requires the item to have some entity of that type.
 */
export function matchesEntities(itemEntities: EntityMap, requested: EntityMap): boolean {
  for (const [type, wanted] of Object.entries(requested)) {
    const have = itemEntities[type];
    if (!have || have.length === 0) return false;
    if (wanted.length === 0) continue;
    const set = new Set(have.map(norm));
    if (!wanted.some((w) => set.has(norm(w)))) return false;
  }
  return true;
}

/**
 * A cheap first test for `matchesEntities` on a text: an extracted entity (other than a language, whose
 * value is a name, not a piece of the text) is a piece of the text, so a text holding none of a type's
 * requested values, case aside, cannot match. Resolves every text that might match to true.
 */
export function entityPrefilter(requested: EntityMap): (text: string) => boolean {
  // Lower case alone is not enough: Σ lowers to σ or ς depending on the letters around it, so a value
  // lowered on its own may differ from the same letters lowered inside the text.
  const fold = (t: string) => t.toLowerCase().replace(/ς/g, 'σ');
  const needles = Object.entries(requested)
    .filter(([type, wanted]) => type !== 'languages' && wanted.length > 0)
    .map(([, wanted]) => wanted.map((w) => fold(norm(w))).filter((w) => w !== ''));
  if (needles.length === 0 || needles.some((n) => n.length === 0)) return () => true;
  return (text) => {
    const lower = fold(text);
    return needles.every((values) => values.some((v) => lower.includes(v)));
  };
}

/** Union of two entity maps (values de-duplicated, order kept). */
export function mergeEntities(a: EntityMap, b: EntityMap): EntityMap {
  const out: EntityMap = { ...a };
  for (const [type, values] of Object.entries(b)) {
    out[type] = [...new Set([...(out[type] ?? []), ...values])];
  }
  return out;
}

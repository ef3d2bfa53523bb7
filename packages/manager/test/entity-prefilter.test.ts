/**
 * The cheap first test of the entity filter never passes over a text that would match: checked against
 * the full extraction on texts where the value is cased, prefixed or only implied (languages).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/index.js';
import { EntityExtractor, entityPrefilter, matchesEntities } from '../src/features/search/entities.js';

const extractor = new EntityExtractor(DEFAULT_CONFIG.runtime.entityPatterns as Record<string, string>);

const texts = [
  'Write to Target@Example.com about the invoice',
  'ping @Bob and tag #Release-Notes today',
  'docs at HTTPS://Example.org/Guide?x=1 and more',
  'we use npm and react for the front end',
  'a goroutine leaked in production',
  'nothing to see here',
  'PROJ-123 and PROJ-77 are blocked by 550e8400-e29b-41d4-a716-446655440000',
];

const requests = [
  { emails: ['target@example.com'] },
  { mentions: ['@bob'] },
  { mentions: ['bob'], hashtags: ['#release'] },
  { hashtags: ['release-notes'] },
  { urls: ['https://example.org/guide?x=1'] },
  { languages: ['javascript'] },
  { languages: ['go'], emails: [] },
  { jiraTickets: ['proj-77'] },
  { uuids: ['550E8400-E29B-41D4-A716-446655440000'] },
  { emails: ['nobody@example.com'] },
];

describe('entityPrefilter', () => {
  it('passes every text the full match accepts, and rules out texts without the values', () => {
    let ruledOut = 0;
    for (const requested of requests) {
      const might = entityPrefilter(requested);
      for (const text of texts) {
        const matches = matchesEntities(extractor.extract(text), requested);
        if (matches) expect(might(text), `${JSON.stringify(requested)} on ${text}`).toBe(true);
        if (!might(text)) ruledOut++;
      }
    }
    // It does rule texts out (else it would save nothing).
    expect(ruledOut).toBeGreaterThan(30);
    // Σ lowers to σ or ς by position: a value met inside a longer word still passes.
    const greek = new EntityExtractor({ tags: '[Α-Ω]+' });
    const text = 'ΟΔΟΣx';
    expect(matchesEntities(greek.extract(text), { tags: ['ΟΔΟΣ'] })).toBe(true);
    expect(entityPrefilter({ tags: ['ΟΔΟΣ'] })(text)).toBe(true);
    // Languages and "any value" requests are never ruled out by it.
    expect(entityPrefilter({ languages: ['rust'] })('cargo build')).toBe(true);
    expect(entityPrefilter({ emails: [] })('no address')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  describeMessages,
  detokenize,
  generateDistinctMessages,
  generateMessages,
  generateUniqueMessages,
  loadSentences,
  toJsonl,
} from '../src/corpus.js';

describe('Brown corpus loader', () => {
  it('loads every sentence with POS tags stripped (perf-baselines.md counts)', () => {
    const sentences = loadSentences();
    expect(sentences.length).toBe(57_340);
    expect(sentences.reduce((a, s) => a + s.words, 0)).toBe(1_161_192);
    expect(sentences[0]?.text).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    expect(sentences.some((s) => /\/[a-z$-]+\b/.test(s.text) && s.text.includes('/nn'))).toBe(false);
  });

  it('detokenizes punctuation and quotes', () => {
    expect(detokenize(['He', 'said', ',', '``', 'yes', "''", '.'])).toBe('He said, "yes".');
    expect(detokenize(['(', 'a', ')', 'b', "n't"])).toBe("(a) bn't");
  });
});

describe('message generators', () => {
  it('are deterministic for a seed and differ across seeds', () => {
    expect(generateMessages(50)).toEqual(generateMessages(50));
    expect(generateMessages(5, { seed: 1 })[0]?.content).not.toBe(
      generateMessages(5, { seed: 2 })[0]?.content,
    );
  });

  it('produce the documented shape and length distribution', () => {
    const msgs = generateMessages(2_000, { sessions: 10 });
    expect(new Set(msgs.map((m) => m.session_id)).size).toBe(10);
    for (const m of msgs.slice(0, 50)) {
      expect(m.id).toMatch(/^msg_[0-9a-f]{16}$/);
      expect(m.session_id).toMatch(/^sess_[0-9a-f]{12}$/);
      expect(['user', 'assistant']).toContain(m.role);
      expect(m.metadata.tokens).toBeGreaterThanOrEqual(20);
    }
    const bytesPerLine = toJsonl(msgs).length / msgs.length;
    expect(bytesPerLine).toBeGreaterThan(450);
    expect(bytesPerLine).toBeLessThan(620);
    expect(describeMessages(msgs)).toContain('2000 msgs');
  });

  it('distinct and unique sets never repeat content', () => {
    const distinct = generateDistinctMessages(3_000);
    expect(new Set(distinct.map((m) => m.content)).size).toBe(3_000);
    const unique = generateUniqueMessages(1_000);
    expect(new Set(unique.map((m) => m.content)).size).toBe(1_000);
    expect(unique[0]?.content.startsWith('The Fulton County Grand Jury')).toBe(true);
  });
});

import type { IndexDocument, IndexHit, SearchIndex } from '@ffdb/core-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caught, hasCode } from './helpers.js';

export interface SearchIndexFixture {
  /** An opened index. */
  index: SearchIndex;
  cleanup: () => Promise<void>;
}

export interface SearchIndexSuiteOptions {
  capabilities?: Partial<SearchIndex['capabilities']>;
  /** For persistent indexes: close `index` and return a new one over the same data. The suite closes it. */
  reopen?: (index: SearchIndex) => Promise<SearchIndex>;
}

const LOG1 = 'users/alice/sessions/s1/log';
const LOG2 = 'users/alice/sessions/s2/log';

function doc(partial: Partial<IndexDocument> & Pick<IndexDocument, 'id' | 'content'>): IndexDocument {
  return {
    userId: 'alice',
    sessionId: 's1',
    type: 'message',
    timestamp: '2025-03-01T10:00:00.000Z',
    role: 'user',
    ...partial,
  };
}

/** The corpus every test starts from (alice has 6 items in 2 sessions; bob has 2). */
export function searchCorpus(): IndexDocument[] {
  return [
    doc({
      id: 's1/m1',
      content: 'Quantum physics explains the nebula glow',
      timestamp: '2025-03-01T10:00:00.000Z',
      source: { log: LOG1, seq: 0 },
    }),
    doc({
      id: 's1/m2',
      content: 'A zebra crossed the road near the market',
      role: 'assistant',
      timestamp: '2025-03-02T10:00:00.000Z',
      source: { log: LOG1, seq: 1 },
    }),
    doc({
      id: 's1/m3',
      content: 'zebra zebra zebra grass',
      timestamp: '2025-03-03T10:00:00.000Z',
      source: { log: LOG1, seq: 2 },
    }),
    doc({
      id: 's2/m1',
      sessionId: 's2',
      content: 'zebra grass grass grass',
      role: 'assistant',
      timestamp: '2025-03-04T10:00:00.000Z',
      source: { log: LOG2, seq: 0 },
    }),
    doc({
      id: 's2/m2',
      sessionId: 's2',
      content: 'The NEBULA was bright; quantum effects were not',
      timestamp: '2025-03-05T10:00:00.000Z',
      source: { log: LOG2, seq: 4 },
    }),
    doc({
      id: 's2/d1',
      sessionId: 's2',
      type: 'document',
      content: 'Report about ocean currents and tides',
      title: 'oceanography.pdf',
      timestamp: '2025-03-06T10:00:00.000Z',
    }),
    doc({
      id: 's1/m1',
      userId: 'bob',
      content: 'Bob also talks about quantum computing and zebra stripes',
      timestamp: '2025-03-01T11:00:00.000Z',
    }),
    doc({
      id: 's9/m1',
      userId: 'bob',
      sessionId: 's9',
      content: 'secret bob only word: marmalade',
      timestamp: '2025-03-01T12:00:00.000Z',
    }),
  ];
}

const ids = (hits: IndexHit[]) => hits.map((h) => h.id).sort();

/** Every highlight lies inside `content` and covers text containing a query term (case-insensitive). */
function checkHighlights(hits: IndexHit[], terms: string[]): string[] {
  const problems: string[] = [];
  for (const h of hits) {
    for (const [s, e] of h.highlights) {
      if (!(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e > s && e <= h.content.length))
        problems.push(`${h.id}: bad range ${s}-${e}`);
      const piece = h.content.slice(s, e).toLowerCase();
      if (!terms.some((t) => piece.includes(t))) problems.push(`${h.id}: highlight ${JSON.stringify(piece)}`);
    }
  }
  return problems;
}

export function runSearchIndexSuite(
  name: string,
  factory: () => Promise<SearchIndexFixture>,
  options: SearchIndexSuiteOptions = {},
): void {
  const caps = { prefix: true, fuzzy: true, persistent: false, ...options.capabilities };

  describe(`SearchIndex conformance: ${name}`, () => {
    let fixture: SearchIndexFixture | undefined;
    const ix = (): SearchIndex => {
      if (!fixture) throw new Error('fixture not ready');
      return fixture.index;
    };
    beforeEach(async () => {
      fixture = await factory();
      await fixture.index.add(searchCorpus());
    });
    afterEach(async () => {
      const f = fixture;
      fixture = undefined;
      await f?.cleanup();
    });

    it('finds items by a word, case-insensitively, with their fields', async () => {
      const hits = await ix().search({ userId: 'alice', text: 'NEBULA' });
      expect(ids(hits)).toEqual(['s1/m1', 's2/m2']);
      const hit = hits.find((h) => h.id === 's2/m2');
      expect(hit).toMatchObject({
        userId: 'alice',
        sessionId: 's2',
        type: 'message',
        role: 'user',
        timestamp: '2025-03-05T10:00:00.000Z',
      });
      expect(hit?.content).toBe('The NEBULA was bright; quantum effects were not');
      expect(typeof hit?.score).toBe('number');
      expect(typeof hit?.snippet).toBe('string');
      expect(hit?.snippet.toLowerCase()).toContain('nebula');
    });

    it('keeps users apart', async () => {
      expect(await ix().search({ userId: 'alice', text: 'marmalade' })).toEqual([]);
      expect(ids(await ix().search({ userId: 'bob', text: 'marmalade' }))).toEqual(['s9/m1']);
      const bobZebra = await ix().search({ userId: 'bob', text: 'zebra' });
      expect(bobZebra.map((h) => [h.id, h.userId])).toEqual([['s1/m1', 'bob']]);
      expect(await ix().search({ userId: 'carol', text: 'zebra' })).toEqual([]);
    });

    it('requires every term by default (and), any term with or', async () => {
      expect(ids(await ix().search({ userId: 'alice', text: 'quantum nebula' }))).toEqual(['s1/m1', 's2/m2']);
      expect(ids(await ix().search({ userId: 'alice', text: 'quantum zebra' }))).toEqual([]);
      const any = await ix().search({ userId: 'alice', text: 'nebula ocean', mode: 'or' });
      expect(ids(any)).toEqual(['s1/m1', 's2/d1', 's2/m2']);
    });

    it('sorts by score, best first; more occurrences rank higher', async () => {
      const hits = await ix().search({ userId: 'alice', text: 'zebra' });
      expect(ids(hits)).toEqual(['s1/m2', 's1/m3', 's2/m1']);
      for (let i = 1; i < hits.length; i++)
        expect((hits[i - 1] as IndexHit).score).toBeGreaterThanOrEqual((hits[i] as IndexHit).score);
      expect(hits[0]?.id).toBe('s1/m3');
      const grass = await ix().search({ userId: 'alice', text: 'grass' });
      expect(grass[0]?.id).toBe('s2/m1');
    });

    it('gives highlights as offsets into content that cover a query term', async () => {
      for (const [text, terms] of [
        ['nebula', ['nebula']],
        ['Quantum Nebula', ['quantum', 'nebula']],
        ['zebra', ['zebra']],
      ] as const) {
        const hits = await ix().search({ userId: 'alice', text });
        expect(hits.length).toBeGreaterThan(0);
        expect(checkHighlights(hits, [...terms])).toEqual([]);
        for (const h of hits) expect(h.highlights.length).toBeGreaterThan(0);
      }
      const [three] = await ix().search({
        userId: 'alice',
        text: 'zebra',
        sessionIds: ['s1'],
        roles: ['user'],
      });
      expect(three?.highlights.length).toBe(3);
    });

    it('filters by session, role, type and time (inclusive bounds), with and without text', async () => {
      expect(ids(await ix().search({ userId: 'alice', text: 'zebra', sessionIds: ['s2'] }))).toEqual([
        's2/m1',
      ]);
      expect(ids(await ix().search({ userId: 'alice', text: 'zebra', roles: ['assistant'] }))).toEqual([
        's1/m2',
        's2/m1',
      ]);
      expect(ids(await ix().search({ userId: 'alice', text: '', types: ['document'] }))).toEqual(['s2/d1']);
      expect(ids(await ix().search({ userId: 'alice', text: '', roles: ['assistant'] }))).toEqual([
        's1/m2',
        's2/m1',
      ]);
      expect(ids(await ix().search({ userId: 'alice', text: '', sessionIds: ['s1'] }))).toEqual([
        's1/m1',
        's1/m2',
        's1/m3',
      ]);
      expect(
        ids(
          await ix().search({
            userId: 'alice',
            text: '',
            startDate: '2025-03-02T10:00:00.000Z',
            endDate: '2025-03-04T10:00:00.000Z',
          }),
        ),
      ).toEqual(['s1/m2', 's1/m3', 's2/m1']);
      expect(
        ids(await ix().search({ userId: 'alice', text: 'zebra', endDate: '2025-03-02T23:59:59.000Z' })),
      ).toEqual(['s1/m2']);
      expect(await ix().search({ userId: 'alice', text: '' })).toHaveLength(6);
    });

    it('honours limit and minScore', async () => {
      expect(await ix().search({ userId: 'alice', text: 'zebra', limit: 2 })).toHaveLength(2);
      const all = await ix().search({ userId: 'alice', text: 'zebra' });
      const best = all[0]?.score ?? 0;
      const strict = await ix().search({ userId: 'alice', text: 'zebra', minScore: best });
      expect(strict.length).toBeGreaterThanOrEqual(1);
      expect(strict.every((h) => h.score >= best)).toBe(true);
    });

    it('reads its own writes, replaces by id, and removes', async () => {
      await ix().add([doc({ id: 's1/new', content: 'a brand new platypus appears' })]);
      expect(ids(await ix().search({ userId: 'alice', text: 'platypus' }))).toEqual(['s1/new']);
      await ix().add([doc({ id: 's1/new', content: 'the platypus left, an otter came' })]);
      expect(ids(await ix().search({ userId: 'alice', text: 'otter' }))).toEqual(['s1/new']);
      expect(await ix().search({ userId: 'alice', text: 'appears' })).toEqual([]);
      expect(await ix().search({ userId: 'alice', text: 'platypus' })).toHaveLength(1);
      await ix().remove('alice', ['s1/new', 's1/m2']);
      expect(await ix().search({ userId: 'alice', text: 'otter' })).toEqual([]);
      expect(ids(await ix().search({ userId: 'alice', text: 'zebra' }))).toEqual(['s1/m3', 's2/m1']);
      expect(ids(await ix().search({ userId: 'bob', text: 'zebra' }))).toEqual(['s1/m1']);
    });

    it('removes a session and a user', async () => {
      await ix().removeSession('alice', 's1');
      expect(ids(await ix().search({ userId: 'alice', text: '' }))).toEqual(['s2/d1', 's2/m1', 's2/m2']);
      expect(ids(await ix().search({ userId: 'bob', text: 'quantum' }))).toEqual(['s1/m1']);
      await ix().removeUser('alice');
      expect(await ix().search({ userId: 'alice', text: '' })).toEqual([]);
      expect(await ix().search({ userId: 'bob', text: '' })).toHaveLength(2);
    });

    it('reports per log the next seq not yet indexed', async () => {
      expect(await ix().positions('alice')).toEqual({ [LOG1]: 3, [LOG2]: 5 });
      expect(await ix().positions('bob')).toEqual({});
      expect(await ix().positions('nobody')).toEqual({});
    });

    it('clears one user or everything, and reports stats', async () => {
      const before = await ix().stats();
      expect(before.documents).toBe(8);
      expect(before.users).toBe(2);
      await ix().clear('bob');
      expect(await ix().search({ userId: 'bob', text: '' })).toEqual([]);
      expect(await ix().search({ userId: 'alice', text: '' })).toHaveLength(6);
      await ix().clear();
      expect(await ix().search({ userId: 'alice', text: '' })).toEqual([]);
      expect((await ix().stats()).documents).toBe(0);
      await ix().flush();
    });

    it('rejects hostile user ids', async () => {
      for (const userId of ['../x', 'a/b', '', 'a\0b']) {
        expect(hasCode(await caught(() => ix().search({ userId, text: 'x' })), 'FF_VALIDATION'), userId).toBe(
          true,
        );
        expect(
          hasCode(await caught(() => ix().add([doc({ id: 'x', userId, content: 'x' })])), 'FF_VALIDATION'),
          userId,
        ).toBe(true);
      }
    });

    if (caps.prefix) {
      it('matches prefixes when asked', async () => {
        expect(await ix().search({ userId: 'alice', text: 'nebu' })).toEqual([]);
        expect(ids(await ix().search({ userId: 'alice', text: 'nebu', prefix: true }))).toEqual([
          's1/m1',
          's2/m2',
        ]);
      });
    }

    if (caps.fuzzy) {
      it('matches fuzzy terms when asked', async () => {
        expect(await ix().search({ userId: 'alice', text: 'nebulq' })).toEqual([]);
        expect(ids(await ix().search({ userId: 'alice', text: 'nebulq', fuzzy: 1 }))).toEqual([
          's1/m1',
          's2/m2',
        ]);
      });
    }

    if (caps.persistent && options.reopen) {
      const reopen = options.reopen;
      it('keeps items and positions across a reopen', async () => {
        await ix().flush();
        const again = await reopen(ix());
        try {
          expect(ids(await again.search({ userId: 'alice', text: 'zebra' }))).toEqual([
            's1/m2',
            's1/m3',
            's2/m1',
          ]);
          expect(await again.positions('alice')).toEqual({ [LOG1]: 3, [LOG2]: 5 });
        } finally {
          await again.close();
        }
      });
    }
  });
}

import { MemoryStorageBackend } from '@ffdb/conformance';
import { FFValidationError } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import { createLunrSearchIndex, type LunrSearchIndex } from '../src/index.js';
import { msg } from './helpers.js';

let index: LunrSearchIndex | undefined;
afterEach(async () => {
  await index?.close();
  index = undefined;
});

async function open(opts: Record<string, unknown> = {}): Promise<LunrSearchIndex> {
  const storage = new MemoryStorageBackend();
  await storage.open();
  index = createLunrSearchIndex({ storage, flushIntervalMs: 0, ...opts });
  await index.open();
  return index;
}

describe('text matching', () => {
  it('stems and ignores case: "testing" finds "Testing" and "tests"', async () => {
    const idx = await open();
    await idx.add([
      msg('u1', 's1', 'a', 'Testing the parser today'),
      msg('u1', 's1', 'b', 'All tests passed'),
      msg('u1', 's1', 'c', 'Nothing relevant here'),
    ]);
    const hits = await idx.search({ userId: 'u1', text: 'testing' });
    expect(hits.map((h) => h.id).sort()).toEqual(['a', 'b']);
    const a = hits.find((h) => h.id === 'a');
    expect(a?.highlights).toEqual([[0, 7]]);
    expect(a?.content.slice(0, 7)).toBe('Testing');
  });

  it('ANDs terms by default and ORs them with mode "or"', async () => {
    const idx = await open();
    await idx.add([
      msg('u1', 's1', 'a', 'red apple'),
      msg('u1', 's1', 'b', 'green apple'),
      msg('u1', 's1', 'c', 'red car'),
    ]);
    expect((await idx.search({ userId: 'u1', text: 'red apple' })).map((h) => h.id)).toEqual(['a']);
    const or = await idx.search({ userId: 'u1', text: 'red apple', mode: 'or' });
    expect(or.map((h) => h.id)[0]).toBe('a');
    expect(or.map((h) => h.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('mode "or" ranks an item holding every word above one repeating a word', async () => {
    const idx = await open();
    await idx.add([
      // A plain BM25 sum ranks this one first: the rarer word twice outweighs the common word.
      msg('u1', 's1', 'one-word', 'kumquat kumquat'),
      msg('u1', 's1', 'both-words', 'walrus kumquat'), // not the query's order: no phrase boost
      ...Array.from({ length: 10 }, (_, i) => msg('u1', 's2', `w${i}`, `walrus number ${i}`)),
    ]);
    const or = await idx.search({ userId: 'u1', text: 'kumquat walrus', mode: 'or' });
    expect(or.map((h) => h.id).slice(0, 2)).toEqual(['both-words', 'one-word']);
    expect(or).toHaveLength(12);
  });

  it('boosts an exact phrase above the same words apart', async () => {
    const idx = await open();
    await idx.add([
      msg('u1', 's1', 'apart', 'the release was late and the notes were short'),
      msg('u1', 's1', 'phrase', 'the release notes were late and it was short'),
    ]);
    const hits = await idx.search({ userId: 'u1', text: 'release notes' });
    expect(hits.map((h) => h.id)).toEqual(['phrase', 'apart']);
    expect(hits[0]?.score).toBeGreaterThan((hits[1]?.score ?? 0) * 1.5);
  });

  it('supports prefix and fuzzy terms', async () => {
    const idx = await open();
    await idx.add([msg('u1', 's1', 'a', 'kubernetes cluster'), msg('u1', 's1', 'b', 'a cluster of grapes')]);
    expect((await idx.search({ userId: 'u1', text: 'kube*' })).map((h) => h.id)).toEqual(['a']);
    expect((await idx.search({ userId: 'u1', text: 'kube', prefix: true })).map((h) => h.id)).toEqual(['a']);
    expect((await idx.search({ userId: 'u1', text: 'kubarnetes~1' })).map((h) => h.id)).toEqual(['a']);
    expect((await idx.search({ userId: 'u1', text: 'grapse', fuzzy: 2 })).map((h) => h.id)).toEqual(['b']);
    expect(await idx.search({ userId: 'u1', text: 'kubarnetes' })).toEqual([]);
  });

  it('fuzzy: a one-letter typo finds the word even when its stem is shorter than the word', async () => {
    const idx = await open();
    await idx.add([
      msg('u1', 's1', 'a', 'The database connection failed while running migrations'),
      msg('u1', 's1', 'b', 'Grapes grow in the sun'),
    ]);
    // Each typo is one edit from a word of 'a' but two or more from its stem (connect, run, migrat).
    for (const typo of ['connecton', 'migratons', 'runnng', 'conection', 'migrationz']) {
      const hits = await idx.search({ userId: 'u1', text: typo, fuzzy: true });
      expect(
        hits.map((h) => h.id),
        typo,
      ).toEqual(['a']);
      expect(hits[0]?.highlights.length, typo).toBe(1);
      expect(
        (await idx.search({ userId: 'u1', text: `${typo}~1` })).map((h) => h.id),
        typo,
      ).toEqual(['a']);
      expect(await idx.search({ userId: 'u1', text: typo }), typo).toEqual([]);
    }
    // Two edits from every word stays a miss at distance 1.
    expect(await idx.search({ userId: 'u1', text: 'cnnecton', fuzzy: 1 })).toEqual([]);
  });

  it('applies every word of a long query, and refuses more than 32 fuzzy words by name', async () => {
    const idx = await open();
    const vocabulary = Array.from({ length: 40 }, (_, i) => `zword${String.fromCharCode(97 + (i % 26))}${i}`);
    await idx.add([
      msg('u1', 's1', 'all', vocabulary.join(' ')),
      // The first 32 words only: a query that dropped words past 32 would wrongly match it.
      msg('u1', 's1', 'first32', vocabulary.slice(0, 32).join(' ')),
    ]);
    const hits = await idx.search({ userId: 'u1', text: vocabulary.join(' ') });
    expect(hits.map((h) => h.id)).toEqual(['all']);
    const fuzzy = idx.search({ userId: 'u1', text: vocabulary.slice(0, 33).join(' '), fuzzy: true });
    await expect(fuzzy).rejects.toThrow(FFValidationError);
    await expect(fuzzy).rejects.toMatchObject({ issues: [{ path: 'query.text' }] });
    expect(
      (await idx.search({ userId: 'u1', text: vocabulary.slice(0, 32).join(' '), fuzzy: true })).length,
    ).toBe(2);
  });

  it('has no cap on limit by default: every match comes back', async () => {
    const idx = await open();
    const items = Array.from({ length: 10_050 }, (_, i) => msg('u1', 's1', `m${i}`, `common word ${i}`));
    await idx.add(items);
    expect(await idx.search({ userId: 'u1', text: 'common', limit: 20_000 })).toHaveLength(10_050);
    expect(await idx.search({ userId: 'u1', text: '', limit: Number.MAX_SAFE_INTEGER })).toHaveLength(10_050);
    const capped = await open({ maxLimit: 100 });
    await expect(capped.search({ userId: 'u1', text: 'x', limit: 101 })).rejects.toThrow(/at most 100/);
  });

  it('returns filtered items, newest first, for an empty query', async () => {
    const idx = await open();
    await idx.add([
      msg('u1', 's1', 'a', 'one'),
      msg('u1', 's2', 'b', 'two', { role: 'assistant' }),
      msg('u1', 's1', 'c', 'three'),
    ]);
    expect((await idx.search({ userId: 'u1', text: '' })).map((h) => h.id)).toEqual(['c', 'b', 'a']);
    expect((await idx.search({ userId: 'u1', text: '', sessionIds: ['s1'] })).map((h) => h.id)).toEqual([
      'c',
      'a',
    ]);
    expect((await idx.search({ userId: 'u1', text: '', roles: ['assistant'] })).map((h) => h.id)).toEqual([
      'b',
    ]);
  });

  it('combines role, session, type and time filters with text', async () => {
    const idx = await open();
    const items = [
      msg('u1', 's1', 'a', 'deploy the service', { role: 'user' }),
      msg('u1', 's1', 'b', 'deploy finished', { role: 'assistant' }),
      msg('u1', 's2', 'c', 'deploy again', { role: 'assistant' }),
      msg('u1', 's2', 'd', 'deploy guide', { type: 'document', role: undefined }),
    ];
    await idx.add(items);
    const q = { userId: 'u1', text: 'deploy' };
    expect((await idx.search({ ...q, roles: ['assistant'] })).map((h) => h.id).sort()).toEqual(['b', 'c']);
    expect((await idx.search({ ...q, roles: ['assistant'], sessionIds: ['s2'] })).map((h) => h.id)).toEqual([
      'c',
    ]);
    expect((await idx.search({ ...q, types: ['document'] })).map((h) => h.id)).toEqual(['d']);
    const from = items[1]?.timestamp as string;
    const to = items[2]?.timestamp as string;
    expect((await idx.search({ ...q, startDate: from, endDate: to })).map((h) => h.id).sort()).toEqual([
      'b',
      'c',
    ]);
  });

  it('refuses items that are not an array or carry a timestamp that is no date, and flush after close', async () => {
    const idx = await open();
    for (const bad of [null, { id: 'x' }, 'items']) {
      await expect(idx.add(bad as never)).rejects.toMatchObject({
        code: 'FF_VALIDATION',
        issues: [{ path: 'items' }],
      });
    }
    await expect(idx.add([msg('u1', 's1', 'a', 'dated', { timestamp: 'not a date' })])).rejects.toMatchObject(
      {
        code: 'FF_VALIDATION',
        issues: [{ path: 'items.0.timestamp' }],
      },
    );
    expect(await idx.search({ userId: 'u1', text: 'dated' })).toEqual([]);
    await idx.close();
    await expect(idx.flush()).rejects.toMatchObject({ code: 'FF_CLOSED' });
    await idx.close(); // a second close is harmless
  });

  it('keeps users apart', async () => {
    const idx = await open();
    await idx.add([msg('alice', 's1', 'a', 'secret plan'), msg('bob', 's1', 'b', 'another plan')]);
    expect((await idx.search({ userId: 'alice', text: 'plan' })).map((h) => h.id)).toEqual(['a']);
    expect((await idx.search({ userId: 'bob', text: 'secret' })).map((h) => h.id)).toEqual([]);
  });

  it('builds a snippet around the best match', async () => {
    const idx = await open({ snippetLength: 40 });
    const filler = 'lorem ipsum dolor sit amet '.repeat(10);
    await idx.add([msg('u1', 's1', 'a', `${filler}the needle is here ${filler}`)]);
    const [hit] = await idx.search({ userId: 'u1', text: 'needle' });
    expect(hit?.snippet).toContain('needle');
    expect(hit?.snippet.startsWith('…')).toBe(true);
    expect(hit?.snippet.length).toBeLessThanOrEqual(45);
    const [s, e] = hit?.highlights[0] ?? [0, 0];
    expect(hit?.content.slice(s, e)).toBe('needle');
  });

  it('rejects bad input with one validation error naming the field', async () => {
    const idx = await open();
    await expect(idx.search({ userId: '../x', text: 'a' })).rejects.toBeInstanceOf(FFValidationError);
    const err = await idx.search({ userId: 'u1', text: 'a', limit: 0 }).catch((e: unknown) => e);
    expect(FFValidationError.isInstance(err)).toBe(true);
    expect((err as FFValidationError).issues[0]?.path).toBe('query.limit');
    await expect(idx.add([msg('u1', 's1', 'bad\nid', 'x')])).rejects.toBeInstanceOf(FFValidationError);
    expect(await idx.search({ userId: 'u1', text: '' })).toEqual([]);
  });
});

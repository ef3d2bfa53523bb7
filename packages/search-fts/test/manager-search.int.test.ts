/**
 * The manager's search feature end to end, on real files (storage-fs through FFStorageManager).
 * The manager is imported from its source by path: @ffdb/manager depends on this package, so it
 * cannot be a devDependency here without a cycle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager, FFValidationError } from '../../manager/src/index.js';

const dirs: string[] = [];
const managers: FFStorageManager[] = [];

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(basePath?: string): Promise<{ m: FFStorageManager; basePath: string }> {
  const dir = basePath ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-search-'));
  if (!basePath) dirs.push(dir);
  const m = new FFStorageManager({
    storage: { basePath: dir, durability: 'none', backupBeforeDelete: false },
  } as never);
  if (!(await m.initialize())) throw new Error('initialize failed');
  managers.push(m);
  return { m, basePath: dir };
}

async function closeOne(m: FFStorageManager): Promise<void> {
  await m.close();
  managers.splice(managers.indexOf(m), 1);
}

describe('manager search feature', () => {
  it('searchMessages: stemming, case, sessions, Message shape', async () => {
    const { m } = await open();
    const s1 = await m.createSession('alice', 'one');
    const s2 = await m.createSession('alice', 'two');
    await m.addMessage('alice', s1, {
      role: 'user',
      content: 'Testing the new parser',
      metadata: { tag: 'x' },
    });
    await m.addMessage('alice', s1, { role: 'assistant', content: 'All tests are green' });
    await m.addMessage('alice', s2, { role: 'user', content: 'unrelated weather talk' });
    await m.addMessage('alice', s2, { role: 'user', content: 'more testing in session two' });
    const found = await m.searchMessages('alice', 'testing');
    expect(found.map((x) => x.content).sort()).toEqual([
      'All tests are green',
      'Testing the new parser',
      'more testing in session two',
    ]);
    const first = found.find((x) => x.content.startsWith('Testing'));
    expect(first).toMatchObject({ role: 'user', metadata: { tag: 'x' }, seq: 0 });
    expect(first?.messageId).toMatch(/^msg_[0-9a-f]{12}$/);
    expect((await m.searchMessages('alice', 'testing', { sessionId: s2 })).map((x) => x.content)).toEqual([
      'more testing in session two',
    ]);
    // As in the reference: sessionId first, else sessionIds.
    const both = await m.searchMessages('alice', 'testing', { sessionId: s2, sessionIds: [s1] });
    expect(both.map((x) => x.content)).toEqual(['more testing in session two']);
    expect(await m.searchMessages('bob', 'testing')).toEqual([]);
  });

  it('advancedSearch: roles, time range, documents, context, highlights, min score, prefix, fuzzy', async () => {
    const { m } = await open();
    const s = await m.createSession('alice', 'work');
    await m.addMessage('alice', s, {
      role: 'user',
      content: 'Deploy the kubernetes cluster tonight',
      timestamp: '2026-01-01T10:00:00Z',
    });
    await m.addMessage('alice', s, {
      role: 'assistant',
      content: 'The cluster deploy is scheduled',
      timestamp: '2026-01-02T10:00:00Z',
    });
    await m.addMessage('alice', s, {
      role: 'user',
      content: 'Cluster deploy finished',
      timestamp: '2026-01-03T10:00:00Z',
    });
    await m.saveDocument('alice', s, 'runbook.md', '# Runbook\nHow to deploy a cluster safely.');
    await m.updateContext('alice', s, {
      summary: 'The team is planning a cluster deploy',
      keyPoints: ['deploy'],
      confidence: 0.9,
    });

    const msgs = await m.advancedSearch({ query: 'cluster deploy', userId: 'alice' });
    expect(msgs).toHaveLength(3);
    expect(msgs.every((r) => r.type === 'message')).toBe(true);
    for (let i = 1; i < msgs.length; i++)
      expect(msgs[i - 1]?.relevanceScore).toBeGreaterThanOrEqual(msgs[i]?.relevanceScore ?? 0);
    for (const r of msgs) {
      expect(r.highlights.length).toBeGreaterThan(0);
      for (const [a, b] of r.highlights)
        expect(r.content.slice(a, b).toLowerCase()).toMatch(/cluster|deploy/);
      expect(r.metadata.role).toBeDefined();
    }
    // The exact phrase "cluster deploy" ranks above "deploy … cluster".
    expect(msgs[msgs.length - 1]?.content).toBe('Deploy the kubernetes cluster tonight');

    const byRole = await m.advancedSearch({ query: 'deploy', userId: 'alice', messageRoles: ['assistant'] });
    expect(byRole.map((r) => r.content)).toEqual(['The cluster deploy is scheduled']);
    const byTime = await m.advancedSearch({
      query: 'deploy',
      userId: 'alice',
      startDate: new Date('2026-01-02T00:00:00Z'),
      endDate: '2026-01-02T23:59:59Z',
    });
    expect(byTime.map((r) => r.content)).toEqual(['The cluster deploy is scheduled']);

    const all = await m.advancedSearch({
      query: 'deploy',
      userId: 'alice',
      includeDocuments: true,
      includeContext: true,
    });
    expect(new Set(all.map((r) => r.type))).toEqual(new Set(['message', 'document', 'context']));
    const doc = all.find((r) => r.type === 'document');
    expect(doc?.metadata).toMatchObject({ originalName: 'runbook.md', mimeType: 'text/markdown' });
    const ctx = all.find((r) => r.type === 'context');
    expect(ctx).toMatchObject({ id: 'current', metadata: { keyPoints: ['deploy'], confidence: 0.9 } });

    const kube = await m.advancedSearch({ query: 'kube', userId: 'alice', prefix: true });
    expect(kube.map((r) => r.content)).toEqual(['Deploy the kubernetes cluster tonight']);
    expect((await m.advancedSearch({ query: 'kubarnetes', userId: 'alice' })).length).toBe(0);
    expect((await m.advancedSearch({ query: 'kubarnetes', userId: 'alice', fuzzy: 1 })).length).toBe(1);
    expect((await m.advancedSearch({ query: 'deploy', userId: 'alice', maxResults: 2 })).length).toBe(2);
    const top = msgs[0]?.relevanceScore ?? 0;
    const strict = await m.advancedSearch({
      query: 'cluster deploy',
      userId: 'alice',
      minRelevanceScore: top,
    });
    expect(strict.length).toBeGreaterThanOrEqual(1);
    expect(strict.length).toBeLessThan(3);
    expect(strict.every((r) => r.relevanceScore >= top)).toBe(true);
    // Empty query with filters returns the filtered items.
    expect((await m.advancedSearch({ query: '', userId: 'alice', messageRoles: ['user'] })).length).toBe(2);
    // Without a userId every user is searched.
    const sb = await m.createSession('bob', 'b');
    await m.addMessage('bob', sb, { role: 'user', content: 'bob will deploy too' });
    expect(new Set((await m.advancedSearch({ query: 'deploy' })).map((r) => r.userId))).toEqual(
      new Set(['alice', 'bob']),
    );
    await expect(m.advancedSearch({ query: 'x', maxResults: -1 } as never)).rejects.toBeInstanceOf(
      FFValidationError,
    );
  });

  it('searchByEntities filters messages and context; searchByTimeRange; extractEntities', async () => {
    const { m } = await open();
    const s = await m.createSession('alice', 'code');
    await m.addMessage('alice', s, {
      role: 'user',
      content: 'My python script fails, see https://example.com/log',
    });
    await m.addMessage('alice', s, {
      role: 'user',
      content: 'I write javascript with npm',
      timestamp: '2026-02-01T00:00:00Z',
    });
    await m.addMessage('alice', s, { role: 'user', content: 'mail me at dev@example.org about JIRA-42' });
    const py = await m.searchByEntities({ languages: ['python'] }, { userId: 'alice' });
    expect(py.map((r) => r.content)).toEqual(['My python script fails, see https://example.com/log']);
    const js = await m.searchByEntities({ languages: ['javascript'] }, { userId: 'alice' });
    expect(js).toHaveLength(1);
    expect(await m.searchByEntities({ languages: ['java'] }, { userId: 'alice' })).toEqual([]);
    expect(
      (
        await m.searchByEntities(
          { emails: ['dev@example.org'], jiraTickets: ['JIRA-42'] },
          { userId: 'alice' },
        )
      ).length,
    ).toBe(1);
    // The reference's snake_case type names work too; an unknown type is an error, not an empty result.
    expect(await m.searchByEntities({ jira_tickets: ['JIRA-42'] }, { userId: 'alice' })).toHaveLength(1);
    expect(
      await m.advancedSearch({ query: '', userId: 'alice', entities: { jira_tickets: ['JIRA-42'] } }),
    ).toHaveLength(1);
    await expect(m.searchByEntities({ tickets: ['JIRA-42'] }, { userId: 'alice' })).rejects.toMatchObject({
      code: 'FF_VALIDATION',
      issues: [{ path: 'entities.tickets', message: expect.stringContaining('jiraTickets') }],
    });

    const range = await m.searchByTimeRange('2026-01-31T00:00:00Z', new Date('2026-02-02T00:00:00Z'), {
      userId: 'alice',
    });
    expect(range.map((r) => r.content)).toEqual(['I write javascript with npm']);

    const e = m.extractEntities(
      'Ping @ana #release: https://github.com/acme/app or 10.0.0.1, call 555-123-4567, see /etc/hosts now, ' +
        'ticket ABC-12, id 123e4567-e89b-12d3-a456-426614174000, mail a.b@c.io, golang and go, not javascript-only java? ```x```',
    );
    expect(e.mentions).toContain('@ana');
    expect(e.hashtags).toEqual(['#release']);
    expect(e.urls).toEqual(['https://github.com/acme/app']);
    expect(e.githubRepos).toEqual(['https://github.com/acme/app']);
    expect(e.ipAddresses).toEqual(['10.0.0.1']);
    expect(e.phoneNumbers).toEqual(['555-123-4567']);
    expect(e.jiraTickets).toEqual(['ABC-12']);
    expect(e.uuids).toEqual(['123e4567-e89b-12d3-a456-426614174000']);
    expect(e.emails).toEqual(['a.b@c.io']);
    expect(e.codeBlocks).toEqual(['```x```']);
    expect(e.filePaths).toContain('/etc/hosts');
    expect(e.languages).toEqual(['javascript', 'java', 'go']);
    expect(m.extractEntities('javascript only')).toEqual({ languages: ['javascript'] });
    expect(m.extractEntities('let us gossip')).toEqual({});
    expect(m.extractEntities('')).toEqual({});
  });

  it('entity, metadata and document-type filters find a match behind thousands of newer items', async () => {
    const { m } = await open();
    const s = await m.createSession('alice', 'old and new');
    await m.addMessage('alice', s, {
      role: 'user',
      content: 'write to target@example.com about common things',
      metadata: { tag: 'needle' },
    });
    await m.saveDocument('alice', s, 'notes.md', 'common words in an old markdown note');
    // More newer items than the filters' first candidate window (1,000), and than the fixed 10,000 the
    // manager used to look at, all matching the text.
    const newer = Array.from({ length: 10_100 }, (_, i) => ({ role: 'user', content: `common thing ${i}` }));
    for (let i = 0; i < newer.length; i += 500) await m.addMessages('alice', s, newer.slice(i, i + 500));
    for (let i = 0; i < 1_100; i++) await m.saveDocument('alice', s, `f${i}.txt`, `common text ${i}`);

    const byEntity = await m.searchByEntities({ emails: ['target@example.com'] }, { userId: 'alice' });
    expect(byEntity.map((r) => r.content)).toEqual(['write to target@example.com about common things']);
    const byMeta = await m.advancedSearch({ query: '', userId: 'alice', metadata: { tag: 'needle' } });
    expect(byMeta).toHaveLength(1);
    const textAndMeta = await m.advancedSearch({
      query: 'common',
      userId: 'alice',
      metadata: { tag: 'needle' },
    });
    expect(textAndMeta).toHaveLength(1);
    // No cap on how many results may be asked for (the index refused limits over 10,000).
    expect(await m.advancedSearch({ query: 'common', userId: 'alice', maxResults: 10_050 })).toHaveLength(
      10_050,
    );
    const md = await m.searchDocuments('alice', 'common', { documentTypes: ['md'] });
    expect(md.map((d) => d.filename)).toEqual(['notes.md']);
  }, 120_000);

  it('searchDocuments and searchDocumentsByMetadata', async () => {
    const { m } = await open();
    const s = await m.createSession('alice', 'docs');
    const a = await m.saveDocument(
      'alice',
      s,
      'notes.txt',
      'Quarterly revenue grew in the northern region.',
      { team: 'sales' },
    );
    await m.saveDocument('alice', s, 'plan.md', 'Hiring plan for the platform team.', { team: 'eng' });
    const hits = await m.searchDocuments('alice', 'revenue');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ documentId: a, sessionId: s, filename: 'notes.txt' });
    expect(hits[0]?.contentPreview).toContain('revenue');
    expect(hits[0]?.relevanceScore).toBeGreaterThan(0);
    expect(await m.searchDocuments('alice', 'revenue', { documentTypes: ['md'] })).toEqual([]);
    expect((await m.searchDocuments('alice', 'plan', { documentTypes: ['.md'] })).length).toBe(1);
    const byMeta = await m.searchDocumentsByMetadata('alice', { team: 'eng' });
    expect(byMeta.map((d) => d.filename)).toEqual(['plan.md']);
    expect(await m.deleteDocument('alice', s, a)).toBe(true);
    expect(await m.searchDocuments('alice', 'revenue')).toEqual([]);
  });

  it('never returns deleted sessions or users', async () => {
    const { m } = await open();
    const s1 = await m.createSession('alice', 'a');
    const s2 = await m.createSession('alice', 'b');
    await m.addMessage('alice', s1, { role: 'user', content: 'banana bread recipe' });
    await m.addMessage('alice', s2, { role: 'user', content: 'banana smoothie' });
    await m.addMessage('bob', await m.createSession('bob', 'x'), { role: 'user', content: 'banana split' });
    expect(await m.deleteSession('alice', s1)).toBe(true);
    expect((await m.searchMessages('alice', 'banana')).map((x) => x.content)).toEqual(['banana smoothie']);
    expect(await m.deleteUser('bob', { force: true })).toBe(true);
    expect(await m.advancedSearch({ query: 'banana' })).toHaveLength(1);
    expect(await m.searchMessages('bob', 'banana')).toEqual([]);
  });

  it('survives restarts: clean, and with an index that missed the last writes (crash)', async () => {
    const first = await open();
    const s = await first.m.createSession('alice', 'r');
    await first.m.addMessage('alice', s, { role: 'user', content: 'first persimmon' });
    await first.m.compact(); // persists the index
    const manifest = path.join(first.basePath, 'features/search/alice/manifest.json');
    const early = fs.readFileSync(manifest);
    await first.m.addMessage('alice', s, { role: 'user', content: 'second persimmon' });
    await closeOne(first.m);

    const clean = await open(first.basePath);
    expect((await clean.m.searchMessages('alice', 'persimmon')).length).toBe(2);
    await closeOne(clean.m);

    // As if the process died before the index recorded the second message.
    fs.writeFileSync(manifest, early);
    const crashed = await open(first.basePath);
    expect((await crashed.m.searchMessages('alice', 'persimmon')).map((x) => x.content).sort()).toEqual([
      'first persimmon',
      'second persimmon',
    ]);
    // And with the index gone altogether.
    await closeOne(crashed.m);
    fs.rmSync(path.join(first.basePath, 'features/search'), { recursive: true, force: true });
    const lost = await open(first.basePath);
    expect((await lost.m.searchMessages('alice', 'persimmon')).length).toBe(2);
  });

  it('serves searches while appends run concurrently (read-your-writes per append)', async () => {
    const { m } = await open();
    const s = await m.createSession('alice', 'busy');
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      work.push(
        m.addMessage('alice', s, { role: 'user', content: `kumquat note ${i}` }).then(async () => {
          const found = await m.searchMessages('alice', `kumquat`, { limit: 100 });
          expect(found.some((x) => x.content === `kumquat note ${i}`)).toBe(true);
        }),
      );
    }
    await Promise.all(work);
    expect((await m.searchMessages('alice', 'kumquat')).length).toBe(40);
  });

  it('rebuildSearchIndex rebuilds from stored data', async () => {
    const { m } = await open();
    const s = await m.createSession('alice', 'r');
    for (let i = 0; i < 5; i++)
      await m.addMessage('alice', s, { role: 'user', content: `walnut number ${i}` });
    const report = (await m.rebuildSearchIndex('alice')) as { messages: number; users: number };
    expect(report).toMatchObject({ messages: 5, users: 1 });
    expect((await m.searchMessages('alice', 'walnut')).length).toBe(5);
  });
});

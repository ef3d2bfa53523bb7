import { MemorySearchIndex, SteppingClock } from '@ffdb/conformance';
import { FFError, type SearchIndex, type StorageBackend } from '@ffdb/core-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPersonaServices, type PersonaServices, type StoredPanelMessage } from '../src/index.js';
import { STORE_CASES } from './backends.js';

const code = (e: unknown) => (FFError.isInstance(e) ? (e as FFError).code : String(e));
async function errorOf(
  fn: () => Promise<unknown>,
): Promise<FFError & { issues?: { path: string; limit?: number }[] }> {
  try {
    await fn();
  } catch (e) {
    return e as FFError;
  }
  throw new Error('expected an error');
}

for (const store of STORE_CASES) {
  describe(`PanelService on ${store.name}`, () => {
    let env: Awaited<ReturnType<typeof store.create>>;
    let storage: StorageBackend;
    const services = (panel: Record<string, unknown> = {}, search?: SearchIndex): PersonaServices =>
      createPersonaServices({
        storage,
        config: { panel, storage: { maxMessageSizeBytes: 4096 } } as never,
        clock: new SteppingClock('2025-05-01T00:00:00Z', 1000),
        ...(search ? { search } : {}),
      });

    beforeEach(async () => {
      env = await store.create();
      storage = env.storage;
    });
    afterEach(async () => {
      await env.cleanup();
    });

    it('creates a panel with a generated id, snapshots existing personas, and reads it back', async () => {
      const { personas, panels } = services();
      await personas.savePersona('critic', { name: 'Critic', traits: ['sceptical'] });
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'critic', 'ghost'], {
        topic: 'pricing',
        metadata: { round: 1 },
      });
      expect(panelId).toMatch(/^panel_\d{8}_\d{6}_\d{6}$/);
      const panel = await panels.getPanel(panelId);
      expect(panel).toMatchObject({
        panelId,
        type: 'multi_persona',
        personas: ['analyst', 'critic', 'ghost'],
        messageCount: 0,
        config: { topic: 'pricing' },
        metadata: { round: 1 },
      });
      // Snapshots are of the persona at creation time; `ghost` does not exist and has none.
      await personas.savePersona('critic', { name: 'Changed Critic' });
      const snaps = await panels.getPanelPersonas(panelId);
      expect(snaps.map((p) => [p.personaId, p.name])).toEqual([
        ['analyst', 'Analytical Thinker'],
        ['critic', 'Critic'],
      ]);
      expect(await storage.exists(`panel_sessions/${panelId}/panel.json`)).toBe(true);
      expect(await storage.exists(`panel_sessions/${panelId}/personas/critic.json`)).toBe(true);
      expect(await panels.getPanel('panel_20990101_000000_000000')).toBeNull();
    });

    it("snapshots a user panel's personas with that user's shadowing", async () => {
      const { personas, panels } = services();
      await personas.savePersona('analyst', { name: "Alice's Analyst" }, 'alice');
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'creative'], { userId: 'alice' });
      const names = (await panels.getPanelPersonas(panelId)).map((p) => p.name);
      expect(names).toEqual(["Alice's Analyst", 'Creative Innovator']);
    });

    it('rejects hostile panel ids on every method', async () => {
      const { panels } = services();
      for (const id of ['../x', 'a/b', '', 'x\0y', '..']) {
        for (const call of [
          () => panels.getPanel(id),
          () => panels.getPanelMessages(id),
          () => panels.getPanelStats(id),
          () => panels.getPanelInsights(id),
          () => panels.savePanelInsight(id, { content: 'x' }),
          () => panels.addPanelMessage(id, { personaId: 'a', content: 'x' }),
          () => panels.deletePanel(id),
          () => panels.linkSession(id, 'alice', 's1'),
        ]) {
          expect(code(await errorOf(call)), id).toBe('FF_VALIDATION');
        }
      }
      expect(await storage.list('', { recursive: true })).toEqual([]);
    });

    it('enforces the panel type list and the global min/max personas (API.md), for every type', async () => {
      const { panels } = services({ maxPersonasPerPanel: 4 });
      const bad = async (fn: () => Promise<unknown>, path: string, limit?: number) => {
        const err = await errorOf(fn);
        expect(code(err)).toBe('FF_VALIDATION');
        expect(err.issues?.[0]?.path).toBe(path);
        if (limit !== undefined) expect(err.issues?.[0]?.limit).toBe(limit);
      };
      await bad(() => panels.createPanel('tea_party', ['a', 'b']), 'panelType');
      await bad(() => panels.createPanel('multi_persona', ['a']), 'personaIds', 2);
      await bad(() => panels.createPanel('focus_group', ['a']), 'personaIds', 2);
      await bad(() => panels.createPanel('expert_panel', ['a', 'b', 'c', 'd', 'e']), 'personaIds', 4);
      await bad(() => panels.createPanel('multi_persona', ['a', 'b', 'c', 'd', 'e']), 'personaIds', 4);
      await bad(() => panels.createPanel('multi_persona', ['a', 'a']), 'personaIds');
      await bad(() => panels.createPanel('multi_persona', ['a', '../b']), 'personaIds.1');
      expect(await panels.listPanels()).toEqual([]);
      // The type's own bounds (focus_group 3..8) describe it; the configured ones decide.
      expect(await panels.createPanel('focus_group', ['a', 'b'])).toMatch(/^panel_/);
      expect(await panels.createPanel('expert_panel', ['a', 'b', 'c', 'd'])).toMatch(/^panel_/);
      expect(panels.panelTypes().focus_group).toMatchObject({ minPersonas: 3, maxPersonas: 8 });
    });

    it("a global maximum above a type's own allows that many personas; a lower minimum, that few", async () => {
      const { panels } = services({ minPersonasPerPanel: 1, maxPersonasPerPanel: 20 });
      const many = Array.from({ length: 15 }, (_, i) => `p${i}`);
      expect(await panels.createPanel('expert_panel', many)).toMatch(/^panel_/);
      expect(await panels.createPanel('focus_group', ['solo'])).toMatch(/^panel_/);
    });

    it('stores messages in order with exact counts, paging and persona filter', async () => {
      const { panels } = services();
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'creative']);
      for (let i = 0; i < 7; i++) {
        const m = await panels.addPanelMessage(panelId, {
          personaId: i % 2 ? 'creative' : 'analyst',
          content: `message ${i}`,
        });
        expect(m).toMatchObject({
          seq: i,
          panelId,
          personaId: i % 2 ? 'creative' : 'analyst',
          role: i % 2 ? 'creative' : 'analyst',
          threadDepth: 0,
        });
      }
      expect((await panels.getPanel(panelId))?.messageCount).toBe(7);
      // Messages are activity: the panel's updatedAt moves up to its newest message, as a session's does.
      const panel = (await panels.getPanel(panelId))!;
      const newest = (await panels.getPanelMessages(panelId)).at(-1)!;
      expect(panel.updatedAt).toBe(newest.timestamp);
      expect(panel.updatedAt > panel.createdAt).toBe(true);
      expect((await panels.listPanels())[0]).toMatchObject({ panelId, updatedAt: newest.timestamp });
      expect((await panels.getPanelMessages(panelId)).map((m) => m.content)).toEqual(
        Array.from({ length: 7 }, (_, i) => `message ${i}`),
      );
      expect((await panels.getPanelMessages(panelId, { offset: 2, limit: 3 })).map((m) => m.seq)).toEqual([
        2, 3, 4,
      ]);
      expect((await panels.getPanelMessages(panelId, { personaId: 'creative' })).map((m) => m.seq)).toEqual([
        1, 3, 5,
      ]);
      expect(
        (await panels.getPanelMessages(panelId, { personaId: 'creative', offset: 1, limit: 1 })).map(
          (m) => m.seq,
        ),
      ).toEqual([3]);
      expect(await panels.getPanelMessages(panelId, { offset: 50 })).toEqual([]);
      expect(code(await errorOf(() => panels.getPanelMessages(panelId, { limit: -1 })))).toBe(
        'FF_VALIDATION',
      );
      expect(code(await errorOf(() => panels.getPanelMessages(panelId, { limit: 'ten' } as never)))).toBe(
        'FF_VALIDATION',
      );
      expect(await panels.getPanelMessages('panel_20990101_000000_000000')).toEqual([]);
    });

    it('accepts role or personaId (any speaker), rejects empty content and oversize messages', async () => {
      const { panels } = services();
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'creative']);
      expect(await panels.addPanelMessage(panelId, { role: 'creative', content: 'via role' })).toMatchObject({
        personaId: 'creative',
      });
      expect(
        await panels.addPanelMessage(panelId, { role: 'user', content: 'moderator question' }),
      ).toMatchObject({ personaId: 'user' });
      expect(
        await panels.addPanelMessage(panelId, { personaId: 'moderator', content: 'a guest speaker' }),
      ).toMatchObject({
        seq: 2,
      });
      for (const bad of [
        { personaId: 'x'.repeat(201), content: 'long id' },
        { content: 'nobody' },
        { personaId: 'analyst', content: '   ' },
        { personaId: 'analyst', content: 'x'.repeat(5000) },
        { personaId: 'analyst', content: 'ok', consensusLevel: 1.5 },
      ]) {
        expect(
          code(await errorOf(() => panels.addPanelMessage(panelId, bad))),
          JSON.stringify(bad).slice(0, 40),
        ).toBe('FF_VALIDATION');
      }
      expect(
        await panels.addPanelMessage('panel_20990101_000000_000000', { personaId: 'analyst', content: 'hi' }),
      ).toBe(false);
      expect(
        code(await errorOf(() => panels.addPanelMessage('../etc', { personaId: 'analyst', content: 'hi' }))),
      ).toBe('FF_VALIDATION');
      expect((await panels.getPanel(panelId))?.messageCount).toBe(3);
    });

    it('restores a panel with a given id (import), once', async () => {
      const { panels } = services();
      const panel = {
        panelId: 'panel_20240101_120000_123456',
        type: 'focus_group',
        personas: ['a', 'b'],
        userId: 'alice',
        createdAt: '2024-01-01T12:00:00.000Z',
        updatedAt: '2024-01-01T12:00:00.000Z',
      };
      expect(
        await panels.restorePanel(panel, [{ persona_id: 'a', name: 'A', demographics: { age: 3 } }]),
      ).toBe(true);
      expect(await panels.restorePanel(panel)).toBe(false);
      expect(await panels.getPanel(panel.panelId)).toMatchObject({ ...panel, messageCount: 0 });
      expect(await panels.getPanelPersonas(panel.panelId)).toEqual([
        { persona_id: 'a', name: 'A', demographics: { age: 3 } },
      ]);
      expect(code(await errorOf(() => panels.restorePanel({ ...panel, panelId: '../x' })))).toBe(
        'FF_VALIDATION',
      );
      expect(code(await errorOf(() => panels.restorePanel({ ...panel, panelId: 'p2', personas: [] })))).toBe(
        'FF_VALIDATION',
      );
    });

    it('calls onMessageStored after each stored message; its failure does not fail the write', async () => {
      const seen: string[] = [];
      const ok = createPersonaServices({
        storage,
        config: {},
        onMessageStored: async (p, m) => {
          seen.push(`${p.panelId}:${m.seq}`);
        },
      });
      const panelId = await ok.panels.createPanel('multi_persona', ['a', 'b']);
      await ok.panels.addPanelMessage(panelId, { personaId: 'a', content: 'one' });
      expect(seen).toEqual([`${panelId}:0`]);
      const failing = createPersonaServices({
        storage,
        config: {},
        onMessageStored: async () => {
          throw new Error('downstream down');
        },
      });
      expect(await failing.panels.addPanelMessage(panelId, { personaId: 'b', content: 'two' })).toMatchObject(
        { seq: 1 },
      );
    });

    it('threads replies up to maxThreadDepth and rejects unknown parents', async () => {
      const { panels } = services({ maxThreadDepth: 2 });
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'creative']);
      const root = (await panels.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'root',
      })) as StoredPanelMessage;
      const r1 = (await panels.addPanelMessage(panelId, {
        personaId: 'creative',
        content: 'reply 1',
        responseTo: root.messageId,
      })) as StoredPanelMessage;
      const r2 = (await panels.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'reply 2',
        responseTo: r1.messageId,
      })) as StoredPanelMessage;
      expect([root.threadDepth, r1.threadDepth, r2.threadDepth]).toEqual([0, 1, 2]);
      const deep = await errorOf(() =>
        panels.addPanelMessage(panelId, {
          personaId: 'creative',
          content: 'too deep',
          responseTo: r2.messageId,
        }),
      );
      expect(deep.issues?.[0]).toMatchObject({ path: 'panel.maxThreadDepth', limit: 2 });
      const orphan = await errorOf(() =>
        panels.addPanelMessage(panelId, {
          personaId: 'creative',
          content: 'orphan',
          responseTo: 'msg_000000000000',
        }),
      );
      expect(orphan.issues?.[0]?.path).toBe('message.responseTo');
      expect((await panels.getPanel(panelId))?.messageCount).toBe(3);
    });

    it('enforces maxMessagesPerPanel', async () => {
      const { panels } = services({ maxMessagesPerPanel: 3 });
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'creative']);
      for (let i = 0; i < 3; i++)
        await panels.addPanelMessage(panelId, { personaId: 'analyst', content: `m${i}` });
      const err = await errorOf(() =>
        panels.addPanelMessage(panelId, { personaId: 'analyst', content: 'one too many' }),
      );
      expect(err.issues?.[0]).toMatchObject({ path: 'panel.maxMessagesPerPanel', limit: 3 });
      expect((await panels.getPanel(panelId))?.messageCount).toBe(3);
    });

    it('addPanelMessage under an id the panel holds resolves false and stores nothing', async () => {
      const { panels } = services();
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'creative']);
      const first = await panels.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'first',
        messageId: 'msg_00000000aaaa',
      });
      expect(first).toMatchObject({ messageId: 'msg_00000000aaaa', seq: 0 });
      expect(
        await panels.addPanelMessage(panelId, {
          personaId: 'creative',
          content: 'again',
          messageId: 'msg_00000000aaaa',
        }),
      ).toBe(false);
      expect((await panels.getPanelMessages(panelId)).map((m) => m.content)).toEqual(['first']);
      expect((await panels.getPanel(panelId))?.messageCount).toBe(1);
    });

    it('orders concurrent addPanelMessage calls without loss or duplicates', async () => {
      const { panels } = services();
      const panelId = await panels.createPanel('brainstorm', ['analyst', 'creative', 'pragmatist']);
      const ids = ['analyst', 'creative', 'pragmatist'];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          panels.addPanelMessage(panelId, { personaId: ids[i % 3] as string, content: `idea ${i}` }),
        ),
      );
      const seqs = results.map((r) => (r as StoredPanelMessage).seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      const stored = await panels.getPanelMessages(panelId);
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(new Set(stored.map((m) => m.content)).size).toBe(40);
      for (const r of results)
        expect(stored[(r as StoredPanelMessage).seq]?.messageId).toBe((r as StoredPanelMessage).messageId);
      expect((await panels.getPanel(panelId))?.messageCount).toBe(40);
    });

    it('saves and lists insights, by type', async () => {
      const { panels } = services();
      const panelId = await panels.createPanel('expert_panel', ['analyst', 'pragmatist']);
      const m = (await panels.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'data says yes',
      })) as StoredPanelMessage;
      const a = await panels.savePanelInsight(panelId, {
        type: 'conclusion',
        content: 'Ship it',
        supportingMessages: [m.messageId],
        consensusLevel: 0.8,
        createdBy: 'analyst',
      });
      const b = await panels.savePanelInsight(panelId, { type: 'recommendation', content: 'Start small' });
      expect(a).toMatch(/^insight_[0-9a-f]{12}$/);
      const all = await panels.getPanelInsights(panelId);
      expect(all.map((i) => i.insightId)).toEqual([a, b]);
      expect(all[0]).toMatchObject({
        panelId,
        type: 'conclusion',
        content: 'Ship it',
        supportingMessages: [m.messageId],
        consensusLevel: 0.8,
        createdBy: 'analyst',
      });
      expect(
        (await panels.getPanelInsights(panelId, { type: 'recommendation' })).map((i) => i.content),
      ).toEqual(['Start small']);
      expect(await panels.getPanelInsights(panelId, { type: 'summary' })).toEqual([]);
      expect(
        code(await errorOf(() => panels.savePanelInsight(panelId, { type: 'gossip', content: 'x' }))),
      ).toBe('FF_VALIDATION');
      expect(code(await errorOf(() => panels.savePanelInsight(panelId, { content: '' })))).toBe(
        'FF_VALIDATION',
      );
      expect(
        code(await errorOf(() => panels.savePanelInsight(panelId, { content: 'x', consensusLevel: 2 }))),
      ).toBe('FF_VALIDATION');
      expect(await panels.savePanelInsight('panel_20990101_000000_000000', { content: 'x' })).toBe(false);
    });

    it('computes panel stats: per persona, average consensus, insights, active threads', async () => {
      const { panels } = services();
      const panelId = await panels.createPanel('multi_persona', ['analyst', 'creative']);
      const add = async (personaId: string, content: string, extra: Record<string, unknown> = {}) =>
        (await panels.addPanelMessage(panelId, { personaId, content, ...extra })) as StoredPanelMessage;
      const t1 = await add('analyst', 'thread one', { consensusLevel: 0.2 });
      const t2 = await add('creative', 'thread two', { consensusLevel: 0.6 });
      await add('analyst', 'lonely root');
      const r = await add('creative', 'reply to one', { responseTo: t1.messageId, consensusLevel: 1 });
      await add('analyst', 'reply to reply', { responseTo: r.messageId });
      await add('analyst', 'reply to two', { responseTo: t2.messageId });
      await panels.savePanelInsight(panelId, { content: 'we agree on little' });
      expect(await panels.getPanelStats(panelId)).toEqual({
        panelId,
        messageCount: 6,
        messagesByPersona: { analyst: 4, creative: 2 },
        averageConsensus: 0.6,
        insightCount: 1,
        activeThreads: 2,
      });
      const empty = await panels.createPanel('multi_persona', ['analyst', 'creative']);
      expect(await panels.getPanelStats(empty)).toMatchObject({
        messageCount: 0,
        averageConsensus: null,
        activeThreads: 0,
      });
      expect(await panels.getPanelStats('panel_20990101_000000_000000')).toBeNull();
    });

    it('lists panels newest first, by user and type, with maxPanelsPerUser', async () => {
      const { panels } = services({ maxPanelsPerUser: 2 });
      const p1 = await panels.createPanel('multi_persona', ['a', 'b'], { userId: 'alice' });
      const p2 = await panels.createPanel('brainstorm', ['a', 'b'], { userId: 'alice' });
      const p3 = await panels.createPanel('multi_persona', ['a', 'b']);
      expect((await panels.listPanels()).map((p) => p.panelId)).toEqual([p3, p2, p1]);
      expect((await panels.listPanels({ userId: 'alice' })).map((p) => p.panelId)).toEqual([p2, p1]);
      expect((await panels.listPanels({ type: 'multi_persona' })).map((p) => p.panelId)).toEqual([p3, p1]);
      expect((await panels.listPanels({ limit: 1, offset: 1 })).map((p) => p.panelId)).toEqual([p2]);
      const err = await errorOf(() => panels.createPanel('multi_persona', ['a', 'b'], { userId: 'alice' }));
      expect(err.issues?.[0]).toMatchObject({ path: 'panel.maxPanelsPerUser', limit: 2 });
      expect(code(await errorOf(() => panels.listPanels({ bogus: 1 } as never)))).toBe('FF_VALIDATION');
    });

    it('links a panel to a user panel session', async () => {
      const { panels } = services();
      const panelId = await panels.createPanel('multi_persona', ['a', 'b'], {
        userId: 'alice',
        sessionId: 'panel_session_20250501_000000_000001',
      });
      expect(await panels.getPanel(panelId)).toMatchObject({
        userId: 'alice',
        sessionId: 'panel_session_20250501_000000_000001',
      });
      const other = await panels.createPanel('multi_persona', ['a', 'b']);
      expect(await panels.linkSession(other, 'alice', 'panel_session_20250501_000000_000002')).toBe(true);
      expect(
        (await panels.findPanelsForSession('alice', 'panel_session_20250501_000000_000002')).map(
          (p) => p.panelId,
        ),
      ).toEqual([other]);
      expect(code(await errorOf(() => panels.linkSession(other, 'bob', 'panel_session_x')))).toBe(
        'FF_VALIDATION',
      );
      expect(await panels.linkSession('panel_20990101_000000_000000', 'alice', 's')).toBe(false);
      expect(await panels.unlinkSession(other)).toBe(true);
      expect(await panels.findPanelsForSession('alice', 'panel_session_20250501_000000_000002')).toEqual([]);
      expect((await panels.getPanel(other))?.userId).toBe('alice');
      expect((await panels.getPanel(other))?.sessionId).toBeUndefined();
      expect(await panels.unlinkSession('panel_20990101_000000_000000')).toBe(false);
      expect(
        code(await errorOf(() => panels.createPanel('multi_persona', ['a', 'b'], { sessionId: 's1' }))),
      ).toBe('FF_VALIDATION');
    });

    it('keeps panels, messages, threads and insights across a restart', async () => {
      const first = services({ maxThreadDepth: 3 });
      const panelId = await first.panels.createPanel('multi_persona', ['analyst', 'creative'], {
        userId: 'alice',
      });
      const root = (await first.panels.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'before restart',
      })) as StoredPanelMessage;
      const reply = (await first.panels.addPanelMessage(panelId, {
        personaId: 'creative',
        content: 'reply',
        responseTo: root.messageId,
      })) as StoredPanelMessage;
      const insightId = await first.panels.savePanelInsight(panelId, { content: 'insight before restart' });
      storage = await env.reopen();
      const second = services({ maxThreadDepth: 3 });
      expect(await second.panels.getPanel(panelId)).toMatchObject({
        panelId,
        messageCount: 2,
        userId: 'alice',
      });
      const deeper = (await second.panels.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'after restart',
        responseTo: reply.messageId,
      })) as StoredPanelMessage;
      expect(deeper).toMatchObject({ seq: 2, threadDepth: 2 });
      expect((await second.panels.getPanelMessages(panelId)).map((m) => m.content)).toEqual([
        'before restart',
        'reply',
        'after restart',
      ]);
      expect((await second.panels.getPanelInsights(panelId)).map((i) => i.insightId)).toEqual([insightId]);
      expect((await second.panels.listPanels()).map((p) => p.panelId)).toEqual([panelId]);
    });

    it('sees messages appended by another service instance (shared store)', async () => {
      const a = services();
      const b = services();
      const panelId = await a.panels.createPanel('multi_persona', ['analyst', 'creative']);
      const m = (await a.panels.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'from a',
      })) as StoredPanelMessage;
      // b has never seen this panel: its thread cache must catch up from the log.
      expect(
        await b.panels.addPanelMessage(panelId, {
          personaId: 'creative',
          content: 'from b',
          responseTo: m.messageId,
        }),
      ).toMatchObject({ seq: 1, threadDepth: 1 });
      expect(
        await a.panels.addPanelMessage(panelId, { personaId: 'analyst', content: 'from a again' }),
      ).toMatchObject({ seq: 2 });
    });

    it('makes panel messages of a user searchable for that user only', async () => {
      const search = new MemorySearchIndex();
      const { panels } = services({}, search);
      const mine = await panels.createPanel('multi_persona', ['analyst', 'creative'], {
        userId: 'alice',
        sessionId: 'panel_session_20250501_000000_000001',
      });
      const bobs = await panels.createPanel('multi_persona', ['analyst', 'creative'], { userId: 'bob' });
      await panels.addPanelMessage(mine, { personaId: 'analyst', content: 'The tariff question needs data' });
      await panels.addPanelMessage(bobs, { personaId: 'creative', content: 'A tariff song, perhaps' });
      const hits = await search.search({ userId: 'alice', text: 'tariff' });
      expect(hits.map((h) => [h.type, h.sessionId, h.role, h.metadata?.panelId])).toEqual([
        ['panel_message', 'panel_session_20250501_000000_000001', 'analyst', mine],
      ]);
      expect(
        (await search.search({ userId: 'bob', text: 'tariff' })).map((h) => h.metadata?.panelId),
      ).toEqual([bobs]);
      expect(await search.search({ userId: 'carol', text: 'tariff' })).toEqual([]);
      await search.clear();
      expect(await panels.reindexPanel(mine)).toBe(1);
      expect(await search.search({ userId: 'alice', text: 'tariff' })).toHaveLength(1);
      expect(await panels.deletePanel(mine)).toBe(true);
      expect(await search.search({ userId: 'alice', text: 'tariff' })).toEqual([]);
      expect(await panels.getPanel(mine)).toBeNull();
    });
  });
}

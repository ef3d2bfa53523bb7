/**
 * Panels through the manager with the real personas and search packages: a panel linked to a user's
 * `panel` session shows its messages in both views, and panel messages stay out of advancedSearch unless
 * asked for (`includePanelMessages`, an extension of API.md's four result types) or searched directly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fsBackend, removeDir, type TestStore, tempDir } from './helpers.js';

describe('panels linked to sessions, and panel messages in search', () => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('a linked panel session shows the panel messages through getMessages and getPanelMessages', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const m = store.manager;
    const sessionId = await m.createSession('alice', 'Design review', { sessionType: 'panel' });
    expect(sessionId.startsWith('panel_session_')).toBe(true);
    const panelId = await m.createPanel('multi_persona', ['analyst', 'creative'], {
      userId: 'alice',
      sessionId,
    });
    expect(await m.getPanel(panelId)).toMatchObject({ panelId, userId: 'alice', sessionId });
    // A link at creation names one of the user's sessions, as linkPanelSession requires: an unknown one,
    // or another user's, is refused and no panel is written.
    const before = (await m.listPanels()).length;
    for (const link of [
      { userId: 'alice', sessionId: 'panel_session_20200101_000000_000000' },
      { userId: 'bob', sessionId },
    ]) {
      await expect(m.createPanel('multi_persona', ['analyst', 'creative'], link)).rejects.toMatchObject({
        code: 'FF_VALIDATION',
        issues: [{ path: 'config.sessionId' }],
      });
    }
    expect(await m.listPanels()).toHaveLength(before);
    // The snapshots createPanel took of its personas are readable through the manager.
    expect((await m.getPanelPersonas(panelId)).map((p) => p.personaId ?? p.persona_id).sort()).toEqual([
      'analyst',
      'creative',
    ]);
    expect(await m.getPanelPersonas('panel_20200101_000000_000000')).toEqual([]);
    // As the reference: true once stored. A reply names its parent by the id it was given.
    expect(
      await m.addPanelMessage(panelId, {
        messageId: 'msg_00000000000a',
        personaId: 'analyst',
        content: 'The numbers look fine',
      }),
    ).toBe(true);
    expect((await m.getPanelMessages(panelId))[0]).toMatchObject({
      messageId: 'msg_00000000000a',
      personaId: 'analyst',
      seq: 0,
    });
    expect(
      await m.addPanelMessage(panelId, {
        persona_id: 'creative', // the reference's spelling is taken too
        content: 'What if we paint it purple',
        response_to: 'msg_00000000000a',
      }),
    ).toBe(true);
    expect((await m.getPanelMessages(panelId))[1]).toMatchObject({
      personaId: 'creative',
      responseTo: 'msg_00000000000a',
    });

    const panelView = await m.getPanelMessages(panelId);
    expect(panelView.map((x) => [x.personaId, x.content])).toEqual([
      ['analyst', 'The numbers look fine'],
      ['creative', 'What if we paint it purple'],
    ]);
    const sessionView = await m.getMessages('alice', sessionId);
    expect(sessionView.map((x) => [x.role, x.content])).toEqual([
      ['analyst', 'The numbers look fine'],
      ['creative', 'What if we paint it purple'],
    ]);
    expect(sessionView[0]?.metadata).toMatchObject({
      panelId,
      panelMessageId: panelView[0]?.messageId,
      personaId: 'analyst',
    });
    expect(sessionView[0]?.timestamp).toBe(panelView[0]?.timestamp);
    expect((await m.getSession('alice', sessionId))?.messageCount).toBe(2);
    expect((await m.listSessions('alice'))[0]).toMatchObject({ sessionId, messageCount: 2 });

    // Linking after creation works the same; an unknown session is refused.
    const later = await m.createSession('alice', 'Second panel', { sessionType: 'panel' });
    const other = await m.createPanel('brainstorm', ['analyst', 'pragmatist'], { userId: 'alice' });
    await m.addPanelMessage(other, { personaId: 'analyst', content: 'before the link' });
    expect(await m.linkPanelSession(other, 'alice', 'panel_session_20200101_000000_000000')).toBe(false);
    expect(await m.linkPanelSession(other, 'alice', later)).toBe(true);
    await m.addPanelMessage(other, { personaId: 'pragmatist', content: 'after the link' });
    expect((await m.getMessages('alice', later)).map((x) => x.content)).toEqual(['after the link']);
    await expect(m.linkPanelSession(other, 'alice', '../x')).rejects.toMatchObject({
      name: 'FFValidationError',
    });
  });

  it('panel messages: not in advancedSearch by default, included on request, and searchable directly', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const m = store.manager;
    const chat = await m.createSession('bob', 'chat');
    await m.addMessage('bob', chat, { role: 'user', content: 'the walrus report is late' });
    const panelId = await m.createPanel('multi_persona', ['analyst', 'creative'], { userId: 'bob' });
    await m.addPanelMessage(panelId, { personaId: 'analyst', content: 'walrus population is stable' });
    await m.addPanelMessage(panelId, { personaId: 'creative', content: 'a poem about penguins' });

    const plain = await m.advancedSearch({ query: 'walrus', userId: 'bob' });
    expect(plain.map((r) => r.type)).toEqual(['message']);
    expect(plain.every((r) => ['message', 'document', 'context', 'vector_chunk'].includes(r.type))).toBe(
      true,
    );
    expect(
      (await m.searchByTimeRange('2000-01-01', '2100-01-01', { userId: 'bob' })).map((r) => r.type),
    ).toEqual(['message']);

    const withPanels = await m.advancedSearch({ query: 'walrus', userId: 'bob', includePanelMessages: true });
    expect(withPanels.map((r) => r.type).sort()).toEqual(['message', 'panel_message']);
    const panelHit = withPanels.find((r) => r.type === 'panel_message');
    expect(panelHit).toMatchObject({
      userId: 'bob',
      sessionId: panelId,
      content: 'walrus population is stable',
    });
    for (let i = 1; i < withPanels.length; i++)
      expect(withPanels[i - 1]!.relevanceScore).toBeGreaterThanOrEqual(withPanels[i]!.relevanceScore);
    // Filters apply to panel messages too: persona ids as roles, panel ids as session ids, dates.
    expect(
      await m.advancedSearch({
        query: 'walrus',
        userId: 'bob',
        includePanelMessages: true,
        messageRoles: ['creative'],
      }),
    ).toEqual([]);
    expect(
      (
        await m.advancedSearch({
          query: 'walrus',
          userId: 'bob',
          includePanelMessages: true,
          sessionIds: [panelId],
        })
      ).map((r) => r.type),
    ).toEqual(['panel_message']);
    expect(
      await m.advancedSearch({
        query: 'walrus',
        userId: 'bob',
        includePanelMessages: true,
        endDate: '2001-01-01',
      }),
    ).toEqual([]);
    await expect(
      m.advancedSearch({ query: 'walrus', includePanelMessages: 'yes' as never }),
    ).rejects.toMatchObject({ name: 'FFValidationError' });

    const direct = await m.searchPanelMessages('bob', 'penguins');
    expect(direct.map((r) => [r.type, r.content])).toEqual([['panel_message', 'a poem about penguins']]);
    expect(
      await m.searchPanelMessages('bob', 'penguins', { panelIds: ['panel_20200101_000000_000000'] }),
    ).toEqual([]);
    expect(await m.searchPanelMessages('carol', 'penguins')).toEqual([]);
    await expect(m.searchPanelMessages('../bob', 'x')).rejects.toMatchObject({ name: 'FFValidationError' });
    await expect(m.searchPanelMessages('bob', 'x', { limit: 'ten' as never })).rejects.toMatchObject({
      name: 'FFValidationError',
    });
  });

  it('exportData / importData carry personas and panels, a linked panel session included', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const m = store.manager;
    expect(await m.savePersona('skeptic', { name: 'Skeptic', traits: ['doubting'] })).toBe(true);
    // A stored global persona with a built-in's id replaces the built-in; the bundle must carry it over.
    expect(await m.savePersona('creative', { name: 'House Creative' })).toBe(true);
    expect(await m.savePersona('coach', { name: 'Coach', description: 'alice only' }, 'alice')).toBe(true);
    const sessionId = await m.createSession('alice', 'Review', { sessionType: 'panel' });
    const panelId = await m.createPanel('multi_persona', ['analyst', 'skeptic'], {
      userId: 'alice',
      sessionId,
    });
    await m.addPanelMessage(panelId, { personaId: 'analyst', content: 'Costs are flat' });
    const first = (await m.getPanelMessages(panelId))[0] as { messageId: string };
    await m.addPanelMessage(panelId, {
      personaId: 'skeptic',
      content: 'Flat against what baseline',
      responseTo: first.messageId,
      consensusLevel: 0.4,
    });
    const insightId = 'insight_0123456789ab';
    expect(
      await m.savePanelInsight(panelId, {
        insightId,
        type: 'summary',
        content: 'Baseline unclear',
        consensusLevel: 0.5,
        createdBy: 'analyst',
      }),
    ).toBe(true);
    expect(await m.savePanelInsight('panel_20200101_000000_000000', { type: 'summary', content: 'x' })).toBe(
      false,
    );
    const bundle = tempDir();
    const exported = await m.exportData(bundle);
    expect(exported).toMatchObject({ panels: 1, panelMessages: 2, panelInsights: 1 });

    const target = await fsBackend.create({}, { features: { vectors: false } });
    try {
      const t = target.manager;
      const imported = await t.importData(bundle);
      expect(imported).toMatchObject({
        sessions: 1,
        messages: 2,
        panels: 1,
        panelMessages: 2,
        panelInsights: 1,
      });
      expect(await t.getPersona('skeptic')).toMatchObject({ name: 'Skeptic', isGlobal: true });
      expect(await t.getPersona('creative')).toMatchObject({ name: 'House Creative', isGlobal: true });
      expect(await t.getPersona('coach', 'alice')).toMatchObject({
        description: 'alice only',
        ownerId: 'alice',
      });
      expect(await t.getPersona('coach')).toBeNull();
      expect(await t.getPanel(panelId)).toMatchObject({
        panelId,
        userId: 'alice',
        sessionId,
        messageCount: 2,
      });
      // Restoring the session link keeps the panel's times as they were.
      expect(await t.getPanel(panelId)).toEqual(await m.getPanel(panelId));
      const original = await m.getPanelMessages(panelId);
      const copy = await t.getPanelMessages(panelId);
      const shape = (x: (typeof original)[number]) => [
        x.messageId,
        x.personaId,
        x.content,
        x.timestamp,
        x.responseTo,
      ];
      expect(copy.map(shape)).toEqual(original.map(shape));
      expect((await t.getPanelInsights(panelId)).map((i) => i.insightId)).toEqual([insightId]);
      // The session holds the mirrored panel messages once, as in the source store.
      expect((await t.getMessages('alice', sessionId)).map((x) => x.content)).toEqual(
        (await m.getMessages('alice', sessionId)).map((x) => x.content),
      );
      // Linked again: a new panel message still reaches the session.
      await t.addPanelMessage(panelId, { personaId: 'analyst', content: 'Against last quarter' });
      expect(await t.countMessages('alice', sessionId)).toBe(3);
      // Importing twice adds nothing.
      const again = await t.importData(bundle);
      expect(again).toMatchObject({ personas: 0, panels: 0, panelMessages: 0 });
      expect((await t.getPanelMessages(panelId)).length).toBe(3);
    } finally {
      await target.cleanup();
      removeDir(bundle);
    }
  });
});

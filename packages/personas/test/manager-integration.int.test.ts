/**
 * The personas feature behind FFStorageManager, on a real temp directory. The manager is imported from
 * its sources by path (not as a dependency) so the package graph stays acyclic: the manager depends on
 * @ffdb/personas, not the other way round.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FFStorageManager } from '../../manager/src/index.js';

describe('personas behind FFStorageManager (storage-fs)', () => {
  let dir: string;
  const managers: FFStorageManager[] = [];
  const open = async (panel: Record<string, unknown> = {}) => {
    const m = new FFStorageManager({
      storage: { basePath: dir, durability: 'none', backupBeforeDelete: false },
      panel,
    } as never);
    managers.push(m);
    expect(await m.initialize()).toBe(true);
    return m;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-personas-mgr-'));
  });
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exposes personas and panels through the API.md methods, durable across a restart', async () => {
    const m = await open();
    expect(await m.listPersonas()).toEqual([]);
    expect((await m.getPersona('analyst'))?.name).toBe('Analytical Thinker');
    expect(await m.savePersona('critic', { name: 'Critic' })).toBe(true);
    expect(await m.createPersona({ personaId: 'critic', name: 'Again' })).toBe(false);
    expect(await m.savePersona('analyst', { name: 'Alice Analyst' }, 'alice')).toBe(true);
    expect((await m.getPersona('analyst', 'alice'))?.name).toBe('Alice Analyst');
    const panelId = await m.createPanel('expert_panel', ['analyst', 'critic'], { userId: 'alice' });
    expect(panelId).toMatch(/^panel_\d{8}_\d{6}_\d{6}$/);
    expect(
      await m.addPanelMessage(panelId, {
        personaId: 'analyst',
        content: 'Margins are thin',
        consensusLevel: 0.4,
      }),
    ).toBe(true);
    const first = (await m.getPanelMessages(panelId))[0] as { messageId: string };
    await m.addPanelMessage(panelId, {
      personaId: 'critic',
      content: 'Prove it',
      responseTo: first.messageId,
      consensusLevel: 0.8,
    });
    expect(await m.savePanelInsight(panelId, { type: 'summary', content: 'Disagreement on margins' })).toBe(true);
    expect(await m.getPanelStats(panelId)).toMatchObject({
      panelId,
      messageCount: 2,
      messagesByPersona: { analyst: 1, critic: 1 },
      insightCount: 1,
      activeThreads: 1,
    });
    expect((await m.getPanelStats(panelId))?.averageConsensus).toBeCloseTo(0.6);
    await expect(m.createPanel('expert_panel', ['analyst'])).rejects.toMatchObject({ code: 'FF_VALIDATION' });
    expect(await m.deletePersona('nobody')).toBe(false);

    const again = await open();
    expect(await again.getPanel(panelId)).toMatchObject({ panelId, messageCount: 2, userId: 'alice' });
    expect((await again.getPanelMessages(panelId, { personaId: 'critic' })).map((x) => x.content)).toEqual([
      'Prove it',
    ]);
    expect((await again.getPanelInsights(panelId)).map((i) => i.content)).toEqual([
      'Disagreement on margins',
    ]);
    expect((await again.listPanels()).map((p) => p.panelId)).toEqual([panelId]);
    expect((await again.getPersona('critic'))?.name).toBe('Critic');
  });

  it('makes panel messages of a user searchable for that user', async () => {
    const m = await open();
    if (m.getFeatureStatus().search !== 'loaded') {
      // Without @ffdb/search-fts there is no index to search: the feature must still store messages.
      expect(m.getFeatureStatus().personas).toBe('loaded');
      return;
    }
    const panelId = await m.createPanel('multi_persona', ['analyst', 'creative'], { userId: 'alice' });
    await m.addPanelMessage(panelId, {
      personaId: 'creative',
      content: 'What about a zeppelin delivery service',
    });
    // advancedSearch returns session items only; panel messages are searched through the search
    // feature's searchPanelMessages (reached here through the manager's feature map).
    const search = (m as unknown as { features: Map<string, unknown> }).features.get('search') as {
      searchPanelMessages(
        userId: string,
        q: string,
      ): Promise<{ content: string; type: string; sessionId: string }[]>;
    };
    const hits = await search.searchPanelMessages('alice', 'zeppelin');
    expect(hits.map((h) => [h.type, h.sessionId, h.content])).toEqual([
      ['panel_message', panelId, 'What about a zeppelin delivery service'],
    ]);
    expect(await search.searchPanelMessages('bob', 'zeppelin')).toEqual([]);
  });
});

/**
 * verify() notices an index whose positions claim messages its segments do not hold, and repairs it.
 * The state is the one a chaos probe left (several processes, SIGKILLed at random, overwrote each
 * other's manifests: positions ahead of the segments named): made here by dropping the segments from
 * the manifest on disk, positions kept. Only a rebuild used to bring the messages back. Real files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager, type ManagerOptions } from '../src/index.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const SEARCH_ONLY: ManagerOptions = { features: { search: true, vectors: false, personas: false } };

function findFile(root: string, name: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) out.push(...findFile(p, name));
    else if (e.name === name) out.push(p);
  }
  return out;
}

describe('search verify: positions that claim more than the index holds', () => {
  const managers: FFStorageManager[] = [];
  let dir = '';
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close();
    if (dir) removeDir(dir);
  });

  async function open(worker: boolean): Promise<FFStorageManager> {
    const m = new FFStorageManager(testConfig(dir), { ...SEARCH_ONLY, searchWorker: worker });
    managers.push(m);
    expect(await m.initialize()).toBe(true);
    return m;
  }

  it.each([true, false])('are reported and repaired by verify (searchWorker %s)', async (worker) => {
    dir = tempDir();
    const first = await open(worker);
    await first.createUser('alice');
    const sid = await first.createSession('alice', 'notes');
    for (let i = 0; i < 12; i++) {
      await first.addMessage('alice', sid, { role: 'user', content: `kayak${i} trip planning` });
    }
    expect(await first.searchMessages('alice', 'kayak3')).toHaveLength(1);
    await first.close();
    managers.splice(0);

    // The damage: the manifest keeps its positions but names none of its segments.
    const manifests = findFile(dir, 'manifest.json').filter((p) => p.includes(`${path.sep}alice${path.sep}`));
    const manifestPath = manifests.find((p) => p.includes('search')) as string;
    expect(manifestPath).toBeTruthy();
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    expect(Object.values(manifest.positions)).toContain(12);
    manifest.segments = [];
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));

    const m = await open(worker);
    expect(await m.searchMessages('alice', 'kayak3')).toHaveLength(0); // catch-up trusts the positions
    const found = await m.verify();
    const issues = found.issues.filter((i) => i.code === 'search.behind');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain('lacks 12 of the 12 messages');
    expect(issues[0]?.repaired).toBe(false);

    const repaired = await m.verify({ repair: true });
    expect(repaired.issues.filter((i) => i.code === 'search.behind' && i.repaired)).toHaveLength(1);
    for (let i = 0; i < 12; i++) expect(await m.searchMessages('alice', `kayak${i}`)).toHaveLength(1);
    expect((await m.verify()).issues).toEqual([]);
  });
});

/**
 * Installing selected packages: @ffdb/manager must work with only core-types, storage-fs and compression
 * installed. Builds the packages, packs them (pnpm pack rewrites workspace:^ ranges), installs the tarballs
 * with npm into a fresh project outside the workspace, and runs the README quick start there — plus a call
 * of an optional feature, which must throw FF_PACKAGE_MISSING naming the package to install.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const SUBSET = ['core-types', 'compression', 'storage-fs', 'manager'];

function quickStart(): string {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  if (!block) throw new Error('README has no ts quick start');
  return block;
}

it('works with only core-types, storage-fs and compression installed (packed tarballs, fresh project)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-install-'));
  try {
    execFileSync(
      process.execPath,
      [path.join(repo, 'node_modules/typescript/bin/tsc'), '-b', ...SUBSET.map((p) => `packages/${p}`)],
      {
        cwd: repo,
        stdio: 'pipe',
      },
    );
    const packs = path.join(work, 'packs');
    fs.mkdirSync(packs);
    for (const p of SUBSET) {
      execFileSync('pnpm', ['pack', '--pack-destination', packs], {
        cwd: path.join(repo, 'packages', p),
        stdio: 'pipe',
      });
    }
    const tarballs = fs.readdirSync(packs).map((f) => path.join(packs, f));
    expect(tarballs).toHaveLength(SUBSET.length);
    // workspace:^ must have been rewritten to real ranges.
    const manifest = execFileSync('tar', [
      '-xOzf',
      tarballs.find((t) => t.includes('manager'))!,
      'package/package.json',
    ]).toString();
    expect(manifest).not.toContain('workspace:');

    const project = path.join(work, 'app');
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'ffdb-quickstart', private: true, type: 'module' }),
    );
    execFileSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
        ...tarballs,
      ],
      {
        cwd: project,
        stdio: 'pipe',
        env: { ...process.env, npm_config_workspaces: 'false' },
      },
    );
    const installed = fs.readdirSync(path.join(project, 'node_modules/@ffdb')).sort();
    expect(installed).toEqual([...SUBSET].sort());

    // The README quick start is plain JavaScript apart from the fences: run it as a module.
    const script = `${quickStart()}
const again = new FFStorageManager(loadConfig());
try {
  await again.searchMessages('alice', 'hello');
  console.log('NO ERROR');
} catch (error) {
  console.log('FEATURE', error.code, error.message);
} finally {
  await again.close();
}
// A caller's own SearchIndex runs search without @ffdb/search-fts (which only supplies the default).
const items = new Map();
const ownIndex = {
  id: 'own', capabilities: { persistent: false, incremental: true, fuzzy: false, prefix: false },
  async open() {}, async close() {}, async flush() {}, async positions() { return {}; },
  async add(docs) { for (const d of docs) items.set(d.userId + '/' + d.id, d); },
  async remove(u, ids) { for (const id of ids) items.delete(u + '/' + id); },
  async removeSession(u, s) { for (const [k, d] of items) if (d.userId === u && d.sessionId === s) items.delete(k); },
  async removeUser(u) { for (const [k, d] of items) if (d.userId === u) items.delete(k); },
  async clear() { items.clear(); },
  async stats() { return { users: 0, documents: items.size, segments: 0, bytesOnDisk: 0 }; },
  async search(q) {
    const word = q.text.toLowerCase();
    return [...items.values()]
      .filter((d) => d.userId === q.userId && d.content.toLowerCase().includes(word))
      .map((d) => ({ ...d, score: 1, highlights: [], snippet: d.content }));
  },
};
const { TOKENS } = await import('@ffdb/manager');
const own = await FFStorageManager.open({ config: loadConfig(), overrides: { [TOKENS.SearchIndex]: ownIndex } });
try {
  const sid = await own.createSession('bob');
  await own.addMessage('bob', sid, { role: 'user', content: 'Lemons are sour' });
  console.log('OWN INDEX', (await own.searchMessages('bob', 'lemons')).map((m) => m.content).join());
} catch (error) {
  console.log('OWN INDEX FAILED', error.code, error.message);
} finally {
  await own.close();
}
`;
    fs.writeFileSync(path.join(project, 'quickstart.mjs'), script);
    // A clean environment: no CHATDB_* settings of the caller leak into the quick start.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHATDB_')));
    const out = execFileSync(process.execPath, ['quickstart.mjs'], { cwd: project, env }).toString();
    expect(out).toContain('Retrieved 1 messages: Hello, world!');
    expect(out).toMatch(/FEATURE FF_PACKAGE_MISSING .*npm install @ffdb\/search-fts/);
    expect(out).toContain('OWN INDEX Lemons are sour');
    expect(fs.existsSync(path.join(project, 'data', 'users', 'alice', 'profile.json'))).toBe(true);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 170_000);

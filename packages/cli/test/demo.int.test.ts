/** `ffdb demo` end to end on a fresh directory, twice (idempotent), as `npm run demo` runs it. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ffdb, parse, tempDir } from './helpers.js';

const tmp = tempDir('demo');
afterAll(() => tmp.cleanup());

describe('ffdb demo', () => {
  it('creates ./data, seeds the sample and shows session, searches and stats', async () => {
    const r = await ffdb(['demo'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(tmp.dir, 'data', 'ffdb.json'))).toBe(true);
    expect(r.stderr).toMatch(/Seeded 360 messages in 9 sessions, 2 documents/);
    const out = r.stdout;
    expect(out).toContain('1. A session: Atlanta election news');
    expect(out).toContain('The Fulton County Grand Jury said Friday');
    expect(out).toMatch(/2\. Full-text search[\s\S]*\*\*jury\*\*/i);
    expect(out).toContain('3. Semantic search');
    expect(out).toContain('4. Hybrid search');
    expect(out).not.toContain('not available');
    expect(out).toMatch(/messages\s+360/);
    // "Try next" repeats the way this CLI was started (here `node <path>/dist/bin.js`, run from another
    // directory), not a path that only works from the repository root.
    expect(out).toContain(`  node ${BIN} --data ./data search ada "moon" --mode hybrid`);
  });

  it('is idempotent: a second run adds nothing and prints one JSON document with --json', async () => {
    const r = await ffdb(['--json', 'demo'], { cwd: tmp.dir, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(r);
    expect(doc.seed).toMatchObject({
      sessionsCreated: 0,
      sessionsKept: 9,
      messagesAdded: 0,
      documentsAdded: 0,
    });
    expect(doc.stats.storage).toMatchObject({
      userCount: 3,
      sessionCount: 9,
      messageCount: 360,
      documentCount: 2,
    });
    expect(doc.session.messages).toHaveLength(6);
    expect(doc.fts.length).toBeGreaterThan(0);
    expect(doc.fts[0].highlights.length).toBeGreaterThan(0);
    expect(doc.semantic.length).toBeGreaterThan(0);
    expect(doc.hybrid[0].explain).toMatchObject({ fused: expect.any(Number) });
  });

  it('rejects a bad option', async () => {
    const r = await ffdb(['demo', '--fast'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
  });
});

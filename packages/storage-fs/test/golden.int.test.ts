import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FORMAT_VERSION, FsStorageBackend } from '../src/index.js';
import { tempDir } from './helpers/temp-store.js';

/**
 * Golden fixture of on-disk format version 1 (docs/format.md, "Golden fixture"): a store written by
 * this version and committed, so a later version must keep reading it. Regenerate only when the
 * format version changes: `FFDB_REGENERATE_GOLDEN=1 npx vitest run test/golden.int.test.ts`
 * (then add a new directory for the new version; never overwrite an old one).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(here, 'fixtures', `golden-v${FORMAT_VERSION}`);
const fixedClock = { now: () => new Date('2026-01-01T00:00:00.000Z') };
const options = { segmentMaxBytes: 4096, blockBytes: 1024, checkpointIdleMs: 0, clock: fixedClock };

const message = (i: number) => ({
  messageId: `msg_${i.toString(16).padStart(12, '0')}`,
  role: i % 2 ? 'assistant' : 'user',
  content: `golden message ${i} — ünïcödé ✓`,
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
});

async function buildGolden(dir: string): Promise<void> {
  const s = new FsStorageBackend({ basePath: dir, ...options });
  await s.open();
  await s.write(
    'users/alice/profile.json',
    new TextEncoder().encode('{"userId":"alice","username":"Alice"}\n'),
  );
  for (let i = 0; i < 40; i += 10)
    await s.append(
      'users/alice/sessions/s1/messages',
      Array.from({ length: 10 }, (_, j) => message(i + j)),
    );
  await s.checkpoint();
  // Left in the WAL only (the store is abandoned, not closed): recovery must replay them.
  await s.append(
    'users/alice/sessions/s1/messages',
    Array.from({ length: 5 }, (_, j) => message(40 + j)),
  );
  await s.append('panel_sessions/p1/log', [{ n: 1 }, { n: 2 }, { n: 3 }]);
  await new Promise((r) => setTimeout(r, 20)); // the writer lock's linger ends
  for (const n of fs.readdirSync(path.join(dir, '.ffdb/locks'))) fs.rmSync(path.join(dir, '.ffdb/locks', n));
  // Keep the fixture small: drop the pre-allocated zero tail of the WAL (a short WAL file is valid).
  const walDir = path.join(dir, '.ffdb/wal');
  for (const n of fs.readdirSync(walDir)) {
    const file = path.join(walDir, n);
    const buf = fs.readFileSync(file);
    let end = buf.length;
    while (end > 0 && buf[end - 1] === 0) end--;
    fs.truncateSync(file, end);
  }
}

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe(`golden fixture, format version ${FORMAT_VERSION}`, () => {
  if (process.env.FFDB_REGENERATE_GOLDEN === '1') {
    it('regenerates the fixture', async () => {
      fs.rmSync(FIXTURE, { recursive: true, force: true });
      fs.mkdirSync(FIXTURE, { recursive: true });
      await buildGolden(FIXTURE);
    });
  }

  it('has the documented layout', () => {
    expect(files(FIXTURE)).toEqual([
      '.ffdb/wal/0000000000000002.wal',
      'ffdb.json',
      'users/alice/profile.json',
      'users/alice/sessions/s1/messages.fflog/0000000000000000-0000000000000023.r0.sseg',
      'users/alice/sessions/s1/messages.fflog/0000000000000024.seg',
    ]);
    expect(JSON.parse(fs.readFileSync(path.join(FIXTURE, 'ffdb.json'), 'utf8'))).toEqual({
      formatVersion: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      engine: 'storage-fs',
    });
  });

  it('opens (from a copy), replays its WAL and reads every record', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    fs.cpSync(FIXTURE, t.dir, { recursive: true });
    fs.mkdirSync(path.join(t.dir, '.ffdb/locks'), { recursive: true });
    fs.mkdirSync(path.join(t.dir, '.ffdb/trash'), { recursive: true });
    const s = new FsStorageBackend({ basePath: t.dir, ...options });
    await s.open();
    try {
      expect(
        new TextDecoder().decode((await s.read('users/alice/profile.json')) ?? new Uint8Array()),
      ).toContain('Alice');
      expect(await s.countLog('users/alice/sessions/s1/messages')).toBe(45);
      expect((await s.readLog('users/alice/sessions/s1/messages')).map((e) => e.data)).toEqual(
        Array.from({ length: 45 }, (_, i) => message(i)),
      );
      expect(
        (await s.readLog('users/alice/sessions/s1/messages', { reverse: true, limit: 3 })).map((e) => e.seq),
      ).toEqual([44, 43, 42]);
      expect((await s.readLog('panel_sessions/p1/log')).map((e) => e.data)).toEqual([
        { n: 1 },
        { n: 2 },
        { n: 3 },
      ]);
      expect(await s.listLogs('')).toEqual(['panel_sessions/p1/log', 'users/alice/sessions/s1/messages']);
      expect((await s.verify()).issues).toEqual([]);
      expect(await s.append('users/alice/sessions/s1/messages', [message(45)])).toEqual({
        firstSeq: 45,
        count: 1,
      });
    } finally {
      await s.close();
    }
  });
});

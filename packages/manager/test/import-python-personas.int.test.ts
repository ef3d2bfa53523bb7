/**
 * importFromPython keeps a persona's own timestamps (restorePersona), on the CLI's fixture of the
 * original's layout (packages/cli/test/fixtures/python-store, read only).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FFValidationError } from '../src/index.js';
import { fsBackend, type TestStore } from './helpers.js';

const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../cli/test/fixtures/python-store',
);

describe('importFromPython personas', () => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('keeps the original createdAt and updatedAt (naive times converted to UTC)', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const m = store.manager;
    await m.importFromPython(FIXTURE, { timezone: 'Europe/Berlin' });
    // personas_global/technical_expert.json: created 2025-07-01T10:00, updated 2025-07-02T10:00 (Berlin, UTC+2).
    expect(await m.getPersona('technical_expert')).toMatchObject({
      createdAt: '2025-07-01T08:00:00.000Z',
      updatedAt: '2025-07-02T08:00:00.000Z',
    });
    // users/alice/personas/study_buddy.json: created = updated = 2025-08-01T08:00 (Berlin).
    expect(await m.getPersona('study_buddy', 'alice')).toMatchObject({
      createdAt: '2025-08-01T06:00:00.000Z',
      updatedAt: '2025-08-01T06:00:00.000Z',
      ownerId: 'alice',
      isGlobal: false,
    });
    // A later save is a change: updatedAt moves on, createdAt stays.
    await m.savePersona('technical_expert', { name: 'Technical Expert', description: 'edited' });
    const edited = await m.getPersona('technical_expert');
    expect(edited?.createdAt).toBe('2025-07-01T08:00:00.000Z');
    expect(edited && edited.updatedAt > '2025-07-02T08:00:00.000Z').toBe(true);
  });

  it('takes timeZone for timezone and refuses a misspelt option, writing nothing', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const m = store.manager;
    for (const opts of [
      { timzone: 'Europe/Berlin' },
      { timezone: 'Europe/Berlin', timeZone: 'Asia/Tokyo' },
    ]) {
      const err = await m.importFromPython(FIXTURE, opts as never).catch((e: unknown) => e);
      expect(FFValidationError.isInstance(err)).toBe(true);
      expect((err as FFValidationError).issues[0]?.path).toMatch(/^opts\.(timzone|timeZone)$/);
    }
    const notObject = await m.importFromPython(FIXTURE, 'Europe/Berlin' as never).catch((e: unknown) => e);
    expect((notObject as FFValidationError).issues?.[0]?.path).toBe('opts');
    expect(await m.listUsers()).toEqual([]);
    await m.importFromPython(FIXTURE, { timeZone: 'Europe/Berlin' });
    expect((await m.getPersona('technical_expert'))?.createdAt).toBe('2025-07-01T08:00:00.000Z');
  });

  it('skips a user whose id ffdb refuses (one ending in .fflog) and imports the rest', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-pyfflog-'));
    try {
      fs.cpSync(FIXTURE, copy, { recursive: true });
      fs.renameSync(path.join(copy, 'users', 'bob'), path.join(copy, 'users', 'notes.fflog'));
      const report = await store.manager.importFromPython(copy, { timezone: 'UTC' });
      expect(report.skipped.map((x) => x.path)).toContain('users/notes.fflog');
      expect(await store.manager.listUsers()).toEqual(['alice', 'carol']);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

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

/** Writes `text` at `rel` under `dir`, making its directories (a data directory of the original, by hand). */
function writer(dir: string): (rel: string, text: string | Buffer) => void {
  return (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
}

/** panel.json of a multi_persona panel of analyst and creative, as the original wrote it. */
function pythonPanel(id: string): string {
  return JSON.stringify({
    id,
    type: 'multi_persona',
    personas: ['analyst', 'creative'],
    config: {},
    metadata: {},
    created_at: '2025-08-01T10:00:00',
    updated_at: '2025-08-01T10:00:00',
  });
}

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

  it('keeps what the original allowed: a persona replacing a built-in, a reply chain past maxThreadDepth', async () => {
    // A data directory in the original's layout, written here: personas_global/analyst.json replaces the
    // built-in analyst; a panel whose replies chain 12 deep (panel.maxThreadDepth is 10) and one whose
    // reply names a message that is not there. The original enforced neither.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-python-panels-'));
    try {
      const write = writer(dir);
      write(
        'personas_global/analyst.json',
        JSON.stringify({
          id: 'analyst',
          name: 'Data Analyst Dana',
          description: 'the original one',
          is_global: true,
          created_at: '2025-07-01T08:00:00',
          updated_at: '2025-07-01T08:00:00',
        }),
      );
      const line = (i: number, responseTo: string | null) =>
        JSON.stringify({
          role: i % 2 ? 'creative' : 'analyst',
          content: `turn ${i}`,
          message_id: `msg_pp00000000${String(i).padStart(2, '0')}`,
          timestamp: `2025-08-01T10:${String(i).padStart(2, '0')}:00`,
          attachments: [],
          metadata: {},
          persona_id: i % 2 ? 'creative' : 'analyst',
          response_to: responseTo,
          consensus_level: null,
        });
      const deep = 'panel_20250801_100000_000001';
      write(`panel_sessions/${deep}/panel.json`, pythonPanel(deep));
      write(
        `panel_sessions/${deep}/messages.jsonl`,
        `${Array.from({ length: 12 }, (_, i) => line(i, i === 0 ? null : `msg_pp00000000${String(i - 1).padStart(2, '0')}`)).join('\n')}\n`,
      );
      const dangling = 'panel_20250802_100000_000001';
      write(`panel_sessions/${dangling}/panel.json`, pythonPanel(dangling));
      write(`panel_sessions/${dangling}/messages.jsonl`, `${line(0, 'msg_gone00000000')}\n`);

      store = await fsBackend.create({}, { features: { vectors: false } });
      const m = store.manager;
      const report = await m.importFromPython(dir, { timezone: 'UTC' });
      expect(report.imported).toMatchObject({ personas: 1, panels: 2, panelMessages: 13 });
      expect(report.skipped).toEqual([]);
      expect(await m.getPersona('analyst')).toMatchObject({
        name: 'Data Analyst Dana',
        description: 'the original one',
      });
      const chain = await m.getPanelMessages(deep);
      expect(chain).toHaveLength(12);
      expect(chain.at(-1)).toMatchObject({ responseTo: 'msg_pp0000000010', threadDepth: 11 });
      expect(await m.getPanelMessages(dangling)).toMatchObject([
        { responseTo: 'msg_gone00000000', threadDepth: 0 },
      ]);
      // The live limits still hold for new messages.
      await expect(
        m.addPanelMessage(deep, { personaId: 'analyst', content: 'deeper', responseTo: 'msg_pp0000000011' }),
      ).rejects.toSatisfy((e: unknown) => FFValidationError.isInstance(e));
      // Running it again adds nothing twice.
      const again = await m.importFromPython(dir, { timezone: 'UTC' });
      expect(again.imported).toMatchObject({ personas: 0, panels: 0, panelMessages: 0 });
      expect(again.existing).toMatchObject({ personas: 1, panels: 2, panelMessages: 13 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps lines and records the original wrote but a strict reader would drop', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-python-lenient-'));
    try {
      const write = writer(dir);
      const sid = 'chat_session_20250801_090000_000001';
      write(
        `users/amy/${sid}/session.json`,
        JSON.stringify({
          session_id: sid,
          user_id: 'amy',
          title: 'T',
          created_at: '2025-08-01T09:00:00',
          updated_at: '2025-08-01T09:00:00',
          metadata: {},
        }),
      );
      // Python's json.dumps writes NaN and Infinity; the line is kept, those values become null.
      write(
        `users/amy/${sid}/messages.jsonl`,
        '{"role": "assistant", "content": "scored NaN \\" Infinity", "message_id": "msg_000000000001", "timestamp": "2025-08-01T09:00:01", "attachments": [], "metadata": {"logprob": NaN, "max": Infinity, "min": -Infinity}}\n',
      );
      // A document id of 212 characters: over the 200 of a safe id, within one file name.
      const docId = `0123abcd_${'q'.repeat(200)}.md`;
      write(`users/amy/${sid}/documents/${docId}`, '# notes\n');
      write(
        `users/amy/${sid}/documents/metadata.json`,
        JSON.stringify({
          [docId]: {
            filename: docId,
            original_name: 'notes.md',
            mime_type: 'text/markdown',
            size: 8,
            uploaded_at: '2025-08-01T09:00:02',
            uploaded_by: 'amy',
            metadata: {},
            analysis: {},
          },
        }),
      );
      write(
        'personas_global/nameless.json',
        JSON.stringify({ id: 'nameless', description: 'no name given' }),
      );
      const pid = 'panel_20250801_100000_000001';
      write(`panel_sessions/${pid}/panel.json`, pythonPanel(pid));
      write(`panel_sessions/${pid}/messages.jsonl`, '');
      write(
        `panel_sessions/${pid}/insights/insight_aaaaaaaaaaaa.json`,
        JSON.stringify({
          id: 'insight_aaaaaaaaaaaa',
          panel_id: pid,
          type: 'risk',
          content: 'Costs may rise',
          consensus_level: 0.5,
          created_at: '2025-08-01T10:05:00',
          created_by: 'analyst',
          supporting_messages: [],
          metadata: { votes: 2 },
        }),
      );

      store = await fsBackend.create({}, { features: { vectors: false } });
      const m = store.manager;
      const report = await m.importFromPython(dir, { timezone: 'UTC' });
      expect(report.skipped).toEqual([]);
      expect(report.imported).toMatchObject({ messages: 1, documents: 1, personas: 1, panelInsights: 1 });
      expect(await m.getAllMessages('amy', sid)).toMatchObject([
        { content: 'scored NaN " Infinity', metadata: { logprob: null, max: null, min: null } },
      ]);
      expect(new TextDecoder().decode((await m.getDocument('amy', sid, docId)) ?? new Uint8Array())).toBe(
        '# notes\n',
      );
      expect(await m.getPersona('nameless')).toMatchObject({
        name: 'nameless',
        description: 'no name given',
      });
      expect(await m.getPanelInsights(pid)).toMatchObject([
        { insightId: 'insight_aaaaaaaaaaaa', type: 'analysis', metadata: { votes: 2, originalType: 'risk' } },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

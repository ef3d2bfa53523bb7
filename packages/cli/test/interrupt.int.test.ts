/**
 * Ctrl-C during long work: `ffdb import --from python` of a generated store is interrupted mid-way;
 * the command exits 130 with one line, the store verifies clean, and a re-run completes the import
 * without duplicating anything.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, ffdb, parse, tempDir } from './helpers.js';

const tmp = tempDir('interrupt');
afterAll(() => tmp.cleanup());

const USERS = 3;
/** user0 has many sessions: the interrupt arrives while they are being imported. */
const sessionsOf = (u: number) => (u === 0 ? 40 : 5);
const SESSIONS_TOTAL = 40 + 5 + 5;
const MESSAGES = 5;
const TOTAL = SESSIONS_TOTAL * MESSAGES;

/** A Python-layout store: USERS users, sessionsOf(u) sessions of MESSAGES lines each. */
function writeLargePythonStore(root: string): void {
  for (let u = 0; u < USERS; u++) {
    const userDir = path.join(root, 'users', `user${u}`);
    mkdirSync(userDir, { recursive: true });
    writeFileSync(
      path.join(userDir, 'profile.json'),
      JSON.stringify({ user_id: `user${u}`, username: `User ${u}` }),
    );
    for (let s = 0; s < sessionsOf(u); s++) {
      const sid = `chat_session_20250101_0000${String(s).padStart(2, '0')}_${String(u).padStart(6, '0')}`;
      const dir = path.join(userDir, sid);
      mkdirSync(dir);
      writeFileSync(
        path.join(dir, 'session.json'),
        JSON.stringify({ session_id: sid, user_id: `user${u}`, title: `S${s}` }),
      );
      const lines = [];
      for (let i = 0; i < MESSAGES; i++) {
        const id = `msg_${(u * 100000 + s * 100 + i).toString(16).padStart(12, '0')}`;
        lines.push(
          JSON.stringify({
            role: i % 2 ? 'assistant' : 'user',
            content: `message ${i} of ${sid}`,
            message_id: id,
            timestamp: '2025-01-01T10:00:00',
          }),
        );
      }
      writeFileSync(path.join(dir, 'messages.jsonl'), `${lines.join('\n')}\n`);
    }
  }
}

describe('Ctrl-C', () => {
  it('stops an import cleanly; the store verifies and a re-run completes it', async () => {
    const source = path.join(tmp.dir, 'python');
    const store = path.join(tmp.dir, 'store');
    writeLargePythonStore(source);
    const child = spawn(
      process.execPath,
      [BIN, '--data', store, 'import', '--from', 'python', source, '--timezone', 'UTC'],
      {
        env: cleanEnv(),
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    // Interrupt as soon as the first user has been written.
    const deadline = Date.now() + 30_000;
    while (!existsSync(path.join(store, 'users', 'user0')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    const code = await closed;
    expect(code, stderr).toBe(130);
    // A notice when Ctrl-C arrives, then the one error line.
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^Stopping/);
    expect(lines.slice(1)).toEqual(['ffdb: error: interrupted; the store was closed cleanly']);

    const verify = await ffdb(['--data', store, '--json', 'verify']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(parse(verify).ok).toBe(true);
    const partial = parse(await ffdb(['--data', store, '--json', 'stats'])).stats.messageCount;
    expect(partial).toBeLessThan(TOTAL);

    const rerun = await ffdb([
      '--data',
      store,
      '--json',
      'import',
      '--from',
      'python',
      source,
      '--timezone',
      'UTC',
    ]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = parse(rerun).report;
    expect(report.imported.messages + report.existing.messages).toBe(TOTAL);
    expect(parse(await ffdb(['--data', store, '--json', 'stats'])).stats).toMatchObject({
      userCount: USERS,
      sessionCount: SESSIONS_TOTAL,
      messageCount: TOTAL,
    });
  });
});

/** The reference chat driven through stdin/stdout, with the local responder and a local model endpoint. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FFStorageManager } from '@ffdb/manager';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ffdb-refchat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chat(args: string[], input: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHATDB_')));
    const child = spawn(process.execPath, [MAIN, '--data', dir, ...args], { env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function messagesOf(userId: string, sessionId: string) {
  const store = await FFStorageManager.open({ storage: { basePath: dir } });
  try {
    return await store.getAllMessages(userId, sessionId);
  } finally {
    await store.close();
  }
}

describe('reference chat', () => {
  it('stores every turn, answers locally from history, runs the commands', async () => {
    const r = await chat(
      ['--user', 'kim'],
      'Saturn has rings made of ice.\nTell me about the rings of Saturn\n/history 2\n/search rings\n/sessions\n/persona\n/nope\n/quit\nignored\n',
    );
    expect(r.code, r.stderr).toBe(0);
    const sessionId = /session (\S+),/.exec(r.stdout)![1]!;
    expect(r.stdout).toContain('replies by local');
    expect(r.stdout).toContain('assistant> Noted.');
    expect(r.stdout).toMatch(/assistant> Earlier, in \S+: "Saturn has rings made of ice\."/);
    expect(r.stdout).toMatch(/\[user\] Tell me about the rings of Saturn/);
    expect(r.stdout).toContain(`* ${sessionId}  4 messages`);
    expect(r.stdout).toContain('persona: none');
    expect(r.stdout).toContain('unknown command /nope');
    const stored = await messagesOf('kim', sessionId);
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(stored.some((m) => m.content === 'ignored')).toBe(false);
  });

  it('answers through an OpenAI-compatible endpoint', async () => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const last = JSON.parse(body).messages.at(-1).content;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'echo: ' } }] })}\n\n`);
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: last } }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const r = await chat(['--user', 'lee'], 'hi there\n', {
        CHATDB_LLM_BASE_URL: url,
        CHATDB_LLM_MODEL: 'm1',
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('assistant> echo: hi there');
      const sessionId = /session (\S+),/.exec(r.stdout)![1]!;
      expect((await messagesOf('lee', sessionId)).map((m) => m.content)).toEqual([
        'hi there',
        'echo: hi there',
      ]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

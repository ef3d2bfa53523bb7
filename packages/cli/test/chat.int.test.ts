/**
 * `ffdb chat` driven through stdin/stdout of the built binary: every turn stored, the slash commands,
 * the local responder, and the OpenAI-compatible path against a local HTTP server started here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, ffdb, parse, tempDir } from './helpers.js';

const tmp = tempDir('chat');
const store = path.join(tmp.dir, 'store');

beforeAll(async () => {
  expect((await ffdb(['--data', store, 'init'])).code).toBe(0);
});
afterAll(() => tmp.cleanup());

function sessionFrom(stdout: string): string {
  const m = /in (chat_session_\d{8}_\d{6}_\d{6})/.exec(stdout);
  if (!m) throw new Error(`no session in output:\n${stdout}`);
  return m[1]!;
}

describe('ffdb chat with the local responder', () => {
  it('stores every turn, answers from history, and runs the slash commands', async () => {
    const input = [
      'The telescope on Mauna Kea measured radio emission from Jupiter.',
      '/help',
      'What did the telescope measure?',
      '/history 2',
      '/search Jupiter',
      '/sessions',
      '/persona',
      '/persona nobody',
      '/history zero',
      '/bogus',
      '/quit',
      'never stored',
    ].join('\n');
    const r = await ffdb(['--data', store, 'chat', '--user', 'zoe'], { input: `${input}\n` });
    expect(r.code, r.stderr).toBe(0);
    const sessionId = sessionFrom(r.stdout);
    const out = r.stdout;
    expect(out).toContain('replies by local');
    expect(out).toContain('/search <query>');
    // The second question is answered from the first message (retrieval through full-text search).
    expect(out).toMatch(/assistant> From your session chat_session_\S+: ".*radio emission from Jupiter/);
    expect(out).toContain('**Jupiter**');
    expect(out).toMatch(/SESSION\s+TYPE\s+MESSAGES/);
    expect(out).toContain('Persona: (none)');
    expect(out).toContain('No persona nobody');
    expect(out).toContain('usage: /history [n]');
    expect(out).toContain('Unknown command /bogus');
    expect(out).toContain(`resume with: ffdb chat --user zoe --session ${sessionId}`);

    const messages = parse(await ffdb(['--data', store, '--json', 'msg', 'list', 'zoe', sessionId, '--all']));
    expect(messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(messages[0].content).toBe('The telescope on Mauna Kea measured radio emission from Jupiter.');
    expect(messages[1].content).toMatch(/^I have nothing earlier about that yet/);
    expect(messages[3].metadata).toMatchObject({ responder: 'local', streamStatus: 'complete' });
    expect(messages.some((m: { content: string }) => m.content === 'never stored')).toBe(false);

    // Resuming the session continues it.
    const again = await ffdb(['--data', store, 'chat', '--user', 'zoe', '--session', sessionId], {
      input: 'one more line\n',
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`in ${sessionId} (4 messages)`);
    const count = parse(await ffdb(['--data', store, '--json', 'session', 'show', 'zoe', sessionId])).session
      .messageCount;
    expect(count).toBe(6);
  });

  it('rejects a bad session, --json, and a missing store', async () => {
    const bad = await ffdb([
      '--data',
      store,
      'chat',
      '--user',
      'zoe',
      '--session',
      'chat_session_20000101_000000_000000',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not found/);
    const json = await ffdb(['--data', store, '--json', 'chat']);
    expect(json.code).toBe(2);
    // A directory that holds other files is never made a store (a missing or empty one would be).
    const occupied = path.join(tmp.dir, 'occupied');
    mkdirSync(occupied);
    writeFileSync(path.join(occupied, 'notes.txt'), 'mine');
    const missing = await ffdb(['--data', occupied, 'chat', '--user', 'zoe']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no ffdb store/);
  });
});

describe('ffdb chat with an OpenAI-compatible endpoint', () => {
  let server: Server;
  let url = '';
  const requests: { auth: string | undefined; body: any }[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const parsed = JSON.parse(body);
        requests.push({ auth: req.headers.authorization, body: parsed });
        if (req.url !== '/v1/chat/completions') {
          res.writeHead(404).end();
          return;
        }
        const last = parsed.messages.at(-1).content as string;
        if (last.includes('fail')) {
          res.writeHead(500).end('{}');
          return;
        }
        // Streams the reply as server-sent events, in three deltas.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of ['You said: ', last.toUpperCase(), '!']) {
          res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
        }
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers as a persona: its system prompt goes first, the reply is tagged with it', async () => {
    // The Python fixture brings the persona files (creative_writer has a system prompt).
    expect((await ffdb(['--data', store, 'import', '--from', 'python', FIXTURE])).code).toBe(0);
    const before = requests.length;
    const r = await ffdb(['--data', store, 'chat', '--user', 'alice', '--persona', 'creative_writer'], {
      input: 'write me a line\n/persona\n/persona technical_expert\nand now?\n',
      env: { CHATDB_LLM_BASE_URL: url, CHATDB_LLM_MODEL: 'tiny-model' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('persona creative_writer');
    expect(r.stdout).toContain('creative_writer> You said: WRITE ME A LINE!');
    // Stored personas, then the built-in ones.
    expect(r.stdout).toMatch(
      /Persona: creative_writer\nAvailable: .*technical_expert.*, analyst, creative, pragmatist\n/,
    );
    expect(r.stdout).toContain('technical_expert> You said: AND NOW?!');
    expect(requests[before]!.body.messages[0]).toEqual({
      role: 'system',
      content: 'You are a creative writer.',
    });
    expect(requests[before + 1]!.body.messages[0]).toEqual({
      role: 'system',
      content: 'You are Technical Expert. Deep technical answers',
    });
    const sessionId = sessionFrom(r.stdout);
    const messages = parse(
      await ffdb(['--data', store, '--json', 'msg', 'list', 'alice', sessionId, '--all']),
    );
    expect(messages[1].metadata).toMatchObject({ personaId: 'creative_writer', streamStatus: 'complete' });
    expect(messages[3].metadata).toMatchObject({ personaId: 'technical_expert' });
    const sessionsBefore = parse(await ffdb(['--data', store, '--json', 'session', 'list', 'alice'])).length;
    const unknown = await ffdb(['--data', store, 'chat', '--user', 'alice', '--persona', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/persona nobody not found/);
    // Refused before a session was created for it.
    expect(parse(await ffdb(['--data', store, '--json', 'session', 'list', 'alice'])).length).toBe(
      sessionsBefore,
    );
  });

  it('streams replies from the endpoint and stores them', async () => {
    const before = requests.length;
    const r = await ffdb(['--data', store, 'chat', '--user', 'yan'], {
      input: 'hello model\nplease fail now\n',
      env: { CHATDB_LLM_BASE_URL: url, CHATDB_LLM_API_KEY: 'sk-test', CHATDB_LLM_MODEL: 'tiny-model' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('replies by openai-compatible tiny-model');
    expect(r.stdout).toContain('assistant> You said: HELLO MODEL!');
    // The failed turn's error is a CLI error line on stderr; the chat went on and ended normally.
    expect(r.stderr).toMatch(/^ffdb: error: the responder failed: LLM endpoint answered HTTP 500/m);
    expect(r.stdout).not.toMatch(/responder failed/);
    expect(requests[before]).toMatchObject({
      auth: 'Bearer sk-test',
      body: { model: 'tiny-model', stream: true },
    });
    expect(requests[before]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'hello model' });
    // The second request carries the history of the session.
    expect(requests[before + 1]!.body.messages.map((x: { content: string }) => x.content)).toEqual([
      'hello model',
      'You said: HELLO MODEL!',
      'please fail now',
    ]);
    const sessionId = sessionFrom(r.stdout);
    const messages = parse(await ffdb(['--data', store, '--json', 'msg', 'list', 'yan', sessionId, '--all']));
    expect(messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'hello model'],
      ['assistant', 'You said: HELLO MODEL!'],
      ['user', 'please fail now'],
    ]);
  });
});

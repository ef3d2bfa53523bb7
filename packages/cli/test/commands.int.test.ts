/**
 * Every command of the built `ffdb` binary, run as a subprocess on one store: success, the --json
 * shape, a bad argument (exit 2, one error line) and a missing store (exit 1, one error line).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLine, ffdb, parse, tempDir } from './helpers.js';

const tmp = tempDir('commands');
const store = path.join(tmp.dir, 'store');
const missing = path.join(tmp.dir, 'no-store-here');
const run = (...args: string[]) => ffdb(['--data', store, ...args]);
const runJson = (...args: string[]) => ffdb(['--data', store, '--json', ...args]);
let sessionId = '';

beforeAll(async () => {
  const init = await runJson('init');
  expect(init.code, init.stderr).toBe(0);
  await run('user', 'add', 'alice', '--username', 'Alice');
  const s = await runJson('session', 'new', 'alice', '--title', 'Moon talk');
  sessionId = parse(s).sessionId;
  await run('msg', 'add', 'alice', sessionId, 'The radio emission of the moon is faint');
  await run('msg', 'add', 'alice', sessionId, 'Planets have thick atmospheres', '--role', 'assistant');
});
afterAll(() => tmp.cleanup());

async function expectMissingStore(...args: string[]) {
  const r = await ffdb(['--data', missing, ...args]);
  expect(r.code).toBe(1);
  expect(errorLine(r)).toMatch(/^ffdb: error: no ffdb store at .*no-store-here/);
  expect(r.stdout).toBe('');
}

async function expectUsage(args: string[], pattern: RegExp) {
  const r = await ffdb(['--data', store, ...args]);
  expect(r.code, r.stderr).toBe(2);
  expect(errorLine(r)).toMatch(pattern);
}

describe('global behaviour', () => {
  it('prints help and version, exits 0', async () => {
    const [help, version, sub] = await Promise.all([
      ffdb(['--help']),
      ffdb(['--version']),
      ffdb(['msg', 'add', '--help']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ffdb [options] [command]');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(sub.stdout).toContain('Usage: ffdb msg add [options] <userId> <sessionId> <content>');
  });

  it('--json gives one JSON document for --version and for a command group without its subcommand', async () => {
    const [version, group] = await Promise.all([ffdb(['--json', '--version']), ffdb(['--json', 'user'])]);
    expect(version.code).toBe(0);
    expect(JSON.parse(version.stdout).version).toMatch(/^\d+\.\d+\.\d+/);
    expect(group.code).toBe(2);
    expect(JSON.parse(group.stdout).error).toMatchObject({ code: 'CLI_USAGE', exitCode: 2 });
  });

  it('rejects an unknown command and an unknown option with one line and exit 2', async () => {
    await Promise.all([
      expectUsage(['frobnicate'], /unknown command 'frobnicate'/),
      expectUsage(['user', 'list', '--bogus'], /unknown option '--bogus'/),
    ]);
  });

  it('an empty --data or --config is bad usage (exit 2), one line', async () => {
    const [data, config] = await Promise.all([
      ffdb(['--data', '', 'user', 'list']),
      ffdb(['--config', '', 'user', 'list']),
    ]);
    expect(data.code).toBe(2);
    expect(errorLine(data)).toBe('ffdb: error: --data needs a directory (got an empty value)');
    expect(config.code).toBe(2);
    expect(errorLine(config)).toBe('ffdb: error: --config needs a file (got an empty value)');
  });

  it('a command group without its subcommand is one error line naming the subcommands, exit 2', async () => {
    const [group, bare] = await Promise.all([ffdb(['--data', store, 'user']), ffdb([])]);
    for (const r of [group, bare]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(group.stderr).toBe(
      'ffdb: error: ffdb user needs a command: add, list, show, delete (see ffdb user --help)\n',
    );
    expect(bare.stderr).toMatch(
      /^ffdb: error: ffdb needs a command: init, config, user, .*demo \(see ffdb --help\)\n$/,
    );
  });

  it('prints errors as JSON too with --json', async () => {
    const r = await ffdb(['--data', missing, '--json', 'user', 'list']);
    expect(r.code).toBe(1);
    expect(parse(r).error).toMatchObject({ code: 'CLI_ERROR', exitCode: 1 });
  });

  it('honours CHATDB_STORAGE_BASE_PATH when --data is absent', async () => {
    const r = await ffdb(['--json', 'user', 'list'], { env: { CHATDB_STORAGE_BASE_PATH: store } });
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r).map((u: { userId: string }) => u.userId)).toContain('alice');
  });
});

describe('init and config', () => {
  it('init is idempotent and reports it', async () => {
    const again = parse(await runJson('init'));
    expect(again).toMatchObject({ basePath: store, created: false, healthy: true });
    expect((await run('init')).stdout).toContain('already initialised');
    await expectUsage(['init', 'extra'], /too many arguments/);
  });

  it('init under /proc fails at once with one clear line (no hang)', async () => {
    const r = await ffdb(['--data', '/proc/ffdb-cli-test', 'init'], { timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(errorLine(r)).toBe(
      'ffdb: error: initialize "/proc/ffdb-cli-test" failed: the base path is under /proc, a kernel pseudo-filesystem',
    );
  });

  it('config show prints the effective configuration', async () => {
    const cfg = parse(await runJson('config', 'show'));
    expect(cfg.storage.basePath).toBe(store);
    expect((await run('config', 'show')).stdout).toMatch(new RegExp(`^storage\\.basePath +${store}$`, 'm'));
    const summary = parse(await runJson('config', 'show', '--summary'));
    expect(typeof summary).toBe('object');
    await expectUsage(['config', 'show', '--bogus'], /unknown option/);
  });

  it('config show never prints a credential', async () => {
    const env = { CHATDB_VECTOR_EMBEDDING_API_KEY: 'sk-TOPSECRET123' };
    const text = await ffdb(['--data', store, 'config', 'show'], { env });
    const json = await ffdb(['--data', store, '--json', 'config', 'show'], { env });
    for (const r of [text, json]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('TOPSECRET');
    }
    expect(text.stdout).toMatch(/^vector\.embedding\.apiKey +<redacted>$/m);
    expect(parse(json).vector.embedding.apiKey).toBe('<redacted>');
    // Numbers and flags whose names end like a credential (maxTokens, requiresApiKey) are kept.
    expect(parse(json).vector.embeddingProviders.openai.maxTokens).toBeTypeOf('number');
  });

  it('config validate reports every problem of a file and exits 1', async () => {
    const good = path.join(tmp.dir, 'good.json');
    const bad = path.join(tmp.dir, 'bad.json');
    writeFileSync(
      good,
      JSON.stringify({ storage: { max_messages_per_session: 50000 }, search: { default_page_size: 25 } }),
    );
    writeFileSync(
      bad,
      JSON.stringify({ storage: { maxMessageSizeBytes: -5 }, locking: { timeoutSeconds: 'x' } }),
    );
    const ok = await runJson('config', 'validate', good);
    expect(ok.code, ok.stdout).toBe(0);
    expect(parse(ok)).toMatchObject({ valid: true, issues: [] });
    const ko = await runJson('config', 'validate', bad);
    expect(ko.code).toBe(1);
    const paths = parse(ko).issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['storage.maxMessageSizeBytes', 'locking.timeoutSeconds']));
    // Any command refuses an invalid --config with one line naming the fields.
    const [badConfig, noConfig] = await Promise.all([
      ffdb(['--data', store, '--config', bad, 'user', 'list']),
      ffdb(['--data', store, '--config', path.join(tmp.dir, 'nope.json'), 'user', 'list']),
    ]);
    expect(badConfig.code).toBe(1);
    expect(errorLine(badConfig)).toMatch(/storage\.maxMessageSizeBytes.*locking\.timeoutSeconds/);
    expect(errorLine(noConfig)).toMatch(/config file not found/);
    const absent = await run('config', 'validate', path.join(tmp.dir, 'nope.json'));
    expect(absent.code).toBe(1);
    expect(errorLine(absent)).toMatch(/not found/);
    const dir = await run('config', 'validate', tmp.dir);
    expect(errorLine(dir)).toBe(`ffdb: error: config file ${tmp.dir}: is a directory`);
  });
});

describe('user', () => {
  it('add, list, show, delete', async () => {
    const added = await runJson('user', 'add', 'bob', '--username', 'Bob B');
    expect(added.code, added.stderr).toBe(0);
    expect(parse(added)).toMatchObject({ userId: 'bob', username: 'Bob B' });
    const list = parse(await runJson('user', 'list'));
    expect(list.map((u: { userId: string }) => u.userId)).toEqual(['alice', 'bob']);
    expect(list[0]).toEqual({ userId: 'alice', username: 'Alice', createdAt: expect.any(String) });
    const human = await run('user', 'list');
    expect(human.stdout).toMatch(/^USER\s+USERNAME\s+CREATED\n-+/);
    const show = parse(await runJson('user', 'show', 'alice'));
    expect(show.profile.userId).toBe('alice');
    expect(show.stats).toMatchObject({ userId: 'alice', sessionCount: 1, messageCount: 2 });
    const dup = await run('user', 'add', 'bob');
    expect(dup.code).toBe(1);
    expect(errorLine(dup)).toMatch(/already exists/);
    expect(parse(await runJson('user', 'delete', 'bob'))).toEqual({ deleted: true, userId: 'bob' });
    const gone = await run('user', 'show', 'bob');
    expect(gone.code).toBe(1);
    expect(errorLine(gone)).toMatch(/user bob not found/);
  });

  it('refuses to delete a user with sessions unless --force', async () => {
    await run('session', 'new', 'carol');
    const refused = await run('user', 'delete', 'carol');
    expect(refused.code).toBe(1);
    expect(errorLine(refused)).toMatch(/--force/);
    expect((await run('user', 'delete', 'carol', '--force')).code).toBe(0);
  });

  it('rejects bad ids and works only on a store', async () => {
    await expectUsage(['user', 'add', '../evil'], /userId/);
    await expectUsage(['user', 'list', '--limit', 'ten'], /--limit must be an integer/);
    await expectMissingStore('user', 'list');
  });
});

describe('session', () => {
  it('new, list, show, delete', async () => {
    const created = parse(await runJson('session', 'new', 'alice', '--title', 'Second', '--type', 'debate'));
    expect(created).toMatchObject({
      userId: 'alice',
      title: 'Second',
      sessionType: 'debate',
      messageCount: 0,
    });
    expect(created.sessionId).toMatch(/^debate_session_\d{8}_\d{6}_\d{6}$/);
    const list = parse(await runJson('session', 'list', 'alice'));
    expect(list.map((s: { sessionId: string }) => s.sessionId)).toEqual(
      expect.arrayContaining([sessionId, created.sessionId]),
    );
    const only = parse(await runJson('session', 'list', 'alice', '--type', 'debate'));
    expect(only).toHaveLength(1);
    const show = parse(await runJson('session', 'show', 'alice', sessionId));
    expect(show.session).toMatchObject({ sessionId, messageCount: 2, title: 'Moon talk' });
    expect(show.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect((await run('session', 'show', 'alice', sessionId)).stdout).toContain('Moon talk');
    expect(parse(await runJson('session', 'delete', 'alice', created.sessionId))).toMatchObject({
      deleted: true,
    });
    const again = await run('session', 'delete', 'alice', created.sessionId);
    expect(again.code).toBe(1);
    expect(errorLine(again)).toMatch(/not found/);
  });

  it('rejects bad arguments and a missing store', async () => {
    await Promise.all([
      expectUsage(['session', 'show', 'alice', '../x'], /sessionId/),
      expectUsage(['session', 'new'], /missing required argument 'userId'/),
      expectMissingStore('session', 'list', 'alice'),
    ]);
  });
});

describe('msg', () => {
  it('add - reads stdin of any length through a pipe and drops its one trailing newline', async () => {
    const own = parse(await runJson('session', 'new', 'alice', '--title', 'Long stdin')).sessionId;
    // More than one pipe buffer: a synchronous read of a non-blocking pipe failed with EAGAIN.
    const big = await ffdb(['--data', store, '--json', 'msg', 'add', 'alice', own, '-'], {
      input: `${'a'.repeat(200_000)}\n`,
    });
    expect(big.stderr).toBe('');
    expect(parse(big).content).toBe('a'.repeat(200_000));
    const echoed = await ffdb(['--data', store, '--json', 'msg', 'add', 'alice', own, '-'], {
      input: 'two lines\nkept\n',
    });
    expect(parse(echoed).content).toBe('two lines\nkept');
    // Leave the shared store as the other tests expect it.
    expect((await run('session', 'delete', 'alice', own)).code).toBe(0);
  });

  it('add, list, tail', async () => {
    const added = parse(
      await runJson('msg', 'add', 'alice', sessionId, 'Third message', '--metadata', '{"k":1}'),
    );
    expect(added).toMatchObject({ role: 'user', content: 'Third message', metadata: { k: 1 }, seq: 2 });
    expect(added.messageId).toMatch(/^msg_[0-9a-f]{12}$/);
    const fromStdin = await ffdb(['--data', store, '--json', 'msg', 'add', 'alice', sessionId, '-'], {
      input: 'from stdin',
    });
    expect(parse(fromStdin).content).toBe('from stdin');
    const list = parse(await runJson('msg', 'list', 'alice', sessionId));
    expect(list.map((m: { seq: number }) => m.seq)).toEqual([0, 1, 2, 3]);
    const rev = parse(await runJson('msg', 'list', 'alice', sessionId, '--reverse', '--limit', '2'));
    expect(rev.map((m: { content: string }) => m.content)).toEqual(['from stdin', 'Third message']);
    const tail = parse(await runJson('msg', 'tail', 'alice', sessionId, '-n', '1'));
    expect(tail).toHaveLength(1);
    expect(tail[0].content).toBe('from stdin');
    expect((await run('msg', 'list', 'alice', sessionId)).stdout).toMatch(/user\s+The radio emission/);
  });

  it('tail --follow stopped by SIGTERM (kill, timeout, child.kill()) ends normally: exit 0, no error line', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN, cleanEnv } = await import('./helpers.js');
    const child = spawn(
      process.execPath,
      [BIN, '--data', store, '--json', 'msg', 'tail', 'alice', sessionId, '--follow'],
      {
        env: cleanEnv(),
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    const ready = Date.now() + 20_000;
    while (!out.includes('\n') && Date.now() < ready) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(err).toBe('');
    // JSON Lines to the end: every line is one message.
    for (const line of out.trim().split('\n')) expect(JSON.parse(line)).toHaveProperty('messageId');
  });

  it('tail --follow prints messages appended by another process until Ctrl-C, which ends it with 0', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN, cleanEnv } = await import('./helpers.js');
    const child = spawn(
      process.execPath,
      [BIN, '--data', store, '--json', 'msg', 'tail', 'alice', sessionId, '-n', '1', '--follow'],
      {
        env: cleanEnv(),
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    // The follower prints the latest message first: then it is reading, and we append from another process.
    const ready = Date.now() + 20_000;
    while (!out.includes('\n') && Date.now() < ready) await new Promise((r) => setTimeout(r, 50));
    await run('msg', 'add', 'alice', sessionId, 'followed message');
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 10_000;
      while (!out.includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    };
    await waitFor('followed message');
    // A reply streamed by another process: printed when it starts and again, whole, when it ends.
    const { FFStorageManager } = await import('@ffdb/manager');
    const writer = await FFStorageManager.open({ storage: { basePath: store } });
    let replyId = '';
    try {
      const reply = await writer.beginMessageStream('alice', sessionId, { role: 'assistant' });
      replyId = reply.messageId;
      await waitFor('"streaming"');
      await reply.write('streamed ');
      await reply.write('answer');
      await reply.complete();
      await waitFor('streamed answer');
    } finally {
      await writer.close();
    }
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(err).not.toMatch(/error/);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((m: { content: string }) => m.content)).toContain('followed message');
    const replies = lines.filter((m: { messageId: string }) => m.messageId === replyId);
    expect(
      replies.map((m: { content: string; metadata: { streamStatus: string } }) => [
        m.content,
        m.metadata.streamStatus,
      ]),
    ).toEqual([
      ['', 'streaming'],
      ['streamed answer', 'complete'],
    ]);
  });

  it('rejects bad arguments and a missing store', async () => {
    await expectUsage(['msg', 'add', 'alice', sessionId, '   '], /content/);
    await expectUsage(['msg', 'list', 'alice', sessionId, '--limit', '-3'], /--limit/);
    const noSession = await run('msg', 'add', 'alice', 'chat_session_20000101_000000_000000', 'x');
    expect(noSession.code).toBe(1);
    expect(errorLine(noSession)).toMatch(/not found/);
    await Promise.all([
      expectMissingStore('msg', 'list', 'alice', sessionId),
      expectMissingStore('msg', 'tail', 'alice', sessionId),
    ]);
  });
});

describe('doc', () => {
  it('add, list, get, process', async () => {
    const file = path.join(tmp.dir, 'notes.txt');
    writeFileSync(file, 'Jupiter and Venus were observed with radio telescopes.\nThe moon is cold.\n');
    const added = parse(await runJson('doc', 'add', 'alice', sessionId, file));
    expect(added).toMatchObject({ originalName: 'notes.txt', mimeType: 'text/plain', size: 73 });
    expect(added.documentId).toMatch(/^[0-9a-f]{8}_notes\.txt$/);
    const list = parse(await runJson('doc', 'list', 'alice', sessionId));
    expect(list.map((d: { documentId: string }) => d.documentId)).toContain(added.documentId);
    const raw = await run('doc', 'get', 'alice', sessionId, added.documentId);
    expect(raw.stdout).toBe('Jupiter and Venus were observed with radio telescopes.\nThe moon is cold.\n');
    const out = path.join(tmp.dir, 'copy.txt');
    const info = parse(await runJson('doc', 'get', 'alice', sessionId, added.documentId, '-o', out));
    expect(info).toMatchObject({ documentId: added.documentId, writtenTo: out });
    const processed = await runJson('doc', 'process', 'alice', sessionId, file);
    expect(processed.code, processed.stderr).toBe(0);
    expect(parse(processed)).toMatchObject({ success: true, chunkCount: expect.any(Number) });
    expect(parse(processed).vectorCount).toBeGreaterThan(0);
  });

  it('rejects bad arguments and a missing store', async () => {
    const noFile = await run('doc', 'add', 'alice', sessionId, path.join(tmp.dir, 'absent.txt'));
    expect(noFile.code).toBe(1);
    expect(errorLine(noFile)).toMatch(/no such file/);
    const exe = path.join(tmp.dir, 'tool.exe');
    writeFileSync(exe, 'MZ');
    await expectUsage(['doc', 'add', 'alice', sessionId, exe], /allowedExtensions/);
    const unknown = await run('doc', 'get', 'alice', sessionId, 'deadbeef_none.txt');
    expect(unknown.code).toBe(1);
    const docId = parse(await runJson('doc', 'list', 'alice', sessionId))[0].documentId;
    const intoDir = await run('doc', 'get', 'alice', sessionId, docId, '-o', tmp.dir);
    expect(intoDir.code).toBe(1);
    expect(errorLine(intoDir)).toBe(`ffdb: error: --output ${tmp.dir}: is a directory`);
    await expectMissingStore('doc', 'list', 'alice', sessionId);
  });
});

describe('search', () => {
  it('full-text search with highlights', async () => {
    const r = parse(await runJson('search', 'alice', 'moon'));
    expect(r.mode).toBe('fts');
    const hit = r.results.find((x: { content: string }) => x.content.includes('radio emission of the moon'));
    expect(hit).toBeDefined();
    const [a, b] = hit.highlights[0];
    expect(hit.content.slice(a, b).toLowerCase()).toBe('moon');
    const human = await run('search', 'alice', 'moon');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('**moon**');
  });

  it('vector and hybrid search', async () => {
    const vector = await runJson('search', 'alice', 'radio telescopes observing planets', '--mode', 'vector');
    expect(vector.code, vector.stderr).toBe(0);
    expect(parse(vector).results.length).toBeGreaterThan(0);
    const hybrid = await runJson('search', 'alice', 'moon', '--mode', 'hybrid', '--limit', '3');
    expect(hybrid.code, hybrid.stderr).toBe(0);
    const results = parse(hybrid).results;
    expect(results.length).toBeGreaterThan(0);
    expect(results.length).toBeLessThanOrEqual(3);
    expect(results[0].explain).toMatchObject({ fused: expect.any(Number) });
  });

  it('rejects bad arguments and a missing store', async () => {
    const [nobody] = await Promise.all([
      run('search', 'nobody', 'moon'),
      expectUsage(
        ['search', 'alice', 'moon', '--mode', 'fuzzy'],
        /--mode must be one of fts, vector, hybrid/,
      ),
      expectUsage(['search', 'alice', 'moon', '--limit', '0'], /--limit/),
      expectMissingStore('search', 'alice', 'moon'),
    ]);
    expect(nobody.code).toBe(1);
  });
});

describe('stats', () => {
  it('store, user and session statistics', async () => {
    const storeStats = parse(await runJson('stats'));
    expect(storeStats).toMatchObject({
      scope: 'store',
      stats: { userCount: expect.any(Number), messageCount: expect.any(Number) },
    });
    const user = parse(await runJson('stats', 'alice'));
    expect(user.stats).toMatchObject({ userId: 'alice', sessionCount: 1 });
    expect(user.documents).toMatchObject({ totalDocuments: expect.any(Number) });
    const session = parse(await runJson('stats', 'alice', sessionId));
    expect(session.stats).toMatchObject({ sessionId, messageCount: expect.any(Number) });
    expect(session.analysis).toMatchObject({
      messagesByRole: expect.any(Object),
      topTerms: expect.any(Array),
    });
    expect((await run('stats')).stdout).toMatch(/userCount\s+\d+/);
  });

  it('rejects bad arguments and a missing store', async () => {
    const [nobody] = await Promise.all([
      run('stats', 'nobody'),
      expectUsage(['stats', 'alice', '../x'], /sessionId/),
      expectMissingStore('stats'),
    ]);
    expect(nobody.code).toBe(1);
  });
});

describe('export and import', () => {
  it('round-trips the store through a bundle', async () => {
    const bundle = path.join(tmp.dir, 'bundle');
    const exported = await runJson('export', bundle);
    expect(exported.code, exported.stderr).toBe(0);
    expect(parse(exported)).toMatchObject({ exportedTo: bundle, report: expect.any(Object) });
    const copy = path.join(tmp.dir, 'copy');
    const imported = await ffdb(['--data', copy, '--json', 'import', bundle]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(parse(imported)).toMatchObject({ from: 'ffdb', source: bundle });
    const a = parse(await runJson('msg', 'list', 'alice', sessionId, '--all'));
    const b = parse(await ffdb(['--data', copy, '--json', 'msg', 'list', 'alice', sessionId, '--all']));
    expect(b.map((m: { messageId: string }) => m.messageId)).toEqual(
      a.map((m: { messageId: string }) => m.messageId),
    );
    // The Python import's options are refused for a bundle, not ignored.
    for (const [option, ...rest] of [['--timezone', 'UTC'], ['--no-reindex']] as const) {
      const r = await ffdb(['--data', copy, 'import', bundle, option, ...rest]);
      expect(r.code).toBe(2);
      expect(errorLine(r)).toBe(`ffdb: error: ${option} applies to --from python only`);
    }
  });

  it('rejects bad arguments and a missing store', async () => {
    await expectUsage(['import', tmp.dir, '--from', 'sqlite'], /--from must be one of ffdb, python/);
    const notDir = await run('import', path.join(tmp.dir, 'absent'));
    expect(notDir.code).toBe(1);
    expect(errorLine(notDir)).toMatch(/not a directory/);
    await expectMissingStore('export', path.join(tmp.dir, 'never'));
  });
});

describe('maintenance', () => {
  it('verify, verify --repair, compact, reindex', async () => {
    const verify = await runJson('verify');
    expect(verify.code, verify.stdout).toBe(0);
    expect(parse(verify)).toMatchObject({ ok: true, issues: expect.any(Array) });
    expect(parse(await runJson('verify', '--repair')).ok).toBe(true);
    const compact = await runJson('compact');
    expect(compact.code, compact.stderr).toBe(0);
    expect(parse(compact)).toMatchObject({ durationMs: expect.any(Number) });
    const reindex = parse(await runJson('reindex'));
    expect(reindex).toMatchObject({ users: 1 });
    expect(parse(await runJson('reindex', '--user', 'alice'))).toMatchObject({ users: 1 });
    // Search still works after compact + reindex.
    expect(parse(await runJson('search', 'alice', 'atmospheres')).results.length).toBeGreaterThan(0);
  });

  it('compact --archive moves every segment to the archive tier in one run', async () => {
    const before = await runJson('msg', 'list', 'alice', sessionId, '--limit', '1000');
    const archived = parse(await runJson('compact', '--archive'));
    expect(archived.report.segmentsRewritten).toBeGreaterThan(0);
    expect(archived.report.bytesAfter).toBeLessThan(archived.report.bytesBefore);
    // Already archived: nothing left to move, and the messages read back the same.
    expect(parse(await runJson('compact', '--archive')).report.segmentsRewritten).toBe(0);
    expect((await runJson('msg', 'list', 'alice', sessionId, '--limit', '1000')).stdout).toBe(before.stdout);
    // Younger than a day: --older-than-days 1 archives nothing, and a negative age is a usage error.
    expect(parse(await runJson('compact', '--older-than-days', '1')).report.segmentsRewritten).toBe(0);
    await expectUsage(['compact', '--older-than-days', '-1'], /--older-than-days must be between 0/);
  });

  it('reindex --vectors moves the vector indexes to a changed embedding space', async () => {
    const own = path.join(tmp.dir, 'space-store');
    const sid = parse(await ffdb(['--data', own, '--json', 'session', 'new', 'carol'])).sessionId;
    const file = path.join(tmp.dir, 'telescopes.txt');
    writeFileSync(file, 'Radio telescopes observe the planets. Optical telescopes see the moon.\n');
    expect((await ffdb(['--data', own, '--json', 'doc', 'process', 'carol', sid, file])).code).toBe(0);
    const cfg = path.join(tmp.dir, 'wider.json');
    writeFileSync(
      cfg,
      JSON.stringify({ vector: { embeddingProviders: { 'hashed-ngram': { embeddingDimension: 256 } } } }),
    );
    const wider = ['--data', own, '--config', cfg, '--json'];
    const refused = await ffdb([...wider, 'search', 'carol', 'radio telescopes', '--mode', 'vector']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/256d does not match .*384d/);
    const rebuilt = await ffdb([...wider, 'reindex', '--vectors']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(parse(rebuilt)).toMatchObject({ users: 1, space: { provider: 'hashed-ngram', dimension: 256 } });
    expect(parse(rebuilt).chunks).toBeGreaterThan(0);
    const found = await ffdb([...wider, 'search', 'carol', 'radio telescopes', '--mode', 'vector']);
    expect(found.code, found.stderr).toBe(0);
    expect(parse(found).results.length).toBeGreaterThan(0);
  });

  it('rejects bad arguments and a missing store', async () => {
    await expectUsage(['verify', '--fix'], /unknown option '--fix'/);
    expect((await run('reindex', '--user', 'nobody')).code).toBe(1);
    await Promise.all([
      expectMissingStore('verify'),
      expectMissingStore('compact'),
      expectMissingStore('reindex'),
    ]);
  });
});

describe('every command', () => {
  const sid = 'chat_session_20250101_000000_000000';
  const file = path.join(tmp.dir, 'any.txt');
  writeFileSync(file, 'x');

  it('refuses a data directory without a store (one line, exit 1, nothing created)', async () => {
    const commands = [
      ['user', 'list'],
      ['user', 'show', 'u'],
      ['user', 'delete', 'u'],
      ['session', 'list', 'u'],
      ['session', 'show', 'u', sid],
      ['session', 'delete', 'u', sid],
      ['msg', 'add', 'u', sid, 'hi'],
      ['msg', 'list', 'u', sid],
      ['msg', 'tail', 'u', sid],
      ['doc', 'add', 'u', sid, file],
      ['doc', 'list', 'u', sid],
      ['doc', 'get', 'u', sid, 'deadbeef_x.txt'],
      ['doc', 'process', 'u', sid, file],
      ['search', 'u', 'q'],
      ['stats'],
      ['export', path.join(tmp.dir, 'never')],
      ['verify'],
      ['compact'],
      ['reindex'],
    ];
    const results = await Promise.all(commands.map((c) => ffdb(['--data', missing, ...c])));
    results.forEach((r, i) => {
      expect(r.code, commands[i]!.join(' ')).toBe(1);
      expect(errorLine(r)).toMatch(/^ffdb: error: no ffdb store at /);
    });
    const { existsSync } = await import('node:fs');
    expect(existsSync(missing)).toBe(false);
  });

  it('user add and session new create a store where nothing is yet, never over other files', async () => {
    const { existsSync, mkdirSync, readdirSync } = await import('node:fs');
    const fresh = path.join(tmp.dir, 'fresh-store');
    const added = await ffdb(['--data', fresh, '--json', 'user', 'add', 'zed']);
    expect(added.code, added.stderr).toBe(0);
    expect(existsSync(path.join(fresh, 'ffdb.json'))).toBe(true);
    const empty = path.join(tmp.dir, 'empty-dir');
    mkdirSync(empty);
    const created = await ffdb(['--data', empty, '--json', 'session', 'new', 'zed']);
    expect(created.code, created.stderr).toBe(0);
    expect(parse(created).sessionId).toMatch(/^chat_session_/);
    expect(parse(await ffdb(['--data', empty, '--json', 'session', 'list', 'zed']))).toHaveLength(1);
    // Any command opens an empty directory as an empty store (as initialize() would): reads see nothing.
    const emptyRead = path.join(tmp.dir, 'empty-read');
    mkdirSync(emptyRead);
    const users = await ffdb(['--data', emptyRead, '--json', 'user', 'list']);
    expect(users.code, users.stderr).toBe(0);
    expect(parse(users)).toEqual([]);
    const verified = await ffdb(['--data', emptyRead, '--json', 'verify']);
    expect(verified.code, verified.stderr).toBe(0);
    // A directory holding other files is never turned into a store, not even by init, demo or import.
    const occupied = path.join(tmp.dir, 'occupied');
    mkdirSync(occupied);
    writeFileSync(path.join(occupied, 'notes.txt'), 'mine');
    const bundle = path.join(tmp.dir, 'bundle-for-occupied');
    expect((await ffdb(['--data', emptyRead, 'export', bundle])).code).toBe(0);
    for (const args of [
      ['user', 'add', 'u'],
      ['session', 'new', 'u'],
      ['chat', '--user', 'u'],
      ['init'],
      ['demo', '--seed-only'],
      ['import', bundle],
    ]) {
      const r = await ffdb(['--data', occupied, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      // (demo names the store on a line of its own before it opens it)
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(
        /^ffdb: error: no ffdb store at .*a directory holding other files/,
      );
    }
    expect(readdirSync(occupied)).toEqual(['notes.txt']);
    // An import refused for its arguments creates nothing where nothing was.
    const nowhere = path.join(tmp.dir, 'never-created');
    for (const args of [
      ['import', tmp.dir],
      ['import', '--from', 'python', tmp.dir, '--timezone', 'Mars/Olympus'],
    ]) {
      const r = await ffdb(['--data', nowhere, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(errorLine(r)).toMatch(/manifest\.json|IANA time zone/);
    }
    expect(existsSync(nowhere)).toBe(false);
    // A directory holding only .ffdb/ is a store another process is creating: joined, not refused.
    const starting = path.join(tmp.dir, 'starting');
    mkdirSync(path.join(starting, '.ffdb'), { recursive: true });
    expect((await ffdb(['--data', starting, 'user', 'add', 'una'])).code).toBe(0);
    // A file, and a symbolic link to nothing, are named as such.
    const file = path.join(tmp.dir, 'a-file');
    writeFileSync(file, 'x');
    expect(errorLine(await ffdb(['--data', file, 'user', 'add', 'u']))).toMatch(/is a file, not a directory/);
    const { symlinkSync } = await import('node:fs');
    const dangling = path.join(tmp.dir, 'dangling');
    symlinkSync(path.join(tmp.dir, 'nowhere'), dangling);
    expect(errorLine(await ffdb(['--data', dangling, 'user', 'add', 'u']))).toMatch(
      /symbolic link to nothing/,
    );
  });

  it('rejects a bad argument with one line and exit 2', async () => {
    const commands = [
      ['init', 'x'],
      ['config', 'show', 'x'],
      ['config', 'validate', 'a', 'b'],
      ['user', 'add'],
      ['user', 'list', '--offset', '-1'],
      ['user', 'show'],
      ['user', 'delete'],
      ['session', 'new'],
      ['session', 'list', 'alice', '--limit', 'x'],
      ['session', 'show', 'alice'],
      ['session', 'delete', 'alice'],
      ['msg', 'add', 'alice', sid],
      ['msg', 'list', 'alice', sid, '--offset', 'x'],
      ['msg', 'tail', 'alice', sid, '-n', 'x'],
      ['doc', 'add', 'alice', sid],
      ['doc', 'list', 'alice'],
      ['doc', 'get', 'alice', sid],
      ['doc', 'process', 'alice', sid],
      ['search', 'alice'],
      ['stats', 'a', 'b', 'c'],
      ['export'],
      ['import'],
      ['verify', 'x'],
      ['compact', 'x'],
      ['reindex', '--user'],
      ['chat', '--session'],
      ['demo', 'x'],
    ];
    const results = await Promise.all(commands.map((c) => ffdb(['--data', store, ...c])));
    results.forEach((r, i) => {
      expect(r.code, `${commands[i]!.join(' ')}: ${r.stderr}`).toBe(2);
      expect(errorLine(r)).toMatch(/^ffdb: error: .* \(see --help\)$/);
    });
  });

  it('works without a store where none is needed', async () => {
    const r = await ffdb(['--data', missing, '--json', 'config', 'show']);
    expect(r.code).toBe(0);
    expect(parse(r).storage.basePath).toBe(missing);
  });
});

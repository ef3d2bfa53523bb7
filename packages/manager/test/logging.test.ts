import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultLogger, FFStorageManager, loadConfig, TOKENS } from '../src/index.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (l: string) => lines.push(l) } };
}

const SECRET = 'the launch code is 0000-SECRET';

describe('logging', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('is quiet by default (runtime.logLevel silent)', () => {
    const { lines, destination } = capture();
    const logger = createDefaultLogger(loadConfig({ env: {} }), { destination });
    logger.error({ op: 'x' }, 'boom');
    expect(lines).toEqual([]);
  });

  it('never logs message or document content, redacts content fields, logs slow operations with timings', async () => {
    const base = tempDir();
    dirs.push(base);
    const { lines, destination } = capture();
    const config = loadConfig({
      env: {},
      overrides: { ...(testConfig(base) as object), runtime: { logLevel: 'debug' } } as never,
    });
    const logger = createDefaultLogger(config, { destination });
    const m = await FFStorageManager.open({
      config,
      overrides: { [TOKENS.Logger]: logger },
      slowOperationMs: 0,
    });
    const sid = await m.createSession('spy', 'secret plans');
    await m.addMessage('spy', sid, { role: 'user', content: SECRET });
    await m.saveDocument('spy', sid, 'plan.txt', SECRET);
    const reply = await m.beginMessageStream('spy', sid, { role: 'assistant' });
    await reply.write(SECRET);
    await reply.complete();
    await m.getAllMessages('spy', sid);
    await m.exportData(tempDir('ffdb-log-export-')).then((r) => dirs.push(String(r.dest)));
    // A careless caller passing content to the logger is still redacted.
    logger.info({ content: SECRET, nested: { text: SECRET } }, 'careless');
    await m.close();
    const all = lines.join('');
    expect(all).not.toContain('0000-SECRET');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const slow = parsed.filter((p) => p.msg === 'slow operation');
    expect(slow.map((p) => p.op)).toEqual(
      expect.arrayContaining(['addMessage', 'saveDocument', 'getAllMessages']),
    );
    expect(slow.every((p) => typeof p.ms === 'number' && p.level === 20)).toBe(true);
    expect(parsed.find((p) => p.msg === 'careless')).toMatchObject({
      content: '[redacted]',
      nested: { text: '[redacted]' },
    });
  });

  it('logContent: true lets explicitly logged content through', () => {
    const { lines, destination } = capture();
    const config = loadConfig({ env: {}, overrides: { runtime: { logLevel: 'info', logContent: true } } });
    createDefaultLogger(config, { destination }).info({ content: 'visible' }, 'x');
    expect(lines.join('')).toContain('visible');
  });
});

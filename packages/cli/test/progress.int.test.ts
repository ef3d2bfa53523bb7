/**
 * Long commands draw real progress from the manager's reports: the bar reaches `N/N 100%` with a rate
 * and an ETA (not just elapsed time), and `verify` honours Ctrl-C through the signal. The CLI runs
 * in-process (`run(argv, io)`) with a terminal-like stderr, since the bar only draws on a TTY; the
 * store is a real one in a temp directory. `--json` output stays free of progress and keeps its shape.
 */
import path from 'node:path';
import { FFStorageManager } from '@ffdb/manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/context.js';
import { EXIT_INTERRUPTED } from '../src/cli/errors.js';
import { run } from '../src/cli/run.js';
import { cleanEnv, tempDir } from './helpers.js';

const tmp = tempDir('progress');
const store = path.join(tmp.dir, 'store');
afterAll(() => tmp.cleanup());

/** stdout/stderr that record what is written; stderr claims to be a terminal. */
function io(onStderr?: (text: string) => void): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (sink: string[], tty: boolean, hook?: (t: string) => void) =>
    ({
      isTTY: tty,
      columns: 200,
      write: (s: string | Uint8Array) => {
        const text = typeof s === 'string' ? s : Buffer.from(s).toString('utf8');
        sink.push(text);
        hook?.(text);
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  return {
    io: {
      stdout: stream(out, false),
      stderr: stream(err, true, onStderr),
      stdin: process.stdin,
      env: cleanEnv(),
    },
    out,
    err,
  };
}

async function ffdbIn(args: string[], onStderr?: (text: string) => void) {
  const c = io(onStderr);
  const code = await run(['node', 'ffdb', '--data', store, ...args], c.io);
  return { code, stdout: c.out.join(''), stderr: c.err.join('') };
}

/** The bar lines drawn (each redraw starts with CR + erase-line). */
const drawn = (stderr: string) =>
  stderr
    .split('\r\u001b[2K')
    .map((l) => l.trim())
    .filter(Boolean);

const fullBar = (label: string, unit = 'items') =>
  new RegExp(`^${label} \\[#{20}\\] (\\d+)/\\1 100% [\\d.]+ ${unit}/s ETA \\d\\d:\\d\\d`);

beforeAll(async () => {
  expect((await ffdbIn(['init'])).code).toBe(0);
  const m = await FFStorageManager.open({ storage: { basePath: store } });
  for (const [user, n] of [
    ['alice', 3],
    ['bob', 2],
  ] as const) {
    const sid = await m.createSession(user, 'talk');
    await m.addMessages(
      user,
      sid,
      Array.from({ length: n }, (_, i) => ({ role: 'user', content: `otter note ${i}` })),
    );
  }
  await m.close();
}, 60_000);

describe('progress of long commands', () => {
  it('verify reports each unit up to N/N with rate and ETA', async () => {
    const r = await ffdbIn(['verify']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Store verified: no problems');
    expect(
      drawn(r.stderr).some((l) => fullBar('Verifying').test(l)),
      r.stderr,
    ).toBe(true);
  });

  it('verify stops on Ctrl-C (the signal reaches the manager) and exits as interrupted', async () => {
    // The first SIGINT aborts the command's signal; send it as soon as the bar appears.
    let sent = false;
    const r = await ffdbIn(['verify'], (text) => {
      if (!sent && text.includes('Verifying')) {
        sent = true;
        process.emit('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(EXIT_INTERRUPTED);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ffdb: error: interrupted/);
  });

  it('--json: an interrupted command prints its one document, the error', async () => {
    // No bar with --json: interrupt as soon as the command has installed its Ctrl-C handler.
    const before = process.listenerCount('SIGINT');
    const running = ffdbIn(['--json', 'verify']);
    while (process.listenerCount('SIGINT') === before) await new Promise((r) => setImmediate(r));
    process.emit('SIGINT');
    const r = await running;
    expect(r.code, r.stderr).toBe(EXIT_INTERRUPTED);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'CLI_INTERRUPTED', message: 'interrupted; the store was closed cleanly', exitCode: 130 },
    });
  });

  it('compact, export and import draw N/N with rate and ETA', async () => {
    const compact = await ffdbIn(['compact']);
    expect(compact.code, compact.stderr).toBe(0);
    expect(
      drawn(compact.stderr).some((l) => fullBar('Compacting').test(l)),
      compact.stderr,
    ).toBe(true);

    const bundle = path.join(tmp.dir, 'bundle');
    const exported = await ffdbIn(['export', bundle]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(
      drawn(exported.stderr).some((l) => fullBar('Exporting').test(l)),
      exported.stderr,
    ).toBe(true);

    const other = path.join(tmp.dir, 'other');
    const c = io();
    const code = await run(['node', 'ffdb', '--data', other, 'import', bundle], c.io);
    expect(code, c.err.join('')).toBe(0);
    expect(
      drawn(c.err.join('')).some((l) => fullBar('Importing').test(l)),
      c.err.join(''),
    ).toBe(true);
  });

  it('reindex counts messages across users and names the user being indexed', async () => {
    const r = await ffdbIn(['reindex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Rebuilt the search index of 2 users \(5 messages\) in [\d.]+ s\n$/);
    const lines = drawn(r.stderr);
    expect(
      lines.some((l) =>
        /^Reindexing \[#{20}\] 5\/5 100% [\d.]+ msgs\/s ETA \d\d:\d\d bob \(2\/2 users\)$/.test(l),
      ),
      r.stderr,
    ).toBe(true);
  });

  it('--json: no progress on stderr, output unchanged', async () => {
    const reindex = await ffdbIn(['--json', 'reindex']);
    expect(reindex.code).toBe(0);
    expect(reindex.stderr).toBe('');
    expect(Object.keys(JSON.parse(reindex.stdout)).sort()).toEqual(['durationMs', 'users']);
    expect(JSON.parse(reindex.stdout).users).toBe(2);
    const verify = await ffdbIn(['--json', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stderr).toBe('');
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, issues: [] });
    expect(JSON.parse(verify.stdout)).not.toHaveProperty('aborted');
  });
});

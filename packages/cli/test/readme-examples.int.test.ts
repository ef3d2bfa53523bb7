/**
 * The `ffdb` examples in the root README ("CLI") and in this package's README ("Use") run as written:
 * each line is executed in a fresh directory, `ffdb` being the built binary, `<sessionId>` the id the
 * preceding `session new` printed, and the Python data directory the test fixture.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE, PKG, ffdb, tempDir } from './helpers.js';

const tmp = tempDir('readme');
afterAll(() => tmp.cleanup());

/** The lines of the first ```sh block after `heading`. */
function shBlock(file: string, heading: string): string[] {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`${heading} not found in ${file}`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start));
  if (!block) throw new Error(`no sh block after ${heading}`);
  return block[1]!.split('\n').filter((l) => l.trim() !== '');
}

/** Splits a command line: double quotes group words, `  # …` starts a comment. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  const code = line.replace(/\s{2,}#.*$/, '');
  for (let m = re.exec(code); m; m = re.exec(code)) out.push(m[1] ?? m[2]!);
  return out;
}

async function runBlock(lines: string[], cwd: string): Promise<void> {
  let sessionId = '';
  for (const line of lines) {
    const [cmd, ...args] = words(line);
    expect(cmd, line).toBe('ffdb');
    const resolved = args.map((a) =>
      a === '<sessionId>' ? sessionId : /old-ffdb-data|old-python-data/.test(a) ? FIXTURE : a,
    );
    const r = await ffdb(resolved, { cwd, timeoutMs: 90_000 });
    expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    if (resolved.includes('session') && resolved.includes('new')) sessionId = r.stdout.trim();
  }
}

describe('README examples', () => {
  it('root README, section CLI', async () => {
    const dir = path.join(tmp.dir, 'root');
    (await import('node:fs')).mkdirSync(dir);
    await runBlock(shBlock(path.resolve(PKG, '../../README.md'), '## CLI'), dir);
  });

  it('packages/cli/README.md, section Use', async () => {
    const dir = path.join(tmp.dir, 'pkg');
    (await import('node:fs')).mkdirSync(dir);
    await runBlock(shBlock(path.join(PKG, 'README.md'), '## Use'), dir);
  });
});

/**
 * `run(argv, io)` runs the CLI in-process (packages/cli/README.md): everything it reads and writes goes
 * through `io`, stdin included, so a host program can feed `msg add … -` without touching its own stdin.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/context.js';
import { run } from '../src/cli/run.js';
import { cleanEnv, tempDir } from './helpers.js';

const tmp = tempDir('in-process');
const store = path.join(tmp.dir, 'store');
afterAll(() => tmp.cleanup());

async function ffdbIn(args: string[], input = '') {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]) =>
    ({
      isTTY: false,
      write: (s: string | Uint8Array) => {
        to.push(typeof s === 'string' ? s : Buffer.from(s).toString('utf8'));
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  const io: CliIO = {
    stdout: sink(out),
    stderr: sink(err),
    stdin: Readable.from([Buffer.from(input)]) as unknown as NodeJS.ReadStream,
    env: cleanEnv(),
  };
  const code = await run(['node', 'ffdb', '--data', store, ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('run(argv, io) in-process', () => {
  it("msg add - reads the run's own stdin", async () => {
    expect((await ffdbIn(['init'])).code).toBe(0);
    const created = await ffdbIn(['--json', 'session', 'new', 'alice']);
    expect(created.code, created.stderr).toBe(0);
    const { sessionId } = JSON.parse(created.stdout);
    const added = await ffdbIn(['--json', 'msg', 'add', 'alice', sessionId, '-'], 'from the host program\n');
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ role: 'user', content: 'from the host program' });
  });
});

import { spawn } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv } from './helpers.js';

describe('a reader that closes stdout early', () => {
  it('ends quietly, without an unhandled EPIPE', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], {
      cwd: os.tmpdir(),
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Close our end before the CLI writes its help (`ffdb --help | head -0`).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});

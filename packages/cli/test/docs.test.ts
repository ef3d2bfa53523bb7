/** docs/cli.md is generated from --help and must stay in sync with the built program. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { DOC_PATH, generate } from '../scripts/gen-cli-docs.mjs';
import { ffdb } from './helpers.js';

describe('docs/cli.md', () => {
  it('matches the --help of every command (run scripts/gen-cli-docs.mjs to update)', async () => {
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(await generate());
  });

  it('contains the help the binary prints', async () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    for (const args of [
      ['search', '--help'],
      ['import', '--help'],
      ['msg', 'tail', '--help'],
    ]) {
      const r = await ffdb(args);
      expect(r.code).toBe(0);
      expect(doc).toContain(r.stdout.trimEnd());
    }
  });
});

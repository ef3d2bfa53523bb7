/**
 * docs/configuration.md marks the fields no package reads (COMPATIBILITY_ONLY_FIELDS). This keeps the
 * mark true: a listed field that some package's source starts reading (`storage.profileFilename`,
 * `config.storage?.profileFilename`, …) fails here, so it is taken off the list and the docs change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPATIBILITY_ONLY_FIELDS, configFields } from '../src/index.js';

const packagesDir = path.resolve(import.meta.dirname, '../..');
const configDir = path.resolve(import.meta.dirname, '../src/config');

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist' && full !== configDir) sources(full, out);
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

describe('fields with no effect', () => {
  const paths = new Set(configFields().map((f) => f.path));
  const code = fs
    .readdirSync(packagesDir)
    .flatMap((p) => {
      const src = path.join(packagesDir, p, 'src');
      return fs.existsSync(src) ? sources(src) : [];
    })
    .map((file) => fs.readFileSync(file, 'utf8'))
    .join('\n');

  it('are real fields', () => {
    for (const f of COMPATIBILITY_ONLY_FIELDS.keys()) expect(paths.has(f), f).toBe(true);
  });

  it('are read by no package', () => {
    const read = [...COMPATIBILITY_ONLY_FIELDS.keys()].filter((f) => {
      const [section, name] = f.split('.') as [string, string];
      return new RegExp(`\\b${section}\\??\\.${name}\\b`).test(code);
    });
    expect(read).toEqual([]);
  });

  it('leave out fields that are read (the check above can see a read)', () => {
    for (const f of ['storage.maxMessageSizeBytes', 'search.defaultPageSize', 'locking.timeoutSeconds']) {
      expect(COMPATIBILITY_ONLY_FIELDS.has(f)).toBe(false);
      const [section, name] = f.split('.') as [string, string];
      expect(new RegExp(`\\b${section}\\??\\.${name}\\b`).test(code), f).toBe(true);
    }
  });
});

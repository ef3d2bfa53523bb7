import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigDoc } from '../scripts/config-doc.js';
import { configFields, ERROR_CODES } from '../src/index.js';

const docs = path.resolve(import.meta.dirname, '../../../docs');

describe('docs are in sync with the code', () => {
  it('docs/configuration.md is generated from the schema', () => {
    const file = path.join(docs, 'configuration.md');
    const expected = renderConfigDoc();
    if (process.env.UPDATE_CONFIG_DOC === '1') fs.writeFileSync(file, expected);
    expect(fs.readFileSync(file, 'utf8')).toBe(expected);
  });

  it('every config field and its env var appear in docs/configuration.md', () => {
    const text = fs.readFileSync(path.join(docs, 'configuration.md'), 'utf8');
    for (const f of configFields()) {
      expect(text).toContain(`\`${f.path}\``);
      expect(text).toContain(`\`${f.envVar}\``);
    }
  });

  it('every error code in ERROR_CODES is explained in docs/errors.md', () => {
    const text = fs.readFileSync(path.join(docs, 'errors.md'), 'utf8');
    for (const code of Object.keys(ERROR_CODES)) expect(text).toContain(`\`${code}\``);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';

// Docs tell the truth: every ts sample in the README runs against the real package.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const samples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('README samples', () => {
  it('has samples', () => {
    expect(samples.length).toBeGreaterThan(0);
  });

  it.each(samples.map((s, i) => [i, s] as const))('sample %i runs', (_i, sample) => {
    const body = sample.replace(/import \{([^}]*)\} from '@ffdb\/compression';/g, 'const {$1} = lib;');
    expect(body).not.toMatch(/^import /m);
    const run = new Function(
      'lib',
      `${body}\nreturn { records: typeof records === 'undefined' ? undefined : records, bytes: typeof bytes === 'undefined' ? undefined : bytes };`,
    );
    const out = run(lib) as { records?: unknown; bytes?: Uint8Array };
    expect(out.records).toEqual([{ id: 'msg_1', role: 'user', content: 'hello' }]);
    expect(new TextDecoder().decode(out.bytes)).toBe('{"a":1}\n');
  });
});

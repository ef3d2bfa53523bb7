import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * "Docs tell the truth": every ```ts sample in the core-types README and in the docs this package owns
 * is executed against the source, and the `// value` comments on console.log lines are checked.
 */
const here = import.meta.dirname;
const files = [
  path.resolve(here, '../README.md'),
  path.resolve(here, '../../../docs/configuration.md'),
  path.resolve(here, '../../../docs/errors.md'),
];
const written: string[] = [];
afterAll(() => {
  for (const f of written) fs.rmSync(f, { force: true });
});

function samples(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** `console.log(x); // expected` -> the expected text, with `…` and `<…>` as wildcards. */
function expectations(code: string): RegExp[] {
  return code
    .split('\n')
    .filter((l) => l.includes('console.log('))
    .flatMap((l) => {
      const m = /\/\/ (.*)$/.exec(l);
      if (!m) return [];
      const parts = (m[1] as string).split(/…|<[^>]*>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      return [new RegExp(`^${parts.join('.*')}$`)];
    });
}

describe('documentation samples run', () => {
  for (const file of files) {
    samples(file).forEach((code, i) => {
      it(`${path.basename(file)} sample ${i + 1}`, async () => {
        const target = path.join(here, `.doc-sample-${path.basename(file, '.md')}-${i}.ts`);
        fs.writeFileSync(target, code.replaceAll("from '@ffdb/core-types'", "from '../src/index.js'"));
        written.push(target);
        const logs: string[] = [];
        const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
          logs.push(args.map(String).join(' '));
        });
        try {
          await import(target);
        } finally {
          spy.mockRestore();
        }
        // Each commented console.log must have printed its value, in order.
        let next = 0;
        for (const re of expectations(code)) {
          while (next < logs.length && !re.test(logs[next] as string)) next++;
          expect(next, `no output matching ${re} in ${JSON.stringify(logs)}`).toBeLessThan(logs.length);
          next++;
        }
      });
    });
  }
});

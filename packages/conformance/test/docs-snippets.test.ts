import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const doc = path.resolve(pkg, '../../docs/writing-a-backend.md');

interface Block {
  info: string;
  code: string;
}

function codeBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\S*[^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    info: (m[1] ?? '').trim(),
    code: m[2] ?? '',
  }));
}

interface JsonReport {
  numFailedTests: number;
  numPassedTests: number;
}

it('docs/writing-a-backend.md: every ts block runs, except those marked fragment', async () => {
  const blocks = codeBlocks(fs.readFileSync(doc, 'utf8')).filter((b) => b.info.startsWith('ts'));
  const files = blocks.filter((b) => /\bfile=/.test(b.info));
  // Every ts block is either a runnable file or explicitly an excerpt.
  expect(blocks.every((b) => /\bfile=/.test(b.info) || /\bfragment\b/.test(b.info))).toBe(true);
  expect(files.map((b) => b.info.match(/file=(\S+)/)?.[1])).toEqual([
    'counting-backend.ts',
    'counting-backend.test.ts',
  ]);

  const dir = fs.mkdtempSync(path.join(pkg, 'test', '.docs-'));
  try {
    const srcIndex = path.join(pkg, 'src', 'index.ts');
    for (const block of files) {
      const name = (block.info.match(/file=(\S+)/)?.[1] ?? '').replace(/\.test\.ts$/, '.snippet.ts');
      // The snippet imports the published name; point it at this package's sources.
      fs.writeFileSync(
        path.join(dir, name),
        block.code.replaceAll("'@ffdb/conformance'", JSON.stringify(srcIndex)),
      );
    }
    const out = path.join(dir, 'report.json');
    const vitest = path.join(pkg, 'node_modules', 'vitest', 'vitest.mjs');
    await promisify(execFile)(
      process.execPath,
      [
        vitest,
        'run',
        '--config',
        'test/fixtures/vitest.docs.config.ts',
        '--reporter=json',
        `--outputFile=${out}`,
        dir,
      ],
      { cwd: pkg, env: { ...process.env, CI: '1' } },
    );
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as JsonReport;
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThan(30);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

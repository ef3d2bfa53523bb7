import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');

interface JsonReport {
  testResults: { assertionResults: { fullName: string; status: string }[] }[];
}

it('fails on deliberately broken adapters, exactly where they are broken', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-conformance-'));
  const out = path.join(dir, 'report.json');
  try {
    const vitest = path.join(pkg, 'node_modules', 'vitest', 'vitest.mjs');
    const run = promisify(execFile)(
      process.execPath,
      [
        vitest,
        'run',
        '--config',
        'test/fixtures/vitest.broken.config.ts',
        '--reporter=json',
        `--outputFile=${out}`,
      ],
      { cwd: pkg, env: { ...process.env, CI: '1' } },
    );
    await expect(run).rejects.toMatchObject({ code: 1 });
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as JsonReport;
    const failed = report.testResults.flatMap((f) =>
      f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName),
    );
    expect(failed.sort()).toEqual(
      [
        'Codec conformance: off-by-one-range decodeRange (when implemented) equals decode().slice for every kind of range',
        'StorageBackend conformance: leaky-keys hostile keys rejects hostile keys with FFValidationError on every method and writes nothing',
        'StorageBackend conformance: interleaving logs never interleaves concurrent append batches',
        // It also writes the first records of a batch that then fails validation.
        'StorageBackend conformance: interleaving logs rejects records that are not JSON objects, writing nothing',
        'VectorIndex conformance: upside-down finds the same neighbours as brute force, with cosine scores',
        'VectorIndex conformance: upside-down honours k, threshold and filter',
        'VectorIndex conformance: upside-down replaces an item on upsert with the same id',
        'VectorIndex conformance: upside-down returns an item as its own nearest neighbour with score ~1, also unnormalised',
      ].sort(),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

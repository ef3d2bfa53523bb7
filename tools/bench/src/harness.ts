import { execSync } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, renderTable, type Table } from './table.js';

/**
 * The benchmark harness. An area (storage, search, vector, manager) is a suite of benchmarks; each
 * benchmark measures ffdb and its peer in the same process run and returns tables plus target checks.
 * `runSuite` parses the command line, runs the selected benchmarks one after another, prints markdown
 * tables and a verdict list, and writes `results/<area>.json` + `results/<area>.md`.
 * See tools/bench/README.md for how to add a suite.
 */

export interface BenchOptions {
  /** `--quick`: smaller sizes and fewer runs, for a smoke check (figures are not for the docs). */
  quick: boolean;
  /** `--runs N`: repetitions of each measured item (default 5, quick 1). */
  runs: number;
  /** `--only B1,B4`: run only these benchmark ids. */
  only: string[] | undefined;
  /** `--no-drop-caches`: do not drop the page cache even when root (cold runs then use a fresh process only). */
  dropCaches: boolean;
  /** `--keep`: keep temp directories for inspection. */
  keep: boolean;
}

export interface TargetCheck {
  /** e.g. `B1 durable single-writer appends vs SQLite FULL`. */
  name: string;
  /** What was measured, formatted, e.g. `1.12x`. */
  measured: string;
  /** The goal, e.g. `>= 1.0x`. */
  target: string;
  pass: boolean;
}

export interface BenchOutcome {
  tables: Table[];
  checks: TargetCheck[];
}

export interface BenchContext extends BenchOptions {
  /** A fresh directory on the real disk for this benchmark (removed afterwards unless --keep). */
  tempDir(label: string): string;
  log(message: string): void;
  /** Drops the OS page cache (needs root; level 3 by default, see dropPageCache); false when it could not. */
  dropPageCache(level?: 1 | 3): boolean;
}

export interface Bench {
  /** Short id used by `--only`, e.g. `B4`. */
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}

export interface Suite {
  /** `storage`, `search`, `vector`, `manager`: names results/<area>.json. */
  area: string;
  title: string;
  /** Printed above the tables: machine, corpus, method. */
  preamble?: (tempRoot: string) => string[];
  benches: Bench[];
}

export function defineSuite(suite: Suite): Suite {
  return suite;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): BenchOptions {
  const quick = argv.includes('--quick') || process.env.FFDB_BENCH_QUICK === '1';
  const runsArg = argv.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : quick ? 1 : 5;
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs must be an integer 1..50');
  const onlyArg = argv.indexOf('--only');
  const only =
    onlyArg >= 0
      ? (argv[onlyArg + 1] ?? '')
          .split(',')
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean)
      : undefined;
  return { quick, runs, only, dropCaches: !argv.includes('--no-drop-caches'), keep: argv.includes('--keep') };
}

/**
 * Drops the page cache: `sync; echo <level> > /proc/sys/vm/drop_caches` (root only). Level 3 also
 * drops dentries and inodes, level 1 only file data.
 */
export function dropPageCache(level: 1 | 3 = 3): boolean {
  try {
    execSync('sync', { stdio: 'ignore' });
    writeFileSync('/proc/sys/vm/drop_caches', String(level));
    return true;
  } catch {
    return false;
  }
}

/** Root of the bench package (tools/bench), from dist/ or src/. */
export function benchRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Temp dirs live under the OS temp dir, which is on the same disk as the repository here (see docs). */
export function makeTempRoot(area: string): string {
  return mkdtempSync(join(tmpdir(), `ffdb-bench-${area}-`));
}

export function machineSummary(): string[] {
  let cpu = 'unknown CPU';
  try {
    cpu = execSync("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", { encoding: 'utf8' }).trim();
  } catch {}
  let cores = 0;
  try {
    cores = Number(execSync('nproc', { encoding: 'utf8' }).trim());
  } catch {}
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  return [
    `Node ${process.version}, ${cores} x ${cpu}, ${process.platform} ${process.arch}; load average ${load} at start.`,
  ];
}

/**
 * The disk's current durable-append rate (530-byte write + fsync, for `ms`): printed with storage
 * figures because this VM's disk and neighbours make it swing 10x; compare ratios from the same run.
 */
export function fsyncProbe(dir: string, ms = 1000): number {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(530, 97);
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < ms) {
    writeSync(fd, buf);
    fsyncSync(fd);
    n++;
  }
  closeSync(fd);
  rmSync(file, { force: true });
  return (n * 1000) / (Date.now() - t0);
}

export async function runSuite(
  suite: Suite,
  options: BenchOptions = parseArgs(),
): Promise<{ tables: Table[]; checks: TargetCheck[] }> {
  const root = makeTempRoot(suite.area);
  const started = new Date();
  const header = [
    `# ${suite.title} benchmarks`,
    '',
    `Run ${started.toISOString()}${options.quick ? ' (--quick: smoke sizes, not for the docs)' : ''}; runs per item: ${options.runs}.`,
    ...machineSummary(),
    ...(suite.preamble?.(root) ?? []),
  ];
  process.stdout.write(`${header.join('\n')}\n`);
  const tables: Table[] = [];
  const checks: TargetCheck[] = [];
  const failures: string[] = [];
  for (const bench of suite.benches) {
    if (options.only && !options.only.includes(bench.id.toUpperCase())) continue;
    const dirs: string[] = [];
    const ctx: BenchContext = {
      ...options,
      tempDir(label) {
        const dir = join(root, `${bench.id}-${label}-${dirs.length}`);
        mkdirSync(dir, { recursive: true });
        dirs.push(dir);
        return dir;
      },
      log(message) {
        process.stderr.write(`[${bench.id}] ${message}\n`);
      },
      dropPageCache: (level?: 1 | 3) => options.dropCaches && dropPageCache(level),
    };
    const t0 = Date.now();
    ctx.log(`${bench.title}: start`);
    try {
      const outcome = await bench.run(ctx);
      for (const t of outcome.tables) printTable(t);
      tables.push(...outcome.tables);
      checks.push(...outcome.checks);
    } catch (error) {
      const msg = `${bench.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      failures.push(msg);
      process.stdout.write(`\n${msg}\n`);
    } finally {
      ctx.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (!options.keep) for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }
  if (!options.keep) rmSync(root, { recursive: true, force: true });

  const verdict: Table = {
    title: `${suite.title}: targets`,
    columns: ['target', 'measured', 'goal', 'verdict'],
    rows: checks.map((c) => [c.name, c.measured, c.target, c.pass ? 'met' : 'MISSED']),
  };
  if (checks.length) printTable(verdict);
  const resultsDir = join(benchRoot(), 'results');
  mkdirSync(resultsDir, { recursive: true });
  // Only a full-size run of the whole suite may replace results/<area>.*, which the docs are built from.
  const suffix = options.quick ? '-quick' : options.only ? '-partial' : '';
  writeFileSync(
    join(resultsDir, `${suite.area}${suffix}.json`),
    `${JSON.stringify({ area: suite.area, started: started.toISOString(), options, tables, checks, failures }, null, 2)}\n`,
  );
  writeFileSync(
    join(resultsDir, `${suite.area}${suffix}.md`),
    `${[...header, '', ...tables.map(renderTable).flatMap((t) => [t, '']), checks.length ? renderTable(verdict) : '', ...failures].join('\n')}\n`,
  );
  if (failures.length) process.exitCode = 1;
  return { tables, checks };
}

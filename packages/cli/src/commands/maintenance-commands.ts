/** export, import [--from python], verify [--repair], compact, reindex. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type RunState, action, choiceOption } from '../cli/define.js';
import { CliError } from '../cli/errors.js';
import { renderPairs, renderTable } from '../cli/table.js';

type Progress = { done: number; total: number; item?: string };

/**
 * Progress callbacks and the abort signal are offered to every long manager call; a manager version
 * that does not take them ignores them (the bar then shows elapsed time only).
 */
function longRunning(opts: { signal: AbortSignal; onProgress: (p: Progress) => void; [k: string]: unknown }) {
  return opts as any;
}

export function registerMaintenanceCommands(program: Command, state: RunState): void {
  program
    .command('export')
    .description('write the whole store to a portable bundle directory')
    .argument('<dir>', 'destination directory (created; must be empty if it exists)')
    .action(
      action(state, async (ctx, [dir]) => {
        const m = await ctx.open();
        const bar = ctx.progress('Exporting', undefined, 'items');
        bar.start();
        const report = await m.exportData(
          dir!,
          longRunning({
            signal: ctx.signal,
            onProgress: (p: Progress) => {
              bar.setTotal(p.total);
              bar.update(p.done, p.item);
            },
          }),
        );
        bar.finish();
        ctx.checkInterrupted();
        ctx.result({ exportedTo: path.resolve(dir!), report }, () =>
          [`Exported the store to ${path.resolve(dir!)}`, summary(report)].filter(Boolean).join('\n'),
        );
      }),
    );

  program
    .command('import')
    .description('import a bundle written by `ffdb export`, or a data directory of the Python original')
    .argument('<dir>', 'directory to import')
    .option(
      '--from <format>',
      'ffdb (an export bundle) or python (the original)',
      choiceOption('--from', ['ffdb', 'python'] as const),
      'ffdb',
    )
    .option('--timezone <zone>', 'IANA zone of the naive timestamps of a Python store (default: local)')
    .option('--no-reindex', 'do not rebuild the search index afterwards')
    .action(
      action<{ from: 'ffdb' | 'python'; timezone?: string; reindex: boolean }>(
        state,
        async (ctx, [dir], o) => {
          if (!existsSync(dir!) || !statSync(dir!).isDirectory())
            throw new CliError(`not a directory: ${dir}`);
          const m = await ctx.open({ create: true });
          const bar = ctx.progress('Importing', undefined, 'items');
          const onProgress = (p: Progress) => {
            bar.setTotal(p.total);
            bar.update(p.done, p.item);
          };
          bar.start();
          const report =
            o.from === 'python'
              ? await m.importFromPython(
                  dir!,
                  longRunning({
                    ...(o.timezone ? { timezone: o.timezone } : {}),
                    rebuildIndex: o.reindex,
                    signal: ctx.signal,
                    onProgress,
                  }),
                )
              : await m.importData(dir!, longRunning({ signal: ctx.signal, onProgress }));
          bar.finish();
          ctx.checkInterrupted();
          ctx.result({ from: o.from, source: path.resolve(dir!), report }, () =>
            o.from === 'python' ? pythonSummary(report as unknown as PythonReport) : summary(report),
          );
        },
      ),
    );

  program
    .command('verify')
    .description('check checksums and index consistency; exit 1 when problems remain')
    .option('--repair', 'repair what can be repaired')
    .action(
      action<{ repair?: boolean }>(state, async (ctx, _a, o) => {
        const m = await ctx.open();
        const bar = ctx.progress('Verifying', undefined, 'items');
        bar.start();
        const report = await m.verify({ repair: o.repair === true });
        bar.finish();
        ctx.result(report, () =>
          report.ok && report.issues.length === 0
            ? 'Store verified: no problems'
            : [
                report.ok ? 'Store verified: problems repaired' : 'Store has problems:',
                renderTable(report.issues, [
                  { header: 'CODE', value: (i) => i.code },
                  { header: 'KEY', value: (i) => i.key ?? '', max: 60 },
                  { header: 'PROBLEM', value: (i) => i.message, max: 80 },
                ]),
              ].join('\n'),
        );
        if (!report.ok) state.exitCode = 1;
      }),
    );

  program
    .command('compact')
    .description('rewrite log segments, drop tombstones, merge index segments')
    .action(
      action(state, async (ctx) => {
        const m = await ctx.open();
        const bar = ctx.progress('Compacting', undefined, 'items');
        bar.start();
        const started = Date.now();
        const report = await m.compact(
          longRunning({
            signal: ctx.signal,
            onProgress: (p: Progress) => {
              bar.setTotal(p.total);
              bar.update(p.done, p.item);
            },
          }),
        );
        bar.finish();
        ctx.result({ durationMs: Date.now() - started, report: report ?? null }, () =>
          [`Compacted in ${((Date.now() - started) / 1000).toFixed(2)} s`, summary(report)]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );

  program
    .command('reindex')
    .description('rebuild the full-text search index from the stored data')
    .option('--user <userId>', 'only this user')
    .action(
      action<{ user?: string }>(state, async (ctx, _a, o) => {
        const m = await ctx.open();
        const users = o.user ? [o.user] : await m.listUsers();
        if (o.user && !(await m.userExists(o.user))) throw new CliError(`user ${o.user} not found`);
        const bar = ctx.progress('Reindexing', users.length, 'users');
        const started = Date.now();
        let done = 0;
        for (const u of users) {
          ctx.checkInterrupted();
          await m.rebuildSearchIndex(u);
          bar.update(++done, u);
        }
        bar.finish();
        ctx.result(
          { users: done, durationMs: Date.now() - started },
          () =>
            `Rebuilt the search index of ${done} user${done === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(2)} s`,
        );
      }),
    );
}

interface PythonReport {
  imported: Record<string, number>;
  existing: Record<string, number>;
  skippedCount: number;
  skipped: { path: string; reason: string }[];
  timeZone: string;
  durationMs: number;
}

/** The Python import: a table of what was imported or already there, then what was skipped and why. */
function pythonSummary(r: PythonReport): string {
  const kinds = Object.keys(r.imported);
  const lines = [
    `Imported in ${(r.durationMs / 1000).toFixed(2)} s (naive timestamps read as ${r.timeZone})`,
    renderTable(kinds, [
      { header: 'KIND', value: (k) => k },
      { header: 'IMPORTED', value: (k) => r.imported[k], align: 'right' },
      { header: 'EXISTING', value: (k) => r.existing[k] ?? 0, align: 'right' },
    ]),
  ];
  if (r.skippedCount > 0) {
    lines.push(`Skipped ${r.skippedCount}:`);
    for (const s of r.skipped) lines.push(`  ${s.path}: ${s.reason}`);
    if (r.skippedCount > r.skipped.length) lines.push(`  … and ${r.skippedCount - r.skipped.length} more`);
  }
  return lines.join('\n');
}

/** Flattens a report object into aligned lines (nested counts become `imported.messages`). */
function summary(report: unknown): string {
  if (report === null || typeof report !== 'object') return '';
  const pairs: [string, unknown][] = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      if (Array.isArray(v)) {
        if (k === 'skipped' && v.length > 0) {
          for (const s of v.slice(0, 10) as { path: string; reason: string }[])
            pairs.push(['skipped', `${s.path}: ${s.reason}`]);
        } else pairs.push([prefix + k, v.length]);
      } else if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, `${prefix}${k}.`);
      else pairs.push([prefix + k, v]);
    }
  };
  walk(report as Record<string, unknown>, '');
  return renderPairs(pairs);
}

/** export, import [--from python], verify [--repair], compact [--archive], reindex. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ProgressInfo } from '@ffdb/manager';
import type { Command } from 'commander';
import { type RunState, action, choiceOption, intOption } from '../cli/define.js';
import type { CliContext } from '../cli/context.js';
import { CliError, usageError } from '../cli/errors.js';
import type { ProgressBar } from '../cli/progress.js';
import { renderPairs, renderTable } from '../cli/table.js';

/**
 * The progress callback and abort signal every long manager call takes (export, import, verify,
 * compact): each `{ done, total, item }` report moves the bar, so it shows rate and ETA. Ctrl-C aborts
 * the signal; the call stops between units and resolves, and the command then exits as interrupted.
 */
function longRunning(
  ctx: CliContext,
  bar: ProgressBar,
): { signal: AbortSignal; onProgress: (p: ProgressInfo) => void } {
  return {
    signal: ctx.signal,
    onProgress: (p: ProgressInfo) => {
      bar.setTotal(p.total);
      bar.update(p.done, p.item);
    },
  };
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
        const report = await m.exportData(dir!, longRunning(ctx, bar));
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
    .option(
      '--timezone <zone>',
      'with --from python: IANA zone of the naive timestamps of the Python store (default: local)',
    )
    .option(
      '--no-reindex',
      'with --from python: do not rebuild the search index afterwards (a bundle is indexed as it is imported)',
    )
    .action(
      action<{ from: 'ffdb' | 'python'; timezone?: string; reindex: boolean }>(
        state,
        async (ctx, [dir], o) => {
          if (!existsSync(dir!) || !statSync(dir!).isDirectory())
            throw new CliError(`not a directory: ${dir}`);
          // What can be checked without the store is checked first: a refused import creates nothing.
          if (o.from === 'ffdb' && !existsSync(path.join(dir!, 'manifest.json'))) {
            throw usageError(
              `${dir} has no manifest.json (not an ffdb bundle; --from python for the original)`,
            );
          }
          // Options of the Python import only: accepting them for a bundle would ignore them silently.
          if (o.from === 'ffdb' && (o.timezone !== undefined || o.reindex === false)) {
            throw usageError(
              `${o.timezone !== undefined ? '--timezone' : '--no-reindex'} applies to --from python only`,
            );
          }
          if (o.timezone !== undefined && !isTimeZone(o.timezone)) {
            throw usageError(`--timezone: ${JSON.stringify(o.timezone)} is not an IANA time zone name`);
          }
          const m = await ctx.open({ create: true });
          const bar = ctx.progress('Importing', undefined, 'items');
          bar.start();
          const report =
            o.from === 'python'
              ? await m.importFromPython(dir!, {
                  ...(o.timezone ? { timezone: o.timezone } : {}),
                  rebuildIndex: o.reindex,
                  ...longRunning(ctx, bar),
                })
              : await m.importData(dir!, longRunning(ctx, bar));
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
        const report = await m.verify({ repair: o.repair === true, ...longRunning(ctx, bar) });
        bar.finish();
        // An aborted verify checked only part of the store: report the interruption, not "problems".
        ctx.checkInterrupted();
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
    .option('--archive', 'move every sealed segment to the archive tier now (compression.archiveAlgorithm)')
    .option(
      '--older-than-days <n>',
      'archive segments older than n days (default compression.archiveAfterDays)',
      intOption('--older-than-days', 0),
    )
    .action(
      action<{ archive?: boolean; olderThanDays?: number }>(state, async (ctx, _a, o) => {
        const m = await ctx.open();
        const bar = ctx.progress('Compacting', undefined, 'items');
        bar.start();
        const started = Date.now();
        const report = await m.compact({
          ...(o.archive ? { archive: true } : {}),
          ...(o.olderThanDays !== undefined ? { olderThanDays: o.olderThanDays } : {}),
          ...longRunning(ctx, bar),
        });
        bar.finish();
        ctx.checkInterrupted();
        ctx.result({ durationMs: Date.now() - started, report: report ?? null }, () =>
          [`Compacted in ${((Date.now() - started) / 1000).toFixed(2)} s`, summary(report)]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );

  program
    .command('reindex')
    .description(
      'rebuild the full-text search index from the stored data; --vectors re-embeds the vector indexes with the configured provider instead',
    )
    .option('--user <userId>', 'only this user')
    .option(
      '--vectors',
      'rebuild the vector indexes in the default embedding space (after a change of provider, model or dimension)',
    )
    .action(
      action<{ user?: string; vectors?: boolean }>(state, async (ctx, _a, o) => {
        const m = await ctx.open();
        const users = o.user ? [o.user] : await m.listUsers();
        if (o.user && !(await m.userExists(o.user))) throw new CliError(`user ${o.user} not found`);
        if (o.vectors) {
          await reembed(ctx, m, users);
          return;
        }
        // One call per user, so Ctrl-C stops between users. The bar counts messages: the search
        // feature reports each user's total as it starts, so the total grows user by user.
        const bar = ctx.progress('Reindexing', undefined, 'msgs');
        bar.start();
        const started = Date.now();
        let done = 0;
        let finishedMessages = 0;
        try {
          for (const u of users) {
            ctx.checkInterrupted();
            const item = `${u} (${done + 1}/${users.length} users)`;
            const report = await m.rebuildSearchIndex(u, {
              onProgress: (p) => {
                bar.setTotal(finishedMessages + p.total);
                bar.update(finishedMessages + p.done, item);
              },
            });
            finishedMessages += report.messages;
            done++;
          }
        } finally {
          bar.finish();
        }
        ctx.result(
          { users: done, durationMs: Date.now() - started },
          () =>
            `Rebuilt the search index of ${done} user${done === 1 ? '' : 's'} (${finishedMessages} message${finishedMessages === 1 ? '' : 's'}) in ${((Date.now() - started) / 1000).toFixed(2)} s`,
        );
      }),
    );
}

/** `reindex --vectors`: one rebuildVectorIndex call per user, so Ctrl-C stops between users. */
async function reembed(
  ctx: CliContext,
  m: Awaited<ReturnType<CliContext['open']>>,
  users: readonly string[],
): Promise<void> {
  const bar = ctx.progress('Re-embedding', users.length, 'users');
  bar.start();
  const started = Date.now();
  const total = { users: 0, chunks: 0, messages: 0 };
  let space: { provider: string; model: string; dimension: number } | undefined;
  try {
    for (const u of users) {
      ctx.checkInterrupted();
      const r = await m.rebuildVectorIndex(u);
      total.users += r.users;
      total.chunks += r.chunks;
      total.messages += r.messages;
      space = r.space;
      bar.update(total.users, u);
    }
  } finally {
    bar.finish();
  }
  const durationMs = Date.now() - started;
  ctx.result({ ...total, ...(space ? { space } : {}), durationMs }, () =>
    [
      `Re-embedded the vector index of ${total.users} user${total.users === 1 ? '' : 's'}: ${total.chunks} document chunks, ${total.messages} messages in ${(durationMs / 1000).toFixed(2)} s`,
      space ? `space: ${space.provider} / ${space.model} / ${space.dimension} dimensions` : '',
    ]
      .filter(Boolean)
      .join('\n'),
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

/** Whether the runtime knows `zone` as an IANA time zone (as the importer will check it). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

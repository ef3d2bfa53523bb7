/** init, config show|validate, users and sessions. */
import { readFileSync } from 'node:fs';
import { configSummary, validateConfig } from '@ffdb/core-types';
import type { Command } from 'commander';
import { CliContext } from '../cli/context.js';
import { type RunState, action, intOption } from '../cli/define.js';
import { CliError } from '../cli/errors.js';
import { messagesText, sessionsTable, shortTime } from '../cli/render.js';
import { renderPairs, renderTable } from '../cli/table.js';

/** Nested settings as dotted keys (`storage.basePath`); arrays and empty objects stay inline JSON. */
function flatten(obj: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      out.push(...flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    } else out.push([prefix + k, v]);
  }
  return out;
}

/** Keys whose values are credentials: `config show` prints that they are set, never what they are. */
const SECRET_KEY = /(api_?key|secret|password|token|credential)s?$/i;

/** A copy of the configuration with every credential replaced by `<redacted>` (when set). */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && typeof v === 'string' && v !== '' ? '<redacted>' : redactSecrets(v);
  }
  return out;
}

export function registerStoreCommands(program: Command, state: RunState): void {
  program
    .command('init')
    .description('create an empty store in the data directory (idempotent)')
    .action(
      action(state, async (ctx) => {
        const base = ctx.basePath();
        const existed = CliContext.isStore(base);
        const m = await ctx.open({ create: true });
        const health = (await m.healthCheck()) as { healthy: boolean };
        ctx.result({ basePath: base, created: !existed, healthy: health.healthy }, () =>
          existed ? `Store already initialised at ${base}` : `Initialised an empty store at ${base}`,
        );
      }),
    );

  const config = program.command('config').description('show or validate the effective configuration');
  config
    .command('show')
    .description(
      'print the effective configuration (defaults, preset, file, CHATDB_* env, --data) as dotted keys; credentials (API keys, secrets, tokens) print as <redacted>',
    )
    .option('--summary', 'only the summary fields')
    .action(
      action<{ summary?: boolean }>(state, async (ctx, _args, opts) => {
        const loaded = ctx.loadConfig();
        const summary = configSummary(loaded) as unknown as Record<string, unknown>;
        const cfg = redactSecrets(loaded);
        ctx.result(opts.summary ? summary : cfg, () =>
          renderPairs(
            opts.summary ? Object.entries(summary) : flatten(cfg as unknown as Record<string, unknown>),
          ),
        );
      }),
    );
  config
    .command('validate')
    .description(
      'validate a JSON config file (default: --config or $CHATDB_CONFIG_PATH); exit 1 when invalid',
    )
    .argument('[file]', 'config file to check')
    .action(
      action(state, async (ctx, [file]) => {
        const target = file ?? ctx.opts.config ?? ctx.io.env.CHATDB_CONFIG_PATH;
        let issues: { path: string; message: string }[];
        if (target) {
          let input: unknown;
          try {
            input = JSON.parse(readFileSync(target, 'utf8'));
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            const why =
              code === 'ENOENT'
                ? 'not found'
                : code === 'EISDIR'
                  ? 'is a directory'
                  : code !== undefined
                    ? `cannot be read (${code})`
                    : 'not valid JSON';
            throw new CliError(`config file ${target}: ${why}`);
          }
          issues = validateConfig(input) as { path: string; message: string }[];
        } else {
          // No file: validate the layers that apply (preset + env + --data).
          try {
            ctx.loadConfig();
            issues = [];
          } catch (e) {
            issues = ((e as { issues?: { path: string; message: string }[] }).issues ?? [
              { path: '', message: (e as Error).message },
            ]) as { path: string; message: string }[];
          }
        }
        const valid = issues.length === 0;
        ctx.result({ valid, file: target ?? null, issues }, () =>
          valid
            ? `Configuration is valid${target ? ` (${target})` : ''}`
            : renderTable(issues, [
                { header: 'PATH', value: (i) => i.path },
                { header: 'PROBLEM', value: (i) => i.message },
              ]),
        );
        if (!valid) state.exitCode = 1;
      }),
    );

  const user = program.command('user').description('manage users');
  user
    .command('add')
    .description('create a user')
    .argument('<userId>', 'user id: letters, digits, _ . @ - (1-100 characters)')
    .option('--username <name>', 'display name')
    .action(
      action<{ username?: string }>(state, async (ctx, [userId], opts) => {
        const m = await ctx.open({ create: 'where-nothing-is' });
        const created = await m.createUser(
          userId!,
          opts.username !== undefined ? { username: opts.username } : {},
        );
        if (!created) throw new CliError(`user ${userId} already exists`);
        const profile = await m.getUserProfile(userId!);
        ctx.result(profile, () => `Created user ${userId}`);
      }),
    );
  user
    .command('list')
    .description('list users')
    .option('--limit <n>', 'at most n users', intOption('--limit', 1))
    .option('--offset <n>', 'skip n users', intOption('--offset', 0))
    .action(
      action<{ limit?: number; offset?: number }>(state, async (ctx, _a, opts) => {
        const m = await ctx.open();
        const ids = await m.listUsers({
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
          ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
        });
        const rows: { userId: string; username: string; createdAt: string | null }[] = [];
        for (const id of ids) {
          const p = await m.getUserProfile(id);
          rows.push({ userId: id, username: p?.username ?? '', createdAt: p?.createdAt ?? null });
        }
        ctx.result(rows, () =>
          rows.length === 0
            ? '(no users)'
            : renderTable(rows, [
                { header: 'USER', value: (r) => r.userId },
                { header: 'USERNAME', value: (r) => r.username, max: 30 },
                { header: 'CREATED', value: (r) => shortTime(r.createdAt) },
              ]),
        );
      }),
    );
  user
    .command('show')
    .description("show a user's profile and statistics")
    .argument('<userId>')
    .action(
      action(state, async (ctx, [userId]) => {
        const m = await ctx.open();
        const profile = await m.getUserProfile(userId!);
        const stats = await m.getUserStats(userId!);
        if (!profile || !stats) throw new CliError(`user ${userId} not found`);
        ctx.result({ profile, stats }, () =>
          renderPairs([
            ['user', profile.userId],
            ['username', profile.username],
            ['created', shortTime(profile.createdAt)],
            ['sessions', stats.sessionCount],
            ['messages', stats.messageCount],
            ['documents', stats.documentCount],
            ['size (bytes)', stats.totalSizeBytes],
            ['last activity', shortTime(stats.lastActivity)],
            ['preferences', profile.preferences],
          ]),
        );
      }),
    );
  user
    .command('delete')
    .description('delete a user; --force also deletes their sessions, messages and documents')
    .argument('<userId>')
    .option('--force', 'delete even when the user still has sessions')
    .action(
      action<{ force?: boolean }>(state, async (ctx, [userId], opts) => {
        const m = await ctx.open();
        if (!(await m.userExists(userId!))) throw new CliError(`user ${userId} not found`);
        const deleted = await m.deleteUser(userId!, { force: opts.force === true });
        if (!deleted)
          throw new CliError(`user ${userId} still has sessions; use --force to delete everything`);
        ctx.result({ deleted: true, userId }, () => `Deleted user ${userId}`);
      }),
    );

  const session = program.command('session').description('manage sessions');
  session
    .command('new')
    .description('create a session (creates the user when missing)')
    .argument('<userId>')
    .option('--title <title>', 'session title')
    .option('--type <type>', 'chat, panel, debate, problem_solving', 'chat')
    .action(
      action<{ title?: string; type: string }>(state, async (ctx, [userId], opts) => {
        const m = await ctx.open({ create: 'where-nothing-is' });
        const id = await m.createSession(userId!, opts.title, { sessionType: opts.type });
        const s = await m.getSession(userId!, id);
        ctx.result(s, () => id);
      }),
    );
  session
    .command('list')
    .description("list a user's sessions, newest activity first")
    .argument('<userId>')
    .option('--limit <n>', 'at most n sessions', intOption('--limit', 1))
    .option('--offset <n>', 'skip n sessions', intOption('--offset', 0))
    .option('--type <type>', 'only sessions of this type')
    .option('--oldest', 'oldest first')
    .action(
      action<{ limit?: number; offset?: number; type?: string; oldest?: boolean }>(
        state,
        async (ctx, [userId], o) => {
          const m = await ctx.open();
          const list = await m.listSessions(userId!, {
            ...(o.limit !== undefined ? { limit: o.limit } : {}),
            ...(o.offset !== undefined ? { offset: o.offset } : {}),
            ...(o.type !== undefined ? { sessionType: o.type } : {}),
            order: o.oldest ? 'oldest' : 'newest',
          });
          ctx.result(list, () => sessionsTable(list));
        },
      ),
    );
  session
    .command('show')
    .description('show a session and its latest messages')
    .argument('<userId>')
    .argument('<sessionId>')
    .option('--limit <n>', 'messages to show', intOption('--limit', 0), 20)
    .action(
      action<{ limit: number }>(state, async (ctx, [userId, sessionId], o) => {
        const m = await ctx.open();
        const s = await m.getSession(userId!, sessionId!);
        if (!s) throw new CliError(`session ${sessionId} of user ${userId} not found`);
        const messages = o.limit > 0 ? await m.getRecentMessages(userId!, sessionId!, o.limit) : [];
        ctx.result({ session: s, messages }, () =>
          [
            renderPairs([
              ['session', s.sessionId],
              ['user', s.userId],
              ['title', s.title],
              ['type', s.sessionType],
              ['messages', s.messageCount],
              ['created', shortTime(s.createdAt)],
              ['updated', shortTime(s.updatedAt)],
            ]),
            '',
            messagesText(messages, ctx.style),
          ].join('\n'),
        );
      }),
    );
  session
    .command('delete')
    .description('delete a session with its messages, documents and context')
    .argument('<userId>')
    .argument('<sessionId>')
    .action(
      action(state, async (ctx, [userId, sessionId]) => {
        const m = await ctx.open();
        if (!(await m.deleteSession(userId!, sessionId!))) {
          throw new CliError(`session ${sessionId} of user ${userId} not found`);
        }
        ctx.result({ deleted: true, userId, sessionId }, () => `Deleted session ${sessionId}`);
      }),
    );
}

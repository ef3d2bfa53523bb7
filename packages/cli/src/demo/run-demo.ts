/**
 * `ffdb demo`: seeds the sample (idempotently: a session that is already complete is left alone, a
 * partial one from an interrupted run is replaced) and then shows what ffdb does with it.
 */
import path from 'node:path';
import type { Message, SearchResult } from '@ffdb/core-types';
import type { CliContext } from '../cli/context.js';
import { messagesText, searchHitText } from '../cli/render.js';
import { renderPairs, renderTable } from '../cli/table.js';
import { runSearch } from '../commands/content-commands.js';
import { DEMO_QUERIES, type SampleData, buildSample } from './sample.js';

type Manager = Awaited<ReturnType<CliContext['open']>>;

export interface SeedReport {
  users: number;
  sessionsCreated: number;
  sessionsKept: number;
  messagesAdded: number;
  documentsAdded: number;
  personasAdded: number;
  durationMs: number;
}

/** Finds the demo session with this key, or null. */
async function findSession(m: Manager, userId: string, key: string) {
  const sessions = await m.listSessions(userId);
  return sessions.find((s) => (s.metadata as { demoKey?: unknown }).demoKey === key) ?? null;
}

async function optional<T>(fn: () => Promise<T>): Promise<T | { unavailable: string }> {
  try {
    return await fn();
  } catch (e) {
    return { unavailable: (e as Error).message.split('\n')[0] ?? 'unavailable' };
  }
}

export async function seedSample(ctx: CliContext, m: Manager, sample: SampleData): Promise<SeedReport> {
  const started = Date.now();
  const total = sample.users.reduce((n, u) => n + u.sessions.reduce((k, s) => k + s.messages.length, 0), 0);
  const bar = ctx.progress('Seeding', total, 'msgs');
  const report: SeedReport = {
    users: sample.users.length,
    sessionsCreated: 0,
    sessionsKept: 0,
    messagesAdded: 0,
    documentsAdded: 0,
    personasAdded: 0,
    durationMs: 0,
  };
  const sessionIds = new Map<string, { userId: string; sessionId: string }>();
  let done = 0;
  for (const user of sample.users) {
    ctx.checkInterrupted();
    if (!(await m.userExists(user.userId))) await m.createUser(user.userId, { username: user.username });
    for (const s of user.sessions) {
      ctx.checkInterrupted();
      let existing = await findSession(m, user.userId, s.key);
      if (existing && existing.messageCount !== s.messages.length) {
        await m.deleteSession(user.userId, existing.sessionId);
        existing = null;
      }
      if (existing) {
        report.sessionsKept++;
        sessionIds.set(s.key, { userId: user.userId, sessionId: existing.sessionId });
        done += s.messages.length;
        bar.update(done, s.key);
        continue;
      }
      const sessionId = await m.createSession(user.userId, s.title, {
        metadata: { demoKey: s.key, source: `Brown corpus sample ${s.sample}` },
      });
      sessionIds.set(s.key, { userId: user.userId, sessionId });
      // Batches keep the bar moving; each batch is one durable group commit.
      for (let i = 0; i < s.messages.length; i += 10) {
        ctx.checkInterrupted();
        const batch = s.messages
          .slice(i, i + 10)
          .map((msg) => ({ ...msg, metadata: { enableEmbeddings: true } }));
        await m.addMessages(user.userId, sessionId, batch);
        done += batch.length;
        report.messagesAdded += batch.length;
        bar.update(done, s.key);
      }
      report.sessionsCreated++;
    }
  }
  bar.finish();
  for (const doc of sample.documents) {
    ctx.checkInterrupted();
    const where = sessionIds.get(doc.sessionKey);
    if (!where) continue;
    const docs = await m.listDocuments(where.userId, where.sessionId);
    if (docs.some((d) => d.originalName === doc.filename)) continue;
    const processed = await optional(() =>
      m.processDocument({ filename: doc.filename, content: doc.content }, where.userId, where.sessionId),
    );
    if ('unavailable' in processed || !processed.success) {
      // Without vector search the document is still stored for full-text search.
      await m.saveDocument(where.userId, where.sessionId, doc.filename, doc.content);
    }
    report.documentsAdded++;
  }
  for (const p of sample.personas) {
    const existing = await optional(() => m.getPersona(p.personaId));
    if (existing === null) {
      await optional(() => m.createPersona({ ...p, isGlobal: true }));
      report.personasAdded++;
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}

function hits(
  ctx: CliContext,
  title: string,
  query: string,
  results: SearchResult[] | { unavailable: string },
) {
  const lines = [ctx.style.bold(`${title}: "${query}"`)];
  if ('unavailable' in results) lines.push(`  (not available: ${results.unavailable})`);
  else if (results.length === 0) lines.push('  (no results)');
  else lines.push(...results.map((r, i) => searchHitText(r, ctx.style, i + 1)));
  return lines.join('\n');
}

/** `./data` when the store is under the working directory, the absolute path otherwise. */
function displayPath(base: string): string {
  const rel = path.relative(process.cwd(), base);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? base : `./${rel}`;
}

/**
 * How to run this CLI again, for the "Try next" lines: `node <path to bin.js>` when it was started that
 * way (in this repository, from any directory), else the installed `ffdb` binary.
 */
function invocation(script = process.argv[1] ?? ''): string {
  if (path.basename(script) === 'bin.js' && path.basename(path.dirname(script)) === 'dist') {
    const shown = displayPath(script);
    return `node ${shown.startsWith('./') ? shown.slice(2) : shown}`;
  }
  return 'ffdb';
}

export async function runDemo(ctx: CliContext, opts: { seedOnly?: boolean }): Promise<void> {
  const base = ctx.basePath();
  const where = displayPath(base);
  const again = invocation();
  ctx.note(`ffdb demo — store at ${base}`);
  const m = await ctx.open({ create: true });
  const sample = buildSample();
  const seed = await seedSample(ctx, m, sample);
  ctx.note(
    seed.sessionsCreated > 0
      ? `Seeded ${seed.messagesAdded} messages in ${seed.sessionsCreated} sessions, ${seed.documentsAdded} documents (${(seed.durationMs / 1000).toFixed(1)} s)`
      : 'Sample data already present; nothing added',
  );
  if (opts.seedOnly) {
    ctx.result({ basePath: base, seed }, () => undefined);
    return;
  }
  const q = DEMO_QUERIES;
  const first = (await m.listSessions(q.user)).find(
    (s) => (s.metadata as { demoKey?: unknown }).demoKey === 'ada-news',
  );
  const shown: Message[] = first ? await m.getMessages(q.user, first.sessionId, { limit: 6 }) : [];
  const fts = await optional(() => runSearch(m, q.user, q.fts, 'fts', 5));
  const semantic = await optional(() => runSearch(m, q.user, q.semantic, 'vector', 5));
  const hybrid = await optional(() => runSearch(m, q.user, q.hybrid, 'hybrid', 5));
  const storage = await m.getStorageStats();
  const perUser: NonNullable<Awaited<ReturnType<Manager['getUserStats']>>>[] = [];
  for (const u of sample.users) {
    const stats = await m.getUserStats(u.userId); // the demo just created every sample user
    if (stats) perUser.push(stats);
  }

  ctx.result(
    {
      basePath: base,
      seed,
      session: first ? { ...first, messages: shown } : null,
      fts,
      semantic,
      hybrid,
      stats: { storage, users: perUser },
    },
    () =>
      [
        '',
        ctx.style.bold(
          `1. A session: ${first?.title ?? '(missing)'}  (${first?.sessionId ?? ''}, ${first?.messageCount ?? 0} messages)`,
        ),
        messagesText(shown, ctx.style),
        '',
        hits(ctx, '2. Full-text search (BM25, highlights marked)', q.fts, fts),
        '',
        hits(ctx, '3. Semantic search (vectors)', q.semantic, semantic),
        '',
        hits(ctx, '4. Hybrid search (full text + vectors)', q.hybrid, hybrid),
        '',
        ctx.style.bold('5. Statistics'),
        renderPairs([
          ['users', storage.userCount],
          ['sessions', storage.sessionCount],
          ['messages', storage.messageCount],
          ['documents', storage.documentCount],
          ['size on disk (bytes)', storage.totalSizeBytes],
          ['compression ratio', storage.compressionRatio],
        ]),
        '',
        renderTable(perUser, [
          { header: 'USER', value: (s) => s.userId },
          { header: 'SESSIONS', value: (s) => s.sessionCount, align: 'right' },
          { header: 'MESSAGES', value: (s) => s.messageCount, align: 'right' },
          { header: 'DOCUMENTS', value: (s) => s.documentCount, align: 'right' },
          { header: 'BYTES', value: (s) => s.totalSizeBytes, align: 'right' },
        ]),
        '',
        'Try next:',
        `  ${again} --data ${where} search ada "moon" --mode hybrid`,
        `  ${again} --data ${where} session list grace`,
        `  ${again} --data ${where} chat --user ada`,
      ].join('\n'),
  );
}

/** msg add|list|tail, doc add|list|get|process, search, stats. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Message, SearchResult } from '@ffdb/core-types';
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { type RunState, action, choiceOption, intOption } from '../cli/define.js';
import { CliError } from '../cli/errors.js';
import { messageLine, messagesText, searchHitText, shortTime } from '../cli/render.js';
import { renderPairs, renderTable } from '../cli/table.js';

async function requireSession(ctx: CliContext, userId: string, sessionId: string) {
  const m = await ctx.open();
  const s = await m.getSession(userId, sessionId);
  if (!s) throw new CliError(`session ${sessionId} of user ${userId} not found`);
  return m;
}

/**
 * All of stdin, read as a stream: a synchronous read of fd 0 fails with EAGAIN on a non-blocking pipe
 * once it holds less than the rest of the text. The one trailing newline `echo … |` adds is dropped.
 */
async function readStdin(input: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerContentCommands(program: Command, state: RunState): void {
  const msg = program.command('msg').description('add and read messages');
  msg
    .command('add')
    .description('append a message to a session (content "-" reads stdin)')
    .argument('<userId>')
    .argument('<sessionId>')
    .argument('<content>', 'message text, or - to read it from stdin (its one trailing newline dropped)')
    .option('--role <role>', 'user, assistant, system or a persona id', 'user')
    .option('--metadata <json>', 'metadata object as JSON')
    .action(
      action<{ role: string; metadata?: string }>(state, async (ctx, [userId, sessionId, content], o) => {
        let metadata: Record<string, unknown> | undefined;
        if (o.metadata !== undefined) {
          try {
            metadata = JSON.parse(o.metadata);
          } catch {
            throw new CliError('--metadata must be a JSON object', 2, 'CLI_USAGE');
          }
        }
        const m = await requireSession(ctx, userId!, sessionId!);
        // The run's stdin (run(argv, io) in-process), not necessarily the process's.
        const text = content === '-' ? await readStdin(ctx.io.stdin) : content!;
        const [stored] = await m.addMessages(userId!, sessionId!, [
          { role: o.role, content: text, ...(metadata ? { metadata } : {}) },
        ]);
        ctx.result(stored, () => stored?.messageId);
      }),
    );
  msg
    .command('list')
    .description('list messages, oldest first')
    .argument('<userId>')
    .argument('<sessionId>')
    .option('--limit <n>', 'at most n messages (default search.defaultPageSize)', intOption('--limit', 1))
    .option('--offset <n>', 'skip n messages', intOption('--offset', 0))
    .option('--reverse', 'newest first')
    .option('--all', 'every message, no limit')
    .action(
      action<{ limit?: number; offset?: number; reverse?: boolean; all?: boolean }>(
        state,
        async (ctx, [userId, sessionId], o) => {
          const m = await requireSession(ctx, userId!, sessionId!);
          let list: Message[];
          if (o.all) {
            list = await m.getAllMessages(userId!, sessionId!);
            if (o.reverse) list.reverse();
          } else {
            list = await m.getMessages(userId!, sessionId!, {
              ...(o.limit !== undefined ? { limit: o.limit } : {}),
              ...(o.offset !== undefined ? { offset: o.offset } : {}),
              ...(o.reverse ? { reverse: true } : {}),
            });
          }
          ctx.result(list, () => messagesText(list, ctx.style));
        },
      ),
    );
  msg
    .command('tail')
    .description(
      'print the last messages; --follow keeps printing new ones until Ctrl-C (JSON Lines with --json; a streamed reply is printed when it starts and again when it ends)',
    )
    .argument('<userId>')
    .argument('<sessionId>')
    .option('-n, --lines <n>', 'how many of the latest messages', intOption('--lines', 0), 10)
    .option('-f, --follow', 'keep waiting for new messages (also from other processes)')
    .action(
      action<{ lines: number; follow?: boolean }>(state, async (ctx, [userId, sessionId], o) => {
        const m = await requireSession(ctx, userId!, sessionId!);
        if (!o.follow) {
          const recent = o.lines > 0 ? await m.getRecentMessages(userId!, sessionId!, o.lines) : [];
          ctx.result(recent, () => messagesText(recent, ctx.style));
          return;
        }
        const emit = (msgs: readonly Message[]) => {
          for (const x of msgs) {
            ctx.io.stdout.write(ctx.json ? `${JSON.stringify(x)}\n` : `${messageLine(x, ctx.style)}\n`);
          }
        };
        // One stream from the first of the last `lines` messages: it reads what is stored, then follows
        // (a message appended in between is neither lost nor printed twice), and prints a streamed reply
        // again when it ends.
        const count = await m.countMessages(userId!, sessionId!);
        try {
          for await (const batch of m.streamMessages(userId!, sessionId!, {
            startOffset: count - Math.min(o.lines, count),
            follow: true,
            signal: ctx.signal,
          })) {
            emit(batch);
          }
        } catch (e) {
          if (!ctx.signal.aborted) throw e;
        }
        // A follow has no end of its own: Ctrl-C, or the SIGTERM of `kill`, `timeout` or a supervisor
        // (Node's child.kill() too), is how it ends (API.md §6.13: aborting a follow ends it quietly).
        // The store is closed as usual and the exit code is 0, with no error line.
        const by = ctx.interruptedBy();
        if (by !== 'SIGINT' && by !== 'SIGTERM') ctx.checkInterrupted();
      }),
    );

  const doc = program.command('doc').description('store and read documents');
  doc
    .command('add')
    .description('store a file as a document of a session')
    .argument('<userId>')
    .argument('<sessionId>')
    .argument('<file>')
    .action(
      action(state, async (ctx, [userId, sessionId, file]) => {
        const bytes = readBytes(file!);
        const m = await requireSession(ctx, userId!, sessionId!);
        const id = await m.saveDocument(userId!, sessionId!, path.basename(file!), bytes);
        const info = await m.getDocumentInfo(userId!, sessionId!, id);
        ctx.result(info, () => id);
      }),
    );
  doc
    .command('list')
    .description("list a session's documents")
    .argument('<userId>')
    .argument('<sessionId>')
    .action(
      action(state, async (ctx, [userId, sessionId]) => {
        const m = await requireSession(ctx, userId!, sessionId!);
        const docs = await m.listDocuments(userId!, sessionId!);
        ctx.result(docs, () =>
          docs.length === 0
            ? '(no documents)'
            : renderTable(docs, [
                { header: 'DOCUMENT', value: (d) => d.documentId },
                { header: 'NAME', value: (d) => d.originalName, max: 30 },
                { header: 'TYPE', value: (d) => d.mimeType },
                { header: 'BYTES', value: (d) => d.size, align: 'right' },
                { header: 'UPLOADED', value: (d) => shortTime(d.uploadedAt) },
              ]),
        );
      }),
    );
  doc
    .command('get')
    .description('write a document to stdout or --output FILE (with --json: its record)')
    .argument('<userId>')
    .argument('<sessionId>')
    .argument('<documentId>')
    .option('-o, --output <file>', 'write the bytes to this file')
    .action(
      action<{ output?: string }>(state, async (ctx, [userId, sessionId, documentId], o) => {
        const m = await requireSession(ctx, userId!, sessionId!);
        const info = await m.getDocumentInfo(userId!, sessionId!, documentId!);
        const bytes = info ? await m.getDocument(userId!, sessionId!, documentId!) : null;
        if (!info || !bytes) throw new CliError(`document ${documentId} not found in session ${sessionId}`);
        if (o.output) {
          try {
            writeFileSync(o.output, bytes);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? 'error';
            const why = code === 'EISDIR' ? 'is a directory' : `cannot be written (${code})`;
            throw new CliError(`--output ${o.output}: ${why}`);
          }
        }
        if (ctx.json) {
          ctx.result(
            { ...info, ...(o.output ? { writtenTo: path.resolve(o.output) } : {}) },
            () => undefined,
          );
        } else if (o.output) {
          ctx.say(`Wrote ${bytes.byteLength} bytes to ${o.output}`);
        } else {
          ctx.io.stdout.write(bytes);
        }
      }),
    );
  doc
    .command('process')
    .description('extract, chunk, embed and index a file for semantic search')
    .argument('<userId>')
    .argument('<sessionId>')
    .argument('<file>')
    .option('--strategy <name>', 'chunking strategy')
    .option('--provider <name>', 'embedding provider')
    .action(
      action<{ strategy?: string; provider?: string }>(state, async (ctx, [userId, sessionId, file], o) => {
        const content = readBytes(file!);
        const m = await requireSession(ctx, userId!, sessionId!);
        const bar = ctx.progress('Processing', undefined, 'steps');
        bar.update(0, path.basename(file!));
        const result = await m.processDocument(
          { filename: path.basename(file!), content },
          userId!,
          sessionId!,
          {
            ...(o.strategy ? { chunkingStrategy: o.strategy } : {}),
            ...(o.provider ? { embeddingProvider: o.provider } : {}),
          },
        );
        bar.finish();
        if (!result.success) throw new CliError(`processing failed: ${result.error ?? 'unknown error'}`);
        ctx.result(
          result,
          () =>
            `Processed ${result.documentId}: ${result.chunkCount} chunks, ${result.vectorCount} vectors in ${result.processingTime.toFixed(2)} s`,
        );
      }),
    );

  program
    .command('search')
    .description("search a user's messages and documents")
    .argument('<userId>')
    .argument('<query...>', 'search text')
    .option(
      '--mode <mode>',
      'fts (full text), vector (semantic) or hybrid',
      choiceOption('--mode', ['fts', 'vector', 'hybrid'] as const),
      'fts',
    )
    .option('--limit <n>', 'at most n results', intOption('--limit', 1, 1000), 10)
    .option('--session <sessionId>', 'only this session')
    .action(
      action<{ mode: 'fts' | 'vector' | 'hybrid'; limit: number; session?: string }>(
        state,
        async (ctx, [userId, query], o) => {
          const m = await ctx.open();
          if (!(await m.userExists(userId!))) throw new CliError(`user ${userId} not found`);
          const results = await runSearch(m, userId!, query!, o.mode, o.limit, o.session);
          ctx.result({ mode: o.mode, query, results }, () =>
            results.length === 0
              ? `No results for "${query}" (${o.mode})`
              : results.map((r, i) => searchHitText(r, ctx.style, i + 1)).join('\n'),
          );
        },
      ),
    );

  program
    .command('stats')
    .description('statistics of the store, a user, or a session')
    .argument('[userId]')
    .argument('[sessionId]')
    .action(
      action(state, async (ctx, [userId, sessionId]) => {
        const m = await ctx.open();
        if (userId && sessionId) {
          const stats = await m.getSessionStats(userId, sessionId);
          const analysis = await m.analyzeConversation(userId, sessionId);
          // Null only when the session was deleted after getSessionStats read it.
          if (!analysis) throw new CliError(`session ${sessionId} not found for user ${userId}`);
          ctx.result({ scope: 'session', stats, analysis }, () =>
            renderPairs([
              ...Object.entries(stats).filter(([, v]) => typeof v !== 'object'),
              ['average length', analysis.averageMessageLength],
              ['by role', analysis.messagesByRole],
              [
                'top terms',
                analysis.topTerms
                  .slice(0, 8)
                  .map((t) => `${t.term}(${t.count})`)
                  .join(' '),
              ],
            ]),
          );
        } else if (userId) {
          const stats = await m.getUserStats(userId);
          const documents = await m.getDocumentStats(userId);
          if (!stats || !documents) throw new CliError(`user ${userId} not found`);
          ctx.result({ scope: 'user', stats, documents }, () =>
            renderPairs([
              ...Object.entries(stats).filter(([, v]) => typeof v !== 'object' || v === null),
              ['by role', stats.messagesByRole],
              ['document types', documents.documentTypes],
            ]),
          );
        } else {
          const stats = await m.getStorageStats();
          ctx.result({ scope: 'store', basePath: ctx.basePath(), stats }, () =>
            renderPairs([
              ['store', ctx.basePath()],
              ...Object.entries(stats).filter(([, v]) => typeof v !== 'object' || v === null),
            ]),
          );
        }
      }),
    );
}

function readBytes(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`);
  }
}

type Manager = Awaited<ReturnType<CliContext['open']>>;

/** The three search modes; `vector` merges document chunks and similar messages by score. */
export async function runSearch(
  m: Manager,
  userId: string,
  query: string,
  mode: 'fts' | 'vector' | 'hybrid',
  limit: number,
  sessionId?: string,
): Promise<SearchResult[]> {
  const sessionIds = sessionId ? [sessionId] : undefined;
  if (mode === 'fts') {
    return m.advancedSearch({
      query,
      userId,
      maxResults: limit,
      includeDocuments: true,
      ...(sessionIds ? { sessionIds } : {}),
    });
  }
  if (mode === 'hybrid') {
    return m.hybridSearch(userId, query, { topK: limit, ...(sessionIds ? { sessionIds } : {}) });
  }
  const [chunks, messages] = await Promise.all([
    m.vectorSearch(userId, query, { topK: limit, ...(sessionIds ? { sessionIds } : {}) }),
    m.searchSimilarMessages(userId, query, { limit, ...(sessionIds ? { sessionIds } : {}) }),
  ]);
  return [...chunks, ...messages].sort((a, b) => b.relevanceScore - a.relevanceScore).slice(0, limit);
}

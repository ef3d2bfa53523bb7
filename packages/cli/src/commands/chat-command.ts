/** `ffdb chat` and `ffdb demo`. */
import { createInterface } from 'node:readline';
import { isValidUserId } from '@ffdb/core-types';
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { type RunState, action } from '../cli/define.js';
import { CliError } from '../cli/errors.js';
import { ChatSession } from '../chat/chat-session.js';
import { LocalResponder, OpenAICompatibleResponder, type Responder, llmFromEnv } from '../chat/responders.js';
import { runDemo } from '../demo/run-demo.js';

interface ChatFlags {
  user?: string;
  session?: string;
  persona?: string;
  llmUrl?: string;
  model?: string;
}

function defaultUser(env: NodeJS.ProcessEnv): string {
  const candidate = env.CHATDB_USER ?? env.USER ?? env.USERNAME ?? 'me';
  return isValidUserId(candidate) ? candidate : 'me';
}

export async function runChat(ctx: CliContext, flags: ChatFlags): Promise<void> {
  if (ctx.json) throw new CliError('chat is interactive and has no --json output', 2, 'CLI_USAGE');
  // A chat lives long: its appends are indexed off the main thread by the search worker.
  const m = await ctx.open({ create: 'where-nothing-is', searchWorker: true });
  const userId = flags.user ?? defaultUser(ctx.io.env);
  // Everything that can refuse the chat is checked before a session is created for it.
  if (flags.persona && !(await m.getPersona(flags.persona, userId).catch(() => null))) {
    throw new CliError(`persona ${flags.persona} not found`);
  }
  const llm = llmFromEnv(ctx.io.env, flags);
  let sessionId = flags.session;
  if (sessionId) {
    if (!(await m.getSession(userId, sessionId)))
      throw new CliError(`session ${sessionId} of user ${userId} not found`);
  } else {
    sessionId = await m.createSession(userId, 'Chat');
  }
  const responder: Responder = llm
    ? new OpenAICompatibleResponder(llm)
    : new LocalResponder((u, q) =>
        m.advancedSearch({ query: q, userId: u, maxResults: 5, includeDocuments: true, mode: 'or' }),
      );
  const chat = new ChatSession(m, {
    userId,
    sessionId,
    ...(flags.persona ? { personaId: flags.persona } : {}),
    responder,
    write: (t) => ctx.io.stdout.write(t),
    writeError: (t) => ctx.io.stderr.write(t),
    style: ctx.style,
    signal: ctx.signal,
  });
  await chat.start();

  const tty = ctx.io.stdin.isTTY === true;
  const rl = createInterface({ input: ctx.io.stdin, output: tty ? ctx.io.stdout : undefined, terminal: tty });
  rl.setPrompt('you> ');
  // Ctrl-C: stop the reply in progress, or leave the chat.
  rl.on('SIGINT', () => {
    if (!chat.interruptReply()) rl.close();
  });
  ctx.signal.addEventListener('abort', () => rl.close(), { once: true });
  if (tty) rl.prompt();
  for await (const line of rl) {
    if (!(await chat.handle(line))) break;
    if (tty) rl.prompt();
  }
  rl.close();
  ctx.io.stdout.write(
    `Bye. Session ${sessionId} is saved; resume with: ffdb chat --user ${userId} --session ${sessionId}\n`,
  );
}

export function registerChatCommands(program: Command, state: RunState): void {
  program
    .command('chat')
    .description('interactive chat that stores every turn (/help inside for commands)')
    .option('--user <userId>', 'who is chatting (default $CHATDB_USER or $USER)')
    .option('--session <sessionId>', 'continue this session instead of starting a new one')
    .option('--persona <personaId>', 'answer as this persona')
    .option(
      '--llm-url <url>',
      'OpenAI-compatible base URL (default $CHATDB_LLM_BASE_URL; none = local responder)',
    )
    .option('--model <name>', 'model name for the endpoint (default $CHATDB_LLM_MODEL or gpt-4o-mini)')
    .action(action<ChatFlags>(state, async (ctx, _a, flags) => runChat(ctx, flags)));

  program
    .command('demo')
    .description(
      'create a store (default ./data), load a sample from the Brown corpus and show sessions, search and stats',
    )
    .option('--seed-only', 'load the sample without showing anything')
    .action(
      action<{ seedOnly?: boolean }>(state, async (ctx, _a, o) =>
        runDemo(ctx, { seedOnly: o.seedOnly === true }),
      ),
    );
}

#!/usr/bin/env node
/**
 * reference-chat: a terminal chat on ffdb, built only from @ffdb/manager's public API.
 *   node dist/main.js [--data DIR] [--user ID] [--session ID] [--persona ID]
 * Answers through CHATDB_LLM_BASE_URL (OpenAI-compatible; CHATDB_LLM_MODEL, CHATDB_LLM_API_KEY) when set,
 * otherwise with a local responder that searches your history.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { FFStorageManager, loadConfig } from '@ffdb/manager';
import { ChatApp } from './app.js';
import { localResponder, openAIResponder } from './responders.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      user: { type: 'string' },
      session: { type: 'string' },
      persona: { type: 'string' },
    },
  });
  const config = loadConfig(values.data ? { overrides: { storage: { basePath: values.data } } } : {});
  const store = await FFStorageManager.open(config);
  try {
    const userId = values.user ?? 'me';
    const sessionId = values.session ?? (await store.createSession(userId, 'Reference chat'));
    if (!(await store.getSession(userId, sessionId))) throw new Error(`session ${sessionId} not found`);
    const env = process.env;
    const responder = env.CHATDB_LLM_BASE_URL
      ? openAIResponder(
          env.CHATDB_LLM_BASE_URL,
          env.CHATDB_LLM_MODEL ?? 'gpt-4o-mini',
          env.CHATDB_LLM_API_KEY,
        )
      : localResponder(store);
    const app = new ChatApp(store, userId, sessionId, responder, (t) => process.stdout.write(t));
    process.stdout.write(`session ${sessionId}, replies by ${responder.name}; /help for commands\n`);
    if (values.persona) await app.handle(`/persona ${values.persona}`);
    const rl = createInterface({ input: process.stdin, terminal: false });
    for await (const line of rl) if (!(await app.handle(line))) break;
    rl.close();
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`reference-chat: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);

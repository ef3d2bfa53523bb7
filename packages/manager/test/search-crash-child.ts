/**
 * Child process of search-worker.int.test.ts. Env: FFDB_BASE, FFDB_USER.
 * Opens a manager with the search feature (index in its worker thread), stores a message and persists the
 * index (so it is not "fresh" after the crash and the catch-up must rely on positions), then stores a
 * document, a message, the current context and a context snapshot and prints `SAVED <sessionId> <documentId>` as soon as both have resolved, and
 * blocks its event loop: the worker may have tokenised them, but nothing of it can be written (storage runs
 * on this thread). The parent kills it with SIGKILL — acknowledged, never persisted by the index.
 */
import { writeSync } from 'node:fs';
import { FFStorageManager } from '../src/index.js';

const env = process.env;
const user = env.FFDB_USER!;
const manager = await FFStorageManager.open({
  config: { storage: { basePath: env.FFDB_BASE!, durability: 'always', backupBeforeDelete: false } },
  features: { search: true, vectors: false, personas: false },
});
const sessionId = await manager.createSession(user, 'crash');
await manager.addMessage(user, sessionId, {
  role: 'user',
  content: 'Sourdough bread rises with wild yeast.',
});
if ((await manager.searchMessages(user, 'sourdough')).length !== 1) throw new Error('first message missing');
// Persists the index: segments and the positions they cover.
await manager.compact();
const documentId = await manager.saveDocument(
  user,
  sessionId,
  'keeper.txt',
  'The lighthouse keeper polished the giant lens every evening.',
);
await manager.addMessage(user, sessionId, {
  role: 'assistant',
  content: 'Marmalade glazes the orange cake.',
});
await manager.updateContext(user, sessionId, { summary: 'A pelican watched the harbour.' });
await manager.saveContextSnapshot(user, sessionId, { summary: 'A walrus slept on the pier.' });
writeSync(1, `SAVED ${sessionId} ${documentId}\n`);
for (;;) {
  // Busy until killed: no storage request of the worker is ever served.
}
